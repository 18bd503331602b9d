public import Foundation
public import WardenCore

/// Verifies JWTs signed by the keys of a JWKS, such as OIDC ID tokens: the generic verifier that the JWT-SVID profile
/// (``JWTSVIDVerifier``) builds on.
///
/// ```swift
/// let verifier = try JWTVerifier(keys: try JWTKeySet.parse(jwks: jwksBytes), audiences: ["my-service"],
///                                issuer: "https://accounts.example.com")
/// let token = try verifier.verify(tokenString)
/// ```
///
/// The rules: compact JWS only; `alg` from the policy's allow-list (never `none` or HMAC); the key named by `kid`, and
/// `kid` required by default; the key's type must fit `alg`; `typ`, when present, `JWT` or `JOSE`; no `crit`; `exp`
/// required and `nbf`/`iat` honoured with the policy's leeway; `aud` must contain an expected audience; `iss` must
/// match when an issuer is given. Header members that point elsewhere for keys (`jku`, `jwk`, `x5u`, `x5c`) are
/// never used.
public struct JWTVerifier: Sendable {
    /// The keys.
    public let keys: JWTKeySet
    /// The audiences this service accepts tokens for.
    public let audiences: Set<String>
    /// The issuer tokens must name in `iss`, if any.
    public let issuer: String?
    /// The rules.
    public let policy: JWTVerificationPolicy
    private let clock: any WardenClock

    /// Creates a verifier.
    ///
    /// - Throws: ``SPIFFEError/Code/invalidConfiguration`` when `audiences` is empty.
    public init(
        keys: JWTKeySet,
        audiences: Set<String>,
        issuer: String? = nil,
        policy: JWTVerificationPolicy = JWTVerificationPolicy(),
        clock: any WardenClock = SystemClock()
    ) throws(SPIFFEError) {
        try JWTVerification.requireAudiences(audiences)
        self.keys = keys
        self.audiences = audiences
        self.issuer = issuer
        self.policy = policy
        self.clock = clock
    }

    /// Verifies a compact JWS.
    ///
    /// - Throws: ``SPIFFEError`` whose code names the rule that failed.
    public func verify(_ token: String, at time: Date? = nil) throws(SPIFFEError) -> VerifiedJWT {
        let verified = try JWTVerification.withUTF8(token) { bytes throws(SPIFFEError) in
            let decoded = try JWTVerification.decode(bytes, policy: self.policy)
            let key = try self.keys.key(for: decoded, policy: self.policy)
            try JWTVerification.checkSignature(decoded, key: key, keyName: JWTKeySet.keyName(decoded))
            return try JWTVerification.checkClaims(
                decoded,
                audiences: self.audiences,
                time: time ?? self.clock.now,
                leeway: self.policy.leeway
            )
        }
        if let issuer, verified.issuer != issuer {
            throw SPIFFEError(
                .invalidClaim,
                "claim \"iss\" is \(verified.issuer.map { "\"\($0)\"" } ?? "absent"), not \"\(issuer)\""
            )
        }
        return verified
    }
}
