import Foundation
public import Metrics
public import WardenPKI

/// Gauges for the CRLs a process holds, one set per source, dimensioned by `crl` (the source's name):
///
/// | metric | meaning |
/// | --- | --- |
/// | `warden_crl_this_update_timestamp_seconds` | when the held complete CRL was issued (Unix time); its age is `time() - this` |
/// | `warden_crl_next_update_timestamp_seconds` | when the next list is due (the earlier of the complete CRL's and the delta's); past it, the list is stale |
/// | `warden_crl_entries` | revoked certificates in the complete CRL plus the delta |
/// | `warden_crl_number` | the complete CRL's number (as a double; large numbers lose precision) |
///
/// The rotation engine's own `warden_credential_*` metrics cover refreshes and failures of the same sources.
/// `Documentation/Revocation.md` has the alert rule for a stale CRL.
public enum RevocationListMetrics {
    /// Sets the gauges of `source` from `list`.
    public static func record(
        _ list: RevocationList,
        source: String,
        factory: any MetricsFactory = MetricsSystem.factory
    ) {
        let dimensions = [("crl", source)]
        Gauge(label: "warden_crl_this_update_timestamp_seconds", dimensions: dimensions, factory: factory)
            .record(list.base.thisUpdate.timeIntervalSince1970)
        if let nextUpdate = list.nextUpdate {
            Gauge(label: "warden_crl_next_update_timestamp_seconds", dimensions: dimensions, factory: factory)
                .record(nextUpdate.timeIntervalSince1970)
        }
        Gauge(label: "warden_crl_entries", dimensions: dimensions, factory: factory)
            .record(list.base.revokedCertificates.count + (list.delta?.revokedCertificates.count ?? 0))
        if let number = list.base.number {
            Gauge(label: "warden_crl_number", dimensions: dimensions, factory: factory)
                .record(number.bytes.reduce(0.0) { $0 * 256 + Double($1) })
        }
    }
}
