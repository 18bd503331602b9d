import AsyncHTTPClient
import Foundation
import NIOCore
import Warden

// KV v2 reads over keep-alive, one at a time: Warden's VaultClient beside bare AsyncHTTPClient doing the same GET
// (token header, whole body read, no parsing). Five rounds of one second, median requests per second.
//
//   VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=root VaultThroughput secret/data/bench/key

func measure(_ name: String, _ body: () async throws -> Void) async throws -> Double {
    for _ in 0..<200 { try await body() }
    var rates: [Double] = []
    for _ in 0..<5 {
        let start = ContinuousClock.now
        var count = 0
        while ContinuousClock.now - start < .seconds(1) {
            try await body()
            count += 1
        }
        let elapsed = ContinuousClock.now - start
        rates.append(
            Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        )
    }
    let median = rates.sorted()[rates.count / 2]
    print("\(name) \(Int(median))")
    return median
}

let environment = ProcessInfo.processInfo.environment
let address = environment["VAULT_ADDR"]!
let token = environment["VAULT_TOKEN"]!
let path = CommandLine.arguments[1]
let vault = try VaultClient(configuration: .fromEnvironment())
let kvPath = path.replacingOccurrences(of: "secret/data/", with: "")
let warden = try await measure("vault_kv_read_warden") {
    let secret = try await vault.kv2().read(kvPath)
    precondition(secret.version > 0)
}
let http = HTTPClient(eventLoopGroupProvider: .singleton)
let bare = try await measure("vault_kv_read_bare_ahc") {
    var request = HTTPClientRequest(url: "\(address)/v1/\(path)")
    request.headers.add(name: "X-Vault-Token", value: token)
    let response = try await http.execute(request, timeout: .seconds(10))
    let body = try await response.body.collect(upTo: 1 << 20)
    precondition(response.status == .ok && body.readableBytes > 0)
}
print("OVERHEAD warden_vs_bare_ahc \(String(format: "%.3f", warden / bare))")
try await http.shutdown()
try await vault.shutdown()
