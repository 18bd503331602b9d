// Vault high availability, measured: KV reads per second through a three-node OpenBao raft cluster against one node,
// in the same run, and the time from the active node's death to the first successful write through the client, over
// several kills (each killed node is started again and rejoins before the next kill).
//
//   swift run -c release VaultFailover [KILLS]          (from Benchmarks/; needs `bao`, as the tests do)
//
// Prints:
//   THROUGHPUT single=<reads/s> cluster=<reads/s> cluster/single=<ratio>
//   FAILOVER kills=<n> min=<s> median=<s> max=<s> all=<s,s,...>
import Foundation
import Logging
import Warden
import WardenTestServers

func client(_ addresses: [String], token: Secret<String>) throws -> VaultClient {
    var configuration = VaultConfiguration(address: addresses[0], token: token)
    configuration.addresses = addresses
    configuration.timeout = .seconds(60)
    configuration.maximumRetries = 200
    configuration.retryBackoff = BackoffPolicy(
        initialDelay: .milliseconds(50),
        multiplier: 1.5,
        maximumDelay: .milliseconds(200),
        minimumDelay: .milliseconds(25),
        jitter: .full
    )
    return try VaultClient(configuration: configuration, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
}

/// Eight workers reading one KV secret for `seconds`; reads per second.
func readRate(_ client: VaultClient, seconds: Int) async throws -> Double {
    try await client.kv2().write("bench/value", ["key": "value"])
    let end = ContinuousClock.now + .seconds(seconds)
    let reads = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<8 {
            group.addTask {
                var count = 0
                while ContinuousClock.now < end {
                    _ = try await client.kv2().read("bench/value")
                    count += 1
                }
                return count
            }
        }
        return try await group.reduce(0, +)
    }
    return Double(reads) / Double(seconds)
}

/// Waits until `admin`'s cluster has three voters and every node answers.
func waitForVoters(_ admin: VaultClient, _ nodes: [OpenBaoServer]) async throws {
    for _ in 0..<240 {
        let configuration = try await admin.read("sys/storage/raft/configuration")
        let servers = configuration.data?["config"]?["servers"]?.arrayValue ?? []
        if servers.count == nodes.count, servers.allSatisfy({ $0["voter"]?.boolValue == true }) { return }
        try await Task.sleep(for: .milliseconds(250))
    }
    throw TestServerError("the nodes did not all become voters")
}

let kills = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 5

let single = try OpenBaoServer(persistent: true)
try await single.start()
let singleRate = try await readRate(try client([single.address], token: single.rootToken), seconds: 5)
single.shutDown()

let leader = try OpenBaoServer(persistent: true)
try await leader.start()
var nodes = [leader]
let admin = try client([leader.address], token: leader.rootToken)
try await admin.write("sys/storage/raft/autopilot/configuration", ["server_stabilization_time": "1s"])
for _ in 0..<2 {
    let standby = try OpenBaoServer(persistent: true, joining: leader)
    try await standby.start()
    nodes.append(standby)
}
let cluster = try client(nodes.map(\.address), token: leader.rootToken)
try await waitForVoters(cluster, nodes)
let clusterRate = try await readRate(cluster, seconds: 5)
// Written at once, unbuffered: a later failure must not lose it.
FileHandle.standardOutput.write(
    Data(
        ("THROUGHPUT single=\(Int(singleRate)) cluster=\(Int(clusterRate)) cluster/single="
            + String(format: "%.2f", clusterRate / singleRate) + "\n").utf8
    )
)

var recoveries: [Double] = []
for round in 1...kills {
    // The active node now: the one whose own health says so.
    var active: OpenBaoServer?
    for node in nodes {
        let probe = try client([node.address], token: leader.rootToken)
        if (try? await probe.health())?.isActive == true { active = node }
        try await probe.shutdown()
    }
    guard let active else { throw TestServerError("no active node before kill \(round)") }
    try await cluster.kv2().write("bench/failover", ["round": .string("\(round)")])
    let killed = ContinuousClock.now
    active.stop()
    try await cluster.kv2().write("bench/failover", ["round": .string("\(round)-after")])
    let elapsed = ContinuousClock.now - killed
    recoveries.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    FileHandle.standardError.write(Data("kill \(round): first write after \(elapsed)\n".utf8))
    try await active.start(asStandby: true)
    try await waitForVoters(cluster, nodes)
}
let sorted = recoveries.sorted()
print(
    "FAILOVER kills=\(kills) min=\(String(format: "%.2f", sorted.first ?? 0)) "
        + "median=\(String(format: "%.2f", sorted[sorted.count / 2])) max=\(String(format: "%.2f", sorted.last ?? 0)) "
        + "all=\(recoveries.map { String(format: "%.2f", $0) }.joined(separator: ","))"
)
try await cluster.shutdown()
try await admin.shutdown()
for node in nodes { node.shutDown() }
