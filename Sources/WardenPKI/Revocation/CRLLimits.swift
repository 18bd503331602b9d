/// Bounds on the CRLs Warden reads, checked before the work they would cost: a CRL comes from a network location and
/// can be hostile or simply enormous.
///
/// The defaults hold the largest public CRLs (a few hundred thousand entries, tens of megabytes in the worst Web PKI
/// cases are split by distribution point) with room to spare.
public struct CRLLimits: Sendable, Hashable {
    /// The largest encoded CRL accepted, in bytes, PEM or DER. Default 32 MiB.
    public var maximumSize: Int
    /// The most revoked-certificate entries accepted. Default 1,000,000.
    public var maximumEntries: Int

    public init(maximumSize: Int = 32 * 1024 * 1024, maximumEntries: Int = 1_000_000) {
        self.maximumSize = maximumSize
        self.maximumEntries = maximumEntries
    }

    /// The defaults: 32 MiB and 1,000,000 entries.
    public static let `default` = CRLLimits()
}
