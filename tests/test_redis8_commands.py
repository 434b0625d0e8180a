"""Redis 8.2 commands and options on methods fastredis has: XDELEX, XACKDEL, the KEEPREF /
DELREF / ACKED policies of XADD and XTRIM, BITOP DIFF/DIFF1/ANDOR/ONE, HSETEX/HGETEX/HGETDEL,
compared with redis-py 8.2 on a Redis 8.2 server, RESP2 and RESP3 (what 8.2.3 does not run
is compared at the wire in test_redis8_wire.py)."""

from __future__ import annotations

import pytest
from _cmds_helpers import same
from redis.asyncio import Redis as RedisPy
from redis.commands.core import HashDataPersistOptions

import fastredis
from fastredis import DataError

pytestmark = pytest.mark.min_server("8.2")


@pytest.fixture(params=[2, 3, None], ids=["resp2", "resp3", "default"])
async def pair(request, redis_server, redis):
    ours = fastredis.Redis(**redis_server.client_kwargs(protocol=request.param))
    theirs = RedisPy(**redis_server.client_kwargs(), protocol=request.param)
    yield ours, theirs
    await ours.aclose()
    await theirs.aclose()


async def stream_with_group(client, key: str) -> list:
    ids = [await client.xadd(key, {"n": i}) for i in range(4)]
    await client.xgroup_create(key, "g", id="0")
    await client.xreadgroup("g", "c", {key: ">"}, count=2)  # ids[0], ids[1] pending
    return ids


async def test_xdelex_and_xackdel(pair):
    r, rp = pair
    results = []
    for client, key in ((r, "ours"), (rp, "theirs")):
        ids = await stream_with_group(client, key)
        results.append([
            await client.xdelex(key, ids[0], ids[2], "9-9", ref_policy="ACKED"),
            await client.xdelex(key, ids[0]),
            await client.xackdel(key, "g", ids[1], "9-9", ref_policy="DELREF"),
            await client.xackdel(key, "g", ids[3]),
            await client.xlen(key),
            await client.xpending(key, "g"),
        ])
    assert results[0][:5] == results[1][:5]
    assert results[0][0] == [2, 2, -1]  # pending, unread by the group: both kept
    assert results[0][5]["pending"] == results[1][5]["pending"] == 1  # KEEPREF kept ids[0]


async def test_ref_policy_of_xadd_and_xtrim(pair):
    r, rp = pair
    results = []
    for client, key in ((r, "ours"), (rp, "theirs")):
        await stream_with_group(client, key)
        results.append([
            bool(await client.xadd(key, {"n": 9}, maxlen=2, approximate=False,
                                   ref_policy="ACKED")),
            await client.xlen(key),  # pending entries kept by ACKED
            await client.xtrim(key, maxlen=1, approximate=False, ref_policy="DELREF"),
            await client.xlen(key),
            (await client.xpending(key, "g"))["pending"],
        ])
    assert results[0] == results[1]


async def test_bitop_operations_of_redis_8_2(pair):
    r, rp = pair
    await r.set("a", b"\xf0\x0f")
    await r.set("b", b"\xff\x00")
    await r.set("c", b"\x0f\xff")
    for op in ("DIFF", "DIFF1", "ANDOR", "ONE", "diff"):
        assert await r.bitop(op, "d1", "a", "b", "c") == await rp.bitop(op, "d2", "a", "b", "c")
        assert await r.get("d1") == await rp.get("d2")
        await same(r, rp, "bitcount", "d1")


async def test_hash_field_expiry_commands(pair):
    """Each client on a hash of its own (these write); results compared call by call."""
    r, rp = pair
    calls = [
        ("hsetex", (), dict(mapping={"a": 1, "b": 2}, ex=100)),
        ("hsetex", ("c", 3), dict(px=100_000, data_persist_option=HashDataPersistOptions.FNX)),
        ("hsetex", ("c", 4), dict(ex=5, data_persist_option=HashDataPersistOptions.FNX)),
        ("hsetex", (), dict(items=["a", 10], keepttl=True)),
        ("hgetex", ("a", "b", "nope"), dict(persist=True)),
        ("httl", ("a", "b"), {}),
        ("hgetex", ("c",), dict(ex=50)),
        ("hgetdel", ("a", "nope"), {}),
        ("hgetall", (), {}),
    ]
    for name, args, kwargs in calls:
        ours = await getattr(r, name)("ours", *args, **kwargs)
        theirs = await getattr(rp, name)("theirs", *args, **kwargs)
        assert (ours, type(ours)) == (theirs, type(theirs)), name
    await same(r, rp, "hgetdel", "missing", "a")


@pytest.mark.filterwarnings("ignore:Call to 'set' method with experimental usage")
async def test_set_conditions_are_refused_by_8_2_as_by_redis_py(pair):
    """SET IFEQ is Redis 8.4: 8.2.3 answers a syntax error, to both clients alike."""
    import redis.exceptions

    r, rp = pair
    await r.set("k", "v")
    with pytest.raises(fastredis.ResponseError, match="syntax error"):
        await r.set("k", "w", ifeq="v")
    with pytest.raises(redis.exceptions.ResponseError, match="syntax error"):
        await rp.set("k", "w", ifeq="v")
    assert await r.get("k") == b"v"


async def test_vemb_raw_on_a_decoding_client_fails_alone(redis_server, r):
    """A binary form that is not text cannot be decoded: that call raises DataError, the
    connection stays usable."""
    from fastredis.commands.vectorset import QuantizationOptions

    # float32 1.0, 2.0: b"\x00\x00\x80?\x00\x00\x00@", not UTF-8
    await r.vset().vadd("v", [1.0, 2.0], "e", quantization=QuantizationOptions.NOQUANT)
    async with fastredis.Redis(**redis_server.client_kwargs(decode_responses=True)) as s:
        with pytest.raises(DataError):
            await s.vset().vemb("v", "e", raw=True)
        assert await s.vset().vcard("v") == 1
