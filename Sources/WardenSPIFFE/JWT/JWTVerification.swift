import Foundation
import WardenCore

/// The steps every JWT verifier shares, so that the generic verifier and the JWT-SVID profile apply the same rules.
enum JWTVerification {
    /// A token taken apart, its algorithm allowed and its header checked; nothing about the key or claims yet.
    struct Decoded {
        let jws: CompactJWS
        let algorithm: JWTAlgorithm
        let keyID: String?
    }

    /// Splits and decodes the token, then checks `alg` against the allow-list, `crit` and `typ`.
    /// `token` is borrowed: the result is valid only while it is (see ``CompactJWS``).
    static func decode(
        _ token: UnsafeBufferPointer<UInt8>,
        policy: JWTVerificationPolicy
    ) throws(SPIFFEError) -> Decoded {
        let jws = try CompactJWS(token, maximumSize: policy.maximumTokenSize)
        guard let name = jws.header["alg"]?.stringValue else {
            throw SPIFFEError(.malformedToken, "the header has no \"alg\" string")
        }
        guard let algorithm = JWTAlgorithm(name: name), policy.algorithmMask & algorithm.bit != 0 else {
            let allowed = policy.algorithms.map(\.name).sorted().joined(separator: ", ")
            throw SPIFFEError(.unsupportedAlgorithm, "algorithm \"\(name)\" is not accepted (allowed: \(allowed))")
        }
        // RFC 7515 §4.1.11: a JWS with critical header parameters the recipient does not understand is invalid, and
        // Warden understands none.
        if let critical = jws.header["crit"] {
            throw SPIFFEError(
                .malformedToken,
                "the header lists critical parameters \(critical), which are not understood"
            )
        }
        if let type = jws.header["typ"] {
            guard let text = type.stringValue, text == "JWT" || text == "JOSE" else {
                throw SPIFFEError(
                    .invalidTypeHeader,
                    "header \"typ\" is \(type); it must be \"JWT\" or \"JOSE\" when present"
                )
            }
        }
        var keyID: String?
        if let kid = jws.header["kid"] {
            guard let text = kid.stringValue else {
                throw SPIFFEError(.malformedToken, "header \"kid\" is not a string")
            }
            keyID = text
        }
        return Decoded(jws: jws, algorithm: algorithm, keyID: keyID)
    }

    /// Checks that `key` may verify the token's algorithm, then the signature.
    /// `keyName` is only evaluated for an error message, so that a token that verifies builds no strings.
    static func checkSignature(
        _ decoded: Decoded,
        key: JWTPublicKey,
        keyName: @autoclosure () -> String
    ) throws(SPIFFEError) {
        guard key.supports(decoded.algorithm) else {
            throw SPIFFEError(
                .keyAlgorithmMismatch,
                "algorithm \(decoded.algorithm) does not fit \(keyName()), an \(key) key"
            )
        }
        guard key.isValidSignature(decoded.jws.signature, for: decoded.jws.signingInput, algorithm: decoded.algorithm)
        else {
            throw SPIFFEError(.invalidSignature, "the \(decoded.algorithm) signature does not verify with \(keyName())")
        }
    }

    /// Reads a string claim; `nil` when absent.
    static func stringClaim(_ claims: JSONMembers, _ name: String) throws(SPIFFEError) -> String? {
        guard let value = claims[name] else { return nil }
        guard let text = value.stringValue else {
            throw SPIFFEError(.invalidClaim, "claim \"\(name)\" is not a string")
        }
        return text
    }

    /// Reads a NumericDate claim; `nil` when absent.
    static func dateClaim(_ claims: JSONMembers, _ name: String) throws(SPIFFEError) -> Date? {
        guard let value = claims[name] else { return nil }
        guard let seconds = value.doubleValue, seconds.isFinite else {
            throw SPIFFEError(.invalidClaim, "claim \"\(name)\" is not a number of seconds (NumericDate)")
        }
        return Date(timeIntervalSince1970: seconds)
    }

