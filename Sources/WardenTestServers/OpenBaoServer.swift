import Foundation
import Logging
import Synchronization
public import WardenCore
public import WardenVault

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real OpenBao server on a free loopback port, started and stopped by its owner (a test, or the outage demo).
///
/// Dev servers are in memory and come up unsealed with root token `root`. `persistent` servers keep their data in
/// ``directory`` (integrated storage), so that the owner can stop the process and start it again, as an outage does;
/// the first start initializes them with one unseal key, which the server keeps to unseal after a restart, and mounts
/// KV v2 at `secret/` as dev mode does. A persistent server made `joining:` another joins its raft cluster and is
/// unsealed with the leader's key, which makes it a standby.
///
/// Safe to use from any thread: ``shutDown()`` may come from a signal handler while a start is under way.
public final class OpenBaoServer: Sendable {
    public let port: Int
    public let clusterPort: Int
    /// The server's configuration, data and logs (`server-<time>.log`, one per start).
    public let directory: TemporaryDirectory
    public let persistent: Bool
    /// The active node whose raft cluster this server joins, as a standby.
    public let leader: OpenBaoServer?
    /// Whether the server listens with TLS: a dev server's own (`-dev-tls`), or ``certificate``; the CA that verifies
    /// it is at ``tlsCAFile``.
    public let tls: Bool
    /// The TLS certificate of a persistent server, and the name it carries (which may not be `127.0.0.1`).
    public let certificate: ServerCertificate?

    public struct ServerCertificate: Sendable {
        public var certificateFile: String
        public var keyFile: String
        public var caFile: String
        public var serverName: String

