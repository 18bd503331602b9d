// swift-tools-version:6.1
import PackageDescription

// Examples live in their own package, so that what they depend on never enters an SDK user's build.
let package = Package(
    name: "WardenExamples",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "warden", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "InspectCertificate",
            dependencies: [.product(name: "Warden", package: "warden")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
