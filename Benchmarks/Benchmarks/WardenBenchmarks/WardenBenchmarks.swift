import Benchmark
import BenchmarkOperations
import Foundation
import Logging
import Warden

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 100,
        // `Batch.size` operations per sample, as the OpenSSL harness reads its clock once per 16 operations: measuring
        // every operation alone adds package-benchmark's own cost per sample (about 25 µs here) to each. compare.sh
        // multiplies the JMH median by `Batch.size`.
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    // The operations compared with OpenSSL, from BenchmarkOperations (the same code compare.sh times without the
    // malloc interposer and counts under callgrind); here for their allocation counts.
    for operation in BenchmarkOperation.all {
        Benchmark(operation.name) { benchmark in
            switch try await operation.make() {
            case .sync(let run):
                benchmark.startMeasurement()
                try Batch.run(benchmark, run)
            case .async(let run):
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    for _ in 0..<Batch.size { try await run() }
                }
            }
        }
    }

    // The rotation engine's hot path: a fresh value held, read by one task. Each sample is
    // `CurrentBenchmark.callsPerSample` calls; ops/s of the export are samples per second. (Scaling across cores is
    // measured by the CurrentScaling program, with threads.)
    Benchmark(
        "credential_current_fresh",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(5))
    ) { benchmark in
        try await CurrentBenchmark.run(benchmark, provider: CurrentBenchmark.makeProvider())
    }

    SPIFFEBenchmarks.register()
    JSONBenchmarks.register()
}

/// Runs `Batch.size` operations per sample.
enum Batch {
    static let size = 16

    static func run(_ benchmark: Benchmark, _ operation: () throws -> Void) rethrows {
        for _ in benchmark.scaledIterations {
            for _ in 0..<Self.size { try operation() }
        }
    }
}

enum CurrentBenchmark {
    static let callsPerSample = 100_000

    static func run<Value: Sendable>(
        _ benchmark: Benchmark,
        provider: RotatingCredentialProvider<ClosureCredentialSource<Value>>
    ) async throws {
        _ = try await provider.current()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for _ in 0..<Self.callsPerSample { blackHole(try await provider.current()) }
        }
    }

    /// A provider holding a fresh, hour-long credential whose value is a heap-allocated secret string.
    static func makeProvider() -> RotatingCredentialProvider<ClosureCredentialSource<Secret<String>>> {
        Self.makeProvider(value: Secret(String(repeating: "s", count: 64)))
    }

    static func makeProvider<Value: Sendable>(
        value: Value
    ) -> RotatingCredentialProvider<ClosureCredentialSource<Value>> {
        let source = ClosureCredentialSource(name: "benchmark") {
            Credential(
                value: value,
                issuedAt: Date(),
                expiresAt: Date().addingTimeInterval(3600),
                metadata: CredentialMetadata(sourceName: "benchmark", kind: "benchmark")
            )
        }
        return RotatingCredentialProvider(
            source: source,
            logger: Logger(label: "benchmark") { _ in SwiftLogNoOpLogHandler() }
        )
    }
}
