public import WardenCore

/// An error from WardenWorkloadAPI: an endpoint address that cannot be used, an agent that refused or could not be
/// reached, or a message from the agent that breaks the protocol or Warden's limits.
public struct WorkloadAPIError: WardenError {
    /// The opaque code of a ``WorkloadAPIError``. New codes may be added in any release.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case invalidEndpoint
        }

        fileprivate let backing: Backing

        public var description: String { self.backing.rawValue }

        /// The Workload API endpoint's address (`SPIFFE_ENDPOINT_SOCKET`) is not a `unix` or `tcp` URI the SPIFFE
        /// Workload Endpoint standard allows; the message names the rule.
        public static let invalidEndpoint = Code(backing: .invalidEndpoint)
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
