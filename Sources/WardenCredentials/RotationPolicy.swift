public import WardenCore

/// When a ``RotatingCredentialProvider`` refreshes, retries, waits and gives up. The defaults suit most credentials.
///
/// Every number the engine uses is here; the provider's documentation says how they combine.
public struct RotationPolicy: Sendable {
    /// The share of a credential's lifetime at which it is refreshed, drawn uniformly per credential: 50%–67% by
    /// default, as in Vault's `LifetimeWatcher` and the AWS and Google SDKs. Measured from the credential's
    /// ``Credential/issuedAt``, or from the last renewal for a renewed one.
    public var refreshWindow: ClosedRange<Double> = 0.5...0.67
    /// How often a credential that never expires (a KV value, an API key) is re-read; each wait is drawn from 80%–100%
    /// of it, so that a fleet does not align.
    public var rereadInterval: Duration = .seconds(300)
    /// How retries of a failing source are spaced: 1 s doubling to 5 min with full jitter by default. Also spaces the
    /// fetches that repeated refusals of new credentials cause (see ``RotatingCredentialProvider/invalidate(where:)``).
    /// When backing off would sleep past the held value's expiry, exactly one retry per run of failures is moved to
    /// the middle of the mandatory window; after it, this schedule goes on.
    public var backoff: BackoffPolicy = .default
    /// How long before hard expiry ``RotatingCredentialProvider/current()`` stops returning the held value at once
    /// and waits for a refresh instead: 30 s by default, and never more than 10% of the credential's lifetime.
    public var mandatoryRefreshWindow: Duration = .seconds(30)
    /// Opt-in "static stability": how long past hard expiry the last value may still be served while the source is
    /// down. `nil` (the default) serves nothing past expiry. Never applies to sources whose
    /// ``CredentialSource/allowsStaleValues`` is `false`, such as Vault leases, which the server has already revoked.
    public var staleExtension: Duration? = nil
    /// The shortest time between the starts of two attempts on the source, measured on the monotonic clock: 100 ms by
    /// default. Neither hints in the past, nor a source that keeps returning credentials about to expire, nor a
    /// consumer that refuses every credential can make the provider call its source faster than this.
    ///
    /// It also sets the shortest lifetime the refresh schedule serves as promised: a credential keeps its refresh
    /// between 50% and 67% of its lifetime as long as half its lifetime is at least this interval (200 ms of lifetime
    /// by default); a shorter-lived one is refreshed every `minimumRefreshInterval`.
    public var minimumRefreshInterval: Duration = .milliseconds(100)
    /// How long one call to the source (a fetch, a renewal) may take before it counts as failed with
    /// ``CredentialsError/Code/timeout``: 30 s by default, measured on the monotonic clock. A source that hangs then
    /// fails like any other: a caller with no value gets the typed error within this time, and the provider retries
    /// on its backoff schedule. The call is cancelled; if its credential arrives anyway, it is never served (and is
    /// revoked when revocation on shutdown is in effect, see ``revokeOnShutdown``).
    public var fetchTimeout: Duration = .seconds(30)
    /// Whether shutting the provider down revokes the credential it holds. `nil` (the default) lets the source
    /// decide: it revokes exactly when the source's credentials are leases (``CredentialSource/issuesLeases``), such
    /// as Vault database credentials, PKI certificates and tokens. `true` or `false` overrides the source.
    public var revokeOnShutdown: Bool? = nil
    /// How long shutting down may take: the revocation on shutdown is given at most this long (10 s by default), and
    /// a fetch under way is abandoned at once, so that ``RotatingCredentialProvider/run()`` returns within this
    /// grace even if the source ignores cancellation.
    public var shutdownGracePeriod: Duration = .seconds(10)
    /// How often the relative gauges (seconds until expiry, since last refresh) are updated while nothing happens.
    public var metricsInterval: Duration = .seconds(30)

    /// The defaults.
    public init() {}

    /// A policy with some settings changed from the defaults.
    public init(
        refreshWindow: ClosedRange<Double> = 0.5...0.67,
        rereadInterval: Duration = .seconds(300),
        backoff: BackoffPolicy = .default,
        mandatoryRefreshWindow: Duration = .seconds(30),
        staleExtension: Duration? = nil,
        minimumRefreshInterval: Duration = .milliseconds(100),
        fetchTimeout: Duration = .seconds(30),
        revokeOnShutdown: Bool? = nil,
        shutdownGracePeriod: Duration = .seconds(10),
        metricsInterval: Duration = .seconds(30)
    ) {
        self.refreshWindow = refreshWindow
        self.rereadInterval = rereadInterval
        self.backoff = backoff
        self.mandatoryRefreshWindow = mandatoryRefreshWindow
        self.staleExtension = staleExtension
        self.minimumRefreshInterval = minimumRefreshInterval
        self.fetchTimeout = fetchTimeout
        self.revokeOnShutdown = revokeOnShutdown
        self.shutdownGracePeriod = shutdownGracePeriod
        self.metricsInterval = metricsInterval
    }
}
