"""A SPIFFE Workload API server for Warden's tests. It stands in for the SPIRE agent, which cannot be installed on
these machines (it is neither in Debian nor on PyPI): gRPC by grpcio, with the generated stubs that ship inside PyPI
`spiffe` (py-spiffe), and every certificate and JWT made by pyca/cryptography. It answers as the SPIRE agent does:
a request without the `workload.spiffe.io: true` header gets INVALID_ARGUMENT "security header missing from request",
and a workload with no identity gets PERMISSION_DENIED "no identity issued".

It issues trust domain example.org's X509-SVID spiffe://example.org/workload (P-256, one hour) from its CA, a JWT-SVID
for any audience (ES256, five minutes), and the bundles of example.org and, while federated, remote.org.

Usage: workload-api-agent.py DIR. It listens on DIR/agent.sock and on a loopback TCP port, and writes DIR/ready.json
({"socket": path, "tcpPort": port}) when it serves. The test steers it by writing DIR/command (read every 50 ms, acted
on once per change of its content, "N word" with N counting up):

- rotate: a new key and certificate for the workload, pushed on every open X.509 stream;
- withdraw: the workload has no identity (PERMISSION_DENIED on every RPC and open stream);
- restore: back to normal after withdraw, empty or mismatch;
- end: every open stream ends cleanly (status OK); the next call works;
- drop: every open stream fails with UNAVAILABLE, as when the agent goes away;
- empty: X.509 messages have no SVID;  mismatch: they have a key that does not match the certificate (until restore;
  a mode, not one message, because a stream the client has just left may still take a message);
- federate / unfederate: the bundle of remote.org is added to / removed from the X.509 and JWT bundle streams.

It writes DIR/state.json after every change, just before the change is pushed on the open streams:
{"serial": hex, "generation": n, "federated": bool, "at": Unix time}, the serial being the workload certificate's,
lowercase hex without separators.
"""

import base64
import datetime
import json
import os
import sys
import threading
import time
from concurrent import futures

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID
from google.protobuf import struct_pb2
from spiffe._proto import workload_pb2, workload_pb2_grpc

DIR = sys.argv[1]
SPIFFE_ID = "spiffe://example.org/workload"


def path(name):
    return os.path.join(DIR, name)


def certificate(subject_uri, issuer, issuer_key, key, ca, lifetime):
    now = datetime.datetime.now(datetime.timezone.utc)
    # A CA's name differs from its leaves', so that a leaf is never taken for self-signed.
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Warden Workload API peer"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{subject_uri} CA" if ca else "workload"),
    ])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + lifetime)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(subject_uri)]), critical=False)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False,
        ), critical=True)
    )
    return builder.sign(issuer_key or key, hashes.SHA256())


def new_ca(trust_domain):
    key = ec.generate_private_key(ec.SECP256R1())
    return certificate(f"spiffe://{trust_domain}", None, None, key, True, datetime.timedelta(days=1)), key


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


ca, ca_key = new_ca("example.org")
remote_ca, _ = new_ca("remote.org")
jwt_key = ec.generate_private_key(ec.SECP256R1())
remote_jwt_key = ec.generate_private_key(ec.SECP256R1())


def jwks(key, kid):
    numbers = key.public_key().public_numbers()
    return json.dumps({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": kid, "use": "jwt-svid",
        "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big")),
    }]}).encode()


class State:
    def __init__(self):
        self.lock = threading.Condition()
        self.generation = 0
        self.withdrawn = False
        self.federated = False
        self.fault = None  # "empty" or "mismatch" for X.509 messages
        self.ending = None  # "end" or "drop" for open streams, with the generation it applies to
        self.issue()

    def issue(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = certificate(SPIFFE_ID, ca, ca_key, self.key, False, datetime.timedelta(hours=1))

    def write(self):
        with open(path("state.json.tmp"), "w") as f:
            json.dump({"serial": format(self.cert.serial_number, "x"), "generation": self.generation,
                       "federated": self.federated, "at": time.time()}, f)
        os.rename(path("state.json.tmp"), path("state.json"))

    def apply(self, word):
        with self.lock:
            if word == "rotate":
                self.issue()
            elif word == "withdraw":
                self.withdrawn = True
            elif word == "restore":
                self.withdrawn = False
                self.fault = None
            elif word in ("end", "drop"):
                self.ending = (word, self.generation + 1)
            elif word in ("empty", "mismatch"):
                self.fault = word
            elif word == "federate":
                self.federated = True
            elif word == "unfederate":
                self.federated = False
            self.generation += 1
            self.write()
            self.lock.notify_all()


state = State()


def check(context):
    if ("workload.spiffe.io", "true") not in tuple(context.invocation_metadata()):
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "security header missing from request")
    if state.withdrawn:
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "no identity issued")


