"""The two parts of a Kubernetes API server that OpenBao's kubernetes auth uses: issuing service-account tokens and
reviewing them (TokenReview). This machine cannot run Kubernetes, so this stands in for it; OpenBao, its kubernetes
auth plugin and Warden's client are the real ones.

    kubernetes_api.py LISTEN_PORT CA_FILE

It serves HTTPS, as the API server does (OpenBao requires the API server's CA), with a self-signed certificate for
127.0.0.1 made at start-up and written to CA_FILE.

Tokens are ES256 JWTs in the projected service-account format, signed with a P-256 key made at start-up that never
leaves this process. A review checks the signature, the expiry and that the token was not deleted, as the API server
does, and answers with `system:serviceaccount:<namespace>:<name>` and the account's UID.

Control (not part of Kubernetes): POST /__token with {"namespace", "name", "uid", "ttl"} returns {"token": JWT};
POST /__delete with {"token"} makes later reviews of it fail; GET /__reviews returns {"reviews": n, "bearer": bool},
the reviews made and whether each came with a bearer token.
"""
import base64
import datetime
import http.server
import ipaddress
import json
import os
import ssl
import sys
import tempfile
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LISTEN = int(sys.argv[1])
CA_FILE = sys.argv[2]
ISSUER = "https://kubernetes.default.svc.cluster.local"
KEY = ec.generate_private_key(ec.SECP256R1())
lock = threading.Lock()
state = {"reviews": 0, "bearer": True, "deleted": set()}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(namespace, name, uid, ttl):
    now = int(time.time())
    header = {"alg": "ES256", "kid": "test-issuer"}
    claims = {
        "aud": [ISSUER], "iss": ISSUER, "iat": now, "nbf": now, "exp": now + ttl,
        "sub": f"system:serviceaccount:{namespace}:{name}",
        "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}},
    }
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    r, s = decode_dss_signature(KEY.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def review(token):
    """The claims of a token this server issued and has not deleted, or the reason it is not valid."""
    try:
        header, payload, signature = token.split(".")
        raw = unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        KEY.public_key().verify(der, f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(unb64url(payload))
    except Exception:
        return None, "invalid bearer token"
    if claims["exp"] < time.time():
        return None, "token has expired"
    with lock:
        if token in state["deleted"]:
            return None, "service account token has been invalidated"
    return claims, None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/__reviews":
            with lock:
                return self._reply(200, {"reviews": state["reviews"], "bearer": state["bearer"]})
        self._reply(404, {"kind": "Status", "status": "Failure", "code": 404})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/__token":
            token = mint(body["namespace"], body["name"], body["uid"], body.get("ttl", 3600))
            return self._reply(200, {"token": token})
        if self.path == "/__delete":
            with lock:
                state["deleted"].add(body["token"])
            return self._reply(200, {})
        if self.path != "/apis/authentication.k8s.io/v1/tokenreviews":
            return self._reply(404, {"kind": "Status", "status": "Failure", "code": 404})
        authorization = self.headers.get("Authorization", "")
        with lock:
            state["reviews"] += 1
            state["bearer"] = state["bearer"] and authorization.startswith("Bearer ") and len(authorization) > 7
        if not authorization.startswith("Bearer "):
            return self._reply(401, {"kind": "Status", "status": "Failure", "reason": "Unauthorized", "code": 401})
        claims, error = review(body.get("spec", {}).get("token", ""))
        status = {"authenticated": False, "error": error}
        if claims is not None:
            account = claims["kubernetes.io"]
            status = {
                "authenticated": True,
                "user": {
                    "username": claims["sub"], "uid": account["serviceaccount"]["uid"],
                    "groups": ["system:serviceaccounts", f"system:serviceaccounts:{account['namespace']}"],
                },
                "audiences": claims["aud"],
            }
        self._reply(201, {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1", "spec": body.get("spec", {}), "status": status})


def tls_context():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes test API server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    with tempfile.TemporaryDirectory() as directory:
        certificate_file, key_file = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        with open(certificate_file, "wb") as out:
            out.write(pem)
        with open(key_file, "wb") as out:
            out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate_file, key_file)
    # Written last, by rename: the test waits for this file to know the server is up.
    with open(CA_FILE + ".tmp", "wb") as out:
        out.write(pem)
    return context, pem


server = http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Handler)
context, _ = tls_context()
server.socket = context.wrap_socket(server.socket, server_side=True)
os.rename(CA_FILE + ".tmp", CA_FILE)
server.serve_forever()