        public init(certificateFile: String, keyFile: String, caFile: String, serverName: String) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.caFile = caFile
            self.serverName = serverName
        }
    }

    private struct State: ~Copyable {
        var process: Process?
        var rootToken = Secret("root")
        var unsealKey: String?
        var isShutDown = false
        var startsAsStandby = false
    }

    private let state = Mutex(State())

    public var address: String { "\(self.tls ? "https" : "http")://127.0.0.1:\(self.port)" }
    public var tlsCAFile: String { self.certificate?.caFile ?? "\(self.directory.path)/tls/vault-ca.pem" }
    /// `root` on a dev server; the token `sys/init` returned on a persistent one.
    public var rootToken: Secret<String> { self.state.withLock { $0.rootToken } }
    var unsealKey: String? { self.state.withLock { $0.unsealKey } }

    /// Whether `bao` is installed (see ``InstalledTool/openBao``).
    public static var isInstalled: Bool { InstalledTool.openBao != nil }

    public init(
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
        self.port = try LoopbackPort.free()
        self.clusterPort = try LoopbackPort.free()
        self.directory = try directory ?? TemporaryDirectory()
        self.persistent = persistent
    }

    deinit {
        self.shutDown()
    }

    /// A client of this server, with its root token unless given another.
    public func client(
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

    /// Starts the server and waits until it serves requests (initializing or unsealing a persistent one): until it is
    /// active, or a standby for a node made `joining:` another, or for any node when `asStandby` (a former leader
    /// started again in a cluster that elected another).
    public func start(asStandby: Bool = false) async throws {
        self.state.withLock { $0.startsAsStandby = asStandby }
        guard let binary = InstalledTool.openBao else {
            throw TestServerError(
                "OpenBao (bao) is required but was not found; run Scripts/install-test-peers.sh, which installs it "
                    + "into .venv, or set WARDEN_BAO"
            )
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = try self.arguments()
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = self.directory.path
        process.environment = environment
        let log = FileHandle(
            forWritingAtPath: try self.directory.write("server-\(Date().timeIntervalSince1970).log", "")
        )
        process.standardOutput = log
        process.standardError = log
        try self.state.withLock { state in
            guard !state.isShutDown else { throw TestServerError("the server on port \(self.port) was shut down") }
            try process.run()
            state.process = process
        }
        try await self.waitUntilResponding()
        if self.persistent { try await self.initializeOrUnseal() }
    }

    /// Stops the process, as a crash or an outage does; ``start()`` brings it back with its data.
    public func stop() {
        let process = self.state.withLock { state in
            defer { state.process = nil }
            return state.process
        }
        process?.terminate()
        process?.waitUntilExit()
    }

    /// Kills the process for good (SIGKILL), as a crash or a power cut would: no graceful step-down, no handing of
    /// leadership to another node (which ``stop()``'s SIGTERM does). A later ``start()`` fails. Idempotent.
    public func kill() {
        let process = self.state.withLock { state in
            state.isShutDown = true
            defer { state.process = nil }
            return state.process
        }
        guard let process, process.isRunning else { return }
        sendSignal(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Stops the process for good: a later ``start()`` fails. Idempotent.
    public func shutDown() {
        self.state.withLock { $0.isShutDown = true }
        self.stop()
    }

    public func seal() async throws {
        let client = try self.client()
        defer { Task { try? await client.shutdown() } }
        _ = try await client.request(.PUT, "sys/seal", body: [:])
    }

    public func unseal() async throws {
        guard let key = self.unsealKey else { return }
        let client = try self.client(timeout: .seconds(10), maximumRetries: 0)
        defer { Task { try? await client.shutdown() } }
        // A joining node takes the key only once retry_join has reached the leader, so the key is sent again until
        // the node is unsealed; the leader comes up active, a joining node as a standby.
        for _ in 0..<200 {
            let standbyWillDo = self.leader != nil || self.state.withLock { $0.startsAsStandby }
            if let health = try? await client.health(), !health.sealed, health.isActive || standbyWillDo { return }
            _ = try? await client.request(.PUT, "sys/unseal", body: ["key": .string(key)], authenticated: false)
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestServerError("OpenBao on port \(self.port) was not unsealed within 10 s; see \(self.directory.path)")
    }

    private func arguments() throws -> [String] {
        guard self.persistent else {
            var arguments = [
                "server", "-dev", "-dev-root-token-id=root", "-dev-listen-address=127.0.0.1:\(self.port)",
                "-dev-no-store-token",
            ]
            if self.tls {
                try FileManager.default.createDirectory(
                    atPath: "\(self.directory.path)/tls",
                    withIntermediateDirectories: true
                )
                arguments += ["-dev-tls", "-dev-tls-cert-dir=\(self.directory.path)/tls"]
            }
            return arguments
        }
        // Integrated storage (raft), the one persistent backend OpenBao ships, on a second loopback port.
        let listenerTLS =
            self.certificate.map { "tls_cert_file = \"\($0.certificateFile)\"\n  tls_key_file = \"\($0.keyFile)\"" }
            ?? "tls_disable = true"
        let config = """
            storage "raft" {
              path = "\(self.directory.path)/data"
              node_id = "warden-test-\(self.port)"
              # Raft's fastest election timing: the default (5) takes about 5 s to elect a leader before sys/init
              # answers, and over 10 s on a 2-core machine under test load.
              performance_multiplier = 1
              \(self.leader.map { "retry_join { leader_api_addr = \"\($0.address)\" }" } ?? "")
            }
            listener "tcp" {
              address = "127.0.0.1:\(self.port)"
              cluster_address = "127.0.0.1:\(self.clusterPort)"
              \(listenerTLS)
            }
            api_addr = "\(self.address)"
            cluster_addr = "http://127.0.0.1:\(self.clusterPort)"
            """
        try FileManager.default.createDirectory(
            atPath: "\(self.directory.path)/data",
            withIntermediateDirectories: true
        )
        return ["server", "-config=\(try self.directory.write("server.hcl", config))"]
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
        throw TestServerError("OpenBao did not start on port \(self.port); see \(self.directory.path)")
    }

    private func initializeOrUnseal() async throws {
        if self.unsealKey == nil, let leader = self.leader {
            let (key, root) = (leader.unsealKey, leader.rootToken)
            self.state.withLock {
                $0.unsealKey = key
                $0.rootToken = root
            }
        }
        guard self.unsealKey == nil else { return try await self.unseal() }
        let client = try self.client(timeout: .seconds(10), maximumRetries: 0)
        defer { Task { try? await client.shutdown() } }
        // sys/init answers outside the usual envelope (keys and root_token at the top level).
        let document = try await client.requestDocument(
            .PUT,
            "sys/init",
            body: ["secret_shares": 1, "secret_threshold": 1],
            authenticated: false
        )
        guard let key = document?["keys"]?.arrayValue?.first?.stringValue,
            let root = document?["root_token"]?.stringValue
        else {
            throw TestServerError("OpenBao on port \(self.port) did not initialize; see \(self.directory.path)")
        }
        self.state.withLock {
            $0.unsealKey = key
            $0.rootToken = Secret(root)
        }
        try await self.unseal()
        // A fresh persistent server has no KV engine; its users expect KV v2 at secret/, as in dev mode.
        let admin = try self.client()
        defer { Task { try? await admin.shutdown() } }
        try await admin.write("sys/mounts/secret", ["type": "kv", "options": ["version": "2"]])
    }
}

/// `kill(2)`, under a name that the method `kill()` does not hide.
private func sendSignal(_ pid: Int32, _ signal: Int32) {
    #if canImport(Glibc)
    _ = Glibc.kill(pid, signal)
    #elseif canImport(Darwin)
    _ = Darwin.kill(pid, signal)
    #endif
}
