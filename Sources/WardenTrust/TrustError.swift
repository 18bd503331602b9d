public import WardenCore

/// An error from WardenTrust: a bundle that cannot be trusted as it is, or an endpoint (a bundle endpoint, a CRL
/// distribution point, an OCSP responder) that did not give what was asked.
///
/// The codes of a bundle endpoint's failures say which check failed, so that an operator (and `warden bundle fetch`'s
/// exit status) can tell an endpoint that is down from a bundle that is wrong.
public struct TrustError: WardenError {
    /// The opaque code of a ``TrustError``. New codes may be added in any release.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case malformedBundle
            case invalidEndpoint
            case endpointUnreachable
            case endpointNotVerified
            case unexpectedStatus
            case responseTooLarge
            case timedOut
            case sequenceWentBack
        }

        fileprivate let backing: Backing

        public var description: String { self.backing.rawValue }

        /// The bundle does not parse, or holds something that is not an authority.
        public static let malformedBundle = Code(backing: .malformedBundle)
        /// The bundle endpoint's URL or profile cannot be used (not `https`, no host, a bad port).
        public static let invalidEndpoint = Code(backing: .invalidEndpoint)
        /// The bundle endpoint could not be reached, or closed the connection before its response ended.
        public static let endpointUnreachable = Code(backing: .endpointUnreachable)
        /// The bundle endpoint's TLS identity was not verified: its Web PKI certificate or hostname (`https_web`), or
        /// its X509-SVID or SPIFFE ID (`https_spiffe`).
        public static let endpointNotVerified = Code(backing: .endpointNotVerified)
        /// The bundle endpoint answered with a status other than 200; a redirect is not followed.
        public static let unexpectedStatus = Code(backing: .unexpectedStatus)
        /// The bundle endpoint's response body is larger than the limit.
        public static let responseTooLarge = Code(backing: .responseTooLarge)
        /// The bundle endpoint did not answer within the time allowed.
        public static let timedOut = Code(backing: .timedOut)
        /// The bundle's `spiffe_sequence` is lower than that of a bundle already held.
        public static let sequenceWentBack = Code(backing: .sequenceWentBack)
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
