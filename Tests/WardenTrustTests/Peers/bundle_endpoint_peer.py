"""An independent SPIFFE bundle endpoint for Warden's tests: Python's ssl and http.server, with every certificate made
by pyca/cryptography. It serves the bundle of trust domain remote.org over both profiles of SPIFFE Federation:

- https_web on one port, with a certificate for localhost and 127.0.0.1 from a "web" CA (web-ca.pem);
- https_spiffe on another, with the X509-SVID spiffe://remote.org/bundle-endpoint.

Usage: bundle_endpoint_peer.py DIR REFRESH_HINT_SECONDS. It writes into DIR: web-ca.pem, bootstrap.pem (CA A),
svid-a.pem and svid-b.pem (workload SVIDs from CA A and CA B), and last ready.json with the two ports. The test
steers it through two files it may write at any time:

- DIR/stage: the CA rollover stage, istio's four: "a" (A, sequence 1), "ab" (A and B, sequence 2), "ab-b" (A and B,
  the endpoint's SVID now from B), "b" (B only, sequence 3);
- DIR/mode: "ok" or a fault: "5xx", "timeout" (answers after 5 s), "garbage", "overcap" (Content-Length over 4 MiB),
  "overcap-stream" (no Content-Length, 5 MiB until close), "redirect", "lower" (the sequence minus one), "wrong-id"
  (the https_spiffe port presents spiffe://remote.org/impostor).

Every request is logged to DIR/requests.log as "TIME PORT-KIND MODE", and every failed handshake or request, with
its traceback, to DIR/errors.log, which a test prints when a fetch fails (Python's server would drop them silently).
"""

import base64
import datetime
import ipaddress
import json
import os
import socket
import ssl
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DIR = sys.argv[1]
HINT = int(sys.argv[2])
NOW = datetime.datetime.now(datetime.timezone.utc)


def path(name):
    return os.path.join(DIR, name)


def read(name, default):
    try:
        with open(path(name)) as f:
            return f.read().strip() or default
    except FileNotFoundError:
        return default


