import Foundation
import WardenTestServers
import WardenTestSupport
import WardenWorkloadAPI

/// The Workload API server of `Peers/workload_api_peer.py`, which stands in for the SPIRE agent (no SPIRE binary can
/// be installed on these machines): grpcio with py-spiffe's generated stubs, SVIDs and bundles minted by
/// pyca/cryptography, SPIRE's status codes and messages. The test steers it with ``command(_:)``.
final class PythonWorkloadAPI {
    let directory: TemporaryDirectory
    let socket: WorkloadAPIAddress
    let tcp: WorkloadAPIAddress
    private let process: Process
    private let stdin = Pipe()
    private var commands = 0

    init() throws {
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
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: ready) && self.process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        struct Ready: Decodable {
            let socket: String
            let tcpPort: Int
        }
        let decoded = try JSONDecoder().decode(Ready.self, from: Data(contentsOf: URL(fileURLWithPath: ready)))
        self.socket = WorkloadAPIAddress(.unix(path: decoded.socket))
        self.tcp = WorkloadAPIAddress(.tcp(host: "127.0.0.1", port: decoded.tcpPort))
    }

    deinit {
        // The peer exits when its stdin closes; SIGKILL if it does not.
        try? self.stdin.fileHandleForWriting.close()
        for _ in 0..<40 where self.process.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
    }

    struct State: Decodable, Equatable {
        let serial: String
        let generation: Int
        let federated: Bool
    }

    /// What the peer issues now.
    var state: State {
        get throws {
            try JSONDecoder().decode(
                State.self,
                from: Data(contentsOf: URL(fileURLWithPath: self.directory.file("state.json")))
            )
        }
    }

    /// Tells the peer to `word` (see the script) and waits until it has acted.
    func command(_ word: String) async throws {
        let before = try self.state.generation
        self.commands += 1
        try self.directory.write("command", "\(self.commands) \(word)")
        for _ in 0..<200 where try self.state.generation == before {
            try await Task.sleep(for: .milliseconds(25))
        }
    }
}

extension WorkloadX509SVID {
    /// The leaf's serial as the peer writes it: lowercase hex, no separators, no leading zeros.
    var serialHex: String {
        let hex = self.svid.leaf.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()
        let trimmed = hex.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }
}
