import Foundation
import Logging
import Warden

/// Does reading a rotating credential scale across cores? Reads a fresh value from one OS thread, then from two at
/// once, and prints the total rates. package-benchmark's task-based runs do not spread two tasks over two cores, so
/// this one uses threads. Run it unpinned: `swift run -c release CurrentScaling` (Benchmarks/compare.sh does).
@main
enum CurrentScaling {
    static let calls = 20_000_000

    @inline(never)
    static func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

    static func provider<Value: Sendable>(_ value: Value) -> RotatingCredentialProvider<ClosureCredentialSource<Value>>
    {
        let source = ClosureCredentialSource(name: "scaling") {
            Credential(
                value: value,
                issuedAt: Date(),
                expiresAt: Date().addingTimeInterval(3600),
                metadata: CredentialMetadata(sourceName: "scaling", kind: "benchmark")
            )
        }
        return RotatingCredentialProvider(
            source: source,
            logger: Logger(label: "scaling") { _ in SwiftLogNoOpLogHandler() }
        )
    }

    /// Calls per second, in total, of `threads` threads reading the fresh value.
    static func rate<Value: Sendable>(
        _ provider: RotatingCredentialProvider<ClosureCredentialSource<Value>>,
        threads: Int
    ) -> Double {
        let perThread = Self.calls / threads
        let group = DispatchGroup()
        let start = ContinuousClock.now
        for _ in 0..<threads {
            group.enter()
            Thread {
                for _ in 0..<perThread { Self.blackHole(provider.currentIfAvailable()) }
                group.leave()
            }.start()
        }
        group.wait()
        let elapsed = (ContinuousClock.now - start).components
        return Double(perThread * threads) / (Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    static func measure<Value: Sendable>(
        _ name: String,
        _ provider: RotatingCredentialProvider<ClosureCredentialSource<Value>>
    ) {
        var one: [Double] = []
        var two: [Double] = []
        for _ in 0..<5 {
            one.append(Self.rate(provider, threads: 1))
            two.append(Self.rate(provider, threads: 2))
        }
        let (a, b) = (Self.median(one), Self.median(two))
        print("SCALING \(name) \(Int(b)) \(Int(a)) \(String(format: "%.3f", b / a))")
    }

    static func main() async throws {
        let heap = Self.provider(Secret(String(repeating: "s", count: 64)))
        let inline = Self.provider(42)
        _ = try await heap.current()
        _ = try await inline.current()
        // Columns: name, calls/s with two threads, calls/s with one, ratio. Medians of five rounds.
        Self.measure("credential_current_fresh_inline_value", inline)
        Self.measure("credential_current_fresh_heap_value", heap)
    }
}
