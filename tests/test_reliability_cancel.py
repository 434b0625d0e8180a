"""Issue 5, cases 1-3: cancellation and timeouts never misroute a reply, never leak.

A reply's place in the FIFO belongs to the connection (DESIGN.md): a cancelled or
timed-out caller's reply is dropped when it arrives and the next caller gets its own.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
import warnings

import pytest
from faults import FaultProxy, fd_count

import fastredis
from fastredis._protocol import pack

DEADLINE = 10


@pytest.fixture
async def proxy(redis_server):
    async with FaultProxy(redis_server.port) as p:
        yield p


@pytest.fixture
async def pr(proxy, redis):
    """A client that talks to the session server through the fault proxy."""
    client = fastredis.Redis(**proxy.client_kwargs())
    try:
        yield client
    finally:
        await client.aclose()


async def _sent(proxy: FaultProxy, start: int, *args) -> None:
    await asyncio.wait_for(proxy.wait_c2s(start + len(pack(args))), DEADLINE)


# ---------------------------------------------------------------------------- case 1
async def test_cancel_after_send_keeps_connection_and_order(pr, proxy, redis):
    await redis.set("foo", "foo")
    await redis.set("bar", "bar")
    cid = await pr.client_id()
    conn = pr.connection_pool.current
    assert conn is not None

    proxy.hold_replies()
    start = proxy.c2s_bytes
    task = asyncio.ensure_future(pr.get("foo"))
    await _sent(proxy, start, "GET", "foo")  # GET foo reached the server
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert conn.pending == 1  # its reply is still owed by the server: its place is kept

    bar = asyncio.ensure_future(pr.get("bar"))
    await _sent(proxy, start, "GET", "foo")
    proxy.release_replies()
    assert await asyncio.wait_for(bar, DEADLINE) == b"bar"
    assert await asyncio.wait_for(pr.get("foo"), DEADLINE) == b"foo"

    assert pr.connection_pool.current is conn and not conn.closed
    assert await pr.client_id() == cid
    assert conn.pending == 0
    assert proxy.accepted == 1


@pytest.mark.parametrize("transaction", [False, True])
async def test_cancel_pipeline_after_send_keeps_connection(pr, proxy, redis, transaction):
    await redis.mset({"foo": "foo", "bar": "bar", "baz": "baz"})
    cid = await pr.client_id()
    conn = pr.connection_pool.current

    proxy.hold_replies()
    start = proxy.c2s_bytes
    pipe = pr.pipeline(transaction=transaction)
    pipe.get("foo").get("bar").incr("n")
    task = asyncio.ensure_future(pipe.execute())
    expected = len(pack(("GET", "foo"))) + len(pack(("GET", "bar"))) + len(pack(("INCR", "n")))
    if transaction:
        expected += len(pack(("MULTI",))) + len(pack(("EXEC",)))
    await asyncio.wait_for(proxy.wait_c2s(start + expected), DEADLINE)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    after = asyncio.ensure_future(pr.get("baz"))
    proxy.release_replies()
    assert await asyncio.wait_for(after, DEADLINE) == b"baz"
    assert await pr.get("bar") == b"bar"
    assert await pr.get("foo") == b"foo"
    # a cancelled command may still have run on the server (docs/reliability.md)
    assert await redis.get("n") == b"1"
    assert pr.connection_pool.current is conn and not conn.closed
    assert await pr.client_id() == cid
    assert conn.pending == 0


async def test_cancel_before_send_sends_nothing(pr, proxy, redis):
    await pr.ping()
    start = proxy.c2s_bytes
    task = asyncio.ensure_future(pr.get("foo"))
    task.cancel()  # before its first step: never written
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await pr.ping() is True
    assert proxy.c2s_bytes == start + len(pack(("PING",)))
    assert pr.connection_pool.current.pending == 0


# ---------------------------------------------------------------------------- case 2
async def _random_cancel_round(client, keys, rng, conn_check) -> tuple[int, int]:
    """Start GETs for ``keys`` concurrently; cancel a random third of them at a random
    point (before the write, after it, after the reply). Returns (ok, cancelled)."""
    tasks = [asyncio.ensure_future(client.get(k)) for k in keys]
    plan = [(t, rng.randrange(6)) for t in tasks if rng.random() < 0.35]

    async def canceller() -> None:
        # cancel at random loop iterations: 0 = before the task's first step
        for step in range(6):
            for t, when in plan:
                if when == step:
                    t.cancel()
            await asyncio.sleep(0)

    await canceller()
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    ok = cancelled = 0
    for k, res in zip(keys, results):
        if isinstance(res, asyncio.CancelledError):
            cancelled += 1
            continue
        assert not isinstance(res, BaseException), res
        assert res == b"v:" + k.encode(), (k, res)
        ok += 1
    conn_check()
    return ok, cancelled


async def _clients(redis) -> int:
    return (await redis.info("clients"))["connected_clients"]


async def _gets_run(redis) -> int:
    stats = await redis.info("commandstats")
    return stats.get("cmdstat_get", {}).get("calls", 0)


async def _storm(client, redis, n: int, batch: int, seed: int) -> None:
    rng = random.Random(seed)
    keys = [f"k{i}:{'x' * (i % 37)}" for i in range(n)]
    for i in range(0, n, 500):
        await redis.mset({k: "v:" + k for k in keys[i:i + 500]})
    await client.ping()
    conn = client.connection_pool.current
    clients_before = await _clients(redis)
    fds_before = fd_count()
    gets_before = await _gets_run(redis)

    def same_connection() -> None:
        assert client.connection_pool.current is conn and not conn.closed

    total_ok = total_cancelled = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        for i in range(0, n, batch):
            ok, cancelled = await _random_cancel_round(client, keys[i:i + batch], rng, same_connection)
            total_ok += ok
            total_cancelled += cancelled
        # the last cancelled replies are drained by the next round trip
        assert await client.ping() is True
        assert conn.pending == 0
        gc.collect()
    assert total_ok + total_cancelled == n
    assert total_ok > n // 2 and total_cancelled > n // 10
    # both kinds of cancellation happened: after the request was sent (the server ran
    # it, its reply was dropped on arrival) and before (nothing was sent)
    in_flight = await _gets_run(redis) - gets_before - total_ok
    assert 0 < in_flight < total_cancelled, (in_flight, total_cancelled)
    assert await _clients(redis) == clients_before
    assert fd_count() == fds_before


async def test_ten_thousand_randomly_cancelled_gets_one_byte_chunks(pr, proxy, redis):
    # every reply reaches the client split byte by byte (one read per byte, measured),
    # so cancellation lands at every point of a partly received reply
    proxy.chunk_size = 1
    t0 = time.monotonic()
    await _storm(pr, redis, 10_000, 200, seed=7)
    assert time.monotonic() - t0 < 60


async def test_ten_thousand_randomly_cancelled_gets_direct(redis):
    # the same over a direct connection, where whole batches of replies arrive at once
    params = redis.connection_pool.params
    client = fastredis.Redis(host=params.host, port=params.port)
    try:
        await _storm(client, redis, 10_000, 400, seed=5)
    finally:
        await client.aclose()


# ---------------------------------------------------------------------------- case 3
async def test_timeout_keeps_client_usable(make_server):
    server = make_server(config={"enable-debug-command": "yes"})
    client = fastredis.Redis(**server.client_kwargs(socket_timeout=0.2))
    other = fastredis.Redis(**server.client_kwargs())
    try:
        await other.set("mine", "mine")
        await client.ping()
        conn = client.connection_pool.current
        sleeper = asyncio.ensure_future(other.execute_command("DEBUG", "SLEEP", "0.5"))

        async def until_timeout() -> BaseException:
            # GETs answered before the server fell asleep are fine; the first one sent
            # while it sleeps must time out (bounded by the wait_for below)
            while True:
                try:
                    assert await client.get("mine") == b"mine"
                except fastredis.TimeoutError as exc:
                    return exc

        exc = await asyncio.wait_for(until_timeout(), DEADLINE)
        assert isinstance(exc, TimeoutError)  # the builtin too
        assert await asyncio.wait_for(sleeper, DEADLINE) in (b"OK", "OK")
        # the next command gets its own reply, not the late one of the timed-out GET
        assert await client.echo("next") == b"next"
        assert await client.get("mine") == b"mine"
        assert client.connection_pool.current is conn and conn.pending == 0
    finally:
        await client.aclose()
        await other.aclose()


async def test_cancelled_blpop_closes_its_connection_and_loses_nothing(redis):
    await redis.execute_command("DEL", "q")
    exclusive_before = redis.connection_pool.connection_count()
    task = asyncio.ensure_future(redis.execute_command("BLPOP", "q", 0))

    async def blocked() -> None:
        while (await redis.info("clients"))["blocked_clients"] < 1:
            await asyncio.sleep(0)

    await asyncio.wait_for(blocked(), DEADLINE)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async def unblocked() -> None:
        # the server must have seen the close before we push, or it would hand the
        # value to the vanished client (a race no client can close; see the docs)
        while (await redis.info("clients"))["blocked_clients"] > 0:
            await asyncio.sleep(0)

    await asyncio.wait_for(unblocked(), DEADLINE)
    assert redis.connection_pool.connection_count() == exclusive_before
    assert await redis.execute_command("LPUSH", "q", "value") == 1
    assert await redis.execute_command("LRANGE", "q", 0, -1) == [b"value"]
