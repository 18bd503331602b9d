"""Runs the Workload API example (Examples/Sources/WorkloadAPIDemo) with `--json --rotations N` against the Workload
API stand-in it starts itself, and checks what it promises from its output alone:

- it exits 0 by itself, and every line on standard output is one JSON object with the documented keys;
- every request and every handshake succeeded, and there were requests;
- the SVID rotated at least N times, and each rotated certificate was presented in a later handshake, without a
  restart;
- a bad argument exits 2.

Usage: check-workload-api-demo.py PATH-TO-WorkloadAPIDemo [N]
"""

import json
import os
import subprocess
import sys

BINARY = sys.argv[1]
ROTATIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
KEYS = {"t", "event", "peerID", "serial", "ok", "error"}


def fail(message):
    print(f"check-workload-api-demo: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


environment = {key: value for key, value in os.environ.items() if key != "SPIFFE_ENDPOINT_SOCKET"}
try:
    run = subprocess.run([BINARY, "--json", "--rotations", str(ROTATIONS)], capture_output=True, text=True,
                         timeout=300, env=environment)
except subprocess.TimeoutExpired:
    fail("the example did not end by itself within 300 s")
if run.returncode != 0:
    fail(f"exit status {run.returncode}; standard error:\n{run.stderr}")

events = []
for number, line in enumerate(run.stdout.splitlines(), 1):
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        fail(f"line {number} is not JSON: {line!r}")
    if not isinstance(event, dict) or not {"t", "event", "ok"} <= set(event) or not set(event) <= KEYS:
        fail(f"line {number} does not have the documented keys: {line!r}")
    events.append(event)

failed = [e for e in events if not e["ok"]]
if failed:
    fail(f"{len(failed)} events failed, the first: {failed[0]}")
requests = [e for e in events if e["event"] == "request"]
if not requests:
    fail("no request")
rotations = [e for e in events if e["event"] == "rotation"]
if len(rotations) < ROTATIONS:
    fail(f"{len(rotations)} rotations, not {ROTATIONS}")
handshakes = [e for e in events if e["event"] == "handshake"]
for rotation in rotations:
    if not any(h["t"] >= rotation["t"] and h["serial"] == rotation["serial"] for h in handshakes):
        fail(f"the rotated certificate {rotation['serial']} was never presented after its rotation")

usage = subprocess.run([BINARY, "--rotations", "zero"], capture_output=True, text=True, timeout=30)
if usage.returncode != 2:
    fail(f"a bad argument exits {usage.returncode}, not 2")

print(f"check-workload-api-demo: ok ({len(requests)} requests, {len(handshakes)} handshakes, "
      f"{len(rotations)} rotations, none failed)")
