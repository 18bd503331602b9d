package import Foundation
package import X509

/// RFC 5280 §4.1.2.5: a certificate is valid from notBefore to notAfter, both included, at the verification time.
package enum ValidityRule {
    package enum Violation: Error {
        case notYetValid
        case expired
    }

    package static func check(_ certificate: Certificate, at time: Date) throws(Violation) {
        if time < certificate.notValidBefore { throw .notYetValid }
        if time > certificate.notValidAfter { throw .expired }
    }

    /// The message every verifier gives for `violation` of the certificate at `index`.
    package static func message(
        _ violation: Violation,
        _ certificate: Certificate,
        at index: Int,
        time: Date
    ) -> String {
        let name = CertificateNaming.name(certificate, at: index)
        let when = "(verification time \(CertificateNaming.format(time)))"
        switch violation {
        case .notYetValid:
            return "\(name) is not valid before \(CertificateNaming.format(certificate.notValidBefore)) \(when)"
        case .expired:
            return "\(name) expired at \(CertificateNaming.format(certificate.notValidAfter)) \(when)"
        }
    }
}
