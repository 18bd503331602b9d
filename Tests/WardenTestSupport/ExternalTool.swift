import Foundation
import WardenTestServers

/// The independent peers the interop tests run: the `openssl` command line, and a Python with `cryptography` (and, for
/// the SPIFFE tests, py-spiffe and `joserfc`).
///
/// On a developer machine a test that needs a missing tool is skipped (its trait says why). Under CI (`CI=true`)
/// it runs anyway and fails with a message naming the missing tool: CI must never pass without the peer.
public enum ExternalTool: String, Sendable, CaseIterable {
    case openssl
    case python
    /// Python with py-spiffe (`spiffe`) and `joserfc` besides `cryptography`: the SPIFFE and JOSE peers.
    case pythonSPIFFE
    /// Python with aiosmtpd: an SMTP server that speaks STARTTLS.
    case pythonSMTP
    /// Debian's `prometheus` server, which scrapes `warden scan --serve` and evaluates the alert rules.
    case prometheus
    /// Prometheus's `promtool`, which unit-tests the alert rules.
    case promtool

    /// Whether the tests run under CI.
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased()
        return value == "true" || value == "1"
    }

    /// The repository root.
    public static var repositoryRoot: URL { InstalledTool.repositoryRoot }

    /// The tool's executable path, or `nil` when it is not installed. Looked up once per process: probing Python
    /// starts an interpreter, and a test that blocks a thread of the concurrency pool (two on a 2-core machine)
    /// stalls every other test's async work.
    public var path: String? {
        switch self {
        case .openssl: Self.opensslPath
        case .python: Self.pythonPath
        case .pythonSPIFFE: Self.pythonSPIFFEPath
        case .pythonSMTP: Self.pythonSMTPPath
        case .prometheus: Self.prometheusPath
        case .promtool: Self.promtoolPath
        }
    }

    private static let opensslPath = ExternalTool.openssl.lookUp()
    private static let pythonPath = ExternalTool.python.lookUp()
    private static let pythonSPIFFEPath = ExternalTool.pythonSPIFFE.lookUp()
    private static let pythonSMTPPath = ExternalTool.pythonSMTP.lookUp()
    private static let prometheusPath = ExternalTool.prometheus.lookUp()
    private static let promtoolPath = ExternalTool.promtool.lookUp()

    private func lookUp() -> String? {
        switch self {
        case .openssl, .prometheus, .promtool:
            return Self.searchPath(for: self.rawValue)
        case .python, .pythonSPIFFE, .pythonSMTP:
            let probe =
                switch self {
                case .pythonSPIFFE: "import cryptography, spiffe, joserfc"
                case .pythonSMTP: "import aiosmtpd"
                default: "import cryptography"
                }
            var candidates: [String] = []
            if let configured = ProcessInfo.processInfo.environment["WARDEN_PYTHON"] { candidates.append(configured) }
            candidates.append(Self.repositoryRoot.appendingPathComponent(".venv/bin/python3").path)
            for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
                // The peer is `cryptography`, not Python itself.
                if let result = try? Subprocess.run(candidate, ["-c", probe]), result.status == 0 {
                    return candidate
                }
            }
            return nil
        }
    }

    /// `true` when the tool is installed, or under CI (so that the test runs and fails loudly without it).
    public var shouldRun: Bool {
        Self.isCI || self.path != nil
    }

    /// The tool's path, or an error that fails the test and says how to install it.
    public func require() throws -> String {
        guard let path = self.path else {
            throw MissingToolError(tool: self)
        }
        return path
    }

    private static func searchPath(for name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// A required external tool is missing.
public struct MissingToolError: Error, CustomStringConvertible {
    public let tool: ExternalTool
    public var description: String {
        "\(self.tool.rawValue) is required by this test but was not found; run Scripts/test.sh, which installs it"
    }
}
