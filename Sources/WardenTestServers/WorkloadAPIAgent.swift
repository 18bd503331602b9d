import Foundation
import Synchronization

/// A SPIFFE Workload API server that stands in for the SPIRE agent, which cannot be installed on these machines (it is
/// neither in Debian nor on PyPI): `Scripts/workload-api-agent.py`, grpcio with py-spiffe's generated stubs, SVIDs and
/// bundles minted by pyca/cryptography, SPIRE's status codes and messages. Warden's tests, the `WorkloadAPIDemo`
/// example and the benchmarks run it, and steer it with ``command(_:)``. It needs a Python with `grpcio`, `spiffe` and
/// `cryptography` (``InstalledTool/python``; `Scripts/install-test-peers.sh` installs them into `.venv`).
public final class WorkloadAPIAgent: Sendable {
    public let directory: TemporaryDirectory
    /// The Unix socket's path.
    public let socketPath: String
    /// The loopback TCP port.
    public let tcpPort: Int
    private struct Running: ~Copyable {
        let process: Process
        let stdin: Pipe
        var commands = 0
    }

    private let running: Mutex<Running>

    /// Starts a server in a new directory, or in `directory`, that of a stopped one: the same socket path, as when
    /// an agent restarts (with a new CA and SVID).
    public init(directory: TemporaryDirectory? = nil) async throws {
        self.directory = try directory ?? TemporaryDirectory()
        try? FileManager.default.removeItem(atPath: self.directory.file("ready.json"))
        let script = InstalledTool.repositoryRoot.appendingPathComponent("Scripts/workload-api-agent.py").path
        guard let python = InstalledTool.python else {
            throw TestServerError(
                "Python with grpcio, spiffe and cryptography is required but was not found; run "
                    + "Scripts/install-test-peers.sh, which installs them into .venv, or set WARDEN_PYTHON"
            )
        }
        let process = Process()
        let stdin = Pipe()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, self.directory.path]
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.running = Mutex(Running(process: process, stdin: stdin))
        let ready = self.directory.file("ready.json")
        // Polled with Task.sleep: a blocking wait would hold one of the concurrency pool's threads.
        var polls = 0
        while !FileManager.default.fileExists(atPath: ready) && process.isRunning && polls < 600 {
            try await Task.sleep(for: .milliseconds(50))
            polls += 1
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
        self.stop()
    }

    /// Stops the server at once: nothing of it needs a clean exit, and a wait would block a thread of the
    /// concurrency pool. Later calls do nothing.
    public func stop() {
        self.running.withLock { running in
            try? running.stdin.fileHandleForWriting.close()
            if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) }
            running.process.waitUntilExit()
        }
    }

    public struct State: Decodable, Equatable, Sendable {
        public let serial: String
        public let generation: Int
        public let federated: Bool
        /// When the agent made the change (Unix time), just before it pushed it.
        public let at: Double
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
        let number = self.running.withLock { running in
            running.commands += 1
            return running.commands
        }
        try self.directory.write("command", "\(number) \(word)")
        var polls = 0
        while try self.state.generation == before {
            guard polls < 400 else { throw TestServerError("the Workload API stand-in did not act on '\(word)'") }
            try await Task.sleep(for: .milliseconds(25))
            polls += 1
        }
    }
}
