import Benchmark
import BenchmarkOperations
import Warden

/// The verified-token cache; the verifications compared with their peers are in BenchmarkOperations.
enum SPIFFEBenchmarks {
    /// Calls per sample of the sub-microsecond benchmarks, so that the harness's own cost per sample does not count.
    static let cacheCallsPerSample = 1_000

    static func register() {
        // A token seen before: hash, lookup, time window and authorizer. Each sample is `cacheCallsPerSample` calls.
        Benchmark(
            "jwt_svid_cache_hit",
            configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(3))
        ) { benchmark in
            let verifier = try BenchmarkOperation.jwtVerifier(cacheCapacity: 1024)
            let token = Fixtures.shared.jwtToken
            let time = Fixtures.shared.verificationTime
            _ = try verifier.verify(token, at: time, authorizer: .any)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                for _ in 0..<Self.cacheCallsPerSample {
                    blackHole(try verifier.verify(token, at: time, authorizer: .any))
                }
            }
        }
    }
}
