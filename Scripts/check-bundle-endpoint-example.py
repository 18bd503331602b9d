"""Runs the Hummingbird bundle endpoint example (Examples/Sources/BundleEndpointServer) and fetches its bundle as
independent clients do, over both profiles of SPIFFE Federation:

- curl over https_web, checking the certificate and host name against the web CA; then again with If-None-Match,
  which must give 304;
- curl over https_spiffe: curl has no SPIFFE ID check, so it pins the endpoint SVID's public key (--pinnedpubkey)
  instead of checking a chain;
- Python's ssl over both: https_web as any HTTPS client, https_spiffe verifying the SVID against the served trust
  domain's CA and requiring the SPIFFE ID spiffe://example.org/bundle-endpoint; py-spiffe parses the bundle;
- a CA rollover written to the bundle file is served within seconds, with a higher spiffe_sequence.

- `warden bundle fetch` (Warden's own client) over both profiles.

Every certificate is made here by pyca/cryptography.
Usage: check-bundle-endpoint-example.py PATH-TO-BundleEndpointServer PATH-TO-warden
"""

import base64
import datetime
import hashlib
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from spiffe import TrustDomain, X509Bundle

SERVER, WARDEN = sys.argv[1], sys.argv[2]
NOW = datetime.datetime.now(datetime.timezone.utc)
ENDPOINT_ID = "spiffe://example.org/bundle-endpoint"
work = tempfile.mkdtemp(prefix="warden-bundle-endpoint-")


