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
Prints one table with the ratio fastredis / redis-py per cell, and the versions, and writes
bench/results/cluster.md and cluster.json (``--out``; ``make bench-cluster``).

The floor (``--clients`` includes ``floor``; by default it runs) is the least a client can
do for the workload, measured the same way: seq_get is fastredis.Redis.get straight to the
node that owns the key (no routing at all); mget100 is the routed floor (``_routed_floor``:
the routing a cluster MGET of keys given at each call must do, slot lookup, one MGET per
slot, grouping per node, values in order, written as tightly as Python allows, over the
same connections). ``fastredis / floor`` is the ratio to it. The wire column (mget100
only) is the per-node MGET batches packed once before the clock (``_wire_floor``): the I/O
alone, which no cluster client can reach, since it leaves the routing out.
The socket column (seq_get only) is GET after GET on a blocking socket, no event loop: the
kernel's and the server's round trip on this machine, the ceiling of any asyncio client,
so ``socket / redis-py`` is the most any client could show against redis-py today.
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
CLIENTS = ("fastredis", "redis-py", "floor", "wire", "socket")
FLOORED = ("seq_get", "mget100")  # the workloads the floor client has a form of
WIRED = ("mget100",)  # ... and the wire floor
SOCKETED = ("seq_get",)  # ... and the blocking-socket ceiling


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


async def _floor(rc, workload: str, keys: list[str]):
    """The floor's step for ``workload`` (see the module docstring)."""
    import fastredis

    if workload == "seq_get":
        node = rc.get_node_from_key("bench:seq")
        r = fastredis.Redis(host=node.host, port=node.port)

        async def get() -> int:
            await r.get("bench:seq")
            return 1

        return get, r
    if workload == "mget100_wire":
        return _wire_floor(rc, keys), None
    return await _routed_floor(rc, keys), None


def _wire_floor(rc, keys: list[str]):
    """The per-node MGET batches packed once before the clock: the I/O and nothing else
    (no routing, no result list). No cluster client can reach it: the routing a cluster
    MGET must do is left out."""
    import hiredis

    per: dict[str, tuple] = {}
    for k in keys:
        node = rc.get_node_from_key(k)
        per.setdefault(node.name, (node, []))[1].append(hiredis.pack_command(("MGET", k)))
    plan = [(node.connection, b"".join(parts), len(parts)) for node, parts in per.values()]

    async def mget() -> int:
        futs = [conn.send_batch(data, count) for conn, data, count in plan]
        for fut in futs:
            await fut
        return 100

    return mget


