import Crypto
import SwiftASN1
public import WardenCore
public import X509

/// Everything a person or a tool wants to know about one certificate, decoded once into plain values.
///
/// ```swift
/// for decoded in try CertificateDecoder.load(from: "chain.pem") {
///     let info = try CertificateInfo(decoded)
///     print(info.subject, info.validity.notAfter, info.subjectAlternativeNames.uri)
/// }
/// ```
public struct CertificateInfo: Hashable, Sendable, Codable {
    /// Basic constraints: whether the certificate is a CA, and its path length limit.
    public struct BasicConstraintsInfo: Hashable, Sendable, Codable {
        /// The `cA` flag.
        public var isCA: Bool
        /// The `pathLenConstraint`, if any.
        public var pathLength: Int?

        /// Creates basic constraints.
        public init(isCA: Bool, pathLength: Int?) {
            self.isCA = isCA
            self.pathLength = pathLength
        }
    }

    /// One extension: its OID, a name when Warden knows it, and its criticality.
    public struct ExtensionInfo: Hashable, Sendable, Codable {
        /// The dotted OID, for example `2.5.29.17`.
        public var oid: String
        /// The extension's name, for example `subjectAltName`, or `nil` when unknown.
        public var name: String?
        /// Whether the extension is marked critical.
        public var critical: Bool

        /// Creates an extension description.
        public init(oid: String, name: String?, critical: Bool) {
            self.oid = oid
            self.name = name
            self.critical = critical
        }
    }

    /// The X.509 version: 1 or 3 (swift-certificates rejects version 2, which no issuer uses).
    public var version: Int
    /// The serial number as uppercase hex without separators, leading zero bytes removed.
    public var serialNumber: String
    /// The subject as an RFC 4514 string.
    public var subject: String
    /// The issuer as an RFC 4514 string.
    public var issuer: String
    /// The validity window (notBefore, notAfter).
    public var validity: ValidityWindow
    /// The subject alternative names by kind; empty when the extension is absent.
    public var subjectAlternativeNames: SubjectAlternativeNameList
    /// The key usage bits set, by RFC 5280 name; `nil` when the extension is absent.
    public var keyUsage: [String]?
    /// The extended key usages, by name (`serverAuth`, `clientAuth`, …) or OID; `nil` when the extension is absent.
    public var extendedKeyUsage: [String]?
    /// Basic constraints; `nil` when the extension is absent.
    public var basicConstraints: BasicConstraintsInfo?
    /// The subject key identifier as uppercase hex with colons; `nil` when absent.
    public var subjectKeyIdentifier: String?
    /// The key identifier of the authority key identifier extension, as uppercase hex with colons; `nil` when absent.
    public var authorityKeyIdentifier: String?
    /// The signature algorithm, by its OpenSSL name (`ecdsa-with-SHA256`, `sha256WithRSAEncryption`, `ED25519`).
    public var signatureAlgorithm: String
    /// The subject public key's algorithm, curve and size.
    public var publicKey: PublicKeyInfo
    /// The SHA-256 fingerprint of the DER encoding, as uppercase hex with colons (as `openssl x509 -fingerprint`).
    public var sha256Fingerprint: String
    /// Whether subject and issuer are the same name.
    public var isSelfIssued: Bool
    /// Whether the certificate is self-issued, its authority key identifier (if any) matches its own subject key
    /// identifier, and its key usage (if any) allows certificate signing: OpenSSL's definition. The signature itself
    /// is checked by ``CertificateInfo/verifySelfSignature(of:)``.
    public var isSelfSigned: Bool
    /// Every extension in order, with OID and criticality.
    public var extensions: [ExtensionInfo]
    /// Encoding errors that inspection tolerated, such as a key usage BIT STRING with non-zero padding bits, which
    /// some CA roots carry. Empty for a well-formed certificate.
    public var anomalies: [String]

    /// Inspects a decoded certificate.
    ///
    /// - Throws: ``PKIError`` with ``PKIError/Code/malformedCertificate`` when a known extension does not decode.
    public init(_ decoded: CertificateDecoder.Decoded) throws {
        try self.init(decoded.certificate, derBytes: decoded.derBytes)
    }

    /// Inspects a certificate whose DER bytes are at hand.
    public init(_ certificate: Certificate, derBytes: [UInt8]) throws {
        self.version = certificate.version == .v1 ? 1 : 3
        self.serialNumber = Self.serialHex(certificate.serialNumber.bytes)
        self.subject = DistinguishedNameFormatter.string(from: certificate.subject)
        self.issuer = DistinguishedNameFormatter.string(from: certificate.issuer)
        self.validity = ValidityWindow(notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter)
        self.signatureAlgorithm = ObjectIdentifierNames.signatureAlgorithmName(certificate.signatureAlgorithm)
        self.publicKey = PublicKeyInfo(certificate.publicKey)
        self.sha256Fingerprint = Hex.encode(Array(SHA256.hash(data: derBytes)), separator: UInt8(ascii: ":"))

        let extensions = certificate.extensions
        do {
            self.subjectAlternativeNames =
                try extensions.subjectAlternativeNames.map(SubjectAlternativeNameList.init)
                ?? SubjectAlternativeNameList()
            let keyUsage = try KeyUsageBits.decode(extensions)
            self.keyUsage = keyUsage?.names
            self.anomalies = keyUsage?.anomaly.map { [$0] } ?? []
            self.extendedKeyUsage = try extensions.extendedKeyUsage.map {
                $0.map(ObjectIdentifierNames.extendedKeyUsageName)
            }
            self.basicConstraints = try extensions.basicConstraints.map { constraints in
                switch constraints {
                case .isCertificateAuthority(let maxPathLength):
                    BasicConstraintsInfo(isCA: true, pathLength: maxPathLength)
                case .notCertificateAuthority: BasicConstraintsInfo(isCA: false, pathLength: nil)
                }
            }
            self.subjectKeyIdentifier = try extensions.subjectKeyIdentifier.map {
                Hex.encode($0.keyIdentifier, separator: UInt8(ascii: ":"))
            }
            self.authorityKeyIdentifier = try extensions.authorityKeyIdentifier.flatMap {
                $0.keyIdentifier.map { Hex.encode($0, separator: UInt8(ascii: ":")) }
            }
        } catch {
            throw PKIError(
                .malformedCertificate,
                "certificate \(DistinguishedNameFormatter.string(from: certificate.subject)) has a malformed extension: \(error)"
            )
        }
        self.extensions = extensions.map {
            ExtensionInfo(
                oid: $0.oid.description,
                name: ObjectIdentifierNames.extensionName($0.oid),
                critical: $0.critical
            )
        }
        self.isSelfIssued = certificate.subject == certificate.issuer
        self.isSelfSigned =
            self.isSelfIssued
            && (self.authorityKeyIdentifier == nil || self.authorityKeyIdentifier == self.subjectKeyIdentifier)
            && (self.keyUsage?.contains("keyCertSign") ?? true)
    }

    /// Inspects one DER-encoded certificate.
    public init(derEncoded der: [UInt8]) throws {
        try self.init(CertificateDecoder.certificate(derEncoded: der), derBytes: der)
    }

    /// Whether `certificate`'s signature verifies with its own public key: the cryptographic half of "self-signed".
    public static func verifySelfSignature(of certificate: Certificate) -> Bool {
        certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    private static func serialHex(_ bytes: ArraySlice<UInt8>) -> String {
        let significant = bytes.drop(while: { $0 == 0 })
        return significant.isEmpty ? "00" : Hex.encode(significant)
    }
}
