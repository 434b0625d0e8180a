"""The benchmark workloads: one self-contained async function per workload per client.

Each run is meant to be a fresh process (``bench/run.py`` starts one per measurement):

    python bench/workloads.py seq_get fastredis uvloop --port 6379

prints one JSON object: ``{"workload", "client", "loop", "value", "unit", ...}``, or
``{"error": ...}`` with exit status 1 when the client failed (the driver records that cell
as failed and goes on). Clients: fastredis, redis-py (``redis.asyncio`` with hiredis),
coredis, and "floor" (``bench/floor.py``: Protocol -> hiredis -> deque, the least a client
can do; every workload is also reported as a ratio to it). Loops: asyncio and uvloop.

Workloads (higher is better unless marked):
  seq_get             one task, ``await r.get(k)`` in a loop                      ops/s
  tasks50             50 tasks on one client, each ``await set; await get``        ops/s
  pipeline100         pipeline(transaction=False) of 100 SET, executed repeatedly   SET/s
  pubsub_get_message  drain a backlog published by another process with the everyday
                      idiom get_message(ignore_subscribe_messages=True, timeout=1.0) msgs/s
  pubsub_best         the same backlog drained the client's best way               msgs/s
  pubsub_roundtrip    publish on a client, receive on a pubsub, same loop; p50     µs (lower)
  import              ``import <client>`` in a fresh interpreter, median           ms (lower)

The Pub/Sub backlog: the subscriber subscribes, then *blocks its event loop* while
``bench/publisher.py`` (a separate process, raw socket) publishes the messages and waits for
every PUBLISH reply. Nothing reads the subscriber socket meanwhile, so the whole backlog sits
in the kernel buffers and the server's output buffer (``client-output-buffer-limit pubsub 0 0
0``, set by the publisher, keeps the server from dropping it) and every client starts the
timed drain from the same state, including coredis, whose background reader would otherwise
read ahead while the publisher runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = ("fastredis", "redis-py", "coredis", "floor")
LOOPS = ("asyncio", "uvloop")

KEY = "bench:key"
VALUE = b"v" * 32
PIPE_KEYS = [f"bench:pipe:{i}" for i in range(100)]
N_TASKS = 50

perf = time.perf_counter


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 6379
    duration: float = 1.0  # measured seconds for the rate workloads
    warmup: float = 0.25  # unmeasured seconds before them (connections, caches)
    backlog: int = 100_000  # Pub/Sub backlog size
    size: int = 64  # Pub/Sub payload bytes
    roundtrips: int = 3000  # Pub/Sub round trips measured (after 200 unmeasured)
    imports: int = 7  # fresh interpreters per import measurement
    pub_cpu: str | None = None  # taskset CPU list for the publisher process

    @property
    def channel(self) -> str:  # one channel per process: a shared REDIS_URL stays safe
        return f"bench:ch:{os.getpid()}"


# ---------------------------------------------------------------------------- helpers
async def _rate(unit: Callable[[], Awaitable[Any]], per_call: int, cfg: Config) -> float:
    """Calls of ``unit`` (each worth ``per_call`` ops) per second: warm-up, then measure."""

    async def run(seconds: float) -> float:
        n = 0
        t0 = perf()
        end = t0 + seconds
        while True:
            await unit()
            n += per_call
            t = perf()
            if t >= end:
                return n / (t - t0)

    await run(cfg.warmup)
    return await run(cfg.duration)


async def _seq_get(get: Callable[[str], Awaitable[Any]], cfg: Config) -> float:
    async def hundred() -> None:
        for _ in range(100):
            await get(KEY)

    return await _rate(hundred, 100, cfg)


async def _tasks(set_: Callable, get: Callable, cfg: Config) -> float:
    async def worker(key: str, end: float) -> int:
        n = 0
        while perf() < end:
            await set_(key, VALUE)
            await get(key)
            n += 2
        return n

    async def run(seconds: float) -> float:
        t0 = perf()
        counts = await asyncio.gather(*(worker(f"bench:task:{i}", t0 + seconds) for i in range(N_TASKS)))
        return sum(counts) / (perf() - t0)

    await run(cfg.warmup)
    return await run(cfg.duration)


def publish_backlog(cfg: Config) -> dict:
    """Run the publisher process to completion. Deliberately blocking: the subscriber's loop
    is frozen, so no client reads ahead before the timed drain starts."""
    cmd = [sys.executable, os.path.join(HERE, "publisher.py"), "--host", cfg.host,
           "--port", str(cfg.port), "--channel", cfg.channel, "--count", str(cfg.backlog),
           "--size", str(cfg.size)]
    if cfg.pub_cpu is not None:
        cmd = ["taskset", "-c", cfg.pub_cpu, *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"publisher failed: {out.stderr.strip()[-500:]}")
    info = json.loads(out.stdout)
    if info["receivers"] != 1:
        raise RuntimeError(f"expected 1 subscriber on {cfg.channel}, the server saw {info['receivers']}")
    return info


async def first_message(get_message: Callable[..., Awaitable[Any]], kind: str = "subscribe") -> None:
    """Consume the subscribe confirmation so the timed part sees only published messages."""
    deadline = perf() + 5.0
    while perf() < deadline:
        m = await get_message(timeout=1.0)
        if m is not None and m["type"] in (kind, kind.encode()):
            return
    raise RuntimeError(f"no {kind} confirmation within 5s")


async def drain_get_message(get_message: Callable[..., Awaitable[Any]], total: int) -> Any:
    """``total`` calls of ``get_message(ignore_subscribe_messages=True, timeout=1.0)``, the
    everyday idiom (issue 8); returns the last message."""
    m = None
    for n in range(total):
        m = await get_message(ignore_subscribe_messages=True, timeout=1.0)
        if m is None:
            raise RuntimeError(f"backlog stalled after {n}/{total} messages")
    return m


async def drain_async_for(messages: Any, total: int) -> Any:
    """``async for`` over ``messages`` until ``total`` arrived; returns the last message.
    An async generator is closed explicitly (no finalizer left to the loop)."""
    n, last = 0, None
    try:
        async for msg in messages:
            n += 1
            if n == total:
                last = msg
                break
    finally:
        aclose = getattr(messages, "aclose", None)
        if aclose is not None and hasattr(messages, "asend"):
            await aclose()
    return last


async def drain_listen_batches(p: Any, total: int) -> Any:
    """fastredis: ``await p.listen()`` returns every queued message in one await."""
    n, batch = 0, [None]
    while n < total:
        batch = await p.listen()  # as users write it; _timed_drain bounds the whole drain
        n += len(batch)
    if n != total:
        raise RuntimeError(f"listen() returned {n} messages, {total} were published")
    return batch[-1]


async def _timed_drain(drain: Awaitable[Any], cfg: Config) -> float:
    """Publish the backlog (loop frozen), then time ``drain``: messages per second."""
    publish_backlog(cfg)
    t0 = perf()
    last = await asyncio.wait_for(drain, 60)
    elapsed = perf() - t0
    check_message(last, cfg)
    return cfg.backlog / elapsed


def check_message(m: Any, cfg: Config) -> None:
    if m is None or m["type"] not in ("message", b"message") or len(m["data"]) != cfg.size:
        raise RuntimeError(f"unexpected last message {m!r:.200}")


async def _roundtrip(publish: Callable, get_message: Callable, cfg: Config) -> float:
    """p50 of publish -> message received, in microseconds."""
    chan, payload = cfg.channel, b"p" * cfg.size
    lat: list[float] = []
    for i in range(200 + cfg.roundtrips):
        t0 = perf()
        await publish(chan, payload)
        m = await get_message(timeout=1.0)
        while m is None:  # a filtered frame; never expected, tolerated
            m = await get_message(timeout=1.0)
            if perf() - t0 > 5:
                raise RuntimeError("round trip: no message within 5s")
        t1 = perf()
        if i >= 200:
            lat.append(t1 - t0)
    check_message(m, cfg)
    return statistics.median(lat) * 1e6


# ---------------------------------------------------------------------------- fastredis
async def close_pubsub(p: Any) -> None:
    res = p.aclose() if hasattr(p, "aclose") else p.close()
    if asyncio.iscoroutine(res) or isinstance(res, asyncio.Future):
        await res


def _fastredis(cfg: Config) -> Any:
    import fastredis

    kw: dict[str, Any] = {}
    # bench/ab_protocol.py forces one reading style: BufferedProtocol ("1") or data_received ("0")
    forced = os.environ.get("FASTREDIS_BENCH_BUFFERED")
    if forced in ("0", "1"):
        kw["buffered"] = forced == "1"
    # bench/ab_resp3.py: protocol=2 against the default (RESP3)
    protocol = os.environ.get("FASTREDIS_BENCH_PROTOCOL")
    if protocol in ("2", "3"):
        kw["protocol"] = int(protocol)
    return fastredis.Redis(host=cfg.host, port=cfg.port, **kw)


async def pubsub_best_fastredis(cfg: Config) -> float:
    """``await p.listen()`` returns every queued message in one await (batch drain)."""
    r = _fastredis(cfg)
    p = r.pubsub()
    try:
        await p.subscribe(cfg.channel)
        await first_message(p.get_message)
        return await _timed_drain(drain_listen_batches(p, cfg.backlog), cfg)
    finally:
        await close_pubsub(p)
        await r.aclose()


async def pubsub_roundtrip_fastredis(cfg: Config) -> float:
    r = _fastredis(cfg)
    p = r.pubsub(ignore_subscribe_messages=True)
    try:
        await p.subscribe(cfg.channel)
        return await _roundtrip(r.publish, p.get_message, cfg)
    finally:
        await close_pubsub(p)
        await r.aclose()


# ---------------------------------------------------------------------------- redis-py
def _redispy(cfg: Config) -> Any:
    import redis.asyncio
    from redis.utils import HIREDIS_AVAILABLE

    if not HIREDIS_AVAILABLE:  # the comparison is against redis-py at its fastest
        raise RuntimeError("redis-py is running without hiredis")
    return redis.asyncio.Redis(host=cfg.host, port=cfg.port)


async def pubsub_best_redispy(cfg: Config) -> float:
    """``async for message in p.listen()``: redis-py's documented reader loop."""
    r = _redispy(cfg)
    p = r.pubsub()
    try:
        await p.subscribe(cfg.channel)
        await first_message(p.get_message)
        return await _timed_drain(drain_async_for(p.listen(), cfg.backlog), cfg)
    finally:
        await p.aclose()
        await r.aclose()


