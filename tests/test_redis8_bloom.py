"""RedisBloom (``r.bf()``, ``r.cf()``, ``r.cms()``, ``r.topk()``, ``r.tdigest()``) against
Redis 8.2.3 with the module, compared with redis-py 8.2 on the same server: every method,
RESP2 and RESP3, bytes and decoded replies, client, pipeline and RedisCluster.

Each family runs one scenario (every method, the error cases too) on keys of its own for
each client; the deterministic sketches give the same answers, so the results must be
equal, types included (info objects by their attributes, NaN equal to NaN). Skipped with
the reason on servers without the module (``FASTREDIS_TEST_SERVER=redis8`` runs them)."""

from __future__ import annotations

import inspect
import math
from typing import Any

import pytest
import redis.commands.bf as redis_py_bf
from redis.asyncio import Redis as RedisPy

import fastredis
import fastredis.commands.bf as bf
from fastredis import DataError

# the tests that need the server (the others run in every leg)
bloom = pytest.mark.requires_modules("bf")

FAMILIES = {  # factory -> (fastredis class, redis-py class)
    "bf": (bf.BFBloom, redis_py_bf.AsyncBFBloom),
    "cf": (bf.CFBloom, redis_py_bf.AsyncCFBloom),
    "cms": (bf.CMSBloom, redis_py_bf.AsyncCMSBloom),
    "topk": (bf.TOPKBloom, redis_py_bf.AsyncTOPKBloom),
    "tdigest": (bf.TDigestBloom, redis_py_bf.AsyncTDigestBloom),
}
INFO_CLASSES = ("BFInfo", "CFInfo", "CMSInfo", "TopKInfo", "TDigestInfo")


def norm(value: Any) -> Any:
    """A value with its types, comparable across the two libraries."""
    if type(value).__name__ in INFO_CLASSES:
        return type(value).__name__, norm(vars(value))
    if isinstance(value, float) and math.isnan(value):
        return "float", "nan"
    if isinstance(value, dict):
        return "dict", {k: norm(v) for k, v in value.items()}, [type(k).__name__ for k in value]
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [norm(v) for v in value]
    if isinstance(value, BaseException):
        # fastredis keeps the server's whole message, redis-py drops a leading "ERR "
        return type(value).__name__, str(value).removeprefix("ERR ")
    return type(value).__name__, value


async def attempt(awaitable: Any) -> Any:
    try:
        return await awaitable
    except Exception as exc:  # the server's error, compared by its text
        return exc


# --------------------------------------------------------------------------- scenarios
# Each takes a client and a key prefix (a hash tag: the merges' keys share a slot on a
# cluster) and returns the result of every call.

async def bf_scenario(client: Any, p: str) -> list[Any]:
    b = client.bf()
    out = [await b.create(p + "b", 0.01, 1000), await b.reserve(p + "b2", 0.001, 100, expansion=4),
           await b.create(p + "b3", 0.01, 100, noScale=True),
           await attempt(b.create(p + "b", 0.01, 1000))]
    out += [await b.add(p + "b", "a"), await b.add(p + "b", "a"), await b.madd(p + "b", "b", "c", "a"),
            await b.exists(p + "b", "a"), await b.exists(p + "b", "zz"),
            await b.mexists(p + "b", "a", "zz", "b"), await b.card(p + "b"), await b.card(p + "none")]
    out += [await b.insert(p + "b4", ["x", "y"], capacity=50, error=0.05, expansion=2),
            await b.insert(p + "b4", ("x", "q")), await b.insert(p + "b5", ["x"], noScale=True),
            await attempt(b.insert(p + "none", ["x"], noCreate=True)),
            await b.add(p + "b6", 12), await b.exists(p + "b6", "12")]
    for key in ("b", "b2", "b3", "b4"):
        out.append(await b.info(p + key))
    out.append(await attempt(b.info(p + "none")))
    return out


