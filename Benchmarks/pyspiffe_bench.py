"""py-spiffe's JWT-SVID verification of the token compare.sh's harness minted, measured as the C harness measures:
five rounds of one second after a warm-up; prints "pyspiffe_jwt_svid_verify_es256 <median ops/s>".

    pyspiffe_bench.py FIXTURE_DIR
"""
import statistics
import sys
import time

from cryptography.hazmat.primitives import serialization
from spiffe import JwtBundle, TrustDomain
from spiffe.svid.jwt_svid import JwtSvid

directory = sys.argv[1]
token = open(directory + "/token.jwt").read().strip()
key = serialization.load_pem_private_key(open(directory + "/jwt-key.pem", "rb").read(), password=None)
bundle = JwtBundle(TrustDomain("example.org"), {"bench": key.public_key()})
audience = {"bench"}

svid = JwtSvid.parse_and_validate(token, bundle, audience)
assert str(svid.spiffe_id) == "spiffe://example.org/bench"
for _ in range(100):
    JwtSvid.parse_and_validate(token, bundle, audience)
rates = []
for _ in range(5):
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < 1.0:
        for _ in range(16):
            JwtSvid.parse_and_validate(token, bundle, audience)
        count += 16
    rates.append(count / (time.perf_counter() - start))
print(f"pyspiffe_jwt_svid_verify_es256 {statistics.median(rates):.0f}")
