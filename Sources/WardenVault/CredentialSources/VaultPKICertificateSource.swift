import Synchronization
public import WardenCredentials
public import WardenPKI
import X509

/// A certificate from the PKI engine as a rotating credential: a key is generated in this process, a CSR is signed by
/// Vault (`sign`), and the certificate is re-issued ahead of its expiry with a fresh key. The key never leaves the
/// process.
///
/// Each certificate is a revocable lease (``issuesLeases``): the one held is revoked (`<mount>/revoke`) when the
/// provider shuts down, unless ``RotationPolicy/revokeOnShutdown`` is `false`; the token needs `update` on that path.
/// With `revokesReplacedCertificates`, each re-issue also revokes the certificate it replaces, so that a relying
/// service checking the mount's CRL or OCSP responder refuses a superseded certificate (connections already open
/// with it are not affected).
public struct VaultPKICertificateSource: CredentialSource {
    public typealias Value = CertificateAndKey

    private let pki: VaultPKI
    private let role: String
    private let commonName: String
    private let uris: [String]
    private let dnsNames: [String]
    private let keyType: KeyType
    private let ttl: Duration?
    /// Whether a new certificate's issue revokes the one it replaces.
    public let revokesReplacedCertificates: Bool
    private let previousSerial = PreviousSerial()

    /// A source for certificates of `role`, for `commonName` with the given SANs.
    public init(
        client: VaultClient,
        mount: String = "pki",
        role: String,
        commonName: String,
        dnsNames: [String] = [],
        uris: [String] = [],
        keyType: KeyType = .p256,
        ttl: Duration? = nil,
        revokesReplacedCertificates: Bool = false
    ) {
        self.revokesReplacedCertificates = revokesReplacedCertificates
        self.pki = client.pki(mount: mount)
        self.role = role
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.uris = uris
        self.keyType = keyType
        self.ttl = ttl
    }

    public var name: String { "vault-pki:\(self.pki.mount)/\(self.role)" }

    /// `true`: a certificate can be revoked before it expires.
    public var issuesLeases: Bool { true }

    public func fetch() async throws -> Credential<CertificateAndKey> {
        let key = try PrivateKey.generate(self.keyType)
        // Built as a name, not parsed from text: a common name with a comma or an equals sign stays one attribute.
        var builder = CSRBuilder(subject: try DistinguishedName { CommonName(self.commonName) })
        builder.dnsNames = [self.commonName] + self.dnsNames
        builder.uris = self.uris
        let issued = try await self.pki.sign(
            role: self.role,
            csr: try builder.pemEncoded(signingWith: key),
            commonName: self.commonName,
            ttl: self.ttl
        )
        let certificate = issued.certificate
        if let replaced = self.previousSerial.exchange(issued.serialNumber), self.revokesReplacedCertificates {
            do {
                try await self.pki.revoke(serialNumber: replaced)
            } catch {
                // The new certificate is good; the old one stays valid until it expires, which is what happens
                // without this option. Said, not thrown.
                self.pki.client.logger.warning(
                    "could not revoke the replaced certificate",
                    metadata: ["source": "\(self.name)", "serial": "\(replaced)", "error": "\(error)"]
                )
            }
        }
        return Credential(
            value: CertificateAndKey(chain: [certificate] + issued.caChain, privateKey: key, bundle: []),
            issuedAt: certificate.notValidBefore,
            expiresAt: certificate.notValidAfter,
            metadata: CredentialMetadata(
                sourceName: self.name,
                kind: "vault-pki-certificate",
                identifier: issued.serialNumber
            )
        )
    }

    /// Revokes the certificate by its serial number.
    public func revoke(_ credential: Credential<CertificateAndKey>) async throws {
        guard let serialNumber = credential.metadata.identifier, !serialNumber.isEmpty else { return }
        try await self.pki.revoke(serialNumber: serialNumber)
    }
}

/// The serial of the last certificate a source issued, for revocation on replacement.
final class PreviousSerial: Sendable {
    private let serial = Mutex<String?>(nil)

    /// Stores `new` and returns the serial it replaces.
    func exchange(_ new: String) -> String? {
        self.serial.withLock { old in
            defer { old = new }
            return old
        }
    }
}
