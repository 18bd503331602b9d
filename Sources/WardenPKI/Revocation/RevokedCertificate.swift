public import Foundation
public import X509

/// One entry of a ``CertificateRevocationList``: a serial number its issuer has revoked.
public struct RevokedCertificate: Hashable, Sendable {
    /// The revoked certificate's serial number.
    public let serialNumber: Certificate.SerialNumber
    /// When the issuer revoked it.
    public let revocationDate: Date
    /// Why, when the entry says (the `reasonCode` extension).
    public let reason: CRLReason?
    /// When the key is known or suspected to have been compromised, when the entry says (`invalidityDate`).
    public let invalidityDate: Date?

    public init(serialNumber: Certificate.SerialNumber, revocationDate: Date, reason: CRLReason?, invalidityDate: Date?)
    {
        self.serialNumber = serialNumber
        self.revocationDate = revocationDate
        self.reason = reason
        self.invalidityDate = invalidityDate
    }
}
