"""Hash-field expiry (HEXPIRE family, HGETEX/HSETEX/HGETDEL) and MSETEX: commands Redis 7.0
lacks, run on a throw-away Valkey 9 server (skipped with the reason when there is none,
a failure under CI=true), compared with redis-py's client on the same server."""

from __future__ import annotations

import datetime
import time

import pytest
import redis.asyncio
from _cmds_helpers import same, valkey_or_skip

import fastredis
from fastredis import DataError, ResponseError


@pytest.fixture(scope="module")
def valkey_server():
    from fastredis.testing import RedisServer

    server = RedisServer(binary=valkey_or_skip()).start()
    yield server
    server.stop()


@pytest.fixture
async def v(valkey_server):
    client = fastredis.Redis(**valkey_server.client_kwargs())
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def vp(valkey_server):
    client = redis.asyncio.Redis(**valkey_server.client_kwargs(), protocol=2)
    yield client
    await client.aclose()


async def test_redis_7_0_answers_unknown_command(r):
    info = await r.info("server")
    version = tuple(int(x) for x in str(info["redis_version"]).split(".")[:2])
    if "valkey_version" in info or version >= (7, 4):
        pytest.skip("this server has hash-field expiry")
    with pytest.raises(ResponseError):
        await r.hexpire("h", 10, "f")


async def test_hexpire_family(v, vp):
    await v.hset("h", mapping={"a": 1, "b": 2, "c": 3})
    assert await same(v, vp, "hexpire", "h", 100, "a", "missing") == [1, -2]
    assert await v.hexpire("h", datetime.timedelta(seconds=200), "a", gt=True) == [1]
    assert await v.hexpire("h", 50, "a", gt=True) == [0]
    assert await v.hpexpire("h", 300_000, "b", nx=True) == [1]
    ttl = await same(v, vp, "httl", "h", "a", "b", "c")
    assert 190 <= ttl[0] <= 200 and 290 <= ttl[1] <= 300 and ttl[2] == -1
    pttl = await v.hpttl("h", "a")
    assert 190_000 <= pttl[0] <= 200_000
    when = int(time.time()) + 1000
    assert await v.hexpireat("h", when, "c") == [1]
    assert await same(v, vp, "hexpiretime", "h", "c") == [when]
    assert await v.hpexpiretime("h", "c") == [when * 1000]
    at = datetime.datetime.now() + datetime.timedelta(seconds=500)
    assert await v.hpexpireat("h", at, "c", xx=True) == [1]
    assert await v.hpersist("h", "a", "c", "nope") == [1, 1, -2]
    assert await vp.hpersist("h", "a", "c", "nope") == [-1, -1, -2]  # nothing left to remove
    assert await v.httl("h", "a", "c") == [-1, -1]
    assert await v.hexpire("h", 0, "a") == [2]  # a time in the past deletes the field
    assert await v.hkeys("h") in ([b"b", b"c"], [b"c", b"b"])


async def test_hgetex_hsetex_hgetdel(v, vp):
    assert await v.hsetex("h", "a", 1, mapping={"b": 2}, items=["c", 3], ex=100) == 1
    assert await v.hsetex("h", mapping={"a": 9}, data_persist_option="FNX") == 0
    assert await v.hsetex("h", mapping={"a": 9}, data_persist_option="FXX", keepttl=True) == 1
    assert 90 <= (await v.httl("h", "a"))[0] <= 100
    from redis.commands.core import HashDataPersistOptions

    assert await v.hsetex("h", "d", 4, data_persist_option=HashDataPersistOptions.FNX,
                          px=datetime.timedelta(seconds=50)) == 1
    assert await same(v, vp, "hgetex", "h", "a", "zz", persist=True) == [b"9", None]
    assert await v.httl("h", "a") == [-1]
    assert await v.hgetex("h", "b", exat=int(time.time()) + 100) == [b"2"]
    assert 0 < (await v.httl("h", "b"))[0] <= 100
    assert await v.hgetdel("h", "a", "b", "missing") == [b"9", b"2", None]
    assert await vp.hgetdel("h", "c") == [b"3"]
    assert await v.hkeys("h") == [b"d"]


async def test_msetex(v):
    assert await v.msetex({"k1": "a", "k2": "b"}, ex=100) == 1
    assert 90 <= await v.ttl("k1") <= 100
    assert await v.msetex({"k1": "x", "k3": "c"}, data_persist_option="NX") == 0
    assert await v.msetex({"k1": "x", "k2": "y"}, data_persist_option="XX", keepttl=True) == 1
    assert await v.mget("k1", "k2", "k3") == [b"x", b"y", None]
    assert 90 <= await v.ttl("k1") <= 100


@pytest.mark.parametrize("call", [
    lambda r: r.hexpire("h", 10, "f", nx=True, xx=True),
    lambda r: r.hexpire("h", 10),
    lambda r: r.hexpire("h", 1.5, "f"),
    lambda r: r.hpexpireat("h", "soon", "f"),
    lambda r: r.hgetex("h"),
    lambda r: r.hgetex("h", "f", ex=1, px=1),
    lambda r: r.hgetex("h", "f", ex=1, persist=True),
    lambda r: r.hsetex("h"),
    lambda r: r.hsetex("h", items=["a"]),
    lambda r: r.hsetex("h", "a", 1, ex=1, keepttl=True),
    lambda r: r.hsetex("h", "a", None),
    lambda r: r.hsetex("h", "a", 1, data_persist_option="NX"),
    lambda r: r.hgetdel("h"),
    lambda r: r.msetex({"k": None}),
    lambda r: r.msetex({"k": 1}, data_persist_option="FNX"),
    lambda r: r.msetex({"k": 1}, ex=1, pxat=2),
])
async def test_refused_before_sending(r, call):
    with pytest.raises(DataError):
        await call(r)


async def test_hscan_no_values_and_client_kill_maxage(v, vp):
    # NOVALUES and MAXAGE are Redis >= 7.4 / Valkey 8 arguments of existing commands
    await v.hset("h", mapping={"a": 1, "b": 2})
    cursor, fields = await same(v, vp, "hscan", "h", no_values=True)
    assert cursor == 0 and sorted(fields) == [b"a", b"b"]
    assert sorted([f async for f in v.hscan_iter("h", no_values=True)]) == [b"a", b"b"]
    assert sorted([f async for f in v.hscan_iter("h")]) == [(b"a", b"1"), (b"b", b"2")]
    assert await v.client_kill_filter(maxage=10_000, skipme=True) == 0
