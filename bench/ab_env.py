"""A/B of two fastredis variants chosen by an environment variable that bench/workloads.py
reads (``FASTREDIS_BENCH_PROTOCOL``, ``FASTREDIS_BENCH_BUFFERED`` ...), on workloads of
bench/run.py, both loops: a fresh process per measurement, the variants interleaved (the
order swapped every round), medians. bench/ab_protocol.py and bench/ab_resp3.py are its
two uses; each writes its table to bench/results/."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from fastredis.testing import RedisServer  # noqa: E402

LOOPS = ["asyncio", "uvloop"]


@dataclass
class AB:
    title: str
    env: str  # the variable bench/workloads.py reads
    a: tuple[str, str]  # (value, label): the baseline
    b: tuple[str, str]  # (value, label): the variant compared with it
    # (workload, CPU for the client, higher is better): request/response pinned with the
    # server on CPU 0, Pub/Sub drains on the other CPU, as in bench/run.py
    workloads: list[tuple[str, str, bool]]
    out: str  # file name in bench/results/
    notes: list[str]


def _measure(ab: AB, workload: str, cpu: str, loop: str, value: str, port: int) -> float | None:
    env = {**os.environ, ab.env: value}
    cmd = ["taskset", "-c", cpu, sys.executable, str(HERE / "workloads.py"), workload,
           "fastredis", loop, "--port", str(port)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    try:
        return float(json.loads(out.stdout)["value"])
    except (ValueError, KeyError, json.JSONDecodeError):
        print(f"  failed: {workload} {loop} {ab.env}={value}: {out.stderr[-200:]}")
        return None


def main(ab: AB) -> int:
    import hiredis

    from fastredis.testing import server_version

    ap = argparse.ArgumentParser(description=ab.title)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", nargs="*", help="workload names")
    args = ap.parse_args()
    workloads = [w for w in ab.workloads if not args.only or w[0] in args.only]
    server = RedisServer().start()
    assert server.proc is not None and server.binary is not None
    subprocess.run(["taskset", "-pc", "0", str(server.proc.pid)], capture_output=True)
    results: dict[tuple[str, str, str], list[float]] = {}
    t0 = time.monotonic()
    try:
        for rep in range(args.reps):
            for workload, cpu, _ in workloads:
                for loop in LOOPS:
                    order = [ab.a, ab.b] if rep % 2 == 0 else [ab.b, ab.a]
                    for value, label in order:
                        v = _measure(ab, workload, cpu, loop, value, server.port)
                        print(f"[{rep}] {workload} {loop} {label}: {v}", flush=True)
                        if v is not None:
                            results.setdefault((workload, loop, value), []).append(v)
    finally:
        server.stop()
    version = ".".join(map(str, server_version(server.binary)[1]))
    lines = [
        f"# {ab.title}",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; Python {sys.version.split()[0]}; "
        f"hiredis {hiredis.__version__}; {server.kind} {version}; {os.cpu_count()} cores; "
        f"{args.reps} interleaved fresh-process runs, medians; took {time.monotonic() - t0:.0f} s",
        f"- ratio: {ab.b[1]} / {ab.a[1]} for rates; for a time (lower is better) the inverse, so "
        "above 1.00 always means the variant is faster",
        *[f"- {n}" for n in ab.notes],
        "",
        f"| workload | loop | {ab.a[1]} | {ab.b[1]} | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for workload, _, higher in workloads:
        for loop in LOOPS:
            base, variant = results.get((workload, loop, ab.a[0])), results.get((workload, loop, ab.b[0]))
            if not base or not variant:
                continue
            x, y = statistics.median(base), statistics.median(variant)
            lines.append(f"| {workload} | {loop} | {x:,.1f} | {y:,.1f} | {(y / x if higher else x / y):.3f} |")
    text = "\n".join(lines) + "\n"
    out = HERE / "results" / ab.out
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(text)
    return 0
