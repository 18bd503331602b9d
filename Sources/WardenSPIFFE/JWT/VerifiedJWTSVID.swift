public import Foundation
public import WardenCore

/// What ``JWTSVIDVerifier`` returns: a ``JWTSVID`` whose signature, `sub`, `exp`, `nbf`, `iat` and `aud` were verified
/// against a bundle, beside ``VerifiedX509SVID`` for X509-SVIDs.
///
/// The token is a bearer credential, kept as a `Secret`: the description names the ID, audience and expiry, never the
/// token.
public struct VerifiedJWTSVID: Sendable, Hashable, CustomStringConvertible {
    /// The JWT-SVID that verified.
    public let svid: JWTSVID

    /// The SPIFFE ID in `sub`.
    public var id: SPIFFEID { self.svid.id }
    /// The audience.
    public var audience: [String] { self.svid.audience }
    /// When the token expires.
    public var expiry: Date { self.svid.expiry }
    /// The verified header and claims.
    public var jwt: VerifiedJWT { self.svid.jwt }
    /// The token as it was presented.
    public var token: Secret<String> { self.svid.token }
    /// All claims of the token.
    public var claims: [String: JSONValue] { self.svid.claims }

    init(svid: JWTSVID) {
        self.svid = svid
    }

    /// `Verified JWTSVID(spiffe://example.org/api, aud: [billing], exp: 2026-…)`.
    public var description: String { "Verified \(self.svid)" }
}
