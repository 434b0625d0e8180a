import datetime

import pytest

import fastredis
from fastredis import DataError


async def test_set_options(r):
    assert await r.set("k", "v") is True
    assert await r.set("k", "w", nx=True) is None
    assert await r.set("k", "w", xx=True) is True
    assert await r.set("new", "w", xx=True) is None
    assert await r.set("k", "x", get=True) == b"w"
    assert await r.set("k", "v", ex=100) is True
    assert 0 < await r.ttl("k") <= 100
    assert await r.set("k", "v", px=datetime.timedelta(seconds=5)) is True
    assert 0 < await r.pttl("k") <= 5000
    assert await r.set("k", "v2", keepttl=True) is True
    assert await r.ttl("k") > 0
    at = int(datetime.datetime.now().timestamp()) + 50
    assert await r.set("k", "v", exat=at) is True
    assert await r.set("k", "v", pxat=at * 1000) is True
    with pytest.raises(DataError):
        await r.set("k", "v", nx=True, xx=True)


async def test_get_family(r):
    assert await r.get("k") is None
    assert await r.setnx("k", "1") is True
    assert await r.setnx("k", "2") is False
    assert await r.getset("k", "3") == b"1"
    assert await r.setex("e", 100, "v") is True
    assert await r.psetex("p", 100000, "v") is True
    assert await r.getex("e", persist=True) == b"v"
    assert await r.ttl("e") == -1
    assert await r.getex("e", ex=10) == b"v"
    assert 0 < await r.ttl("e") <= 10
    assert await r.getdel("k") == b"3"
    assert await r.get("k") is None


async def test_multi_key(r):
    assert await r.mset({"a": 1, "b": "2"}) is True
    assert await r.mget("a", "b", "zz") == [b"1", b"2", None]
    assert await r.mget(["a", "b"]) == [b"1", b"2"]
    assert await r.msetnx({"a": 5, "c": 6}) is False
    assert await r.msetnx({"c": 6, "d": 7}) is True


async def test_counters(r):
    assert await r.incr("n") == 1
    assert await r.incr("n", 5) == 6
    assert await r.incrby("n", 2) == 8
    assert await r.decr("n") == 7
    assert await r.decrby("n", 3) == 4
    v = await r.incrbyfloat("f", 1.25)
    assert v == 1.25 and isinstance(v, float)
    await r.set("s", "x")
    with pytest.raises(fastredis.ResponseError):
        await r.incr("s")


async def test_ranges_and_bits(r):
    assert await r.append("s", "Hello") == 5
    assert await r.append("s", " World") == 11
    assert await r.strlen("s") == 11
    assert await r.getrange("s", 0, 4) == b"Hello"
    assert await r.substr("s", -5, -1) == b"World"
    assert await r.setrange("s", 6, "Redis") == 11
    assert await r.get("s") == b"Hello Redis"
    assert await r.setbit("b", 7, 1) == 0
    assert await r.setbit("b", 7, True) == 1
    assert await r.getbit("b", 7) == 1
    assert await r.bitcount("b") == 1
    assert await r.bitcount("s", 0, 0) == 2  # "H" = 0b01001000
    assert await r.bitpos("b", 1) == 7
    await r.set("x", b"\xff")
    assert await r.bitop("AND", "y", "b", "x") == 1
    assert await r.get("y") == b"\x01"
    await r.set("l1", "ohmytext")
    await r.set("l2", "mynewtext")
    assert await r.lcs("l1", "l2") == b"mytext"
    with pytest.raises(DataError):
        await r.bitcount("b", 0)


async def test_decode_responses(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        assert await c.set("k", "é") is True
        assert await c.get("k") == "é"
        assert await c.set("k", "x", get=True) == "é"
        assert await c.mget("k", "zz") == ["x", None]
        assert await c.mset({"a": 1}) is True
        assert await c.setex("e", 10, "v") is True
        assert await c.incrbyfloat("f", 0.5) == 0.5
    finally:
        await c.aclose()


async def test_binary_values_round_trip(r):
    blob = bytes(range(256))
    assert await r.set("bin", blob) is True
    assert await r.get("bin") == blob
    assert await r.set("mv", memoryview(blob)) is True
    assert await r.get("mv") == blob


@pytest.mark.parametrize("bad", [None, True, {"a": 1}, ["a", ["b"]], object()])
async def test_data_errors_keep_connection_usable(r, bad):
    with pytest.raises(DataError):
        await r.set("k", bad)
    with pytest.raises(DataError):
        await r.set(bad, "v")
    with pytest.raises(DataError):
        await r.get(bad)
    with pytest.raises(DataError):
        await r.mget(["a", bad])
    with pytest.raises(DataError):
        await r.mset({"a": 1, "k": bad})
    with pytest.raises(DataError):
        await r.incrby("n", bad)
    assert await r.exists("k", "a", "n") == 0  # nothing partial was sent
    assert await r.ping() is True
    assert await r.set("k", "v") is True


async def test_mget_refuses_a_dict(r):
    with pytest.raises(DataError):
        await r.mget({"a": 1})
    with pytest.raises(DataError):
        await r.mset([("a", 1)])
    assert await r.ping() is True
