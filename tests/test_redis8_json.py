"""RedisJSON (``r.json()``) against Redis 8.2.3 with the ReJSON module, compared with
redis-py 8.2 on the same server: every method, RESP2 and RESP3, bytes and decoded replies,
client, pipelines (``r.pipeline().json()`` and ``r.json().pipeline()``) and RedisCluster.
Options the 8.2.3 module lacks (``fpha``) are compared at the wire. Skipped with the reason
without the module (``FASTREDIS_TEST_SERVER=redis8`` loads it)."""

from __future__ import annotations

import decimal
import json
import warnings

import pytest
from _cmds_helpers import _types
from _redis8 import same_wire
from redis.asyncio import Redis as RedisPy
from redis.commands.json.commands import FPHAType as RedisPyFPHA
from redis.commands.json.path import Path as RedisPyPath
from redis.exceptions import ResponseError as RedisPyResponseError

import fastredis
from fastredis import DataError, ResponseError
from fastredis.commands.json import JSON
from fastredis.commands.json.commands import FPHAType
from fastredis.commands.json.path import Path

json_module = pytest.mark.requires_modules("ReJSON")

DOC = {"a": 1, "b": [1, 2, "x", None], "s": "str", "t": True, "f": 1.5, "n": None,
       "o": {"x": 1, "y": {"z": [3]}}, "u": "ünï", "e": [], "eo": {}}

