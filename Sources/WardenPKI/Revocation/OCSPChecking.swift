import Foundation
import Synchronization
import WardenCore
import X509

/// How a ``RevocationPolicy`` asks OCSP responders: swift-certificates' `OCSPVerifierPolicy` checks each response
/// (the responder's signature and authority, the times, the nonce), through the `OCSPRequester` given here, and
/// answers are cached by issuer and serial number until their `nextUpdate`.
///
/// The transport is an ``OCSPTransport``: WardenTrust's `HTTPOCSPRequester` posts over AsyncHTTPClient (and is
/// an `OCSPRequester` too, for swift-certificates' policy used on its own). A transport that throws gives an unknown
/// status, never an accept: the ``RevocationPolicy``'s failure mode decides. (swift-certificates' policy accepts a
/// requester's non-terminal error even in hard-fail mode; Warden does not hand it one.)
///
/// swift-certificates refuses a response without `nextUpdate` (RFC 5019 §4), which is what OpenBao and Vault send
/// when their PKI mount's `ocsp_expiry` is `0`; set it to a duration (OpenBao's default, 12h, works).
public struct OCSPChecking: Sendable {
    /// Sends the requests.
    public let transport: any OCSPTransport
    /// The answers already had.
    public let cache: OCSPResponseCache

    public init(transport: some OCSPTransport, cache: OCSPResponseCache = OCSPResponseCache()) {
        self.transport = transport
        self.cache = cache
    }
}

/// Sends one DER-encoded OCSP request to a responder and returns its DER-encoded response.
public protocol OCSPTransport: Sendable {
    /// The response to `request` from the responder at `uri`; throws when there is none (network, HTTP status,
    /// size).
    func send(request: [UInt8], to uri: String) async throws -> [UInt8]
}

/// OCSP answers by issuer and serial number, each kept until its `nextUpdate` (at most ``maximumAge``), at most
/// ``capacity`` of them; the one expiring first makes room.
public final class OCSPResponseCache: Sendable {
    /// By issuer certificate (compared by its bytes), not by an encoding of its key: swift-certificates encodes a key
    /// afresh at every call, which would cost a cache hit more than the rest of it.
    struct Key: Hashable {
        let issuer: Certificate
        let serialNumber: Certificate.SerialNumber
    }

    struct Entry {
        let answer: OCSPAnswer
        let validUntil: Date
    }

    /// The most answers kept.
    public let capacity: Int
    /// The longest an answer is kept, whatever its `nextUpdate` says.
    public let maximumAge: Duration
    private let entries = Mutex<[Key: Entry]>([:])

    public init(capacity: Int = 10_000, maximumAge: Duration = .seconds(3600)) {
        self.capacity = max(capacity, 0)
        self.maximumAge = maximumAge
    }

    /// The number of answers held.
    public var count: Int { self.entries.withLock { $0.count } }

    /// Forgets every answer.
    public func removeAll() { self.entries.withLock { $0.removeAll() } }

    func answer(for key: Key, at time: Date) -> OCSPAnswer? {
        self.entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard time < entry.validUntil else {
                entries[key] = nil
                return nil
            }
            return entry.answer
        }
    }

    func insert(_ answer: OCSPAnswer, for key: Key, at time: Date) {
        let cap = time.addingTimeInterval(self.maximumAge.timeInterval)
        let validUntil = min(answer.nextUpdate ?? cap, cap)
        guard validUntil > time, self.capacity > 0 else { return }
        self.entries.withLock { entries in
            if entries.count >= self.capacity, entries[key] == nil,
                let first = entries.min(by: { $0.value.validUntil < $1.value.validUntil })?.key
            {
                entries[first] = nil
            }
            entries[key] = Entry(answer: answer, validUntil: validUntil)
        }
    }
}

/// What a responder said about one certificate, read from a response `OCSPVerifierPolicy` has verified.
struct OCSPAnswer: Sendable {
    enum Status: Sendable {
        case good
        case revoked(date: Date, reason: CRLReason?)
        case unknown
    }

    let status: Status
    let thisUpdate: Date
    let nextUpdate: Date?
    let responder: String
}