def fail(message):
    print(f"check-bundle-endpoint-example: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def certificate(subject, issuer, issuer_key, key, ca, sans):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)] if subject else [])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(hours=1))
        .not_valid_after(NOW + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
    )
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def write(name, data, mode=0o644):
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


def pem(*certs):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


new_key = lambda: ec.generate_private_key(ec.SECP256R1())  # noqa: E731
td_uri = [x509.UniformResourceIdentifier("spiffe://example.org")]
ca_a_key, ca_b_key, web_ca_key, web_key, svid_key = (new_key() for _ in range(5))
ca_a = certificate("example.org CA A", None, ca_a_key, ca_a_key, True, td_uri)
ca_b = certificate("example.org CA B", None, ca_b_key, ca_b_key, True, td_uri)
web_ca = certificate("Web CA", None, web_ca_key, web_ca_key, True, [x509.DNSName("web-ca.invalid")])
web = certificate("localhost", web_ca, web_ca_key, web_key, False,
                  [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
svid = certificate("", ca_a, ca_a_key, svid_key, False, [x509.UniformResourceIdentifier(ENDPOINT_ID)])

bundle = write("bundle.pem", pem(ca_a))
web_ca_path = write("web-ca.pem", pem(web_ca))
ca_a_path = write("ca-a.pem", pem(ca_a))
web_port, spiffe_port = free_port(), free_port()
server = subprocess.Popen(
    [SERVER, "--trust-domain", "example.org", "--bundle", bundle,
     "--web-cert", write("web.pem", pem(web)), "--web-key", write("web.key", key_pem(web_key), 0o600),
     "--svid", write("svid.pem", pem(svid)), "--svid-key", write("svid.key", key_pem(svid_key), 0o600),
     "--web-port", str(web_port), "--spiffe-port", str(spiffe_port)],
    stdout=subprocess.PIPE, text=True,
)


def curl(*arguments):
    result = subprocess.run(["curl", "--silent", "--show-error", "--max-time", "10", *arguments],
                            capture_output=True, text=True)
    return result


def authorities(document):
    return sorted(hashlib.sha256(base64.b64decode(k["x5c"][0])).hexdigest()
                  for k in document["keys"] if k.get("use") == "x509-svid")


def fingerprint(cert):
    return cert.fingerprint(hashes.SHA256()).hex()


try:
    deadline = time.time() + 60
    serving = set()
    while len(serving) < 2:
        if time.time() > deadline or server.poll() is not None:
            fail(f"the server did not start (exit {server.poll()})")
        line = server.stdout.readline()
        if line.startswith("serving"):
            serving.add(line.split(" over ")[1].split()[0])
    # The manager reads the file at start; wait until the bundle is served.
    for _ in range(100):
        if curl("--fail", "--cacert", web_ca_path, f"https://localhost:{web_port}/").returncode == 0:
            break
        time.sleep(0.1)

    # curl, https_web: certificate and host name checked.
    result = curl("--fail", "--include", "--cacert", web_ca_path, f"https://localhost:{web_port}/")
    if result.returncode != 0:
        fail(f"curl over https_web: {result.stderr}")
    # text=True has turned CRLF into LF.
    head, _, body = result.stdout.partition("\n\n")
    headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in head.split("\n")[1:])}
    document = json.loads(body)
    if headers.get("content-type") != "application/json":
        fail(f"content type {headers.get('content-type')}")
    if authorities(document) != [fingerprint(ca_a)]:
        fail("https_web served other authorities than CA A")
    if document.get("spiffe_refresh_hint") != 60 or not isinstance(document.get("spiffe_sequence"), int):
        fail(f"refresh hint or sequence missing: {document}")
    etag = headers["etag"]
    result = curl("--cacert", web_ca_path, "--write-out", "%{http_code}", "--output", "/dev/null",
                  "--header", f"If-None-Match: {etag}", f"https://localhost:{web_port}/")
    if result.stdout != "304":
        fail(f"If-None-Match with the current ETag gave {result.stdout}, not 304")
    wrong_ca = curl("--fail", "--cacert", ca_a_path, f"https://localhost:{web_port}/")
    if wrong_ca.returncode == 0:
        fail("curl accepted the https_web endpoint with the wrong CA")
    print("curl, https_web: 200 with CA A, 304 with its ETag, refused with the wrong CA")

    # curl, https_spiffe: the SVID's public key pinned (curl cannot check a SPIFFE ID).
    spki = svid.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pin = "sha256//" + base64.b64encode(hashlib.sha256(spki).digest()).decode()
    result = curl("--fail", "--insecure", "--pinnedpubkey", pin, f"https://127.0.0.1:{spiffe_port}/")
    if result.returncode != 0:
        fail(f"curl over https_spiffe: {result.stderr}")
    if authorities(json.loads(result.stdout)) != [fingerprint(ca_a)]:
        fail("https_spiffe served other authorities than CA A")
    print("curl, https_spiffe: 200 with CA A, the endpoint's SVID key pinned")

    # Python, both profiles; https_spiffe verifies the SVID chain and its SPIFFE ID.
    web_context = ssl.create_default_context(cafile=web_ca_path)
    with urllib.request.urlopen(f"https://localhost:{web_port}/", context=web_context, timeout=10) as response:
        web_document = json.loads(response.read())
    spiffe_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    spiffe_context.check_hostname = False  # an X509-SVID need not carry a host name
    spiffe_context.verify_mode = ssl.CERT_REQUIRED
    spiffe_context.load_verify_locations(cafile=ca_a_path)
    with socket.create_connection(("127.0.0.1", spiffe_port), timeout=10) as raw:
        with spiffe_context.wrap_socket(raw) as tls:
            peer = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
            ids = peer.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
                x509.UniformResourceIdentifier)
            if ids != [ENDPOINT_ID]:
                fail(f"the https_spiffe endpoint presented {ids}, not {ENDPOINT_ID}")
            tls.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{spiffe_port}\r\nConnection: close\r\n\r\n".encode())
            raw_response = b""
            while chunk := tls.recv(65536):
                raw_response += chunk
    spiffe_document = json.loads(raw_response.partition(b"\r\n\r\n")[2])
    for name, doc in (("https_web", web_document), ("https_spiffe", spiffe_document)):
        der = b"".join(base64.b64decode(k["x5c"][0]) for k in doc["keys"] if k["use"] == "x509-svid")
        parsed = X509Bundle.parse_raw(TrustDomain("example.org"), der)
        if [fingerprint(c) for c in parsed.x509_authorities] != [fingerprint(ca_a)]:
            fail(f"py-spiffe read other authorities over {name}")
    print(f"Python, both profiles: py-spiffe reads CA A; the https_spiffe endpoint is {ENDPOINT_ID}")

    # Warden's own client, both profiles.
    for profile in (["--cacert", web_ca_path, f"https://localhost:{web_port}/"],
                    ["--profile", "https_spiffe", "--endpoint-id", ENDPOINT_ID, "--bootstrap-bundle", ca_a_path,
                     f"https://127.0.0.1:{spiffe_port}/"]):
        result = subprocess.run([WARDEN, "bundle", "fetch", "--trust-domain", "example.org", "--json", *profile],
                                capture_output=True, text=True)
        if result.returncode != 0 or authorities(json.loads(result.stdout)) != [fingerprint(ca_a)]:
            fail(f"warden bundle fetch {profile}: exit {result.returncode}: {result.stderr}")
    print("warden bundle fetch, both profiles: CA A")

    # A rollover written to the file reaches the endpoint, with a higher sequence.
    first_sequence = web_document["spiffe_sequence"]
    write("bundle.pem.tmp", pem(ca_a, ca_b))
    os.rename(os.path.join(work, "bundle.pem.tmp"), bundle)
    for _ in range(100):
        with urllib.request.urlopen(f"https://localhost:{web_port}/", context=web_context, timeout=10) as response:
            rolled = json.loads(response.read())
        if len(authorities(rolled)) == 2:
            break
        time.sleep(0.1)
    else:
        fail("the rollover to A+B was not served within 10 s")
    if authorities(rolled) != sorted([fingerprint(ca_a), fingerprint(ca_b)]):
        fail("the rollover served other authorities than A and B")
    if not rolled["spiffe_sequence"] > first_sequence:
        fail(f"the sequence went from {first_sequence} to {rolled['spiffe_sequence']}")
    print(f"rollover: A+B served, sequence {first_sequence} -> {rolled['spiffe_sequence']}")
    print("check-bundle-endpoint-example: OK")
finally:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
