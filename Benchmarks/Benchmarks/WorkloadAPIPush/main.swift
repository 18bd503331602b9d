import Foundation
import Logging
import WardenCredentials
import WardenTestServers
import WardenWorkloadAPI

// What the Workload API's X509-SVID source costs, against py-spiffe's X509Source on the same agent stand-in
// (Scripts/workload-api-agent.py), in one run:
//
// - PUSH: from the moment the agent pushes a rotation (its state's `at`) to the new SVID returned by the provider's
//   `currentIfAvailable()`, over ROUNDS rotations (median, p90, max, in ms), both sides polling every millisecond;
// - IDLE: the process's CPU time over IDLE seconds of a watch with nothing changing.
//
//     swift run -c release WorkloadAPIPush [ROUNDS] [IDLE_SECONDS]
let arguments = CommandLine.arguments
let rounds = arguments.count > 1 ? Int(arguments[1]) ?? 20 : 20
let idleSeconds = arguments.count > 2 ? Double(arguments[2]) ?? 10 : 10

func cpuMilliseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let seconds = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    return seconds * 1000
}

func summary(_ values: [Double]) -> String {
    let sorted = values.sorted()
    return String(format: "%.1f %.1f %.1f", sorted[sorted.count / 2], sorted[Int(Double(sorted.count) * 0.9)], sorted.last!)
}

let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
let agent = try await WorkloadAPIAgent()
let client = try WorkloadAPIClient(address: WorkloadAPIAddress(.unix(path: agent.socketPath)), logger: quiet)
let provider = RotatingCredentialProvider(workloadAPI: client, logger: quiet)
let runningClient = Task { try await client.run() }
let runningProvider = Task { try await provider.run() }

var serial = try await provider.current().leaf.serialNumber
var latencies: [Double] = []
for _ in 0..<rounds {
    // The command is awaited beside the watch, not before it: `command` polls the agent's state every 25 ms.
    let commanding = Task { try await agent.command("rotate") }
    while provider.currentIfAvailable()?.leaf.serialNumber == serial {
        try await Task.sleep(for: .milliseconds(1))
    }
    let seen = Date().timeIntervalSince1970
    try await commanding.value
    // From the agent's push (its state's "at", written just before it pushes) to the new SVID in the provider.
    latencies.append((seen - (try agent.state.at)) * 1000)
    serial = provider.currentIfAvailable()!.leaf.serialNumber
    try await Task.sleep(for: .milliseconds(100))
}
let idleStart = cpuMilliseconds()
try await Task.sleep(for: .seconds(idleSeconds))
let idle = cpuMilliseconds() - idleStart
runningProvider.cancel()
client.shutdown()
runningClient.cancel()

// py-spiffe's X509Source against the same agent, after Warden's client has gone.
let python = InstalledTool.python!
let script = InstalledTool.repositoryRoot.appendingPathComponent("Benchmarks/pyspiffe_push_bench.py").path
let process = Process()
process.executableURL = URL(fileURLWithPath: python)
process.arguments = [script, agent.directory.path, String(rounds), String(idleSeconds)]
let output = Pipe()
process.standardOutput = output
try process.run()
let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
process.waitUntilExit()
var peer: [String: [Double]] = [:]
for line in text.split(separator: "\n") {
    let fields = line.split(separator: " ")
    peer[String(fields[0])] = fields.dropFirst().compactMap { Double($0) }
}
agent.stop()

// Columns: what, Warden's median p90 max (ms), py-spiffe's, the ratio of the medians (Warden / py-spiffe).
let wardenMedian = latencies.sorted()[latencies.count / 2]
let peerMedian = peer["pyspiffe_push_ms"]?.first ?? .nan
print("PUSH warden_ms \(summary(latencies)) pyspiffe_ms \(peer["pyspiffe_push_ms"].map { $0.map { String(format: "%.1f", $0) }.joined(separator: " ") } ?? "-") RATIO \(String(format: "%.3f", wardenMedian / peerMedian))")
let peerIdle = peer["pyspiffe_idle_cpu_ms"]?.first ?? .nan
print("IDLE \(Int(idleSeconds))s warden_cpu_ms \(String(format: "%.1f", idle)) pyspiffe_cpu_ms \(String(format: "%.1f", peerIdle))")
