package import X509

/// What RFC 5280 asks of a CA certificate in a path beyond ``SigningCertificateRule``: its basic constraints marked
/// critical (§4.2.1.9) and a non-empty subject (§4.1.2.6), since its subject is the issuer name of what it signs.
package enum CertificateAuthorityRule {
    package static func check(_ issuer: Certificate, at index: Int) throws(PKIError) {
        let name = CertificateNaming.name(issuer, at: index)
        // An absent extension is ``SigningCertificateRule``'s to report (not a CA).
        if let constraints = issuer.extensions[oid: .X509ExtensionID.basicConstraints], !constraints.critical {
            throw PKIError(
                .invalidBasicConstraints,
                "\(name) is a CA whose basic constraints are not marked critical (RFC 5280 §4.2.1.9)"
            )
        }
        // id-ce-policyConstraints
        if let constraints = issuer.extensions[oid: [2, 5, 29, 36]], !constraints.critical {
            throw PKIError(
                .chainPolicyViolation,
                "\(name) has policy constraints not marked critical (RFC 5280 §4.2.1.11)"
            )
        }
        if issuer.subject.isEmpty {
            throw PKIError(.invalidDistinguishedName, "\(name) is a CA with an empty subject (RFC 5280 §4.1.2.6)")
        }
    }
}
