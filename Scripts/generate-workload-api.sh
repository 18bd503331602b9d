#!/usr/bin/env bash
# Regenerates the SPIFFE Workload API Swift code in Sources/WardenWorkloadAPI/Generated/ from the committed
# workload.proto there:
#
#   Scripts/generate-workload-api.sh
#   WARDEN_CODEGEN_DIR=/tmp/warden-codegen Scripts/generate-workload-api.sh   # reuse the scratch dir (and its builds)
#
# Run by hand, outside CI: the generated files are committed, and building swift-protobuf's protoc-gen-swift and
# grpc-swift-protobuf's protoc-gen-grpc-swift-2 takes two minutes here and up to about ten on a small or busy machine. Run it after
# changing workload.proto or bumping swift-protobuf / grpc-swift-protobuf, then update Generated/README.md.
#
# It builds both plugins (release) in a scratch SwiftPM package outside the repository, pinned to the versions below,
# gets protoc from PyPI's grpcio-tools in a scratch virtualenv, and runs protoc with the options below. Needs swift,
# python3 and network (or mirror) access for SwiftPM and pip. Set PROTOC to use another protoc binary instead.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
generated="$root/Sources/WardenWorkloadAPI/Generated"

swift_protobuf_version=1.39.0
grpc_swift_version=2.4.3
grpc_swift_protobuf_version=2.4.1
grpcio_tools_version=1.85.1   # bundles libprotoc 35.1

swift_opts="Visibility=Package,FileNaming=DropPath,UseAccessLevelOnImports=true"
grpc_opts="Visibility=Package,Client=true,Server=false,FileNaming=DropPath,UseAccessLevelOnImports=true"

scratch="${WARDEN_CODEGEN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/warden-codegen.XXXXXX")}"
mkdir -p "$scratch/plugins/Sources/Placeholder" "$scratch/in" "$scratch/out"
echo "scratch dir: $scratch"

# 1. The plugins, built from a scratch package that pins exact versions.
cat > "$scratch/plugins/Package.swift" <<SWIFT
// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "warden-codegen-plugins",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "$swift_protobuf_version"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "$grpc_swift_version"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "$grpc_swift_protobuf_version"),
    ],
    targets: [
        // Never built; it only keeps the grpc-swift-2 pin "used", so SwiftPM doesn't warn about it.
        .target(name: "Placeholder", dependencies: [.product(name: "GRPCCore", package: "grpc-swift-2")])
    ]
)
SWIFT
: > "$scratch/plugins/Sources/Placeholder/Placeholder.swift"
(
    cd "$scratch/plugins"
    swift build -c release --product protoc-gen-swift
    swift build -c release --product protoc-gen-grpc-swift-2
)
bin="$(cd "$scratch/plugins" && swift build -c release --show-bin-path)"

# 2. protoc, plus the well-known types (google/protobuf/struct.proto) it ships with.
if [ -n "${PROTOC:-}" ]; then
    protoc=("$PROTOC")
    wkt="${PROTOC_INCLUDE:-$(dirname "$(dirname "$(command -v "$PROTOC")")")/include}"
else
    if [ ! -x "$scratch/venv/bin/python" ]; then
        python3 -m venv "$scratch/venv"
        "$scratch/venv/bin/pip" install --quiet "grpcio-tools==$grpcio_tools_version"
    fi
    protoc=("$scratch/venv/bin/python" -m grpc_tools.protoc)
    wkt="$("$scratch/venv/bin/python" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')"
fi
echo "protoc: $("${protoc[@]}" --version)"

# 3. Generate. workload.proto is compiled as a top-level file (no package), like go-spiffe's and the SPIFFE spec's.
cp "$generated/workload.proto" "$scratch/in/workload.proto"
rm -f "$scratch/out/"*.swift
"${protoc[@]}" \
    -I "$scratch/in" -I "$wkt" \
    --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
    --swift_out="$scratch/out" --swift_opt="$swift_opts" \
    --grpc-swift-2_out="$scratch/out" --grpc-swift-2_opt="$grpc_opts" \
    workload.proto

cp "$scratch/out/workload.pb.swift" "$scratch/out/workload.grpc.swift" "$generated/"
echo "wrote $generated/workload.pb.swift and $generated/workload.grpc.swift"
git -C "$root" status --short -- "$generated"
