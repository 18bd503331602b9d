#!/usr/bin/env bash
# Warden beside its peers, in one run, on one core.
#
#   Benchmarks/compare.sh                       # 5 paired rounds
#   WARDEN_BENCH_ROUNDS=3 Benchmarks/compare.sh
#
# Makes fixtures with the openssl command line (a 3-level P-256 chain whose leaf is an X509-SVID, P-256 keys, a real
# RSA root from the system trust store, and a CRL of 100,000 entries from the leaf's issuer; the harness mints the
# JWT-SVID), builds Warden's side (release) and the C harness against the system OpenSSL, and runs the two in paired
# rounds: each round runs both, pinned to the same core, the order alternating, and gives one Warden/OpenSSL ratio per
# operation. Both sides time the same way (a plain loop, 5 rounds of 1 s, the median) and neither through
# package-benchmark's malloc interposer, which would tax every Swift allocation and none of OpenSSL's; Warden's
# allocations are counted in a separate package-benchmark run.
# Then instructions per operation under callgrind, on both sides: the count at 2N runs minus the count at N, which
# whatever else the machine does is the same from run to run. Then Warden's JSON reader beside JSONDecoder, the
# rotation engine, and py-spiffe on the same token (when the project's .venv has it; Scripts/install-test-peers.sh
# makes it). It ends with one line per comparison:
#
#   CPU <model>
#   RATIO <name> <warden ops/s> <peer ops/s> <warden/peer>        Warden vs OpenSSL: medians over the rounds
#   SPREAD <name> <min ratio> <max ratio>                          the lowest and highest ratio of a round
#   INSTRUCTIONS <name> <warden/op> <peer/op> <peer/warden>       callgrind; above 1, Warden executes fewer
#   ALLOCATIONS <name> <warden mallocs/op>
#   MANAGER svid_verify_manager_fed <ops/s> <direct ops/s> <ratio> a TrustBundleManager-fed verifier vs one made by hand
#   LINEAR <parser> <MB> <ms> <ns/byte>                            each parser's cost at 1, 4 and 16 MB
#   FLOOR <name> <warden ops/s> <bare ops/s> <warden/bare>         JWT-SVID verify vs swift-crypto's bare P-256 check
#   CACHE <name> <calls/s>                                         a verified-token cache hit
#   PYSPIFFE <name> <warden ops/s> <py-spiffe ops/s> <warden/py-spiffe>
#   TRUST_APPLY authorities=1000 <us per update>                   a TrustBundleManager applying a bundle update
#   TRUST_READS <what> updates=<rate> <reads/s> <alone> <ratio>    two readers while updates arrive, vs alone
#   HANDSHAKE fixed|rotating|spiffe <handshakes/s> <fixed> <ratio>   WardenNIOSSL's server vs swift-nio-ssl alone
#   CALLBACK spiffe-vs-default <spiffe/s> <rotating/s> <ratio> <µs>  the SPIFFE callback vs swift-nio-ssl's check
#   REVOCATION chain_verify_crl_100k <with/s> <without/s> <ratio> <min> <max>  chain verification checking a
#                                                                  100,000-entry CRL vs none, per-round ratios
#
# Throughputs are medians. The machine is shared and noisy: track the median ratio and its spread, not absolute
# figures across runs.
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
    # A CRL of 100,000 entries from the leaf's issuer (none of them the leaf): an `openssl ca` database written
    # directly, then `openssl ca -gencrl`.
    rm -rf crl-ca && mkdir -p crl-ca/certs
    python3 - crl-ca/index.txt <<'PY'
import sys
reasons = ["", ",keyCompromise", ",superseded", ",cessationOfOperation"]
with open(sys.argv[1], "w") as index:
    for i in range(100_000):
        index.write(f"R\t301231000000Z\t260101000000Z{reasons[i % 4]}\t{0x7E000000 + i:08X}\tunknown\t/CN=revoked {i}\n")
