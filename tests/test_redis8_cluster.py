"""The Redis 8.2 command additions on a 3-primary Redis 8.2.3 cluster, RESP2 and RESP3:
fastredis's RedisCluster against redis-py's RedisCluster on the same cluster, call by call
(XDELEX / XACKDEL, BITOP DIFF / DIFF1 / ANDOR / ONE on same-slot keys, HSETEX / HGETEX /
HGETDEL, vector sets), on the client and in a cluster pipeline. JSON, Search and the Bloom
family have their cluster comparisons, both protocols, in their own files
(test_redis8_json.py, test_redis8_search.py, test_redis8_bloom.py)."""

from __future__ import annotations

import pytest
from _cmds_helpers import same
from redis.commands.core import HashDataPersistOptions
from redis.commands.vectorset.commands import QuantizationOptions as RedisPyQuant

from fastredis.commands.vectorset import QuantizationOptions

pytestmark = pytest.mark.min_server("8.2")

#: hash tags whose slots are on three different primaries (checked in each test)
TAGS = ("{a}", "{b}", "{c}")


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
async def pair(request, redis_cluster):
    from redis.asyncio.cluster import RedisCluster as RedisPyCluster

    from fastredis.cluster import RedisCluster

    ours = RedisCluster(**redis_cluster.client_kwargs(), protocol=request.param)
    theirs = RedisPyCluster(**redis_cluster.client_kwargs(), protocol=request.param)
    try:
        await ours.initialize()
        assert len({ours.get_node_from_key(t).port for t in TAGS}) == 3
        yield ours, theirs
    finally:
        await ours.aclose()
        await theirs.aclose()
        redis_cluster.flushall()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def stream_with_group(client, key: str) -> list:
    ids = [await client.xadd(key, {"n": i}) for i in range(4)]
    await client.xgroup_create(key, "g", id="0")
    await client.xreadgroup("g", "c", {key: ">"}, count=2)  # ids[0], ids[1] pending
    return ids


async def test_xdelex_and_xackdel(pair):
    rc, rp = pair
    for tag in TAGS:
        results = []
        for client, key in ((rc, f"ours{tag}"), (rp, f"theirs{tag}")):
            ids = await stream_with_group(client, key)
            results.append([
                await client.xdelex(key, ids[0], ids[2], "9-9", ref_policy="ACKED"),
                await client.xdelex(key, ids[0]),
                await client.xackdel(key, "g", ids[1], "9-9", ref_policy="DELREF"),
                await client.xackdel(key, "g", ids[3]),
                await client.xlen(key),
                (await client.xpending(key, "g"))["pending"],
                bool(await client.xadd(key, {"n": 9}, maxlen=1, approximate=False,
                                       ref_policy="KEEPREF")),
                await client.xtrim(key, maxlen=0, approximate=False, ref_policy="ACKED"),
            ])
        assert results[0] == results[1], tag
        assert results[0][0] == [2, 2, -1]
    # in a cluster pipeline, over the three shards
    pipes = []
    for client, prefix in ((rc, "p-ours"), (rp, "p-theirs")):
        ids = {tag: await stream_with_group(client, prefix + tag) for tag in TAGS}
        pipe = client.pipeline()
        for tag in TAGS:
            pipe.xdelex(prefix + tag, ids[tag][2], ref_policy="DELREF")
            pipe.xackdel(prefix + tag, "g", ids[tag][0], ids[tag][1])
        pipes.append(await pipe.execute())
    assert pipes[0] == pipes[1] == [[1], [1, 1]] * 3


async def test_bitop_operations_of_redis_8_2(pair):
    rc, rp = pair
    for tag in TAGS:
        await rc.set(f"{tag}a", b"\xf0\x0f")
        await rc.set(f"{tag}b", b"\xff\x00")
        await rc.set(f"{tag}c", b"\x0f\xff")
        for op in ("DIFF", "DIFF1", "ANDOR", "ONE", "diff"):
            keys = (f"{tag}a", f"{tag}b", f"{tag}c")
            assert await rc.bitop(op, f"{tag}d1", *keys) == await rp.bitop(op, f"{tag}d2", *keys)
            assert await rc.get(f"{tag}d1") == await rp.get(f"{tag}d2")
            await same(rc, rp, "bitcount", f"{tag}d1")
    # redis-py's cluster pipeline refuses BITOP ("blocked when running redis in cluster
    # mode"); fastredis's routes it by its keys' slot: compared with redis-py's client
    pipe = rc.pipeline()
    expected = []
    for tag in TAGS:
        pipe.bitop("ANDOR", f"{tag}p1", f"{tag}a", f"{tag}b", f"{tag}c")
        pipe.bitop("ONE", f"{tag}p1x", f"{tag}a", f"{tag}b")
        pipe.get(f"{tag}p1")
        pipe.get(f"{tag}p1x")
        expected += [await rp.bitop("ANDOR", f"{tag}p2", f"{tag}a", f"{tag}b", f"{tag}c"),
                     await rp.bitop("ONE", f"{tag}p2x", f"{tag}a", f"{tag}b"),
                     await rp.get(f"{tag}p2"), await rp.get(f"{tag}p2x")]
    assert await pipe.execute() == expected


