public import WardenCore
public import WardenCredentials

/// A KV v2 secret as a rotating credential: re-read every `rereadInterval`, so that a rotated API key reaches the
/// service; while Vault is down, the last value read keeps being served.
public struct VaultKVSecretSource: CredentialSource {
    public typealias Value = Secret<[String: JSONValue]>

    private let kv: VaultKV2
    private let path: String
    private let rereadInterval: Duration

    /// A source for `path` in the KV v2 engine at `mount`.
    public init(client: VaultClient, mount: String = "secret", path: String, rereadInterval: Duration = .seconds(300)) {
        self.kv = client.kv2(mount: mount)
        self.path = path
        self.rereadInterval = rereadInterval
    }

    public var name: String { "vault-kv:\(self.kv.mount)/\(self.path)" }

    public func fetch() async throws -> Credential<Secret<[String: JSONValue]>> {
        let now = self.kv.client.clock.now
        let secret = try await self.kv.read(self.path)
        return Credential(
            value: secret.data,
            issuedAt: now,
            refreshHint: now.addingTimeInterval(self.rereadInterval.timeInterval),
            metadata: CredentialMetadata(
                sourceName: self.name,
                kind: "vault-kv",
                identifier: "version \(secret.version)"
            )
        )
    }
}

/// A KV v2 secret decoded as a `Decodable` type, as a rotating credential: the same schedule as
/// ``VaultKVSecretSource``, with the secret's keys read into `Decoded` (kept in a `Secret`).
///
/// ```swift
/// struct APIKey: Decodable, Sendable { var key: String }
/// let apiKey = RotatingCredentialProvider(source: VaultKVDecodedSecretSource(client: vault, path: "payments/api",
///                                                                           as: APIKey.self))
/// let key = try await apiKey.current().reveal().key
/// ```
public struct VaultKVDecodedSecretSource<Decoded: Decodable & Sendable>: CredentialSource {
    public typealias Value = Secret<Decoded>

    private let raw: VaultKVSecretSource

    /// A source for `path` in the KV v2 engine at `mount`, decoded as `type`.
    public init(
        client: VaultClient,
        mount: String = "secret",
        path: String,
        as type: Decoded.Type,
        rereadInterval: Duration = .seconds(300)
    ) {
        self.raw = VaultKVSecretSource(client: client, mount: mount, path: path, rereadInterval: rereadInterval)
    }

    public var name: String { self.raw.name }

    /// Reads and decodes the newest version; a version that does not decode is a failure of the source, so the
    /// provider keeps serving the last good value.
    public func fetch() async throws -> Credential<Secret<Decoded>> {
        let name = self.name
        return try await self.raw.fetch().map { data in
            try VaultDecoding.decode(Decoded.self, from: .object(data.reveal()), label: name)
        }
    }
}
