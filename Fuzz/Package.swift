// swift-tools-version:6.2
import PackageDescription

// libFuzzer harnesses for every parser that takes hostile bytes, kept out of the SDK's package. Build and run them
// with Scripts/fuzz.sh, which passes `-sanitize=fuzzer,address`: each harness is one `LLVMFuzzerTestOneInput` and
// top-level code that hands the arguments to libFuzzer's driver (FuzzDriver).
let harnesses: [(name: String, products: [String])] = [
    ("FuzzPEM", ["WardenPKI"]),
    ("FuzzCertificate", ["WardenPKI"]),
    ("FuzzCSR", ["WardenPKI"]),
    ("FuzzCRL", ["WardenPKI"]),
    ("FuzzPrivateKey", ["WardenPKI"]),
    ("FuzzSPIFFEID", ["WardenSPIFFE"]),
    ("FuzzJWTSVID", ["WardenSPIFFE", "WardenPKI", "WardenCore"]),
    ("FuzzSPIFFEBundle", ["WardenSPIFFE"]),
    ("FuzzJSON", ["WardenCore"]),
    ("FuzzVaultResponse", ["WardenVault"]),
]

let package = Package(
    name: "WardenFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "warden", path: "..")],
    targets: [.target(name: "FuzzDriver")]
        + harnesses.map { harness in
            .executableTarget(
                name: harness.name,
                dependencies: ["FuzzDriver"] + harness.products.map { .product(name: $0, package: "warden") },
                swiftSettings: [.swiftLanguageMode(.v6)]
            )
        }
)