    /// Reads `aud`: a string or an array of strings.
    static func audienceClaim(_ claims: JSONMembers) throws(SPIFFEError) -> [String] {
        switch claims["aud"] {
        case nil: throw SPIFFEError(.missingClaim, "the token has no \"aud\" claim")
        case .string(let audience)?: return [audience]
        case .array(let elements)?:
            var audience: [String] = []
            audience.reserveCapacity(elements.count)
            for element in elements {
                guard let text = element.stringValue else {
                    throw SPIFFEError(.invalidClaim, "claim \"aud\" has an element that is not a string")
                }
                audience.append(text)
            }
            return audience
        case let other?:
            throw SPIFFEError(.invalidClaim, "claim \"aud\" is \(other), neither a string nor an array of strings")
        }
    }

    /// Checks `exp`, `nbf`, `iat` and `aud` and returns the verified token.
    static func checkClaims(
        _ decoded: Decoded,
        audiences: Set<String>,
        time: Date,
        leeway: Duration
    ) throws(SPIFFEError) -> VerifiedJWT {
        let claims = decoded.jws.claims
        guard let expiry = try Self.dateClaim(claims, "exp") else {
            throw SPIFFEError(.missingClaim, "the token has no \"exp\" claim")
        }
        let notBefore = try Self.dateClaim(claims, "nbf")
        let issuedAt = try Self.dateClaim(claims, "iat")
        let audience = try Self.audienceClaim(claims)
        let subject = try Self.stringClaim(claims, "sub")
        let issuer = try Self.stringClaim(claims, "iss")
        let skew = leeway.timeInterval
        if time.timeIntervalSince(expiry) >= skew {
            throw SPIFFEError(
                .expired,
                "the token expired at \(expiry.formatted(.iso8601)) (verification time \(time.formatted(.iso8601)), leeway \(leeway))"
            )
        }
        if let notBefore, notBefore.timeIntervalSince(time) > skew {
            throw SPIFFEError(
                .notYetValid,
                "the token is not valid before \(notBefore.formatted(.iso8601)) (verification time \(time.formatted(.iso8601)), leeway \(leeway))"
            )
        }
        if let issuedAt, issuedAt.timeIntervalSince(time) > skew {
            throw SPIFFEError(
                .issuedInFuture,
                "the token was issued at \(issuedAt.formatted(.iso8601)), in the future (verification time \(time.formatted(.iso8601)), leeway \(leeway))"
            )
        }
        guard audience.contains(where: audiences.contains) else {
            throw SPIFFEError(
                .audienceMismatch,
                "the token's audience [\(audience.joined(separator: ", "))] has none of the expected [\(audiences.sorted().joined(separator: ", "))]"
            )
        }
        return VerifiedJWT(
            algorithm: decoded.algorithm,
            keyID: decoded.keyID,
            subject: subject,
            audience: audience,
            issuer: issuer,
            expiry: expiry,
            issuedAt: issuedAt,
            notBefore: notBefore,
            headerMembers: decoded.jws.header,
            claimMembers: claims
        )
    }

    /// Runs `body` on the UTF-8 bytes of `token` without copying them when the string is native.
    static func withUTF8<Result>(
        _ token: String,
        _ body: (UnsafeBufferPointer<UInt8>) throws(SPIFFEError) -> Result
    ) throws(SPIFFEError) -> Result {
        var token = token
        let outcome: Swift.Result<Result, SPIFFEError> = token.withUTF8 { buffer in
            do throws(SPIFFEError) { return .success(try body(buffer)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    static func requireAudiences(_ audiences: Set<String>) throws(SPIFFEError) {
        guard !audiences.isEmpty else {
            throw SPIFFEError(
                .invalidConfiguration,
                "a JWT verifier needs at least one expected audience; without one any token for any service would verify"
            )
        }
    }
}
