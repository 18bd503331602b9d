public import Foundation
public import WardenCore

/// An error from WardenCredentials: no usable credential, or a source that failed.
public struct CredentialsError: WardenError {
    /// The opaque code of a ``CredentialsError``. New codes may be added in any release.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case unavailable, expired, revoked, renewalUnsupported, sourceFailed, allSourcesFailed, invalidCredential,
                timeout, cacheRejected, invalidConfiguration
        }
        fileprivate let backing: Backing
        fileprivate init(_ backing: Backing) { self.backing = backing }

        /// A stable camel-case name.
        public var description: String { self.backing.rawValue }

        /// No credential can be served: none has been fetched yet (or the held one was refused), and fetching failed or
        /// the provider shut down.
        public static let unavailable = Code(.unavailable)
        /// The credential passed its hard expiry and the source has not produced a new one.
        public static let expired = Code(.expired)
        /// The provider shut down and revoked its credential.
        public static let revoked = Code(.revoked)
        /// The source cannot renew credentials in place.
        public static let renewalUnsupported = Code(.renewalUnsupported)
        /// The source failed (the message carries its error).
        public static let sourceFailed = Code(.sourceFailed)
        /// Every source of a fallback chain failed.
        public static let allSourcesFailed = Code(.allSourcesFailed)
        /// The source produced something that is not a usable credential: one already expired, one that expires no
        /// later than it was issued, one its consumer refused, or a key that does not match its certificate.
        public static let invalidCredential = Code(.invalidCredential)
        /// A call to the source took longer than ``RotationPolicy/fetchTimeout``.
        public static let timeout = Code(.timeout)
        /// A persistent cache entry failed authentication (edited, truncated, or sealed with another key, name or kind)
        /// and was not used.
        public static let cacheRejected = Code(.cacheRejected)
        /// A setting cannot work as given (a cache key that is missing, the wrong size, readable by others, or kept
        /// beside the cache).
        public static let invalidConfiguration = Code(.invalidConfiguration)
    }

    /// The condition that failed.
    public let code: Code
    /// What failed, since when and why; never a secret value.
    public let message: String
    /// When the source started failing, for ``Code/expired`` and ``Code/unavailable``.
    public let failingSince: Date?

    /// Creates an error.
    public init(_ code: Code, _ message: String, failingSince: Date? = nil) {
        self.code = code
        self.message = message
        self.failingSince = failingSince
    }
}