def x509_message():
    key_der = state.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    if state.fault == "mismatch":
        key_der = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    svids = [] if state.fault == "empty" else [workload_pb2.X509SVID(
        spiffe_id=SPIFFE_ID, x509_svid=der(state.cert), x509_svid_key=key_der, bundle=der(ca),
        hint="internal",
    )]
    federated = {"spiffe://remote.org": der(remote_ca)} if state.federated else {}
    return workload_pb2.X509SVIDResponse(svids=svids, federated_bundles=federated)


def x509_bundles_message():
    bundles = {"spiffe://example.org": der(ca)}
    if state.federated:
        bundles["spiffe://remote.org"] = der(remote_ca)
    return workload_pb2.X509BundlesResponse(bundles=bundles)


def jwt_bundles_message():
    bundles = {"spiffe://example.org": jwks(jwt_key, "example-key")}
    if state.federated:
        bundles["spiffe://remote.org"] = jwks(remote_jwt_key, "remote-key")
    return workload_pb2.JWTBundlesResponse(bundles=bundles)


def stream(context, message):
    """Sends a message now and after every change, until the client goes, the identity is withdrawn, or a command
    ends or drops the stream."""
    check(context)
    with state.lock:
        seen = opened = state.generation
        first = message()
    yield first
    while context.is_active():
        with state.lock:
            state.lock.wait_for(lambda: state.generation != seen, timeout=0.5)
            if state.generation == seen:
                continue
            seen = state.generation
            if state.withdrawn:
                context.abort(grpc.StatusCode.PERMISSION_DENIED, "no identity issued")
            # An end or drop commanded after this stream opened, however many changes it missed.
            if state.ending and opened < state.ending[1] <= seen:
                if state.ending[0] == "drop":
                    context.abort(grpc.StatusCode.UNAVAILABLE, "the agent went away")
                return
            update = message()
        yield update


def sign_jwt(claims):
    header = {"alg": "ES256", "kid": "example-key", "typ": "JWT"}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}".encode()
    r, s = decode_dss_signature(jwt_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return signing_input.decode() + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def verify_jwt(token, audience):
    try:
        signing_input, _, signature = token.rpartition(".")
        header_b64, _, payload_b64 = signing_input.partition(".")
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
        claims = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
        if header.get("kid") != "example-key" or len(raw) != 64:
            return None
        jwt_key.public_key().verify(
            encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
            signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    except Exception:
        return None
    audiences = claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    if audience not in audiences or claims.get("exp", 0) < time.time():
        return None
    return claims


class WorkloadAPI(workload_pb2_grpc.SpiffeWorkloadAPIServicer):
    def FetchX509SVID(self, request, context):
        yield from stream(context, x509_message)

    def FetchX509Bundles(self, request, context):
        yield from stream(context, x509_bundles_message)

    def FetchJWTBundles(self, request, context):
        yield from stream(context, jwt_bundles_message)

    def FetchJWTSVID(self, request, context):
        check(context)
        if not request.audience:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "audience must be specified")
        if request.spiffe_id and request.spiffe_id != SPIFFE_ID:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "no identity issued")
        now = int(time.time())
        token = sign_jwt({"sub": SPIFFE_ID, "aud": list(request.audience), "iat": now, "exp": now + 300})
        return workload_pb2.JWTSVIDResponse(svids=[workload_pb2.JWTSVID(spiffe_id=SPIFFE_ID, svid=token,
                                                                       hint="internal")])

    def ValidateJWTSVID(self, request, context):
        if ("workload.spiffe.io", "true") not in tuple(context.invocation_metadata()):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "security header missing from request")
        if not request.audience:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "audience must be specified")
        if not request.svid:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "svid must be specified")
        claims = verify_jwt(request.svid, request.audience)
        if claims is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "token is invalid")
        struct = struct_pb2.Struct()
        struct.update(claims)
        return workload_pb2.ValidateJWTSVIDResponse(spiffe_id=claims["sub"], claims=struct)


def watch_commands():
    last = None
    while True:
        try:
            with open(path("command")) as f:
                text = f.read().strip()
        except FileNotFoundError:
            text = None
        if text and text != last:
            last = text
            state.apply(text.split()[-1])
        time.sleep(0.05)


server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
workload_pb2_grpc.add_SpiffeWorkloadAPIServicer_to_server(WorkloadAPI(), server)
# A socket file left by an agent that was killed is taken over, as an agent that restarts does.
if os.path.exists(path("agent.sock")):
    os.unlink(path("agent.sock"))
server.add_insecure_port(f"unix:{path('agent.sock')}")
tcp_port = server.add_insecure_port("127.0.0.1:0")
server.start()
state.write()
threading.Thread(target=watch_commands, daemon=True).start()
with open(path("ready.json.tmp"), "w") as f:
    json.dump({"socket": path("agent.sock"), "tcpPort": tcp_port}, f)
os.rename(path("ready.json.tmp"), path("ready.json"))
# Until the test closes stdin or kills it.
sys.stdin.read()
server.stop(0)