def pem(*certs):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def certificate(subject, issuer, issuer_key, key, ca, sans=()):
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)] if subject else []))
        .issuer_name(issuer.subject if issuer else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(hours=1))
        .not_valid_after(NOW + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        usage = dict(digital_signature=True, key_cert_sign=True, crl_sign=True)
    else:
        usage = dict(digital_signature=True, key_cert_sign=False, crl_sign=False)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    builder = builder.add_extension(
        x509.KeyUsage(
            content_commitment=False, key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False, **usage,
        ),
        critical=True,
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def ca(name):
    key = new_key()
    return certificate(name, None, key, key, ca=True, sans=[x509.UniformResourceIdentifier("spiffe://remote.org")]), key


def svid(spiffe_id, issuer, issuer_key):
    key = new_key()
    return certificate("", issuer, issuer_key, key, ca=False, sans=[x509.UniformResourceIdentifier(spiffe_id)]), key


web_ca, web_ca_key = ca("Web CA")
web_key = new_key()
web_cert = certificate(
    "localhost", web_ca, web_ca_key, web_key, ca=False,
    sans=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
)
ca_a, ca_a_key = ca("remote.org CA A")
ca_b, ca_b_key = ca("remote.org CA B")


contexts_made = []


def context(cert, key):
    contexts_made.append(cert)
    cert_path = path(f"server-{len(contexts_made)}.pem")
    key_path = path(f"server-{len(contexts_made)}.key")
    with open(cert_path, "wb") as f:
        f.write(pem(cert))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


web_context = context(web_cert, web_key)
endpoint_a = context(*svid("spiffe://remote.org/bundle-endpoint", ca_a, ca_a_key))
endpoint_b = context(*svid("spiffe://remote.org/bundle-endpoint", ca_b, ca_b_key))
impostor = context(*svid("spiffe://remote.org/impostor", ca_a, ca_a_key))

with open(path("web-ca.pem"), "wb") as f:
    f.write(pem(web_ca))
with open(path("bootstrap.pem"), "wb") as f:
    f.write(pem(ca_a))
for name, (issuer, issuer_key) in {"svid-a.pem": (ca_a, ca_a_key), "svid-b.pem": (ca_b, ca_b_key)}.items():
    cert, _ = svid("spiffe://remote.org/workload", issuer, issuer_key)
    with open(path(name), "wb") as f:
        f.write(pem(cert))

STAGES = {"a": ([ca_a], 1), "ab": ([ca_a, ca_b], 2), "ab-b": ([ca_a, ca_b], 2), "b": ([ca_b], 3)}
log_lock = threading.Lock()


def bundle_document(lower):
    authorities, sequence = STAGES[read("stage", "a")]
    keys = [{"use": "x509-svid", "kty": "EC", "crv": "P-256",
             "x": "", "y": "",
             "x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()]} for c in authorities]
    for entry, cert in zip(keys, authorities):
        numbers = cert.public_key().public_numbers()
        entry["x"] = base64.urlsafe_b64encode(numbers.x.to_bytes(32, "big")).rstrip(b"=").decode()
        entry["y"] = base64.urlsafe_b64encode(numbers.y.to_bytes(32, "big")).rstrip(b"=").decode()
    return json.dumps({"keys": keys, "spiffe_sequence": sequence - 1 if lower else sequence,
                       "spiffe_refresh_hint": HINT}).encode()


def note_error(where):
    with log_lock, open(path("errors.log"), "a") as f:
        f.write(f"{time.time():.3f} {where}: {traceback.format_exc()}\n")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def log_error(self, format, *args):
        # http.server reports a request it could not read (a timeout, a bad request line) only here.
        with log_lock, open(path("errors.log"), "a") as f:
            f.write(f"{time.time():.3f} {self.server.kind} request: {format % args}\n")

    def do_GET(self):
        if self.path == "/ready":
            return self.reply(200, b"ready")
        mode = read("mode", "ok")
        with log_lock, open(path("requests.log"), "a") as f:
            f.write(f"{time.time():.3f} {self.server.kind} {mode}\n")
        if mode == "5xx":
            return self.reply(503, b"unavailable")
        if mode == "timeout":
            time.sleep(5)
        if mode == "garbage":
            return self.reply(200, b"{\"keys\": [this is not json")
        if mode == "overcap":
            return self.reply(200, b" " * (5 << 20))
        if mode == "overcap-stream":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            for _ in range(5 << 4):
                self.wfile.write(b" " * (1 << 16))
            return
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.reply(200, bundle_document(lower=(mode == "lower")))

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            note_error(f"{self.server.kind} reply")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, kind):
        # Every address, so that 127.0.0.2 reaches it too: the test of a host name the certificate does not carry.
        super().__init__(("0.0.0.0", 0), Handler)
        self.kind = kind

    def get_request(self):
        sock, address = self.socket.accept()
        sock.settimeout(10)
        if self.kind == "web":
            ctx = web_context
        elif read("mode", "ok") == "wrong-id":
            ctx = impostor
        else:
            ctx = endpoint_b if read("stage", "a") in ("ab-b", "b") else endpoint_a
        try:
            return ctx.wrap_socket(sock, server_side=True), address
        except Exception:
            note_error(f"{self.kind} handshake with {address}")
            sock.close()
            raise

    def handle_error(self, request, client_address):
        note_error(f"{self.kind} request from {client_address}")


servers = {"web": Server("web"), "spiffe": Server("spiffe")}
for server in servers.values():
    threading.Thread(target=server.serve_forever, daemon=True).start()
# Ready means serving HTTPS: one request on each port before the test is told, so that its first fetch never meets a
# server that is still starting (the probe's own TLS check is not the test's; the test verifies for real).
for kind, server in servers.items():
    probe = ssl.create_default_context(cafile=path("web-ca.pem"))
    if kind == "spiffe":
        probe.check_hostname = False
        probe.load_verify_locations(cafile=path("bootstrap.pem"))
    for attempt in range(100):
        try:
            with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as raw:
                with probe.wrap_socket(raw, server_hostname="localhost" if kind == "web" else None) as tls:
                    tls.sendall(b"GET /ready HTTP/1.0\r\n\r\n")
                    tls.recv(1)
            break
        except OSError:
            time.sleep(0.1)
with open(path("ready.json.tmp"), "w") as f:
    json.dump({kind: server.server_port for kind, server in servers.items()}, f)
os.rename(path("ready.json.tmp"), path("ready.json"))
# Until the test closes stdin or kills it.
sys.stdin.read()