# (method, args, kwargs): the whole of JSONCommands, legacy paths (".a": a scalar back) and
# JSONPaths ("$.a": a list per match), missing keys and paths, errors (compared too)
CALLS: list[tuple[str, tuple, dict]] = [
    ("set", ("k", "$", DOC), {}),
    ("set", ("k2", Path.root_path(), [1, 2.5, "x"]), {}),
    ("set", ("k", "$", 1), {"nx": True}),
    ("set", ("nokey", "$", 1), {"xx": True}),
    ("set", ("k3", "$", {b"bk": 1, "sk": 2}), {"decode_keys": True}),
    ("set", ("k4", Path("$"), None), {}),
    ("get", ("k",), {}), ("get", ("k", "$.a"), {}), ("get", ("k", ".a", ".b"), {}),
    ("get", ("k", "$.a", "$.b", "$..z"), {}), ("get", ("missing",), {}),
    ("get", ("k", "$.nope"), {}), ("get", ("k", ".u"), {}), ("get", ("k", ".u"), {"no_escape": True}),
    ("get", ("k", Path(".o")), {}), ("get", ("k", RedisPyPath(".s")), {}), ("get", ("k", ".n"), {}),
    ("get", ("k4",), {}), ("get", ("k2", "$[1]"), {}), ("get", ("k3",), {}),
    ("get", ("k", ".nope"), {}),
    ("type", ("k",), {}), ("type", ("k", "$.b"), {}), ("type", ("k", ".b"), {}),
    ("type", ("k", "$..*"), {}), ("type", ("missing",), {}), ("type", ("missing", "$"), {}),
    ("arrappend", ("k", "$.b", 3, {"q": 1}), {}), ("arrappend", ("k", ".b", 5), {}),
    ("arrappend", ("k", "$.s", 1), {}), ("arrappend", ("k", None, 1), {}),
    ("arrlen", ("k", "$.b"), {}), ("arrlen", ("k", ".b"), {}), ("arrlen", ("missing", ".b"), {}),
    ("arrlen", ("k", "$..*"), {}),
    ("arrindex", ("k", "$.b", 2), {}), ("arrindex", ("k", ".b", 2), {}),
    ("arrindex", ("k", ".b", "x", 1), {}), ("arrindex", ("k", ".b", "x", 1, 2), {}),
    ("arrindex", ("k", ".b", 2), {"stop": 1}), ("arrindex", ("k", ".b", None), {}),
    ("arrinsert", ("k", "$.b", 0, "z", [1]), {}), ("arrinsert", ("k", ".b", -1, 9.5), {}),
    ("arrpop", ("k", "$.b"), {}), ("arrpop", ("k", ".b"), {}), ("arrpop", ("k", ".b", 0), {}),
    ("arrpop", ("k", ".b", None), {}), ("arrpop", ("k", "$.e"), {}), ("arrpop", ("k", ".b", 1), {}),
    ("arrpop", ("missing", ".b"), {}),
    ("arrtrim", ("k", "$.b", 0, 1), {}), ("arrtrim", ("k", ".b", 0, 0), {}),
    ("objkeys", ("k",), {}), ("objkeys", ("k", "$"), {}), ("objkeys", ("k", "$..o"), {}),
    ("objkeys", ("k", "$.*"), {}), ("objkeys", ("missing",), {}), ("objkeys", ("k", ".eo"), {}),
    ("objlen", ("k",), {}), ("objlen", ("k", "$"), {}), ("objlen", ("k", "$..*"), {}),
    ("objlen", ("missing",), {}),
    ("numincrby", ("k", "$.a", 2), {}), ("numincrby", ("k", ".a", 2), {}),
    ("numincrby", ("k", ".f", 1.25), {}), ("numincrby", ("k", "$..*", 1), {}),
    ("nummultby", ("k", ".f", 2), {}), ("nummultby", ("k", "$.f", 2), {}),
    ("numincrby", ("k", ".s", 1), {}),
    ("strappend", ("k", "yy", ".s"), {}), ("strappend", ("k", "zz", "$.s"), {}),
    ("strappend", ("k", "!"), {}),
    ("strlen", ("k", ".s"), {}), ("strlen", ("k", "$.s"), {}), ("strlen", ("k", "$..*"), {}),
    ("strlen", ("k",), {}), ("strlen", ("missing", ".s"), {}),
    ("toggle", ("k", ".t"), {}), ("toggle", ("k", "$.t"), {}), ("toggle", ("k", "$..*"), {}),
    ("resp", ("k",), {}), ("resp", ("k", "$"), {}), ("resp", ("k", ".f"), {}),
    ("resp", ("k", ".s"), {}), ("resp", ("k", "$.o"), {}), ("resp", ("missing",), {}),
    ("debug", ("MEMORY", "k"), {}), ("debug", ("MEMORY", "k", "$"), {}),
    ("debug", ("MEMORY", "missing"), {}), ("debug", ("HELP",), {}),
    ("mget", (["k", "missing", "k2"], "$.a"), {}), ("mget", (["k", "missing"], ".a"), {}),
    ("mget", (["k", "k2"], "$"), {}), ("mget", ("k", "."), {}),
    ("merge", ("k", "$", {"m": 1, "a": None}), {}), ("merge", ("k", "$.o", {b"w": 2}), {"decode_keys": True}),
    ("mset", ([("k5", "$", 1), ("k6", Path("$"), [1, {"a": "b"}])],), {}),
    ("get", ("k5",), {}), ("get", ("k6",), {}), ("get", ("k",), {}),
    ("jsonset", ("k7", "$", {"j": 1}), {}), ("jsonget", ("k7",), {}), ("jsonmget", (["k7"], "$.j"), {}),
    ("clear", ("k", "$.o"), {}), ("clear", ("k",), {}), ("clear", ("missing",), {}),
    ("delete", ("k2", "$[0]"), {}), ("forget", ("k2", ".[0]"), {}), ("delete", ("k2",), {}),
    ("delete", ("missing",), {}),
]


async def _run(client, calls=CALLS) -> list:
    j = client.json()
    out = []
    for name, args, kwargs in calls:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = await getattr(j, name)(*args, **kwargs)
            except (ResponseError, RedisPyResponseError, json.JSONDecodeError) as exc:
                # the server's error, or redis-py's decoder refusing a reply that is not
                # JSON (JSON.RESP of a string): the same from both
                res = ("error", type(exc).__name__, str(exc).removeprefix("ERR "))
        out.append((res, [(w.category.__name__, str(w.message)) for w in caught]))
    return out


def _compare(ours: list, theirs: list, calls=CALLS) -> None:
    assert len(ours) == len(theirs) == len(calls)
    for call, a, b in zip(calls, ours, theirs):
        assert a == b, (call, a, b)
        assert _types(a[0]) == _types(b[0]), (call, a, b)


@json_module
async def test_every_method_answers_as_redis_py(pair):
    r, rp = pair
    ours = await _run(r)
    await r.flushdb()
    theirs = await _run(rp)
    _compare(ours, theirs)
    # the calls reached the server: a few outcomes checked by hand too
    assert ours[0][0] is True and ours[2][0] is None and ours[3][0] is None
    assert any(w for _, w in ours)  # nummultby / json* warned, as redis-py's


