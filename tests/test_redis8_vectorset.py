"""Vector sets (``r.vset()``) against Redis 8.2, compared with redis-py 8.2 on the same
server: RESP2 and RESP3, bytes and decoded replies, client, pipeline and RedisCluster.
VRANGE (Redis 8.4) is compared at the wire in test_redis8_wire.py. Skipped with the reason on older servers
(``FASTREDIS_TEST_SERVER=redis8`` runs them)."""

from __future__ import annotations

import struct

import pytest
from _cmds_helpers import same
from redis.asyncio import Redis as RedisPy
from redis.commands.vectorset.commands import QuantizationOptions as RedisPyQuant

from fastredis import DataError, ResponseError
from fastredis.commands.vectorset import QuantizationOptions

pytestmark = pytest.mark.min_server("8.0")

VECTORS = {
    "a": [1.0, 2.0, 3.0],
    "b": [1.5, 2.5, 3.5],
    "c": [-1.0, 0.25, 9.0],
    "d": [0.0, 1.0, 0.0],
}


async def fill(client, key: str, **kw) -> list:
    v = client.vset()
    return [await v.vadd(key, vec, name, attributes={"n": i} if i % 2 else None, **kw)
            for i, (name, vec) in enumerate(VECTORS.items())]


async def test_writes_answer_as_redis_py(pair):
    r, rp = pair
    assert await fill(r, "ours", quantization=QuantizationOptions.NOQUANT) == \
        await fill(rp, "theirs", quantization=RedisPyQuant.NOQUANT)
    v, vp = r.vset(), rp.vset()
    for args in [("a", [9.0, 9.0, 9.0]), ("z", struct.pack("<3f", 1, 2, 3))]:
        ours = await v.vadd("ours", args[1], args[0], quantization=RedisPyQuant.NOQUANT)
        theirs = await vp.vadd("theirs", args[1], args[0], quantization=RedisPyQuant.NOQUANT)
        assert (ours, type(ours)) == (theirs, type(theirs))
    for key in ("ours", "theirs"):
        assert await v.vcard(key) == 5 and await v.vdim(key) == 3
    for call in [("vrem", "z"), ("vrem", "nope"), ("vsetattr", "a", {"x": [1, "y"]}),
                 ("vsetattr", "b", '{"s": "t"}'), ("vsetattr", "c", None),
                 ("vsetattr", "nope", {"x": 1})]:
        ours = await getattr(v, call[0])("ours", *call[1:])
        theirs = await getattr(vp, call[0])("theirs", *call[1:])
        assert (ours, type(ours)) == (theirs, type(theirs)), call


async def test_reads_give_redis_py_shapes(pair):
    r, rp = pair
    await fill(r, "vs", quantization=QuantizationOptions.NOQUANT)
    await fill(r, "q8")  # default int8 quantization: VEMB answers approximations
    v, vp = r.vset(), rp.vset()
    for name in ("vcard", "vdim", "vinfo"):
        for key in ("vs", "q8", "missing"):
            if name == "vdim" and key == "missing":
                continue
            await same(v, vp, name, key)
    for element in ("a", "b", "c", "nope"):
        for key in ("vs", "q8", "missing"):
            await same(v, vp, "vemb", key, element)
            await same(v, vp, "vgetattr", key, element)
            await same(v, vp, "vlinks", key, element)
            await same(v, vp, "vlinks", key, element, with_scores=True)
    await same(v, vp, "vsetattr", "vs", "a", {})  # an empty object reads back as None
    await same(v, vp, "vgetattr", "vs", "a")
    await same(v, vp, "vrandmember", "missing")
    await same(v, vp, "vrandmember", "missing", 2)
    one = await v.vrandmember("vs")
    assert type(one) is type(await vp.vrandmember("vs"))
    assert (one if isinstance(one, str) else one.decode()) in VECTORS
    for count in (2, -6, 10):
        ours, theirs = await v.vrandmember("vs", count), await vp.vrandmember("vs", count)
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        assert {type(x) for x in ours} == {type(x) for x in theirs}


