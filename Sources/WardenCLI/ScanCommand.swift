import ArgumentParser
import Foundation
import WardenCore
import WardenPKI

/// `warden scan`: find the machine identities in files and directories, and what is wrong with them.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Find certificates, private keys, CSRs and bundles, and report their problems.",
        discussion: """
            A TARGET is a file, a directory (walked; links are not followed out of it or into directories), or - \
            (read targets from standard input, one per line). Problems: expired, expires-soon, not-yet-valid, \
            weak-key, sha1-signature, self-signed-leaf, long-lifetime, key-readable-by-others, \
            key-without-certificate. Exit status: 0 no problem found, 1 a problem found or a target could not be \
            read, 2 bad usage.
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

    @Argument(help: ArgumentHelp("Files, directories, or - for a list on standard input.", valueName: "target"))
    var targets: [String] = []

    func validate() throws {
        if self.targets.isEmpty { throw ValidationError("give at least one target") }
        for label in self.ownerLabels where !label.contains("=") || label.hasPrefix("=") {
            throw ValidationError("--owner-label takes KEY=VALUE, not '\(label)'")
        }
        if let minimumRSABits, minimumRSABits < 0 { throw ValidationError("--min-rsa-bits must be 0 or more") }
    }

    func run() async throws {
        var thresholds = ScanThresholds()
        if let expiresWithin { thresholds.expiresWithin = expiresWithin.duration }
        if let maximumLifetime { thresholds.maximumLifetime = maximumLifetime.duration }
        if let minimumRSABits { thresholds.minimumRSABits = minimumRSABits }
        var labels: [String: String] = [:]
        for label in self.ownerLabels {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            labels[parts[0]] = parts.count > 1 ? parts[1] : ""
        }

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

        var scanner = FileScanner(thresholds: thresholds)
        for target in targets { scanner.scan(path: target) }
        scanner.finish()
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

/// A duration on the command line: `90s`, `15m`, `12h`, `30d` (and Go's compound form).
struct ScanDuration: ExpressibleByArgument {
    let duration: Duration

    init?(argument: String) {
        guard let duration = Duration.parsing(argument), duration >= .zero else { return nil }
        self.duration = duration
    }
}
