import Foundation
import Logging
import Testing
import WardenCore
import WardenCredentials
import WardenTestSupport
import WardenTesting
import X509

@testable import WardenPrometheus

/// The Prometheus exposition of the inventory: a provider's state as the alert rules read it, the scanned entries
/// beside it, and x509-certificate-exporter's certificate series.
@Suite struct InventoryExpositionTests {
    struct SourceDown: Error, CustomStringConvertible {
        var description: String { "source down" }
    }

    /// One series of the text exposition: its name, its labels (each name once) and its value.
    struct Series {
        var name: String
        var labels: [String: String] = [:]
        var value: Double
    }

    /// Parses the exposition's series lines; a label named twice fails the test.
    static func series(_ text: String) -> [Series] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            // The value follows the last space; label values may hold spaces of their own.
            let space = line.lastIndex(of: " ") ?? line.endIndex
            let (head, value) = (line[..<space], line[space...].dropFirst())
            var series = Series(name: String(head.prefix { $0 != "{" }), value: Double(value) ?? .nan)
            if let open = head.firstIndex(of: "{") {
                let body = head[head.index(after: open)..<head.index(before: head.endIndex)]
                for pair in body.split(separator: "\",").map({ $0.hasSuffix("\"") ? $0 : $0 + "\"" }) {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    let name = String(parts[0]).trimmingCharacters(in: CharacterSet(charactersIn: ","))
                    #expect(series.labels[name] == nil, "label \(name) twice in \(line)")
                    series.labels[name] = String(parts[1].dropFirst().dropLast())
                }
            }
            return series
        }
    }

    /// The value of the one series named `metric` whose labels include all of `labels`.
    static func value(_ text: String, _ metric: String, _ labels: [String: String]) -> Double? {
        let matching = Self.series(text).filter { series in
            series.name == metric && labels.allSatisfy { series.labels[$0.key] == $0.value }
        }
        return matching.count == 1 ? matching[0].value : nil
    }

    @Test func aProviderIsExposedWithItsOwnerStatusAndFailures() async throws {
        let clock = ManualClock()
        let inventory = CredentialInventory()
        let source = ScriptedSource(name: "vault:database/creds/orders", clock: clock)
        let provider = RotatingCredentialProvider(
            source: source,
            policy: .testing,
            owner: "payments",
            purpose: "orders database",
            clock: clock,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            inventory: inventory,
            randomSeed: 1
        )
        let exposition = InventoryExposition(inventory: inventory)
        _ = try await provider.current()
        let labels = [
            "name": "vault:database/creds/orders", "owner": "payments", "purpose": "orders database",
            "managed": "true", "kind": "test",
        ]
        var text = exposition.emitToString(at: clock.now)
        #expect(
            Self.value(text, "warden_inventory_expiry_timestamp_seconds", labels)
                == clock.now.addingTimeInterval(1000).timeIntervalSince1970
        )
        #expect(Self.value(text, "warden_inventory_status", labels.merging(["status": "fresh"]) { $1 }) == 1)
        #expect(Self.value(text, "warden_inventory_status", labels.merging(["status": "degraded"]) { $1 }) == 0)
        #expect(Self.value(text, "warden_inventory_failing_since_timestamp_seconds", labels) == 0)
        #expect(
            Self.value(text, "warden_inventory_last_rotation_timestamp_seconds", labels)
                == clock.now.timeIntervalSince1970
        )

        // The source fails from the refresh point on: degraded, serving the last good value, failing since then.
        source.setFailing(SourceDown())
        clock.advance(by: .seconds(995))
        let failedAt = clock.now
        _ = try? await provider.current()
        text = exposition.emitToString(at: clock.now)
        #expect(Self.value(text, "warden_inventory_status", labels.merging(["status": "degraded"]) { $1 }) == 1)
        #expect(Self.value(text, "warden_inventory_status", labels.merging(["status": "fresh"]) { $1 }) == 0)
        let since = try #require(Self.value(text, "warden_inventory_failing_since_timestamp_seconds", labels))
        #expect(abs(since - failedAt.timeIntervalSince1970) < 1)
        #expect((Self.value(text, "warden_inventory_consecutive_failures", labels) ?? 0) >= 1)
        #expect(!text.contains("secret-"), "no credential value in the exposition")
        withExtendedLifetime(provider) {}
    }

    @Test func certificatesUseTheExporterNamesAndGoneOnesAreRemoved() throws {
        let certificate = try TestPKI.chain().leaf.certificate
        let exposition = InventoryExposition()
        let observation = CertificateObservation(
            location: "/etc/tls/web.pem#1",
            filePath: "/etc/tls/web.pem",
            certificate: certificate,
            labels: ["owner": "web", "filepath": "ignored: the exporter's own label wins", "bad-name": "left out"]
        )
        exposition.setCertificates([observation], readErrors: 2)
        exposition.setEntries([
            CredentialInventory.Entry(
                name: "/etc/tls/web.pem#1",
                kind: "certificate",
                owner: "web",
                source: "/etc/tls/web.pem#1",
                expiresAt: certificate.notValidAfter
            )
        ])
        let now = certificate.notValidBefore.addingTimeInterval(60)
        var text = exposition.emitToString(at: now)
        let labels = ["filename": "web.pem", "filepath": "/etc/tls/web.pem", "owner": "web"]
        #expect(Self.value(text, "x509_cert_not_after", labels) == certificate.notValidAfter.timeIntervalSince1970)
        #expect(Self.value(text, "x509_cert_not_before", labels) == certificate.notValidBefore.timeIntervalSince1970)
        #expect(Self.value(text, "x509_cert_expired", labels) == 0)
        #expect(Self.value(text, "x509_read_errors", [:]) == 2)
        #expect(text.contains("subject_CN=\""))
        #expect(!text.contains("left out") && !text.contains("ignored"))
        // Nothing rotates a found certificate: one status series, not one per status a provider can have.
        let statuses = Self.series(text).filter { $0.name == "warden_inventory_status" }
        #expect(statuses.count == 1 && statuses.first?.labels["status"] == "unmanaged")
        #expect(
            Self.value(text, "warden_inventory_status", ["managed": "false", "status": "unmanaged", "owner": "web"])
                == 1
        )
        // Past notAfter the same certificate counts as expired.
        text = exposition.emitToString(at: certificate.notValidAfter.addingTimeInterval(1))
        #expect(Self.value(text, "x509_cert_expired", labels) == 1)
        // A certificate no longer found leaves no series behind.
        exposition.setCertificates([])
        exposition.setEntries([])
        text = exposition.emitToString(at: now)
        #expect(!text.contains("x509_cert_not_after{"))
        #expect(!text.contains("warden_inventory_status{"))
    }

    @Test func serialNumbersAreWrittenInDecimalAsTheExporterWritesThem() {
        #expect(CertificateObservation.decimal([]) == "0")
        #expect(CertificateObservation.decimal([0x00, 0x01, 0x00]) == "256")
        #expect(CertificateObservation.decimal([UInt8](repeating: 0xFF, count: 9)) == "4722366482869645213695")
        #expect(
            CertificateObservation.decimal([0x31, 0xDF, 0x2D, 0xC1, 0x17, 0x9B, 0x81, 0x02, 0x14, 0x2C])
                == "235512878531408709162028"
        )
    }

    @Test func anEntryEncodedBeforeTheSharedModelStillDecodes() throws {
        let old = #"{"name":"vault:db","kind":"database","owner":"payments","status":"fresh"}"#
        let entry = try JSONDecoder().decode(CredentialInventory.Entry.self, from: Data(old.utf8))
        #expect(entry.name == "vault:db" && entry.owner == "payments" && entry.status == "fresh")
        #expect(entry.isManaged, "before the shared model only providers reported")
        #expect(entry.source == nil && entry.failure == nil)
        let again = try JSONDecoder().decode(CredentialInventory.Entry.self, from: try JSONEncoder().encode(entry))
        #expect(again == entry)
    }
}