class _DecimalEncoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, decimal.Decimal):
            return str(o)
        return super().default(o)


@json_module
async def test_custom_encoder_and_decoder_as_redis_py(pair):
    r, rp = pair
    decoder = json.JSONDecoder(parse_float=decimal.Decimal, object_hook=lambda d: {"obj": d})
    encoder = _DecimalEncoder(sort_keys=True)
    calls = [("set", ("c", "$", {"d": decimal.Decimal("1.10"), "f": 2.5, "l": [0.5]}), {}),
             ("get", ("c",), {}), ("get", ("c", "$.f", "$.l"), {}), ("arrpop", ("c", ".l"), {}),
             ("numincrby", ("c", ".f", 1), {}), ("mget", (["c", "x"], "$"), {}),
             ("arrappend", ("c", ".l", decimal.Decimal("3.25")), {}), ("get", ("c", ".l"), {})]

    async def run(client):
        j = client.json(encoder=encoder, decoder=decoder)
        return [await getattr(j, name)(*args, **kw) for name, args, kw in calls]

    ours = await run(r)
    await r.flushdb()
    theirs = await run(rp)
    assert ours == theirs and _types(ours) == _types(theirs)
    assert isinstance(ours[1]["obj"]["f"], decimal.Decimal)  # the decoder was used


@json_module
async def test_pipelines_answer_as_redis_py(pair):
    r, rp = pair
    # writes, reads, server errors: in one batch. JSON.RESP of a string is not JSON: as
    # bytes its decoding raises out of execute() in redis-py and here alike (checked below;
    # as str, redis-py's decoder keeps it as it is)
    not_json = ("resp", ("k", ".s"), {})
    as_bytes = not r.connection_pool.connection_kwargs["decode_responses"]
    calls = [c for c in CALLS if c != not_json or not as_bytes]

    async def batch(client):
        pipe = client.pipeline(transaction=False)
        j = pipe.json()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for name, args, kwargs in calls:
                getattr(j, name)(*args, **kwargs)
        return await pipe.execute(raise_on_error=False)

    ours = await batch(r)
    await r.flushdb()
    theirs = await batch(rp)
    assert len(ours) == len(theirs) == len(calls)
    for call, a, b in zip(calls, ours, theirs):
        if isinstance(b, Exception):
            assert type(a).__name__ == type(b).__name__, (call, a, b)
            continue
        assert (a, _types(a)) == (b, _types(b)), (call, a, b)
    for client in (r, rp) if as_bytes else ():
        pipe = client.pipeline()
        pipe.json().set("k", "$", DOC)
        pipe.json().resp(*not_json[1])
        with pytest.raises(json.JSONDecodeError):
            await pipe.execute(raise_on_error=False)


@json_module
async def test_json_pipeline_has_the_json_set_and_get_first(pair):
    """``r.json().pipeline()``: redis-py's JSON pipeline, whose ``set``/``get``/``delete``/
    ``type``/``mget``/``mset`` are the JSON commands and the rest core commands. (redis-py's
    own asyncio one is a sync pipeline over an async pool, unusable: compared here with the
    same commands through redis-py's ``pipeline().json()``.)"""
    r, rp = pair
    for transaction in (True, False):
        await r.flushdb()
        pipe = r.json(decoder=json.JSONDecoder(parse_int=str)).pipeline(transaction=transaction)
        assert pipe.transaction is transaction
        pipe.set("p", "$", {"a": 1}).hset("h", "f", "v").get("p").type("p", ".a")
        pipe.mset([("q", "$", [1])]).mget(["p", "q"], "$").delete("p", ".a").hget("h", "f")
        pipe.get("p", "$.a").delete("q").arrlen("q")
        ours = await pipe.execute()
        await r.flushdb()
        p = rp.pipeline(transaction=transaction)
        j = p.json(decoder=json.JSONDecoder(parse_int=str))
        j.set("p", "$", {"a": 1})
        p.hset("h", "f", "v")
        for name, args in [("get", ("p",)), ("type", ("p", ".a")), ("mset", ([("q", "$", [1])],)),
                           ("mget", (["p", "q"], "$")), ("delete", ("p", ".a"))]:
            getattr(j, name)(*args)
        p.hget("h", "f")
        for name, args in [("get", ("p", "$.a")), ("delete", ("q",)), ("arrlen", ("q",))]:
            getattr(j, name)(*args)
        theirs = await p.execute()
        assert (ours, _types(ours)) == (theirs, _types(theirs))
        assert ours[2] == {"a": "1"}  # the JSON object's decoder
    async with r.json().pipeline() as pipe:  # the pipeline's context manager is kept
        pipe.set("ctx", ".", 1)
        assert await pipe.execute() == [True]


