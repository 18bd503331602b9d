public import X509

/// The outcome of ``CertificateChainVerifier/verify(leaf:intermediates:at:dnsName:extendedKeyUsage:)``.
///
/// A chain that fails a rule is an expected outcome, not an exception: the result carries a ``PKIError`` whose code
/// names the rule (``PKIError/Code/expired``, ``PKIError/Code/unknownIssuer``, …) and whose message says
/// which certificate failed and what was found.
public enum ChainVerificationResult: Sendable, Hashable {
    /// The leaf chains to a trusted root and every rule holds. The chain runs from the leaf to the root.
    case valid([Certificate])
    /// The leaf does not verify; the error names the rule that failed.
    case invalid(PKIError)

    /// Whether the chain verified.
    public var isValid: Bool {
        if case .valid = self { return true }
        return false
    }

    /// The verified chain, leaf first, or `nil`.
    public var chain: [Certificate]? {
        if case .valid(let chain) = self { return chain }
        return nil
    }

    /// The reason the chain was rejected, or `nil`.
    public var error: PKIError? {
        if case .invalid(let error) = self { return error }
        return nil
    }
}
