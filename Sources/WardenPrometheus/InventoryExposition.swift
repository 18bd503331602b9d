public import Foundation
public import Prometheus
import Synchronization
public import WardenCredentials

/// Machine identities as Prometheus metrics, for an application's metrics endpoint or `warden scan --serve`.
///
/// Two families, each from its own input:
///
/// - **Certificates** (``setCertificates(_:readErrors:)``), in x509-certificate-exporter's names and labels, so that
///   its dashboards and alerts work unchanged (see ``CertificateObservation`` for the labels):
///
///   | metric | meaning |
///   | --- | --- |
///   | `x509_cert_not_after` | the end of validity (Unix time) |
///   | `x509_cert_not_before` | the start of validity (Unix time) |
///   | `x509_cert_expired` | 1 when past `not_after` at the last scrape, else 0 |
///   | `x509_read_errors` | targets the last scan could not read |
///
/// - **The inventory** (a ``CredentialInventory``'s providers, read at each scrape, and entries set with
///   ``setEntries(_:)``), labelled `name`, `owner`, `kind`, `source`, `purpose` and `managed` (`true` when a
///   ``RotatingCredentialProvider`` rotates it). A provider's entry has a `warden_inventory_status` series for every
///   status name, one of them 1; an entry nothing rotates has only its own:
///
///   | metric | meaning |
///   | --- | --- |
///   | `warden_inventory_expiry_timestamp_seconds` | when the credential expires (Unix time) |
///   | `warden_inventory_last_success_timestamp_seconds` | the last successful refresh (Unix time) |
///   | `warden_inventory_last_rotation_timestamp_seconds` | the last rotation (Unix time) |
///   | `warden_inventory_failing_since_timestamp_seconds` | the first failure of the run under way; 0 when none |
///   | `warden_inventory_consecutive_failures` | failed refreshes in a row |
///   | `warden_inventory_status` | 1 for the credential's status (label `status`), 0 for the others |
///
/// The inventory family has its own names, apart from the `warden_credential_*` metrics a provider records through
/// swift-metrics, so that an application may expose both from one endpoint without a name recorded twice.
///
/// ```swift
/// let exposition = InventoryExposition(inventory: inventory)
/// router.get("/metrics") { _, _ in
///     var buffer: [UInt8] = []
///     exposition.emit(into: &buffer)
///     return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
/// }
/// ```
///
/// The alert rules in the repository's `Alerts/` folder are written against these names.
public final class InventoryExposition: Sendable {
    /// The registry the metrics are kept in; other metrics may share it.
    public let registry: PrometheusCollectorRegistry
    private let inventory: CredentialInventory?
    private let state = Mutex(State())

    private struct SeriesKey: Hashable {
        let name: String
        let labels: [String]
    }

    private struct State {
        var certificates: [CertificateObservation] = []
        var readErrors = 0
        var entries: [CredentialInventory.Entry] = []
        var gauges: [SeriesKey: Gauge] = [:]
    }

    /// The status names a provider reports (``CredentialStatus/name``) and ``CredentialInventory/Entry/unmanagedStatus``:
    /// each gets a `warden_inventory_status` series for a provider's entry, so that a query for one that is 0 finds it.
    public static let statusNames = [
        "pending", "fresh", "refreshing", "degraded", "expired", "unavailable", "revoked",
        CredentialInventory.Entry.unmanagedStatus,
    ]

    /// Creates an exposition of `inventory`'s providers (if any) and of what is set on it, kept in `registry`.
    public init(
        inventory: CredentialInventory? = nil,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) {
        self.inventory = inventory
        self.registry = registry
    }

    /// Replaces the certificates exposed, and the count of targets that could not be read.
    public func setCertificates(_ certificates: [CertificateObservation], readErrors: Int = 0) {
        self.state.withLock {
            $0.certificates = certificates
            $0.readErrors = readErrors
        }
    }

    /// Replaces the entries exposed beside the inventory's own (what a scan found).
    public func setEntries(_ entries: [CredentialInventory.Entry]) {
        self.state.withLock { $0.entries = entries }
    }

