"""py-spiffe's X509Source on the Workload API stand-in (Scripts/workload-api-agent.py), measured as WorkloadAPIPush
measures Warden's provider: the time from a rotation the agent pushes to the new SVID in the source, over ROUNDS
rotations, and the process's CPU time over IDLE seconds of a watch with nothing changing. Prints
"pyspiffe_push_ms <median> <p90> <max>" and "pyspiffe_idle_cpu_ms <ms>".

    pyspiffe_push_bench.py AGENT_DIR ROUNDS IDLE_SECONDS
"""
import json
import os
import resource
import statistics
import sys
import time

from spiffe import X509Source

directory, rounds, idle = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])


def state():
    with open(os.path.join(directory, "state.json")) as f:
        return json.load(f)


def serial_now():
    return source.get_x509_context().default_svid.leaf.serial_number


def cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


source = X509Source(socket_path="unix://" + os.path.join(directory, "agent.sock"))
serial = serial_now()
# Commands numbered from 1000, so that they never repeat the Swift side's. The latency runs from the agent's push
# (its state's "at", written just before it pushes) to the new SVID in the source.
latencies = []
for number in range(rounds):
    before = state()["generation"]
    with open(os.path.join(directory, "command"), "w") as f:
        f.write(f"{1000 + number} rotate")
    while serial_now() == serial:
        time.sleep(0.001)
    seen = time.time()
    serial = serial_now()
    while state()["generation"] == before:
        time.sleep(0.001)
    latencies.append((seen - state()["at"]) * 1000)
    time.sleep(0.1)
latencies.sort()
print(f"pyspiffe_push_ms {statistics.median(latencies):.1f} {latencies[int(len(latencies) * 0.9)]:.1f} {latencies[-1]:.1f}")
start = cpu_ms()
time.sleep(idle)
print(f"pyspiffe_idle_cpu_ms {cpu_ms() - start:.1f}")
source.close()
