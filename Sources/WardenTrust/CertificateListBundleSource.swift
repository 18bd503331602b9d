public import WardenCredentials
public import WardenSPIFFE
public import X509

/// Any source of certificates (Vault's PKI CA chain, system roots) as a trust domain's X.509 authorities: the
/// manager's generic door, so that WardenTrust need not import the source's module.
public struct CertificateListBundleSource<Upstream: CredentialSource>: TrustBundleSource
where Upstream.Value == [Certificate] {
    public let upstream: Upstream
    public let trustDomain: TrustDomain

    public init(_ upstream: Upstream, trustDomain: TrustDomain) {
        self.upstream = upstream
        self.trustDomain = trustDomain
    }

    public var name: String { self.upstream.name }

    public func fetch() async throws -> Credential<SPIFFEBundle> {
        let credential = try await self.upstream.fetch()
        return Credential(
            value: SPIFFEBundle(trustDomain: self.trustDomain, x509Authorities: credential.value),
            issuedAt: credential.issuedAt,
            refreshHint: credential.refreshHint,
            metadata: credential.metadata
        )
    }
}
