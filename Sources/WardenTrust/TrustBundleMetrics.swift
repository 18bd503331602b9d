import Foundation
import Metrics
import WardenSPIFFE

/// What an operator alerts on for each trust domain's bundle, dimensioned by `trust_domain`.
///
/// | metric | type | meaning |
/// | --- | --- | --- |
/// | `warden_trust_bundle_authorities` | gauge | X.509 authorities trusted now, retained ones included |
/// | `warden_trust_bundle_retained_authorities` | gauge | of those, how many are only retained |
/// | `warden_trust_bundle_earliest_expiry_timestamp_seconds` | gauge | the earliest `notAfter` among them (Unix time) |
/// | `warden_trust_bundle_sequence` | gauge | the applied `spiffe_sequence` |
/// | `warden_trust_bundle_last_update_timestamp_seconds` | gauge | when a bundle was last applied (Unix time) |
/// | `warden_trust_bundle_changes_total` | counter | authorities added, retained, removed and distrusted (`kind`) |
/// | `warden_trust_bundle_refused_total` | counter | bundles refused (a sequence that went back) |
///
/// The source's refreshes and failures are the rotation engine's `warden_credential_*` metrics, under the source's
/// name.
struct TrustBundleMetrics: Sendable {
    let factory: any MetricsFactory

    func record(_ bundles: TrustDomainBundles, events: [TrustBundleEvent], at now: Date) {
        let dimensions = [("trust_domain", bundles.trustDomain.name)]
        let effective = bundles.effective
        Gauge(label: "warden_trust_bundle_authorities", dimensions: dimensions, factory: self.factory)
            .record(effective.x509Authorities.count)
        Gauge(label: "warden_trust_bundle_retained_authorities", dimensions: dimensions, factory: self.factory)
            .record(bundles.retainedCount)
        if let earliest = effective.x509Authorities.map(\.notValidAfter).min() {
            Gauge(
                label: "warden_trust_bundle_earliest_expiry_timestamp_seconds",
                dimensions: dimensions,
                factory: self.factory
            ).record(earliest.timeIntervalSince1970)
        }
        if let sequence = effective.sequenceNumber {
            Gauge(label: "warden_trust_bundle_sequence", dimensions: dimensions, factory: self.factory)
                .record(Double(sequence))
        }
        for event in events {
            Counter(
                label: "warden_trust_bundle_changes_total",
                dimensions: dimensions + [("kind", event.kind.rawValue)],
                factory: self.factory
            ).increment()
        }
    }

    func recordApplied(_ trustDomain: TrustDomain, at now: Date) {
        Gauge(
            label: "warden_trust_bundle_last_update_timestamp_seconds",
            dimensions: [("trust_domain", trustDomain.name)],
            factory: self.factory
        ).record(now.timeIntervalSince1970)
    }

    func recordRefused(_ trustDomain: TrustDomain) {
        Counter(
            label: "warden_trust_bundle_refused_total",
            dimensions: [("trust_domain", trustDomain.name)],
            factory: self.factory
        ).increment()
    }
}
