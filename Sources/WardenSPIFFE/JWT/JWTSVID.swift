public import Foundation
public import WardenCore

/// A JWT-SVID: a workload's SPIFFE ID in a signed JWT, as ``JWTSigner`` mints it. ``JWTSVIDVerifier`` returns one inside
/// a ``VerifiedJWTSVID``.
///
/// The token is a bearer credential, so it is kept as a `Secret`: the description names the ID, audience and expiry,
/// never the token.
public struct JWTSVID: Sendable, Hashable, CustomStringConvertible {
    /// The SPIFFE ID in `sub`.
    public let id: SPIFFEID
    /// The audience.
    public let audience: [String]
    /// When the token expires.
    public let expiry: Date
    /// The verified header and claims.
    public let jwt: VerifiedJWT
    /// The token as it was minted or presented.
    public let token: Secret<String>

    /// All claims of the token.
    public var claims: [String: JSONValue] { self.jwt.claims }

    /// `JWTSVID(spiffe://example.org/api, aud: [billing], exp: 2026-…)`.
    public var description: String {
        "JWTSVID(\(self.id), aud: [\(self.audience.joined(separator: ", "))], exp: \(self.expiry.formatted(.iso8601)))"
    }

    public static func == (lhs: JWTSVID, rhs: JWTSVID) -> Bool {
        lhs.id == rhs.id && lhs.jwt == rhs.jwt && lhs.token.reveal() == rhs.token.reveal()
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.id)
        hasher.combine(self.jwt)
    }
}
