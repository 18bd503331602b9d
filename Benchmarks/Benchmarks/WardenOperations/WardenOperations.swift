import BenchmarkOperations
import Foundation
import Synchronization

/// Warden's side of `compare.sh`, without package-benchmark (whose malloc interposer taxes every Swift allocation and
/// none of the OpenSSL harness's), measured exactly as `OpenSSLHarness/openssl_bench.c` measures:
///
///     WardenOperations measure          one line per operation: "<name> <median ops/s>"
///     WardenOperations count NAME N     set up, then run NAME N times (for callgrind: count at N and 2N)
///     WardenOperations linear           each parser on 1, 4 and 16 MB inputs: "LINEAR <parser> <MB> <ms> <ns/byte>"
@main
enum WardenOperations {
    static let rounds = 5
    static let roundSeconds = 1.0
    static let batch = 16

    // A synchronous main that waits for one task: valgrind 3.19 crashes on an async main (dispatch_main on the main
    // thread), and everything measured here then runs in that one task either way.
    static func main() throws {
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        // Detached: main is on the main actor, which the semaphore blocks.
        Task.detached {
            do { try await Self.run() } catch { failure.withLock { $0 = error } }
            done.signal()
        }
        done.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }

    static func run() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "measure":
            for operation in BenchmarkOperation.all {
                let rate = try await Self.measure(try await operation.make())
                // Two decimals below 100/s (the 100,000-entry CRL parses a few times a second), whole numbers above.
                print("\(operation.name) \(rate < 100 ? String(format: "%.2f", rate) : String(Int(rate.rounded())))")
            }
        case "linear":
            for line in try ParserScaling.run() { print(line) }
        case "count" where arguments.count == 3:
            guard let operation = BenchmarkOperation.named(arguments[1]), let count = Int(arguments[2]) else {
                Self.usage()
            }
            let body = try await operation.make()
            switch body {
            case .sync(let run): for _ in 0..<count { try run() }
            case .async(let run): for _ in 0..<count { try await run() }
            }
        default:
            Self.usage()
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("usage: WardenOperations measure | count NAME N\n".utf8))
        exit(2)
    }

    /// 100 warm-up calls (fewer if they take more than `roundSeconds`), then `rounds` rounds of `roundSeconds`, the
    /// clock read once per `batch` calls; the median round's rate.
    static func measure(_ body: BenchmarkOperation.Body) async throws -> Double {
        let clock = ContinuousClock()
        var rates: [Double] = []
        switch body {
        case .sync(let run):
            let warmUp = clock.now
            for _ in 0..<100 where clock.now - warmUp < .seconds(Self.roundSeconds) { try run() }
            for _ in 0..<Self.rounds {
                var count = 0
                let start = clock.now
                var elapsed = Duration.zero
                repeat {
                    for _ in 0..<Self.batch { try run() }
                    count += Self.batch
                    elapsed = clock.now - start
                } while elapsed < .seconds(Self.roundSeconds)
                rates.append(Double(count) / Self.seconds(elapsed))
            }
        case .async(let run):
            let warmUp = clock.now
            for _ in 0..<100 where clock.now - warmUp < .seconds(Self.roundSeconds) { try await run() }
            for _ in 0..<Self.rounds {
                var count = 0
                let start = clock.now
                var elapsed = Duration.zero
                repeat {
                    for _ in 0..<Self.batch { try await run() }
                    count += Self.batch
                    elapsed = clock.now - start
                } while elapsed < .seconds(Self.roundSeconds)
                rates.append(Double(count) / Self.seconds(elapsed))
            }
        }
        return rates.sorted()[Self.rounds / 2]
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