async def _routed_floor(rc, keys: list[str]):
    """The least a cluster client can do for MGET of keys it is given at each call, written
    as tightly as Python allows: per key, its slot and RESP bulk string from a dict (filled
    by CRC16 on first sight, as a client's slot cache is); one MGET per slot (keys sharing
    a slot are read together, as redis-py's mget_nonatomic and fastredis's MGET do), the
    commands of a node in one write, the values put back in the caller's order. The slot ->
    connection table is built before the clock; no validation, no retry, no redirection,
    no fallback: an error reply or a moved slot is not handled. The I/O is the same
    connection objects' send_batch as the wire floor's, so the two floors differ by the
    routing alone."""
    from binascii import crc_hqx
    from collections import defaultdict
    from operator import itemgetter

    first, second = itemgetter(0), itemgetter(1)
    table: list = [None] * 16384  # slot -> the connection of its primary (CLUSTER SLOTS)
    for (start, end), owner in (await rc.cluster_slots()).items():
        host, port = owner["primary"]
        table[start:end + 1] = [rc.get_node(host=host, port=port).connection] * (end - start + 1)
    cache: dict[str, tuple[int, bytes]] = {}
    head = b"*2\r\n$4\r\nMGET\r\n"
    many = b"$4\r\nMGET\r\n"

    def learn(key: str) -> tuple[int, bytes]:
        data = key.encode()
        tag = data.find(b"{")
        if tag >= 0:
            end = data.find(b"}", tag + 1)
            if end > tag + 1:
                data_slot = crc_hqx(data[tag + 1:end], 0) & 16383
            else:
                data_slot = crc_hqx(data, 0) & 16383
        else:
            data_slot = crc_hqx(data, 0) & 16383
        entry = cache[key] = (data_slot, b"$%d\r\n%s\r\n" % (len(data), data))
        return entry

    async def mget() -> int:
        infos = list(map(cache.get, keys))
        if not all(infos):
            infos = [e or learn(k) for e, k in zip(infos, keys)]
        slots = list(map(first, infos))
        out: list = [None] * len(keys)
        if len(set(slots)) == len(slots):  # a slot per key: a one-key MGET per key
            groups: defaultdict = defaultdict(list)
            for i, s in enumerate(slots):
                groups[table[s]].append(i)
            sent = [(pos, conn.send_batch(
                head + head.join(map(second, itemgetter(*pos)(infos) if len(pos) > 1 else (infos[pos[0]],))),
                len(pos))) for conn, pos in groups.items()]
            for pos, fut in sent:
                for i, reply in zip(pos, await fut):
                    out[i] = reply[0]
            return out
        by_slot: dict[int, list[int]] = {}  # keys sharing a slot: one MGET per slot
        for i, s in enumerate(slots):
            got = by_slot.get(s)
            if got is None:
                by_slot[s] = [i]
            else:
                got.append(i)
        per: defaultdict = defaultdict(list)
        for s, pos in by_slot.items():
            per[table[s]].append(pos)
        sent = []
        for conn, groups in per.items():
            parts = []
            for pos in groups:
                parts.append(b"*%d\r\n" % (1 + len(pos)))
                parts.append(many)
                parts.extend([infos[i][1] for i in pos])
            sent.append((groups, conn.send_batch(b"".join(parts), len(groups))))
        for groups, fut in sent:
            for pos, reply in zip(groups, await fut):
                for i, value in zip(pos, reply):
                    out[i] = value
        return out

    want = await rc.mget(keys)
    assert await mget() == want and await mget() == want, "the routed floor reads other values"
    return mget


def _socket_seq_get(host: str, port: int, scale: float) -> float:
    """GET after GET on a blocking socket to the owning node, no event loop at all: the
    round trip of this machine's kernel and server, which no asyncio client can beat."""
    import socket
    import time

    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    req = b"*2\r\n$3\r\nGET\r\n$9\r\nbench:seq\r\n"
    want = len(b"$32\r\n" + b"x" * 32 + b"\r\n")

    def once() -> None:
        s.sendall(req)
        got = 0
        while got < want:
            got += len(s.recv(4096))

    try:
        end = time.perf_counter() + scale / 4
        while time.perf_counter() < end:
            once()
        done = 0
        start = time.perf_counter()
        end = start + scale
        while time.perf_counter() < end:
            once()
            done += 1
        return done / (time.perf_counter() - start)
    finally:
        s.close()


