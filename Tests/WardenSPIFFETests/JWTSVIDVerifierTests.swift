import Crypto
import Foundation
import Testing
import WardenCore
import WardenPKI
import WardenTestSupport
import WardenTesting

@testable import WardenSPIFFE

/// JWT-SVID verification: go-spiffe's `svid_test.go` scenarios (EXPECTED.md §4), the attack cases, every algorithm,
/// and the verified-token cache.
@Suite struct JWTSVIDVerifierTests {
    static let now = TestPKI.epoch
    let trustDomain = try! TrustDomain("trustdomain")
    let key1 = try! PrivateKey.generate(.p384)
    let key2 = try! PrivateKey.generate(.rsa2048)
    let subject = try! SPIFFEID("spiffe://trustdomain/host")

    var bundles: SPIFFEBundleSet {
        SPIFFEBundleSet([
            SPIFFEBundle(
                trustDomain: self.trustDomain,
                jwtAuthorities: [
                    "authority1": try! JWTPublicKey(self.key1), "authority2": try! JWTPublicKey(self.key2),
                ]
            )
        ])
    }

    func verifier(
        audiences: Set<String> = ["audience"],
        policy: JWTVerificationPolicy = JWTVerificationPolicy(),
        cache: Int = 0
    ) throws -> JWTSVIDVerifier {
        try JWTSVIDVerifier(
            bundles: self.bundles,
            audiences: audiences,
            policy: policy,
            clock: ManualClock(now: Self.now),
            cacheCapacity: cache
        )
    }