async def pubsub_roundtrip_redispy(cfg: Config) -> float:
    r = _redispy(cfg)
    p = r.pubsub(ignore_subscribe_messages=True)
    try:
        await p.subscribe(cfg.channel)
        return await _roundtrip(r.publish, p.get_message, cfg)
    finally:
        await p.aclose()
        await r.aclose()


# ------------------------------------------------- shared by fastredis and redis-py
# The two clients have the same API for these workloads, so they run the very same code.
async def _seq_get_with(make: Any, cfg: Config) -> float:
    r = make(cfg)
    try:
        await r.set(KEY, VALUE)
        return await _seq_get(r.get, cfg)
    finally:
        await r.aclose()


async def _tasks50_with(make: Any, cfg: Config) -> float:
    r = make(cfg)
    try:
        return await _tasks(r.set, r.get, cfg)
    finally:
        await r.aclose()


async def _pipeline100_with(make: Any, cfg: Config) -> float:
    r = make(cfg)

    async def one() -> None:
        pipe = r.pipeline(transaction=False)
        for k in PIPE_KEYS:
            pipe.set(k, VALUE)
        await pipe.execute()

    try:
        return await _rate(one, len(PIPE_KEYS), cfg)
    finally:
        await r.aclose()


async def _get_message_with(make: Any, cfg: Config) -> float:
    r = make(cfg)
    p = r.pubsub()
    try:
        await p.subscribe(cfg.channel)
        await first_message(p.get_message)
        return await _timed_drain(drain_get_message(p.get_message, cfg.backlog), cfg)
    finally:
        await close_pubsub(p)
        await r.aclose()


