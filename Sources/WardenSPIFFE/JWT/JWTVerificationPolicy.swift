/// The rules a JWT verifier applies beyond the signature: which algorithms, whether `kid` is required, how much clock
/// skew to forgive, and how long a token may be.
public struct JWTVerificationPolicy: Sendable, Hashable {
    /// The algorithms accepted. `none` and HMAC cannot be added; EdDSA can, explicitly.
    public var algorithms: Set<JWTAlgorithm> {
        didSet { self.algorithmMask = JWTAlgorithm.mask(self.algorithms) }
    }
    /// ``algorithms`` as a mask, kept in step, so that the check on every token hashes nothing.
    private(set) var algorithmMask: UInt16
    /// Whether a token must name its key with `kid`. When `false`, a token without `kid` verifies only if exactly one
    /// key could have signed it.
    public var requiresKeyID: Bool
    /// The clock skew forgiven on `exp`, `nbf` and `iat`.
    public var leeway: Duration
    /// Tokens longer than this (in bytes) are rejected before anything is decoded.
    public var maximumTokenSize: Int

    /// The default limit on a token's size: 8 KiB, far above any JWT-SVID (a few hundred bytes) and far below what
    /// could make decoding costly.
    public static let defaultMaximumTokenSize = 8 * 1024

    /// Creates a policy; the defaults are those of JWT-SVID verification.
    public init(
        algorithms: Set<JWTAlgorithm> = JWTAlgorithm.jwtSVIDDefault,
        requiresKeyID: Bool = true,
        leeway: Duration = .seconds(30),
        maximumTokenSize: Int = JWTVerificationPolicy.defaultMaximumTokenSize
    ) {
        self.algorithms = algorithms
        self.algorithmMask = JWTAlgorithm.mask(algorithms)
        self.requiresKeyID = requiresKeyID
        self.leeway = leeway
        self.maximumTokenSize = maximumTokenSize
    }
}
