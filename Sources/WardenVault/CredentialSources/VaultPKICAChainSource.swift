public import WardenCredentials
public import X509

/// The PKI engine's CA chain as a trust source: re-read every `rereadInterval`, so that a CA rollover reaches the
/// services that trust it.
public struct VaultPKICAChainSource: CredentialSource {
    public typealias Value = [Certificate]

    private let pki: VaultPKI
    private let rereadInterval: Duration

    /// A source for the CA chain of the PKI engine at `mount`.
    public init(client: VaultClient, mount: String = "pki", rereadInterval: Duration = .seconds(600)) {
        self.pki = client.pki(mount: mount)
        self.rereadInterval = rereadInterval
    }

    public var name: String { "vault-pki-ca:\(self.pki.mount)" }

    public func fetch() async throws -> Credential<[Certificate]> {
        let now = self.pki.client.clock.now
        let chain = try await self.pki.caChain()
        return Credential(
            value: chain,
            issuedAt: now,
            expiresAt: chain.map(\.notValidAfter).min(),
            refreshHint: now.addingTimeInterval(self.rereadInterval.timeInterval),
            metadata: CredentialMetadata(sourceName: self.name, kind: "vault-pki-ca-chain")
        )
    }
}
