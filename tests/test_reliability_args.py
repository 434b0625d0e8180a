"""Issue 5, case 15: a bad argument is a DataError before a single byte is sent, and the
connection it would have used stays usable (nothing half-written, no waiter queued)."""

from __future__ import annotations

import asyncio

import pytest
from faults import FaultProxy

import fastredis

DEADLINE = 10


class Opaque:
    pass


BAD = [None, True, False, {"a": 1}, [1, [2]], ("x",), object(), Opaque(), {1, 2}]
BAD_IDS = ["None", "True", "False", "dict", "nested-list", "tuple", "object", "instance", "set"]


def _calls(bad):
    """(name, call) pairs: each call must refuse ``bad``."""
    return [
        ("get", lambda r: r.get(bad)),
        ("set-value", lambda r: r.set("k", bad)),
        ("set-key", lambda r: r.set(bad, "v")),
        ("mset", lambda r: r.mset({"k": bad})),
        ("hset", lambda r: r.hset("h", "f", bad)),
        ("hset-mapping", lambda r: r.hset("h", mapping={"f": bad})),
        ("lpush", lambda r: r.lpush("l", "ok", bad)),
        ("rpush", lambda r: r.rpush(bad, "x")),
        ("sadd", lambda r: r.sadd("s", bad)),
        ("zadd-member", lambda r: r.zadd("z", {bad: 1} if _hashable(bad) else {"m": bad})),
        ("xadd", lambda r: r.xadd("x", {"f": bad})),
        ("publish", lambda r: r.publish("ch", bad)),
        ("execute_command", lambda r: r.execute_command("SET", "k", bad)),
    ]


def _hashable(v) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


@pytest.fixture
async def proxied(redis_server, redis):
    async with FaultProxy(redis_server.port) as proxy:
        client = fastredis.Redis(**proxy.client_kwargs())
        try:
            yield proxy, client
        finally:
            await client.aclose()


@pytest.mark.parametrize("bad", BAD, ids=BAD_IDS)
async def test_bad_arguments_are_refused_before_sending(proxied, redis, bad):
    proxy, client = proxied
    assert await client.ping() is True
    conn = client.connection_pool.current
    sets_before = (await redis.info("commandstats")).get("cmdstat_set", {}).get("calls", 0)
    for name, call in _calls(bad):
        sent = proxy.c2s_bytes
        with pytest.raises(fastredis.DataError):
            # the DataError may come from the call itself or from awaiting it
            await asyncio.wait_for(call(client), DEADLINE)
        await asyncio.sleep(0)  # let any write gathered in this iteration go out
        assert proxy.c2s_bytes == sent, f"{name}: bytes were sent for {bad!r}"
        assert conn.pending == 0, name
    # the connection is untouched and usable
    assert await client.set("k", "fine") is True
    assert await client.get("k") == b"fine"
    assert client.connection_pool.current is conn and not conn.closed
    sets_after = (await redis.info("commandstats")).get("cmdstat_set", {}).get("calls", 0)
    assert sets_after == sets_before + 1


async def test_bad_argument_in_a_pipeline_is_refused_at_queue_time(proxied):
    proxy, client = proxied
    await client.ping()
    sent = proxy.c2s_bytes
    pipe = client.pipeline(transaction=True)
    pipe.set("a", "1")
    with pytest.raises(fastredis.DataError):
        pipe.set("b", None)
    with pytest.raises(fastredis.DataError):
        pipe.lpush("l", object())
    assert proxy.c2s_bytes == sent
    assert await pipe.execute() == [True]
    assert await client.get("a") == b"1"


async def test_bad_argument_mid_batch_does_not_break_the_others(proxied):
    """Many tasks in one loop iteration: one refuses its argument, the rest are sent."""
    proxy, client = proxied
    await client.ping()
    results = await asyncio.wait_for(asyncio.gather(
        *(client.set(f"k{i}", None if i == 7 else i) for i in range(20)),
        return_exceptions=True,
    ), DEADLINE)
    assert isinstance(results[7], fastredis.DataError)
    assert all(r is True for i, r in enumerate(results) if i != 7)
    assert await client.mget([f"k{i}" for i in range(20)]) == [
        None if i == 7 else str(i).encode() for i in range(20)
    ]
    assert client.connection_pool.current.pending == 0
