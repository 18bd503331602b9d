#!/usr/bin/env bash
# Vault client throughput beside its peers, in one run: a KV v2 read over keep-alive against a local OpenBao dev server,
# through Warden's VaultClient, bare AsyncHTTPClient and hvac. Prints one line each, then
#   OVERHEAD warden_vs_bare_ahc <warden/bare>      (the target: Warden's overhead under 10%, so at least 0.90)
# Needs the project's .venv (Scripts/install-test-peers.sh makes it: OpenBao's bao and hvac).
set -euo pipefail
cd "$(dirname "$0")"
venv=$PWD/../.venv
[ -x "$venv/bin/bao" ] || { echo "vault-compare.sh: run Scripts/install-test-peers.sh first" >&2; exit 2; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
home=$(mktemp -d)
HOME=$home "$venv/bin/bao" server -dev -dev-root-token-id=root -dev-listen-address=127.0.0.1:$port -dev-no-store-token > "$home/bao.log" 2>&1 &
bao=$!
trap 'kill $bao 2>/dev/null; rm -rf "$home"' EXIT
export VAULT_ADDR=http://127.0.0.1:$port VAULT_TOKEN=root
for _ in $(seq 100); do curl -sf "$VAULT_ADDR/v1/sys/health" >/dev/null && break; sleep 0.1; done
curl -sf -H "X-Vault-Token: root" -X POST -d '{"data":{"api-key":"bench-value"}}' "$VAULT_ADDR/v1/secret/data/bench/key" >/dev/null
swift build -c release --product VaultThroughput >&2
"$(swift build -c release --show-bin-path)/VaultThroughput" secret/data/bench/key
"$venv/bin/python3" hvac_bench.py
