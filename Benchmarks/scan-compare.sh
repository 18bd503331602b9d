#!/usr/bin/env bash
# `warden scan` beside the openssl command line, in one run: a directory of 10,000 certificates, and 100 TLS
# endpoints on loopback.
#
#   Benchmarks/scan-compare.sh                      # 3 paired rounds
#   WARDEN_BENCH_ROUNDS=5 Benchmarks/scan-compare.sh
#
# Files: `warden scan --json DIR` against `openssl x509 -noout -subject -issuer -serial -dates -fingerprint -sha256`
# run once per file (how a shell script inventories a directory), and against one `openssl crl2pkcs7 | openssl pkcs7
# -print_certs` over all of them (OpenSSL's parse cost without its process start, a floor no per-file tool reaches).
# The certificates are P-256, made with pyca/cryptography (Scripts/install-test-peers.sh's .venv), one per file.
# Endpoints: 100 `openssl s_server` processes on loopback, each with its own certificate; `warden scan` of all of them
# (16 at a time, its default, and one at a time) against `openssl s_client | openssl x509` per endpoint, in turn.
# Each round runs every command once, alternating which goes first; the figures are wall-clock seconds, the median
# over the rounds, and the ratio is peer/Warden (above 1, Warden is faster). It ends with one line per comparison:
#
#   SCAN files=10000 <warden s> <openssl-per-file s> <ratio> <openssl-one-process s> <ratio>
#   SCAN endpoints=100 concurrency=16|1 <warden s> <openssl s_client-per-endpoint s> <ratio>
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
rounds="${WARDEN_BENCH_ROUNDS:-3}"
files="${WARDEN_BENCH_FILES:-10000}"
endpoints="${WARDEN_BENCH_ENDPOINTS:-100}"
python="$here/../.venv/bin/python3"
[ -x "$python" ] || python="$("$here/../Scripts/install-test-peers.sh")"
work="$(mktemp -d /tmp/warden-scan-bench.XXXXXX)"
servers=()
cleanup() {
    for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

echo "building warden (release)" >&2
swift build -c release --product warden >&2
warden="$(swift build -c release --show-bin-path)/warden"

echo "making $files certificates" >&2
mkdir -p "$work/certs"
"$python" - "$work/certs" "$files" <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
out, count = sys.argv[1], int(sys.argv[2])
ca_key = ec.generate_private_key(ec.SECP256R1())
ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench CA")])
key = ec.generate_private_key(ec.SECP256R1()).public_key()
now = datetime.datetime.now(datetime.timezone.utc)
for i in range(count):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"service-{i}.example")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_name).public_key(key)
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=10 + i % 300))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"service-{i}.example")]), critical=False)
        .sign(ca_key, hashes.SHA256()))
    with open(f"{out}/service-{i:05d}.pem", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
PY
cat "$work"/certs/*.pem > "$work/all.pem"

echo "starting $endpoints openssl s_server endpoints" >&2
mkdir -p "$work/servers"
base=$((20000 + RANDOM % 20000))
targets=()
for i in $(seq 0 $((endpoints - 1))); do
    port=$((base + i))
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/servers/$i.key" \
        -out "$work/servers/$i.pem" -days 90 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" \
        -addext "basicConstraints=critical,CA:FALSE" 2>/dev/null
    openssl s_server -accept "127.0.0.1:$port" -cert "$work/servers/$i.pem" -key "$work/servers/$i.key" -www \
        -quiet </dev/null >/dev/null 2>&1 &
    servers+=($!)
    targets+=("localhost:$port")
done
sleep 2

seconds() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}
warden_files() { "$warden" scan --json "$work/certs"; }
openssl_per_file() {
    find "$work/certs" -type f -name '*.pem' -print0 | xargs -0 -I{} openssl x509 -in {} -noout -subject -issuer \
        -serial -dates -fingerprint -sha256
}
openssl_one_process() {
    openssl crl2pkcs7 -nocrl -certfile "$work/all.pem" | openssl pkcs7 -print_certs -noout
}
warden_endpoints() { "$warden" scan --json --concurrency "$1" "${targets[@]}"; }
openssl_endpoints() {
    for target in "${targets[@]}"; do
        openssl s_client -connect "$target" -servername localhost </dev/null 2>/dev/null \
            | openssl x509 -noout -dates -serial -subject
    done
}

for round in $(seq 1 "$rounds"); do
    echo "round $round of $rounds" >&2
    if [ $((round % 2)) -eq 1 ]; then
        echo "files warden $(seconds warden_files)" >> "$work/times"
        echo "files perfile $(seconds openssl_per_file)" >> "$work/times"
        echo "files oneprocess $(seconds openssl_one_process)" >> "$work/times"
        echo "endpoints warden16 $(seconds warden_endpoints 16)" >> "$work/times"
        echo "endpoints warden1 $(seconds warden_endpoints 1)" >> "$work/times"
        echo "endpoints openssl $(seconds openssl_endpoints)" >> "$work/times"
    else
        echo "files oneprocess $(seconds openssl_one_process)" >> "$work/times"
        echo "files perfile $(seconds openssl_per_file)" >> "$work/times"
        echo "files warden $(seconds warden_files)" >> "$work/times"
        echo "endpoints openssl $(seconds openssl_endpoints)" >> "$work/times"
        echo "endpoints warden1 $(seconds warden_endpoints 1)" >> "$work/times"
        echo "endpoints warden16 $(seconds warden_endpoints 16)" >> "$work/times"
    fi
done

# Sanity: every certificate and every endpoint was found, or the figures time a failure.
found_files=$("$warden" scan --json "$work/certs" | grep -c '"kind":"certificate"' || true)
found_endpoints=$("$warden" scan --json "${targets[@]}" | grep -c '"kind":"certificate"' || true)
[ "$found_files" -eq "$files" ] || { echo "warden found $found_files of $files certificates" >&2; exit 1; }
[ "$found_endpoints" -eq "$endpoints" ] || { echo "warden found $found_endpoints of $endpoints endpoints" >&2; exit 1; }

"$python" - "$work/times" "$files" "$endpoints" <<'PY'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    group, name, value = line.split()
    times.setdefault(name, []).append(float(value) / 1000)
m = {name: statistics.median(values) for name, values in times.items()}
files, endpoints = sys.argv[2], sys.argv[3]
print(f"SCAN files={files} {m['warden']:.2f} {m['perfile']:.2f} {m['perfile'] / m['warden']:.1f} "
      f"{m['oneprocess']:.2f} {m['oneprocess'] / m['warden']:.2f}")
for concurrency in ("16", "1"):
    w = m[f"warden{concurrency}"]
    print(f"SCAN endpoints={endpoints} concurrency={concurrency} {w:.2f} {m['openssl']:.2f} {m['openssl'] / w:.1f}")
PY
