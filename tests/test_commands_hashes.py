import inspect

import pytest

import fastredis
from fastredis import DataError


async def test_hset_forms(r):
    assert await r.hset("h", "a", "1") == 1
    assert await r.hset("h", "a", "2") == 0
    assert await r.hset("h", mapping={"b": 2, "c": 3.5}) == 2
    assert await r.hset("h", items=["d", "4", "e", "5"]) == 2
    assert await r.hset("h", "f", 6, mapping={"g": 7}, items=["i", 8]) == 3
    assert await r.hgetall("h") == {
        b"a": b"2", b"b": b"2", b"c": b"3.5", b"d": b"4", b"e": b"5", b"f": b"6",
        b"g": b"7", b"i": b"8",
    }
    with pytest.raises(DataError):
        await r.hset("h")
    with pytest.warns(DeprecationWarning):
        assert await r.hmset("h2", {"x": 1}) is True
    assert await r.hget("h2", "x") == b"1"


async def test_read_commands(r):
    await r.hset("h", mapping={"a": "1", "b": "22"})
    assert await r.hget("h", "a") == b"1"
    assert await r.hget("h", "zz") is None
    assert await r.hget("nokey", "a") is None
    assert await r.hmget("h", ["a", "zz", "b"]) == [b"1", None, b"22"]
    assert await r.hmget("h", "a", "b") == [b"1", b"22"]
    assert await r.hgetall("nokey") == {}
    assert await r.hexists("h", "a") is True
    assert await r.hexists("h", "zz") is False
    assert sorted(await r.hkeys("h")) == [b"a", b"b"]
    assert sorted(await r.hvals("h")) == [b"1", b"22"]
    assert await r.hlen("h") == 2
    assert await r.hstrlen("h", "b") == 2
    assert await r.hdel("h", "a", "zz") == 1
    assert await r.hsetnx("h", "b", "x") is False
    assert await r.hsetnx("h", "c", "x") is True


async def test_increments(r):
    assert await r.hincrby("h", "n") == 1
    assert await r.hincrby("h", "n", 10) == 11
    v = await r.hincrbyfloat("h", "f", 1.5)
    assert v == 1.5 and isinstance(v, float)
    assert await r.hincrbyfloat("h", "f") == 2.5


async def test_hrandfield(r):
    await r.hset("h", mapping={"a": 1, "b": 2})
    assert await r.hrandfield("h") in (b"a", b"b")
    assert sorted(await r.hrandfield("h", 2)) == [b"a", b"b"]
    flat = await r.hrandfield("h", 2, withvalues=True)  # redis-py's flat RESP2 shape
    assert dict(zip(flat[::2], flat[1::2], strict=True)) == {b"a": b"1", b"b": b"2"}
    assert await r.hrandfield("nokey") is None


async def test_hscan(r):
    data = {f"f{i}": str(i) for i in range(40)}
    await r.hset("h", mapping=data)
    cursor, batch = await r.hscan("h", 0, count=5)
    assert isinstance(cursor, int) and isinstance(batch, dict)
    assert inspect.isasyncgen(r.hscan_iter("h"))
    got = {}
    async for field, value in r.hscan_iter("h", match="f1*", count=5):
        got[field] = value
    assert got == {k.encode(): v.encode() for k, v in data.items() if k.startswith("f1")}
    assert await r.hscan("nokey") == (0, {})


async def test_decode_responses(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        await c.hset("h", mapping={"a": 1, "é": "ü"})
        assert await c.hgetall("h") == {"a": "1", "é": "ü"}
        assert await c.hmget("h", "a", "é") == ["1", "ü"]
        assert await c.hscan("h") == (0, {"a": "1", "é": "ü"})
        assert dict([p async for p in c.hscan_iter("h")]) == {"a": "1", "é": "ü"}
        assert await c.hincrbyfloat("h", "a", 0.5) == 1.5
        assert await c.hexists("h", "a") is True
    finally:
        await c.aclose()


async def test_resp3_hgetall(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(protocol=3))
    try:
        await c.hset("h", mapping={"a": 1})
        assert await c.hgetall("h") == {b"a": b"1"}
        assert await c.hscan("h") == (0, {b"a": b"1"})
    finally:
        await c.aclose()


@pytest.mark.parametrize("bad", [None, True, {"a": 1}, ["a", ["b"]], object()])
async def test_data_errors_keep_connection_usable(r, bad):
    with pytest.raises(DataError):
        await r.hset("h", "f", bad)
    with pytest.raises(DataError):
        await r.hset("h", mapping={"f": bad})
    with pytest.raises(DataError):
        await r.hset("h", mapping={"ok": 1, "x": "y", "f": bad})  # nothing partial sent
    with pytest.raises(DataError):
        await r.hset("h", items=["f", bad])
    with pytest.raises(DataError):
        await r.hget("h", bad)
    with pytest.raises(DataError):
        await r.hmget("h", bad)
    assert await r.exists("h") == 0
    assert await r.ping() is True
    assert await r.hset("h", "f", "v") == 1


async def test_mapping_type_errors(r):
    with pytest.raises(DataError):
        await r.hset("h", mapping=[("a", 1)])
    with pytest.raises(DataError):
        await r.hset("h", mapping={None: 1})
    with pytest.raises(DataError):
        await r.hset("h", items=["a", 1, "b"])  # odd length
    with pytest.raises(DataError):
        await r.hmget("h", {"a": 1})  # a dict where field names are expected
    assert await r.ping() is True
