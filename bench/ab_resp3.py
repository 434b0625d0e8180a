"""A/B: protocol=2 against the default (RESP3 since redis-py 8's default was adopted), for
fastredis on both loops, on the workloads of bench/run.py. Fresh process per measurement,
the two variants interleaved (order alternating per round), medians. Writes
bench/results/resp3_default_ab.md.

    .venv/bin/python bench/ab_resp3.py [--reps 5]"""

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

# (workload, CPU for the client, higher is better): request/response pinned with the server
# on CPU 0, Pub/Sub drains on the other CPU, as in bench/run.py
WORKLOADS = [("seq_get", "0", True), ("tasks50", "0", True), ("pipeline100", "0", True),
             ("pubsub_get_message", "1", True), ("pubsub_best", "1", True),
             ("pubsub_roundtrip", "0", False)]
LOOPS = ["asyncio", "uvloop"]
VARIANTS = {"2": "protocol=2", "default": "default (RESP3)"}


def measure(workload: str, cpu: str, loop: str, variant: str, port: int) -> float | None:
    env = {**os.environ, "FASTREDIS_BENCH_PROTOCOL": variant}
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
    ap.add_argument("--only", nargs="*", help="workload names")
    args = ap.parse_args()
    workloads = [w for w in WORKLOADS if not args.only or w[0] in args.only]
    server = RedisServer().start()
    subprocess.run(["taskset", "-pc", "0", str(server.proc.pid)], capture_output=True)
    results: dict = {}
    t0 = time.monotonic()
    try:
        for rep in range(args.reps):
            for workload, cpu, _ in workloads:
                for loop in LOOPS:
                    order = list(VARIANTS) if rep % 2 == 0 else list(reversed(VARIANTS))
                    for variant in order:
                        v = measure(workload, cpu, loop, variant, server.port)
                        print(f"[{rep}] {workload} {loop} {VARIANTS[variant]}: {v}", flush=True)
                        if v is not None:
                            results.setdefault((workload, loop, variant), []).append(v)
    finally:
        server.stop()
    import hiredis

    lines = [
        "# protocol=2 vs the default (RESP3), fastredis",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; Python {sys.version.split()[0]}; "
        f"hiredis {hiredis.__version__}; {server.kind} {'.'.join(map(str, server_version_of(server)))}; "
        f"{os.cpu_count()} cores (shared); {args.reps} interleaved fresh-process runs, medians; "
        f"took {time.monotonic() - t0:.0f} s",
        "- ratio: default / protocol=2 for rates (above 1.00 = RESP3 faster); for the round "
        "trip (µs, lower is better) protocol=2 / default, so above 1.00 is faster there too",
        "",
        "| workload | loop | protocol=2 | default (RESP3) | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for workload, _, higher in workloads:
        for loop in LOOPS:
            two = results.get((workload, loop, "2"))
            three = results.get((workload, loop, "default"))
            if not two or not three:
                continue
            a, b = statistics.median(two), statistics.median(three)
            ratio = b / a if higher else a / b
            lines.append(f"| {workload} | {loop} | {a:,.1f} | {b:,.1f} | {ratio:.3f} |")
    text = "\n".join(lines) + "\n"
    out = HERE / "results" / "resp3_default_ab.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(text)
    return 0


def server_version_of(server: RedisServer) -> tuple[int, ...]:
    from fastredis.testing import server_version

    assert server.binary is not None
    return server_version(server.binary)[1]


if __name__ == "__main__":
    sys.exit(main())
