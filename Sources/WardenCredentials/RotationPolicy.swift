public import WardenCore

/// When a ``RotatingCredentialProvider`` refreshes, retries and gives up. The defaults suit most credentials.
public struct RotationPolicy: Sendable {
    /// The share of a credential's lifetime at which it is refreshed, drawn uniformly per credential: 50%–67% by
    /// default, as in Vault's `LifetimeWatcher` and the AWS and Google SDKs. Measured from the credential's
    /// ``Credential/issuedAt``.
    public var refreshWindow: ClosedRange<Double> = 0.5...0.67
    /// How often a credential that never expires (a KV value, an API key) is re-read; each wait is drawn from 80%–100%
    /// of it, so that a fleet does not align.
    public var rereadInterval: Duration = .seconds(300)
    /// How retries of a failing source are spaced: 1 s doubling to 5 min with full jitter by default.
    public var backoff: BackoffPolicy = .default
    /// How long before hard expiry ``RotatingCredentialProvider/current()`` stops returning the held value at once
    /// and waits for the refresh instead (at most 10% of the lifetime).
    public var mandatoryRefreshWindow: Duration = .seconds(30)
    /// Opt-in "static stability": how long past hard expiry the last value may still be served while the source is
    /// down. `nil` (the default) serves nothing past expiry. Never applies to sources whose
    /// ``CredentialSource/allowsStaleValues`` is `false`, such as Vault leases, which the server has already revoked.
    public var staleExtension: Duration? = nil
    /// The shortest time between two scheduled refreshes, so that a source whose hints are in the past cannot make
    /// the provider spin.
    public var minimumRefreshInterval: Duration = .seconds(1)
    /// Whether shutting the provider down revokes the credential it holds.
    public var revokeOnShutdown: Bool = false
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
        minimumRefreshInterval: Duration = .seconds(1),
        revokeOnShutdown: Bool = false,
        metricsInterval: Duration = .seconds(30)
    ) {
        self.refreshWindow = refreshWindow
        self.rereadInterval = rereadInterval
        self.backoff = backoff
        self.mandatoryRefreshWindow = mandatoryRefreshWindow
        self.staleExtension = staleExtension
        self.minimumRefreshInterval = minimumRefreshInterval
        self.revokeOnShutdown = revokeOnShutdown
        self.metricsInterval = metricsInterval
    }
}
