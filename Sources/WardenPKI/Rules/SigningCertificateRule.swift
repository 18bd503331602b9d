package import X509

/// The rule every certificate that signs others must meet: a CA (basic constraints cA=true) whose key usage, when
/// present, has keyCertSign (RFC 5280 §4.2.1.3, §4.2.1.9).
///
/// One rule for the two verifiers that need it: ``CertificateChainVerifier`` reports a violation as a ``PKIError``,
/// WardenSPIFFE as a SPIFFE error. The SPIFFE profile is stricter and sets `requireKeyUsage`, since X509-SVID §4.3
/// requires signing certificates to carry keyCertSign.
package enum SigningCertificateRule {
    package enum Violation: Error {
        case malformedExtension(String)
        case notCA(basicConstraintsAbsent: Bool)
        case missingKeyCertSign
    }

    /// Checks `certificate`; returns its pathLenConstraint (nil when unbounded) when it may sign.
    package static func check(_ certificate: Certificate, requireKeyUsage: Bool) throws(Violation) -> Int? {
        let constraints: BasicConstraints?
        let keyUsage: KeyUsage?
        do {
            constraints = try certificate.extensions.basicConstraints
            keyUsage = try certificate.extensions.keyUsage
        } catch {
            throw .malformedExtension("\(error)")
        }
        guard case .isCertificateAuthority(let pathLength) = constraints else {
            throw .notCA(basicConstraintsAbsent: constraints == nil)
        }
        if let keyUsage {
            guard keyUsage.keyCertSign else { throw .missingKeyCertSign }
        } else if requireKeyUsage {
            throw .missingKeyCertSign
        }
        return pathLength
    }
}
