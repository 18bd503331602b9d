public import WardenCore
public import WardenCredentials
public import WardenSPIFFE

/// A KV v2 secret as a rotating credential: re-read every `rereadInterval`, so that a rotated API key reaches the
/// service; while Vault is down, the last value read keeps being served.
public struct VaultKVSecretSource: CredentialSource {
    public typealias Value = Secret<[String: JSONValue]>

    private let kv: VaultKV2
    private let path: String
    private let rereadInterval: Duration

    /// A source for `path` in the KV v2 engine at `mount`.
    public init(client: VaultClient, mount: String = "secret", path: String, rereadInterval: Duration = .seconds(300))
    {
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
