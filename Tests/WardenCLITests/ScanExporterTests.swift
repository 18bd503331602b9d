import Foundation
import Testing
import WardenTestServers
import WardenTestSupport

/// `warden scan --serve` as a Prometheus exporter: its series in x509-certificate-exporter's names agree with
/// `openssl x509`, and a real Prometheus server scraping it on loopback fires the shipped expiry alert for a
/// certificate with seven days left and not for one with a year left.
@Suite(
    .enabled(if: ExternalTool.openssl.shouldRun, "openssl is missing (Scripts/test.sh installs it)"),
    .serialized
)
struct ScanExporterTests {
    let directory: TemporaryDirectory
    let scanned: String

    init() throws {
        self.directory = try TemporaryDirectory()
        self.scanned = self.directory.file("certificates")
        try FileManager.default.createDirectory(atPath: self.scanned, withIntermediateDirectories: true)
        for (name, days) in [("week", 7), ("year", 365)] {
            try OpenSSLCertificateAuthority.openssl([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                self.directory.file("\(name)-key.pem"), "-out", "\(self.scanned)/\(name).pem", "-days", "\(days)",
                "-subj", "/CN=\(name).example/O=Warden Tests/C=FR",
            ])
        }
    }

    /// `warden scan --serve` on a free port, scanning every second.
    func exporter() async throws -> LoopbackServerProcess {
        let port = try LoopbackPort.free()
        return try await LoopbackServerProcess(
            executable: WardenCommandTests.executable,
            arguments: [
                "scan", "--serve", "127.0.0.1:\(port)", "--interval", "1s", "--owner-label", "owner=payments",
                self.scanned,
            ],
            port: port,
            log: self.directory.file("exporter-\(port).log"),
            readyWhen: "scanned 1 targets"
        )
    }

    /// A GET on loopback with curl (its arguments, space-separated, then the URL), run off the concurrency pool.
    static func get(_ arguments: String) async throws -> String {
        let words = arguments.split(separator: " ").map(String.init)
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result { try Subprocess.run("/usr/bin/curl", ["-s", "--max-time", "5"] + words) }
                )
            }
        }.stdout
    }

    @Test func theExporterSpeaksX509CertificateExporterNames() async throws {
        let exporter = try await self.exporter()
        defer { withExtendedLifetime(exporter) {} }
        let text = try await Self.get("http://127.0.0.1:\(exporter.port)/metrics")
        let path = "\(self.scanned)/week.pem"
        let line = try #require(
            text.split(separator: "\n").first {
                $0.hasPrefix("x509_cert_not_after{") && $0.contains("filepath=\"\(path)\"")
            },
            "\(text)"
        )
        // Field by field against openssl: the end date, the serial (in decimal), the subject's parts.
        let theirs = try OpenSSLCertificateAuthority.openssl([
            "x509", "-in", path, "-noout", "-enddate", "-serial", "-dateopt", "iso_8601",
        ])
        let serialHex = try #require(theirs.split(separator: "\n").first { $0.hasPrefix("serial=") }).dropFirst(7)
        let serialDecimal = try Subprocess.run(
            try ExternalTool.python.require(),
            ["-c", "print(int('\(serialHex)', 16))"]
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.contains("serial_number=\"\(serialDecimal)\""), "\(line)")
        #expect(line.contains("subject_CN=\"week.example\""))
        #expect(line.contains("subject_O=\"Warden Tests\""))
        #expect(line.contains("subject_C=\"FR\""))
        #expect(line.contains("issuer_CN=\"week.example\""))
        #expect(line.contains("filename=\"week.pem\""))
        #expect(line.contains("owner=\"payments\""))
        let endDate = try #require(theirs.split(separator: "\n").first { $0.hasPrefix("notAfter=") }).dropFirst(9)
        let formatter = ISO8601DateFormatter()
        let notAfter = try #require(formatter.date(from: endDate.replacingOccurrences(of: " ", with: "T")))
        #expect(line.hasSuffix(" \(notAfter.timeIntervalSince1970)"), "\(line)")
        #expect(text.contains("x509_cert_expired{"))
        #expect(text.contains("x509_read_errors 0"))
        #expect(text.contains("warden_inventory_expiry_timestamp_seconds{name=\"\(path)\",owner=\"payments\""))
        // Anything but /metrics is a 404.
        #expect(try await Self.get("-o /dev/null -w %{http_code} http://127.0.0.1:\(exporter.port)/") == "404")
    }

    @Test(.enabled(if: ExternalTool.prometheus.shouldRun, "prometheus is missing (Scripts/test.sh installs it)"))
    func prometheusFiresTheExpiryAlertForTheWeekOldCertificateOnly() async throws {
        let exporter = try await self.exporter()
        let rules = ExternalTool.repositoryRoot.appendingPathComponent("Alerts/warden.rules.yml").path
        let configuration = try self.directory.write(
            "prometheus.yml",
            """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - \(rules)
            scrape_configs:
              - job_name: warden-scan
                static_configs:
                  - targets: ["127.0.0.1:\(exporter.port)"]

            """
        )
        let port = try LoopbackPort.free()
        let prometheus = try await LoopbackServerProcess(
            executable: try ExternalTool.prometheus.require(),
            arguments: [
                "--config.file=\(configuration)", "--storage.tsdb.path=\(self.directory.file("tsdb"))",
                "--web.listen-address=127.0.0.1:\(port)",
            ],
            port: port,
            log: self.directory.file("prometheus.log"),
            readyWhen: "Server is ready to receive web requests."
        )
        defer { withExtendedLifetime((exporter, prometheus)) {} }

        // Asked of Prometheus's HTTP API until the alert fires, for at most 60 s.
        var firing: [[String: Any]] = []
        for _ in 0..<120 {
            let body = try await Self.get("http://127.0.0.1:\(port)/api/v1/alerts")
            let document = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            let alerts = ((document?["data"] as? [String: Any])?["alerts"] as? [[String: Any]]) ?? []
            firing = alerts.filter {
                ($0["state"] as? String) == "firing"
                    && (($0["labels"] as? [String: String])?["alertname"])
                        == "WardenCertificateExpiresSoonWithoutRotation"
            }
            if !firing.isEmpty { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let names = firing.compactMap { ($0["labels"] as? [String: String])?["name"] }
        #expect(names == ["\(self.scanned)/week.pem"], "\(firing) \(prometheus.output.suffix(2000))")
        #expect(firing.first.flatMap { ($0["labels"] as? [String: String])?["owner"] } == "payments")
    }
}
