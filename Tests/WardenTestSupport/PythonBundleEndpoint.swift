import Foundation
import WardenPKI
import WardenTestServers
import X509

/// An independent bundle endpoint: `Tests/WardenTrustTests/Peers/bundle_endpoint_peer.py`, Python's `ssl` and `http.server` with every
/// certificate made by pyca/cryptography. The test steers it through the files `stage` and `mode` in its directory.
public final class PythonBundleEndpoint {
    public let directory: TemporaryDirectory
    public let webPort: Int
    public let spiffePort: Int
    private let process: Process
    private let stdin = Pipe()

    public init(refreshHintSeconds: Int) async throws {
        self.directory = try TemporaryDirectory()
        let script = ExternalTool.repositoryRoot
            .appendingPathComponent("Tests/WardenTrustTests/Peers/bundle_endpoint_peer.py").path
        self.process = Process()
        self.process.executableURL = URL(fileURLWithPath: try ExternalTool.python.require())
        self.process.arguments = [script, self.directory.path, String(refreshHintSeconds)]
        self.process.standardInput = self.stdin
        self.process.standardOutput = FileHandle.nullDevice
        try self.process.run()
        let ready = self.directory.file("ready.json")
        // Polled with Task.sleep: a blocking wait would hold one of the concurrency pool's threads.
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: ready) && self.process.isRunning {
            try await Task.sleep(for: .milliseconds(50))
        }
        let ports = try JSONDecoder().decode([String: Int].self, from: Data(contentsOf: URL(fileURLWithPath: ready)))
        self.webPort = try Self.port(ports, "web")
        self.spiffePort = try Self.port(ports, "spiffe")
    }

    private static func port(_ ports: [String: Int], _ kind: String) throws -> Int {
        guard let port = ports[kind] else { throw TestServerError("the bundle endpoint peer named no \(kind) port") }
        return port
    }

    deinit {
        // Killed at once: nothing of the peer's needs a clean exit, and a deinit that waits blocks a thread of the
        // concurrency pool.
        try? self.stdin.fileHandleForWriting.close()
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
    }

    public func set(stage: String) throws { _ = try self.directory.write("stage", stage) }
    public func set(mode: String) throws { _ = try self.directory.write("mode", mode) }

    public func certificates(_ name: String) throws -> [Certificate] {
        try CertificateDecoder.certificates(
            from: Array(Data(contentsOf: URL(fileURLWithPath: self.directory.file(name))))
        )
    }

    /// The handshakes and requests the peer failed, with Python's tracebacks: for a test's failure message.
    public var errors: String {
        (try? String(contentsOfFile: self.directory.file("errors.log"), encoding: .utf8)) ?? "(none)"
    }

    /// When each request of `kind` (`web` or `spiffe`) arrived.
    public func requestTimes(_ kind: String) throws -> [Double] {
        let log = (try? String(contentsOfFile: self.directory.file("requests.log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count == 3 && fields[1] == kind ? Double(fields[0]) : nil
        }
    }
}
