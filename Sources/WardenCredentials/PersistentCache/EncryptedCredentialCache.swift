package import Crypto
package import Foundation
package import Logging
import Synchronization
import WardenCore
import WardenPKI

/// Last good credentials on disk, encrypted, so that a process restarted while its source is down can serve what it
/// held (the storage of the rotation engine's persistent cache; the engine itself decides what to keep and when to
/// serve it).
///
/// Each entry is one file in ``directory``, named by a hash of the credential's name, written atomically with mode
/// 0600 (``AtomicFile``): `WCACHE01`, then AES-256-GCM's nonce (12 bytes, fresh for every write), ciphertext and tag.
/// The associated data binds the entry to the credential's name and kind, so that an entry copied to another name's
/// file, or read as another kind, fails authentication like an edited one. The plaintext is the expiry (8 bytes,
/// big-endian Unix seconds, or all ones for none) and the value's encoding.
///
/// An entry that fails authentication (edited, truncated, or sealed with another key) is never used: ``load(name:kind:at:)``
/// throws ``CredentialsError/Code/cacheRejected``, logged once per entry. An entry past its expiry is not returned, and
/// is removed.
package final class EncryptedCredentialCache: Sendable {
    /// One cached credential.
    package struct Entry: Sendable, Equatable {
        package var name: String
        package var kind: String
        package var expiresAt: Date?
        /// The value's encoding; secret.
        package var payload: [UInt8]

        package init(name: String, kind: String, expiresAt: Date?, payload: [UInt8]) {
            self.name = name
            self.kind = kind
            self.expiresAt = expiresAt
            self.payload = payload
        }
    }

    package let directory: String
    private let key: CredentialCacheKey
    private let logger: Logger
    private let rejected = Mutex<Set<String>>([])

    static let magic = Array("WCACHE01".utf8)
    /// The largest entry read back; a credential is a few KiB.
    static let maximumEntrySize = 1 << 20

    /// A cache in `directory` (made with mode 0700 if missing), sealed with `key`.
    ///
    /// - Throws: ``CredentialsError/Code/invalidConfiguration`` when the key file is inside `directory`, or the
    ///   directory cannot be made.
    package init(directory: String, key: CredentialCacheKey, logger: Logger) throws(CredentialsError) {
        let directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        if let keyPath = key.path {
            let keyDirectory = URL(fileURLWithPath: keyPath).standardizedFileURL.deletingLastPathComponent().path
            if keyDirectory == directory || keyDirectory.hasPrefix(directory + "/") {
                throw CredentialsError(
                    .invalidConfiguration,
                    "the cache key file \(keyPath) is inside the cache directory \(directory): keep it elsewhere, or a "
                        + "copy of the directory opens the cache"
                )
            }
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw CredentialsError(.invalidConfiguration, "the cache directory \(directory) cannot be made: \(error)")
        }
        self.directory = directory
        self.key = key
        self.logger = logger
    }

    /// Where `name`'s entry is kept: its file name is a hash, so that a name cannot reach outside the directory.
    package func path(of name: String) -> String {
        let digest = SHA256.hash(data: Array(name.utf8)).prefix(16)
        return "\(self.directory)/\(Hex.encode(Array(digest)).lowercased()).wcache"
    }

    /// Seals `entry` and writes it, replacing the previous one.
    package func store(_ entry: Entry) async throws {
        try self.store(entry, key: try await self.symmetricKey())
    }

    /// The key, from its source (which may be a KMS, and slow).
    package func symmetricKey() async throws -> SymmetricKey { try await self.key.symmetricKey() }

    /// Seals `entry` with `key` and writes it: no suspension, so that a caller can decide and write in one step.
    package func store(_ entry: Entry, key: SymmetricKey) throws {
        let expiry =
            entry.expiresAt.map { UInt64(bitPattern: Int64($0.timeIntervalSince1970.rounded(.down))) }
            ?? UInt64.max
        var plaintext = withUnsafeBytes(of: expiry.bigEndian) { Array($0) }
        plaintext += entry.payload
        let sealed = try AES.GCM.seal(
            plaintext,
            using: key,
            nonce: AES.GCM.Nonce(),
            authenticating: Self.associatedData(name: entry.name, kind: entry.kind)
        )
        guard let combined = sealed.combined else {
            throw CredentialsError(.invalidConfiguration, "AES-GCM produced no combined box")
        }
        try AtomicFile.write(Self.magic + Array(combined), to: self.path(of: entry.name))
        self.rejected.withLock { _ = $0.remove(entry.name) }
    }

    /// The entry for `name` and `kind`, if one is kept and valid at `now`.
    ///
    /// - Throws: ``CredentialsError/Code/cacheRejected`` when the entry fails authentication; the message names the
    ///   file, never its content.
    package func load(name: String, kind: String, at now: Date = Date()) async throws -> Entry? {
        let path = self.path(of: name)
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let bytes = Array((try? handle.read(upToCount: Self.maximumEntrySize + 1)) ?? Data())
        let key = try await self.key.symmetricKey()
        guard bytes.count <= Self.maximumEntrySize, bytes.count >= Self.magic.count + 12 + 16 + 8,
            Array(bytes.prefix(Self.magic.count)) == Self.magic
        else {
            throw self.reject(name: name, path: path, reason: "it is not a Warden cache entry")
        }
        let plaintext: Data
        do {
            let box = try AES.GCM.SealedBox(combined: bytes.dropFirst(Self.magic.count))
            plaintext = try AES.GCM.open(box, using: key, authenticating: Self.associatedData(name: name, kind: kind))
        } catch {
            throw self.reject(
                name: name,
                path: path,
                reason: "it failed authentication (edited, or sealed with another key, name or kind)"
            )
        }
        let expiry = plaintext.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let expiresAt =
            expiry == UInt64.max ? nil : Date(timeIntervalSince1970: TimeInterval(Int64(bitPattern: expiry)))
        if let expiresAt, expiresAt <= now {
            try? self.remove(name: name)
            return nil
        }
        return Entry(name: name, kind: kind, expiresAt: expiresAt, payload: Array(plaintext.dropFirst(8)))
    }

    /// Removes `name`'s entry (the credential was revoked or retired); nothing when there is none.
    package func remove(name: String) throws {
        let path = self.path(of: name)
        guard unlink(path) == 0 || errno == ENOENT else {
            throw CredentialsError(.invalidConfiguration, "the cache entry \(path) cannot be removed: errno \(errno)")
        }
    }

    /// Refuses `name`'s entry: logged once per entry, and the error to throw.
    func reject(name: String, reason: String) -> CredentialsError {
        self.reject(name: name, path: self.path(of: name), reason: reason)
    }

    private func reject(name: String, path: String, reason: String) -> CredentialsError {
        let isNew = self.rejected.withLock { $0.insert(name).inserted }
        if isNew {
            self.logger.error(
                "persistent cache entry refused; it is not used",
                metadata: ["credential": "\(name)", "file": "\(path)", "reason": "\(reason)"]
            )
        }
        return CredentialsError(.cacheRejected, "the cache entry \(path) for \(name) was refused: \(reason)")
    }

    private static func associatedData(name: String, kind: String) -> [UInt8] {
        Array("warden.cache.v1\u{0}\(name)\u{0}\(kind)".utf8)
    }
}
