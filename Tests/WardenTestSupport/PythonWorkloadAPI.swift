import Foundation
public import WardenTestServers

/// The Workload API server of `Peers/workload_api_peer.py`, which stands in for the SPIRE agent (no SPIRE binary can
/// be installed on these machines): grpcio with py-spiffe's generated stubs, SVIDs and bundles minted by
/// pyca/cryptography, SPIRE's status codes and messages. The test steers it with ``command(_:)``.
public final class PythonWorkloadAPI {
    public let directory: TemporaryDirectory
    /// The Unix socket's path.
    public let socketPath: String
    /// The loopback TCP port.
    public let tcpPort: Int
    private let process: Process
    private let stdin = Pipe()
    private var commands = 0

    public init() async throws {
        self.directory = try TemporaryDirectory()
        let script = ExternalTool.repositoryRoot
            .appendingPathComponent("Tests/WardenWorkloadAPITests/Peers/workload_api_peer.py").path
        self.process = Process()
        self.process.executableURL = URL(fileURLWithPath: try ExternalTool.pythonSPIFFE.require())
        self.process.arguments = [script, self.directory.path]
        self.process.standardInput = self.stdin
        self.process.standardOutput = FileHandle.nullDevice
        try self.process.run()
        let ready = self.directory.file("ready.json")
        // Polled with Task.sleep: a blocking wait would hold one of the concurrency pool's threads.
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: ready) && self.process.isRunning {
            try await Task.sleep(for: .milliseconds(50))
        }
        struct Ready: Decodable {
            let socket: String
            let tcpPort: Int
        }
        let decoded = try JSONDecoder().decode(Ready.self, from: Data(contentsOf: URL(fileURLWithPath: ready)))
        self.socketPath = decoded.socket
        self.tcpPort = decoded.tcpPort
    }

    deinit {
        // Killed at once: nothing of the peer's needs a clean exit, and a deinit that waits blocks a thread of the
        // concurrency pool.
        try? self.stdin.fileHandleForWriting.close()
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
    }

    public struct State: Decodable, Equatable, Sendable {
        public let serial: String
        public let generation: Int
        public let federated: Bool
    }

    /// What the peer issues now.
    public var state: State {
        get throws {
            try JSONDecoder().decode(
                State.self,
                from: Data(contentsOf: URL(fileURLWithPath: self.directory.file("state.json")))
            )
        }
    }

    /// Tells the peer to `word` (see the script) and waits until it has acted.
    public func command(_ word: String) async throws {
        let before = try self.state.generation
        self.commands += 1
        try self.directory.write("command", "\(self.commands) \(word)")
        for _ in 0..<200 where try self.state.generation == before {
            try await Task.sleep(for: .milliseconds(25))
        }
    }
}
