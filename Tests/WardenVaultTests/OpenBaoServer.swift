import Foundation
import Glibc
import Logging
import WardenCore
import WardenSPIFFE
import WardenTestSupport

@testable import WardenVault

/// A real OpenBao server for the tests, on a free loopback port, started and stopped by the test.
///
/// `persistent` servers keep their data in a temporary directory (integrated storage), so that the test can stop the
/// process and start it again, as an outage does; they are initialized with one unseal key, which the harness keeps
/// to unseal after a restart. A persistent server made `joining:` another joins its raft cluster and is unsealed with
/// the leader's key, which makes it a standby. Dev servers are in memory and come up unsealed with root token `root`.
final class OpenBaoServer: @unchecked Sendable {
    let port: Int
    let clusterPort: Int
    let directory: TemporaryDirectory
    let persistent: Bool
    /// The active node whose raft cluster this server joins, as a standby.
    let leader: OpenBaoServer?
    /// Whether the server listens with TLS: a dev server's own (`-dev-tls`), or ``certificate``; the CA that verifies
    /// it is at ``tlsCAFile``.
    let tls: Bool
    /// The TLS certificate of a persistent server, and the name it carries (which may not be `127.0.0.1`).
    let certificate: ServerCertificate?

    struct ServerCertificate {
        var certificateFile: String
        var keyFile: String
        var caFile: String
        var serverName: String
    }
    private(set) var rootToken = Secret("root")
    private var unsealKey: String?
    private var process: Process?

    var address: String { "\(self.tls ? "https" : "http")://127.0.0.1:\(self.port)" }
    var tlsCAFile: String { self.certificate?.caFile ?? "\(self.directory.path)/tls/vault-ca.pem" }

