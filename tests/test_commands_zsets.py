import asyncio
import inspect

import pytest

import fastredis
from fastredis import DataError


async def test_zadd_options(r):
    assert await r.zadd("z", {"a": 1, "b": 2.5}) == 2
    assert await r.zadd("z", {"a": 5}, nx=True) == 0
    assert await r.zadd("z", {"a": 5, "c": 3}, xx=True, ch=True) == 1
    assert await r.zadd("z", {"a": 4}, gt=True, ch=True) == 0
    assert await r.zadd("z", {"a": 4}, lt=True, ch=True) == 1
    v = await r.zadd("z", {"a": 1.5}, incr=True)
    assert v == 5.5 and isinstance(v, float)
    assert await r.zadd("z", {"a": 1}, incr=True, nx=True) is None  # NX blocked it
    assert await r.zadd("z", {"x": "+inf"}) == 1
    assert await r.zscore("z", "x") == float("inf")
    for kwargs in ({"nx": True, "xx": True}, {"gt": True, "lt": True}, {"nx": True, "gt": True}):
        with pytest.raises(DataError):
            await r.zadd("z", {"a": 1}, **kwargs)
    with pytest.raises(DataError):
        await r.zadd("z", {"a": 1, "b": 2}, incr=True)
    with pytest.raises(DataError):
        await r.zadd("z", {})


async def test_scores_and_ranks(r):
    await r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert await r.zscore("z", "b") == 2.0
    assert await r.zscore("z", "zz") is None
    assert await r.zmscore("z", ["a", "zz", "c"]) == [1.0, None, 3.0]
    assert await r.zincrby("z", 0.5, "a") == 1.5
    assert await r.zcard("z") == 3
    assert await r.zcount("z", 2, "+inf") == 2
    assert await r.zcount("z", "(1.5", 3) == 2
    assert await r.zrank("z", "a") == 0
    assert await r.zrevrank("z", "a") == 2
    assert await r.zrank("z", "zz") is None
    assert await r.zrem("z", "a", "zz") == 1
    with pytest.raises(DataError):
        await r.zmscore("z", [])


async def test_ranges(r):
    await r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4})
    assert await r.zrange("z", 0, -1) == [b"a", b"b", b"c", b"d"]
    assert await r.zrange("z", 0, 1, withscores=True) == [(b"a", 1.0), (b"b", 2.0)]
    assert await r.zrange("z", 0, 1, desc=True) == [b"d", b"c"]
    # use_rev=True sends ZRANGE ... REV instead of ZREVRANGE (as redis-py 8.2)
    before = (await r.info("commandstats")).get("cmdstat_zrevrange", {}).get("calls", 0)
    assert await r.zrange("z", 0, 1, desc=True, use_rev=True) == [b"d", b"c"]
    assert await r.zrange("z", 0, 1, desc=True, use_rev=True, withscores=True) == [
        (b"d", 4.0), (b"c", 3.0)]
    after = (await r.info("commandstats")).get("cmdstat_zrevrange", {}).get("calls", 0)
    assert after == before
    assert await r.zrange("z", 0, 0, withscores=True, score_cast_func=int) == [(b"a", 1)]
    assert await r.zrange("z", 2, 3, byscore=True) == [b"b", b"c"]
    assert await r.zrange("z", 4, 2, byscore=True, desc=True, withscores=True) == [
        (b"d", 4.0), (b"c", 3.0), (b"b", 2.0)]
    assert await r.zrange("z", "-inf", "+inf", byscore=True, offset=1, num=2) == [b"b", b"c"]
    assert await r.zrange("z", "[b", "(d", bylex=True) == [b"b", b"c"]
    assert await r.zrevrange("z", 0, 1, withscores=True) == [(b"d", 4.0), (b"c", 3.0)]
    assert await r.zrangebyscore("z", 2, 3) == [b"b", b"c"]
    assert await r.zrangebyscore("z", "-inf", "+inf", start=1, num=1, withscores=True) == [(b"b", 2.0)]
    assert await r.zrevrangebyscore("z", 3, 2, withscores=True) == [(b"c", 3.0), (b"b", 2.0)]
    assert await r.zrangebylex("z", "-", "[b") == [b"a", b"b"]
    assert await r.zrevrangebylex("z", "+", "[c", start=0, num=1) == [b"d"]
    assert await r.zlexcount("z", "-", "+") == 4
    assert await r.zrange("nokey", 0, -1, withscores=True) == []
    assert await r.zrangestore("dst", "z", 0, 1) == 2
    with pytest.raises(DataError):
        await r.zrange("z", 0, 1, byscore=True, bylex=True)
    with pytest.raises(DataError):
        await r.zrange("z", 0, 1, byscore=True, offset=1)
    with pytest.raises(DataError):
        await r.zrange("z", "-", "+", bylex=True, withscores=True)
    with pytest.raises(DataError):
        await r.zrangebyscore("z", 0, 1, start=1)


async def test_remrange(r):
    await r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    assert await r.zremrangebyrank("z", 0, 0) == 1
    assert await r.zremrangebyscore("z", 2, 3) == 2
    assert await r.zremrangebylex("z", "[d", "[d") == 1
    assert await r.zrange("z", 0, -1) == [b"e"]


