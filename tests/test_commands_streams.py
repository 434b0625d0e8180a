import asyncio

import pytest

import fastredis
from fastredis import DataError


async def test_xadd_xrange_xlen(r):
    i1 = await r.xadd("s", {"a": 1})
    i2 = await r.xadd("s", {"b": "2", "c": 3.5})
    assert isinstance(i1, bytes) and i1 < i2
    assert await r.xadd("s", {"x": 1}, id="9999999999999-0") == b"9999999999999-0"
    assert await r.xlen("s") == 3
    assert await r.xrange("s") == [
        (i1, {b"a": b"1"}), (i2, {b"b": b"2", b"c": b"3.5"}), (b"9999999999999-0", {b"x": b"1"})]
    assert await r.xrange("s", min=i2, count=1) == [(i2, {b"b": b"2", b"c": b"3.5"})]
    assert await r.xrevrange("s", count=1) == [(b"9999999999999-0", {b"x": b"1"})]
    assert await r.xrevrange("s", max=i2, min=i1) == [
        (i2, {b"b": b"2", b"c": b"3.5"}), (i1, {b"a": b"1"})]
    assert await r.xrange("nokey") == []
    assert await r.xadd("nokey", {"a": 1}, nomkstream=True) is None
    assert await r.exists("nokey") == 0
    assert await r.xdel("s", i1, "1-1") == 1


async def test_trimming(r):
    for i in range(10):
        await r.xadd("s", {"i": i}, maxlen=5, approximate=False)
    assert await r.xlen("s") == 5
    for i in range(10):
        await r.xadd("s", {"i": i}, maxlen=100)  # "~": may keep more, never fewer
    assert await r.xlen("s") == 15
    assert await r.xtrim("s", maxlen=3, approximate=False) == 12
    first = (await r.xrange("s"))[1][0]
    assert await r.xtrim("s", minid=first, approximate=False) == 1
    await r.xadd("m", {"a": 1}, id="1-0")
    await r.xadd("m", {"a": 1}, id="2-0")
    await r.xadd("m", {"a": 1}, id="3-0", minid="2-0", approximate=False)
    assert [e[0] for e in await r.xrange("m")] == [b"2-0", b"3-0"]
    with pytest.raises(DataError):
        await r.xtrim("s")
    with pytest.raises(DataError):
        await r.xtrim("s", maxlen=1, minid="0-1")
    with pytest.raises(DataError):
        await r.xadd("s", {"a": 1}, maxlen=1, minid="0-1")
    with pytest.raises(DataError):
        await r.xadd("s", {"a": 1}, maxlen=-1)


async def test_xread_shapes(r):
    a1 = await r.xadd("a", {"k": "v1"})
    b1 = await r.xadd("b", {"k": "w1"})
    got = await r.xread({"a": 0, "b": "0-0"})
    assert got == [[b"a", [(a1, {b"k": b"v1"})]], [b"b", [(b1, {b"k": b"w1"})]]]
    assert await r.xread({"a": a1}) == []
    assert await r.xread({"a": a1}, block=50) == []  # timed out: [] as redis-py
    a2 = await r.xadd("a", {"k": "v2"})
    assert await r.xread({"a": 0}, count=1) == [[b"a", [(a1, {b"k": b"v1"})]]]
    assert await r.xread({"a": a1}, block=1000) == [[b"a", [(a2, {b"k": b"v2"})]]]


async def test_xread_block_waits_on_its_own_connection(r):
    await r.xadd("s", {"k": 0}, id="1-0")
    read = asyncio.ensure_future(r.xread({"s": "$"}, block=2000))
    try:
        ping = asyncio.ensure_future(r.ping())
        done, _ = await asyncio.wait({read, ping}, return_when=asyncio.FIRST_COMPLETED)
        assert ping in done and not read.done()
        # "$" was resolved when XREAD ran; wait for it to be blocked before adding
        for _ in range(10000):
            if (await r.info("clients"))["blocked_clients"]:
                break
        new = await r.xadd("s", {"k": 1})
        assert await read == [[b"s", [(new, {b"k": b"1"})]]]
    finally:
        read.cancel()


