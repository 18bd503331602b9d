import Foundation
import Metrics

/// What an operator watches of the Workload API streams a source keeps open, dimensioned by `stream` (`x509_svid`,
/// `x509_bundles`):
///
/// | metric | type | meaning |
/// | --- | --- | --- |
/// | `warden_workload_api_updates_total` | counter | messages the agent pushed |
/// | `warden_workload_api_reconnects_total` | counter | times the stream was opened again after it broke |
/// | `warden_workload_api_errors_total` | counter | stream failures, by `code` (`unavailable`, `permissionDenied`, …) |
/// | `warden_workload_api_last_update_timestamp_seconds` | gauge | when the agent last sent a message (Unix time) |
///
/// The SVID's expiry and the refreshes are the rotation engine's `warden_credential_*` metrics, under the source's
/// name.
struct WorkloadAPIMetrics: Sendable {
    let stream: String
    let factory: any MetricsFactory

    func recordUpdate() {
        Counter(
            label: "warden_workload_api_updates_total",
            dimensions: [("stream", self.stream)],
            factory: self.factory
        )
        .increment()
        Gauge(
            label: "warden_workload_api_last_update_timestamp_seconds",
            dimensions: [("stream", self.stream)],
            factory: self.factory
        ).record(Date().timeIntervalSince1970)
    }

    func recordReconnect() {
        Counter(
            label: "warden_workload_api_reconnects_total",
            dimensions: [("stream", self.stream)],
            factory: self.factory
        )
        .increment()
    }

    func recordError(_ error: WorkloadAPIError) {
        Counter(
            label: "warden_workload_api_errors_total",
            dimensions: [("stream", self.stream), ("code", error.code.description)],
            factory: self.factory
        ).increment()
    }
}