    /// One JWT bundle is enough to make a verifier, as one X.509 bundle is; the authorizer is always explicit.
    @Test func aVerifierOfOneJWTBundleAndAnExplicitAuthorizer() throws {
        let bundle = try #require(self.bundles[self.subject.trustDomain]).jwtBundle
        let verifier = try JWTSVIDVerifier(bundle: bundle, audiences: ["audience"], clock: ManualClock(now: Self.now))
        let token = try self.signer().sign(claims: self.claims())
        #expect(try verifier.verify(token, authorizer: .id(self.subject)).id == self.subject)
        let denied = try #require(throws: SPIFFEError.self) {
            try verifier.verify(token, authorizer: .id(try SPIFFEID("spiffe://trustdomain/other")))
        }
        #expect(denied.code == .unauthorized)
    }

    func signer(
        _ key: PrivateKey? = nil,
        kid: String = "authority1",
        algorithm: JWTAlgorithm? = nil
    ) throws -> JWTSigner {
        try JWTSigner(key: key ?? self.key1, keyID: kid, algorithm: algorithm, clock: ManualClock(now: Self.now))
    }

    func claims(
        sub: String? = "spiffe://trustdomain/host",
        aud: JSONValue? = .array([.string("audience")]),
        exp: Double? = 60,
        extra: [String: JSONValue] = [:]
    ) -> [String: JSONValue] {
        var claims = extra
        claims["sub"] = sub.map(JSONValue.string)
        claims["aud"] = aud
        claims["exp"] = exp.map { .number(String(Int64(Self.now.timeIntervalSince1970 + $0))) }
        claims["iat"] = .number(String(Int64(Self.now.timeIntervalSince1970)))
        claims["iss"] = .string("issuer")
        return claims
    }

    /// A token with any header, claims and signature bytes, for the cases no honest signer produces.
    static func craft(header: [String: JSONValue], claims: [String: JSONValue], signature: [UInt8]) -> String {
        Base64.URL.encode(Array(JSONValue.object(header).description.utf8)) + "."
            + Base64.URL.encode(Array(JSONValue.object(claims).description.utf8)) + "." + Base64.URL.encode(signature)
    }

    /// Signs arbitrary header bytes with an honest key, so that a failure can only come from the rule under test.
    func signed(header: [String: JSONValue], claims: [String: JSONValue], key: PrivateKey) throws -> String {
        let input =
            Base64.URL.encode(Array(JSONValue.object(header).description.utf8)) + "."
            + Base64.URL.encode(Array(JSONValue.object(claims).description.utf8))
        guard case .p384(let ecKey) = key.backing else {
            throw SPIFFEError(.unsupportedKey, "test helper signs with P-384")
        }
        let signature = try ecKey.signature(for: SHA384.hash(data: Array(input.utf8))).rawRepresentation
        return input + "." + Base64.URL.encode(Array(signature))
    }

    func expect(
        _ code: SPIFFEError.Code,
        _ token: String,
        verifier: JWTSVIDVerifier? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let verifier = try verifier ?? self.verifier()
        do {
            let svid = try verifier.verify(token, authorizer: .any)
            Issue.record("expected \(code), verified \(svid)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    // MARK: go-spiffe's scenarios

    @Test func validES384Token() throws {
        let token = try self.signer().sign(claims: self.claims())
        let svid = try self.verifier().verify(token, authorizer: .any)
        #expect(svid.id == self.subject)
        #expect(svid.audience == ["audience"])
        #expect(svid.expiry == Self.now.addingTimeInterval(60))
        #expect(svid.claims["iss"] == .string("issuer"))
        #expect(svid.token.reveal() == token)
        #expect(!svid.description.contains(token.prefix(20)))
    }

    @Test func notAToken() throws {
        try self.expect(.malformedToken, "invalid token")
    }

    @Test func hs256Token() throws {
        let jwtIO =
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
        try self.expect(.unsupportedAlgorithm, jwtIO)
    }

    @Test func missingSubjectOrExpiry() throws {
        try self.expect(.missingClaim, try self.signer().sign(claims: self.claims(sub: nil)))
        try self.expect(.missingClaim, try self.signer().sign(claims: self.claims(exp: nil)))
    }

    @Test func expiredToken() throws {
        try self.expect(.expired, try self.signer().sign(claims: self.claims(exp: -60)))
        // Within the 30 s leeway still verifies; at the leeway's edge it does not.
        _ = try self.verifier().verify(try self.signer().sign(claims: self.claims(exp: -29)), authorizer: .any)
        try self.expect(.expired, try self.signer().sign(claims: self.claims(exp: -30)))
    }

    @Test func audienceMismatch() throws {
        let token = try self.signer().sign(claims: self.claims())
        let error = try #require(throws: SPIFFEError.self) {
            try self.verifier(audiences: ["another"]).verify(token, authorizer: .any)
        }
        #expect(error.code == .audienceMismatch)
        #expect(error.message.contains("another") && error.message.contains("audience"))
    }

    @Test func invalidSubject() throws {
        try self.expect(.invalidSubject, try self.signer().sign(claims: self.claims(sub: "invalid subject")))
    }

    @Test func missingKeyID() throws {
        let token = try self.signed(
            header: ["alg": .string("ES384"), "typ": .string("JWT")],
            claims: self.claims(),
            key: self.key1
        )
        try self.expect(.missingKeyID, token)
        // Opting in: the only key that fits ES384 is authority1.
        var policy = JWTVerificationPolicy()
        policy.requiresKeyID = false
        #expect(try self.verifier(policy: policy).verify(token, authorizer: .any).id == self.subject)
    }

    @Test func subjectInAnUntrustedTrustDomain() throws {
        try self.expect(
            .untrustedTrustDomain,
            try self.signer().sign(claims: self.claims(sub: "spiffe://another.domain/host"))
        )
    }

    @Test func unknownKeyID() throws {
        try self.expect(.unknownKeyID, try self.signer(kid: "noKey").sign(claims: self.claims()))
    }

    @Test func signedWithAnotherKeyThanItsKeyIDNames() throws {
        // key2 (RSA) signs, but the header names authority1 (EC P-384): the algorithm does not fit the key.
        try self.expect(
            .keyAlgorithmMismatch,
            try self.signer(self.key2, kid: "authority1").sign(claims: self.claims())
        )
        // Another P-384 key signs under authority1's kid: the signature does not verify.
        try self.expect(
            .invalidSignature,
            try self.signer(try PrivateKey.generate(.p384), kid: "authority1").sign(claims: self.claims())
        )
    }

    @Test func typHeader() throws {
        try self.expect(
            .invalidTypeHeader,
            try self.signed(
                header: ["alg": .string("ES384"), "kid": .string("authority1"), "typ": .string("invalid")],
                claims: self.claims(),
                key: self.key1
            )
        )
        for typ in ["JWT", "JOSE"] {
            _ = try self.verifier().verify(
                try self.signed(
                    header: ["alg": .string("ES384"), "kid": .string("authority1"), "typ": .string(typ)],
                    claims: self.claims(),
                    key: self.key1
                ),
                authorizer: .any
            )
        }
        _ = try self.verifier().verify(
            try self.signed(
                header: ["alg": .string("ES384"), "kid": .string("authority1")],
                claims: self.claims(),
                key: self.key1
            ),
            authorizer: .any
        )
    }

    // MARK: attack cases

    @Test func algNone() throws {
        let token = Self.craft(
            header: ["alg": .string("none"), "kid": .string("authority1")],
            claims: self.claims(),
            signature: []
        )
        try self.expect(.unsupportedAlgorithm, String(token.dropLast()) + "." + "AA")
        try self.expect(.malformedToken, token, verifier: nil)  // an empty signature segment is malformed outright
    }

    @Test func hs256WithThePublicKeyAsSecret() throws {
        let publicKeyBytes = Array(try JWTPublicKey(self.key1).keyMembers.description.utf8)
        let header: [String: JSONValue] = [
            "alg": .string("HS256"), "kid": .string("authority1"), "typ": .string("JWT"),
        ]
        let input =
            Base64.URL.encode(Array(JSONValue.object(header).description.utf8)) + "."
            + Base64.URL.encode(Array(JSONValue.object(self.claims()).description.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: publicKeyBytes))
        try self.expect(.unsupportedAlgorithm, input + "." + Base64.URL.encode(Array(mac)))
    }

    @Test func algorithmAndKeyTypeMismatch() throws {
        // ES256 claimed for a P-384 key.
        let p256 = try PrivateKey.generate(.p256)
        try self.expect(.keyAlgorithmMismatch, try self.signer(p256, kid: "authority1").sign(claims: self.claims()))
        // RS256 claimed for an EC key, and ES384 for an RSA key.
        try self.expect(
            .keyAlgorithmMismatch,
            try self.signer(self.key2, kid: "authority1").sign(claims: self.claims())
        )
        try self.expect(
            .keyAlgorithmMismatch,
            try self.signer(self.key1, kid: "authority2").sign(claims: self.claims())
        )
    }

    @Test func tamperedHeaderPayloadOrSignature() throws {
        let token = try self.signer().sign(claims: self.claims())
        let parts = token.split(separator: ".").map(String.init)
        let otherClaims = Base64.URL.encode(
            Array(JSONValue.object(self.claims(sub: "spiffe://trustdomain/admin")).description.utf8)
        )
        try self.expect(.invalidSignature, [parts[0], otherClaims, parts[2]].joined(separator: "."))
        let otherHeader = Base64.URL.encode(
            Array(
                JSONValue.object(["alg": .string("ES384"), "kid": .string("authority1"), "typ": .string("JOSE")])
                    .description.utf8
            )
        )
        try self.expect(.invalidSignature, [otherHeader, parts[1], parts[2]].joined(separator: "."))
        var signature = try #require(Base64.URL.decode(parts[2]))
        signature[10] ^= 0x01
        try self.expect(.invalidSignature, [parts[0], parts[1], Base64.URL.encode(signature)].joined(separator: "."))
    }

    @Test func derEncodedECDSASignatureIsRejected() throws {
        let header: [String: JSONValue] = [
            "alg": .string("ES384"), "kid": .string("authority1"), "typ": .string("JWT"),
        ]
        let input =
            Base64.URL.encode(Array(JSONValue.object(header).description.utf8)) + "."
            + Base64.URL.encode(Array(JSONValue.object(self.claims()).description.utf8))
        guard case .p384(let key) = self.key1.backing else { return }
        let der = try key.signature(for: SHA384.hash(data: Array(input.utf8))).derRepresentation
        try self.expect(.invalidSignature, input + "." + Base64.URL.encode(Array(der)))
    }

    @Test func paddedOrNonURLBase64() throws {
        let token = try self.signer().sign(claims: self.claims())
        let parts = token.split(separator: ".").map(String.init)
        try self.expect(.malformedToken, [parts[0] + "=", parts[1], parts[2]].joined(separator: "."))
        let standard = parts[2].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if standard != parts[2] {
            try self.expect(.malformedToken, [parts[0], parts[1], standard].joined(separator: "."))
        }
        try self.expect(.malformedToken, [parts[0], parts[1] + " ", parts[2]].joined(separator: "."))
        try self.expect(.malformedToken, [parts[0], parts[1], parts[2] + "=="].joined(separator: "."))
        // Non-canonical trailing bits: the same bytes under another spelling.
        let last = parts[1].last!
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        if parts[1].utf8.count % 4 != 0, let index = alphabet.firstIndex(of: last) {
            let sibling = alphabet[index ^ 1]
            try self.expect(
                .malformedToken,
                [parts[0], String(parts[1].dropLast()) + String(sibling), parts[2]].joined(separator: ".")
            )
        }
    }

    @Test func wrongNumberOfSegmentsAndEmptyToken() throws {
        let token = try self.signer().sign(claims: self.claims())
        try self.expect(.malformedToken, token + ".AAAA")
        try self.expect(.malformedToken, token + ".AAAA.AAAA")
        try self.expect(.malformedToken, "")
        try self.expect(.malformedToken, "..")
        try self.expect(.malformedToken, token.split(separator: ".").prefix(2).joined(separator: "."))
    }

    @Test func hugeTokenIsRejectedBeforeDecoding() throws {
        let token = String(repeating: "A", count: JWTVerificationPolicy.defaultMaximumTokenSize + 1)
        try self.expect(.tokenTooLarge, token)
        try self.expect(.tokenTooLarge, token + "." + token + "." + token)
    }

    @Test func critHeaderAndDuplicateMembers() throws {
        try self.expect(
            .malformedToken,
            try self.signed(
                header: ["alg": .string("ES384"), "kid": .string("authority1"), "crit": .array([.string("exp")])],
                claims: self.claims(),
                key: self.key1
            )
        )
        let header = Base64.URL.encode(Array(#"{"alg":"ES384","kid":"authority1"}"#.utf8))
        let payload = Base64.URL.encode(
            Array(#"{"sub":"spiffe://trustdomain/host","sub":"spiffe://trustdomain/admin"}"#.utf8)
        )
        try self.expect(.malformedToken, header + "." + payload + ".AAAA")
    }

    @Test func timeClaims() throws {
        try self.expect(
            .notYetValid,
            try self.signer().sign(
                claims: self.claims(extra: ["nbf": .number(String(Int64(Self.now.timeIntervalSince1970) + 120))])
            )
        )
        var claims = self.claims()
        claims["iat"] = .number(String(Int64(Self.now.timeIntervalSince1970) + 120))
        try self.expect(.issuedInFuture, try self.signer().sign(claims: claims))
        claims["iat"] = .string("yesterday")
        try self.expect(.invalidClaim, try self.signer().sign(claims: claims))
    }

    @Test func audienceForms() throws {
        _ = try self.verifier().verify(
            try self.signer().sign(claims: self.claims(aud: .string("audience"))),
            authorizer: .any
        )
        _ = try self.verifier(audiences: ["b", "audience"]).verify(
            try self.signer().sign(claims: self.claims(aud: .array([.string("a"), .string("audience")]))),
            authorizer: .any
        )
        try self.expect(.missingClaim, try self.signer().sign(claims: self.claims(aud: nil)))
        try self.expect(.invalidClaim, try self.signer().sign(claims: self.claims(aud: .number("1"))))
        try self.expect(.audienceMismatch, try self.signer().sign(claims: self.claims(aud: .array([]))))
    }

    @Test func emptyExpectedAudienceIsAConfigurationError() {
        #expect(throws: SPIFFEError(.invalidConfiguration, "")) {
            try JWTSVIDVerifier(bundles: self.bundles, audiences: [])
        }
    }

    // MARK: algorithms

    @Test(arguments: [
        (KeyType.p256, JWTAlgorithm.es256), (.p384, .es384), (.rsa2048, .rs256), (.rsa2048, .rs384), (.rsa2048, .rs512),
        (.rsa3072, .ps256), (.rsa2048, .ps384), (.rsa2048, .ps512), (.ed25519, .edDSA),
    ])
    func everyAlgorithmRoundTrips(_ keyType: KeyType, _ algorithm: JWTAlgorithm) throws {
        let key = try PrivateKey.generate(keyType)
        let bundles = SPIFFEBundleSet([
            SPIFFEBundle(trustDomain: self.trustDomain, jwtAuthorities: ["k": try JWTPublicKey(key)])
        ])
        var policy = JWTVerificationPolicy()
        if algorithm == .edDSA {
            // EdDSA is off by default, and must be enabled explicitly.
            let strict = try JWTSVIDVerifier(
                bundles: bundles,
                audiences: ["audience"],
                clock: ManualClock(now: Self.now)
            )
            let token = try self.signer(key, kid: "k", algorithm: algorithm).sign(claims: self.claims())
            #expect(throws: SPIFFEError(.unsupportedAlgorithm, "")) { try strict.verify(token, authorizer: .any) }
            policy.algorithms.insert(.edDSA)
        }
        let verifier = try JWTSVIDVerifier(
            bundles: bundles,
            audiences: ["audience"],
            policy: policy,
            clock: ManualClock(now: Self.now)
        )
        let svid = try self.signer(key, kid: "k", algorithm: algorithm).mintSVID(
            subject: self.subject,
            audience: ["audience"]
        )
        let verified = try verifier.verify(svid.token.reveal(), authorizer: .any)
        #expect(verified.id == self.subject)
        #expect(verified.jwt.algorithm == algorithm)
    }

    @Test func signerRefusesAnAlgorithmThatDoesNotFitItsKey() {
        #expect(throws: SPIFFEError(.keyAlgorithmMismatch, "")) { try self.signer(self.key1, algorithm: .es256) }
        #expect(throws: SPIFFEError(.keyAlgorithmMismatch, "")) { try self.signer(self.key1, algorithm: .rs256) }
    }

    // MARK: the cache

    @Test func cacheHitsAreReValidatedForTimeAndAuthorizer() throws {
        let clock = ManualClock(now: Self.now)
        let verifier = try JWTSVIDVerifier(
            bundles: self.bundles,
            audiences: ["audience"],
            clock: clock,
            cacheCapacity: 10
        )
        let token = try self.signer().sign(claims: self.claims(exp: 60))
        #expect(try verifier.verify(token, authorizer: .any).id == self.subject)
        #expect(try verifier.verify(token, authorizer: .any).id == self.subject)
        #expect(throws: SPIFFEError(.unauthorized, "")) {
            try verifier.verify(token, authorizer: .memberOf(try TrustDomain("other.test")))
        }
        // Past exp and the leeway the cached entry is not used; the token is verified again and rejected.
        #expect(throws: SPIFFEError(.expired, "")) {
            try verifier.verify(token, at: Self.now.addingTimeInterval(91), authorizer: .any)
        }
        // Before iat minus the leeway, likewise.
        #expect(throws: SPIFFEError(.issuedInFuture, "")) {
            try verifier.verify(token, at: Self.now.addingTimeInterval(-31), authorizer: .any)
        }
    }

    @Test func bundleChangeDropsCachedTokens() throws {
        let verifier = try self.verifier(cache: 10)
        let token = try self.signer().sign(claims: self.claims())
        _ = try verifier.verify(token, authorizer: .any)
        verifier.updateBundles(
            SPIFFEBundleSet([
                SPIFFEBundle(trustDomain: self.trustDomain, jwtAuthorities: ["authority2": try JWTPublicKey(self.key2)])
            ])
        )
        #expect(throws: SPIFFEError(.unknownKeyID, "")) { try verifier.verify(token, authorizer: .any) }
    }

    @Test func cacheIsBounded() throws {
        let cache = VerifiedTokenCache(capacity: 3)
        let minted = try self.signer().mintSVID(subject: self.subject, audience: ["audience"])
        let svid = VerifiedJWTSVID(svid: minted)
        for index in 0..<10 {
            cache.insert(
                [UInt8(index)].withUnsafeBufferPointer(VerifiedTokenCache.key),
                .init(svid: svid, validFrom: .distantPast, validUntil: .distantFuture),
                now: Self.now
            )
            #expect(cache.count <= 3)
        }
    }

    // MARK: the generic verifier

    @Test func genericJWKSVerifierWithIssuer() throws {
        let jwks = JWTKeySet(keys: ["authority1": try JWTPublicKey(self.key1)])
        let parsed = try JWTKeySet.parse(
            jwks: Array(
                SPIFFEBundle(trustDomain: self.trustDomain, jwtAuthorities: jwks.keys).jwtBundle.jwksEncoded().utf8
            )
        )
        #expect(parsed.keys == jwks.keys)
        let verifier = try JWTVerifier(
            keys: parsed,
            audiences: ["audience"],
            issuer: "issuer",
            clock: ManualClock(now: Self.now)
        )
        let token = try self.signer().sign(claims: self.claims(sub: "not-a-spiffe-id"))
        #expect(try verifier.verify(token).subject == "not-a-spiffe-id")
        let otherIssuer = try JWTVerifier(
            keys: parsed,
            audiences: ["audience"],
            issuer: "someone-else",
            clock: ManualClock(now: Self.now)
        )
        #expect(throws: SPIFFEError(.invalidClaim, "")) { try otherIssuer.verify(token) }
    }

    @Test func hostileTokensNeverCrash() throws {
        let verifier = try self.verifier()
        var generator = SeededRandomNumberGenerator(seed: 7)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}\"".utf8)
        let valid = Array(try self.signer().sign(claims: self.claims()).utf8)
        for round in 0..<3_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in
                    alphabet.randomElement(using: &generator)!
                }
            } else {
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = alphabet.randomElement(
                        using: &generator
                    )!
                }
                if bytes == valid { continue }
            }
            #expect(throws: SPIFFEError.self) {
                try verifier.verify(String(decoding: bytes, as: UTF8.self), authorizer: .any)
            }
        }
    }
}
