"""A/B: protocol=2 against the default (RESP3 since redis-py 8's default was adopted), for
fastredis on both loops, on the workloads of bench/run.py (bench/ab_env.py: fresh process
per measurement, the variants interleaved, medians). Writes
bench/results/resp3_default_ab.md.

    .venv/bin/python bench/ab_resp3.py [--reps 5] [--only seq_get ...]"""

from __future__ import annotations

import sys

from ab_env import AB, main

AB_RESP3 = AB(
    title="protocol=2 vs the default (RESP3), fastredis",
    env="FASTREDIS_BENCH_PROTOCOL",
    a=("2", "protocol=2"),
    b=("default", "default (RESP3)"),
    workloads=[("seq_get", "0", True), ("tasks50", "0", True), ("pipeline100", "0", True),
               ("pubsub_get_message", "1", True), ("pubsub_best", "1", True),
               ("pubsub_roundtrip", "0", False)],
    out="resp3_default_ab.md",
    notes=["Pub/Sub subscribers speak RESP2 unless the protocol is chosen or the credential "
           "provider streams (docs/connections.md); the request/response bytes are the same "
           "on both protocols"],
)

if __name__ == "__main__":
    sys.exit(main(AB_RESP3))
