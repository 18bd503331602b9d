public import WardenCore

/// An error from WardenTrust: a bundle that cannot be trusted as it is.
public struct TrustError: WardenError {
    /// The opaque code of a ``TrustError``. New codes may be added in any release.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case malformedBundle
        }

        fileprivate let backing: Backing

        public var description: String { self.backing.rawValue }

        /// The bundle does not parse, or holds something that is not an authority.
        public static let malformedBundle = Code(backing: .malformedBundle)
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
