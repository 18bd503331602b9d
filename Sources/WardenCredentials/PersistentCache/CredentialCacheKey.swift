public import Crypto
public import Foundation

/// Where the key of a ``PersistentCredentialCache`` comes from: a file the user provisions, an environment variable, or
/// a closure (a KMS). The key is never stored beside the cache, so that a copy of the cache directory alone does not
/// open it (Vault Proxy's persistent cache keeps its key in the same file).
///
/// A key is 256 bits: 32 raw bytes, or their standard base64 (44 characters); `openssl rand -base64 32` makes one.
public struct CredentialCacheKey: Sendable {
    /// What the key is, for errors and logs; never the key.
    let origin: String
    /// The file the key is read from, if any: it may not be inside the cache's directory.
    let path: String?
    private let load: @Sendable () async throws -> SymmetricKey

    /// The key in `path`: 32 bytes, or their base64. A file its group or others may read is refused.
    public static func file(_ path: String) -> CredentialCacheKey {
        CredentialCacheKey(origin: "the key file \(path)", path: path) {
            var status = stat()
            guard stat(path, &status) == 0 else {
                throw CredentialsError(.invalidConfiguration, "the cache key file \(path) cannot be read")
            }
            guard status.st_mode & 0o077 == 0 else {
                throw CredentialsError(
                    .invalidConfiguration,
                    "the cache key file \(path) may be read by others (mode \(String(status.st_mode & 0o777, radix: 8))); make it 0600"
                )
            }
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw CredentialsError(.invalidConfiguration, "the cache key file \(path) cannot be read")
            }
            return try Self.key(from: Array(bytes), origin: "the cache key file \(path)")
        }
    }

    /// The key in the environment variable `name`, as base64.
    public static func environment(
        _ name: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> CredentialCacheKey {
        let value = environment[name]
        return CredentialCacheKey(origin: "the environment variable \(name)", path: nil) {
            guard let value, !value.isEmpty else {
                throw CredentialsError(.invalidConfiguration, "the cache key variable \(name) is not set")
            }
            return try Self.key(from: Array(value.utf8), origin: "the cache key variable \(name)")
        }
    }

    /// The key a closure returns, for a key kept in a KMS.
    public static func provider(
        _ name: String,
        _ load: @escaping @Sendable () async throws -> SymmetricKey
    ) -> CredentialCacheKey {
        CredentialCacheKey(origin: name, path: nil) {
            let key = try await load()
            guard key.bitCount == 256 else {
                throw CredentialsError(.invalidConfiguration, "the cache key from \(name) is not 256 bits")
            }
            return key
        }
    }

    func symmetricKey() async throws -> SymmetricKey { try await self.load() }

    /// 32 raw bytes, or 44 characters of base64 (a trailing newline allowed).
    private static func key(from bytes: [UInt8], origin: String) throws -> SymmetricKey {
        if bytes.count == 32 { return SymmetricKey(data: bytes) }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let decoded = Data(base64Encoded: text), decoded.count == 32 else {
            throw CredentialsError(
                .invalidConfiguration,
                "\(origin) does not hold a 256-bit key (32 bytes, or their base64)"
            )
        }
        return SymmetricKey(data: decoded)
    }

    private init(origin: String, path: String?, load: @escaping @Sendable () async throws -> SymmetricKey) {
        self.origin = origin
        self.path = path
        self.load = load
    }
}
