"""Independent peers for WardenSPIFFE's interop tests: py-spiffe, joserfc and pyca/cryptography.

Each subcommand reads files and prints one JSON document, so that the Swift tests compare results, not strings.
"""
import datetime
import json
import sys
import warnings

warnings.simplefilter("ignore")  # joserfc warns that EdDSA is deprecated (RFC 9864); the tests use it on purpose

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey
from spiffe import JwtBundle, SpiffeId, TrustDomain, X509Bundle, X509Svid
from spiffe.svid.jwt_svid import JwtSvid

ALL_ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"]


def generate_key(alg):
    if alg.startswith("ES"):
        return ECKey.generate_key({"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg])
    if alg == "EdDSA":
        return OKPKey.generate_key("Ed25519")
    return RSAKey.generate_key(2048)


def mint(alg, kid, sub, aud, lifetime, out_jwks):
    """Generates a key, mints a token with joserfc, and writes the public JWKS (as a SPIFFE bundle when asked)."""
    key = generate_key(alg)
    now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    claims = {"sub": sub, "aud": [aud], "iat": now, "exp": now + int(lifetime), "iss": "joserfc"}
    token = jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"}, claims, key, algorithms=ALL_ALGORITHMS)
    public = key.as_dict(private=False)
    public["kid"] = kid
    public["use"] = "jwt-svid"
    with open(out_jwks, "w") as f:
        json.dump({"keys": [public], "spiffe_sequence": 1}, f)
    print(json.dumps({"token": token}))


def verify_pyspiffe(token_file, jwks_file, trust_domain, aud):
    token = open(token_file).read().strip()
    bundle = JwtBundle.parse(TrustDomain(trust_domain), open(jwks_file, "rb").read())
    try:
        svid = JwtSvid.parse_and_validate(token, bundle, {aud})
        print(json.dumps({"valid": True, "spiffeID": str(svid.spiffe_id), "audience": sorted(svid.audience), "expiry": svid.expiry}))
    except Exception as error:  # the verdict is the output
        print(json.dumps({"valid": False, "error": type(error).__name__ + ": " + str(error)}))


def verify_joserfc(token_file, jwks_file, aud):
    token = open(token_file).read().strip()
    document = json.load(open(jwks_file))
    # joserfc knows only RFC 7517's "sig"/"enc"; a SPIFFE bundle says "jwt-svid", so keep just the JWT authorities.
    jwks = [dict((k, v) for k, v in key.items() if k != "use") for key in document["keys"] if key.get("use", "jwt-svid") == "jwt-svid"]
    keys = KeySet.import_key_set({"keys": jwks})
    try:
        decoded = jwt.decode(token, keys, algorithms=ALL_ALGORITHMS)
        jwt.JWTClaimsRegistry(aud={"essential": True, "value": aud}, exp={"essential": True}, sub={"essential": True}).validate(decoded.claims)
        print(json.dumps({"valid": True, "alg": decoded.header["alg"], "sub": decoded.claims["sub"]}))
    except Exception as error:
        print(json.dumps({"valid": False, "error": type(error).__name__ + ": " + str(error)}))


def jwt_bundle(trust_domain, jwks_file):
    bundle = JwtBundle.parse(TrustDomain(trust_domain), open(jwks_file, "rb").read())
    print(json.dumps({"kids": sorted(bundle.jwt_authorities.keys())}))


def x509_bundle(trust_domain, pem_file):
    bundle = X509Bundle.parse(TrustDomain(trust_domain), open(pem_file, "rb").read())
    fingerprints = sorted(c.fingerprint(hashes.SHA256()).hex() for c in bundle.x509_authorities)
    print(json.dumps({"fingerprints": fingerprints}))


def x509_svid(certs_file, key_file):
    try:
        svid = X509Svid.parse(open(certs_file, "rb").read(), open(key_file, "rb").read())
        print(json.dumps({"valid": True, "spiffeID": str(svid.spiffe_id), "chain": len(svid.cert_chain)}))
    except Exception as error:
        print(json.dumps({"valid": False, "error": type(error).__name__ + ": " + str(error)}))


def make_svid(out_dir, spiffe_id):
    """Builds a root, an intermediate and an X509-SVID leaf with pyca/cryptography and writes them as PEM."""
    now = datetime.datetime.now(datetime.timezone.utc)
    td = "spiffe://" + SpiffeId(spiffe_id).trust_domain.name

    def certificate(subject_cn, key, issuer_name, issuer_key, ca, uri):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)]) if subject_cn else x509.Name([]))
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                              encipher_only=False, decipher_only=False),
                critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)]), critical=not subject_cn)
        )
        return builder.sign(issuer_key, hashes.SHA256())

    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Python Root")])
    root = certificate("Python Root", root_key, root_name, root_key, True, td)
    mid_key = ec.generate_private_key(ec.SECP384R1())
    mid = certificate("Python Intermediate", mid_key, root.subject, root_key, True, td)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = certificate(None, leaf_key, mid.subject, mid_key, False, spiffe_id)
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()
    open(out_dir + "/py-root.pem", "w").write(pem(root))
    open(out_dir + "/py-chain.pem", "w").write(pem(leaf) + pem(mid))
    open(out_dir + "/py-leaf.key", "wb").write(leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    print(json.dumps({"root": root.fingerprint(hashes.SHA256()).hex()}))


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    {
        "mint": mint, "verify-pyspiffe": verify_pyspiffe, "verify-joserfc": verify_joserfc,
        "jwt-bundle": jwt_bundle, "x509-bundle": x509_bundle, "x509-svid": x509_svid, "make-svid": make_svid,
    }[command](*arguments)
