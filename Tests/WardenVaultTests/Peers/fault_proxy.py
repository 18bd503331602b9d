"""A fault-injecting HTTP proxy in front of a real OpenBao, for the faults a healthy server does not produce on demand:
bursts of 5xx, a 412, a 429 with `Retry-After: 0`, slowness and redirects. Everything else is forwarded unchanged.

    fault_proxy.py UPSTREAM_PORT LISTEN_PORT

Control (not forwarded): POST /__fault with {"status": 503, "count": 2, "retry_after": 1, "delay": 0,
"location": "..."} queues a fault for the next `count` requests; GET /__count returns {"requests": n}, the requests
forwarded or faulted since the last POST /__fault.
"""
import http.client
import http.server
import json
import sys
import threading
import time

UPSTREAM = int(sys.argv[1])
LISTEN = int(sys.argv[2])
lock = threading.Lock()
state = {"fault": None, "remaining": 0, "requests": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        body = self._body()
        if self.path == "/__fault":
            with lock:
                spec = json.loads(body)
                state["fault"], state["remaining"], state["requests"] = spec, spec.get("count", 1), 0
            return self._reply(204)
        if self.path == "/__count":
            with lock:
                return self._reply(200, json.dumps({"requests": state["requests"]}).encode(), {"Content-Type": "application/json"})
        with lock:
            state["requests"] += 1
            fault = state["fault"] if state["remaining"] > 0 else None
            if fault:
                state["remaining"] -= 1
        if fault and fault.get("delay"):
            time.sleep(fault["delay"])
        if fault and fault.get("location"):
            return self._reply(307, b"", {"Location": fault["location"]})
        if fault and fault.get("status"):
            headers = {"Content-Type": "application/json"}
            if "retry_after" in fault:
                headers["Retry-After"] = str(fault["retry_after"])
            payload = json.dumps({"errors": [fault.get("message", "injected fault")]}).encode()
            return self._reply(fault["status"], payload, headers)
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        passthrough = {k: v for k, v in response.getheaders() if k.lower() in ("content-type", "retry-after", "location")}
        self._reply(response.status, data, passthrough)
        upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_LIST = _handle


http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Handler).serve_forever()