async def cf_scenario(client: Any, p: str) -> list[Any]:
    c = client.cf()
    out = [await c.create(p + "c", 1000),
           await c.reserve(p + "c2", 100, expansion=2, bucket_size=4, max_iterations=50),
           await attempt(c.create(p + "c", 1000))]
    out += [await c.add(p + "c", "a"), await c.add(p + "c", "a"), await c.addnx(p + "c", "a"),
            await c.addnx(p + "c", "b"), await c.insert(p + "c", ["c", "d"]),
            await c.insert(p + "c3", ["x"], capacity=100),
            await attempt(c.insert(p + "none", ["x"], nocreate=True)),
            await c.insertnx(p + "c", ["c", "e"]), await c.insertnx(p + "c4", ["a"], capacity=100),
            await c.exists(p + "c", "a"), await c.exists(p + "c", "zz"),
            await c.mexists(p + "c", "a", "zz", "e"), await c.count(p + "c", "a"),
            await c.delete(p + "c", "a"), await c.delete(p + "c", "zz"), await c.count(p + "c", "a")]
    for key in ("c", "c2", "c3"):
        out.append(await c.info(p + key))
    return out


async def cms_scenario(client: Any, p: str) -> list[Any]:
    m = client.cms()
    out = [await m.initbydim(p + "m", 100, 5), await m.initbyprob(p + "m2", 0.01, 0.01),
           await m.initbydim(p + "m3", 100, 5), await m.initbydim(p + "dest", 100, 5),
           # CELL_SIZE needs a RedisBloom newer than Redis 8.2's: the server's error
           await attempt(m.initbydim(p + "m4", 100, 5, cell_size=2)),
           await attempt(m.initbyprob(p + "m4", 0.01, 0.01, cell_size=2))]
    out += [await m.incrby(p + "m", ["a", "b"], [3, 4]), await m.incrby(p + "m", ["a"], [1]),
            await m.incrby(p + "m3", ["a", "c"], [10, 1]), await m.query(p + "m", "a", "b", "zz"),
            await m.merge(p + "dest", 2, [p + "m", p + "m3"]), await m.query(p + "dest", "a", "c"),
            await m.merge(p + "dest", 2, [p + "m", p + "m3"], weights=[2, 3]),
            await m.query(p + "dest", "a", "b", "c"),
            await attempt(m.merge(p + "dest", 2, [p + "m", p + "m2"])),
            await m.info(p + "m"), await m.info(p + "m2"), await m.info(p + "dest")]
    return out


async def topk_scenario(client: Any, p: str) -> list[Any]:
    t = client.topk()
    # wide enough that no two items share a counter: no probabilistic decay, the same
    # answers on every key
    out = [await t.reserve(p + "t", 3, 2000, 7, 0.9), await attempt(t.reserve(p + "t", 3, 20, 7, 0.9))]
    out += [await t.add(p + "t", "a", "b", "c"), await t.add(p + "t", "d", "a", "a"),
            await t.add(p + "t", "42", "42", "42", "2.5", "2.5", "2.5", "2.5"),
            await t.incrby(p + "t", ["x", "y"], [10, 20]), await t.incrby(p + "t", ["a"], [1]),
            await t.query(p + "t", "a", "x", "zz")]
    with pytest.warns(DeprecationWarning):
        out.append(await t.count(p + "t", "a", "x", "42"))
    out += [await t.list(p + "t"), await t.list(p + "t", withcount=True), await t.info(p + "t"),
            await attempt(t.add(p + "none", "a"))]
    return out


async def tdigest_scenario(client: Any, p: str) -> list[Any]:
    d = client.tdigest()
    out = [await d.create(p + "d"), await d.create(p + "d2", compression=200),
           await d.create(p + "dest"),
           await d.min(p + "d"), await d.max(p + "d"), await d.quantile(p + "d", 0.5),
           await d.cdf(p + "d", 1), await d.byrank(p + "d", 0), await d.rank(p + "d", 1),
           await d.trimmed_mean(p + "d", 0.1, 0.9)]
    out += [await d.add(p + "d", [1, 2, 3.5, 10]), await d.add(p + "d2", (5, 6, 7.25)),
            await d.min(p + "d"), await d.max(p + "d"), await d.quantile(p + "d", 0.5, 0.9),
            await d.cdf(p + "d", 2, 100), await d.trimmed_mean(p + "d", 0.1, 0.9),
            await d.rank(p + "d", 2, -5, 100), await d.revrank(p + "d", 2, 100),
            await d.byrank(p + "d", 0, 1, 100), await d.byrevrank(p + "d", 0, 100),
            await d.info(p + "d")]
    out += [await d.merge(p + "dest", 2, p + "d", p + "d2"), await d.quantile(p + "dest", 0.5),
            await d.merge(p + "dest", 2, p + "d", p + "d2", compression=50, override=True),
            await d.info(p + "dest"), await d.merge(p + "new", 1, p + "d2"),
            await d.max(p + "new"), await d.reset(p + "d"), await d.info(p + "d"),
            await attempt(d.min(p + "none"))]
    return out


