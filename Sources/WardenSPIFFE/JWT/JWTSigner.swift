import Crypto
import Foundation
public import WardenCore
public import WardenPKI
import _CryptoExtras

/// Signs JWTs, and mints JWT-SVIDs, with a private key and its key ID.
///
/// ```swift
/// let signer = try JWTSigner(key: try PrivateKey.load(from: "jwt-authority.key"), keyID: "authority-1")
/// let svid = try signer.mintSVID(subject: SPIFFEID("spiffe://example.org/frontend"), audience: ["billing"])
/// request.headers.add(name: "Authorization", value: "Bearer \(svid.token.reveal())")
/// ```
///
/// The algorithm follows from the key unless given: P-256 signs ES256, P-384 ES384, RSA RS256 (or PS256 when asked),
/// Ed25519 EdDSA. ECDSA signatures are written as raw R||S (RFC 7518 §3.4).
public struct JWTSigner: Sendable {
    private let key: PrivateKey
    /// The `kid` written into every header.
    public let keyID: String
    /// The `alg` of every token.
    public let algorithm: JWTAlgorithm
    private let clock: any WardenClock

    /// Creates a signer.
    ///
    /// - Throws: ``SPIFFEError/Code/keyAlgorithmMismatch`` when `algorithm` does not fit the key.
    public init(
        key: PrivateKey,
        keyID: String,
        algorithm: JWTAlgorithm? = nil,
        clock: any WardenClock = SystemClock()
    ) throws(SPIFFEError) {
        let chosen = try Self.algorithm(for: key, requested: algorithm)
        self.key = key
        self.keyID = keyID
        self.algorithm = chosen
        self.clock = clock
    }

    /// The algorithm for `key`: the requested one if the key can sign it, else the key's natural one.
    private static func algorithm(for key: PrivateKey, requested: JWTAlgorithm?) throws(SPIFFEError) -> JWTAlgorithm {
        let fitting: JWTAlgorithm
        let isRSA: Bool
        switch key.backing {
        case .p256: (fitting, isRSA) = (.es256, false)
        case .p384: (fitting, isRSA) = (.es384, false)
        case .ed25519: (fitting, isRSA) = (.edDSA, false)
        case .rsa: (fitting, isRSA) = (.rs256, true)
        }
        guard let requested else { return fitting }
        let fits = isRSA ? (requested.family == .rsaPKCS1 || requested.family == .rsaPSS) : requested == fitting
        guard fits else {
            throw SPIFFEError(.keyAlgorithmMismatch, "a \(key.type) key cannot sign \(requested)")
        }
        return requested
    }

    /// Signs `claims` as a compact JWS with header `{"alg", "kid", "typ": "JWT"}`.
    public func sign(claims: [String: JSONValue]) throws -> String {
        let header: JSONValue = .object([
            "alg": .string(self.algorithm.name), "kid": .string(self.keyID), "typ": .string("JWT"),
        ])
        let signingInput =
            Base64.URL.encode(Array(header.description.utf8)) + "."
            + Base64.URL.encode(Array(JSONValue.object(claims).description.utf8))
        let message = Array(signingInput.utf8)
        return signingInput + "." + Base64.URL.encode(try self.signature(for: message))
    }

    /// Mints a JWT-SVID for `subject`.
    ///
    /// - Parameters:
    ///   - subject: the workload's SPIFFE ID (`sub`).
    ///   - audience: the audiences (`aud`); must not be empty.
    ///   - lifetime: from now to `exp`; JWT-SVIDs should be short-lived (the default is 5 minutes).
    ///   - additionalClaims: more claims; they cannot replace `sub`, `aud`, `exp` or `iat`.
    public func mintSVID(
        subject: SPIFFEID,
        audience: [String],
        lifetime: Duration = .seconds(300),
        additionalClaims: [String: JSONValue] = [:]
    ) throws -> JWTSVID {
        guard !audience.isEmpty else {
            throw SPIFFEError(.invalidConfiguration, "a JWT-SVID needs at least one audience")
        }
        let now = self.clock.now
        let issuedAt = Int64(now.timeIntervalSince1970.rounded(.down))
        let expiry = issuedAt + lifetime.components.seconds
        var claims = additionalClaims
        claims["sub"] = .string(subject.description)
        claims["aud"] = audience.count == 1 ? .string(audience[0]) : .array(audience.map(JSONValue.string))
        claims["iat"] = .number(issuedAt)
        claims["exp"] = .number(expiry)
        let token = try self.sign(claims: claims)
        let header: [String: JSONValue] = [
            "alg": .string(self.algorithm.name), "kid": .string(self.keyID), "typ": .string("JWT"),
        ]
        let expiryDate = Date(timeIntervalSince1970: TimeInterval(expiry))
        let jwt = VerifiedJWT(
            algorithm: self.algorithm,
            keyID: self.keyID,
            subject: subject.description,
            audience: audience,
            issuer: claims["iss"]?.stringValue,
            expiry: expiryDate,
            issuedAt: Date(timeIntervalSince1970: TimeInterval(issuedAt)),
            notBefore: nil,
            headerMembers: JSONMembers(header),
            claimMembers: JSONMembers(claims)
        )
        return JWTSVID(id: subject, audience: audience, expiry: expiryDate, jwt: jwt, token: Secret(token))
    }

    private func signature(for message: [UInt8]) throws -> [UInt8] {
        switch self.key.backing {
        case .p256(let key): return Array(try key.signature(for: SHA256.hash(data: message)).rawRepresentation)
        case .p384(let key): return Array(try key.signature(for: SHA384.hash(data: message)).rawRepresentation)
        case .ed25519(let key): return Array(try key.signature(for: message))
        case .rsa(let key, _):
            let padding: _RSA.Signing.Padding = self.algorithm.family == .rsaPSS ? .PSS : .insecurePKCS1v1_5
            let signature: _RSA.Signing.RSASignature
            switch self.algorithm.digestBits {
            case 256: signature = try key.signature(for: SHA256.hash(data: message), padding: padding)
            case 384: signature = try key.signature(for: SHA384.hash(data: message), padding: padding)
            default: signature = try key.signature(for: SHA512.hash(data: message), padding: padding)
            }
            return Array(signature.rawRepresentation)
        }
    }
}
