import Foundation

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

    /// Whether the tests run under CI.
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased()
        return value == "true" || value == "1"
    }

    /// The repository root, found from this file's path.
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The tool's executable path, or `nil` when it is not installed.
    public var path: String? {
        switch self {
        case .openssl:
            return Self.searchPath(for: "openssl")
        case .python, .pythonSPIFFE:
            let probe = self == .python ? "import cryptography" : "import cryptography, spiffe, joserfc"
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

/// Runs a program to completion and captures its output.
public enum Subprocess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public let stdoutBytes: [UInt8]
    }

    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], stdin: [UInt8]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try input.fileHandleForWriting.close()
        // Read both pipes to the end before waiting, so that a chatty child cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self),
            stdoutBytes: Array(outData)
        )
    }
}

/// A temporary directory removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("warden-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        self.path = url.path
    }

    public func file(_ name: String) -> String { "\(self.path)/\(name)" }

    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        try self.write(name, Array(contents.utf8))
    }

    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = self.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}