async def test_bad_arguments_are_refused_before_sending(r):
    j = r.json()
    with pytest.raises(DataError):
        await j.set("k", "$", 1, nx=True, xx=True)
    with pytest.raises(DataError):
        await j.set("k", "$", [1.0], fpha="FP8")
    with pytest.raises(DataError):
        await j.debug("memory", "k")
    with pytest.raises(DataError):
        await j.debug("MEMORY")
    with pytest.raises(DataError):
        await j.mset([])
    with pytest.raises(DataError):
        await j.mget([], "$")
    with pytest.raises(TypeError):
        await j.set("k", "$", {1, 2})  # the encoder's own refusal, as in redis-py
    assert await r.exists("k") == 0
    pipe = r.pipeline()
    with pytest.raises(DataError):
        pipe.json().set("k", "$", 1, nx=True, xx=True)
    assert len(pipe) == 0


async def test_fpha_and_options_at_the_wire():
    """``fpha`` (RedisJSON 8.2+, not in the 8.2.3 module) and the argument forms: the same
    bytes as redis-py."""
    for fpha in ("BF16", "fp16", FPHAType.FP32, RedisPyFPHA.FP64):
        await same_wire(lambda c, f=fpha: c.json().set("k", "$", [1.5, 2.5], nx=True, fpha=f))
    await same_wire(lambda c: c.json().set("k", Path("$.a"), {"x": [1, None]}, xx=True))
    await same_wire(lambda c: c.json().get("k", "$.a", Path(".b"), no_escape=True))
    await same_wire(lambda c: c.json().arrindex("k", "$", 1, stop=3))
    await same_wire(lambda c: c.json().arrpop("k", None, None))
    await same_wire(lambda c: c.json().strlen("k"))
    await same_wire(lambda c: c.json().mset([("a", "$", 1), ("b", Path("."), "s")]))
    await same_wire(lambda c: c.json().mget(["a", "b"], RedisPyPath("$")))
    await same_wire(lambda c: c.json().merge("k", "$", {b"x": 1}, decode_keys=True))


@json_module
async def test_set_file_and_set_path(pair, tmp_path):
    r, rp = pair
    (tmp_path / "sub").mkdir()
    (tmp_path / "one.json").write_text('{"a": [1, 2]}')
    (tmp_path / "sub" / "two.json").write_text('"text"')
    (tmp_path / "bad.json").write_text("{not json")
    results = []
    for client in (r, rp):
        await client.flushdb()
        j = client.json()
        done = await j.set_path("$", str(tmp_path))
        first = await j.set_file("f", "$", str(tmp_path / "one.json"))
        again = await j.set_file("f", "$", str(tmp_path / "one.json"), nx=True)
        keys = sorted(k if isinstance(k, str) else k.decode() for k in await client.keys("*"))
        results.append((done, first, again, keys, await j.get(str(tmp_path / "one"))))
    assert results[0] == results[1]
    assert results[0][0][str(tmp_path / "bad.json")] is False


async def test_the_json_object():
    async with fastredis.Redis(decode_responses=True) as r:
        j = r.json()
        assert isinstance(j, JSON) and j.client is r and j.MODULE_VERSION is None
        assert repr(j).startswith("<JSON of <fastredis.Redis")
        assert str(Path("$.a")) == "$.a" and Path.root_path() == "."
        assert Path("$.a").strPath == "$.a"