async def seq_get_fastredis(cfg: Config) -> float:
    return await _seq_get_with(_fastredis, cfg)


async def tasks50_fastredis(cfg: Config) -> float:
    return await _tasks50_with(_fastredis, cfg)


async def pipeline100_fastredis(cfg: Config) -> float:
    return await _pipeline100_with(_fastredis, cfg)


async def pubsub_get_message_fastredis(cfg: Config) -> float:
    return await _get_message_with(_fastredis, cfg)


async def seq_get_redispy(cfg: Config) -> float:
    return await _seq_get_with(_redispy, cfg)


async def tasks50_redispy(cfg: Config) -> float:
    return await _tasks50_with(_redispy, cfg)


async def pipeline100_redispy(cfg: Config) -> float:
    return await _pipeline100_with(_redispy, cfg)


async def pubsub_get_message_redispy(cfg: Config) -> float:
    return await _get_message_with(_redispy, cfg)


# ---------------------------------------------------------------------------- coredis
# coredis 6 objects are async context managers (anyio structured concurrency); its pipeline
# executes when its block exits and its Pub/Sub reads the socket in a background task.
def _coredis(cfg: Config) -> Any:
    import coredis

    return coredis.Redis(host=cfg.host, port=cfg.port)


async def seq_get_coredis(cfg: Config) -> float:
    async with _coredis(cfg) as r:
        await r.set(KEY, VALUE)
        return await _seq_get(r.get, cfg)


