#!/usr/bin/env python3
"""Checks the Vault failover demo's --json output (read from stdin) against its contract and its story.

Every line is one JSON object with exactly t (seconds), event, node, status, requestsOK and requestsFailed. The
timeline must show the cluster up with the client on the active node, that node killed, the client moving to another
node after the kill, requests served after it, the killed node started again, and no failed request at the end. Exits 1
naming the first rule broken.
"""
import json
import sys

from demo_timeline import Timeline

timeline = Timeline(
    "failover demo", {"t", "event", "node", "status", "requestsOK", "requestsFailed"}, sys.stdin
)
events, index, fail = timeline.events, timeline.index, timeline.fail

up = index("cluster up")
if events[up]["status"] != "active":
    fail("the client did not start on the active node", json.dumps(events[up]))
killed = index("killed the active node")
victim = events[killed]["event"].split(",")[1].split(":")[0].strip()
moved = index("the client moved", killed)
if events[moved]["node"] == victim:
    fail(f"the client moved back to the killed node {victim}", json.dumps(events[moved]))
rejoined = index(f"{victim} started again", killed)
done = index("done")
if not up < killed < moved < done or not killed < rejoined < done:
    fail("the events are not in the order up, killed, moved, started again, done")
last = events[done]
if last["requestsFailed"] != 0:
    fail(f"{last['requestsFailed']} requests failed", json.dumps(last))
if last["requestsOK"] <= events[moved]["requestsOK"]:
    fail("no request was served after the failover", json.dumps(last))
if not any(e["status"] == "active" and e["node"] != victim for e in events[moved:done + 1]):
    fail("the client never reported a new active node after the kill")
print(
    f"failover demo: {victim} killed, the client moved to {events[moved]['node']}, "
    f"{last['requestsOK']} requests served, 0 failed"
)
