#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/) with -sanitize=fuzzer,address and runs each for a while.
#
#   Scripts/fuzz.sh                 # every harness, 60 s each
#   Scripts/fuzz.sh 600 FuzzPEM     # one harness, 10 minutes
#   WARDEN_FUZZ_SECONDS=5 Scripts/fuzz.sh   # what Scripts/test.sh runs: a short pass over each, to catch regressions
#
# Seed corpora come from the test data (x509-limbo's certificates, go-spiffe's bundles and SVIDs, SPIFFE ID cases);
# each harness keeps what it learns in Fuzz/.corpus/<harness>. A crash leaves its input in Fuzz/.findings and fails the
# script; turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds="${1:-${WARDEN_FUZZ_SECONDS:-60}}"
shift || true
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
    harnesses=(FuzzPEM FuzzCertificate FuzzCSR FuzzCRL FuzzPrivateKey FuzzSPIFFEID FuzzJWTSVID FuzzSPIFFEBundle FuzzJSON
        FuzzVaultResponse)
fi

echo "== building the harnesses (debug, -sanitize=fuzzer,address)" >&2
(cd Fuzz && swift build -c debug -Xswiftc -sanitize=fuzzer,address >&2)
bin="$(cd Fuzz && swift build -c debug -Xswiftc -sanitize=fuzzer,address --show-bin-path)"

seeds=Fuzz/.seeds
rm -rf "$seeds"
"${WARDEN_PYTHON:-python3}" Scripts/fuzz-seeds.py "$seeds"
mkdir -p Fuzz/.findings

status=0
for harness in "${harnesses[@]}"; do
    corpus="Fuzz/.corpus/$harness"
    mkdir -p "$corpus"
    echo "== $harness for ${seconds}s" >&2
    if ! "$bin/$harness" "$corpus" "$seeds/$harness" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="Fuzz/.findings/$harness-" -print_final_stats=1 2> "Fuzz/.findings/$harness.log"; then
        echo "fuzz.sh: $harness found a crash; see Fuzz/.findings/$harness.log" >&2
        tail -40 "Fuzz/.findings/$harness.log" >&2
        status=1
    fi
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|cov:" "Fuzz/.findings/$harness.log" | tail -3 \
        | sed "s/^/$harness: /" >&2 || true
done
exit $status
