"""fastredis before / after a change in ONE process, alternating short windows: an A/B
that holds on a machine shared with other work.

    python bench/ab_paired.py --base /tmp/base-checkout            # both loops, all workloads
    python bench/ab_paired.py --base DIR --workloads seq_get,pipeline100 --rounds 60

``--base``: a checkout of the code before (``git archive <commit> | tar -x -C DIR``); it is
loaded beside this tree's ``fastredis`` as the package ``fastredis_base`` (the package only
imports itself relatively). Each round measures every workload with one client, then with
the other (the order swapped each round), in ``--window`` s windows; a round's ratio
new / base compares windows a fraction of a second apart, so other processes taking the
CPU for a while hit both alike. Reported: medians over rounds of each rate and of the
per-round ratio. Workloads (bench/workloads.py and bench/cluster_bench.py's):
  seq_get       100 sequential GETs per step                          (GET/s)
  tasks50       50 tasks x 10 SET+GET, concurrently                   (ops/s)
  pipeline100   pipeline(transaction=False) of 100 SET, execute()     (SET/s)
  cluster_seq_get, cluster_mget100, cluster_pipe100: RedisCluster on a local 3-primary
                cluster (GET; MGET of 100 keys across slots; a pipeline of 100 SETs)
Client and servers on CPU 0 (as bench/run.py places request/response workloads). Prints a
table and writes bench/results/ab_paired.md / .json (``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SINGLE = ("seq_get", "tasks50", "pipeline100")
CLUSTER = ("cluster_seq_get", "cluster_mget100", "cluster_pipe100")
VALUE = b"v" * 32
PIPE_KEYS = [f"bench:pipe:{i}" for i in range(100)]


def _load_base(base: str) -> object:
    pkg = os.path.join(os.path.abspath(base), "fastredis")
    spec = importlib.util.spec_from_file_location(
        "fastredis_base", os.path.join(pkg, "__init__.py"), submodule_search_locations=[pkg])
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["fastredis_base"] = mod
    spec.loader.exec_module(mod)
    return mod


async def _steps(pkg: object, workload: str, host: str, port: int):
    """(step coroutine function, operations per step, closer)"""
    if workload.startswith("cluster_"):
        cluster = importlib.import_module(pkg.__name__ + ".cluster")
        rc = cluster.RedisCluster(host=host, port=port)
        await rc.initialize()
        keys = [f"bench:{i}" for i in range(100)]
        await rc.set("bench:seq", "x" * 32)
        for k in keys:
            await rc.set(k, "v")
        await rc.mget(keys)  # every node connection up
        if workload == "cluster_seq_get":
            async def step() -> None:
                for _ in range(100):
                    await rc.get("bench:seq")
            return step, 100, rc.aclose
        if workload == "cluster_mget100":
            async def step() -> None:
                await rc.mget(keys)
            return step, 100, rc.aclose

        async def step() -> None:
            p = rc.pipeline()
            for k in keys:
                p.set(k, "v")
            await p.execute()
        return step, 100, rc.aclose
    r = pkg.Redis(host=host, port=port)  # type: ignore[attr-defined]
    await r.set("bench:key", VALUE)
    if workload == "seq_get":
        async def step() -> None:
            for _ in range(100):
                await r.get("bench:key")
        return step, 100, r.aclose
    if workload == "tasks50":
        async def worker(key: str) -> None:
            for _ in range(10):
                await r.set(key, VALUE)
                await r.get(key)

        async def step() -> None:
            await asyncio.gather(*(worker(f"bench:t{w}") for w in range(50)))
        return step, 1000, r.aclose

    async def step() -> None:
        pipe = r.pipeline(transaction=False)
        for k in PIPE_KEYS:
            pipe.set(k, VALUE)
        await pipe.execute()
    return step, 100, r.aclose


async def _measure(step, ops: int, window: float) -> float:
    n = 0
    t0 = time.perf_counter()
    end = t0 + window
    while time.perf_counter() < end:
        await step()
        n += 1
    return n * ops / (time.perf_counter() - t0)


async def _child_main(args: argparse.Namespace) -> dict:
    sys.path.insert(0, ROOT)
    import fastredis

    clients = {"base": _load_base(args.base), "new": fastredis}
    out = {}
    for wl in args.workloads.split(","):
        steps = {name: await _steps(pkg, wl, args.host, args.port) for name, pkg in clients.items()}
        for step, ops, _ in steps.values():
            await _measure(step, ops, args.window)  # warm-up
        rates: dict[str, list[float]] = {"base": [], "new": []}
        ratios = []
        for i in range(args.rounds):
            got = {}
            for name in (("base", "new") if i % 2 == 0 else ("new", "base")):
                step, ops, _ = steps[name]
                got[name] = await _measure(step, ops, args.window)
                rates[name].append(got[name])
            ratios.append(got["new"] / got["base"])
        for _step, _ops, close in steps.values():
            await close()
        out[wl] = {"base": statistics.median(rates["base"]), "new": statistics.median(rates["new"]),
                   "ratio": statistics.median(ratios)}
    return out


def _child(args: argparse.Namespace) -> None:
    if args.loop == "uvloop":
        import uvloop

        uvloop.install()
    print(json.dumps(asyncio.run(_child_main(args))))


def _run(workloads: list[str], loop: str, host: str, port: int, args: argparse.Namespace,
         pin: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", "--base", args.base, "--workloads", ",".join(workloads),
           "--loop", loop, "--host", host, "--port", str(port), "--rounds", str(args.rounds),
           "--window", str(args.window)]
    if pin:
        cmd = ["taskset", "-c", "0", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--workloads", default=",".join(SINGLE + CLUSTER))
    ap.add_argument("--loops", default="uvloop,asyncio")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--window", type=float, default=0.1)
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--no-pin", action="store_true")
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--loop")
    ap.add_argument("--host")
    ap.add_argument("--port", type=int)
    args = ap.parse_args()
    if args.child:
        _child(args)
        return
    sys.path.insert(0, ROOT)
    pin = not args.no_pin and shutil.which("taskset") is not None
    wanted = args.workloads.split(",")
    results: dict[tuple[str, str], dict] = {}

    def pin_pid(pid: int) -> None:
        if pin:
            subprocess.run(["taskset", "-pc", "0", str(pid)], capture_output=True)

    single = [w for w in wanted if w in SINGLE]
    if single:
        from fastredis.testing import RedisServer

        server = RedisServer().start()
        try:
            assert server.proc is not None
            pin_pid(server.proc.pid)
            for loop in args.loops.split(","):
                for wl, row in _run(single, loop, server.host, server.port, args, pin).items():
                    results[(wl, loop)] = row
        finally:
            server.stop()
    cluster = [w for w in wanted if w in CLUSTER]
    if cluster:
        from fastredis._testing_cluster import ClusterHarness

        with ClusterHarness(primaries=3, replicas=0) as h:
            for node in h.live():
                assert node.proc is not None
                pin_pid(node.proc.pid)
            s = h.live()[0]
            for loop in args.loops.split(","):
                for wl, row in _run(cluster, loop, s.host, s.port, args, pin).items():
                    results[(wl, loop)] = row
    md = ["# fastredis before / after, paired in one process", "",
          f"base: {os.path.abspath(args.base)}; new: this tree. {args.rounds} rounds of "
          f"{args.window} s windows per client, alternating; medians.", "",
          "| workload | loop | before | after | after / before (median of rounds) |",
          "|---|---|---:|---:|---:|"]
    for (wl, loop), r in results.items():
        md.append(f"| {wl} | {loop} | {r['base']:,.0f} | {r['new']:,.0f} | {r['ratio']:.3f} |")
    print("\n".join(md))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "ab_paired.json"), "w") as fh:
        json.dump([{"workload": w, "loop": lp, **r} for (w, lp), r in results.items()], fh, indent=1)
    with open(os.path.join(args.out, "ab_paired.md"), "w") as fh:
        fh.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