async def test_pops(r):
    await r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert await r.zpopmin("z") == [(b"a", 1.0)]
    assert await r.zpopmax("z", 5) == [(b"c", 3.0), (b"b", 2.0)]
    assert await r.zpopmin("z") == []
    assert await r.bzpopmin("z", timeout=0.05) is None
    await r.zadd("z", {"a": 1, "b": 2})
    assert await r.bzpopmin(["nokey", "z"], timeout=1) == (b"z", b"a", 1.0)
    assert await r.bzpopmax("z", 1) == (b"z", b"b", 2.0)
    assert await r.bzpopmax(["z"], timeout=0.05) is None


async def test_bzpopmin_waits_on_its_own_connection(r):
    pop = asyncio.ensure_future(r.bzpopmin("z", timeout=2))
    try:
        ping = asyncio.ensure_future(r.ping())
        done, _ = await asyncio.wait({pop, ping}, return_when=asyncio.FIRST_COMPLETED)
        assert ping in done and not pop.done()
        await r.zadd("z", {"m": 7})
        assert await pop == (b"z", b"m", 7.0)
    finally:
        pop.cancel()


async def test_aggregates(r):
    await r.zadd("a", {"x": 1, "y": 2})
    await r.zadd("b", {"y": 10, "z": 20})
    assert await r.zunionstore("u", ["a", "b"]) == 3
    assert await r.zrange("u", 0, -1, withscores=True) == [(b"x", 1.0), (b"y", 12.0), (b"z", 20.0)]
    assert await r.zinterstore("i", {"a": 2, "b": 1}) == 1
    assert await r.zscore("i", "y") == 14.0
    assert await r.zinterstore("i", ["a", "b"], aggregate="MAX") == 1
    assert await r.zscore("i", "y") == 10.0
    assert await r.zunion(["a", "b"], aggregate="min", withscores=True) == [
        (b"x", 1.0), (b"y", 2.0), (b"z", 20.0)]
    assert await r.zinter(["a", "b"]) == [b"y"]
    with pytest.raises(DataError):
        await r.zunionstore("u", ["a"], aggregate="avg")
    with pytest.raises(DataError):
        await r.zunionstore("u", {"a": None})


async def test_zscan_and_random(r):
    members = {f"m{i}": i for i in range(50)}
    await r.zadd("z", members)
    cursor, batch = await r.zscan("z", count=5)
    assert isinstance(cursor, int)
    assert all(isinstance(s, float) for _, s in batch)
    assert inspect.isasyncgen(r.zscan_iter("z"))
    got = {m: s async for m, s in r.zscan_iter("z", count=7)}
    assert got == {k.encode(): float(v) for k, v in members.items()}
    got = [p async for p in r.zscan_iter("z", match="m1", score_cast_func=int)]
    assert got == [(b"m1", 1)]
    assert await r.zrandmember("z") in {k.encode() for k in members}
    assert len(await r.zrandmember("z", 3)) == 3
    flat = await r.zrandmember("z", 2, withscores=True)  # redis-py's flat RESP2 shape
    assert len(flat) == 4


async def test_decode_responses(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        await c.zadd("z", {"a": 1, "é": 2})
        assert await c.zrange("z", 0, -1, withscores=True) == [("a", 1.0), ("é", 2.0)]
        assert await c.zscore("z", "é") == 2.0
        assert await c.zpopmax("z") == [("é", 2.0)]
        assert await c.zscan("z") == (0, [("a", 1.0)])
        assert await c.bzpopmin("z", 1) == ("z", "a", 1.0)
        assert await c.zadd("z", {"a": 1}, incr=True) == 1.0
    finally:
        await c.aclose()


async def test_resp3_shapes_match_resp2(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(protocol=3))
    try:
        await c.zadd("z", {"a": 1, "b": 2})
        assert await c.zrange("z", 0, -1, withscores=True) == [(b"a", 1.0), (b"b", 2.0)]
        assert await c.zscore("z", "a") == 1.0
        assert await c.zmscore("z", ["a", "x"]) == [1.0, None]
        assert await c.zpopmin("z") == [(b"a", 1.0)]
        assert await c.zpopmax("z", 1) == [(b"b", 2.0)]
        await c.zadd("z", {"a": 1})
        assert await c.bzpopmin("z", 1) == (b"z", b"a", 1.0)
    finally:
        await c.aclose()


@pytest.mark.parametrize("bad", [None, True, {"a": 1}, ["a", ["b"]], object()])
async def test_data_errors_keep_connection_usable(r, bad):
    with pytest.raises(DataError):
        await r.zadd("z", {"ok": 1, "m": bad})  # a bad score
    if not isinstance(bad, (dict, list)):  # hashable: can be a member
        with pytest.raises(DataError):
            await r.zadd("z", {"ok": 1, bad: 1})
    if not isinstance(bad, dict):
        with pytest.raises(DataError):
            await r.zadd("z", bad)  # not a mapping
    with pytest.raises(DataError):
        await r.zscore("z", bad)
    with pytest.raises(DataError):
        await r.zrange("z", bad, -1)
    with pytest.raises(DataError):
        await r.bzpopmin(["z", bad], timeout=0.05)
    assert await r.exists("z") == 0
    assert await r.ping() is True
    assert await r.zadd("z", {"m": 1}) == 1
