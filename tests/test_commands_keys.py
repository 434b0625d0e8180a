import datetime

import pytest

import fastredis
from fastredis import DataError


async def test_delete_exists_unlink_touch(r):
    await r.set("a", 1)
    await r.set("b", 2)
    await r.set("c", 3)
    assert await r.exists("a", "b", "zz") == 2
    assert await r.exists("a", "a") == 2  # a key named twice counts twice
    assert await r.touch("a", "zz") == 1
    assert await r.delete("a", "zz") == 1
    assert await r.del_("b") == 1
    assert await r.unlink("c") == 1
    assert await r.exists("a", "b", "c") == 0


async def test_expire_family_returns_bool(r):
    await r.set("k", "v")
    assert await r.expire("k", 100) is True
    assert await r.expire("missing", 100) is False
    assert 0 < await r.ttl("k") <= 100
    assert await r.expire("k", 50, gt=True) is False  # 50 < 100
    assert await r.expire("k", 200, gt=True) is True
    assert await r.expire("k", 10, nx=True) is False  # has a TTL already
    assert await r.pexpire("k", datetime.timedelta(seconds=30), lt=True) is True
    assert 0 < await r.pttl("k") <= 30000
    assert await r.persist("k") is True
    assert await r.persist("k") is False
    assert await r.ttl("k") == -1
    assert await r.ttl("missing") == -2
    assert await r.expire("k", 10, xx=True) is False  # no TTL: XX refuses
    when = datetime.datetime.now() + datetime.timedelta(hours=1)
    assert await r.expireat("k", when) is True
    assert abs(await r.expiretime("k") - int(when.timestamp())) <= 1
    assert await r.pexpireat("k", when) is True
    assert abs(await r.pexpiretime("k") - int(when.timestamp() * 1000)) <= 1
    assert await r.expireat("k", int(when.timestamp()) + 10, nx=True) is False


async def test_type_rename_randomkey_keys(r):
    assert await r.type("nope") == b"none"
    await r.set("s", "v")
    await r.rpush("l", "x")
    assert await r.type("s") == b"string"
    assert await r.type("l") == b"list"
    assert await r.rename("s", "s2") is True
    assert await r.renamenx("s2", "l") is False
    assert await r.renamenx("s2", "s3") is True
    assert sorted(await r.keys()) == [b"l", b"s3"]
    assert await r.keys("s*") == [b"s3"]
    assert await r.randomkey() in (b"l", b"s3")
    await r.flushdb()
    assert await r.randomkey() is None
    with pytest.raises(fastredis.ResponseError):
        await r.rename("missing", "x")


async def test_dump_restore_object_copy(r):
    await r.set("n", 12345)
    assert await r.object_encoding("n") == b"int"
    assert await r.object("encoding", "n") == b"int"
    assert isinstance(await r.object_idletime("n"), int)
    payload = await r.dump("n")
    assert isinstance(payload, bytes)
    assert await r.restore("n2", 0, payload) is True
    assert await r.get("n2") == b"12345"
    with pytest.raises(fastredis.ResponseError):
        await r.restore("n2", 0, payload)  # BUSYKEY
    assert await r.restore("n2", 5000, payload, replace=True) is True
    assert 0 < await r.pttl("n2") <= 5000
    assert await r.dump("missing") is None
    assert await r.copy("n", "n3") is True
    assert await r.copy("n", "n3") is False
    assert await r.copy("n", "n3", replace=True) is True
    assert await r.copy("n", "n", destination_db=1) is True
    assert await r.move("n", 1) is False  # exists in db 1 already
    assert await r.move("n2", 2) is True
    assert await r.exists("n2") == 0


async def test_scan_and_scan_iter(r):
    for i in range(50):
        await r.set(f"key:{i}", i)
    await r.rpush("alist", 1)
    cursor, keys = await r.scan(0, match="key:*", count=10)
    assert isinstance(cursor, int)
    assert isinstance(keys, list)
    seen = set()
    async for k in r.scan_iter(match="key:*", count=7):
        seen.add(k)
    assert seen == {f"key:{i}".encode() for i in range(50)}
    assert [k async for k in r.scan_iter(_type="list")] == [b"alist"]
    # the whole scan ends with cursor 0
    cursor, total = None, []
    while cursor != 0:
        cursor, keys = await r.scan(cursor or 0, count=100)
        total += keys
    assert len(set(total)) == 51


async def test_sort(r):
    await r.rpush("l", 3, 1, 2)
    assert await r.sort("l") == [b"1", b"2", b"3"]
    assert await r.sort("l", desc=True, start=0, num=2) == [b"3", b"2"]
    await r.rpush("w", "b", "a", "c")
    assert await r.sort("w", alpha=True) == [b"a", b"b", b"c"]
    assert await r.sort("l", store="out") == 3
    assert await r.lrange("out", 0, -1) == [b"1", b"2", b"3"]
    for i in (1, 2, 3):
        await r.set(f"w_{i}", 10 - i)
        await r.set(f"n_{i}", f"name{i}")
    assert await r.sort("l", by="w_*") == [b"3", b"2", b"1"]
    assert await r.sort("l", get="n_*") == [b"name1", b"name2", b"name3"]
    assert await r.sort("l", get=["#", "n_*"], groups=True) == [
        (b"1", b"name1"), (b"2", b"name2"), (b"3", b"name3")]
    with pytest.raises(DataError):
        await r.sort("l", start=1)
    with pytest.raises(DataError):
        await r.sort("l", get="n_*", groups=True)


async def test_decode_responses(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        await c.set("k", "v")
        assert await c.type("k") == "string"
        assert await c.keys() == ["k"]
        assert await c.scan() == (0, ["k"])
        assert [k async for k in c.scan_iter()] == ["k"]
        assert await c.object_encoding("k") == "embstr"
        assert await c.expire("k", 10) is True
        assert await c.rename("k", "k2") is True
        await c.rpush("l", 2, 1)
        assert await c.sort("l") == ["1", "2"]
        # DUMP's payload is binary: it cannot be decoded (no per-command raw mode yet);
        # the error is the command's own, the connection stays aligned
        await c.set("n", "hello")
        with pytest.raises(DataError):
            await c.dump("n")
        assert await c.get("n") == "hello"
    finally:
        await c.aclose()


@pytest.mark.parametrize("bad", [None, True, {"a": 1}, ["a", ["b"]], object()])
async def test_data_errors_keep_connection_usable(r, bad):
    await r.set("k", "v")
    with pytest.raises(DataError):
        await r.delete(bad)
    with pytest.raises(DataError):
        await r.exists("k", bad)
    with pytest.raises(DataError):
        await r.expire("k", bad)
    with pytest.raises(DataError):
        await r.rename(bad, "x")
    assert await r.ping() is True
    assert await r.get("k") == b"v"


async def test_scan_iter_is_an_async_generator(r):
    import inspect

    assert inspect.isasyncgenfunction(fastredis.Redis.scan_iter)
    assert inspect.isasyncgen(r.scan_iter())
