import Foundation
public import WardenCore
public import WardenCredentials
public import WardenPKI
public import WardenSPIFFE
public import X509

/// A KV v2 secret as a rotating credential: re-read every `refreshInterval`, so that a rotated API key reaches the
/// service; while Vault is down, the last value read keeps being served.
public struct VaultKVSecretSource: CredentialSource {
    public typealias Value = Secret<[String: JSONValue]>

    private let kv: VaultKV2
    private let path: String
    private let refreshInterval: Duration

    /// A source for `path` in the KV v2 engine at `mount`.
    public init(client: VaultClient, mount: String = "secret", path: String, refreshInterval: Duration = .seconds(300)) {
        self.kv = client.kv2(mount: mount)
        self.path = path
        self.refreshInterval = refreshInterval
    }

    public var name: String { "vault-kv:\(self.kv.mount)/\(self.path)" }

    public func fetch() async throws -> Credential<Secret<[String: JSONValue]>> {
        let now = self.kv.client.clock.now
        let secret = try await self.kv.read(self.path)
        return Credential(
            value: secret.data, issuedAt: now, refreshHint: now.addingTimeInterval(self.refreshInterval.timeInterval),
            metadata: CredentialMetadata(sourceName: self.name, kind: "vault-kv", identifier: "version \(secret.version)"))
    }
}

/// Dynamic database credentials as a rotating credential: the lease is renewed in place while renewal extends it,
/// then new credentials are fetched before the lease's maximum TTL, overlapping the old ones; on shutdown the lease is
/// revoked. Expired database credentials do not work, so stale values are never served.
public struct VaultDatabaseCredentialSource: CredentialSource {
    public typealias Value = VaultDatabaseCredentials

    private let database: VaultDatabase
    private let role: String

    /// A source for `role` of the database engine at `mount`.
    public init(client: VaultClient, mount: String = "database", role: String) {
        self.database = client.database(mount: mount)
        self.role = role
    }

    public var name: String { "vault-database:\(self.database.mount)/\(self.role)" }

    public var allowsStaleValues: Bool { false }

    public func fetch() async throws -> Credential<VaultDatabaseCredentials> {
        let now = self.database.client.clock.now
        let credentials = try await self.database.credentials(role: self.role)
        return self.credential(credentials, issuedAt: now)
    }

    public func renew(_ credential: Credential<VaultDatabaseCredentials>) async throws -> Credential<VaultDatabaseCredentials> {
        let now = self.database.client.clock.now
        let old = credential.value
        let response = try await self.database.client.renewLease(old.leaseID)
        let renewed = VaultDatabaseCredentials(
            username: old.username, password: old.password, leaseID: response.leaseID ?? old.leaseID,
            leaseDuration: response.leaseDuration, renewable: response.renewable)
        return self.credential(renewed, issuedAt: now)
    }

    public func revoke(_ credential: Credential<VaultDatabaseCredentials>) async throws {
        try await self.database.client.revokeLease(credential.value.leaseID)
    }

    private func credential(_ credentials: VaultDatabaseCredentials, issuedAt: Date) -> Credential<VaultDatabaseCredentials> {
        Credential(
            value: credentials, issuedAt: issuedAt, expiresAt: issuedAt.addingTimeInterval(TimeInterval(credentials.leaseDuration)),
            isRenewable: credentials.renewable,
            metadata: CredentialMetadata(sourceName: self.name, kind: "vault-database", leaseID: credentials.leaseID, identifier: credentials.username))
    }
}

/// A certificate from the PKI engine as a rotating credential: a key is generated in this process, a CSR is signed by
/// Vault (`sign`), and the certificate is re-issued ahead of its expiry with a fresh key. The key never leaves the
/// process.
public struct VaultPKICertificateSource: CredentialSource {
    public typealias Value = CertificateAndKey

    private let pki: VaultPKI
    private let role: String
    private let commonName: String
    private let uris: [String]
    private let dnsNames: [String]
    private let keyType: KeyType
    private let ttl: Duration?

    /// A source for certificates of `role`, for `commonName` with the given SANs.
    public init(
        client: VaultClient, mount: String = "pki", role: String, commonName: String, dnsNames: [String] = [], uris: [String] = [],
        keyType: KeyType = .p256, ttl: Duration? = nil
    ) {
        self.pki = client.pki(mount: mount)
        self.role = role
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.uris = uris
        self.keyType = keyType
        self.ttl = ttl
    }

    public var name: String { "vault-pki:\(self.pki.mount)/\(self.role)" }

    public func fetch() async throws -> Credential<CertificateAndKey> {
        let key = try PrivateKey.generate(self.keyType)
        var builder = try CSRBuilder(subject: "CN=\(self.commonName)")
        builder.dnsNames = [self.commonName] + self.dnsNames
        builder.uris = self.uris
        let issued = try await self.pki.sign(role: self.role, csr: try builder.pemEncoded(signingWith: key), commonName: self.commonName, ttl: self.ttl)
        let certificate = issued.certificate
        return Credential(
            value: CertificateAndKey(chain: [certificate] + issued.caChain, privateKey: key, bundle: []),
            issuedAt: certificate.notValidBefore, expiresAt: certificate.notValidAfter,
            metadata: CredentialMetadata(sourceName: self.name, kind: "vault-pki-certificate", identifier: issued.serialNumber))
    }
}

/// The PKI engine's CA chain as a trust source: re-read every `refreshInterval`, so that a CA rollover reaches the
/// services that trust it.
public struct VaultPKICAChainSource: CredentialSource {
    public typealias Value = [Certificate]

    private let pki: VaultPKI
    private let refreshInterval: Duration

    /// A source for the CA chain of the PKI engine at `mount`.
    public init(client: VaultClient, mount: String = "pki", refreshInterval: Duration = .seconds(600)) {
        self.pki = client.pki(mount: mount)
        self.refreshInterval = refreshInterval
    }

    public var name: String { "vault-pki-ca:\(self.pki.mount)" }

    public func fetch() async throws -> Credential<[Certificate]> {
        let now = self.pki.client.clock.now
        let chain = try await self.pki.caChain()
        return Credential(
            value: chain, issuedAt: now, expiresAt: chain.map(\.notValidAfter).min(),
            refreshHint: now.addingTimeInterval(self.refreshInterval.timeInterval),
            metadata: CredentialMetadata(sourceName: self.name, kind: "vault-pki-ca-chain"))
    }
}
