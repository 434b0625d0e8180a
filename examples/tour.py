"""`make run`: a short tour of fastredis against a throw-away redis-server (or REDIS_URL).

It walks a few commands, a pipeline, every example of the Pub/Sub guide
(../shared/seed/pubsub.txt, see docs/pubsub.md) and a short benchmark beside redis-py's
asyncio client when that is installed, then starts a throw-away local Redis Cluster (3
primaries on loopback, temp dirs; also when REDIS_URL is set: it never touches that server)
for a few commands, a pipeline across slots and a slot migration with commands in flight,
and stops it. Everything it does is printed."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import fastredis
from fastredis.testing import RedisServer

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None


def show(label: str, value: object) -> None:
    print(f"  {label:<58} -> {value!r}")


async def commands(r: fastredis.Redis) -> None:
    print("\n== commands")
    show("await r.set('greeting', 'hello')", await r.set("greeting", "hello"))
    show("await r.get('greeting')", await r.get("greeting"))
    show("await r.incr('visits')", await r.incr("visits"))
    show("await r.hset('user:1', mapping={'name': 'ada'})", await r.hset("user:1", mapping={"name": "ada"}))
    show("await r.hgetall('user:1')", await r.hgetall("user:1"))
    show("await r.zadd('board', {'ada': 3, 'bob': 1})", await r.zadd("board", {"ada": 3, "bob": 1}))
    show("await r.zrange('board', 0, -1, withscores=True)", await r.zrange("board", 0, -1, withscores=True))
    try:
        await r.set("bad", None)
    except fastredis.DataError as exc:
        show("await r.set('bad', None)", f"DataError: {exc}")

    print("\n== pipeline (one write, MULTI/EXEC)")
    pipe = r.pipeline()
    pipe.set("a", 1).incr("a").get("a")
    show("pipe.set('a', 1).incr('a').get('a'); await pipe.execute()", await pipe.execute())


async def guide(r: fastredis.Redis) -> None:
    """The seed guide, example by example."""
    print("\n== Pub/Sub guide")
    p = r.pubsub()
    await p.subscribe("my-first-channel", "my-second-channel")
    await p.psubscribe("my-*")
    print("  await p.subscribe('my-first-channel', 'my-second-channel'); await p.psubscribe('my-*')")
    for _ in range(3):
        show("await p.get_message()", await p.get_message(timeout=1))
    show("await r.publish('my-first-channel', 'some data')", await r.publish("my-first-channel", "some data"))
    show("await p.get_message()", await p.get_message(timeout=1))
    show("await p.get_message()", await p.get_message(timeout=1))
    await p.unsubscribe()
    await p.punsubscribe("my-*")
    print("  await p.unsubscribe(); await p.punsubscribe('my-*')")
    for _ in range(3):
        show("await p.get_message()", await p.get_message(timeout=1))

    print("\n  -- a message handler")

    def my_handler(message: dict) -> None:
        print("  MY HANDLER: ", message["data"])

    await p.subscribe(**{"my-channel": my_handler})
    show("await p.get_message()", await p.get_message(timeout=1))
    show("await r.publish('my-channel', 'awesome data')", await r.publish("my-channel", "awesome data"))
    message = await p.get_message(timeout=1)
    show("message = await p.get_message()", message)
    await p.aclose()

    print("\n  -- ignore_subscribe_messages=True")
    p = r.pubsub(ignore_subscribe_messages=True)
    await p.subscribe("my-channel")
    show("await p.get_message()  # hides the subscribe message", await p.get_message(timeout=0.2))
    show("await r.publish('my-channel', 'my data')", await r.publish("my-channel", "my data"))
    show("await p.get_message()", await p.get_message(timeout=1))

    print("\n  -- for message in await p.listen()")
    for i in range(3):
        await r.publish("my-channel", f"batch {i}")
    for message in await p.listen():
        show("message", message)
    await p.aclose()

    print("\n  -- run_in_thread")
    p = r.pubsub()
    got = asyncio.Event()
    loop = asyncio.get_running_loop()

    def threaded_handler(message: dict) -> None:
        print("  THREAD HANDLER: ", message["data"])
        loop.call_soon_threadsafe(got.set)

    await p.subscribe(**{"my-channel": threaded_handler})
    thread = p.run_in_thread(sleep_time=0.001)
    show("thread = p.run_in_thread(sleep_time=0.001)", thread)
    await r.publish("my-channel", "to the thread")
    await asyncio.wait_for(got.wait(), 5)
    thread.stop()
    await asyncio.to_thread(thread.join, 5)
    show("thread.stop(); thread.is_alive()", thread.is_alive())
    p.close()  # plain call, as in the guide
    print("  p.close()")

    print("\n  -- PUBSUB CHANNELS / NUMSUB / NUMPAT")
    p = r.pubsub()
    await p.subscribe("foo", "bar")
    show("await r.pubsub_channels()", sorted(await r.pubsub_channels()))
    show("await r.pubsub_numsub('foo', 'bar')", await r.pubsub_numsub("foo", "bar"))
    show("await r.pubsub_numsub('baz')", await r.pubsub_numsub("baz"))
    show("await r.pubsub_numpat()", await r.pubsub_numpat())

    print("\n  -- reconnect (beyond the guide): CLIENT KILL TYPE pubsub")
    reconnected = asyncio.Event()
    p2 = r.pubsub(ignore_subscribe_messages=True, on_reconnect=lambda info: reconnected.set())
    await p2.subscribe("news")
    # only our own subscriber: REDIS_URL may point at a server others use
    for c in await r.client_list("pubsub"):
        if c.get("name") == TOUR_NAME:
            await r.client_kill_filter(_id=c["id"])
    await asyncio.wait_for(reconnected.wait(), 5)
    show("await r.publish('news', 'after the kill')", await r.publish("news", "after the kill"))
    message = None
    while message is None:  # the resubscribe confirmation is read (and ignored) first
        message = await p2.get_message(timeout=1)
    show("await p2.get_message(timeout=1)", message)
    show("p2.stats()['reconnects']", p2.stats()["reconnects"])
    await p2.aclose()
    await p.aclose()


async def bench(url_kwargs: dict) -> None:
    print("\n== short benchmark (same run, same server; full: `make bench`)")
    n = 5000
    results = {}

    async def seq(client) -> float:
        await client.set("bench", "x" * 100)
        t = time.perf_counter()
        for _ in range(n):
            await client.get("bench")
        return n / (time.perf_counter() - t)

    async def fifty(client) -> float:
        async def worker():
            for _ in range(n // 50):
                await client.set("b50", "v")
                await client.get("b50")

        t = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(50)))
        return 2 * n / (time.perf_counter() - t)

    clients = {"fastredis": lambda: fastredis.Redis(**url_kwargs)}
    try:
        import redis.asyncio as redis_asyncio

        peer_kwargs = {("unix_socket_path" if k == "path" else k): v for k, v in url_kwargs.items()}
        clients["redis-py"] = lambda: redis_asyncio.Redis(**peer_kwargs)
    except ImportError:
        print("  (redis-py not installed: fastredis alone)")
    for name, make in clients.items():
        c = make()
        await seq(c)  # warm-up
        results[name] = (await seq(c), await fifty(c))
        await c.aclose()
    for name, (s, f) in results.items():
        print(f"  {name:<10} sequential GET {s:>10,.0f} ops/s   50 tasks SET/GET {f:>10,.0f} ops/s")
    if "redis-py" in results:
        fs, ff = results["fastredis"]
        rs, rf = results["redis-py"]
        print(f"  ratio      sequential {fs / rs:.2f}x            50 tasks {ff / rf:.2f}x")


def pin_with(server: RedisServer | None) -> str:
    """Request/response speed on 2 shared vCPUs measures the scheduler unless client and
    server share a CPU (a cross-CPU wake-up costs tens of µs here): pin both, as bench/ does."""
    if server is None or server.proc is None or not hasattr(os, "sched_setaffinity"):
        return "unpinned (REDIS_URL or no sched_setaffinity): expect scheduler noise"
    cpu = max(os.sched_getaffinity(0))
    try:
        os.sched_setaffinity(server.proc.pid, {cpu})
        os.sched_setaffinity(0, {cpu})
    except OSError as exc:
        return f"unpinned ({exc})"
    return f"client and redis-server pinned to CPU {cpu}"


TOUR_NAME = "fastredis-tour"
TOUR_KEYS = ("greeting", "visits", "user:1", "board", "a", "bad", "bench", "b50")


async def main(kwargs: dict, server: RedisServer | None = None) -> None:
    kwargs = {**kwargs, "client_name": TOUR_NAME}
    r = fastredis.Redis(**kwargs)
    await r.delete(*TOUR_KEYS)  # never FLUSHDB: REDIS_URL may be a database in use
    try:
        await commands(r)
        await guide(r)
        print(f"\n(placement: {pin_with(server)})")
        await bench(kwargs)
    finally:
        await r.delete(*TOUR_KEYS)
        await r.aclose()


def cluster_tour() -> None:
    """The cluster part: fastredis._testing_cluster's demo on a cluster of its own."""
    from fastredis._testing_cluster import ClusterHarness, _demo
    from fastredis.testing import find_redis_server

    print("\n== a throw-away local Redis Cluster (docs/cluster.md)")
    if find_redis_server() is None:  # REDIS_URL users may have no local redis-server
        print("  skipped: no local redis-server to build it from (set REDIS_SERVER_BIN)")
        return
    t0 = time.perf_counter()
    with ClusterHarness(primaries=3, replicas=0) as h:
        print(f"  3 primaries up on 127.0.0.1 ports {', '.join(str(s.port) for s in h.live())} "
              f"in {time.perf_counter() - t0:.1f} s")
        if uvloop is not None:
            uvloop.run(_demo(h))
        else:
            asyncio.run(_demo(h))
    print("stopped the throw-away cluster")


def run() -> int:
    url = os.environ.get("REDIS_URL")
    server = None
    if url:
        kwargs = fastredis.connection.parse_url(url)
        print(f"using REDIS_URL ({kwargs.get('host', kwargs.get('path'))})")
    else:
        server = RedisServer().start()
        kwargs = server.client_kwargs()
        print(f"started a throw-away redis-server on 127.0.0.1:{server.port} (temp dir {server.dir})")
    loop_name = "uvloop" if uvloop is not None else "asyncio"
    print(f"Python {sys.version.split()[0]}, fastredis {fastredis.__version__}, loop {loop_name}")
    try:
        if uvloop is not None:
            uvloop.run(main(kwargs, server))
        else:
            asyncio.run(main(kwargs, server))
    finally:
        if server is not None:
            server.stop()
            print("\nstopped the throw-away redis-server")
    cluster_tour()
    return 0


if __name__ == "__main__":
    sys.exit(run())
