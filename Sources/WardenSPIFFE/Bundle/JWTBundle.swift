import WardenCore
import WardenPKI

/// The JWT authorities of one trust domain: the public keys, by key ID, that sign its JWT-SVIDs.
public struct JWTBundle: Sendable, Hashable, CustomStringConvertible {
    /// The trust domain whose JWT-SVIDs these keys sign.
    public let trustDomain: TrustDomain
    /// The keys, by key ID (`kid`).
    public var authorities: [String: JWTPublicKey]
    /// Entries of the parsed JWKS that were skipped, and why (for example a key type Warden does not verify with).
    public let skippedEntries: [String]

    /// Creates a bundle.
    public init(trustDomain: TrustDomain, authorities: [String: JWTPublicKey] = [:]) {
        self.init(trustDomain: trustDomain, authorities: authorities, skippedEntries: [])
    }

    init(trustDomain: TrustDomain, authorities: [String: JWTPublicKey], skippedEntries: [String]) {
        self.trustDomain = trustDomain
        self.authorities = authorities
        self.skippedEntries = skippedEntries
    }

    /// Parses a plain JWKS (RFC 7517). Every key needs a `kid`; `use` is not consulted; keys of types Warden does not
    /// verify with are skipped and listed in ``skippedEntries``.
    public static func parse(
        trustDomain: TrustDomain,
        jwks bytes: some Collection<UInt8>
    ) throws(SPIFFEError) -> JWTBundle {
        let what = "the JWKS of \(trustDomain)"
        let document = try JSONWebKeySet.document(bytes, what: what)
        guard let keys = try JSONWebKeySet.keys(of: document, what: what) else {
            throw SPIFFEError(.bundleHasNoKeys, "\(what) has no \"keys\" member")
        }
        var authorities: [String: JWTPublicKey] = [:]
        var skipped: [String] = []
        for (index, jwk) in keys.enumerated() {
            guard let (keyID, key) = try JSONWebKeySet.jwtAuthority(jwk, index: index, what: what, skipped: &skipped)
            else { continue }
            guard authorities.updateValue(key, forKey: keyID) == nil else {
                throw SPIFFEError(.malformedBundle, "\(what): entry \(index) repeats key ID \"\(keyID)\"")
            }
        }
        return JWTBundle(trustDomain: trustDomain, authorities: authorities, skippedEntries: skipped)
    }

    /// Reads a JWKS file.
    public static func load(trustDomain: TrustDomain, from path: String) throws(SPIFFEError) -> JWTBundle {
        try Self.parse(trustDomain: trustDomain, jwks: try BundleFile.read(path, what: "JWKS"))
    }

    /// The bundle as a JWKS, keys in key-ID order.
    public func jwksEncoded() -> String {
        let keys = self.authorities.keys.sorted().map {
            JSONWebKeySet.jwk(keyID: $0, key: self.authorities[$0]!, use: nil)
        }
        return JSONValue.object(["keys": .array(keys)]).description
    }

    /// `JWTBundle(example.org, 2 authorities)`.
    public var description: String {
        "JWTBundle(\(self.trustDomain), \(self.authorities.count) authorit\(self.authorities.count == 1 ? "y" : "ies"))"
    }
}
