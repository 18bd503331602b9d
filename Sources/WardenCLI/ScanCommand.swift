import ArgumentParser
import Foundation
import NIOCore
import NIOSSL
import Synchronization
import WardenCore
import WardenPKI
import WardenPrometheus
import X509

/// `warden scan`: find the machine identities in files and directories, and what is wrong with them.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Find certificates, private keys, CSRs and bundles, and report their problems.",
        discussion: """
            A TARGET is a file, a directory (walked; links are not followed out of it or into directories), a TLS \
            endpoint (host:port, [v6]:port or https://host[:port]: one handshake, with SNI, the presented chain \
            recorded), or - (read targets from standard input, one per line). Problems: expired, expires-soon, \
            not-yet-valid, weak-key, sha1-signature, self-signed-leaf, long-lifetime, key-readable-by-others, \
            key-without-certificate, and for endpoints chain-incomplete and hostname-mismatch. A target that fails \
            is reported and the scan goes on. With --serve the scan runs as a Prometheus exporter. Exit status: 0 \
            no problem found, 1 a problem found or a target could not be read, 2 bad usage.
            """
    )

    @Flag(help: "Print one JSON object per finding, one per line.")
    var json = false

    @Option(
        name: .customLong("expires-within"),
        help: ArgumentHelp("Report expires-soon with less than this left (default 30d).", valueName: "duration")
    )
    var expiresWithin: ScanDuration?

    @Option(
        name: .customLong("max-lifetime"),
        help: ArgumentHelp(
            "Report long-lifetime for end-entity certificates valid longer (default 398d).",
            valueName: "duration"
        )
    )
    var maximumLifetime: ScanDuration?

    @Option(
        name: .customLong("min-rsa-bits"),
        help: ArgumentHelp("Report weak-key for RSA keys smaller than this (default 2048).", valueName: "bits")
    )
    var minimumRSABits: Int?

    @Option(
        name: .customLong("owner-label"),
        help: ArgumentHelp("A label added to every finding, as KEY=VALUE; repeatable.", valueName: "key=value")
    )
    var ownerLabels: [String] = []

    @Option(
        name: .customLong("servername"),
        help: ArgumentHelp(
            "The name sent as SNI to endpoints, and checked against their certificates.",
            valueName: "name"
        )
    )
    var serverName: String?

    @Option(
        name: .customLong("starttls"),
        help: ArgumentHelp("Upgrade endpoint connections to TLS first: postgres or smtp.", valueName: "protocol")
    )
    var startTLS: TLSEndpoint.StartTLS?

    @Option(
        name: .customLong("client-cert"),
        help: ArgumentHelp(
            "A client certificate (PEM, chain allowed) for endpoints that ask for one.",
            valueName: "file"
        )
    )
    var clientCertificate: String?

    @Option(
        name: .customLong("client-key"),
        help: ArgumentHelp("The client certificate's private key (PEM).", valueName: "file")
    )
    var clientKey: String?

    @Option(
        name: .customLong("ca"),
        help: ArgumentHelp(
            "Authorities an endpoint's chain may end at, besides the system's (chain-incomplete); repeatable.",
            valueName: "file"
        )
    )
    var authorities: [String] = []

    @Option(
        help: ArgumentHelp(
            "How long one endpoint may take, connection and handshake (default 10s).",
            valueName: "duration"
        )
    )
    var timeout: ScanDuration?

    @Option(help: ArgumentHelp("How many endpoints are scanned at once (default 16).", valueName: "n"))
    var concurrency: Int = 16

    @Option(
        help: ArgumentHelp(
            "Run as a Prometheus exporter: serve GET /metrics on HOST:PORT and scan again every --interval.",
            valueName: "address"
        )
    )
    var serve: String?

    @Option(help: ArgumentHelp("With --serve, the time between scans (default 1m).", valueName: "duration"))
    var interval: ScanDuration?

    @Argument(
        help: ArgumentHelp(
            "Files, directories, host:port or https://host[:port] endpoints, or - for a list on standard input.",
            valueName: "target"
        )
    )
    var targets: [String] = []

    func validate() throws {
        if self.targets.isEmpty { throw ValidationError("give at least one target") }
        for label in self.ownerLabels {
            let parts = label.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 || label.hasSuffix("="), let key = parts.first,
                key.first.map({ $0.isLetter || $0 == "_" }) == true,
                key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            else {
                throw ValidationError("--owner-label takes KEY=VALUE with KEY a Prometheus label name, not '\(label)'")
            }
        }
        if let minimumRSABits, minimumRSABits < 0 { throw ValidationError("--min-rsa-bits must be 0 or more") }
        if !(1...1024).contains(self.concurrency) { throw ValidationError("--concurrency must be 1 to 1024") }
        if let serverName, !TLSEndpoint.isHostName(serverName) {
            throw ValidationError("--servername takes a DNS name (SNI carries no IP address), not '\(serverName)'")
        }
        if (self.clientCertificate == nil) != (self.clientKey == nil) {
            throw ValidationError("--client-cert and --client-key go together")
        }
        if let timeout, timeout.duration <= .zero { throw ValidationError("--timeout must be more than 0") }
        if let serve, Self.listenAddress(serve) == nil {
            throw ValidationError("--serve takes HOST:PORT (or :PORT for every interface), not '\(serve)'")
        }
        if self.interval != nil && self.serve == nil { throw ValidationError("--interval goes with --serve") }
        if let interval, interval.duration < .seconds(1) { throw ValidationError("--interval must be 1s or more") }
    }

    func run() async throws {
        let labels = self.labels()
        let targets = self.expandedTargets()
        let probe = TLSEndpointProbe(
            timeout: self.timeout?.duration ?? .seconds(10),
            clientIdentity: try self.clientIdentity()
        )

        if let serve, let (host, port) = Self.listenAddress(serve) {
            try await self.serve(targets: targets, labels: labels, probe: probe, host: host, port: port)
            return
        }

        let scanner = await self.scan(targets, probe: probe)
        var findings = scanner.findings
        if !labels.isEmpty {
            for index in findings.indices { findings[index].labels = labels }
        }

        if self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            for finding in findings { Output.line(String(decoding: try encoder.encode(finding), as: UTF8.self)) }
            for failure in scanner.failures {
                Output.line(String(decoding: try encoder.encode(failure), as: UTF8.self))
            }
        } else {
            Self.printTable(findings)
        }
        for failure in scanner.failures { Output.error("warden: \(failure.location): \(failure.error)") }
        if !scanner.failures.isEmpty || findings.contains(where: { !$0.problems.isEmpty }) {
            throw ExitCode(ExitStatus.rejected)
        }
    }

    /// Scans files in order, then endpoints `--concurrency` at a time; findings keep the order of the targets.
    func scan(_ targets: [String], probe: TLSEndpointProbe) async -> IdentityScanner {
        var thresholds = ScanThresholds()
        if let expiresWithin { thresholds.expiresWithin = expiresWithin.duration }
        if let maximumLifetime { thresholds.maximumLifetime = maximumLifetime.duration }
        if let minimumRSABits { thresholds.minimumRSABits = minimumRSABits }
        var scanner = IdentityScanner(thresholds: thresholds)

        var endpoints: [TLSEndpoint] = []
        for target in targets {
            do {
                if let endpoint = try self.endpoint(target) {
                    endpoints.append(endpoint)
                } else {
                    scanner.scan(path: target)
                }
            } catch {
                // Never echoed: what sits before the @ is usually a password or a token.
                scanner.addFailure(
                    location: "(a target with user information, not shown)",
                    error: "a target carries no user name or password; give host:port or https://host[:port]"
                )
            }
        }
        if !endpoints.isEmpty {
            let roots = self.trustRoots(&scanner)
            let concurrency = self.concurrency
            let outcomes = await withTaskGroup(of: ProbeOutcome.self, returning: [ProbeOutcome].self) { group in
                var outcomes: [ProbeOutcome] = []
                var pending = endpoints.enumerated().makeIterator()
                func startNext() -> Bool {
                    guard let (index, endpoint) = pending.next() else { return false }
                    group.addTask {
                        do {
                            return ProbeOutcome(index: index, chain: try await probe.presentedChain(of: endpoint))
                        } catch {
                            return ProbeOutcome(index: index, error: TLSEndpointProbe.describe(error))
                        }
                    }
                    return true
                }
                for _ in 0..<concurrency where !startNext() { break }
                while let outcome = await group.next() {
                    outcomes.append(outcome)
                    _ = startNext()
                }
                return outcomes.sorted { $0.index < $1.index }
            }
            for outcome in outcomes {
                let endpoint = endpoints[outcome.index]
                if let chain = outcome.chain {
                    scanner.add(chain: chain, of: endpoint, roots: roots)
                } else {
                    scanner.addFailure(location: endpoint.location, error: outcome.error ?? "not scanned")
                }
            }
        }
        scanner.finish()
        return scanner
    }

    /// `--serve`: scans every `--interval` and answers scrapes with the last scan, until stopped.
    private func serve(
        targets: [String],
        labels: [String: String],
        probe: TLSEndpointProbe,
        host: String,
        port: Int
    ) async throws {
        let exposition = InventoryExposition()
        // A scrape answers with the exposition of the last scan, made once per scan and not on the event loop.
        let lastScan = Mutex<[UInt8]>([])
        let channel: any Channel
        do {
            channel = try await MetricsServer.bind(host: host, port: port) { lastScan.withLock { $0 } }
        } catch {
            Output.error("warden: cannot listen on \(host):\(port): \(error)")
            throw ExitCode(ExitStatus.rejected)
        }
        let address = channel.localAddress.map { "\($0)" } ?? "\(host):\(port)"
        Output.error(
            "warden: serving metrics at http://\(host):\(channel.localAddress?.port ?? port)/metrics (\(address))"
        )
        let interval = self.interval?.duration ?? .seconds(60)
        while !Task.isCancelled {
            let scanner = await self.scan(targets, probe: probe)
            var findings = scanner.findings
            for index in findings.indices where !labels.isEmpty { findings[index].labels = labels }
            exposition.setCertificates(
                findings.compactMap { finding in
                    finding.observation.map { observation in
                        var observation = observation
                        observation.labels = labels
                        return observation
                    }
                },
                readErrors: scanner.failures.count
            )
            exposition.setEntries(findings.filter { $0.kind == .certificate }.map(\.inventoryEntry))
            var bytes: [UInt8] = []
            exposition.emit(into: &bytes)
            lastScan.withLock { $0 = bytes }
            let problems = findings.filter { !$0.problems.isEmpty }.count
            Output.error(
                "warden: scanned \(targets.count) targets: \(findings.count) findings, \(problems) with problems, "
                    + "\(scanner.failures.count) unreadable"
            )
            try? await Task.sleep(for: interval)
        }
        try? await channel.close()
    }

    private func labels() -> [String: String] {
        var labels: [String: String] = [:]
        for label in self.ownerLabels {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            labels[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return labels
    }

    private func expandedTargets() -> [String] {
        var targets: [String] = []
        for target in self.targets {
            if target == "-" {
                while let line = readLine() {
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    if !trimmed.isEmpty { targets.append(trimmed) }
                }
            } else {
                targets.append(target)
            }
        }
        return targets
    }

    /// An endpoint, unless a file of that name exists or the text reads as a path.
    private func endpoint(_ target: String) throws(TLSEndpoint.Refusal) -> TLSEndpoint? {
        if target.hasPrefix("/") || target.hasPrefix(".") || FileManager.default.fileExists(atPath: target) {
            return nil
        }
        return try TLSEndpoint(target, serverName: self.serverName, startTLS: self.startTLS)
    }

    private func clientIdentity() throws -> TLSEndpointProbe.ClientIdentity? {
        guard let clientCertificate, let clientKey else { return nil }
        do {
            return TLSEndpointProbe.ClientIdentity(
                certificateChain: try NIOSSLCertificate.fromPEMFile(clientCertificate),
                privateKey: try NIOSSLPrivateKey(file: clientKey, format: .pem)
            )
        } catch {
            Output.error("warden: cannot load the client certificate and key: \(error)")
            throw ExitCode(ExitStatus.badInput)
        }
    }

    /// The system's trust store and `--ca`: what an endpoint's chain may end at.
    private func trustRoots(_ scanner: inout IdentityScanner) -> [Certificate] {
        var roots: [Certificate] = []
        let system = "/etc/ssl/certs/ca-certificates.crt"
        if FileManager.default.fileExists(atPath: system), let bytes = try? PKIFile.read(system) {
            roots += (try? CertificateDecoder.certificates(from: bytes)) ?? []
        }
        for path in self.authorities {
            do {
                roots += try CertificateDecoder.certificates(from: try PKIFile.read(path))
            } catch {
                scanner.addFailure(
                    location: path,
                    error: "cannot read the authorities: \((error as? PKIError)?.message ?? "\(error)")"
                )
            }
        }
        return roots
    }

    /// `HOST:PORT`, `[V6]:PORT` or `:PORT` (every interface).
    static func listenAddress(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    static func printTable(_ findings: [ScanFinding]) {
        let rows = findings.map { finding -> [String] in
            let left = finding.secondsLeft.map { Self.humanDuration($0) } ?? "-"
            let what = finding.spiffeID ?? finding.subject ?? finding.keyType ?? "-"
            return [
                finding.kind.rawValue, finding.notAfter?.rfc3339 ?? "-", left, what, finding.location,
                finding.problems.isEmpty ? "-" : finding.problems.map(\.rawValue).joined(separator: ","),
            ]
        }
        let header = ["KIND", "NOT AFTER", "LEFT", "SUBJECT", "LOCATION", "PROBLEMS"]
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        for row in [header] + rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            Output.line(cells.joined(separator: "  "))
        }
    }

    static func humanDuration(_ seconds: Int) -> String {
        let sign = seconds < 0 ? "-" : ""
        let value = abs(seconds)
        if value >= 86_400 { return "\(sign)\(value / 86_400)d" }
        if value >= 3600 { return "\(sign)\(value / 3600)h" }
        if value >= 60 { return "\(sign)\(value / 60)m" }
        return "\(sign)\(value)s"
    }
}

/// What one endpoint's probe gave: its chain, or why not. (A struct: with an `(Int, Result)` tuple as the child
/// tasks' value, the release build crashed on an out-of-range index under Swift 6.3.1; the debug build did not.)
struct ProbeOutcome: Sendable {
    let index: Int
    var chain: [[UInt8]]? = nil
    var error: String? = nil
}

/// A duration on the command line: `90s`, `15m`, `12h`, `30d` (and Go's compound form).
struct ScanDuration: ExpressibleByArgument {
    let duration: Duration

    init?(argument: String) {
        guard let duration = Duration.parsing(argument), duration >= .zero else { return nil }
        self.duration = duration
    }
}

extension TLSEndpoint.StartTLS: ExpressibleByArgument {}
