public import X509

/// What ``CertificateChainVerifier/verify(leaf:intermediates:at:dnsName:extendedKeyUsage:)`` returns when every rule
/// holds: the path from the leaf to a trusted root.
///
/// A chain that fails a rule is thrown as a ``PKIError`` whose code names the rule (``PKIError/Code/expired``,
/// ``PKIError/Code/unknownIssuer``, …) and whose message says which certificate failed and what was found, as the
/// SPIFFE verifiers throw a `SPIFFEError` and return a `VerifiedX509SVID`.
public struct VerifiedCertificateChain: Sendable, Hashable {
    /// The path, leaf first, ending with the trusted root.
    public let certificates: [Certificate]

    /// The leaf that was verified.
    public var leaf: Certificate { self.certificates[0] }

    /// The trusted root the path ends at.
    public var root: Certificate { self.certificates[self.certificates.count - 1] }

    /// The revocation status of each certificate the verifier's ``RevocationPolicy`` checked, leaf first; empty
    /// with ``RevocationPolicy/none``. A soft-fail policy's accepted unknowns are here, as
    /// ``RevocationCheck/Status/unknown(reason:)``.
    public let revocationChecks: [RevocationCheck]

    /// Whether every certificate the policy checked is known not to be revoked (true when nothing was checked).
    public var isRevocationStatusKnown: Bool {
        self.revocationChecks.allSatisfy { if case .good = $0.status { true } else { false } }
    }

    init(_ certificates: [Certificate], revocationChecks: [RevocationCheck] = []) {
        precondition(!certificates.isEmpty, "a verified chain has at least its leaf")
        self.certificates = certificates
        self.revocationChecks = revocationChecks
    }
}
