"""A/B: asyncio.BufferedProtocol (recv_into one buffer we own) against plain
data_received, for fastredis on both loops. Fresh process per measurement, the two variants
interleaved, medians. Writes bench/results/protocol_ab.md.

    .venv/bin/python bench/ab_protocol.py [--reps 5]

The connection picks the winner per loop (fastredis/connection.py, _connection_class)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from fastredis.testing import RedisServer  # noqa: E402

# (workload, CPU for the client): request/response pinned with the server on CPU 0,
# Pub/Sub drain on the other CPU, as in bench/run.py
WORKLOADS = [("seq_get", "0"), ("pipeline100", "0"), ("pubsub_best", "1")]
LOOPS = ["asyncio", "uvloop"]
VARIANTS = {"1": "BufferedProtocol", "0": "data_received"}


def measure(workload: str, cpu: str, loop: str, variant: str, port: int) -> float | None:
    env = {**os.environ, "FASTREDIS_BENCH_BUFFERED": variant}
    cmd = ["taskset", "-c", cpu, sys.executable, str(HERE / "workloads.py"), workload,
           "fastredis", loop, "--port", str(port)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    try:
        return float(json.loads(out.stdout)["value"])
    except (ValueError, KeyError, json.JSONDecodeError):
        print(f"  failed: {workload} {loop} {VARIANTS[variant]}: {out.stderr[-200:]}")
        return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    server = RedisServer().start()
    subprocess.run(["taskset", "-pc", "0", str(server.proc.pid)], capture_output=True)
    results: dict = {}
    total = args.reps * len(WORKLOADS) * len(LOOPS) * len(VARIANTS)
    done = 0
    t0 = time.monotonic()
    try:
        for rep in range(args.reps):
            for workload, cpu in WORKLOADS:
                for loop in LOOPS:
                    order = list(VARIANTS) if rep % 2 == 0 else list(reversed(VARIANTS))
                    for variant in order:
                        v = measure(workload, cpu, loop, variant, server.port)
                        done += 1
                        print(f"[{done}/{total}] {workload} {loop} {VARIANTS[variant]}: {v}", flush=True)
                        if v is not None:
                            results.setdefault((workload, loop, variant), []).append(v)
    finally:
        server.stop()
    lines = [
        "# BufferedProtocol vs data_received (fastredis)",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; Python {sys.version.split()[0]}; "
        f"{os.cpu_count()} cores; {args.reps} interleaved fresh-process runs, medians",
        "- units: seq_get and pipeline100 in ops/s (client pinned with the server), "
        "pubsub_best in msgs/s (subscriber on the other CPU); took "
        f"{time.monotonic() - t0:.0f} s",
        "",
        "| workload | loop | data_received | BufferedProtocol | Buffered / plain |",
        "|---|---|---:|---:|---:|",
    ]
    for workload, _ in WORKLOADS:
        for loop in LOOPS:
            plain = results.get((workload, loop, "0"))
            buf = results.get((workload, loop, "1"))
            if not plain or not buf:
                continue
            p, b = statistics.median(plain), statistics.median(buf)
            lines.append(f"| {workload} | {loop} | {p:,.0f} | {b:,.0f} | {b / p:.2f}× |")
    text = "\n".join(lines) + "\n"
    out = HERE / "results" / "protocol_ab.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
