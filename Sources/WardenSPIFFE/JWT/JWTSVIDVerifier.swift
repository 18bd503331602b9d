public import Foundation
import Synchronization
public import WardenCore

/// Verifies JWT-SVIDs (`JWT-SVID.md`) against the JWT authorities of a bundle set.
///
/// ```swift
/// let verifier = try JWTSVIDVerifier(bundles: bundles, audiences: ["billing"])
/// let svid = try verifier.verify(bearerToken, authorizer: .memberOf(TrustDomain("example.org")))
/// print(svid.id)   // spiffe://example.org/frontend
/// ```
///
/// The steps, in go-spiffe's order so that each failure is reported as go-spiffe would: the token is taken apart and
/// `alg` checked against the allow-list; `typ`; `sub` present and a SPIFFE ID; `exp` present; `kid` present; a bundle
/// for the `sub`'s trust domain; the key with that `kid` in that bundle only; the signature; then `exp`, `nbf`, `iat`
/// and `aud`. Where go-spiffe differs, Warden is stricter: the expected audience set must not be empty (go-spiffe skips
/// the audience check for an empty one), the leeway is 30 s rather than 60 s, and an ECDSA signature in DER is rejected.
///
/// Tokens that verified are remembered per bundle snapshot (see ``VerifiedTokenCache``), so repeats cost a hash and a
/// lookup; the authorizer runs on every call.
public final class JWTSVIDVerifier: Sendable {
    final class Snapshot: Sendable {
        let bundles: SPIFFEBundleSet
        let cache: VerifiedTokenCache

        init(bundles: SPIFFEBundleSet, cacheCapacity: Int) {
            self.bundles = bundles
            self.cache = VerifiedTokenCache(capacity: cacheCapacity)
        }
    }

    private let snapshot: Mutex<Snapshot>
    /// The audiences this service accepts tokens for.
    public let audiences: Set<String>
    /// The rules.
    public let policy: JWTVerificationPolicy
    private let clock: any WardenClock
    private let cacheCapacity: Int

    /// Creates a verifier.
    ///
    /// - Parameters:
    ///   - bundles: the trusted bundles; only their JWT authorities are used.
    ///   - audiences: the audiences this service accepts; must not be empty.
    ///   - policy: algorithms, `kid` requirement, leeway and size limit.
    ///   - clock: the time source when no time is given.
    ///   - cacheCapacity: how many verified tokens to remember (0 disables the cache).
    /// - Throws: ``SPIFFEError/Code/invalidConfiguration`` when `audiences` is empty.
    public init(
        bundles: SPIFFEBundleSet,
        audiences: Set<String>,
        policy: JWTVerificationPolicy = JWTVerificationPolicy(),
        clock: any WardenClock = SystemClock(),
        cacheCapacity: Int = 10_000
    ) throws(SPIFFEError) {
        try JWTVerification.requireAudiences(audiences)
        self.snapshot = Mutex(Snapshot(bundles: bundles, cacheCapacity: cacheCapacity))
        self.audiences = audiences
        self.policy = policy
        self.clock = clock
        self.cacheCapacity = cacheCapacity
    }

    /// Creates a verifier trusting one JWT bundle, as ``X509SVIDVerifier/init(bundle:clock:)`` trusts one X.509 bundle.
    ///
    /// - Throws: ``SPIFFEError/Code/invalidConfiguration`` when `audiences` is empty.
    public convenience init(
        bundle: JWTBundle,
        audiences: Set<String>,
        policy: JWTVerificationPolicy = JWTVerificationPolicy(),
        clock: any WardenClock = SystemClock()
    ) throws(SPIFFEError) {
        try self.init(
            bundles: SPIFFEBundleSet([SPIFFEBundle(trustDomain: bundle.trustDomain, jwtAuthorities: bundle.authorities)]
            ),
            audiences: audiences,
            policy: policy,
            clock: clock
        )
    }

    /// The trusted bundles.
    public var bundles: SPIFFEBundleSet { self.snapshot.withLock { $0.bundles } }

