public import WardenCredentials
public import WardenPKI

/// The CRL of a Vault or OpenBao PKI mount (`<mount>/crl`, and `<mount>/crl/delta` when the mount makes deltas), for
/// the rotation engine and a ``RevocationPolicy``.
///
/// Fetched every `refreshInterval` (default 30 s: a revocation in Vault reaches relying services within that) and
/// when the list is due; kept until its `nextUpdate` plus `grace`. Vault serves CRLs without a token.
///
/// ```swift
/// let crls = RotatingCredentialProvider(source: VaultPKICRLSource(client: vault, mount: "pki"))
/// let verifier = CertificateChainVerifier(roots: roots, revocation: .crl(from: crls, failureMode: .hardFail))
/// ```
public struct VaultPKICRLSource: CredentialSource {
    public typealias Value = RevocationList

    private let pki: VaultPKI
    public let includesDelta: Bool
    public let refreshInterval: Duration
    public let grace: Duration
    public let limits: CRLLimits

    public init(
        client: VaultClient,
        mount: String = "pki",
        includesDelta: Bool = true,
        refreshInterval: Duration = .seconds(30),
        grace: Duration = .seconds(3600),
        limits: CRLLimits = .default
    ) {
        self.pki = client.pki(mount: mount)
        self.includesDelta = includesDelta
        self.refreshInterval = refreshInterval
        self.grace = grace
        self.limits = limits
    }

    public var name: String { "vault-pki-crl:\(self.pki.mount)" }

    public func fetch() async throws -> Credential<RevocationList> {
        let list = try await self.pki.revocationList(includingDelta: self.includesDelta, limits: self.limits)
        RevocationListMetrics.record(list, source: self.name)
        return Credential(
            revocationList: list,
            fetchedAt: self.pki.client.clock.now,
            refreshInterval: self.refreshInterval,
            grace: self.grace,
            sourceName: self.name
        )
    }
}
