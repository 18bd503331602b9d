import Foundation
import Metrics

/// The metrics an operator alerts on, one set per provider, dimensioned by the credential's name.
///
/// | metric | type | meaning |
/// | --- | --- | --- |
/// | `warden_credential_expiry_timestamp_seconds` | gauge | when the held credential expires (Unix time) |
/// | `warden_credential_seconds_until_expiry` | gauge | seconds left, updated on every event and every metrics interval |
/// | `warden_credential_last_success_timestamp_seconds` | gauge | when the last refresh succeeded (Unix time) |
/// | `warden_credential_seconds_since_refresh` | gauge | seconds since then |
/// | `warden_credential_refreshes_total` | counter | successful refreshes |
/// | `warden_credential_refresh_failures_total` | counter | failed attempts |
/// | `warden_credential_rotations_total` | counter | new or renewed credentials |
/// | `warden_credential_fetch_duration` | timer | how long each attempt took |
struct CredentialMetrics: Sendable {
    let expiryTimestamp: Gauge
    let secondsUntilExpiry: Gauge
    let lastSuccessTimestamp: Gauge
    let secondsSinceRefresh: Gauge
    let refreshes: Counter
    let failures: Counter
    let rotations: Counter
    let fetchDuration: Metrics.Timer

    init(name: String, factory: any MetricsFactory) {
        let dimensions = [("credential", name)]
        self.expiryTimestamp = Gauge(
            label: "warden_credential_expiry_timestamp_seconds",
            dimensions: dimensions,
            factory: factory
        )
        self.secondsUntilExpiry = Gauge(
            label: "warden_credential_seconds_until_expiry",
            dimensions: dimensions,
            factory: factory
        )
        self.lastSuccessTimestamp = Gauge(
            label: "warden_credential_last_success_timestamp_seconds",
            dimensions: dimensions,
            factory: factory
        )
        self.secondsSinceRefresh = Gauge(
            label: "warden_credential_seconds_since_refresh",
            dimensions: dimensions,
            factory: factory
        )
        self.refreshes = Counter(label: "warden_credential_refreshes_total", dimensions: dimensions, factory: factory)
        self.failures = Counter(
            label: "warden_credential_refresh_failures_total",
            dimensions: dimensions,
            factory: factory
        )
        self.rotations = Counter(label: "warden_credential_rotations_total", dimensions: dimensions, factory: factory)
        self.fetchDuration = Metrics.Timer(
            label: "warden_credential_fetch_duration",
            dimensions: dimensions,
            factory: factory
        )
    }

    func recordFetch(duration: Duration, succeeded: Bool) {
        self.fetchDuration.recordNanoseconds(Int64(duration.timeInterval * 1e9))
        if succeeded { self.refreshes.increment() } else { self.failures.increment() }
    }

    func recordRotation() {
        self.rotations.increment()
    }

    func updateGauges<Value>(credential: Credential<Value>?, lastSuccess: Date?, now: Date) {
        if let expiresAt = credential?.expiresAt {
            self.expiryTimestamp.record(expiresAt.timeIntervalSince1970)
            self.secondsUntilExpiry.record(expiresAt.timeIntervalSince(now))
        }
        if let lastSuccess {
            self.lastSuccessTimestamp.record(lastSuccess.timeIntervalSince1970)
            self.secondsSinceRefresh.record(now.timeIntervalSince(lastSuccess))
        }
    }
}
