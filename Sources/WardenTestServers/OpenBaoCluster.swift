import Foundation
import Logging
public import WardenCore
public import WardenVault

/// A raft cluster of persistent OpenBao servers on loopback: the first initialized and unsealed, the others joined to
/// it as standbys (`retry_join`), each on its own ports and in its own directory. For Warden's HA tests, its failover
/// benchmark and the `VaultFailoverDemo` example.
public final class OpenBaoCluster: Sendable {
    /// The nodes, the first started as the active one. Which node is active changes with elections: ask
    /// ``activeNode()``.
    public let nodes: [OpenBaoServer]

    /// Every node's address, in order: what a client's `VaultConfiguration.addresses` takes.
    public var addresses: [String] { self.nodes.map(\.address) }

    /// The cluster's root token.
    public var rootToken: Secret<String> { self.nodes[0].rootToken }

    private init(nodes: [OpenBaoServer]) {
        self.nodes = nodes
    }

    /// Starts `size` nodes and returns once every one of them is a voter.
    ///
    /// Autopilot promotes a joined node to voter only once it has been stable for `server_stabilization_time` (10 s by
    /// default; set to 1 s here): until then, killing the leader leaves no quorum to elect another.
    public static func start(size: Int = 3) async throws -> OpenBaoCluster {
        let leader = try OpenBaoServer(persistent: true)
        try await leader.start()
        var nodes = [leader]
        do {
            for _ in 1..<size { nodes.append(try OpenBaoServer(persistent: true, joining: leader)) }
        } catch {
            leader.shutDown()
            throw error
        }
        let cluster = OpenBaoCluster(nodes: nodes)
        do {
            let admin = try leader.client()
            defer { Task { try? await admin.shutdown() } }
            try await admin.write("sys/storage/raft/autopilot/configuration", ["server_stabilization_time": "1s"])
            for node in cluster.nodes.dropFirst() { try await node.start() }
            try await cluster.waitForVoters()
            return cluster
        } catch {
            cluster.shutDown()
            throw error
        }
    }

    /// Waits (60 s at most) until every node is a voter of the raft configuration, as an active node reports it, and
    /// every node answers `sys/health` unsealed (a node killed and started again stays in the configuration as a voter:
    /// the configuration alone would not tell that it is back).
    public func waitForVoters() async throws {
        let client = try self.client(token: self.rootToken, timeout: .seconds(10))
        defer { Task { try? await client.shutdown() } }
        for _ in 0..<240 {
            if let configuration = try? await client.read("sys/storage/raft/configuration") {
                let servers = configuration.data?["config"]?["servers"]?.arrayValue ?? []
                if servers.count == self.nodes.count, servers.allSatisfy({ $0["voter"]?.boolValue == true }),
                    await self.allNodesAnswer()
                {
                    return
                }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestServerError("the \(self.nodes.count) nodes did not all become voters within 60 s")
    }

    /// Whether every node answers `sys/health`, unsealed, as the active node or a standby.
    private func allNodesAnswer() async -> Bool {
        for node in self.nodes {
            guard let probe = try? node.client(token: self.rootToken, timeout: .seconds(2), maximumRetries: 0) else {
                return false
            }
            let health = try? await probe.health()
            try? await probe.shutdown()
            guard let health, !health.sealed, health.isActive || health.standby else { return false }
        }
        return true
    }

    /// The node whose own `sys/health` says it is active, if one does now.
    public func activeNode() async -> OpenBaoServer? {
        for node in self.nodes {
            guard let probe = try? node.client(token: self.rootToken, timeout: .seconds(2), maximumRetries: 0) else {
                continue
            }
            let health = try? await probe.health()
            try? await probe.shutdown()
            if health?.isActive == true { return node }
        }
        return nil
    }

    /// A configuration for a client of every node with `token` (`nil` for a client whose token comes from a
    /// provider), and retries enough to outlast an election (about 2 s here) within `timeout`.
    public func configuration(
        token: Secret<String>?,
        timeout: Duration = .seconds(30),
        maximumRetries: Int = 40
    ) -> VaultConfiguration {
        var configuration = VaultConfiguration(address: self.nodes[0].address, token: token)
        configuration.addresses = self.addresses
        configuration.timeout = timeout
        configuration.maximumRetries = maximumRetries
        configuration.retryBackoff = BackoffPolicy(
            initialDelay: .milliseconds(100),
            multiplier: 1.5,
            maximumDelay: .milliseconds(500),
            minimumDelay: .milliseconds(50),
            jitter: .full
        )
        return configuration
    }

    /// A client of every node (see ``configuration(token:timeout:maximumRetries:)``), logging nothing.
    public func client(
        token: Secret<String>?,
        timeout: Duration = .seconds(30),
        maximumRetries: Int = 40
    ) throws -> VaultClient {
        try VaultClient(
            configuration: self.configuration(token: token, timeout: timeout, maximumRetries: maximumRetries),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
    }

    /// Stops every node for good and removes nothing else. Idempotent.
    public func shutDown() {
        for node in self.nodes { node.shutDown() }
    }
}