SCENARIOS = {"bf": bf_scenario, "cf": cf_scenario, "cms": cms_scenario,
             "topk": topk_scenario, "tdigest": tdigest_scenario}


async def assert_same_scenario(family: str, ours: Any, theirs: Any) -> list[Any]:
    mine = await SCENARIOS[family](ours, f"{{o}}:{family}:")
    reference = await SCENARIOS[family](theirs, f"{{t}}:{family}:")
    assert len(mine) == len(reference)
    for i, (a, b) in enumerate(zip(mine, reference)):
        assert norm(a) == norm(b), (family, i, a, b)
    return mine


# --------------------------------------------------------------------------- tests
@bloom
@pytest.mark.parametrize("family", list(SCENARIOS))
async def test_every_method_answers_as_redis_py(pair, family):
    r, rp = pair
    results = await assert_same_scenario(family, r, rp)
    info = [x for x in results if type(x).__name__ in INFO_CLASSES or isinstance(x, dict)]
    assert info, "the scenario reads info"
    if r.connection_pool.params.protocol == 2:  # the info objects, as redis-py's
        assert all(isinstance(x, getattr(bf, type(x).__name__)) for x in info)


@bloom
async def test_shapes_per_protocol(redis_server, redis):
    """What the comparison above pins, spelled out (the reference shapes of redis-py)."""
    for protocol in (2, 3):
        async with fastredis.Redis(**redis_server.client_kwargs(protocol=protocol)) as r:
            t, d, b = r.topk(), r.tdigest(), r.bf()
            p = f"s{protocol}:"
            await t.reserve(p + "t", 2, 2000, 7, 0.9)
            await t.add(p + "t", "7", "a", "a")
            await d.create(p + "d")
            await d.create(p + "empty")
            await d.add(p + "d", [1, 2])
            await b.add(p + "b", "x")
            info = await b.info(p + "b")
            if protocol == 2:
                assert await t.list(p + "t", withcount=True) == ["a", 2, 7, 1]
                assert await d.byrank(p + "d", 0, 9) == [1, math.inf]
                assert await d.quantile(p + "empty", 0.5) == ["nan"]
                assert isinstance(info, bf.BFInfo) and info.insertedNum == 1
                assert info["capacity"] == info.get("capacity") == 100
                assert (await t.info(p + "t")).decay == b"0.9"
            else:
                assert await t.list(p + "t", withcount=True) == [b"a", 2, b"7", 1]
                assert await d.byrank(p + "d", 0, 9) == [1.0, math.inf]
                assert math.isnan((await d.quantile(p + "empty", 0.5))[0])
                assert info[b"Number of items inserted"] == 1
                assert bf.BFInfo(info) == bf.BFInfo([b"Capacity", 100, b"Size", info[b"Size"],
                                                     b"Number of filters", 1,
                                                     b"Number of items inserted", 1,
                                                     b"Expansion rate", 2])
                assert (await t.info(p + "t"))[b"decay"] == 0.9
            assert await d.min(p + "d") == 1.0


