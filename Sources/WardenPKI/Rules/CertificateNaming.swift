package import Foundation
package import X509

/// How every rule names a certificate in its message: its place in the chain and its subject, so that an operator
/// can find it (`the leaf (CN=payments)`, `certificate 2 of the chain (CN=Issuing CA)`).
package enum CertificateNaming {
    package static func name(_ certificate: Certificate, at index: Int) -> String {
        let role = index == 0 ? "the leaf" : "certificate \(index + 1) of the chain"
        let subject = Self.subject(certificate.subject)
        return "\(role) (\(subject.isEmpty ? "empty subject" : subject))"
    }

    package static func subject(_ name: DistinguishedName) -> String {
        DistinguishedNameFormatter.string(from: name)
    }

    package static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
