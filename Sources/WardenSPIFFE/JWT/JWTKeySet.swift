/// The keys of a plain JSON Web Key Set (RFC 7517), such as an OIDC provider's `jwks_uri` document.
public struct JWTKeySet: Sendable, Hashable {
    /// The keys that have a `kid`.
    public var keys: [String: JWTPublicKey]
    /// The keys without a `kid`; used only when the policy does not require one.
    public var keysWithoutID: [JWTPublicKey]
    /// Entries that were skipped while parsing, and why.
    public let skippedEntries: [String]

    /// Creates a key set.
    public init(keys: [String: JWTPublicKey], keysWithoutID: [JWTPublicKey] = []) {
        self.keys = keys
        self.keysWithoutID = keysWithoutID
        self.skippedEntries = []
    }

    private init(keys: [String: JWTPublicKey], keysWithoutID: [JWTPublicKey], skippedEntries: [String]) {
        self.keys = keys
        self.keysWithoutID = keysWithoutID
        self.skippedEntries = skippedEntries
    }

    /// Parses a JWKS. Keys of types Warden does not verify with, and keys whose `use` is not `sig`, are skipped.
    public static func parse(jwks bytes: some Collection<UInt8>) throws(SPIFFEError) -> JWTKeySet {
        let what = "the JWKS"
        let document = try JSONWebKeySet.document(bytes, what: what)
        guard let entries = try JSONWebKeySet.keys(of: document, what: what) else {
            throw SPIFFEError(.bundleHasNoKeys, "\(what) has no \"keys\" member")
        }
        var keys: [String: JWTPublicKey] = [:]
        var withoutID: [JWTPublicKey] = []
        var skipped: [String] = []
        for (index, jwk) in entries.enumerated() {
            if let use = jwk["use"]?.stringValue, use != "sig" {
                skipped.append("\(what): entry \(index) has use \"\(use)\", not \"sig\"")
                continue
            }
            let keyID = jwk["kid"]?.stringValue
            let key: JWTPublicKey
            do {
                key = try JWTPublicKey(jwk: jwk, entry: "\(what): entry \(index)")
            } catch let error where error.code == .unsupportedKey {
                skipped.append(error.message)
                continue
            }
            if let keyID, !keyID.isEmpty {
                guard keys.updateValue(key, forKey: keyID) == nil else {
                    throw SPIFFEError(.malformedBundle, "\(what): entry \(index) repeats key ID \"\(keyID)\"")
                }
            } else {
                withoutID.append(key)
            }
        }
        return JWTKeySet(keys: keys, keysWithoutID: withoutID, skippedEntries: skipped)
    }

    /// Chooses the key for a token: by `kid`, or when the token has none and the policy allows it, the only key that
    /// fits the algorithm.
    func key(for decoded: JWTVerification.Decoded, policy: JWTVerificationPolicy) throws(SPIFFEError) -> JWTPublicKey {
        if let keyID = decoded.keyID {
            guard let key = self.keys[keyID] else { throw SPIFFEError(.unknownKeyID, "no key has key ID \"\(keyID)\"") }
            return key
        }
        guard !policy.requiresKeyID else {
            throw SPIFFEError(.missingKeyID, "the token's header has no \"kid\", which is required")
        }
        let candidates = (Array(self.keys.values) + self.keysWithoutID).filter { $0.supports(decoded.algorithm) }
        guard candidates.count == 1 else {
            throw SPIFFEError(
                .missingKeyID,
                "the token's header has no \"kid\" and \(candidates.count) keys could verify \(decoded.algorithm)"
            )
        }
        return candidates[0]
    }

    /// How errors name the key chosen for `decoded`.
    static func keyName(_ decoded: JWTVerification.Decoded) -> String {
        decoded.keyID.map { "key \"\($0)\"" } ?? "the only \(decoded.algorithm) key"
    }
}
