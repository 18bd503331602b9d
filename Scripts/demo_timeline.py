"""The JSON-lines timeline the Vault demos print with --json, read strictly: shared by their checkers."""
import json
import sys


class Timeline:
    """The events of one demo run, each checked against the contract: exactly `keys`, t a number, the string fields
    strings, requestsOK and requestsFailed counts. `name` starts every failure message."""

    def __init__(self, name, keys, lines):
        self.name = name
        self.events = []
        strings = keys - {"t", "requestsOK", "requestsFailed"}
        for raw in lines:
            raw = raw.strip()
            if not raw:
                continue
            try:
                event = json.loads(raw)
            except ValueError:
                self.fail("a line is not JSON", raw)
            if not isinstance(event, dict) or set(event) != keys:
                self.fail(f"a line does not have exactly the keys {sorted(keys)}", raw)
            if not isinstance(event["t"], (int, float)) or not all(isinstance(event[k], str) for k in strings):
                self.fail(f"t must be a number, {', '.join(sorted(strings))} strings", raw)
            if not all(isinstance(event[k], int) and event[k] >= 0 for k in ("requestsOK", "requestsFailed")):
                self.fail("requestsOK and requestsFailed must be counts", raw)
            self.events.append(event)
        if not self.events:
            self.fail("no output")

    def fail(self, rule, line=None):
        print(f"{self.name} check failed: {rule}" + (f"\n  line: {line}" if line else ""), file=sys.stderr)
        sys.exit(1)

    def index(self, prefix, start=0):
        """The first event at or after `start` whose text starts with `prefix`; a failure when there is none."""
        for i in range(start, len(self.events)):
            if self.events[i]["event"].startswith(prefix):
                return i
        self.fail(f"no event starting with '{prefix}'" + (" after the kill" if start else ""))
