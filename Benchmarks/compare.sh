#!/usr/bin/env bash
# Warden beside its peers, in one run, on one core.
#
#   Benchmarks/compare.sh
#
# Makes fixtures with the openssl command line (a 3-level P-256 chain whose leaf is an X509-SVID, P-256 keys, and a
# real RSA root from the system trust store; the harness mints the JWT-SVID), builds and runs Warden's benchmarks
# (package-benchmark, release) and the C harness against the system OpenSSL, both pinned to one core, then py-spiffe
# on the same token (when the project's .venv has it; Scripts/install-test-peers.sh makes it), and ends with one line
# per comparison:
#
#   RATIO <name> <warden ops/s> <peer ops/s> <warden/peer>        Warden vs OpenSSL
#   FLOOR <name> <warden ops/s> <bare ops/s> <warden/bare>         JWT-SVID verify vs swift-crypto's bare P-256 check
#   CACHE <name> <calls/s>                                         a verified-token cache hit
#   PYSPIFFE <name> <warden ops/s> <py-spiffe ops/s> <warden/py-spiffe>
#
# Throughputs are medians. The machine is shared and noisy: compare ratios from the same run, not absolute figures
# across runs.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
fixtures=$here/.fixtures
build=$here/.build
mkdir -p "$fixtures" "$build"

pin=()
if command -v taskset >/dev/null; then pin=(taskset -c 0); fi

command -v openssl >/dev/null && [ -f /usr/include/openssl/x509.h ] || {
    echo "compare.sh: needs openssl and libssl-dev (apt-get install openssl libssl-dev)" >&2
    exit 2
}

echo "== fixtures (openssl)" >&2
(
    cd "$fixtures"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root-key.pem -out root.pem \
        -days 3650 -subj "/CN=Bench Root" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout intermediate-key.pem \
        -out intermediate.csr -subj "/CN=Bench Intermediate" 2>/dev/null
    printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > intermediate.ext
    openssl x509 -req -in intermediate.csr -CA root.pem -CAkey root-key.pem -CAcreateserial -days 3000 \
        -extfile intermediate.ext -out intermediate.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf-key.pem -out leaf.csr \
        -subj "/O=Bench" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=critical,URI:spiffe://example.org/bench,DNS:bench.example.org\n' > leaf.ext
    openssl x509 -req -in leaf.csr -CA intermediate.pem -CAkey intermediate-key.pem -CAcreateserial -days 1000 \
        -extfile leaf.ext -outform DER -out leaf.der 2>/dev/null
    openssl x509 -in /etc/ssl/certs/ISRG_Root_X1.pem -outform DER -out rsa-root.der
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out csr-key.pem 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out jwt-key.pem 2>/dev/null
)

echo "== OpenSSL harness ($(openssl version))" >&2
cc -O2 -o "$build/openssl_bench" OpenSSLHarness/openssl_bench.c -lcrypto
"${pin[@]}" "$build/openssl_bench" "$fixtures" > "$build/openssl.txt"

echo "== Warden (package-benchmark, release)" >&2
rm -rf "$build/jmh"
mkdir -p "$build/jmh"
"${pin[@]}" swift package --disable-sandbox benchmark --target WardenBenchmarks --format jmh --path "$build/jmh" \
    --no-progress --filter '(cert_.*|csr_.*|chain_.*|svid_verify_.*|jwt_svid_verify_.*|p256_.*)' >&2

echo "== Warden verified-token cache" >&2
rm -rf "$build/jmh-cache"
mkdir -p "$build/jmh-cache"
"${pin[@]}" swift package --disable-sandbox benchmark --target WardenBenchmarks --format jmh --path "$build/jmh-cache" \
    --no-progress --filter 'jwt_svid_cache_hit' >&2

echo "== py-spiffe" >&2
python=$here/../.venv/bin/python3
if [ -x "$python" ] && "$python" -c 'import spiffe' 2>/dev/null; then
    "${pin[@]}" "$python" pyspiffe_bench.py "$fixtures" > "$build/pyspiffe.txt"
else
    echo "compare.sh: no py-spiffe in .venv (run Scripts/install-test-peers.sh); skipping its figure" >&2
    : > "$build/pyspiffe.txt"
fi

echo "== Warden's JSON reader beside Foundation's JSONDecoder (a JWT-SVID's header and claims)" >&2
rm -rf "$build/jmh-json"
mkdir -p "$build/jmh-json"
"${pin[@]}" swift package --disable-sandbox benchmark --target WardenBenchmarks --format jmh --path "$build/jmh-json" \
    --no-progress --filter 'json_.*' >&2