async def _measure(kind: str, workload: str, host: str, port: int, scale: float) -> float:
    """Operations per second over a ``scale`` s window after a warm-up of a quarter of it
    (bench/run.py's method), every client alike."""
    if kind == "socket":
        from fastredis.cluster import RedisCluster

        async with RedisCluster(host=host, port=port) as rc:
            await rc.set("bench:seq", "x" * 32)
            node = rc.get_node_from_key("bench:seq")
            assert node is not None
        return _socket_seq_get(node.host, node.port, scale)
    rc = await _client("redis-py" if kind == "redis-py" else "fastredis", host, port)
    keys = [f"bench:{i}" for i in range(100)]
    await rc.set("bench:seq", "x" * 32)
    for k in keys:
        await rc.set(k, "v")
    if kind != "redis-py":
        await rc.mget(keys)  # every node connection up
    loop = asyncio.get_running_loop()
    floor_step = other = None
    if kind == "floor":
        floor_step, other = await _floor(rc, workload, keys)
    elif kind == "wire":
        floor_step, other = await _floor(rc, "mget100_wire", keys)

    async def once() -> int:  # one step of the workload; returns the operations it did
        if floor_step is not None:
            got = await floor_step()  # the wire floor: a count; the routed one: the values
            return got if got.__class__ is int else len(got)
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
        if other is not None:
            await other.aclose()
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
    ap.add_argument("--clients", default=",".join(CLIENTS))
    ap.add_argument("--out", default=os.path.join(HERE, "results"), help="output directory")
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
                    order = [c for c in args.clients.split(",")
                             if c in ("fastredis", "redis-py") or (wl in FLOORED and c == "floor")
                             or (wl in WIRED and c == "wire") or (wl in SOCKETED and c == "socket")]
                    if rep % 2:
                        order.reverse()
                    for client in order:
                        rates.setdefault((client, wl, loop), []).append(
                            _run_cell(client, wl, loop, s.host, s.port, scale, pin))
        version = h.call(s, "INFO", "server").decode().split("redis_version:")[1].split()[0]
    env = (f"Python {platform.python_version()}, Redis {version}, hiredis "
           f"{metadata.version('hiredis')}, redis-py {metadata.version('redis')}, "
           f"uvloop {metadata.version('uvloop')}, {os.cpu_count()} cores, {reps} rep(s), median, "
           + ("client and nodes pinned to CPU 0" if pin else "no CPU pinning"))
    rows = []
    for wl in workloads:
        for loop in loops:
            med = {c: statistics.median(rates[(c, wl, loop)]) for c in CLIENTS
                   if (c, wl, loop) in rates}
            rows.append({"workload": wl, "loop": loop, **med})
    head = (f"{'workload':10} {'loop':8} {'fastredis':>12} {'redis-py':>12} {'ratio':>7} {'floor':>12} "
            f"{'fr/floor':>9} {'wire':>12} {'fr/wire':>8} {'socket':>9} {'socket/py':>9}")
    lines = [head]
    md = ["# fastredis.RedisCluster vs redis.asyncio.RedisCluster", "", env, "",
          "| workload | loop | fastredis | redis-py | ratio | floor | fastredis / floor | wire | "
          "fastredis / wire | socket | socket / redis-py |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def num(v: float | None) -> str:
        return f"{v:,.0f}" if v else "-"

    def quot(a: float | None, b: float | None, fmt: str) -> str:
        return format(a / b, fmt) if a and b else "-"

    for row in rows:
        f, r, fl, wi, so = (row.get(c) for c in ("fastredis", "redis-py", "floor", "wire", "socket"))
        cells = [num(f), num(r), quot(f, r, ".1f") + "x" * bool(f and r), num(fl), quot(f, fl, ".2f"),
                 num(wi), quot(f, wi, ".2f"), num(so), quot(so, r, ".1f") + "x" * bool(so and r)]
        widths = (12, 12, 7, 12, 9, 12, 8, 9, 9)
        lines.append(f"{row['workload']:10} {row['loop']:8} "
                     + " ".join(f"{c:>{w}}" for c, w in zip(cells, widths)))
        md.append(f"| {row['workload']} | {row['loop']} | " + " | ".join(cells) + " |")
    print(env)
    print("\n".join(lines))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "cluster.json"), "w") as fh:
        json.dump({"env": env, "rows": rows,
                   "samples": [{"client": c, "workload": w, "loop": lp, "rates": v}
                               for (c, w, lp), v in rates.items()]}, fh, indent=1)
    with open(os.path.join(args.out, "cluster.md"), "w") as fh:
        fh.write("\n".join(md) + "\n")
    print(f"wrote {os.path.relpath(args.out, ROOT)}/cluster.md, cluster.json")


if __name__ == "__main__":
    main()