PY
    echo 01 > crl-ca/crlnumber
    printf '[ ca ]\ndefault_ca = d\n[ d ]\ndir = %s\ndatabase = $dir/index.txt\nnew_certs_dir = $dir/certs\ncrlnumber = $dir/crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\nunique_subject = no\n' \
        "$fixtures/crl-ca" > crl-ca/ca.cnf
    openssl ca -config crl-ca/ca.cnf -keyfile intermediate-key.pem -cert intermediate.pem -gencrl -out crl-100k.pem \
        2>/dev/null
    openssl crl -in crl-100k.pem -outform DER -out crl-100k.der
    # The list is the leaf issuer's, its signature verifies, and it does not revoke the leaf.
    openssl verify -crl_check -CAfile root.pem -untrusted intermediate.pem -CRLfile crl-100k.pem \
        <(openssl x509 -inform DER -in leaf.der) >/dev/null
)

rounds="${WARDEN_BENCH_ROUNDS:-5}"
cpu="$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -1)"
echo "$cpu" > "$build/cpu.txt"
echo "== OpenSSL harness ($(openssl version))" >&2
cc -O2 -o "$build/openssl_bench" OpenSSLHarness/openssl_bench.c -lcrypto
echo "== Warden's side (release)" >&2
swift build -c release --product WardenOperations >&2
warden_operations="$(swift build -c release --show-bin-path)/WardenOperations"

# One side at a time is at the mercy of whatever else the machine does; paired rounds, each side run once per round,
# the order alternating and both pinned to the same core, give a ratio per round, and the median of those is what a
# noisy machine cannot move much.
run_peer() {
    "${pin[@]}" "$build/openssl_bench" "$fixtures" > "$build/openssl.$1.txt"
}
run_warden() {
    "${pin[@]}" "$warden_operations" measure > "$build/warden.$1.txt"
}
echo "== $rounds paired rounds on ${cpu:-an unknown CPU}, alternating which side runs first" >&2
for round in $(seq 1 "$rounds"); do
    echo "== round $round of $rounds" >&2
    if [ $((round % 2)) -eq 1 ]; then
        run_peer "$round"
        run_warden "$round"
    else
        run_warden "$round"
        run_peer "$round"
    fi
done

echo "== Warden's allocations per operation (package-benchmark, through its malloc interposer)" >&2
rm -rf "$build/jmh-allocations"
mkdir -p "$build/jmh-allocations"
swift package --disable-sandbox benchmark --target WardenBenchmarks --format jmh --path "$build/jmh-allocations" \
    --no-progress --filter '(cert_.*|csr_.*|chain_.*|svid_verify_.*|jwt_svid_verify_.*)' >&2

# valgrind 3.19 cannot read the debug information swiftc writes: count on a copy without it.
echo "== instructions per operation (callgrind)" >&2
: > "$build/instructions.txt"
if command -v valgrind >/dev/null; then
    objcopy --strip-debug "$warden_operations" "$build/WardenOperations.stripped"
    collected() {
        SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 \
            | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
    }
    n=100
    # Not the 100,000-entry CRL: 300 parses of 3.4 MB under valgrind, on each side, take longer than the rest together.
    for name in $(cut -d' ' -f1 "$build/openssl.1.txt" | grep -v '^crl_'); do
        w1=$(collected "$build/WardenOperations.stripped" count "$name" $n)
        w2=$(collected "$build/WardenOperations.stripped" count "$name" $((2 * n)))
        p1=$(collected "$build/openssl_bench" "$fixtures" count "$name" $n)
        p2=$(collected "$build/openssl_bench" "$fixtures" count "$name" $((2 * n)))
        echo "$name $(((w2 - w1) / n)) $(((p2 - p1) / n))" >> "$build/instructions.txt"
    done
else
    echo "compare.sh: no valgrind (apt-get install valgrind); skipping instruction counts" >&2
fi

echo "== parsers on 1, 4 and 16 MB inputs (linear cost: flat ns/byte)" >&2
"${pin[@]}" "$warden_operations" linear > "$build/linear.txt"

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

echo "== WardenNIOSSL: TLS handshakes per second, rotating and SPIFFE-verifying server vs a fixed one, pinned" >&2
swift build -c release --product HandshakeRate >&2
"${pin[@]}" "$(swift build -c release --show-bin-path)/HandshakeRate" > "$build/handshakes.txt"

echo "== WardenTrust: updates of a bundle of 1,000 authorities, and readers during them, not pinned" >&2
swift build -c release --product TrustUpdates >&2
"$(swift build -c release --show-bin-path)/TrustUpdates" > "$build/trust.txt"

