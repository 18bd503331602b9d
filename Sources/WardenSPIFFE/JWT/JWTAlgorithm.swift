/// A JWS signature algorithm Warden can verify (RFC 7518 §3, RFC 8037 §3.1).
///
/// `none` and the HMAC algorithms are not representable: a verifier can never be configured to accept them.
public struct JWTAlgorithm: Hashable, Sendable, CustomStringConvertible {
    enum Family: Sendable { case rsaPKCS1, rsaPSS, ecdsa, eddsa }

    /// The `alg` header value.
    public let name: String
    let family: Family
    /// The digest size in bits; 0 for EdDSA, which hashes internally.
    let digestBits: UInt16
    /// A bit of its own, so that an allow-list is checked with a mask instead of a hash.
    let bit: UInt16

    private init(_ name: String, _ family: Family, _ digestBits: UInt16, _ index: UInt16) {
        self.name = name
        self.family = family
        self.digestBits = digestBits
        self.bit = 1 << index
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256.
    public static let rs256 = JWTAlgorithm("RS256", .rsaPKCS1, 256, 0)
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    public static let rs384 = JWTAlgorithm("RS384", .rsaPKCS1, 384, 1)
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    public static let rs512 = JWTAlgorithm("RS512", .rsaPKCS1, 512, 2)
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256.
    public static let ps256 = JWTAlgorithm("PS256", .rsaPSS, 256, 3)
    /// RSASSA-PSS with SHA-384 and MGF1 with SHA-384.
    public static let ps384 = JWTAlgorithm("PS384", .rsaPSS, 384, 4)
    /// RSASSA-PSS with SHA-512 and MGF1 with SHA-512.
    public static let ps512 = JWTAlgorithm("PS512", .rsaPSS, 512, 5)
    /// ECDSA on P-256 with SHA-256.
    public static let es256 = JWTAlgorithm("ES256", .ecdsa, 256, 6)
    /// ECDSA on P-384 with SHA-384.
    public static let es384 = JWTAlgorithm("ES384", .ecdsa, 384, 7)
    /// ECDSA on P-521 with SHA-512.
    public static let es512 = JWTAlgorithm("ES512", .ecdsa, 512, 8)
    /// Ed25519 (RFC 8037). Not in the default allow-list: JWT-SVID.md names only the RSA and ECDSA algorithms.
    public static let edDSA = JWTAlgorithm("EdDSA", .eddsa, 0, 9)

    /// Every algorithm Warden implements.
    public static let all: [JWTAlgorithm] = [
        .rs256, .rs384, .rs512, .ps256, .ps384, .ps512, .es256, .es384, .es512, .edDSA,
    ]

    /// The default allow-list: the algorithms of JWT-SVID.md §3 (RS, PS and ES with SHA-256/384/512).
    public static let jwtSVIDDefault: Set<JWTAlgorithm> = [
        .rs256, .rs384, .rs512, .ps256, .ps384, .ps512, .es256, .es384, .es512,
    ]

    /// The algorithm with this `alg` name, or `nil` when Warden does not implement it.
    public init?(name: String) {
        switch name {
        case "RS256": self = .rs256
        case "RS384": self = .rs384
        case "RS512": self = .rs512
        case "PS256": self = .ps256
        case "PS384": self = .ps384
        case "PS512": self = .ps512
        case "ES256": self = .es256
        case "ES384": self = .es384
        case "ES512": self = .es512
        case "EdDSA": self = .edDSA
        default: return nil
        }
    }

    /// The `alg` name.
    public var description: String { self.name }

    /// The mask of a set of algorithms.
    static func mask(_ algorithms: Set<JWTAlgorithm>) -> UInt16 {
        algorithms.reduce(0) { $0 | $1.bit }
    }

    public static func == (lhs: JWTAlgorithm, rhs: JWTAlgorithm) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.name) }
}
