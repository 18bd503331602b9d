#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (Scripts/fuzz.sh) from the repository's test data: one directory per harness."""
import base64, glob, json, os, sys

out = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
vectors = os.path.join(root, "Tests/WardenSPIFFETests/Vectors")
limbo = json.load(open(os.path.join(root, "Tests/WardenPKITests/Limbo/limbo.json")))


def write(harness, name, data):
    os.makedirs(os.path.join(out, harness), exist_ok=True)
    with open(os.path.join(out, harness, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def der(pem):
    body = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
    return base64.b64decode(body)


for i, case in enumerate(limbo["testcases"][:60]):
    pem = case["peer_certificate"]
    write("FuzzPEM", f"limbo-{i}.pem", pem + "".join(case["untrusted_intermediates"][:2]))
    write("FuzzCertificate", f"limbo-{i}.der", der(pem))
    write("FuzzCertificate", f"limbo-{i}.pem", pem)
    if case.get("peer_certificate_key"):
        write("FuzzPrivateKey", f"limbo-{i}.pem", case["peer_certificate_key"])
        write("FuzzPrivateKey", f"limbo-{i}.der", der(case["peer_certificate_key"]))
for path in glob.glob(os.path.join(vectors, "x509*/*.pem")):
    name = os.path.basename(os.path.dirname(path)) + "-" + os.path.basename(path)
    data = open(path, "rb").read()
    for harness in ("FuzzPEM", "FuzzCertificate", "FuzzPrivateKey", "FuzzCSR"):
        write(harness, name, data)
for path in glob.glob(os.path.join(vectors, "*bundle/*.json")):
    name = os.path.basename(path)
    data = open(path, "rb").read()
    for harness in ("FuzzSPIFFEBundle", "FuzzJSON"):
        write(harness, name, data)
for i, case in enumerate(json.load(open(os.path.join(vectors, "spiffeid_cases.json")))):
    text = case.get("input") or case.get("id") or case.get("value")
    if isinstance(text, str):
        write("FuzzSPIFFEID", f"case-{i}", text)
write("FuzzSPIFFEID", "good", "spiffe://example.org/service/a")
header = base64.urlsafe_b64encode(b'{"alg":"ES256","kid":"k","typ":"JWT"}').rstrip(b"=")
claims = base64.urlsafe_b64encode(b'{"sub":"spiffe://example.org/a","aud":["fuzz"],"exp":1900000000}').rstrip(b"=")
write("FuzzJWTSVID", "token", header + b"." + claims + b"." + base64.urlsafe_b64encode(bytes(64)).rstrip(b"="))
write("FuzzJWTSVID", "two-dots", "a.b.c")
write("FuzzCSR", "csr-like", "-----BEGIN CERTIFICATE REQUEST-----\nMIIBATCBqAIBADAQMQ4wDAYDVQQDDAVmdXp6\n-----END CERTIFICATE REQUEST-----\n")
for name, body in {
    "login": '{"request_id":"r","lease_id":"","renewable":false,"lease_duration":0,"data":null,"auth":{"client_token":"t","accessor":"a","policies":["default"],"lease_duration":3600,"renewable":true,"metadata":{"k":"v"}}}',
    "kv": '{"request_id":"r","data":{"data":{"password":"p"},"metadata":{"version":3}},"warnings":["w"]}',
    "wrapped": '{"wrap_info":{"token":"t","ttl":60,"creation_path":"auth/approle/role/r/secret-id"}}',
}.items():
    write("FuzzVaultResponse", name, body)
    write("FuzzJSON", "vault-" + name, body)