@bloom
async def test_scandump_and_loadchunk_as_redis_py(redis_server, redis):
    """The chunks are binary: compared on clients without decoding (redis-py returns them
    as bytes even when decoding; see the module's note)."""
    for protocol in (2, 3):
        r = fastredis.Redis(**redis_server.client_kwargs(protocol=protocol))
        rp = RedisPy(**redis_server.client_kwargs(), protocol=protocol)
        try:
            for family in ("bf", "cf"):
                ours, theirs = getattr(r, family)(), getattr(rp, family)()
                key = f"{family}{protocol}"
                await ours.create(key, 0.01, 1000) if family == "bf" else await ours.create(key, 1000)
                await ours.insert(key, [f"i{n}" for n in range(50)])
                chunks, it = [], 0
                while True:
                    mine = await ours.scandump(key, it)
                    assert norm(mine) == norm(await theirs.scandump(key, it))
                    it, data = mine
                    if it == 0:
                        break
                    chunks.append((it, data))
                assert norm(await attempt(ours.scandump("missing" + key, 0))) == \
                    norm(await attempt(theirs.scandump("missing" + key, 0)))
                for it, data in chunks:
                    assert norm(await ours.loadchunk("ours" + key, it, data)) == \
                        norm(await theirs.loadchunk("theirs" + key, it, data))
                for copy in ("ours" + key, "theirs" + key):
                    assert await ours.mexists(copy, "i0", "i49") in ([1, 1], [True, True])
        finally:
            await r.aclose()
            await rp.aclose()


@bloom
async def test_pipeline(pair):
    r, rp = pair
    results = []
    for client in (r, rp):
        for transaction in (True, False):
            pipe = client.pipeline(transaction=transaction)
            p = f"p{transaction}:{type(client).__module__}"
            pipe.bf().create(p + "b", 0.01, 100)
            pipe.bf().madd(p + "b", "a", "b")
            pipe.bf().info(p + "b")
            pipe.cf().insert(p + "c", ["a"])
            pipe.cf().info(p + "c")
            pipe.cms().initbydim(p + "m", 10, 2)
            pipe.cms().incrby(p + "m", ["a"], [5])
            pipe.cms().info(p + "m")
            pipe.topk().reserve(p + "t", 2, 2000, 7, 0.9)
            pipe.topk().add(p + "t", "1", "a", "b", "b")
            pipe.topk().list(p + "t", withcount=True)
            pipe.topk().info(p + "t")
            pipe.tdigest().create(p + "d")
            pipe.tdigest().add(p + "d", [1, 2, 3])
            pipe.tdigest().quantile(p + "d", 0.5)
            pipe.tdigest().info(p + "d")
            results.append(norm(await pipe.execute()))
    assert results[0] == results[2] and results[1] == results[3]


async def test_bad_arguments_are_refused_before_sending(r):
    calls = [
        lambda: r.bf().insert("k", "abc"),  # redis-py would send a, b, c
        lambda: r.cf().insertnx("k", b"abc"),
        lambda: r.cf().insert("k", 5),
        lambda: r.cms().incrby("k", ["a", "b"], [1]),  # redis-py: IndexError
        lambda: r.cms().incrby("k", ["a"], [1, 2]),  # redis-py: the 2 silently dropped
        lambda: r.topk().incrby("k", "ab", [1, 2]),
        lambda: r.cms().merge("k", 1, "src"),
        lambda: r.cms().merge("k", 1, ["src"], weights=2),
        lambda: r.tdigest().add("k", "1 2"),
        lambda: r.tdigest().add("k", {"a": 1}),
    ]
    for call in calls:
        with pytest.raises(DataError):
            await call()
    assert await r.exists("k", "src") == 0
    pipe = r.pipeline()
    with pytest.raises(DataError):
        pipe.bf().insert("k", "abc")
    assert len(pipe) == 0


def test_names_and_signatures_are_redis_py_s():
    """Every public name of redis-py's family objects (the command methods and the
    ``append_*`` helpers) exists here, each method with redis-py's parameters in order,
    with the same defaults (an empty tuple standing for redis-py's ``[]``)."""
    for family, (ours, theirs) in FAMILIES.items():
        names = {n for n in dir(theirs) if not n.startswith("_")}
        assert names <= set(dir(ours)), (family, names - set(dir(ours)))
        for name in names:
            mine, reference = inspect.signature(getattr(ours, name)), inspect.signature(getattr(theirs, name))
            a = [(p.name, p.kind, p.default) for p in mine.parameters.values()]
            b = [(p.name, p.kind, () if p.default == [] else p.default)
                 for p in reference.parameters.values()]
            assert a == b, (family, name, a, b)
    for name in INFO_CLASSES:
        ours, theirs = getattr(bf, name), getattr(redis_py_bf, name)
        public = {n for n in vars(theirs) if not n.startswith("_")}
        assert public <= set(dir(ours)), (name, public - set(dir(ours)))


