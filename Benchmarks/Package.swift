// swift-tools-version:6.1
import PackageDescription

// Warden's benchmarks, kept out of the SDK's own package so that users never build package-benchmark.
// Run them side by side with their peers: `Benchmarks/compare.sh` (see Documentation/Performance.md).
let package = Package(
    name: "WardenBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "warden", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // The operations compared with OpenSSL, defined once for every way they are measured.
        .target(
            name: "BenchmarkOperations",
            dependencies: [
                .product(name: "Warden", package: "warden"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/BenchmarkOperations",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Throughput beside the OpenSSL harness and instruction counts under callgrind, without package-benchmark's
        // malloc interposer.
        .executableTarget(
            name: "WardenOperations",
            dependencies: ["BenchmarkOperations"],
            path: "Benchmarks/WardenOperations",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Allocation counts (through the interposer), and the benchmarks with no OpenSSL peer.
        .executableTarget(
            name: "WardenBenchmarks",
            dependencies: [
                "BenchmarkOperations",
                .product(name: "Warden", package: "warden"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/WardenBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "VaultThroughput",
            dependencies: [
                .product(name: "Warden", package: "warden"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/VaultThroughput",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Vault HA: throughput through a three-node raft cluster against one node, and failover times.
        .executableTarget(
            name: "VaultFailover",
            dependencies: [
                .product(name: "Warden", package: "warden"),
                .product(name: "WardenTestServers", package: "warden"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/VaultFailover",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "TrustUpdates",
            dependencies: [
                .product(name: "Warden", package: "warden"),
                .product(name: "WardenTrust", package: "warden"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/TrustUpdates",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "HandshakeRate",
            dependencies: [
                .product(name: "Warden", package: "warden"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Benchmarks/HandshakeRate",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "WorkloadAPIPush",
            dependencies: [
                .product(name: "WardenWorkloadAPI", package: "warden"),
                .product(name: "WardenCredentials", package: "warden"),
                .product(name: "WardenTestServers", package: "warden"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/WorkloadAPIPush",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "CurrentScaling",
            dependencies: [
                .product(name: "Warden", package: "warden"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/CurrentScaling",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