async def test_bitop_across_slots_is_refused(pair):
    """Keys of different slots: fastredis refuses before sending (one BITOP cannot be split
    over shards); redis-py sends it and the server answers CROSSSLOT."""
    from redis.exceptions import ClusterCrossSlotError

    from fastredis.cluster import CrossSlotError

    rc, rp = pair
    with pytest.raises(CrossSlotError):
        await rc.bitop("DIFF", "{a}d", "{a}x", "{b}y")
    with pytest.raises(ClusterCrossSlotError):
        await rp.bitop("DIFF", "{a}d", "{a}x", "{b}y")


async def test_hash_field_expiry_commands(pair):
    rc, rp = pair
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
    for tag in TAGS:
        for name, args, kwargs in calls:
            ours = await getattr(rc, name)(f"ours{tag}", *args, **kwargs)
            theirs = await getattr(rp, name)(f"theirs{tag}", *args, **kwargs)
            assert (ours, type(ours)) == (theirs, type(theirs)), (tag, name)
        await same(rc, rp, "hgetdel", f"missing{tag}", "a")
    results = []
    for client, prefix in ((rc, "p-ours"), (rp, "p-theirs")):
        pipe = client.pipeline()
        for tag in TAGS:
            pipe.hsetex(prefix + tag, mapping={"x": 1, "y": 2}, ex=100)
            pipe.hgetex(prefix + tag, "x", "y", px=50_000)
            pipe.hgetdel(prefix + tag, "x")
            pipe.hgetall(prefix + tag)
        results.append(await pipe.execute())
    assert results[0] == results[1]
    assert results[0][:4] == [1, [b"1", b"2"], [b"1"], {b"y": b"2"}]


async def test_vector_sets(pair):
    rc, rp = pair
    v, vp = rc.vset(), rp.vset()
    keys = [f"vec{tag}" for tag in TAGS]
    # distinct directions: no ties in the similarity order
    vectors = {"e": [1.0, 0.1], "f": [1.0, 1.0], "g": [0.1, 1.0]}
    for i, key in enumerate(keys):
        for j, (name, vec) in enumerate(vectors.items()):
            ours = await v.vadd(key, vec, name, attributes={"i": i, "j": j},
                                quantization=QuantizationOptions.NOQUANT)
            theirs = await vp.vadd(key + "t", vec, name, attributes={"i": i, "j": j},
                                   quantization=RedisPyQuant.NOQUANT)
            assert ours == theirs == 1
    for key in keys:  # each client on its own copy (some calls write)
        for method, args, kwargs in [
            ("vsim", ([1.0, 0.5],), dict(with_scores=True, with_attribs=True)),
            ("vsim", ([1.0, 0.5],), dict(with_scores=True, count=2, filter=".j > 0")),
            ("vsim", ("e",), {}),
            ("vemb", ("e",), {}),
            ("vemb", ("f",), dict(raw=True)),
            ("vgetattr", ("e",), {}),
            ("vcard", (), {}),
            ("vdim", (), {}),
            ("vsetattr", ("e", {"i": 9}), {}),
            ("vgetattr", ("e",), {}),
            ("vrem", ("g",), {}),
            ("vcard", (), {}),
        ]:
            ours = await getattr(v, method)(key, *args, **kwargs)
            theirs = await getattr(vp, method)(key + "t", *args, **kwargs)
            assert ours == theirs and type(ours) is type(theirs), (key, method, ours, theirs)
        # the HNSW levels are drawn at random: level 0 (the last; every node of a 2-node set)
        links, theirs_links = await v.vlinks(key, "e", True), await vp.vlinks(key + "t", "e", True)
        assert links[-1] == theirs_links[-1] and type(links[-1]) is type(theirs_links[-1])
        info, theirs_info = await v.vinfo(key), await vp.vinfo(key + "t")
        random = {"vset-uid", "max-level", "hnsw-max-node-uid"}  # per set, or drawn at random
        assert info.keys() == theirs_info.keys()
        assert {k: val for k, val in info.items() if _text(k) not in random} == \
            {k: val for k, val in theirs_info.items() if _text(k) not in random}
        assert len(await v.vrandmember(key, 5)) == len(await vp.vrandmember(key + "t", 5)) == 2
    results = []
    for client, suffix in ((rc, ""), (rp, "t")):
        pipe = client.pipeline()
        for key in keys:
            pipe.vset().vcard(key + suffix)
            pipe.vset().vemb(key + suffix, "e")
            pipe.vset().vgetattr(key + suffix, "f")
        results.append(await pipe.execute())
    assert results[0] == results[1]