    /// Brings every series up to date, as of `now`, and appends the text exposition to `buffer`.
    public func emit(into buffer: inout [UInt8], at now: Date = Date()) {
        let managed = self.inventory?.entries() ?? []
        self.state.withLock { state in
            var wanted: [SeriesKey: (labels: [(String, String)], value: Double, help: String)] = [:]
            func put(_ name: String, _ labels: [(String, String)], _ value: Double, _ help: String) {
                wanted[SeriesKey(name: name, labels: labels.flatMap { [$0.0, $0.1] })] = (labels, value, help)
            }
            for certificate in state.certificates {
                let labels = certificate.labelPairs
                put("x509_cert_not_after", labels, certificate.notAfter.timeIntervalSince1970, Self.help.notAfter)
                put("x509_cert_not_before", labels, certificate.notBefore.timeIntervalSince1970, Self.help.notBefore)
                put("x509_cert_expired", labels, certificate.notAfter <= now ? 1 : 0, Self.help.expired)
            }
            put("x509_read_errors", [], Double(state.readErrors), Self.help.readErrors)
            for entry in managed + state.entries {
                let labels = [
                    ("name", entry.name), ("owner", entry.owner ?? ""), ("kind", entry.kind ?? ""),
                    ("source", entry.source ?? ""), ("purpose", entry.purpose ?? ""),
                    ("managed", entry.isManaged ? "true" : "false"),
                ]
                if let expiresAt = entry.expiresAt {
                    put(
                        "warden_inventory_expiry_timestamp_seconds",
                        labels,
                        expiresAt.timeIntervalSince1970,
                        Self.help.expiry
                    )
                }
                if let lastSuccess = entry.lastSuccess {
                    put(
                        "warden_inventory_last_success_timestamp_seconds",
                        labels,
                        lastSuccess.timeIntervalSince1970,
                        Self.help.lastSuccess
                    )
                }
                if let lastRotation = entry.lastRotation {
                    put(
                        "warden_inventory_last_rotation_timestamp_seconds",
                        labels,
                        lastRotation.timeIntervalSince1970,
                        Self.help.lastRotation
                    )
                }
                if entry.isManaged {
                    put(
                        "warden_inventory_failing_since_timestamp_seconds",
                        labels,
                        entry.failure?.since.timeIntervalSince1970 ?? 0,
                        Self.help.failingSince
                    )
                    put(
                        "warden_inventory_consecutive_failures",
                        labels,
                        Double(entry.failure?.attempts ?? 0),
                        Self.help.failures
                    )
                }
                // What nothing rotates has one status; a provider's get a series each, so that a query finds 0s.
                for status in entry.isManaged ? Self.statusNames : [entry.status] {
                    put(
                        "warden_inventory_status",
                        labels + [("status", status)],
                        entry.status == status ? 1 : 0,
                        Self.help.status
                    )
                }
            }
            for (key, gauge) in state.gauges where wanted[key] == nil {
                self.registry.unregisterGauge(gauge)
                state.gauges[key] = nil
            }
            for (key, series) in wanted {
                let gauge =
                    state.gauges[key]
                    ?? self.registry.makeGauge(
                        // The names are written whole, unit included: no unit to append.
                        descriptor: MetricNameDescriptor(metricName: key.name, unitName: "", helpText: series.help),
                        labels: series.labels
                    )
                gauge.set(series.value)
                state.gauges[key] = gauge
            }
        }
        self.registry.emit(into: &buffer)
    }

    /// The text exposition as of `now`, as a string.
    public func emitToString(at now: Date = Date()) -> String {
        var buffer: [UInt8] = []
        self.emit(into: &buffer, at: now)
        return String(decoding: buffer, as: UTF8.self)
    }

    private enum help {
        static let notAfter = "The end of the certificate's validity (Unix time)."
        static let notBefore = "The start of the certificate's validity (Unix time)."
        static let expired = "1 when the certificate has expired, else 0."
        static let readErrors = "Targets the last scan could not read."
        static let expiry = "When the credential expires (Unix time)."
        static let lastSuccess = "When the credential's last refresh succeeded (Unix time)."
        static let lastRotation = "When the credential was last replaced by a new one (Unix time)."
        static let failingSince = "When the run of failed refreshes under way began (Unix time); 0 when none."
        static let failures = "Failed refreshes in a row."
        static let status = "1 for the credential's status, 0 for the others."
    }
}
