import ExampleEventLog
import Foundation
import Logging
import Synchronization
import Warden
import WardenCore
import WardenTestServers

/// A service writing and reading Vault secrets through a three-node OpenBao raft cluster while the active node is
/// killed, and started again later:
///
///     cluster up → requests through the active node → the active node killed → the client follows the new leader,
///     no request fails → the old node rejoins as a standby.
///
/// It starts its own cluster on loopback (three `bao server` processes, from the harness Warden's tests use) and
/// removes it at the end. `--json` prints one JSON object per line: `{"t": seconds, "event": "...", "node": "node-N",
/// "status": "...", "requestsOK": n, "requestsFailed": n}`, where `node` is the node the client uses and `status` what
/// that node's `sys/health` says of it (`active`, `standby`, `sealed` or `unreachable`).
@main
enum VaultFailoverDemo {
    static func main() async {
        let timeline = DemoTimeline(json: CommandLine.arguments.contains("--json"))
        signal(SIGPIPE, SIG_IGN)
        timeline.emit("starting a three-node OpenBao raft cluster", node: "-", status: "pending")
        let cluster: OpenBaoCluster
        do {
            cluster = try await OpenBaoCluster.start()
        } catch {
            timeline.emit("error: \(error)", node: "-", status: "failed")
            exit(1)
        }
        let signalSources = [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                cluster.shutDown()
                exit(128 + number)
            }
            source.resume()
            return source
        }
        timeline.onOutputClosed = {
            cluster.shutDown()
            exit(141)
        }
        do {
            try await Self.run(cluster, timeline)
            cluster.shutDown()
        } catch {
            timeline.emit("error: \(error)", node: "-", status: "failed")
            cluster.shutDown()
            exit(1)
        }
        withExtendedLifetime(signalSources) {}
    }

    static func run(_ cluster: OpenBaoCluster, _ timeline: DemoTimeline) async throws {
        let names = Dictionary(uniqueKeysWithValues: cluster.nodes.enumerated().map { ($1.address, "node-\($0 + 1)") })
        func name(_ address: String) -> String { names[address] ?? address }

        // Set-up, as an operator would: KV for the service, and an AppRole login for it.
        let admin = try cluster.client(token: cluster.rootToken)
        try await admin.write(
            "sys/policy/demo-service",
            ["policy": #"path "secret/data/demo/*" { capabilities = ["create", "update", "read"] }"#]
        )
        let (roleID, secretID) = try await admin.createAppRole(
            "service",
            ["token_ttl": "1m", "token_policies": ["demo-service"]]
        )
        try await admin.shutdown()

        // The service: one client of all three nodes, its token from an AppRole login through the rotation engine.
        let quiet = Logger(label: "demo") { _ in SwiftLogNoOpLogHandler() }
        let client = try VaultClient(configuration: cluster.configuration(token: nil), logger: quiet)
        let tokens = RotatingCredentialProvider(
            source: VaultTokenSource(
                client: client,
                method: VaultAppRoleAuth(roleID: roleID, secretID: .plain(Secret(secretID)))
            ),
            logger: quiet
        )
        client.setTokenProvider(tokens)
        _ = try await tokens.current()
        let tokensRunning = Task { try await tokens.run() }

        let counters = RequestCounters()
        let health = NodeHealth()
        func emit(_ event: String, node: String? = nil) {
            timeline.emit(event, node: node ?? name(client.currentAddress), status: health.status, counters)
        }
        await health.probe(client.currentAddress, token: cluster.rootToken)
        timeline.restart()
        emit("cluster up: the client uses \(name(client.currentAddress)), the active node")

        // Four workers, each writing its secret and reading it back: a read that misses the write counts as failed.
        let end = ContinuousClock.now + .seconds(16)
        let workers = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var round = 0
                        while ContinuousClock.now < end {
                            round += 1
                            do {
                                try await client.kv2().write("demo/worker-\(worker)", ["round": .string("\(round)")])
                                counters.recordSuccess()
                                let read = try await client.kv2().read("demo/worker-\(worker)")
                                if read.data.reveal()["round"]?.stringValue == "\(round)" {
                                    counters.recordSuccess()
                                } else {
                                    counters.recordFailure()
                                }
                            } catch {
                                counters.recordFailure()
                            }
                            try? await Task.sleep(for: .milliseconds(50))
                        }
                    }
                }
            }
        }

        var killed: OpenBaoServer?
        var restarted = false
        var lastAddress = client.currentAddress
        var lastStatus = health.status
        var lastTick = 0
        var lastProbe = ContinuousClock.now
        while ContinuousClock.now < end {
            if killed == nil, timeline.elapsed >= 4 {
                guard let active = await cluster.activeNode() else { throw DemoError("no active node to kill") }
                emit("killing the active node, \(name(active.address))", node: name(lastAddress))
                // Stopping waits for the process to exit: off the cooperative pool, which the workers need.
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().async {
                        active.stop()
                        continuation.resume()
                    }
                }
                killed = active
                emit("killed the active node, \(name(active.address)): its process has exited", node: name(lastAddress))
            }
            if let node = killed, !restarted, timeline.elapsed >= 10 {
                try await node.start(asStandby: true)
                restarted = true
                emit("\(name(node.address)) started again: it rejoins the cluster as a standby")
            }
            let address = client.currentAddress
            if address != lastAddress {
                await health.probe(address, token: cluster.rootToken)
                emit("the client moved from \(name(lastAddress)) to \(name(address)) (failover)")
                lastAddress = address
            }
            if ContinuousClock.now - lastProbe >= .milliseconds(500) {
                await health.probe(address, token: cluster.rootToken)
                lastProbe = ContinuousClock.now
            }
            if health.status != lastStatus {
                emit("\(name(address)) is \(health.status)")
                lastStatus = health.status
            }
            if Int(timeline.elapsed) > lastTick {
                lastTick = Int(timeline.elapsed)
                timeline.tick(node: name(client.currentAddress), status: health.status, counters)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        await workers.value
        tokensRunning.cancel()
        _ = await tokensRunning.result
        try await client.shutdown()
        emit(
            "done: \(counters.ok) requests served, \(counters.failed) failed; \(client.failovers) failovers, "
                + "\(client.electionsSeen) elections seen"
        )
        if counters.failed > 0 { throw DemoError("\(counters.failed) requests failed") }
    }
}

/// What the node in use says of itself, probed apart from the service's client.
final class NodeHealth: Sendable {
    private let current = Mutex("unknown")

    var status: String { self.current.withLock { $0 } }

    func probe(_ address: String, token: Secret<String>) async {
        var status = "unreachable"
        if let probe = try? VaultClient(
            configuration: VaultConfiguration(address: address, token: token, timeout: .seconds(1), maximumRetries: 0),
            logger: Logger(label: "demo") { _ in SwiftLogNoOpLogHandler() }
        ) {
            if let health = try? await probe.health() {
                status = health.sealed ? "sealed" : health.isActive ? "active" : health.standby ? "standby" : "unknown"
            }
            try? await probe.shutdown()
        }
        self.current.withLock { $0 = status }
    }
}

struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