async def tasks50_coredis(cfg: Config) -> float:
    async with _coredis(cfg) as r:
        return await _tasks(r.set, r.get, cfg)


async def pipeline100_coredis(cfg: Config) -> float:
    async with _coredis(cfg) as r:

        async def one() -> None:
            async with r.pipeline(transaction=False) as pipe:
                for k in PIPE_KEYS:
                    pipe.set(k, VALUE)

        return await _rate(one, len(PIPE_KEYS), cfg)


async def pubsub_get_message_coredis(cfg: Config) -> float:
    async with _coredis(cfg) as r, r.pubsub() as p:
        await p.subscribe(cfg.channel)
        await first_message(p.get_message)
        return await _timed_drain(drain_get_message(p.get_message, cfg.backlog), cfg)


async def pubsub_best_coredis(cfg: Config) -> float:
    """``async for message in pubsub``: coredis's iterator."""
    async with _coredis(cfg) as r, r.pubsub() as p:
        await p.subscribe(cfg.channel)
        await first_message(p.get_message)
        return await _timed_drain(drain_async_for(p, cfg.backlog), cfg)


async def pubsub_roundtrip_coredis(cfg: Config) -> float:
    async with _coredis(cfg) as r, r.pubsub(ignore_subscribe_messages=True) as p:
        await p.subscribe(cfg.channel)
        return await _roundtrip(r.publish, p.get_message, cfg)


# ---------------------------------------------------------------------------- floor
# bench/floor.py: the least a client can do (Protocol -> hiredis -> deque), the yardstick.
async def _floor(cfg: Config) -> Any:
    import floor

    return await floor.connect(cfg.host, cfg.port)


async def seq_get_floor(cfg: Config) -> float:
    f = await _floor(cfg)
    try:
        await f.execute("SET", KEY, VALUE)
        return await _seq_get(lambda k: f.execute("GET", k), cfg)
    finally:
        f.t.close()


async def tasks50_floor(cfg: Config) -> float:
    f = await _floor(cfg)
    try:
        return await _tasks(lambda k, v: f.execute("SET", k, v), lambda k: f.execute("GET", k), cfg)
    finally:
        f.t.close()


async def pipeline100_floor(cfg: Config) -> float:
    f = await _floor(cfg)
    cmds = [("SET", k, VALUE) for k in PIPE_KEYS]
    try:
        return await _rate(lambda: f.pipeline(cmds), len(PIPE_KEYS), cfg)
    finally:
        f.t.close()


async def pubsub_get_message_floor(cfg: Config) -> float:
    f = await _floor(cfg)
    try:
        await f.subscribe(cfg.channel)
        await first_message(f.get_message)
        return await _timed_drain(drain_get_message(f.get_message, cfg.backlog), cfg)
    finally:
        f.t.close()


async def pubsub_best_floor(cfg: Config) -> float:
    f = await _floor(cfg)
    try:
        await f.subscribe(cfg.channel)
        await first_message(f.get_message)
        return await _timed_drain(drain_listen_batches(f, cfg.backlog), cfg)
    finally:
        f.t.close()


async def pubsub_roundtrip_floor(cfg: Config) -> float:
    pub, sub = await _floor(cfg), await _floor(cfg)
    try:
        await sub.subscribe(cfg.channel)
        await first_message(sub.get_message)

        def get_message(timeout: float) -> Awaitable[Any]:
            return sub.get_message(True, timeout)

        return await _roundtrip(lambda ch, data: pub.execute("PUBLISH", ch, data), get_message, cfg)
    finally:
        pub.t.close()
        sub.t.close()


