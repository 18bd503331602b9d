// swift-tools-version:6.2
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// Tests and their support code import freely; the import discipline is for the library modules.
let testSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "warden",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Warden", targets: ["Warden"]),
        .library(name: "WardenCore", targets: ["WardenCore"]),
        .library(name: "WardenPKI", targets: ["WardenPKI"]),
        .library(name: "WardenSPIFFE", targets: ["WardenSPIFFE"]),
        .library(name: "WardenCredentials", targets: ["WardenCredentials"]),
        .library(name: "WardenVault", targets: ["WardenVault"]),
        .library(name: "WardenTrust", targets: ["WardenTrust"]),
        .library(name: "WardenNIOSSL", targets: ["WardenNIOSSL"]),
        .library(name: "WardenPrometheus", targets: ["WardenPrometheus"]),
        // Its own product, outside `import Warden`, so that only its users compile gRPC.
        .library(name: "WardenWorkloadAPI", targets: ["WardenWorkloadAPI"]),
        .library(name: "WardenTesting", targets: ["WardenTesting"]),
        // Real OpenBao and PostgreSQL servers for Warden's own tests and the Examples package, which sees only
        // products. Not part of the SDK: no source-compatibility promise.
        .library(name: "WardenTestServers", targets: ["WardenTestServers"]),
        .executable(name: "warden", targets: ["WardenCLI"]),
        // x509-limbo's harness: `swift run -c release warden-limbo limbo.json` (Documentation/Conformance.md).
        .executable(name: "warden-limbo", targets: ["WardenLimbo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "WardenCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log")
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WardenPKI",
            dependencies: [
                "WardenCore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WardenSPIFFE",
            dependencies: [
                "WardenCore",
                "WardenPKI",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WardenCredentials",
            dependencies: [
                "WardenCore",
                "WardenPKI",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WardenVault",
            dependencies: [
                "WardenCore",
                "WardenPKI",
                "WardenCredentials",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCertificateReloading", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WardenPrometheus",
            dependencies: [
                "WardenCredentials",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WardenTrust",
            dependencies: [
                "WardenCore",
                "WardenPKI",
                "WardenSPIFFE",
                "WardenCredentials",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WardenNIOSSL",
            dependencies: [
                "WardenCore",
                "WardenPKI",
                "WardenSPIFFE",
                "WardenCredentials",
                "WardenTrust",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCertificateReloading", package: "swift-nio-extras"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WardenWorkloadAPI",
            dependencies: [
                "WardenCore",
                "WardenPKI",
                "WardenSPIFFE",
                "WardenCredentials",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            exclude: ["Generated/workload.proto", "Generated/README.md"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WardenTesting",
            dependencies: [
                "WardenCore",
                "WardenCredentials",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "WardenLimbo",
            dependencies: ["WardenPKI", .product(name: "X509", package: "swift-certificates")],
            swiftSettings: strictSettings
        ),
        // A service process for the persistent cache's restart test (WardenVaultTests); not a product.
        .executableTarget(
            name: "CachedCredentialsService",
            dependencies: [
                "WardenCore",
                "WardenCredentials",
                "WardenVault",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/Fixtures/CachedCredentialsService",
            swiftSettings: strictSettings
        ),
        .target(
            name: "WardenTestServers",
            dependencies: [
                "WardenCore",
                "WardenVault",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Warden",
            dependencies: [
                "WardenCore", "WardenPKI", "WardenSPIFFE", "WardenCredentials", "WardenTrust", "WardenVault", "WardenNIOSSL",
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "WardenCLI",
            dependencies: [
                "WardenCore",
                "WardenPKI",
                "WardenCredentials",
                "WardenSPIFFE",
                "WardenTrust",
                "WardenWorkloadAPI",
                "WardenPrometheus",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WardenTestSupport",
            dependencies: [
                "WardenPKI",
                "WardenTestServers",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Tests/WardenTestSupport",
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "WardenSPIFFETests",
            dependencies: [
                "WardenTesting",
                "WardenSPIFFE",
                "WardenPKI",
                "WardenTestSupport", "WardenTestServers",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Peers"],
            resources: [.copy("Vectors")],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "WardenCredentialsTests",
            dependencies: [
                .product(name: "InMemoryLogging", package: "swift-log"),
                "WardenTesting",
                "WardenCredentials", "WardenPrometheus",
                .product(name: "Crypto", package: "swift-crypto"),
                "WardenTestSupport", "WardenTestServers",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "WardenWorkloadAPITests",
            dependencies: [
                "WardenWorkloadAPI", "WardenCore", "WardenSPIFFE", "WardenCredentials", "WardenTrust", "WardenTestSupport",
                "WardenTestServers", "WardenNIOSSL", "WardenPKI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("Vectors")],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "WardenCoreTests",
            dependencies: [
                .product(name: "InMemoryLogging", package: "swift-log"),
                "WardenTesting", "WardenCore", "WardenTestSupport", "WardenTestServers",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "WardenPKITests",
            dependencies: [
                "WardenTesting",
                "WardenPKI",
                "WardenLimbo",
                "WardenTestSupport", "WardenTestServers",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            resources: [.copy("Limbo")],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "WardenVaultTests",
            dependencies: [
                .product(name: "InMemoryLogging", package: "swift-log"),
                "WardenTesting",
                "WardenVault",
                "WardenTrust",
                "WardenCredentials",
                "WardenSPIFFE",
                "WardenPKI",
                "WardenTestSupport", "WardenTestServers",
                "CachedCredentialsService",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            exclude: ["Peers"],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "WardenTrustTests",
            dependencies: [
                "WardenTrust", "WardenSPIFFE", "WardenPKI", "WardenCore", "WardenCredentials", "WardenTesting",
                "WardenTestSupport", "WardenTestServers",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            exclude: ["Peers"],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "WardenNIOSSLTests",
            dependencies: [
                "WardenNIOSSL", "WardenTrust", "WardenSPIFFE", "WardenPKI", "WardenCredentials", "WardenVault",
                "WardenTestSupport", "WardenTestServers",
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "WardenCLITests",
            dependencies: [
                "WardenCLI", "WardenPKI", "WardenSPIFFE", "WardenTestSupport", "WardenTestServers",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: testSettings
        ),
    ]
)
