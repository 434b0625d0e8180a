"""fastredis against its floor in ONE process, alternating short windows: the ratio to the
floor on a machine shared with other work.

    python bench/floor_paired.py                         # pipeline100 and mget100, both loops
    python bench/floor_paired.py --workloads pipeline100 --rounds 60
    FLOOR_PAIRED_ROOT=/tmp/base python bench/floor_paired.py   # the same for another tree

bench/run.py and bench/cluster_bench.py measure each client in a fresh process, one window
after another: when another process takes the benchmark's CPU for a while (2 shared
cores), one client's window is hit and the other's is not, and single ratios swing by
±30%. Here both clients are connected in one process and measured in ``--window`` s
windows, alternately (the order swapped each round); a round's ratio compares windows a
fraction of a second apart, and the median over rounds is reported, with each client's
CPU time per operation (``time.process_time``: this process's own work, syscalls
included; the servers' work is not in it).

Workloads, each with the floor of bench/floor.py / bench/cluster_bench.py, the same code:
  pipeline100  fastredis: ``pipeline(transaction=False)``, 100 ``set``, ``execute()``;
               floor: ``Floor.pipeline`` of 100 prebuilt SET tuples (bench/workloads.py)
  mget100      fastredis: ``RedisCluster.mget`` of 100 keys (one slot each); floor: the
               routed floor of bench/cluster_bench.py (slot lookup, grouping per node,
               packing and the values in order, as tightly as Python allows)
  mget100_wire the same fastredis call against the wire floor: the per-node MGET batches
               packed before the clock, no routing (no cluster client can reach it)
Client and server(s) on CPU 0, as the other benchmarks place them. Prints a table; writes
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("FLOOR_PAIRED_ROOT") or os.path.dirname(HERE)


async def _paired(fr, fl, rounds: int, window: float, per_call: int) -> dict:
    cpu: dict[str, list[float]] = {"fastredis": [], "floor": []}
    rate: dict[str, list[float]] = {"fastredis": [], "floor": []}

    async def measure(name: str, step) -> float:
        n = 0
        t0 = time.perf_counter()
        c0 = time.process_time()
        end = t0 + window
        while time.perf_counter() < end:
            await step()
            n += 1
        cpu[name].append((time.process_time() - c0) / n * 1e6)
        return n * per_call / (time.perf_counter() - t0)

    await measure("fastredis", fr)  # warm-up of both
    await measure("floor", fl)
    cpu = {"fastredis": [], "floor": []}
    ratios = []
    for i in range(rounds):
        got = {}
        for name, step in ((("fastredis", fr), ("floor", fl)) if i % 2 == 0
                           else (("floor", fl), ("fastredis", fr))):
            got[name] = await measure(name, step)
            rate[name].append(got[name])
        ratios.append(got["fastredis"] / got["floor"])
    return {"fastredis": statistics.median(rate["fastredis"]), "floor": statistics.median(rate["floor"]),
            "ratio": statistics.median(ratios),
            "cpu_fastredis_us": statistics.median(cpu["fastredis"]),
            "cpu_floor_us": statistics.median(cpu["floor"])}


async def _pipeline100(host: str, port: int, rounds: int, window: float) -> dict:
    import floor
    import workloads as W

    import fastredis

    r = fastredis.Redis(host=host, port=port)
    f = await floor.connect(host, port)
    cmds = [("SET", k, W.VALUE) for k in W.PIPE_KEYS]

    async def fr() -> None:
        pipe = r.pipeline(transaction=False)
        for k in W.PIPE_KEYS:
            pipe.set(k, W.VALUE)
        await pipe.execute()

    async def fl() -> None:
        await f.pipeline(cmds)

    try:
        return await _paired(fr, fl, rounds, window, len(W.PIPE_KEYS))
    finally:
        await r.aclose()
        f.t.close()


async def _mget100(host: str, port: int, rounds: int, window: float, floor: str = "mget100") -> dict:
    import cluster_bench as CB

    rc = await CB._client("fastredis", host, port)
    keys = [f"bench:{i}" for i in range(100)]
    for k in keys:
        await rc.set(k, "v")
    await rc.mget(keys)  # every node connection up
    step, _ = await CB._floor(rc, floor, keys)

    async def fr() -> None:
        await rc.mget(keys)

    try:
        return await _paired(fr, step, rounds, window, len(keys))
    finally:
        await rc.aclose()


def _child(args: argparse.Namespace) -> None:
    sys.path[:0] = [ROOT, HERE]
    import fastredis.cluster  # noqa: F401  (from ROOT: cluster_bench puts its own tree first)
    if args.loop == "uvloop":
        import uvloop

        uvloop.install()
    if args.workload == "pipeline100":
        run = _pipeline100(args.host, args.port, args.rounds, args.window)
    else:
        run = _mget100(args.host, args.port, args.rounds, args.window, args.workload)
    print(json.dumps(asyncio.run(run)))


def _run(workload: str, loop: str, host: str, port: int, args: argparse.Namespace, pin: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", "--workload", workload, "--loop", loop, "--host", host,
           "--port", str(port), "--rounds", str(args.rounds), "--window", str(args.window)]
    if pin:
        cmd = ["taskset", "-c", "0", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _version(root: str) -> str:
    out = subprocess.run(["git", "-C", root, "log", "-1", "--format=%h"], capture_output=True, text=True)
    return out.stdout.strip() or "not a git checkout"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workloads", default="pipeline100,mget100,mget100_wire")
    ap.add_argument("--loops", default="uvloop,asyncio")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--window", type=float, default=0.1, help="seconds per window")
    ap.add_argument("--no-pin", action="store_true")
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--workload")
    ap.add_argument("--loop")
    ap.add_argument("--host")
    ap.add_argument("--port", type=int)
    args = ap.parse_args()
    if args.child:
        _child(args)
        return
    sys.path.insert(0, ROOT)
    pin = not args.no_pin and shutil.which("taskset") is not None
    rows = []

    def pin_pid(pid: int) -> None:
        if pin:
            subprocess.run(["taskset", "-pc", "0", str(pid)], capture_output=True)

    workloads = args.workloads.split(",")
    if "pipeline100" in workloads:
        from fastredis.testing import RedisServer

        server = RedisServer().start()
        try:
            assert server.proc is not None
            pin_pid(server.proc.pid)
            for loop in args.loops.split(","):
                rows.append({"workload": "pipeline100", "loop": loop,
                             **_run("pipeline100", loop, server.host, server.port, args, pin)})
        finally:
            server.stop()
    mgets = [w for w in workloads if w.startswith("mget100")]
    if mgets:
        from fastredis._testing_cluster import ClusterHarness

        with ClusterHarness(primaries=3, replicas=0) as h:
            for node in h.live():
                assert node.proc is not None
                pin_pid(node.proc.pid)
            s = h.live()[0]
            for wl in mgets:
                for loop in args.loops.split(","):
                    rows.append({"workload": wl, "loop": loop, **_run(wl, loop, s.host, s.port, args, pin)})
    print(f"fastredis from {ROOT} ({_version(ROOT)}); {args.rounds} rounds of {args.window}s windows, medians")
    print(f"{'workload':12} {'loop':8} {'fastredis':>11} {'floor':>11} {'ratio':>6} "
          f"{'CPU us per call: fastredis':>26} {'floor':>6}")
    for r in rows:
        print(f"{r['workload']:12} {r['loop']:8} {r['fastredis']:11,.0f} {r['floor']:11,.0f} "
              f"{r['ratio']:6.3f} {r['cpu_fastredis_us']:26.1f} {r['cpu_floor_us']:6.1f}")


if __name__ == "__main__":
    main()