python3 - "$build" "$rounds" "$build/jmh-credentials" "$build/scaling.txt" "$build/jmh-cache" "$build/pyspiffe.txt" "$build/jmh-json" <<'PY'
import glob, json, statistics, sys
build, rounds, credentials_dir, scaling_file, cache_dir, pyspiffe_file, json_dir = sys.argv[1:8]
rounds = int(rounds)
def rates(path):
    return dict((l.split()[0], float(l.split()[1])) for l in open(path) if l.strip())
wardens = [rates(f"{build}/warden.{round}.txt") for round in range(1, rounds + 1)]
peers = [rates(f"{build}/openssl.{round}.txt") for round in range(1, rounds + 1)]
# Medians over the rounds, for the lines that compare Warden with itself or read one side.
warden = {name: statistics.median(w[name] for w in wardens if name in w) for name in wardens[0]}
def rate(x):
    # Whole numbers, but two decimals below 100/s (the 100,000-entry CRL parses a few times a second).
    return f"{x:.0f}" if x >= 100 else f"{x:.2f}"
cpu = open(f"{build}/cpu.txt").read().strip() or "unknown"
print()
print(f"CPU {cpu}")
print(f"{'operation':28} {'warden ops/s':>14} {'openssl ops/s':>14} {'ratio (median)':>15} {'min':>7} {'max':>7}")
rows = []
for name in sorted(peers[0]):
    if all(name in w for w in wardens) and all(name in p for p in peers):
        ratios = [w[name] / p[name] for w, p in zip(wardens, peers)]
        w_median = statistics.median(w[name] for w in wardens)
        p_median = statistics.median(p[name] for p in peers)
        rows.append((name, w_median, p_median, statistics.median(ratios), min(ratios), max(ratios)))
for name, w_median, p_median, ratio, low, high in rows:
    print(f"{name:28} {rate(w_median):>14} {rate(p_median):>14} {ratio:>14.2f}x {low:>6.2f}x {high:>6.2f}x")
print()
for name, w_median, p_median, ratio, low, high in rows:
    print(f"RATIO {name} {rate(w_median)} {rate(p_median)} {ratio:.3f}")
    print(f"SPREAD {name} {low:.3f} {high:.3f}")

# Instructions per operation: the same whatever the machine's load (valgrind's virtual CPU has no AVX-512, so both
# sides run their non-AVX-512 code paths).
print()
for line in open(f"{build}/instructions.txt"):
    name, w, p = line.split()
    print(f"INSTRUCTIONS {name} {int(w)} {int(p)} {int(p) / int(w):.3f}")
# Allocations: each package-benchmark sample is 16 operations (Batch.size).
for path in glob.glob(f"{build}/jmh-allocations/*.json"):
    for element in json.load(open(path)):
        name = element["benchmark"].rsplit(".", 1)[-1]
        mallocs = element["secondaryMetrics"].get("Malloc (total)", {}).get("scorePercentiles", {}).get("50.0")
        if mallocs is not None:
            print(f"ALLOCATIONS {name} {mallocs / 16:.1f}")

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
for line in open(f"{build}/linear.txt"):
    print(line.rstrip())
print()
for line in open(scaling_file):
    print(line.rstrip())

print()
if "svid_verify_manager_fed" in warden and "svid_verify_p256_3level" in warden:
    a, b = warden["svid_verify_manager_fed"], warden["svid_verify_p256_3level"]
    print(f"MANAGER svid_verify_manager_fed {a:.0f} {b:.0f} {a / b:.3f}")
if "chain_verify_crl_100k" in warden and "chain_verify_p256_3level" in warden:
    a, b = warden["chain_verify_crl_100k"], warden["chain_verify_p256_3level"]
    ratios = [w["chain_verify_crl_100k"] / w["chain_verify_p256_3level"] for w in wardens]
    print(f"REVOCATION chain_verify_crl_100k {a:.0f} {b:.0f} {statistics.median(ratios):.3f} {min(ratios):.3f} {max(ratios):.3f}")
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
cat "$build/trust.txt"
cat "$build/handshakes.txt"
