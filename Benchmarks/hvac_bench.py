"""hvac (the Python Vault client) reading the same KV v2 secret, measured as VaultThroughput measures: five rounds of
one second after a warm-up, median requests per second. Uses VAULT_ADDR and VAULT_TOKEN."""
import os
import statistics
import time

import hvac

client = hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"])
read = lambda: client.secrets.kv.v2.read_secret_version(path="bench/key", mount_point="secret", raise_on_deleted_version=True)
for _ in range(200):
    read()
rates = []
for _ in range(5):
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < 1.0:
        read()
        count += 1
    rates.append(count / (time.perf_counter() - start))
print(f"vault_kv_read_hvac {statistics.median(rates):.0f}")
