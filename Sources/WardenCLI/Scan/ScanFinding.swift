import Foundation
import WardenCredentials
import WardenPKI
import WardenPrometheus

/// One machine identity `warden scan` found: a certificate, a private key, a CSR or a bundle, where it was, what it
/// is and what is wrong with it. `--json` prints one per line, in this shape; key material never appears.
struct ScanFinding: Encodable {
    enum Kind: String, Encodable {
        case certificate
        case privateKey = "private-key"
        case csr
        case bundle
    }

    /// The problem codes, each behind a documented, settable threshold (``ScanThresholds``).
    enum Problem: String, Encodable, CaseIterable {
        case expired
        case expiresSoon = "expires-soon"
        case notYetValid = "not-yet-valid"
        case weakKey = "weak-key"
        case sha1Signature = "sha1-signature"
        case selfSignedLeaf = "self-signed-leaf"
        case longLifetime = "long-lifetime"
        case keyReadableByOthers = "key-readable-by-others"
        case keyWithoutCertificate = "key-without-certificate"
        case chainIncomplete = "chain-incomplete"
        case hostnameMismatch = "hostname-mismatch"
    }

    var location: String
    var kind: Kind
    var subject: String?
    var issuer: String?
    var serial: String?
    var notBefore: Date?
    var notAfter: Date?
    var secondsLeft: Int?
    var spiffeID: String?
    var dnsNames: [String]?
    var keyType: String?
    var keyBits: Int?
    var fingerprintSHA256: String?
    var problems: [Problem] = []
    /// For a private key: where the certificate it belongs to was found.
    var certificateLocation: String?
    /// For a private key: whether it is encrypted (its type and certificate cannot then be told).
    var encrypted: Bool?
    /// The `--owner-label` pairs.
    var labels: [String: String]?
    /// For a certificate: its fields as the `x509_cert_*` metrics label them (not printed).
    var observation: CertificateObservation?

    /// The finding in the inventory's model, which `--serve` exposes beside the providers' credentials. Owner is the
    /// `owner` label, when one was given.
    var inventoryEntry: CredentialInventory.Entry {
        CredentialInventory.Entry(
            name: self.location,
            kind: self.kind.rawValue,
            owner: self.labels?["owner"],
            source: self.location,
            isManaged: false,
            notBefore: self.notBefore,
            expiresAt: self.notAfter,
            status: CredentialInventory.Entry.unmanagedStatus
        )
    }

    private enum CodingKeys: String, CodingKey {
        case location, kind, subject, issuer, serial, notBefore, notAfter, secondsLeft, spiffeID, dnsNames, keyType
        case keyBits, fingerprintSHA256, problems, certificateLocation, encrypted, labels
    }

    /// Every documented field is present (null when it does not apply), so that consumers see one shape.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.location, forKey: .location)
        try container.encode(self.kind, forKey: .kind)
        try container.encode(self.subject, forKey: .subject)
        try container.encode(self.issuer, forKey: .issuer)
        try container.encode(self.serial, forKey: .serial)
        try container.encode(self.notBefore, forKey: .notBefore)
        try container.encode(self.notAfter, forKey: .notAfter)
        try container.encode(self.secondsLeft, forKey: .secondsLeft)
        try container.encode(self.spiffeID, forKey: .spiffeID)
        try container.encode(self.dnsNames, forKey: .dnsNames)
        try container.encode(self.keyType, forKey: .keyType)
        try container.encode(self.keyBits, forKey: .keyBits)
        try container.encode(self.fingerprintSHA256, forKey: .fingerprintSHA256)
        try container.encode(self.problems, forKey: .problems)
        try container.encodeIfPresent(self.certificateLocation, forKey: .certificateLocation)
        try container.encodeIfPresent(self.encrypted, forKey: .encrypted)
        try container.encodeIfPresent(self.labels, forKey: .labels)
    }
}

/// A target `warden scan` could not read: reported, and the scan goes on.
struct ScanFailure: Encodable {
    let location: String
    let error: String
}
