#!/usr/bin/env bash
# NOTE: this installs SYSTEM packages (openssl, libssl-dev, ca-certificates, postgresql, python3-venv) with apt-get when
# they are missing, and Python packages into .venv/. Set WARDEN_NO_INSTALL=1 to install nothing and fail, naming what is
# missing, instead.
#
# Runs Warden's whole test suite, installing the peers it needs first (see Scripts/install-test-peers.sh), then runs the
# README's main job, the Vault outage demo, and checks its timeline (Scripts/check-outage-demo.py), runs the Vault
# failover demo on a three-node OpenBao cluster and checks its timeline (Scripts/check-vault-failover-demo.py), runs
# the bundle endpoint example and fetches from it with curl, Python and warden (Scripts/check-bundle-endpoint-example.py), runs the
# mTLS example against curl with a client certificate through a rotation (Scripts/check-mtls-example.py), runs the gRPC
# mTLS rotation example through two rotations of each certificate (Scripts/check-mtls-rotation-example.py), runs the
# Workload API example through two rotations (Scripts/check-workload-api-demo.py), and gives every
# libFuzzer harness a short run (Scripts/fuzz.sh, WARDEN_FUZZ_SECONDS each, 5 by default) so that a parser regression
# that crashes is caught.
# Extra arguments go to `swift test`, for example: Scripts/test.sh --filter WardenPKITests; a run with arguments
# skips the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
WARDEN_PYTHON="$(Scripts/install-test-peers.sh)"
export WARDEN_PYTHON
# The import check keeps Package.swift honest: a target that imports another of ours must declare it.
swift test --explicit-target-dependency-import-check error "$@"
if [ "$#" -eq 0 ]; then
  Scripts/outage-demo.sh --json | "$WARDEN_PYTHON" Scripts/check-outage-demo.py
  examples="$(swift build --package-path Examples --show-bin-path)"
  swift build --package-path Examples --product VaultFailoverDemo
  "$examples/VaultFailoverDemo" --json | "$WARDEN_PYTHON" Scripts/check-vault-failover-demo.py
  swift build --package-path Examples --product BundleEndpointServer
  "$WARDEN_PYTHON" Scripts/check-bundle-endpoint-example.py \
    "$examples/BundleEndpointServer" "$(swift build --show-bin-path)/warden"
  swift build --package-path Examples --product MTLSHelloServer
  "$WARDEN_PYTHON" Scripts/check-mtls-example.py "$examples/MTLSHelloServer"
  swift build --package-path Examples --product MTLSRotation
  "$WARDEN_PYTHON" Scripts/check-mtls-rotation-example.py "$examples/MTLSRotation" 2
  swift build --package-path Examples --product WorkloadAPIDemo
  "$WARDEN_PYTHON" Scripts/check-workload-api-demo.py "$examples/WorkloadAPIDemo" 2
  Scripts/fuzz.sh "${WARDEN_FUZZ_SECONDS:-5}"
fi
