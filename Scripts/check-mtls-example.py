"""Runs the Hummingbird mTLS example (Examples/Sources/MTLSHelloServer) against independent clients:

- curl with a client certificate (an X509-SVID of example.org) gets `hello spiffe://example.org/curl`;
- curl with no client certificate, and with an SVID of another trust domain, is refused at the handshake;
- the server's certificate files are rewritten: the next connection (Python's ssl, with the client certificate) sees
  the new serial number, with no restart, and curl is still served.

Every certificate is made here by pyca/cryptography.
Usage: check-mtls-example.py PATH-TO-MTLSHelloServer
"""

import datetime
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER = sys.argv[1]
NOW = datetime.datetime.now(datetime.timezone.utc)
work = tempfile.mkdtemp(prefix="warden-mtls-")


def fail(message):
    print(f"check-mtls-example: FAILED: {message}", file=sys.stderr)
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
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def write(name, data, mode=0o644):
    path = os.path.join(work, name)
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.chmod(path + ".tmp", mode)
    os.rename(path + ".tmp", path)
    return path


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def svid(spiffe_id, ca, ca_key, dns=None):
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.UniformResourceIdentifier(spiffe_id)] + ([x509.DNSName(dns)] if dns else [])
    return certificate("", ca, ca_key, key, False, sans), key


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ca_key, other_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
ca = certificate("example.org CA", None, ca_key, ca_key, True, [x509.UniformResourceIdentifier("spiffe://example.org")])
other = certificate("other.org CA", None, other_key, other_key, True, [x509.UniformResourceIdentifier("spiffe://other.org")])
ca_path = write("ca.pem", pem(ca))
server_cert, server_key = svid("spiffe://example.org/hello", ca, ca_key, dns="localhost")
# The key first: the source settles on a certificate and key that match.
write("server.key", key_pem(server_key), 0o600)
write("server.pem", pem(server_cert))
client_cert, client_key = svid("spiffe://example.org/curl", ca, ca_key)
client = [write("client.pem", pem(client_cert)), write("client.key", key_pem(client_key), 0o600)]
stranger_cert, stranger_key = svid("spiffe://other.org/curl", other, other_key)
stranger = [write("stranger.pem", pem(stranger_cert)), write("stranger.key", key_pem(stranger_key), 0o600)]
port = free_port()
server = subprocess.Popen(
    [SERVER, "--trust-domain", "example.org", "--bundle", ca_path, "--cert", os.path.join(work, "server.pem"),
     "--key", os.path.join(work, "server.key"), "--port", str(port)],
    stdout=subprocess.PIPE, text=True,
)


def curl(*arguments):
    return subprocess.run(["curl", "--silent", "--show-error", "--max-time", "10", "--cacert", ca_path, *arguments,
                           f"https://localhost:{port}/"], capture_output=True, text=True)


def presented_serial():
    context = ssl.create_default_context(cafile=ca_path)
    context.load_cert_chain(*client)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True)).serial_number


try:
    deadline = time.time() + 60
    while True:
        if time.time() > deadline or server.poll() is not None:
            fail(f"the server did not start (exit {server.poll()})")
        if server.stdout.readline().startswith("serving"):
            break
    # The manager reads the bundle file as it starts.
    for _ in range(100):
        result = curl("--cert", client[0], "--key", client[1])
        if result.returncode == 0:
            break
        time.sleep(0.1)
    if result.stdout.strip() != "hello spiffe://example.org/curl":
        fail(f"curl with a client SVID got {result.stdout!r} (exit {result.returncode}: {result.stderr})")
    print("curl with a client SVID: hello spiffe://example.org/curl")
    if curl().returncode == 0:
        fail("curl without a client certificate was served")
    if curl("--cert", stranger[0], "--key", stranger[1]).returncode == 0:
        fail("curl with an SVID of another trust domain was served")
    print("curl without a client certificate, and with other.org's SVID: refused at the handshake")

    if presented_serial() != server_cert.serial_number:
        fail("the server did not present its first certificate")
    rotated_cert, rotated_key = svid("spiffe://example.org/hello", ca, ca_key, dns="localhost")
    write("server.key", key_pem(rotated_key), 0o600)
    write("server.pem", pem(rotated_cert))
    for _ in range(100):
        if presented_serial() == rotated_cert.serial_number:
            break
        time.sleep(0.1)
    else:
        fail("the rotated certificate was not presented within 10 s")
    result = curl("--cert", client[0], "--key", client[1])
    if result.stdout.strip() != "hello spiffe://example.org/curl":
        fail(f"after the rotation curl got {result.stdout!r}: {result.stderr}")
    print(f"rotation: serial {server_cert.serial_number:x} -> {rotated_cert.serial_number:x} with no restart; curl served")
    print("check-mtls-example: OK")
finally:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
