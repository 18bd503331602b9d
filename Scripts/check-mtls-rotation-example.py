"""Runs the gRPC mTLS rotation example (Examples/Sources/MTLSRotation) with `--json --rotations N` and checks what it
promises, from its output alone:

- it exits 0 by itself, every line on standard output is one JSON object with the documented keys;
- every request and every handshake succeeded, and there were requests on both kinds of connection (at least two per
  round);
- each of the two SPIFFE IDs (the greeter server and its caller) rotated at least N times, and every certificate a
  rotation announced was presented in a later handshake: the peer saw the new serial without a restart;
- each side presented at least N + 1 different certificates over the run;
- the connection opened first served a request in every round without a new handshake;
- a bad argument exits 2.

Usage: check-mtls-rotation-example.py PATH-TO-MTLSRotation [N]
"""

import json
import subprocess
import sys

BINARY = sys.argv[1]
ROTATIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
IDS = ["spiffe://example.org/greeter", "spiffe://example.org/caller"]
KEYS = {"t", "event", "peerID", "serial", "ok", "error"}


def fail(message):
    print(f"check-mtls-rotation-example: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


try:
    run = subprocess.run(
        [BINARY, "--json", "--rotations", str(ROTATIONS)], capture_output=True, text=True, timeout=300
    )
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
    if event["event"] not in ("handshake", "rotation", "request"):
        fail(f"line {number} has an unknown event: {line!r}")
    events.append(event)

failed = [event for event in events if not event["ok"]]
if failed:
    fail(f"{len(failed)} events failed, the first: {failed[0]}")
requests = [event for event in events if event["event"] == "request"]
if len(requests) < 2 * (ROTATIONS + 1):
    fail(f"only {len(requests)} requests")

# A request on the kept connection and one on a new connection per round: each side handshakes once per round, plus
# once for the kept connection, which is never re-established however often the certificates rotate.
rounds = len(requests) // 2
for spiffe_id in IDS:
    seen = sum(1 for e in events if e["event"] == "handshake" and e.get("peerID") == spiffe_id)
    if seen != rounds + 1:
        fail(f"{spiffe_id} was verified in {seen} handshakes, not {rounds + 1}: the kept connection did not last")

for spiffe_id in IDS:
    rotated = [e for e in events if e["event"] == "rotation" and e.get("peerID") == spiffe_id]
    if len(rotated) < ROTATIONS:
        fail(f"{spiffe_id} rotated {len(rotated)} times, not {ROTATIONS}")
    presented = [e for e in events if e["event"] == "handshake" and e.get("peerID") == spiffe_id]
    serials = {e["serial"] for e in presented}
    if len(serials) < ROTATIONS + 1:
        fail(f"{spiffe_id} presented {len(serials)} certificates, not at least {ROTATIONS + 1}")
    for rotation in rotated:
        later = [e for e in presented if e["t"] >= rotation["t"] and e["serial"] == rotation["serial"]]
        if not later:
            fail(f"{spiffe_id}'s certificate {rotation['serial']} was never presented after its rotation")

usage = subprocess.run([BINARY, "--rotations", "zero"], capture_output=True, text=True, timeout=30)
if usage.returncode != 2:
    fail(f"a bad argument exits {usage.returncode}, not 2")

handshakes = sum(1 for e in events if e["event"] == "handshake")
print(
    f"check-mtls-rotation-example: ok ({len(requests)} requests, {handshakes} handshakes, "
    f"{ROTATIONS}+ rotations of each certificate, none failed)"
)
