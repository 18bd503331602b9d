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

/// A client of `addresses` with retries enough to outlast any election within 60 s.
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
    return try VaultClient(
        configuration: configuration,
        logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    )
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

let kills = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 5

let single = try OpenBaoServer(persistent: true)
try await single.start()
let singleRate = try await readRate(try client([single.address], token: single.rootToken), seconds: 5)
single.shutDown()

let openBao = try await OpenBaoCluster.start()
let nodes = openBao.nodes
let cluster = try client(openBao.addresses, token: openBao.rootToken)
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
    guard let active = await openBao.activeNode() else { throw TestServerError("no active node before kill \(round)") }
    try await cluster.kv2().write("bench/failover", ["round": .string("\(round)")])
    let killed = ContinuousClock.now
    active.stop()
    try await cluster.kv2().write("bench/failover", ["round": .string("\(round)-after")])
    let elapsed = ContinuousClock.now - killed
    recoveries.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    FileHandle.standardError.write(Data("kill \(round): first write after \(elapsed)\n".utf8))
    try await active.start(asStandby: true)
    try await openBao.waitForVoters()
}
let sorted = recoveries.sorted()
print(
    "FAILOVER kills=\(kills) min=\(String(format: "%.2f", sorted.first ?? 0)) "
        + "median=\(String(format: "%.2f", sorted[sorted.count / 2])) max=\(String(format: "%.2f", sorted.last ?? 0)) "
        + "all=\(recoveries.map { String(format: "%.2f", $0) }.joined(separator: ","))"
)
try await cluster.shutdown()
openBao.shutDown()