def test_info_objects_read_either_protocol():
    resp2 = [b"k", 3, b"width", 50, b"depth", 4, b"decay", b"0.9"]
    resp3 = {"k": 3, "width": 50, "depth": 4, "decay": 0.9}
    for reply in (resp2, resp3):
        ours, theirs = bf.TopKInfo(reply), redis_py_bf.TopKInfo(reply)
        assert vars(ours) == vars(theirs)
        assert ours["k"] == 3 and ours.get("nope") is None
    assert bf.TopKInfo(resp2) != bf.TopKInfo(resp3)  # decay as sent: b"0.9" vs 0.9
    assert "TopKInfo(k=3" in repr(bf.TopKInfo(resp3))
    cms = [b"width", 10, b"depth", 2, b"count", 0]
    assert vars(bf.CMSInfo(cms)) == vars(redis_py_bf.CMSInfo(cms))
    assert bf.CMSInfo(cms).cell_size is None
    assert vars(bf.CMSInfo(cms + [b"cell_size", 2])) == vars(redis_py_bf.CMSInfo(cms + [b"cell_size", 2]))


@bloom
async def test_cluster(redis_cluster):
    """The five families on a 3-primary Redis 8.2.3 cluster with RedisBloom, routed by
    key (the scenario's keys share a hash tag: the merges are same-slot), RESP2 and
    RESP3, compared with redis-py's RedisCluster; and a cluster pipeline."""
    from redis.asyncio.cluster import RedisCluster as RedisPyCluster

    from fastredis.cluster import RedisCluster

    assert len(redis_cluster.primaries()) == 3
    for protocol in (2, 3):
        rc = RedisCluster(**redis_cluster.client_kwargs(), protocol=protocol)
        rp = RedisPyCluster(**redis_cluster.client_kwargs(), protocol=protocol)
        try:
            await rc.initialize()
            assert rc.get_node_from_key("{o}:x").port != rc.get_node_from_key("{t}:x").port
            for family in SCENARIOS:
                await assert_same_scenario(family, rc, rp)
            keys = [f"bf:{i}" for i in range(6)]  # over the shards
            assert len({rc.get_node_from_key(k).port for k in keys}) > 1
            pipe = rc.pipeline()
            for key in keys:
                pipe.bf().add(key, "a")
                pipe.topk().reserve(key + "t", 2, 100, 3, 0.9)
                pipe.topk().add(key + "t", "1", "b")
            replies = await pipe.execute()
            added = 1 if protocol == 2 else True
            assert replies == [added, True, [None, None]] * 6
            for key in keys:
                assert norm(await rc.topk().list(key + "t")) == norm(await rp.topk().list(key + "t"))
        finally:
            await rc.aclose()
            await rp.aclose()
        redis_cluster.flushall()


def test_parse_to_list_is_redis_py_s():
    from redis.commands.helpers import parse_to_list as theirs

    replies = [None, [], [None, b"a", b"12", b"-3", b"2.5", b"1e3", b"inf", b"-inf", b"nan",
                          b"NaN", b"infinity", b"-Infinity", b"null", b"\xff", 7, 1.5, True],
               ["a", "12", "null", "nan", "x y"]]
    for reply in replies:
        assert norm(bf.parse_to_list(reply)) == norm(theirs(reply)), reply


@bloom
async def test_scandump_on_a_decoding_client(redis_server, redis):
    """What the docs say: a chunk that is not text is a DataError on a decoding client,
    and the connection goes on (redis-py returns the bytes)."""
    await redis.bf().create("b", 0.01, 100)
    await redis.bf().add("b", "x")
    raw = await redis.bf().scandump("b", 0)
    with pytest.raises(UnicodeDecodeError):
        raw[1].decode()  # the header chunk is binary (this filter's parameters)
    async with fastredis.Redis(**redis_server.client_kwargs(decode_responses=True)) as s:
        with pytest.raises(DataError):
            await s.bf().scandump("b", 0)
        assert await s.bf().exists("b", "x") == 1
