/// Why a certificate was revoked: the `reasonCode` of a CRL entry or an OCSP `RevokedInfo` (RFC 5280 §5.3.1).
public struct CRLReason: Hashable, Sendable, CustomStringConvertible {
    /// The `CRLReason` enumeration's value.
    public let rawValue: Int

    /// Wraps a `CRLReason` value as found in a CRL or an OCSP response; values RFC 5280 does not define keep their
    /// number.
    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    public static let unspecified = CRLReason(rawValue: 0)
    public static let keyCompromise = CRLReason(rawValue: 1)
    public static let caCompromise = CRLReason(rawValue: 2)
    public static let affiliationChanged = CRLReason(rawValue: 3)
    public static let superseded = CRLReason(rawValue: 4)
    public static let cessationOfOperation = CRLReason(rawValue: 5)
    public static let certificateHold = CRLReason(rawValue: 6)
    /// Only in delta CRLs: the certificate is no longer revoked (a hold was released).
    public static let removeFromCRL = CRLReason(rawValue: 8)
    public static let privilegeWithdrawn = CRLReason(rawValue: 9)
    public static let aaCompromise = CRLReason(rawValue: 10)

    /// RFC 5280's name for the reason (`keyCompromise`), or `reason N` for a value it does not define.
    public var description: String {
        switch self.rawValue {
        case 0: "unspecified"
        case 1: "keyCompromise"
        case 2: "cACompromise"
        case 3: "affiliationChanged"
        case 4: "superseded"
        case 5: "cessationOfOperation"
        case 6: "certificateHold"
        case 8: "removeFromCRL"
        case 9: "privilegeWithdrawn"
        case 10: "aACompromise"
        default: "reason \(self.rawValue)"
        }
    }
}
