import inspect

import pytest

import fastredis
from fastredis import DataError


async def test_basic(r):
    assert await r.sadd("s", "a", "b", "c") == 3
    assert await r.sadd("s", "a") == 0
    assert await r.smembers("s") == {b"a", b"b", b"c"}
    assert await r.smembers("nokey") == set()
    assert await r.sismember("s", "a") is True
    assert await r.sismember("s", "z") is False
    assert await r.smismember("s", ["a", "z", "c"]) == [True, False, True]
    assert await r.smismember("s", "a", "z") == [True, False]
    assert await r.scard("s") == 3
    assert await r.srem("s", "a", "z") == 1
    assert await r.smove("s", "t", "b") is True
    assert await r.smove("s", "t", "zz") is False
    assert await r.smembers("t") == {b"b"}


async def test_pop_and_random(r):
    await r.sadd("s", "a", "b", "c")
    assert await r.srandmember("s") in (b"a", b"b", b"c")
    assert sorted(await r.srandmember("s", 2)) in ([b"a", b"b"], [b"a", b"c"], [b"b", b"c"])
    assert len(await r.srandmember("s", -5)) == 5  # negative: repeats allowed
    assert await r.spop("s") in (b"a", b"b", b"c")
    assert len(await r.spop("s", 5)) == 2
    assert await r.spop("s") is None
    assert await r.srandmember("s") is None


async def test_algebra(r):
    await r.sadd("a", 1, 2, 3)
    await r.sadd("b", 2, 3, 4)
    assert await r.sinter("a", "b") == {b"2", b"3"}
    assert await r.sinter(["a", "b"]) == {b"2", b"3"}
    assert await r.sunion(["a", "b"]) == {b"1", b"2", b"3", b"4"}
    assert await r.sdiff("a", "b") == {b"1"}
    assert await r.sdiff("nokey", "a") == set()
    assert await r.sinterstore("i", ["a", "b"]) == 2
    assert await r.sunionstore("u", "a", "b") == 4
    assert await r.sdiffstore("d", ["a", "b"]) == 1
    assert await r.smembers("d") == {b"1"}
    assert await r.sintercard(2, ["a", "b"]) == 2
    assert await r.sintercard(2, ["a", "b"], limit=1) == 1


async def test_sscan(r):
    members = {f"m{i}".encode() for i in range(60)}
    await r.sadd("s", *members)
    cursor, batch = await r.sscan("s", count=5)
    assert isinstance(cursor, int) and isinstance(batch, list)
    assert inspect.isasyncgen(r.sscan_iter("s"))
    assert {m async for m in r.sscan_iter("s", count=7)} == members
    assert {m async for m in r.sscan_iter("s", match="m1*")} == {m for m in members if m.startswith(b"m1")}
    assert await r.sscan("nokey") == (0, [])


async def test_decode_responses(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        await c.sadd("s", "a", "é")
        assert await c.smembers("s") == {"a", "é"}
        assert await c.sinter("s", "s") == {"a", "é"}
        assert await c.smismember("s", "a", "x") == [True, False]
        cursor, batch = await c.sscan("s")
        assert cursor == 0 and sorted(batch) == ["a", "é"]
    finally:
        await c.aclose()


async def test_resp3_set_reply(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(protocol=3))
    try:
        await c.sadd("s", "a", "b")
        assert await c.smembers("s") == {b"a", b"b"}
        assert await c.sunion("s", "nokey") == {b"a", b"b"}
    finally:
        await c.aclose()


@pytest.mark.parametrize("bad", [None, True, {"a": 1}, ["a", ["b"]], object()])
async def test_data_errors_keep_connection_usable(r, bad):
    with pytest.raises(DataError):
        await r.sadd("s", "ok", bad)
    with pytest.raises(DataError):
        await r.sismember("s", bad)
    with pytest.raises(DataError):
        await r.sinter(bad)
    with pytest.raises(DataError):
        await r.smismember("s", ["a", bad])
    assert await r.exists("s") == 0
    assert await r.ping() is True
    assert await r.sadd("s", "x") == 1
