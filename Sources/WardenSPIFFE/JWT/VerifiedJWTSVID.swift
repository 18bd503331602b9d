public import Foundation
public import WardenCore

/// What ``JWTSVIDVerifier`` returns: a JWT-SVID whose signature, `sub`, `exp`, `nbf`, `iat` and `aud` were verified
/// against a bundle, beside ``VerifiedX509SVID`` for X509-SVIDs.
///
/// The token is a bearer credential, so it is kept as a `Secret`: the description names the ID, audience and expiry,
/// never the token.
public struct VerifiedJWTSVID: Sendable, Hashable, CustomStringConvertible {
    /// The SPIFFE ID in `sub`.
    public let id: SPIFFEID
    /// The audience.
    public let audience: [String]
    /// When the token expires.
    public let expiry: Date
    /// The verified header and claims.
    public let jwt: VerifiedJWT
    /// The token as it was presented.
    public let token: Secret<String>

    /// All claims of the token.
    public var claims: [String: JSONValue] { self.jwt.claims }

    /// `VerifiedJWTSVID(spiffe://example.org/api, aud: [billing], exp: 2026-…)`.
    public var description: String {
        "VerifiedJWTSVID(\(self.id), aud: [\(self.audience.joined(separator: ", "))], exp: \(self.expiry.formatted(.iso8601)))"
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.id == rhs.id && lhs.jwt == rhs.jwt && lhs.token.reveal() == rhs.token.reveal()
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.id)
        hasher.combine(self.jwt)
    }
}
