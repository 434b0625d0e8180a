"""Cluster benchmark: fastredis.RedisCluster against redis-py's redis.asyncio.RedisCluster
(hiredis), same run, same throw-away local cluster (3 primaries, loopback).

    python bench/cluster_bench.py            # both loops, 3 repetitions
    python bench/cluster_bench.py --quick    # 1 repetition, smaller counts

Workloads (ops/s over a 1 s window after 0.25 s of warm-up, median of the repetitions;
each client in a fresh process per cell so nothing warms for the other; repetitions
alternate the client order):
  seq_get     one task, GET after GET
  tasks50     50 tasks, SET then GET, concurrently
  pipe100     a pipeline of 100 SETs across slots, executed repeatedly (commands/s)
  mget100     MGET of 100 keys across slots (fastredis splits per slot; redis-py:
              mget_nonatomic, its cross-slot MGET) (keys/s)
Prints one table with the ratio fastredis / redis-py per cell, and the versions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

WORKLOADS = ("seq_get", "tasks50", "pipe100", "mget100")


async def _client(kind: str, host: str, port: int):
    if kind == "fastredis":
        from fastredis.cluster import RedisCluster

        rc = RedisCluster(host=host, port=port)
        await rc.initialize()
        return rc
    from redis.asyncio.cluster import RedisCluster as PyCluster

    rc = PyCluster(host=host, port=port)
    await rc.initialize()
    return rc


async def _measure(kind: str, workload: str, host: str, port: int, scale: float) -> float:
    """Operations per second over a ``scale`` s window after a warm-up of a quarter of it
    (bench/run.py's method), both clients alike."""
    rc = await _client(kind, host, port)
    keys = [f"bench:{i}" for i in range(100)]
    await rc.set("bench:seq", "x" * 32)
    for k in keys:
        await rc.set(k, "v")
    loop = asyncio.get_running_loop()

    async def once() -> int:  # one step of the workload; returns the operations it did
        if workload == "seq_get":
            await rc.get("bench:seq")
            return 1
        if workload == "tasks50":
            async def worker(w: int) -> None:
                k = f"bench:t{w}"
                for _ in range(10):
                    await rc.set(k, "v")
                    await rc.get(k)

            await asyncio.gather(*(worker(w) for w in range(50)))
            return 50 * 10 * 2
        if workload == "pipe100":
            p = rc.pipeline()
            for k in keys:
                p.set(k, "v")
            await p.execute()
            return 100
        if workload == "mget100":
            await (rc.mget(keys) if kind == "fastredis" else rc.mget_nonatomic(keys))
            return 100
        raise ValueError(workload)

    try:
        end = loop.time() + scale / 4
        while loop.time() < end:
            await once()
        done = 0
        start = loop.time()
        end = start + scale
        while loop.time() < end:
            done += await once()
        return done / (loop.time() - start)
    finally:
        await rc.aclose()


def _child(args: argparse.Namespace) -> None:
    if args.loop == "uvloop":
        import uvloop

        uvloop.install()
    rate = asyncio.run(_measure(args.client, args.workload, args.host, args.port, args.scale))
    print(json.dumps({"rate": rate}))


def _run_cell(client: str, workload: str, loop: str, host: str, port: int, scale: float,
              pin: bool) -> float:
    cmd = [sys.executable, __file__, "--child", "--client", client, "--workload", workload,
           "--loop", loop, "--host", host, "--port", str(port), "--scale", str(scale)]
    if pin:
        cmd = ["taskset", "-c", "0", *cmd]  # beside the servers, as bench/run.py places them
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])["rate"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--loops", default="asyncio,uvloop")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--no-pin", action="store_true", help="do not use taskset")
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--client")
    ap.add_argument("--workload")
    ap.add_argument("--loop")
    ap.add_argument("--host")
    ap.add_argument("--port", type=int)
    ap.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args)
        return
    from importlib import metadata

    from fastredis._testing_cluster import ClusterHarness

    reps = args.reps or (1 if args.quick else 3)
    scale = 0.5 if args.quick else 1.0  # seconds per measuring window
    loops = args.loops.split(",")
    workloads = args.workloads.split(",")
    pin = not args.no_pin and shutil.which("taskset") is not None
    with ClusterHarness(primaries=3, replicas=0) as h:
        s = h.live()[0]
        if pin:  # every node on CPU 0 with the client: bench/run.py's placement
            for node in h.live():
                assert node.proc is not None
                subprocess.run(["taskset", "-pc", "0", str(node.proc.pid)], capture_output=True)
        rates: dict[tuple[str, str, str], list[float]] = {}
        for rep in range(reps):
            for wl in workloads:
                for loop in loops:
                    order = ["fastredis", "redis-py"] if rep % 2 == 0 else ["redis-py", "fastredis"]
                    for client in order:
                        rates.setdefault((client, wl, loop), []).append(
                            _run_cell(client, wl, loop, s.host, s.port, scale, pin))
        version = h.call(s, "INFO", "server").decode().split("redis_version:")[1].split()[0]
    print(f"Python {platform.python_version()}, Redis {version}, hiredis "
          f"{metadata.version('hiredis')}, redis-py {metadata.version('redis')}, "
          f"uvloop {metadata.version('uvloop')}, {os.cpu_count()} cores, {reps} rep(s), median, "
          + ("client and nodes pinned to CPU 0" if pin else "no CPU pinning"))
    print(f"{'workload':10} {'loop':8} {'fastredis':>12} {'redis-py':>12} {'ratio':>7}")
    for wl in workloads:
        for loop in loops:
            f = statistics.median(rates[("fastredis", wl, loop)])
            r = statistics.median(rates[("redis-py", wl, loop)])
            print(f"{wl:10} {loop:8} {f:12,.0f} {r:12,.0f} {f / r:6.1f}x")


if __name__ == "__main__":
    main()
