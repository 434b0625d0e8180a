"""Client-side caching (issue 12): real server, both loops, no sleeps to synchronise.

How the tests wait for an invalidation: the server writes it on the tracked connection
before it answers anything sent later on that connection, so ``await r.ping()`` after
another client's write returns only once the invalidation has been applied (RESP3). In
RESP2 mode the invalidation comes on the cache's redirect connection: a PING there
orders it the same way (``_barrier``)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from conftest import eventually
from faults import FaultProxy

import fastredis
from fastredis.cache import CacheConfig


@pytest.fixture(params=[3, 2], ids=["resp3", "resp2"])
def protocol(request):
    return request.param


async def _barrier(r) -> None:
    """Every invalidation the server sent before now has been applied."""
    await r.ping()
    redirect = r.cache._redirect
    if redirect is not None:
        (fut,) = redirect.send_packed(redirect.pack(("PING",)), 1)
        await fut


@pytest.fixture
async def clients(redis_server, protocol):
    r = fastredis.Redis(**redis_server.client_kwargs(protocol=protocol, cache=CacheConfig()))
    other = fastredis.Redis(**redis_server.client_kwargs())
    await other.flushdb()
    yield r, other
    await r.aclose()
    await other.aclose()


async def test_hit_miss_and_another_clients_write(clients):
    r, other = clients
    await other.set("k", "v1")
    assert await r.get("k") == b"v1"
    assert await r.get("k") == b"v1"
    st = r.cache.stats()
    assert (st["hits"], st["misses"], st["entries"]) == (1, 1, 1)
    await other.set("k", "v2")
    await _barrier(r)
    assert r.cache.stats()["invalidations"] == 1
    assert await r.get("k") == b"v2"


async def test_own_write_then_read_is_never_stale(clients):
    r, _ = clients
    for i in range(200):
        await r.set("k", i)
        assert await r.get("k") == str(i).encode()
        assert await r.get("k") == str(i).encode()


async def test_many_commands_and_callbacks_on_hits(clients):
    r, other = clients
    await other.hset("h", mapping={"a": 1, "b": 2})
    await other.rpush("l", "x", "y")
    await other.zadd("z", {"m": 1.5})
    first = await r.hgetall("h")
    first[b"a"] = b"mutated by the caller"
    assert await r.hgetall("h") == {b"a": b"1", b"b": b"2"}  # callback ran again on the hit
    assert await r.lrange("l", 0, -1) == [b"x", b"y"]
    assert await r.zrange("z", 0, -1, withscores=True) == [(b"m", 1.5)]
    assert await r.zrange("z", 0, -1, withscores=True) == [(b"m", 1.5)]
    assert await r.hget("h", "b") == b"2"
    assert r.cache.stats()["hits"] >= 2
    await other.hset("h", "b", 3)
    await _barrier(r)
    assert await r.hget("h", "b") == b"3"
    assert await r.hgetall("h") == {b"a": b"1", b"b": b"3"}


async def test_missing_key_is_cached_and_invalidated(clients):
    r, other = clients
    assert await r.get("nope") is None
    assert await r.get("nope") is None
    assert r.cache.stats()["hits"] == 1
    await other.set("nope", "now")
    await _barrier(r)
    assert await r.get("nope") == b"now"


async def test_flushdb_invalidates_everything(clients):
    r, other = clients
    await other.mset({"a": 1, "b": 2})
    await r.get("a")
    await r.get("b")
    assert r.cache.stats()["entries"] == 2
    await other.flushdb()
    await _barrier(r)
    assert r.cache.stats()["entries"] == 0
    assert r.cache.stats()["flushes"] >= 1
    assert await r.get("a") is None


async def test_uncacheable_commands_go_to_the_server(clients):
    r, other = clients
    await other.set("k", "v", ex=100)
    await r.ttl("k")
    await r.ttl("k")
    await r.randomkey()
    assert r.cache.stats()["entries"] == 0
    assert r.cache.stats()["hits"] == 0


async def test_bypass_and_allow_list(redis_server):
    r = fastredis.Redis(**redis_server.client_kwargs(
        protocol=3, cache=CacheConfig(commands=["GET"])))
    try:
        await r.set("k", "v")
        await r.hset("h", "f", "x")
        with r.cache.bypass():
            assert await r.get("k") == b"v"
        assert r.cache.stats()["entries"] == 0
        await r.get("k")
        await r.hget("h", "f")  # not in this allow list
        assert r.cache.stats()["entries"] == 1
        r.cache.commands.add("HGET")  # the allow list can change at run time
        await r.hget("h", "f")
        assert r.cache.stats()["entries"] == 2
    finally:
        await r.aclose()


async def test_decode_responses(redis_server, protocol):
    r = fastredis.Redis(**redis_server.client_kwargs(
        protocol=protocol, decode_responses=True, cache=CacheConfig()))
    other = fastredis.Redis(**redis_server.client_kwargs())
    try:
        await other.set("ключ", "один")
        assert await r.get("ключ") == "один"
        assert await r.get("ключ".encode()) == "один"  # bytes and str name the same key
        assert r.cache.stats()["hits"] == 1
        await other.set("ключ", "два")
        await _barrier(r)
        assert await r.get("ключ") == "два"
    finally:
        await r.aclose()
        await other.aclose()


async def test_read_racing_a_write_is_never_cached(redis_server):
    """The GET's reply and the invalidation for the SET that ran right after it reach the
    client in one read: the reply's caller resumes only after the invalidation was
    applied, and must not store the value it got."""
    other = fastredis.Redis(**redis_server.client_kwargs())
    async with FaultProxy(redis_server.port) as proxy:
        r = fastredis.Redis(**proxy.client_kwargs(protocol=3, cache=CacheConfig()))
        try:
            await other.set("k", "v1")
            await r.ping()  # connected, tracking not yet on (no cacheable read so far)
            proxy.hold_replies()
            task = asyncio.ensure_future(r.get("k"))

            async def get_ran() -> bool:
                clients = await other.client_list()
                return any(c.get("cmd") == "get" for c in clients)

            assert await eventually(get_ran, True, timeout=5)
            await other.set("k", "v2")  # invalidation queued behind the GET's reply
            await other.ping()
            proxy.release_replies()
            assert await task == b"v1"  # what the server had when it ran the GET
            await r.ping()
            assert r.cache.stats()["entries"] == 0
            assert await r.get("k") == b"v2"
            assert await r.get("k") == b"v2"
        finally:
            await r.aclose()
            await other.aclose()


async def test_concurrent_reads_and_writes_converge(clients):
    """50 tasks read while another client writes: once the writes stop and the last
    invalidation is in, every read returns the last value written."""
    r, other = clients
    await other.set("k", 0)

    async def reader():
        for _ in range(200):
            await r.get("k")

    async def writer():
        for i in range(1, 301):
            await other.set("k", i)

    await asyncio.gather(writer(), *(reader() for _ in range(50)))
    await _barrier(r)
    assert await r.get("k") == b"300"


async def test_blocking_command_on_its_own_connection_is_read_back(clients):
    """BLPOP runs on a connection of its own: its invalidation reaches the tracked one
    later (held back here by pausing it), yet its key is gone from the cache when it
    returns."""
    r, other = clients
    await other.rpush("bl", "a", "b")
    assert await r.lrange("bl", 0, -1) == [b"a", b"b"]
    held = [c for c in (r.connection_pool.current, r.cache._redirect) if c is not None]
    for c in held:
        c._transport.pause_reading()  # the invalidations stay in the socket for now
    try:
        assert await r.blpop(["bl"], 1) is not None
        assert r.cache.stats()["entries"] == 0
    finally:
        for c in held:
            c._transport.resume_reading()
    assert await r.lrange("bl", 0, -1) == [b"b"]


async def test_watched_transaction_and_resp2_pipeline_are_read_back(clients):
    """A WATCHed transaction runs on a connection of its own (and in RESP2 every
    invalidation comes on the redirect connection): with the invalidations held back,
    what the batch wrote is still gone from the cache when execute() returns."""
    r, other = clients
    await other.set("wt", "v1")
    await other.set("pl", "p1")
    assert await r.get("wt") == b"v1"
    assert await r.get("pl") == b"p1"
    resp2 = r.cache._redirect is not None
    # where the invalidations come: held back there for now
    held = r.cache._redirect if resp2 else r.connection_pool.current
    held._transport.pause_reading()
    try:
        async with r.pipeline() as pipe:
            await pipe.watch("wt")
            pipe.multi()
            pipe.set("wt", "v2")
            assert await pipe.execute() == [True]
        assert r.cache.stats()["entries"] == 1
        if resp2:  # a plain pipeline on the shared connection is covered too
            async with r.pipeline(transaction=False) as pipe:
                pipe.set("pl", "p2")
                assert await pipe.execute() == [True]
            assert r.cache.stats()["entries"] == 0
    finally:
        held._transport.resume_reading()
    assert await r.get("wt") == b"v2"
    assert await r.get("pl") == (b"p2" if resp2 else b"p1")


async def test_lost_connection_drops_its_entries(clients, caplog):
    r, other = clients
    await other.set("k", "v1")
    await r.get("k")
    assert r.cache.stats()["entries"] == 1
    caplog.set_level(logging.INFO, logger="fastredis.cache")
    conn = r.connection_pool.current
    await other.execute_command("CLIENT", "KILL", "ID", conn.client_id or await _id_of(r))
    await conn.wait_closed()
    await other.set("k", "v2")  # no invalidation can reach us for this one
    assert await r.get("k") == b"v2"
    assert "dropping" in caplog.text or r.cache.stats()["entries"] <= 1


async def _id_of(r) -> int:
    return await r.client_id()


async def test_lost_redirect_connection_flushes(redis_server):
    r = fastredis.Redis(**redis_server.client_kwargs(protocol=2, cache=CacheConfig()))
    other = fastredis.Redis(**redis_server.client_kwargs())
    try:
        await other.set("k", "v1")
        assert await r.get("k") == b"v1"
        redirect = r.cache._redirect
        assert redirect is not None and redirect.client_id is not None
        await other.execute_command("CLIENT", "KILL", "ID", redirect.client_id)
        await redirect.wait_closed()
        await other.set("k", "v2")  # its invalidation went nowhere
        assert await r.get("k") == b"v2"  # tracking re-enabled towards a new redirect
        assert r.cache.stats()["flushes"] == 1
        await other.set("k", "v3")
        await _barrier(r)
        assert await r.get("k") == b"v3"
    finally:
        await r.aclose()
        await other.aclose()


async def test_memory_bound_with_1mb_values(redis_server, protocol):
    cfg = CacheConfig(max_bytes=3 * 1024 * 1024, max_entries=1000)
    r = fastredis.Redis(**redis_server.client_kwargs(protocol=protocol, cache=cfg))
    try:
        big = b"x" * (1024 * 1024)
        for i in range(10):
            await r.set(f"big{i}", big)
            assert await r.get(f"big{i}") == big
        st = r.cache.stats()
        assert st["bytes"] <= cfg.max_bytes
        assert 1 <= st["entries"] <= 3
        assert st["evictions"] >= 7
        # entries bound too
        small = fastredis.Redis(**redis_server.client_kwargs(
            protocol=protocol, cache=CacheConfig(max_entries=5)))
        try:
            for i in range(20):
                await small.get(f"s{i}")
            assert small.cache.stats()["entries"] == 5
            assert small.cache.stats()["evictions"] == 15
        finally:
            await small.aclose()
    finally:
        await r.aclose()


async def test_max_staleness_backstop(redis_server, monkeypatch):
    import fastredis.cache as cache_mod

    now = [1000.0]
    monkeypatch.setattr(cache_mod.time, "monotonic", lambda: now[0])
    r = fastredis.Redis(**redis_server.client_kwargs(
        protocol=3, cache=CacheConfig(max_staleness=5)))
    try:
        await r.set("k", "v")
        await r.get("k")
        await r.get("k")
        assert r.cache.stats()["hits"] == 1
        now[0] += 6
        await r.get("k")
        assert r.cache.stats()["hits"] == 1  # too old: fetched again
    finally:
        await r.aclose()


async def test_bad_options_are_refused():
    with pytest.raises(fastredis.DataError):
        fastredis.Redis(cache={"max_entries": 10})
    with pytest.raises(ValueError):
        CacheConfig(max_entries=0)
    with pytest.raises(ValueError):
        CacheConfig(max_staleness=-1)
    with pytest.raises(ValueError, match="max_shared"):
        fastredis.Redis(max_shared=4, cache=CacheConfig())


async def test_server_refusing_tracking_is_an_error(make_server):
    server = make_server(acl=["user default on nopass ~* &* +@all -client"])
    r = fastredis.Redis(**server.client_kwargs(protocol=3, cache=CacheConfig()))
    try:
        await r.set("k", "v")
        with pytest.raises(fastredis.RedisError, match="TRACKING"):
            await r.get("k")
        assert r.cache.stats()["entries"] == 0
    finally:
        await r.aclose()


def test_entries_of_another_event_loop_are_never_served(redis_server):
    """A client reused by a second asyncio.run(): the first loop's connection can no longer
    receive invalidations, so what it cached must not be served."""
    r = fastredis.Redis(**redis_server.client_kwargs(protocol=3, cache=CacheConfig()))

    async def first():
        await r.set("k", "v1")
        assert await r.get("k") == b"v1"
        assert await r.get("k") == b"v1"

    async def second():
        try:
            assert await r.get("k") == b"v2"
        finally:
            await r.aclose()

    import gc
    import warnings

    with warnings.catch_warnings():
        # the first loop's socket is left to the pool to let go (see test_core)
        warnings.simplefilter("ignore", ResourceWarning)
        asyncio.run(first())
        redis_server.cli("SET", "k", "v2")
        asyncio.run(second())
        gc.collect()


@pytest.mark.parametrize("protocol", [3, 2], ids=["resp3", "resp2"])
async def test_cancel_while_connecting_with_the_cache_leaks_nothing_past_aclose(redis_server, protocol):
    """500 cached reads cancelled at every stage of the connect, each client closed at once:
    no server connection and no fd is left. (On RESP2 the invalidation connection was
    still being opened when aclose() returned, and was kept afterwards: 20-44 left.)"""
    import random

    from faults import fd_count

    admin = fastredis.Redis(**redis_server.client_kwargs())
    me = await admin.client_id()

    async def others() -> int:
        return sum(1 for c in await admin.client_list() if int(c["id"]) != me)

    try:
        await eventually(others, 0)
        fds = fd_count()
        rnd = random.Random(6)
        for _ in range(500):
            r = fastredis.Redis(**redis_server.client_kwargs(protocol=protocol),
                                cache=CacheConfig())
            t = asyncio.ensure_future(r.get("k"))
            for _ in range(rnd.randrange(12)):
                await asyncio.sleep(0)  # land the cancel at every stage of the connect
            t.cancel()
            await r.aclose()
            try:
                await t
            except (asyncio.CancelledError, fastredis.ClientClosedError):
                pass
        assert await eventually(others, 0, timeout=5) == 0

        async def fds_now() -> int:
            return fd_count()

        assert await eventually(fds_now, fds) == fds
    finally:
        await admin.aclose()