echo "== Warden rotation engine (current() latency)" >&2
rm -rf "$build/jmh-credentials"
mkdir -p "$build/jmh-credentials"
"${pin[@]}" swift package --disable-sandbox benchmark --target WardenBenchmarks --format jmh --path "$build/jmh-credentials" \
    --no-progress --filter 'credential_.*' >&2

echo "== Warden rotation engine, one thread vs two, not pinned" >&2
swift build -c release --product CurrentScaling >&2
"$(swift build -c release --show-bin-path)/CurrentScaling" > "$build/scaling.txt"

python3 - "$build/jmh" "$build/openssl.txt" "$build/jmh-credentials" "$build/scaling.txt" "$build/jmh-cache" "$build/pyspiffe.txt" "$build/jmh-json" <<'PY'
import glob, json, sys
jmh_dir, peer_file, credentials_dir, scaling_file, cache_dir, pyspiffe_file, json_dir = sys.argv[1:8]
warden = {}
# Each sample of these benchmarks is 16 operations (Batch.size), as the harness reads its clock once per 16.
batch = 16
for path in glob.glob(jmh_dir + "/*.json"):
    for element in json.load(open(path)):
        name = element["benchmark"].rsplit(".", 1)[-1]
        warden[name] = element["primaryMetric"]["scorePercentiles"]["50.0"] * batch
peer = dict((line.split()[0], float(line.split()[1])) for line in open(peer_file) if line.strip())
print()
print(f"{'benchmark':28} {'warden ops/s':>14} {'openssl ops/s':>14} {'warden/openssl':>15}")
for name in sorted(peer):
    if name in warden:
        print(f"{name:28} {warden[name]:>14.0f} {peer[name]:>14.0f} {warden[name] / peer[name]:>14.2f}x")
print()
for name in sorted(peer):
    if name in warden:
        print(f"RATIO {name} {warden[name]:.0f} {peer[name]:.0f} {warden[name] / peer[name]:.3f}")

# The rotation engine: each sample is 100,000 calls to current(), so calls/s = samples/s * 100,000.
calls_per_sample = 100_000
for path in glob.glob(credentials_dir + "/*.json"):
    for element in json.load(open(path)):
        samples = element["primaryMetric"]["scorePercentiles"]["50.0"]
        mallocs = element["secondaryMetrics"].get("Malloc (total)", {}).get("scorePercentiles", {}).get("50.0") or 0
        ns = 1e9 / (samples * calls_per_sample)
        print()
        print(f"current() on a fresh value: {ns:.1f} ns per call (median), {mallocs:.0f} mallocs per {calls_per_sample} calls")
        print(f"CURRENT credential_current_fresh {ns:.1f} ns {mallocs / calls_per_sample:.5f} mallocs-per-call")
print()
for line in open(scaling_file):
    print(line.rstrip())

print()
if "jwt_svid_verify_es256" in warden and "p256_verify_bare" in warden:
    a, b = warden["jwt_svid_verify_es256"], warden["p256_verify_bare"]
    print(f"FLOOR jwt_svid_verify_es256 {a:.0f} {b:.0f} {a / b:.3f}")
# Each cache sample is 1,000 calls.
for path in glob.glob(cache_dir + "/*.json"):
    for element in json.load(open(path)):
        calls = element["primaryMetric"]["scorePercentiles"]["50.0"] * 1000
        print(f"CACHE jwt_svid_cache_hit {calls:.0f}")
for line in open(pyspiffe_file):
    name, rate = line.split()
    a = warden.get("jwt_svid_verify_es256")
    if a:
        print(f"PYSPIFFE jwt_svid_verify_es256 {a:.0f} {float(rate):.0f} {a / float(rate):.2f}")
# A JWT-SVID's header and claims, 100 times per sample: documents per second, Warden's reader vs JSONDecoder.
parsers = {}
for path in glob.glob(json_dir + "/*.json"):
    for element in json.load(open(path)):
        name = element["benchmark"].rsplit(".", 1)[-1]
        parsers[name] = element["primaryMetric"]["scorePercentiles"]["50.0"] * 100
if "json_jwt_claims_warden" in parsers and "json_jwt_claims_foundation" in parsers:
    a, b = parsers["json_jwt_claims_warden"], parsers["json_jwt_claims_foundation"]
    print(f"RATIO json_jwt_claims {a:.0f} {b:.0f} {a / b:.3f}")
PY
