import Crypto
import Foundation
public import Logging
import WardenCore

/// An opt-in, encrypted, on-disk copy of a ``RotatingCredentialProvider``'s last good credential, so that a process
/// restarted while its source is unreachable still starts, and serves what it held while that is valid.
///
/// When the provider gets a credential from its source, it writes the credential here (sealed with AES-256-GCM under
/// the ``CredentialCacheKey``, a fresh nonce per write, the source's name and the value's type as associated data;
/// atomically, mode 0600). When it starts and its first fetch fails, it reads the entry back: if it authenticates and
/// has not expired, the provider serves it with the status `degraded`, naming the cache, and replaces it as soon as the
/// source answers. An entry that fails authentication (edited, or opened with another key) is refused with
/// ``CredentialsError/Code/cacheRejected``, logged once, and never served. A revoked or refused credential's entry is
/// removed.
///
/// Each kind of credential has a cache with the same initializer: `Secret<String>` (tokens), `Secret<T>` for a
/// `Codable` `T`, ``CertificateAndKey`` (certificates and keys, X509-SVIDs), and, in their modules, Vault's database
/// credentials and KV secrets and the Workload API's JWT-SVIDs. Other values take an `encode`/`decode` pair. One
/// directory can hold the entries of many providers, one per source name.
///
/// What it protects against: a restart during an outage (the service comes up), and a copy of the cache directory
/// without the key (it reads nothing). What it does not: an attacker who can read both the directory and the key (keep
/// the key in a file elsewhere, an environment variable, or a KMS), nor one who can run code as the service.
///
/// ```swift
/// let cache = try PersistentCredentialCache<Secret<String>>(
///     directory: "/var/lib/payments/credentials",
///     key: .file("/etc/payments/cache.key")          // openssl rand -base64 32 > cache.key; chmod 600
/// )
/// let tokens = RotatingCredentialProvider(source: VaultTokenSource(client: vault, method: appRole), persistentCache: cache)
/// ```
public struct PersistentCredentialCache<Value: Sendable>: Sendable {
    let storage: EncryptedCredentialCache
    let encode: @Sendable (Value) throws -> [UInt8]
    let decode: @Sendable ([UInt8]) throws -> Value

    /// A cache in `directory` (made 0700 if missing), sealed with `key`, the value written with `encode` and read back
    /// with `decode`.
    ///
    /// - Throws: ``CredentialsError/Code/invalidConfiguration`` when the key file lies inside `directory`, or the
    ///   directory cannot be made.
    public init(
        directory: String,
        key: CredentialCacheKey,
        logger: Logger = Logger(label: "warden.credentials.cache"),
        encode: @escaping @Sendable (Value) throws -> [UInt8],
        decode: @escaping @Sendable ([UInt8]) throws -> Value
    ) throws(CredentialsError) {
        self.storage = try EncryptedCredentialCache(directory: directory, key: key, logger: logger)
        self.encode = encode
        self.decode = decode
    }

    /// The directory the entries are kept in.
    public var directory: String { self.storage.directory }

    /// What binds an entry to its value's type, beside the source's name.
    static var kind: String { "credential:\(String(reflecting: Value.self))" }

    /// The record written: the credential without its value, and the value's encoding.
    private struct Record: Codable {
        var metadata: CredentialMetadata
        var issuedAt: Date
        var expiresAt: Date?
        var refreshHint: Date?
        var isRenewable: Bool
        var value: Data
    }

    func store(_ credential: Credential<Value>, sourceName: String) async throws {
        try self.store(credential, sourceName: sourceName, key: try await self.storage.symmetricKey())
    }

    /// Writes `credential` with a key already loaded: no suspension (see ``CacheWriter``).
    func store(_ credential: Credential<Value>, sourceName: String, key: SymmetricKey) throws {
        let record = Record(
            metadata: credential.metadata,
            issuedAt: credential.issuedAt,
            expiresAt: credential.expiresAt,
            refreshHint: credential.refreshHint,
            isRenewable: credential.isRenewable,
            value: Data(try self.encode(credential.value))
        )
        try self.storage.store(
            EncryptedCredentialCache.Entry(
                name: sourceName,
                kind: Self.kind,
                expiresAt: credential.expiresAt,
                payload: Array(try JSONEncoder().encode(record))
            ),
            key: key
        )
    }

    func load(sourceName: String, at now: Date) async throws -> Credential<Value>? {
        guard let entry = try await self.storage.load(name: sourceName, kind: Self.kind, at: now) else { return nil }
        let record: Record
        do {
            record = try JSONDecoder().decode(Record.self, from: Data(entry.payload))
        } catch {
            throw self.storage.reject(name: sourceName, reason: "it does not hold a credential")
        }
        let value: Value
        do {
            value = try self.decode(Array(record.value))
        } catch let error as CredentialsError {
            // Authenticated, yet not a value: refused like a tampered entry, and logged once.
            throw self.storage.reject(name: sourceName, reason: error.message)
        } catch {
            throw self.storage.reject(name: sourceName, reason: "its value does not decode: \(error)")
        }
        return Credential(
            value: value,
            issuedAt: record.issuedAt,
            expiresAt: record.expiresAt,
            refreshHint: record.refreshHint,
            isRenewable: record.isRenewable,
            metadata: record.metadata
        )
    }

    func remove(sourceName: String) {
        try? self.storage.remove(name: sourceName)
    }
}

/// Writes and removals of one provider's cache entry, in the order of the credentials they are for: a store for a
/// credential older than one already written, or than a removal (a refusal, a revocation), is dropped. The check and
/// the write happen with no suspension between them, after the key is loaded.
actor CacheWriter<Value: Sendable> {
    private let cache: PersistentCredentialCache<Value>
    private let sourceName: String
    private var newest: UInt64?

    init(cache: PersistentCredentialCache<Value>, sourceName: String) {
        self.cache = cache
        self.sourceName = sourceName
    }

    /// Writes `credential`, held as `generation`, unless something newer has been written or removed.
    func store(_ credential: Credential<Value>, generation: UInt64) async throws {
        guard self.newest.map({ generation > $0 }) ?? true else { return }
        let key = try await self.cache.storage.symmetricKey()
        guard self.newest.map({ generation > $0 }) ?? true else { return }
        try self.cache.store(credential, sourceName: self.sourceName, key: key)
        self.newest = generation
    }

    /// Removes the entry, and any write of a credential up to `generation` still to come.
    func remove(through generation: UInt64) {
        self.newest = max(self.newest ?? 0, generation)
        self.cache.remove(sourceName: self.sourceName)
    }
}

/// A failure of the source while the credential served came from the persistent cache: the status says both.
struct CachedCredentialInUse: Error, CustomStringConvertible {
    let sourceError: any Error
    let directory: String

    var description: String {
        "\(self.sourceError); serving the credential cached in \(self.directory) until the source answers"
    }
}
