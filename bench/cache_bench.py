"""Client-side cache benchmark (issue 12): a cached GET (a hit) against fastredis's uncached
GET and redis-py's GET (``redis.asyncio`` with hiredis), same server, same run.

    python bench/cache_bench.py [--duration 1.0] [--reps 5] [--loops asyncio,uvloop] [--no-cluster]

Each measurement: one task, ``await get(key)`` in a loop for ``duration`` seconds; ops/s and
the p50 of per-call latency (perf_counter around each await). Repetitions are interleaved
(hit, uncached, redis-py, floor, hit, ...) so drift on a shared machine hits every client
alike; medians are reported with their ratios. The floor is bench/floor.py's minimal
Protocol + hiredis client doing the same GET over the network: what a hit saves is the
round trip no uncached client can avoid. The cluster rows do the same on a local
3-primary cluster: a cached ``RedisCluster`` GET (a hit) against an uncached one,
redis-py's ``RedisCluster`` GET and the floor to the node owning the key. Placement as
bench/run.py: this process and every server on the first CPU (``taskset``; ``--no-pin``
to float). Writes bench/results/cache.md and cache.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)  # bench/floor.py

KEY = "bench:cache:key"
VALUE = b"v" * 32
perf = time.perf_counter


async def _measure(get, duration: float) -> tuple[float, float]:
    for _ in range(200):  # warm: connection, tracking, the entry
        await get(KEY)
    lat: list[float] = []
    n = 0
    start = perf()
    end = start + duration
    while True:
        t0 = perf()
        await get(KEY)
        t1 = perf()
        lat.append(t1 - t0)
        n += 1
        if t1 >= end:
            break
    return n / (t1 - start), statistics.median(lat) * 1e6


class _Floor:
    """bench/floor.py's client with the two methods the comparison calls."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port, self.conn = host, port, None

    async def get(self, key: str) -> Any:
        if self.conn is None:
            from floor import connect

            self.conn = await connect(self.host, self.port)
        return await self.conn.execute("GET", key)

    async def aclose(self) -> None:
        if self.conn is not None:
            self.conn.t.close()


async def _run_loop(port: int, duration: float, reps: int) -> dict[str, dict[str, float]]:
    import redis.asyncio as redis_py

    import fastredis

    cached = fastredis.Redis(port=port, protocol=3, cache=fastredis.CacheConfig())
    plain = fastredis.Redis(port=port)
    peer = redis_py.Redis(port=port)
    await plain.set(KEY, VALUE)
    return await _compare({"cached hit": cached, "fastredis GET": plain, "redis-py GET": peer,
                           "floor GET": _Floor("127.0.0.1", port)}, duration, reps)


async def _compare(clients: dict[str, Any], duration: float, reps: int) -> dict[str, dict[str, float]]:
    """Interleaved reps of each client's GET (the first one cached); closes every client."""
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
    try:
        for _ in range(reps):
            for name, c in clients.items():
                runs[name].append(await _measure(c.get, duration))
        cached = next(iter(clients.values()))
        assert cached.cache is not None and cached.cache.stats()["hits"] > 0
    finally:
        for c in clients.values():
            await c.aclose()
    return {
        name: {
            "ops": statistics.median(r[0] for r in rs),
            "p50_us": statistics.median(r[1] for r in rs),
        }
        for name, rs in runs.items()
    }


async def _run_cluster_loop(kwargs: dict, duration: float, reps: int) -> dict[str, dict[str, float]]:
    from redis.asyncio.cluster import RedisCluster as PeerCluster

    from fastredis import CacheConfig
    from fastredis.cluster import RedisCluster

    cached = RedisCluster(**kwargs, protocol=3, cache=CacheConfig())
    plain = RedisCluster(**kwargs)
    peer = PeerCluster(host=kwargs["host"], port=kwargs["port"])
    await plain.set(KEY, VALUE)
    owner = plain.get_node_from_key(KEY)
    assert owner is not None
    return await _compare({"cluster: cached hit": cached, "cluster: fastredis GET": plain,
                           "cluster: redis-py GET": peer,
                           "cluster: floor GET (to the owner)": _Floor(owner.host, owner.port)},
                          duration, reps)


def _pin(pids: list[int], cpu: int) -> bool:
    import shutil
    import subprocess

    if shutil.which("taskset") is None:
        return False
    ok = all(subprocess.run(["taskset", "-pc", str(cpu), str(pid)], capture_output=True).returncode == 0
             for pid in pids)
    return ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=1.0)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--loops", default="asyncio,uvloop")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--no-cluster", action="store_true", help="skip the cluster rows")
    ap.add_argument("--no-pin", action="store_true", help="do not use taskset")
    args = ap.parse_args()
    cpu = min(os.sched_getaffinity(0))
    pinned = not args.no_pin and _pin([os.getpid()], cpu)

    import hiredis
    import redis

    from fastredis.testing import RedisServer

    results: dict[str, dict] = {}
    with RedisServer() as server:
        if pinned and server.proc is not None:
            pinned = _pin([server.proc.pid], cpu)
        for loop_name in args.loops.split(","):
            if loop_name == "uvloop":
                import uvloop

                runner = uvloop.run
            else:
                runner = asyncio.run
            results[loop_name] = runner(_run_loop(server.port, args.duration, args.reps))
        version = server.cli("INFO", "server")
    if not args.no_cluster:
        from fastredis._testing_cluster import ClusterHarness

        with ClusterHarness(primaries=3, replicas=0) as cluster:
            if pinned:
                pinned = _pin([n.proc.pid for n in cluster.live() if n.proc is not None], cpu)
            for loop_name in args.loops.split(","):
                if loop_name == "uvloop":
                    import uvloop

                    runner = uvloop.run
                else:
                    runner = asyncio.run
                results[loop_name].update(runner(_run_cluster_loop(
                    cluster.client_kwargs(), args.duration, args.reps)))
    rv = next((ln.split(":", 1)[1].strip() for ln in version.splitlines()
               if ln.startswith("redis_version:")), "?")
    meta = (f"Python {platform.python_version()}, redis-server {rv}, hiredis {hiredis.__version__}, "
            f"redis-py {redis.__version__}, {os.cpu_count()} cores; one task, medians of "
            f"{args.reps} interleaved {args.duration}s runs; "
            + (f"client and servers pinned to CPU {cpu}" if pinned else "no CPU pinning"))
    lines = ["# Client-side cache: cached GET vs uncached vs redis-py", "", meta, ""]
    for loop_name, res in results.items():
        lines += [f"**{loop_name}**", "",
                  "| client | ops/s | p50 µs | ops/s ÷ redis-py | p50 ÷ redis-py |",
                  "|---|---:|---:|---:|---:|"]
        for name, v in res.items():
            # each row against redis-py's GET on the same kind of server (one node / cluster)
            base = res["cluster: redis-py GET" if name.startswith("cluster") else "redis-py GET"]
            lines.append(f"| {name} | {v['ops']:,.0f} | {v['p50_us']:.1f} | "
                         f"{v['ops'] / base['ops']:.2f}× | {v['p50_us'] / base['p50_us']:.3f}× |")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "cache.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "cache.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
