public import Foundation

/// Why a source is failing: since when, how many attempts, and the last error.
public struct CredentialFailure: Hashable, Sendable, Codable {
    /// When the first failed attempt of this run of failures happened.
    public var since: Date
    /// How many attempts have failed in a row.
    public var attempts: Int
    /// The last error, as text (sources keep secrets out of their errors).
    public var lastError: String
    /// When the next attempt is due.
    public var nextRetry: Date

    /// Creates a failure record.
    public init(since: Date, attempts: Int, lastError: String, nextRetry: Date) {
        self.since = since
        self.attempts = attempts
        self.lastError = lastError
        self.nextRetry = nextRetry
    }
}

/// The state of a ``RotatingCredentialProvider``, as an operator sees it.
public enum CredentialStatus: Hashable, Sendable {
    /// No value to serve and no failure either: nothing fetched yet, or the held value was refused by its consumer
    /// and its replacement has not arrived. A fetch may be under way.
    case pending
    /// A valid value is held and no refresh is running.
    case fresh
    /// A valid value is held and served, and a refresh is running beside it.
    case refreshing
    /// A valid value is held, but the source is failing: callers get the last good value while it is valid.
    case degraded(CredentialFailure)
    /// The value passed its hard expiry at `since`; `failure` says why no new one came.
    case expired(since: Date, failure: CredentialFailure?)
    /// No usable value is held (none was ever fetched, or the held one was refused and invalidated), and fetching
    /// fails.
    case unavailable(CredentialFailure)
    /// The provider shut down and revoked its credential.
    case revoked

    /// A one-word name: `pending`, `fresh`, `refreshing`, `degraded`, `expired`, `unavailable` or `revoked`.
    public var name: String {
        switch self {
        case .pending: "pending"
        case .fresh: "fresh"
        case .refreshing: "refreshing"
        case .degraded: "degraded"
        case .expired: "expired"
        case .unavailable: "unavailable"
        case .revoked: "revoked"
        }
    }

    /// Whether callers are served a valid value now: fresh, refreshing or degraded. `false` while nothing servable is
    /// held (pending, unavailable), past expiry (even when ``RotationPolicy/staleExtension`` still serves the old
    /// value) and after revocation, so that a health check built on it is right.
    public var isServing: Bool {
        switch self {
        case .fresh, .refreshing, .degraded: true
        default: false
        }
    }
}