    static var binary: String? {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["WARDEN_BAO"] { candidates.append(configured) }
        candidates.append(ExternalTool.repositoryRoot.appendingPathComponent(".venv/bin/bao").path)
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        candidates += path.split(separator: ":").map { "\($0)/bao" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether the tests that need OpenBao run: when it is installed, or under CI (where a missing one fails).
    static var shouldRun: Bool { ExternalTool.isCI || Self.binary != nil }

    init(
        persistent: Bool = false,
        tls: Bool = false,
        directory: TemporaryDirectory? = nil,
        certificate: ServerCertificate? = nil,
        joining leader: OpenBaoServer? = nil
    ) throws {
        precondition(certificate == nil || persistent, "a server certificate needs a persistent server")
        precondition(
            leader == nil || (persistent && leader!.persistent && !tls && certificate == nil),
            "only a plain persistent server joins a cluster"
        )
        self.leader = leader
        self.tls = tls || certificate != nil
        self.certificate = certificate
        self.port = try Self.freePort()
        self.clusterPort = try Self.freePort()
        self.directory = try directory ?? TemporaryDirectory()
        self.persistent = persistent
    }

    deinit {
        self.process?.terminate()
        self.process?.waitUntilExit()
    }

    func client(
        token: Secret<String>? = nil,
        timeout: Duration = .seconds(10),
        maximumRetries: Int = 2,
        clock: any WardenClock = SystemClock()
    ) throws -> VaultClient {
        var configuration = VaultConfiguration(address: self.address, token: token ?? self.rootToken)
        if self.tls { configuration.caCertificateFile = self.tlsCAFile }
        configuration.tlsServerName = self.certificate?.serverName
        configuration.timeout = timeout
        configuration.maximumRetries = maximumRetries
        return try VaultClient(
            configuration: configuration,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            clock: clock
        )
    }

    /// Starts the server and waits until it serves requests (unsealing a persistent one).
    func start() async throws {
        guard let binary = Self.binary else {
            throw MissingOpenBao()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        if self.persistent {
            // Integrated storage (raft), the one persistent backend OpenBao ships, on a second loopback port.
            let config = """
                storage "raft" {
                  path = "\(self.directory.path)/data"
                  node_id = "warden-test-\(self.port)"
                  # Raft's fastest election timing: the default (5) takes about 5 s to elect a leader before sys/init
                  # answers, and over 10 s on this 2-core machine under the test load.
                  performance_multiplier = 1
                  \(self.leader.map { "retry_join { leader_api_addr = \"\($0.address)\" }" } ?? "")
                }
                listener "tcp" {
                  address = "127.0.0.1:\(self.port)"
                  cluster_address = "127.0.0.1:\(self.clusterPort)"
                  \(self.certificate.map { "tls_cert_file = \"\($0.certificateFile)\"\n  tls_key_file = \"\($0.keyFile)\"" } ?? "tls_disable = true")
                }
                api_addr = "\(self.address)"
                cluster_addr = "http://127.0.0.1:\(self.clusterPort)"
                """
            try FileManager.default.createDirectory(
                atPath: "\(self.directory.path)/data",
                withIntermediateDirectories: true
            )
            let configFile = try self.directory.write("server.hcl", config)
            process.arguments = ["server", "-config=\(configFile)"]
        } else {
            process.arguments = [
                "server", "-dev", "-dev-root-token-id=root", "-dev-listen-address=127.0.0.1:\(self.port)",
                "-dev-no-store-token",
            ]
            if self.tls {
                try FileManager.default.createDirectory(
                    atPath: "\(self.directory.path)/tls",
                    withIntermediateDirectories: true
                )
                process.arguments! += ["-dev-tls", "-dev-tls-cert-dir=\(self.directory.path)/tls"]
            }
        }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = self.directory.path
        process.environment = environment
        let log = FileHandle(
            forWritingAtPath: try self.directory.write("server-\(Date().timeIntervalSince1970).log", "")
        )
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        try await self.waitUntilResponding()
        if self.persistent { try await self.initializeOrUnseal() }
    }

    /// Stops the process, as a crash or an outage does.
    func stop() {
        guard let process = self.process else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    private func waitUntilResponding() async throws {
        // A TLS dev server writes its CA a moment after it starts.
        for _ in 0..<200 where self.tls && !FileManager.default.fileExists(atPath: self.tlsCAFile) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let client = try self.client(timeout: .seconds(2), maximumRetries: 0)
        defer { Task { try? await client.shutdown() } }
        for _ in 0..<200 {
            if (try? await client.health()) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw VaultError(.unavailable, "OpenBao did not start on port \(self.port); see \(self.directory.path)")
    }

    private func initializeOrUnseal() async throws {
        let client = try self.client(timeout: .seconds(10), maximumRetries: 0)
        defer { Task { try? await client.shutdown() } }
        if self.unsealKey == nil, let leader = self.leader {
            self.unsealKey = leader.unsealKey
            self.rootToken = leader.rootToken
        }
        if self.unsealKey == nil {
            // sys/init answers outside the usual envelope (keys and root_token at the top level).
            let (_, bytes) = try await client.send(
                .PUT,
                "sys/init",
                body: ["secret_shares": 1, "secret_threshold": 1],
                query: [:],
                wrapTTL: nil,
                token: nil
            )
            let document = try JSONValue(parsing: bytes)
            guard let key = document["keys"]?.arrayValue?.first?.stringValue,
                let root = document["root_token"]?.stringValue
            else {
                throw VaultError(.malformedResponse, "unexpected sys/init response")
            }
            self.unsealKey = key
            self.rootToken = Secret(root)
            try await self.unseal()
            // A fresh persistent server has no KV engine; the tests expect KV v2 at secret/, as in dev mode.
            let admin = try self.client()
            defer { Task { try? await admin.shutdown() } }
            try await admin.write("sys/mounts/secret", ["type": "kv", "options": ["version": "2"]])
            return
        }
        try await self.unseal()
    }

    func seal() async throws {
        let client = try self.client()
        defer { Task { try? await client.shutdown() } }
        _ = try await client.request(.PUT, "sys/seal", body: [:])
    }

    func unseal() async throws {
        guard let key = self.unsealKey else { return }
        let client = try self.client(timeout: .seconds(10), maximumRetries: 0)
        defer { Task { try? await client.shutdown() } }
        // A joining node takes the key only once retry_join has reached the leader, so the key is sent again until
        // the node is unsealed; the leader comes up active, a joining node as a standby.
        for _ in 0..<200 {
            if let health = try? await client.health(), !health.sealed, health.isActive || self.leader != nil { return }
            _ = try? await client.request(.PUT, "sys/unseal", body: ["key": .string(key)], authenticated: false)
            try await Task.sleep(for: .milliseconds(50))
        }
        throw VaultError(
            .unavailable,
            "OpenBao on port \(self.port) was not unsealed within 10 s; see \(self.directory.path)"
        )
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw VaultError(.invalidConfiguration, "cannot bind a loopback port") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct MissingOpenBao: Error, CustomStringConvertible {
    var description: String {
        "OpenBao (bao) is required by this test but was not found; run Scripts/test.sh, which installs it into .venv"
    }
}