async def test_vsim_options_and_shapes(pair):
    r, rp = pair
    await fill(r, "vs", quantization=QuantizationOptions.NOQUANT)
    v, vp = r.vset(), rp.vset()
    inputs = [[1.0, 2.0, 3.1], struct.pack("<3f", 0, 1, 0.1), "a"]
    for query in inputs:
        for kw in [{}, {"with_scores": True}, {"with_attribs": True},
                   {"with_scores": True, "with_attribs": True},
                   {"count": 2, "with_scores": True, "ef": 50, "truth": True, "no_thread": True},
                   {"filter": ".n == 1", "with_attribs": True},
                   {"filter": ".n >= 0", "filter_ef": "100", "with_scores": True},
                   {"epsilon": 0.5, "with_scores": True}]:
            await same(v, vp, "vsim", "vs", query, **kw)
    for kw in [{}, {"with_scores": True}, {"with_attribs": True},
               {"with_scores": True, "with_attribs": True}]:
        await same(v, vp, "vsim", "missing", [1.0, 2.0, 3.0], **kw)


async def test_options_of_vadd_reach_the_server(r):
    v = r.vset()
    assert await v.vadd("red", [1.0, 2.0, 3.0, 4.0], "a", reduce_dim=2, ef=100, numlinks=8,
                        quantization=QuantizationOptions.BIN) == 1
    info = await v.vinfo("red")
    assert info[b"vector-dim"] == 2 and info[b"projection-input-dim"] == 4
    assert info[b"quant-type"] == b"bin" and info[b"hnsw-m"] == 8
    assert await v.vadd("red", [4.0, 3.0, 2.0, 1.0], "b", cas=True, reduce_dim=2,
                        numlinks=8, quantization=QuantizationOptions.BIN) == 1
    raw = await v.vemb("red", "a", raw=True)
    assert raw["quantization"] == b"bin" and isinstance(raw["raw"], bytes)
    with pytest.raises(ResponseError):
        await v.vadd("red", [1.0, 2.0, 3.0], "c")  # wrong dimension: the server's error


async def test_vemb_raw_as_redis_py(redis_server, r):
    rp = RedisPy(**redis_server.client_kwargs(), protocol=3)
    try:
        await fill(r, "q8")
        await fill(r, "nq", quantization=QuantizationOptions.NOQUANT)
        for key in ("q8", "nq", "missing"):
            assert await r.vset().vemb(key, "a", raw=True) == await rp.vset().vemb(key, "a", raw=True)
    finally:
        await rp.aclose()


async def test_bad_arguments_are_refused_before_sending(r):
    v = r.vset()
    with pytest.raises(DataError):
        await v.vadd("k", [], "a")
    with pytest.raises(DataError):
        await v.vadd("k", [1.0], None)
    with pytest.raises(DataError):
        await v.vsim("k", b"")
    with pytest.raises(DataError):
        await v.vsim("k", [])
    assert await r.exists("k") == 0
    assert await v.vsim("k", "") == []  # an empty element name is a name


async def test_pipeline(pair):
    r, rp = pair
    results = []
    for client in (r, rp):
        pipe = client.pipeline(transaction=True)
        v = pipe.vset()
        v.vadd("p", [1.0, 0.0], "x", quantization=RedisPyQuant.NOQUANT, attributes={"k": 1})
        v.vadd("p", [0.0, 1.0], "y", quantization=RedisPyQuant.NOQUANT)
        v.vsim("p", [1.0, 0.1], with_scores=True, with_attribs=True)
        v.vsim("p", "x", with_scores=True)
        v.vemb("p", "y")
        v.vgetattr("p", "x")
        v.vdim("p")  # (VINFO holds a per-set uid and a random level: shapes compared above)
        v.vcard("p")
        v.vrem("p", "x")
        v.vrem("p", "y")
        results.append(await pipe.execute())
    assert results[0] == results[1]


async def test_cluster(rc, redis_cluster):
    from redis.asyncio.cluster import RedisCluster as RedisPyCluster

    # both with the protocol not chosen (RESP3; redis-py keeps vector sets' RESP3 shapes)
    rp = RedisPyCluster(**redis_cluster.client_kwargs())
    try:
        v, vp = rc.vset(), rp.vset()
        keys = [f"vec:{i}" for i in range(6)]  # spread over the shards
        assert len({rc.get_node_from_key(k).port for k in keys}) > 1
        for i, key in enumerate(keys):
            assert await v.vadd(key, [float(i), 1.0], "e", attributes={"i": i},
                                quantization=QuantizationOptions.NOQUANT) == 1
        for key in keys:
            await same(v, vp, "vsim", key, [1.0, 1.0], with_scores=True, with_attribs=True)
            await same(v, vp, "vemb", key, "e")
            await same(v, vp, "vinfo", key)
            await same(v, vp, "vgetattr", key, "e")
        pipe = rc.pipeline()
        for key in keys:
            pipe.vset().vcard(key)
        assert await pipe.execute() == [1] * len(keys)
    finally:
        await rp.aclose()