async def test_consumer_groups(r):
    ids = [await r.xadd("s", {"n": i}) for i in range(3)]
    assert await r.xgroup_create("s", "g", id="0") is True
    with pytest.raises(fastredis.ResponseError):
        await r.xgroup_create("s", "g")  # BUSYGROUP
    assert await r.xgroup_create("new", "g", mkstream=True) is True
    assert await r.xgroup_createconsumer("s", "g", "c0") == 1
    got = await r.xreadgroup("g", "c1", {"s": ">"}, count=2)
    assert got == [[b"s", [(ids[0], {b"n": b"0"}), (ids[1], {b"n": b"1"})]]]
    assert await r.xreadgroup("g", "c2", {"s": ">"}, noack=True) == [[b"s", [(ids[2], {b"n": b"2"})]]]
    assert await r.xreadgroup("g", "c2", {"s": ">"}, block=50) == []

    summary = await r.xpending("s", "g")
    assert summary == {"pending": 2, "min": ids[0], "max": ids[1],
                       "consumers": [{"name": b"c1", "pending": 2}]}
    detail = await r.xpending_range("s", "g", "-", "+", 10)
    assert [d["message_id"] for d in detail] == ids[:2]
    assert set(detail[0]) == {"message_id", "consumer", "time_since_delivered", "times_delivered"}
    assert detail[0]["consumer"] == b"c1" and detail[0]["times_delivered"] == 1
    assert await r.xpending_range("s", "g", "-", "+", 10, consumername="c2") == []

    # history of c1 (id 0): its pending entries again
    assert await r.xreadgroup("g", "c1", {"s": 0}) == [
        [b"s", [(ids[0], {b"n": b"0"}), (ids[1], {b"n": b"1"})]]]
    # a deleted entry still pending reads back as (id, {}) as in redis-py
    await r.xdel("s", ids[1])
    assert await r.xreadgroup("g", "c1", {"s": 0}) == [[b"s", [(ids[0], {b"n": b"0"}), (ids[1], {})]]]

    assert await r.xclaim("s", "g", "c2", 0, [ids[0]]) == [(ids[0], {b"n": b"0"})]
    assert await r.xclaim("s", "g", "c1", 0, [ids[0]], justid=True) == [ids[0]]
    nxt, claimed, *deleted = await r.xautoclaim("s", "g", "c3", 0)
    assert nxt == b"0-0"
    assert claimed == [(ids[0], {b"n": b"0"})]
    assert deleted == [[ids[1]]]  # Redis 7 reports the deleted ids
    assert await r.xautoclaim("s", "g", "c2", 0, justid=True) == [ids[0]]

    assert await r.xack("s", "g", ids[0], ids[1]) == 1
    assert await r.xgroup_setid("s", "g", "0") is True
    assert await r.xgroup_delconsumer("s", "g", "c1") == 0
    assert await r.xgroup_destroy("s", "g") is True
    assert await r.xgroup_destroy("s", "g") is False
    with pytest.raises(DataError):
        await r.xclaim("s", "g", "c", 0, ids[0])  # ids must be a list
    with pytest.raises(DataError):
        await r.xclaim("s", "g", "c", -1, [ids[0]])


async def test_xinfo(r):
    i1 = await r.xadd("s", {"a": 1})
    i2 = await r.xadd("s", {"b": 2})
    await r.xgroup_create("s", "g", id="0")
    await r.xreadgroup("g", "c", {"s": ">"}, count=1)
    info = await r.xinfo_stream("s")
    assert info["length"] == 2
    assert info["first-entry"] == (i1, {b"a": b"1"})
    assert info["last-entry"] == (i2, {b"b": b"2"})
    assert info["groups"] == 1
    groups = await r.xinfo_groups("s")
    assert groups[0]["name"] == b"g" and groups[0]["pending"] == 1
    consumers = await r.xinfo_consumers("s", "g")
    assert consumers[0]["name"] == b"c" and consumers[0]["pending"] == 1
    full = await r.xinfo_stream("s", full=True)
    assert full["entries"] == {i1: {b"a": b"1"}, i2: {b"b": b"2"}}
    assert full["groups"][0]["name"] == b"g"
    assert full["groups"][0]["consumers"][0]["name"] == b"c"
    await r.xadd("e", {"a": 1}, id="1-0")
    await r.xdel("e", "1-0")
    empty = await r.xinfo_stream("e")
    assert empty["first-entry"] is None and empty["last-entry"] is None


async def test_decode_responses(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        i1 = await c.xadd("s", {"k": "é"})
        assert isinstance(i1, str)
        assert await c.xrange("s") == [(i1, {"k": "é"})]
        assert await c.xread({"s": 0}) == [["s", [(i1, {"k": "é"})]]]
        assert await c.xgroup_create("s", "g", "0") is True
        await c.xreadgroup("g", "c", {"s": ">"})
        assert (await c.xpending("s", "g"))["consumers"] == [{"name": "c", "pending": 1}]
        assert (await c.xinfo_stream("s"))["last-entry"] == (i1, {"k": "é"})
    finally:
        await c.aclose()


async def test_resp3_xread_keeps_the_resp2_shape(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(protocol=3))
    try:
        i1 = await c.xadd("s", {"k": "v"})
        assert await c.xread({"s": 0}) == [[b"s", [(i1, {b"k": b"v"})]]]
        assert await c.xread({"s": i1}) == []
        assert (await c.xinfo_stream("s"))["last-entry"] == (i1, {b"k": b"v"})
        await c.xgroup_create("s", "g", "0")
        await c.xreadgroup("g", "c", {"s": ">"})
        assert (await c.xinfo_groups("s"))[0]["name"] == b"g"
    finally:
        await c.aclose()


@pytest.mark.parametrize("bad", [None, True, {"a": 1}, ["a", ["b"]], object()])
async def test_data_errors_keep_connection_usable(r, bad):
    with pytest.raises(DataError):
        await r.xadd("s", {"ok": 1, "f": bad})
    if not isinstance(bad, (dict, list)):
        with pytest.raises(DataError):
            await r.xadd("s", {bad: 1})
    if not isinstance(bad, dict):
        with pytest.raises(DataError):
            await r.xadd("s", bad)
        with pytest.raises(DataError):
            await r.xread(bad)
    with pytest.raises(DataError):
        await r.xread({"s": bad})
    if bad is not None:  # block=None: do not block
        with pytest.raises(DataError):
            await r.xread({"s": 0}, block=bad)
    with pytest.raises(DataError):
        await r.xrange("s", bad)
    with pytest.raises(DataError):
        await r.xadd("s", {})
    assert await r.exists("s") == 0
    assert await r.ping() is True
    assert await r.xadd("s", {"a": 1}, id="1-0") == b"1-0"
