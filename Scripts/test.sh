#!/usr/bin/env bash
# Runs Warden's whole test suite, installing the peers it needs first (see Scripts/install-test-peers.sh).
# Extra arguments go to `swift test`, for example: Scripts/test.sh --filter WardenPKITests
set -euo pipefail
cd "$(dirname "$0")/.."
WARDEN_PYTHON="$(Scripts/install-test-peers.sh)"
export WARDEN_PYTHON
swift test "$@"
