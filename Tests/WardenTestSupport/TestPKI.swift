import Crypto
import Foundation
import SwiftASN1
import WardenPKI
import X509

/// Certificates made in code for tests: roots, intermediates and leaves with exactly the properties a test needs.
public enum TestPKI {
    public static let epoch = Date(timeIntervalSince1970: 1_700_000_000)

    public struct Issued: Sendable {
        public let certificate: Certificate
        public let key: PrivateKey
        public var der: [UInt8] { TestPKI.der(self.certificate) }
        public var pem: String { PEM.encode(label: "CERTIFICATE", derBytes: self.der) }
    }

    public static func name(_ rfc4514: String) -> DistinguishedName {
        try! DistinguishedNameFormatter.parse(rfc4514)
    }

    public static func der(_ certificate: Certificate) -> [UInt8] {
        var serializer = DER.Serializer()
        try! serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    /// Issues a certificate. `issuer` nil means self-signed with `key`.
    public static func issue(
        subject: String,
        key: PrivateKey? = nil,
        keyType: KeyType = .p256,
        issuer: Issued? = nil,
        isCA: Bool = false,
        pathLength: Int? = nil,
        includeBasicConstraints: Bool = true,
        keyUsage: KeyUsage? = nil,
        extendedKeyUsage: [ExtendedKeyUsage.Usage]? = nil,
        sans: [GeneralName] = [],
        sanCritical: Bool = false,
        notBefore: Date = TestPKI.epoch.addingTimeInterval(-86_400),
        notAfter: Date = TestPKI.epoch.addingTimeInterval(86_400 * 365),
        serial: Certificate.SerialNumber = Certificate.SerialNumber(),
        extraExtensions: [Certificate.Extension] = [],
        omitKeyUsage: Bool = false
    ) throws -> Issued {
        let key = try key ?? PrivateKey.generate(keyType)
        let subjectName = Self.name(subject)
        let signer = issuer?.key ?? key
        var extensions = Certificate.Extensions()
        if includeBasicConstraints {
            try extensions.append(
                Certificate.Extension(
                    isCA
                        ? BasicConstraints.isCertificateAuthority(maxPathLength: pathLength) : .notCertificateAuthority,
                    critical: true
                )
            )
        }
        let usage = keyUsage ?? (isCA ? KeyUsage(keyCertSign: true, cRLSign: true) : KeyUsage(digitalSignature: true))
        if !omitKeyUsage { try extensions.append(Certificate.Extension(usage, critical: true)) }
        if let extendedKeyUsage {
            try extensions.append(Certificate.Extension(try ExtendedKeyUsage(extendedKeyUsage), critical: false))
        }
        if !sans.isEmpty {
            try extensions.append(Certificate.Extension(SubjectAlternativeNames(sans), critical: sanCritical))
        }
        let keyID = Array(Insecure.SHA1.hash(data: key.publicKey.subjectPublicKeyInfoBytes))
        try extensions.append(Certificate.Extension(SubjectKeyIdentifier(keyIdentifier: keyID[...]), critical: false))
        if let issuer {
            let issuerKeyID = Array(Insecure.SHA1.hash(data: issuer.key.publicKey.subjectPublicKeyInfoBytes))
            try extensions.append(
                Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: issuerKeyID[...]), critical: false)
            )
        }
        for ext in extraExtensions { try extensions.append(ext) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: serial,
            publicKey: key.publicKey,
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: issuer?.certificate.subject ?? subjectName,
            subject: subjectName,
            signatureAlgorithm: signer.signatureAlgorithm,
            extensions: extensions,
            issuerPrivateKey: signer.certificatePrivateKey
        )
        return Issued(certificate: certificate, key: key)
    }

    /// A root, an intermediate and a leaf for `leaf.example.com`, all P-256 unless told otherwise.
    public struct Chain: Sendable {
        public let root: Issued
        public let intermediate: Issued
        public let leaf: Issued
    }

    public static func chain(
        keyType: KeyType = .p256,
        leafSANs: [GeneralName] = [.dnsName("leaf.example.com")],
        leafSubject: String = "CN=leaf.example.com,O=Warden Tests"
    ) throws -> Chain {
        let root = try Self.issue(subject: "CN=Warden Test Root,O=Warden Tests", keyType: keyType, isCA: true)
        let intermediate = try Self.issue(
            subject: "CN=Warden Test Intermediate,O=Warden Tests",
            keyType: keyType,
            issuer: root,
            isCA: true,
            pathLength: 0
        )
        let leaf = try Self.issue(
            subject: leafSubject,
            keyType: keyType,
            issuer: intermediate,
            extendedKeyUsage: [.serverAuth, .clientAuth],
            sans: leafSANs
        )
        return Chain(root: root, intermediate: intermediate, leaf: leaf)
    }
}
