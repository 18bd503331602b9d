import Crypto
import Foundation
import Synchronization

/// Remembers JWT-SVIDs that verified, so that a service seeing the same token many times verifies it once.
///
/// Entries are keyed by the SHA-256 of the token, so the cache holds no bearer token that was not already in memory
/// for its verified value, and two tokens that differ in one byte never share an entry. An entry is used only within
/// the window the token was valid in when it verified (from `nbf`/`iat` to `exp`, with the leeway); it belongs to one
/// bundle snapshot, and is gone when the bundles change. The capacity bounds memory: when full, expired entries are
/// dropped first, and if none has expired, everything is.
final class VerifiedTokenCache: Sendable {
    struct Entry: Sendable {
        let svid: VerifiedJWTSVID
        let validFrom: Date
        let validUntil: Date
    }

    private let entries = Mutex<[SHA256Digest: Entry]>([:])
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    static func key(_ token: UnsafeBufferPointer<UInt8>) -> SHA256Digest {
        SHA256.hash(data: UnsafeRawBufferPointer(token))
    }

    func lookup(_ key: SHA256Digest, at time: Date) -> VerifiedJWTSVID? {
        guard let entry = self.entries.withLock({ $0[key] }) else { return nil }
        guard time >= entry.validFrom, time < entry.validUntil else { return nil }
        return entry.svid
    }

    func insert(_ key: SHA256Digest, _ entry: Entry, now: Date) {
        guard self.capacity > 0 else { return }
        self.entries.withLock { entries in
            if entries.count >= self.capacity {
                entries = entries.filter { $0.value.validUntil > now }
                if entries.count >= self.capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = entry
        }
    }

    var count: Int { self.entries.withLock { $0.count } }
}
