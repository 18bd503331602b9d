#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (Scripts/fuzz.sh) from the repository's test data: one directory per harness."""
import base64, glob, json, os, subprocess, sys, tempfile

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


# CRLs made by `openssl ca`: empty, with reasons, a delta, and one with an issuing distribution point.
def crl_seeds():
    with tempfile.TemporaryDirectory() as d:
        def run(*args):
            subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
        os.makedirs(os.path.join(d, "certs"))
        open(os.path.join(d, "index.txt"), "w").close()
        open(os.path.join(d, "serial"), "w").write("1000\n")
        open(os.path.join(d, "crlnumber"), "w").write("01\n")
        open(os.path.join(d, "ca.cnf"), "w").write(f"""[ ca ]
default_ca = d
[ d ]
dir = {d}
database = $dir/index.txt
new_certs_dir = $dir/certs
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_crl_days = 7
policy = p
crl_extensions = crl_ext
[ p ]
commonName = supplied
[ crl_ext ]
authorityKeyIdentifier = keyid:always
issuingDistributionPoint = critical,@idp
[ idp ]
fullname = URI:http://crl.example/ca.crl
onlyuser = TRUE
""")
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem",
            "-out", "ca.pem", "-days", "30", "-subj", "/CN=Fuzz CA", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        ca = ["ca", "-config", "ca.cnf", "-keyfile", "k.pem", "-cert", "ca.pem"]
        run(*ca, "-gencrl", "-crl_lastupdate", "20260101000000Z", "-out", "empty.pem")
        for i, reason in enumerate(["keyCompromise", "superseded", "cessationOfOperation"]):
            run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"l{i}.key",
                "-out", f"l{i}.csr", "-subj", f"/CN=leaf {i}")
            run(*ca, "-batch", "-in", f"l{i}.csr", "-out", f"l{i}.pem", "-days", "10")
            run(*ca, "-revoke", f"l{i}.pem", "-crl_reason", reason)
        run(*ca, "-gencrl", "-out", "full.pem")
        run("crl", "-in", "empty.pem", "-gendelta", "full.pem", "-key", "k.pem", "-sha256", "-out", "delta.pem")
        for name in ("empty", "full", "delta"):
            pem = open(os.path.join(d, name + ".pem")).read()
            write("FuzzCRL", name + ".pem", pem)
            write("FuzzCRL", name + ".der", der(pem))


try:
    crl_seeds()
except (OSError, subprocess.CalledProcessError) as error:
    print(f"fuzz-seeds: no CRL seeds ({error})", file=sys.stderr)
    write("FuzzCRL", "empty", b"0")
