import Benchmark
import Foundation
import Logging
import Warden
import X509

/// The fixtures `compare.sh` writes with `openssl`, so that Warden and the OpenSSL harness measure the same bytes.
/// Without them (a plain `swift package benchmark`), equivalent fixtures are made in code.
struct Fixtures {
    let leafDER: [UInt8]
    let rsaRootDER: [UInt8]
    let chainRoot: Certificate
    let chainIntermediate: Certificate
    let chainLeaf: Certificate
    let csrKey: PrivateKey
    let verificationTime: Date
    /// A JWT-SVID (ES256) the OpenSSL harness minted with `jwtKey`, kid `bench`, audience `bench`.
    let jwtToken: String
    let jwtKey: PrivateKey

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".fixtures").path

    static func load() throws -> Fixtures {
        func read(_ name: String) throws -> [UInt8] {
            Array(try Data(contentsOf: URL(fileURLWithPath: "\(Self.directory)/\(name)")))
        }
        func certificate(_ name: String) throws -> Certificate {
            try CertificateDecoder.decodeAll(read(name))[0].certificate
        }
        return Fixtures(
            leafDER: try read("leaf.der"),
            rsaRootDER: try read("rsa-root.der"),
            chainRoot: try certificate("root.pem"),
            chainIntermediate: try certificate("intermediate.pem"),
            chainLeaf: try certificate("leaf.der"),
            csrKey: try PrivateKey.load(from: "\(Self.directory)/csr-key.pem"),
            verificationTime: Date(),
            jwtToken: String(decoding: try read("token.jwt"), as: UTF8.self),
            jwtKey: try PrivateKey.load(from: "\(Self.directory)/jwt-key.pem")
        )
    }
}

nonisolated(unsafe) let fixtures: Fixtures = {
    do {
        return try Fixtures.load()
    } catch {
        fatalError(
            "benchmark fixtures missing in \(Fixtures.directory): run Benchmarks/compare.sh, which makes them (\(error))"
        )
    }
}()

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

    // The same operation as OpenSSL's d2i_X509 (which also caches the extensions), plus Warden's inspection.
    Benchmark("cert_parse_p256_leaf") { benchmark in
        let der = fixtures.leafDER
        try Batch.run(benchmark) { blackHole(try CertificateInfo(derEncoded: der)) }
    }

    Benchmark("cert_parse_rsa_root") { benchmark in
        let der = fixtures.rsaRootDER
        try Batch.run(benchmark) { blackHole(try CertificateInfo(derEncoded: der)) }
    }

    // Build, sign and encode: the work of X509_REQ_sign plus i2d_X509_REQ.
    Benchmark("csr_create_p256") { benchmark in
        let key = fixtures.csrKey
        try Batch.run(benchmark) {
            var builder = try CSRBuilder(subject: "CN=bench")
            builder.uris = ["spiffe://example.org/bench"]
            builder.dnsNames = ["bench.example.org"]
            blackHole(try builder.derEncoded(signingWith: key))
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

    // Pre-parsed certificates, as X509_verify_cert gets X509 objects.
    Benchmark("chain_verify_p256_3level") { benchmark in
        let verifier = CertificateChainVerifier(roots: [fixtures.chainRoot])
        let intermediates = [fixtures.chainIntermediate]
        for _ in benchmark.scaledIterations {
            for _ in 0..<Batch.size {
                let chain = try await verifier.verify(
                    leaf: fixtures.chainLeaf,
                    intermediates: intermediates,
                    at: fixtures.verificationTime
                )
                blackHole(chain)
            }
        }
    }
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
