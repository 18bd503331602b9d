public import Foundation
public import WardenCore
public import WardenSPIFFE

/// A JWT-SVID the Workload API issued to this workload, for the audience asked for.
///
/// Its claims are read without checking the signature: the token comes from the local agent over the Workload API,
/// and is for the workload to present, not to trust. A service that receives a JWT-SVID verifies it with
/// `JWTSVIDVerifier` or ``WorkloadAPIClient/validateJWTSVID(_:audience:timeout:)``.
///
/// The description names the SPIFFE ID, the audience and the expiry, never the token.
public struct WorkloadJWTSVID: Sendable, CustomStringConvertible {
    /// The SPIFFE ID (`sub`).
    public let id: SPIFFEID
    /// The token, compact JWS.
    public let token: Secret<String>
    /// The audience (`aud`).
    public let audience: [String]
    /// When it expires (`exp`).
    public let expiry: Date
    /// The operator's name for this SVID among several (`hint`), empty when none was given.
    public let hint: String

    public var description: String {
        "WorkloadJWTSVID(\(self.id), audience: \(self.audience), expires: \(self.expiry))"
    }
}
