"""A/B: asyncio.BufferedProtocol (recv_into one buffer we own) against plain
data_received, for fastredis on both loops (bench/ab_env.py: fresh process per
measurement, the variants interleaved, medians). Writes bench/results/protocol_ab.md.

    .venv/bin/python bench/ab_protocol.py [--reps 5] [--only seq_get ...]

The connection picks the winner per loop (fastredis/connection.py, _connection_class)."""

from __future__ import annotations

import sys

from ab_env import AB, main

AB_PROTOCOL = AB(
    title="BufferedProtocol vs data_received (fastredis)",
    env="FASTREDIS_BENCH_BUFFERED",
    a=("0", "data_received"),
    b=("1", "BufferedProtocol"),
    workloads=[("seq_get", "0", True), ("pipeline100", "0", True), ("pubsub_best", "1", True)],
    out="protocol_ab.md",
    notes=["units: seq_get and pipeline100 in ops/s (client pinned with the server), "
           "pubsub_best in msgs/s (subscriber on the other CPU)"],
)

if __name__ == "__main__":
    sys.exit(main(AB_PROTOCOL))
