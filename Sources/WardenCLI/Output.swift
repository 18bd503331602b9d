import ArgumentParser
import Foundation
import WardenPKI

/// Where `warden` writes: results to stdout, problems to stderr.
enum Output {
    static func line(_ text: String = "") {
        print(text)
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Prints one JSON document on stdout.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        print(String(decoding: data, as: UTF8.self))
    }

    /// Reports a failure to read or parse input and returns the exit code to throw.
    static func inputFailure(_ error: any Error, file: String? = nil) -> ExitCode {
        let prefix = file.map { "warden: \($0): " } ?? "warden: "
        if let error = error as? PKIError {
            Self.error(prefix + error.message)
        } else {
            Self.error(prefix + "\(error)")
        }
        return ExitCode(ExitStatus.badInput)
    }
}

/// Parses the `--at` option: an RFC 3339 time such as `2026-01-02T03:04:05Z`.
struct RFC3339Time: ExpressibleByArgument {
    let date: Date

    init?(argument: String) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: argument) {
            self.date = date
            return
        }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: argument) else { return nil }
        self.date = date
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// The aligned `  Name:   value` lines of the text reports.
enum TextReport {
    static func field(_ name: String, _ value: String) {
        Output.line("  " + (name + ":").padding(toLength: 21, withPad: " ", startingAt: 0) + value)
    }

    static func subjectAlternativeNames(_ names: SubjectAlternativeNameList) {
        let kinds = [
            ("DNS", names.dns), ("IP", names.ip), ("URI", names.uri), ("email", names.email), ("other", names.other),
        ]
        for (kind, values) in kinds where !values.isEmpty {
            Self.field("SAN \(kind)", values.joined(separator: ", "))
        }
    }
}

extension Date {
    var rfc3339: String { self.formatted(.iso8601) }
}
