/// How much work one chain verification may do before it gives up with
/// ``PKIError/Code/verificationBudgetExceeded``: a hostile peer chooses the certificates, and path building and name
/// constraints grow combinatorially with them.
///
/// The defaults are far above what any real chain needs (the Web PKI's deepest have three intermediates; name
/// constraints rarely list more than a few dozen subtrees) and keep every verification within milliseconds.
public struct VerificationLimits: Sendable, Hashable {
    /// The most intermediates in a path, not counting self-issued ones (RFC 5280 §6.1, as `pathLenConstraint`
    /// counts). A longer path is ``PKIError/Code/pathLengthExceeded``. Default 8.
    public var maximumIntermediates: Int
    /// The most candidate issuers tried while building paths, each costing a signature check. Default 100 (the Go
    /// standard library's bound).
    public var maximumIssuerCandidates: Int
    /// The most comparisons of a name with a name-constraint subtree, over all candidate paths. Default 65,536.
    public var maximumNameConstraintComparisons: Int

    public init(
        maximumIntermediates: Int = 8,
        maximumIssuerCandidates: Int = 100,
        maximumNameConstraintComparisons: Int = 65_536
    ) {
        self.maximumIntermediates = maximumIntermediates
        self.maximumIssuerCandidates = maximumIssuerCandidates
        self.maximumNameConstraintComparisons = maximumNameConstraintComparisons
    }

    public static let `default` = VerificationLimits()
}