@json_module
async def test_cluster(rc, redis_cluster):
    """Routed by key; JSON.MGET across slots asked of each slot's node (the module declares
    one key: redis-py sends it to the first key's node, which answers None for keys held
    elsewhere); JSON.MSET across slots refused, as by redis-py."""
    from redis.asyncio.cluster import RedisCluster as RedisPyCluster
    from redis.exceptions import RedisClusterException

    from fastredis.cluster import CrossSlotError, RedisCluster

    keys = [f"doc:{i}" for i in range(8)]  # spread over the shards
    assert len({rc.get_node_from_key(k).port for k in keys}) == 3
    j = rc.json()
    for i, key in enumerate(keys):
        assert await j.set(key, "$", {"i": i, "l": [i]}) is True
    for protocol in (2, 3):
        rp = RedisPyCluster(**redis_cluster.client_kwargs(), protocol=protocol)
        ours = RedisCluster(**redis_cluster.client_kwargs(), protocol=protocol)
        try:
            jo, jp = ours.json(), rp.json()
            for key in keys:
                for name, args in [("get", ("$.i",)), ("get", (".l",)), ("type", (".l",)),
                                   ("objkeys", ()), ("arrlen", ("$.l",)), ("resp", ())]:
                    a = await getattr(jo, name)(key, *args)
                    b = await getattr(jp, name)(key, *args)
                    assert (a, _types(a)) == (b, _types(b)), (name, key)
            # keys of one slot: one command, the same answer as redis-py
            tagged = ["{t}a", "{t}b", "{t}missing"]
            assert await jo.mset([(k, "$", k) for k in tagged[:2]]) is True
            assert await jo.mget(tagged, "$") == await jp.mget(tagged, "$") == [["{t}a"], ["{t}b"], None]
            # across slots: every key's value, in order
            got = await jo.mget([*keys, "missing"], "$.i")
            assert got == [[i] for i in range(len(keys))] + [None]
            assert got[:1] == (await jp.mget(keys, "$.i"))[:1]
            with pytest.raises(CrossSlotError):
                await jo.mset([(k, "$", 0) for k in keys])
            with pytest.raises(RedisClusterException):
                await jp.mset([(k, "$", 0) for k in keys])
        finally:
            await ours.aclose()
            await rp.aclose()
    pipe = rc.pipeline()
    for key in keys:
        pipe.json().numincrby(key, ".i", 10)
    pipe.json().mget(keys, ".i")
    assert await pipe.execute() == [i + 10 for i in range(len(keys))] + [[i + 10 for i in range(len(keys))]]
    jpipe = rc.json().pipeline()
    jpipe.get(keys[0], ".i").mget(keys, "$.i").set(keys[1], ".i", 0).get(keys[1])
    assert await jpipe.execute() == [10, [[i + 10] for i in range(len(keys))], True, {"i": 0, "l": [1]}]


def test_json_mget_route_names_every_key():
    """RedisJSON's COMMAND entry gives JSON.MGET one key; the router corrects it (and the
    fallback table, for a server whose COMMAND cannot be read, has it too)."""
    from fastredis.cluster.routing import Router

    entry = ["json.mget", -1, ["readonly", "module"], 1, 1, 1, [], [],
             [["flags", ["RW"], "begin_search", ["type", "index", "spec", ["index", 1]],
               "find_keys", ["type", "range", "spec", ["lastkey", 0, "keystep", 1, "limit", 0]]]], []]
    for router in (Router([entry]), Router()):
        route = router.lookup(("JSON.MGET", "a", "b", "c", "$"))
        assert route.positions(("JSON.MGET", "a", "b", "c", "$")) == [1, 2, 3]
        assert route.readonly and route.request_policy == "multi_shard" and not route.simple
    assert Router([]).lookup(("JSON.MGET", "a", "$")) is None  # no module: not invented


def test_every_redis_py_json_method_with_its_parameters():
    """redis-py's asyncio JSON class (what ``redis.asyncio.Redis.json()`` returns): each
    public name is here, each method takes redis-py's parameters (the same check as
    test_api_coverage's for the client)."""
    from redis.commands.json import AsyncJSON
    from test_api_coverage import _named, _takes_redis_py_parameters

    theirs = {n for n in dir(AsyncJSON) if not n.startswith("_")}
    ours = {n for n in dir(JSON) if not n.startswith("_")}
    assert theirs - ours == set()
    wrong = {}
    for name in sorted(theirs):
        t, o = _named(getattr(AsyncJSON, name)), _named(getattr(JSON, name))
        if t is not None and not _takes_redis_py_parameters(o, t):
            wrong[name] = (o, t)
    assert wrong == {}
    for attr in ("client", "MODULE_VERSION", "execute_command"):  # set in redis-py's __init__
        assert hasattr(JSON(fastredis.Redis()), attr)
    rp_json = RedisPy().json
    assert _takes_redis_py_parameters(_named(fastredis.Redis.json), _named(rp_json.__func__))
