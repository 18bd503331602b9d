#!/usr/bin/env python3
"""Checks the outage demo's --json output (read from stdin) against its contract and its story.

Every line is one JSON object with exactly t (seconds), event, status, requestsOK and requestsFailed. The timeline must
show Vault going down and coming back, the service restarted in between and serving from its encrypted cache, the
status degraded while Vault is down (before and after the restart) and fresh after, no failed request, and the
database lease revoked at the end. Exits 1 naming the first rule broken.
"""
import json
import sys

from demo_timeline import Timeline

timeline = Timeline("outage demo", {"t", "event", "status", "requestsOK", "requestsFailed"}, sys.stdin)
events, index, fail = timeline.events, timeline.index, timeline.fail

down, back, done = index("Vault down"), index("Vault back"), index("done")
stopped, restarted = index("service stopped"), index("service restarted")
if not down < stopped < restarted < back < done:
    fail("the events are not in the order down, service stopped, service restarted, back, done")
if not any(e["status"] == "degraded" for e in events[down:stopped]):
    fail("the status never turned degraded while Vault was down")
if events[restarted]["status"] != "degraded" or "encrypted cache" not in events[restarted]["event"]:
    fail("the restarted service did not come up degraded from its encrypted cache", json.dumps(events[restarted]))
after_restart = [e["requestsOK"] for e in events[restarted:back + 1]]
if after_restart[-1] <= after_restart[0]:
    fail("no request was served after the restart while Vault was down")
if any(e["status"] != "degraded" for e in events[restarted:back]):
    fail("the restarted service was not degraded throughout the outage")
if not any(e["status"] == "fresh" for e in events[back:done]):
    fail("the status did not return to fresh after Vault came back")
during = [e["requestsOK"] for e in events[down:back + 1]]
if during[-1] <= during[0]:
    fail("no request was served while Vault was down")
last = events[done]
if last["requestsFailed"] != 0:
    fail(f"{last['requestsFailed']} requests failed", json.dumps(last))
if "revoked on shutdown" not in last["event"]:
    fail("the database lease was not revoked on shutdown", json.dumps(last))
print(
    f"outage demo: {last['requestsOK']} requests served, 0 failed, degraded while Vault was down, restarted from the "
    "encrypted cache during the outage, recovered, lease revoked"
)
