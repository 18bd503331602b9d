package import SwiftASN1
package import X509

/// RFC 5280 §4.2: a certificate with a critical extension the verifier does not process must be rejected.
package enum CriticalExtensionRule {
    /// The extensions both verifiers process: basic constraints and key usage (the signing-certificate rule), name
    /// constraints, and the SAN and EKU (names and usages are checked against them). Without the SAN, a certificate
    /// with an empty subject and the critical SAN RFC 5280 §4.2.1.6 requires would be refused.
    package static let handled: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.basicConstraints,
        .X509ExtensionID.keyUsage,
        .X509ExtensionID.nameConstraints,
        .X509ExtensionID.subjectAlternativeName,
        .X509ExtensionID.extendedKeyUsage,
    ]

    /// The first critical extension of `certificate` that is not handled, if any.
    package static func firstUnhandled(in certificate: Certificate) -> ASN1ObjectIdentifier? {
        certificate.extensions.first { $0.critical && !Self.handled.contains($0.oid) }?.oid
    }

    package static func message(_ oid: ASN1ObjectIdentifier, _ certificate: Certificate, at index: Int) -> String {
        "\(CertificateNaming.name(certificate, at: index)) has critical extension \(oid) that the verifier does not process"
    }
}