    /// Replaces the trusted bundles and forgets every token verified under the old ones.
    public func updateBundles(_ bundles: SPIFFEBundleSet) {
        let replacement = Snapshot(bundles: bundles, cacheCapacity: self.cacheCapacity)
        self.snapshot.withLock { $0 = replacement }
    }

    /// Verifies a JWT-SVID.
    ///
    /// - Throws: ``SPIFFEError`` whose code names the rule that failed.
    public func verify(
        _ token: String,
        at time: Date? = nil,
        authorizer: SPIFFEIDAuthorizer
    ) throws(SPIFFEError) -> VerifiedJWTSVID {
        let time = time ?? self.clock.now
        let snapshot = self.snapshot.withLock { $0 }
        let svid = try JWTVerification.withUTF8(token) { bytes throws(SPIFFEError) in
            guard bytes.count <= self.policy.maximumTokenSize else {
                throw SPIFFEError(
                    .tokenTooLarge,
                    "the token is \(bytes.count) bytes, over the limit of \(self.policy.maximumTokenSize)"
                )
            }
            let cacheKey = snapshot.cache.capacity > 0 ? VerifiedTokenCache.key(bytes) : nil
            if let cacheKey, let svid = snapshot.cache.lookup(cacheKey, at: time) {
                return svid
            }
            let svid = try self.verifyUncached(bytes, token: token, snapshot: snapshot, time: time)
            if let cacheKey {
                let skew = self.policy.leeway.timeInterval
                let starts =
                    [svid.jwt.notBefore, svid.jwt.issuedAt].compactMap { $0 }.max().map { $0.addingTimeInterval(-skew) }
                    ?? .distantPast
                snapshot.cache.insert(
                    cacheKey,
                    .init(svid: svid, validFrom: starts, validUntil: svid.expiry.addingTimeInterval(skew)),
                    now: time
                )
            }
            return svid
        }
        try authorizer.authorize(svid.id)
        return svid
    }

    private func verifyUncached(
        _ bytes: UnsafeBufferPointer<UInt8>,
        token: String,
        snapshot: Snapshot,
        time: Date
    ) throws(SPIFFEError) -> VerifiedJWTSVID {
        let decoded = try JWTVerification.decode(bytes, policy: self.policy)
        guard let subject = try JWTVerification.stringClaim(decoded.jws.claims, "sub") else {
            throw SPIFFEError(.missingClaim, "the token has no \"sub\" claim")
        }
        let id: SPIFFEID
        do {
            id = try SPIFFEID(subject)
        } catch {
            throw SPIFFEError(.invalidSubject, "claim \"sub\" is not a SPIFFE ID: \(error.message)")
        }
        guard decoded.jws.claims["exp"] != nil else {
            throw SPIFFEError(.missingClaim, "the token has no \"exp\" claim")
        }
        if decoded.keyID == nil, self.policy.requiresKeyID {
            throw SPIFFEError(.missingKeyID, "the token's header has no \"kid\"; a JWT-SVID's key is found by it")
        }
        guard let bundle = snapshot.bundles[id.trustDomain] else {
            throw SPIFFEError(
                .untrustedTrustDomain,
                "no bundle for trust domain \(id.trustDomain), the trust domain of \(id)"
            )
        }
        let key: JWTPublicKey
        if let keyID = decoded.keyID {
            guard let found = bundle.jwtAuthorities[keyID] else {
                throw SPIFFEError(.unknownKeyID, "no JWT authority \"\(keyID)\" in the bundle of \(id.trustDomain)")
            }
            key = found
        } else {
            key = try JWTKeySet(keys: bundle.jwtAuthorities).key(for: decoded, policy: self.policy)
        }
        try JWTVerification.checkSignature(
            decoded,
            key: key,
            keyName: "JWT authority \(JWTKeySet.keyName(decoded)) of \(id.trustDomain)"
        )
        let verified = try JWTVerification.checkClaims(
            decoded,
            audiences: self.audiences,
            time: time,
            leeway: self.policy.leeway
        )
        return VerifiedJWTSVID(
            svid: JWTSVID(
                id: id,
                audience: verified.audience,
                expiry: verified.expiry,
                jwt: verified,
                token: Secret(token)
            )
        )
    }
}