# ---------------------------------------------------------------------------- import time
IMPORT_MODULES = {"fastredis": "fastredis", "redis-py": "redis.asyncio", "coredis": "coredis",
                  "floor": "floor"}

_IMPORT_PROBE = "import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"


def import_time(client: str, cfg: Config) -> float:
    """Median milliseconds of ``import <module>`` in a fresh interpreter (timed inside it,
    so interpreter start-up is left out: the same as ``python -c 'import x'`` minus
    ``python -c pass``, with less noise). One unmeasured run first warms the .pyc caches.

    PYTHONDONTWRITEBYTECODE is dropped for these runs: with it set (as on this machine) an
    editable fastredis would be compiled from source at every import while the peers,
    installed by pip, have their .pyc; users have .pyc files for both."""
    code = _IMPORT_PROBE.format(mod=IMPORT_MODULES[client])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    samples = []
    for i in range(cfg.imports + 1):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=60, cwd=HERE, env=env)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip()[-500:])
        if i:
            samples.append(float(out.stdout) * 1e3)
    return statistics.median(samples)


# ---------------------------------------------------------------------------- registry
WORKLOADS: dict[str, dict[str, Any]] = {
    "seq_get": {"unit": "ops/s", "better": "higher"},
    "tasks50": {"unit": "ops/s", "better": "higher"},
    "pipeline100": {"unit": "SET/s", "better": "higher"},
    "pubsub_get_message": {"unit": "msgs/s", "better": "higher"},
    "pubsub_best": {"unit": "msgs/s", "better": "higher"},
    "pubsub_roundtrip": {"unit": "µs p50", "better": "lower"},
    "import": {"unit": "ms", "better": "lower"},
}
_SUFFIX = {"fastredis": "fastredis", "redis-py": "redispy", "coredis": "coredis", "floor": "floor"}


def function_for(workload: str, client: str) -> Callable[[Config], Awaitable[float]]:
    return globals()[f"{workload}_{_SUFFIX[client]}"]


def new_loop(loop: str) -> asyncio.AbstractEventLoop:
    if loop == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(workload: str, client: str, loop: str, cfg: Config) -> dict:
    """Run one measurement in this process; returns the JSON-able result."""
    info: dict[str, Any] = {"workload": workload, "client": client, "loop": loop,
                            "unit": WORKLOADS[workload]["unit"], "pid": os.getpid()}
    if workload == "import":
        info["value"] = import_time(client, cfg)
        info["loop"] = "n/a"
        return info
    ev = new_loop(loop)
    asyncio.set_event_loop(ev)
    try:
        info["loop_class"] = f"{type(ev).__module__}.{type(ev).__qualname__}"
        info["value"] = ev.run_until_complete(function_for(workload, client)(cfg))
        ev.run_until_complete(ev.shutdown_asyncgens())
    finally:
        asyncio.set_event_loop(None)
        ev.close()
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run one benchmark measurement and print JSON.")
    ap.add_argument("workload", choices=list(WORKLOADS))
    ap.add_argument("client", choices=CLIENTS)
    ap.add_argument("loop", choices=LOOPS)
    d = Config()
    ap.add_argument("--host", default=d.host)
    ap.add_argument("--port", type=int, default=d.port)
    ap.add_argument("--duration", type=float, default=d.duration)
    ap.add_argument("--warmup", type=float, default=d.warmup)
    ap.add_argument("--backlog", type=int, default=d.backlog)
    ap.add_argument("--size", type=int, default=d.size)
    ap.add_argument("--roundtrips", type=int, default=d.roundtrips)
    ap.add_argument("--imports", type=int, default=d.imports)
    ap.add_argument("--pub-cpu", default=None, help="taskset CPU list for the publisher")
    a = ap.parse_args(argv)
    cfg = Config(host=a.host, port=a.port, duration=a.duration, warmup=a.warmup,
                 backlog=a.backlog, size=a.size, roundtrips=a.roundtrips, imports=a.imports,
                 pub_cpu=a.pub_cpu)
    try:
        result = run(a.workload, a.client, a.loop, cfg)
    except BaseException as exc:  # one failed cell must not stop the driver: report it
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(json.dumps({"workload": a.workload, "client": a.client, "loop": a.loop,
                          "error": f"{type(exc).__name__}: {exc}"[:2000],
                          "traceback": traceback.format_exc()[-4000:]}))
        return 1
    result["config"] = asdict(cfg)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
