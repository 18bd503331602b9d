public import WardenCore

/// An error from WardenWorkloadAPI: an endpoint address that cannot be used, an agent that refused or could not be
/// reached, or a message from the agent that breaks the protocol or Warden's limits.
public struct WorkloadAPIError: WardenError {
    /// The opaque code of a ``WorkloadAPIError``. New codes may be added in any release.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case invalidEndpoint
            case unavailable
            case permissionDenied
            case invalidRequest
            case malformedResponse
            case responseTooLarge
            case timeout
        }

        fileprivate let backing: Backing

        public var description: String { self.backing.rawValue }

        /// The Workload API endpoint's address (`SPIFFE_ENDPOINT_SOCKET`) is not a `unix` or `tcp` URI the SPIFFE
        /// Workload Endpoint standard allows; the message names the rule.
        public static let invalidEndpoint = Code(backing: .invalidEndpoint)
        /// The agent could not be reached, went away, or ended a stream with an error; the message names the socket
        /// and the gRPC status. Retried by the sources.
        public static let unavailable = Code(backing: .unavailable)
        /// The agent has no identity for this workload (SPIRE: `PermissionDenied "no identity issued"`), or refused
        /// the SPIFFE ID asked for. A state the sources report, not a crash: the last SVID is served while valid.
        public static let permissionDenied = Code(backing: .permissionDenied)
        /// The agent refused the request as malformed (`InvalidArgument`): a bug in the caller or in Warden, so it is
        /// not retried.
        public static let invalidRequest = Code(backing: .invalidRequest)
        /// The agent sent something that is not a valid answer: no SVID, a certificate that breaks the X509-SVID
        /// rules, a key that does not match, a bundle that does not parse. The message names the field.
        public static let malformedResponse = Code(backing: .malformedResponse)
        /// A message over ``WorkloadAPILimits``: too many bytes, SVIDs or bundles. Checked before any certificate is
        /// parsed.
        public static let responseTooLarge = Code(backing: .responseTooLarge)
        /// No answer within the time allowed.
        public static let timeout = Code(backing: .timeout)
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
