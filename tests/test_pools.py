"""Pool limits with redis-py's semantics: ``ConnectionPool(max_connections=N)`` raises
MaxConnectionsError at once, ``BlockingConnectionPool`` waits up to ``timeout``; the
shared multiplexed connection is never counted."""

from __future__ import annotations

import asyncio

import pytest

import fastredis
from fastredis import BlockingConnectionPool, ConnectionPool, MaxConnectionsError


async def _hold(r, key: str):
    """An exclusive connection held by a BLPOP until ``key`` is pushed."""
    return asyncio.ensure_future(r.blpop([key], timeout=0))


async def _blocked(r, n: int) -> None:
    from tests.conftest import eventually

    async def count():
        return int((await r.info("clients"))["blocked_clients"])

    assert await eventually(count, n) == n


async def test_connection_pool_raises_at_once_beyond_max_connections(redis_server):
    pool = ConnectionPool(**redis_server.client_kwargs(max_connections=2))
    r = fastredis.Redis(connection_pool=pool)
    try:
        ps = r.pubsub()
        await ps.subscribe("c")
        held = await _hold(r, "q")
        await _blocked(r, 1)
        with pytest.raises(MaxConnectionsError, match="max_connections=2") as info:
            await asyncio.wait_for(r.blpop(["other"], timeout=1), 5)  # no wait, no hang
        assert isinstance(info.value, fastredis.ConnectionError)
        with pytest.raises(MaxConnectionsError):
            async with r.pipeline() as pipe:
                await pipe.watch("w")
        # plain commands share the multiplexed connection: never counted
        assert await r.set("k", "v") is True and await r.get("k") == b"v"
        await r.lpush("q", "x")
        assert await held == (b"q", b"x")
        assert await r.blpop(["other"], timeout=0.01) is None  # a slot is free again
        await ps.aclose()
    finally:
        await r.aclose()
        await pool.aclose()


async def test_blocking_pool_waits_for_a_release_then_proceeds(redis_server):
    pool = BlockingConnectionPool(**redis_server.client_kwargs(max_connections=1, timeout=None))
    assert (pool.max_connections, pool.timeout) == (1, None)
    r = fastredis.Redis(connection_pool=pool)
    try:
        held = await _hold(r, "q1")
        await _blocked(r, 1)
        waiting = asyncio.ensure_future(r.blpop(["q2"], timeout=0))
        # it waits for the slot (not on the server): plain commands still run meanwhile
        for _ in range(5):
            assert await r.ping() is True
        assert not waiting.done()
        assert int((await r.info("clients"))["blocked_clients"]) == 1
        await r.lpush("q1", "a")
        assert await held == (b"q1", b"a")
        await _blocked(r, 1)  # the waiter got the released connection and blocks now
        await r.lpush("q2", "b")
        assert await waiting == (b"q2", b"b")
    finally:
        await r.aclose()
        await pool.aclose()


async def test_blocking_pool_times_out_with_redis_pys_error(redis_server):
    timeout = 0.2
    pool = BlockingConnectionPool(**redis_server.client_kwargs(max_connections=1, timeout=timeout))
    r = fastredis.Redis(connection_pool=pool)
    try:
        held = await _hold(r, "q")
        await _blocked(r, 1)
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(fastredis.ConnectionError, match=r"^No connection available\.$") as info:
            await r.blpop(["other"], timeout=0)
        waited = loop.time() - start
        assert not isinstance(info.value, MaxConnectionsError)
        assert timeout * 0.9 <= waited < timeout + 2.0
        assert await r.get("nothing") is None  # shared connection unaffected
        await r.lpush("q", "x")
        assert await held == (b"q", b"x")
    finally:
        await r.aclose()
        await pool.aclose()


def test_blocking_pool_options_and_urls():
    p = BlockingConnectionPool()
    assert (p.max_connections, p.timeout) == (50, 20.0)  # redis-py's defaults
    p = BlockingConnectionPool.from_url("redis://localhost/1?timeout=3&max_connections=7")
    assert isinstance(p, BlockingConnectionPool)
    assert (p.max_connections, p.timeout, p.params.db) == (7, 3.0, 1)
    p = BlockingConnectionPool.from_url("redis://localhost", timeout=None)
    assert p.timeout is None
    with pytest.raises(TypeError, match="BlockingConnectionPool"):
        ConnectionPool(host="localhost", timeout=3)
    with pytest.raises(TypeError, match="BlockingConnectionPool"):
        fastredis.Redis.from_url("redis://localhost?timeout=3")
    with pytest.raises(ValueError, match="timeout"):
        BlockingConnectionPool(timeout=-1)
    assert "BlockingConnectionPool" in repr(p)


async def test_a_released_slot_wakes_exactly_one_waiter(redis_server):
    """Three waiters, one slot, released three times: each gets it in turn (FIFO)."""
    pool = BlockingConnectionPool(**redis_server.client_kwargs(max_connections=1, timeout=10))
    r = fastredis.Redis(connection_pool=pool)
    try:
        held = await _hold(r, "h")
        await _blocked(r, 1)
        order: list[int] = []
        served = [asyncio.Event() for _ in range(3)]

        async def take(i: int) -> None:
            await r.blpop([f"w{i}"], timeout=0)
            order.append(i)
            served[i].set()

        waiters = [asyncio.ensure_future(take(i)) for i in range(3)]
        await r.lpush("h", "x")
        await held
        for i in range(3):
            await _blocked(r, 1)
            await r.lpush(f"w{i}", "x")
            await asyncio.wait_for(served[i].wait(), 5)
        await asyncio.gather(*waiters)
        assert order == [0, 1, 2]
    finally:
        await r.aclose()
        await pool.aclose()


def _slow_opening(pool, monkeypatch) -> asyncio.Event:
    """Connections of ``pool`` take for ever to open; the event is set once one started."""
    started = asyncio.Event()

    async def never(**kw):
        started.set()
        await asyncio.get_running_loop().create_future()  # until cancelled

    monkeypatch.setattr(pool, "_new_connection", never)
    return started


@pytest.mark.parametrize("how", ["disconnect", "aclose"])
async def test_a_caller_waiting_for_a_connection_is_told_why_never_cancelled(redis_server, monkeypatch, how):
    # disconnect() (a cluster node that left the map) or aclose() while commands wait for
    # the connection being opened: they fail as in-flight commands do (ConnectionError,
    # ClientClosedError), not with a CancelledError nobody asked for. A cluster read
    # waiting there was given CancelledError and could not retry on the new primary.
    from fastredis import ClientClosedError, ConnectionError

    r = fastredis.Redis(**redis_server.client_kwargs())
    pool = r.connection_pool
    started = _slow_opening(pool, monkeypatch)
    shared = [asyncio.create_task(r.get("k")) for _ in range(3)]
    exclusive = asyncio.create_task(pool.acquire())
    await started.wait()  # (every caller is waiting by then: they ran first)
    if how == "disconnect":
        await pool.disconnect()
    else:
        await pool.aclose()
    for task in [*shared, exclusive]:
        with pytest.raises(ConnectionError) as info:
            await task
        assert isinstance(info.value, ClientClosedError) == (how == "aclose")
    await r.aclose()


async def test_a_caller_cancelled_while_its_connection_opens_is_cancelled(redis_server, monkeypatch):
    r = fastredis.Redis(**redis_server.client_kwargs())
    pool = r.connection_pool
    started = _slow_opening(pool, monkeypatch)
    shared = asyncio.create_task(r.get("k"))
    exclusive = asyncio.create_task(pool.acquire())
    await started.wait()
    for task in (shared, exclusive):
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    await r.aclose()
