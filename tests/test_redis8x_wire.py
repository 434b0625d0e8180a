"""Commands newer than Redis 8.2 (arrays, set-member expiry, ZMOVE, LMOVEM, INCREX,
BACKUP, HOTKEYS, BLESS ...): no server here runs them. For each method fastredis puts the
same bytes on the wire as redis-py 8.2 for representative calls, refuses what redis-py
refuses before sending, and parses recorded RESP2 / RESP3 replies, played back by a scripted
loopback server, into what redis-py makes of the same bytes."""

from __future__ import annotations

import datetime

import pytest
from _redis8 import same_reply, same_wire

from fastredis import DataError, Redis

# redis-py 8.2 marks DELEX and DIGEST experimental and warns on each call (its warning)
pytestmark = pytest.mark.filterwarnings("ignore:Call to experimental method:UserWarning")

INTS = b"*3\r\n:-2\r\n:0\r\n:1\r\n"
INTS3 = INTS


async def test_set_commands_at_the_wire():
    from redis.commands.core import SetDataPersistOptions

    await same_wire(lambda c: c.sdiffcard(2, ["a", "b"]))
    await same_wire(lambda c: c.sdiffcard(3, ["a", "b", "c"], limit=5))
    await same_wire(lambda c: c.sunioncard(2, ["a", "b"]))
    await same_wire(lambda c: c.sunioncard(2, ["a", "b"], limit=7, approx=True))
    await same_wire(lambda c: c.saddex("s", "m1", "m2"))
    await same_wire(lambda c: c.saddex("s", "m1", ex=10))
    await same_wire(lambda c: c.saddex("s", "m1", ex="60", data_persist_option=SetDataPersistOptions.MNX))
    await same_wire(lambda c: c.saddex("s", "m1", px=datetime.timedelta(seconds=1.5)))
    await same_wire(lambda c: c.saddex("s", "m1", "m2", exat=2_000_000_000,
                                       data_persist_option=SetDataPersistOptions.MXX))
    await same_wire(lambda c: c.saddex("s", "m", pxat=2_000_000_000_000))
    await same_wire(lambda c: c.saddex("s", "m", keepttl=True))
    for name, when in (("sexpire", 10), ("sexpire", datetime.timedelta(minutes=2)),
                       ("spexpire", 1500), ("spexpire", datetime.timedelta(seconds=1.001)),
                       ("sexpireat", 2_000_000_000),
                       ("sexpireat", datetime.datetime(2033, 5, 18, tzinfo=datetime.timezone.utc)),
                       ("spexpireat", 2_000_000_000_123),
                       ("spexpireat", datetime.datetime(2033, 5, 18, 3, 33, 20, 123456,
                                                        tzinfo=datetime.timezone.utc))):
        await same_wire(lambda c, name=name, when=when: getattr(c, name)("s", when, "a", "b"))
        for flag in ("nx", "xx", "gt", "lt"):
            await same_wire(lambda c, name=name, when=when, flag=flag:
                            getattr(c, name)("s", when, "a", **{flag: True}))
    for name in ("sexpiretime", "spexpiretime", "spersist", "sttl", "spttl"):
        await same_wire(lambda c, name=name: getattr(c, name)("s", "a"))
        await same_wire(lambda c, name=name: getattr(c, name)("s", "a", b"b", "c"))


def test_set_commands_refuse_before_sending():
    client = Redis()
    bad = [
        lambda: client.saddex("s", "m", ex=1, px=1),
        lambda: client.saddex("s", "m", ex=1, keepttl=True),
        lambda: client.saddex("s", "m", ex="1.5"),
        lambda: client.saddex("s", "m", data_persist_option="FNX"),
        lambda: client.sexpire("s", 1, "m", nx=True, xx=True),
        lambda: client.spexpireat("s", 1, "m", gt=True, lt=True),
    ]
    for call in bad:
        with pytest.raises(DataError):
            call()


async def test_set_replies_parse_as_redis_py():
    for call in (lambda c: c.sexpire("s", 5, "a", "b", "c"), lambda c: c.sttl("s", "a", "b", "c"),
                 lambda c: c.spersist("s", "a", "b", "c")):
        assert await same_reply(call, INTS, INTS3) == [-2, 0, 1]
    assert await same_reply(lambda c: c.saddex("s", "m", ex=1), b":1\r\n", b":1\r\n") == 1
    assert await same_reply(lambda c: c.sunioncard(2, ["a", "b"]), b":12\r\n", b":12\r\n") == 12
    assert await same_reply(lambda c: c.sdiffcard(2, ["a", "b"]), b":0\r\n", b":0\r\n") == 0


async def test_list_and_zset_moves_at_the_wire():
    await same_wire(lambda c: c.lmovem("a", "b"))
    await same_wire(lambda c: c.lmovem("a", "b", "RIGHT", "LEFT", count=3, ordering="OBO"))
    await same_wire(lambda c: c.lmovem("a", "b", count=3, mode="EXACTLY", ordering="BULK"))
    await same_wire(lambda c: c.blmovem("a", "b", 0))
    await same_wire(lambda c: c.blmovem("a", "b", 1.5, "LEFT", "LEFT", count=2, mode="COUNT",
                                        ordering="BULK"))
    await same_wire(lambda c: c.zmove("a", "b", min=True))
    await same_wire(lambda c: c.zmove("a", "b", max=True, count=5))
    await same_wire(lambda c: c.zmove("a", "b", byscore=("(1", "+inf")))
    await same_wire(lambda c: c.zmove("a", "b", byscore=(1, 2.5), count=10))
    await same_wire(lambda c: c.bzmove("a", "b", 0, min=True))
    await same_wire(lambda c: c.bzmove("a", "b", 2.5, max=True, count=3))
    await same_wire(lambda c: c.zmovemember("a", "b", "m"))
    await same_wire(lambda c: c.zmovemember("a", "b", ["m", b"n", 3], nx=True))
    await same_wire(lambda c: c.zmovemember("a", "b", ("m",), xx=True))


def test_moves_refuse_before_sending():
    client = Redis()
    bad = [
        lambda: client.lmovem("a", "b", count=2),
        lambda: client.lmovem("a", "b", mode="COUNT"),
        lambda: client.lmovem("a", "b", ordering="OBO"),
        lambda: client.lmovem("a", "b", "UP"),
        lambda: client.blmovem("a", "b", 1, count=2),
        lambda: client.zmove("a", "b"),
        lambda: client.zmove("a", "b", min=True, byscore=(1, 2)),
        lambda: client.bzmove("a", "b", 1),
        lambda: client.bzmove("a", "b", 1, min=True, max=True),
        lambda: client.zmovemember("a", "b", "m", nx=True, xx=True),
    ]
    for call in bad:
        with pytest.raises(DataError):
            call()


def test_blocking_moves_take_a_connection_of_their_own():
    """BLMOVEM and BZMOVE block server-side: a connection of their own (as BLMOVE), and a
    socket_timeout counted from their own timeout, which is not their last argument."""
    from fastredis._execution import block_seconds, is_blocking

    assert is_blocking(("BZMOVE", "a", "b", "MIN", 0)) and is_blocking((b"blmovem", "a", "b"))
    assert block_seconds(("BZMOVE", "a", "b", "MIN", 2.5, "COUNT", 3)) == 2.5
    assert block_seconds(("BLMOVEM", "a", "b", "LEFT", "RIGHT", 1.5, "COUNT", 4, "OBO")) == 1.5
    assert block_seconds(("BLMOVEM", "a", "b", "LEFT", "RIGHT", 7)) == 7


PAIRS2 = b"*2\r\n*2\r\n$1\r\nm\r\n$3\r\n1.5\r\n*2\r\n$1\r\nn\r\n$4\r\n-inf\r\n"
PAIRS3 = b"*2\r\n*2\r\n$1\r\nm\r\n,1.5\r\n*2\r\n$1\r\nn\r\n,-inf\r\n"


async def test_move_replies_parse_as_redis_py():
    for call in (lambda c: c.zmove("a", "b", min=True, count=2),
                 lambda c: c.bzmove("a", "b", 1, max=True, count=2),
                 lambda c: c.zmovemember("a", "b", ["m", "n"])):
        assert await same_reply(call, PAIRS2, PAIRS3) == [[b"m", 1.5], [b"n", float("-inf")]]
        assert await same_reply(call, b"*-1\r\n", b"_\r\n") is None
        assert (await same_reply(call, PAIRS2, PAIRS3, decode_responses=True))[0] == ["m", 1.5]
    for call in (lambda c: c.lmovem("a", "b", count=2, ordering="OBO"),
                 lambda c: c.blmovem("a", "b", 1)):
        two = b"*2\r\n$1\r\nx\r\n$1\r\ny\r\n"
        assert await same_reply(call, two, two) == [b"x", b"y"]
        assert await same_reply(call, b"*-1\r\n", b"_\r\n") is None


async def test_string_and_stream_commands_at_the_wire():
    await same_wire(lambda c: c.delex("k"))
    for kw in ({"ifeq": "v"}, {"ifne": b"v"}, {"ifdeq": "00ff"}, {"ifdne": "a1b2c3d4e5f60789"}):
        await same_wire(lambda c, kw=kw: c.delex("k", **kw))
    await same_wire(lambda c: c.digest("k"))
    await same_wire(lambda c: c.increx("k"))
    await same_wire(lambda c: c.increx("k", byint=5, lbound=0, ubound=100, saturate=True))
    await same_wire(lambda c: c.increx("k", byfloat=0.5, ex=10, enx=True))
    await same_wire(lambda c: c.increx("k", byint=-1, px="1500"))
    await same_wire(lambda c: c.increx("k", exat=2_000_000_000, enx=True))
    await same_wire(lambda c: c.increx("k", pxat=datetime.datetime(2033, 1, 1, 0, 0, 0, 5000)))
    await same_wire(lambda c: c.increx("k", lbound="-inf", persist=True))
    await same_wire(lambda c: c.bitrangeintarray("k", 0, -1))
    await same_wire(lambda c: c.bitrangeintarray("k", 0, 7, "BIT", limit=3, zeros=True))
    await same_wire(lambda c: c.bitrangeintarray("k", 1, 2, limit=0))
    await same_wire(lambda c: c.xcfgset("s", idmp_duration=100))
    await same_wire(lambda c: c.xcfgset("s", idmp_duration=1, idmp_maxsize=1_000_000))
    await same_wire(lambda c: c.xcfgset("s", idmp_maxsize=5))
    await same_wire(lambda c: c.xnack("s", "g", "SILENT", "1-0"))
    await same_wire(lambda c: c.xnack("s", "g", "FATAL", "1-0", b"2-1", retrycount=0, force=True))
    await same_wire(lambda c: c.xnack("s", "g", "FAIL", "1-0", retrycount=3))


def test_string_and_stream_commands_refuse_before_sending():
    client = Redis()
    bad = [
        lambda: client.delex("k", ifeq="a", ifne="b"),
        lambda: client.delex("k", ifdeq="a", ifdne="b"),
        lambda: client.increx("k", byint=1, byfloat=1.5),
        lambda: client.increx("k", ex=1, px=1),
        lambda: client.increx("k", ex=1, persist=True),
        lambda: client.increx("k", enx=True),
        lambda: client.increx("k", ex="ten"),
        lambda: client.xcfgset("s"),
        lambda: client.xcfgset("s", idmp_duration=0),
        lambda: client.xcfgset("s", idmp_duration=301),
        lambda: client.xcfgset("s", idmp_maxsize=1_000_001),
        lambda: client.xcfgset("s", idmp_maxsize="5"),  # type: ignore[arg-type]
        lambda: client.xnack("s", "g", "SILENT"),
        lambda: client.xnack("s", "g", "silent", "1-0"),  # type: ignore[arg-type]
        lambda: client.xnack("s", "g", "FAIL", "1-0", retrycount=-1),
    ]
    for call in bad:
        with pytest.raises(DataError):
            call()


async def test_string_and_stream_replies_parse_as_redis_py():
    assert await same_reply(lambda c: c.delex("k", ifeq="v"), b":1\r\n", b":1\r\n") == 1
    hexdigest = b"$16\r\na1b2c3d4e5f60789\r\n"
    assert await same_reply(lambda c: c.digest("k"), hexdigest, hexdigest) == b"a1b2c3d4e5f60789"
    assert await same_reply(lambda c: c.digest("k"), b"$-1\r\n", b"_\r\n") is None
    assert await same_reply(lambda c: c.digest("k"), hexdigest, hexdigest,
                            decode_responses=True) == "a1b2c3d4e5f60789"
    assert await same_reply(lambda c: c.increx("k", byint=5), b"*2\r\n:15\r\n:5\r\n",
                            b"*2\r\n:15\r\n:5\r\n") == [15, 5]
    assert await same_reply(lambda c: c.increx("k", byfloat=0.5),
                            b"*2\r\n$3\r\n1.5\r\n$3\r\n0.5\r\n",
                            b"*2\r\n,1.5\r\n,0.5\r\n") == [b"1.5", b"0.5"]
    offsets = b"*3\r\n:0\r\n:3\r\n:9\r\n"
    assert await same_reply(lambda c: c.bitrangeintarray("k", 0, -1), offsets, offsets) == [0, 3, 9]
    assert await same_reply(lambda c: c.xcfgset("s", idmp_duration=5), b"+OK\r\n",
                            b"+OK\r\n") == b"OK"
    assert await same_reply(lambda c: c.xnack("s", "g", "FAIL", "1-0", "2-0"), b":2\r\n",
                            b":2\r\n") == 2


async def test_server_and_bless_commands_at_the_wire():
    from redis.commands.core import HotkeysMetricsTypes as RedisPyMetrics

    from fastredis.commands.server import HotkeysMetricsTypes

    for name in ("backup_start", "backup_status", "backup_seal", "backup_abort",
                 "backup_cleanup", "backup_list", "hotkeys_stop", "hotkeys_reset", "hotkeys_get"):
        await same_wire(lambda c, name=name: getattr(c, name)())
    await same_wire(lambda c: c.hotkeys_start([RedisPyMetrics.CPU]))
    await same_wire(lambda c: c.hotkeys_start([RedisPyMetrics.CPU, RedisPyMetrics.NET], count=10,
                                              duration=60, sample_ratio=4, slots=[0, 16383]))
    await same_wire(lambda c: c.hotkeys_start([RedisPyMetrics.NET], slots=[]))
    ours = Redis().pipeline(transaction=False)
    ours.hotkeys_start([HotkeysMetricsTypes.NET, "CPU"], count=3)
    assert ours._packed[0] == (await same_wire(
        lambda c: c.hotkeys_start([RedisPyMetrics.NET, RedisPyMetrics.CPU], count=3)))
    await same_wire(lambda c: c.bless_set("k", "NO-EVICT"))
    await same_wire(lambda c: c.bless_get("k"))
    await same_wire(lambda c: c.bless_clear("k", "NO-EVICT"))
    await same_wire(lambda c: c.bless_scan(0, "NO-EVICT"))
    await same_wire(lambda c: c.bless_scan(17, "NO-EVICT", count=100))


async def _collect(iterator):
    return [item async for item in iterator]


async def test_server_and_bless_replies_parse_as_redis_py():
    status2 = (b"*8\r\n$5\r\nstate\r\n$4\r\nidle\r\n$5\r\nerror\r\n$0\r\n\r\n"
               b"$10\r\nstart_time\r\n:0\r\n$8\r\nend_time\r\n:0\r\n")
    status3 = (b"%4\r\n$5\r\nstate\r\n$4\r\nidle\r\n$5\r\nerror\r\n$0\r\n\r\n"
               b"$10\r\nstart_time\r\n:0\r\n$8\r\nend_time\r\n:0\r\n")
    assert (await same_reply(lambda c: c.backup_status(), status2, status3))[b"state"] == b"idle"
    await same_reply(lambda c: c.backup_status(), status2, status3, decode_responses=True)
    await same_reply(lambda c: c.backup_start(), b"+OK\r\n", b"+OK\r\n")
    paths = b"*2\r\n$9\r\n/b/base.r\r\n$9\r\n/b/incr.a\r\n"
    assert await same_reply(lambda c: c.backup_list(), paths, paths) == [b"/b/base.r", b"/b/incr.a"]
    hot2 = (b"*1\r\n*6\r\n$21\r\ncollection-start-time\r\n:1700000000\r\n"
            b"$11\r\nby-cpu-time\r\n*2\r\n$1\r\na\r\n:120\r\n$8\r\nsampling\r\n:1\r\n")
    hot3 = (b"*1\r\n%3\r\n$21\r\ncollection-start-time\r\n:1700000000\r\n"
            b"$11\r\nby-cpu-time\r\n*2\r\n$1\r\na\r\n:120\r\n$8\r\nsampling\r\n:1\r\n")
    got = await same_reply(lambda c: c.hotkeys_get(), hot2, hot3)
    assert got == [{b"collection-start-time": 1700000000, b"by-cpu-time": [b"a", 120],
                    b"sampling": 1}]
    assert await same_reply(lambda c: c.hotkeys_get(), b"*-1\r\n", b"_\r\n") is None
    scan = b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    assert await same_reply(lambda c: c.bless_scan(0, "NO-EVICT"), scan, scan) == (0, [b"a", b"b"])
    assert await same_reply(lambda c: _collect(c.bless_scan_iter("NO-EVICT", count=5)),
                            scan, scan) == [b"a", b"b"]
    flags = b"*1\r\n$8\r\nNO-EVICT\r\n"
    assert await same_reply(lambda c: c.bless_get("k"), flags, flags) == [b"NO-EVICT"]
    assert await same_reply(lambda c: c.bless_set("k", "NO-EVICT"), b":1\r\n", b":1\r\n") == 1


def test_server_commands_refuse_before_sending():
    client = Redis()
    with pytest.raises(DataError):
        client.hotkeys_start("CPU")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="target_nodes"):
        client.backup_status(target_nodes="all")


async def test_array_commands_at_the_wire():
    from redis.commands import core

    Op, Comb, Pred = core.ArrayAggregateOperations, core.ArrayPredicateCombinator, core.ArrayPredicateType

    calls = [
        lambda c: c.arset("a", 0, "x"), lambda c: c.arset("a", 5, "x", b"y", 3),
        lambda c: c.armset("a", {0: "x", 10: b"y", 3: 1.5}),
        lambda c: c.arget("a", 7), lambda c: c.armget("a", 1, 2, 3),
        lambda c: c.argetrange("a", 0, -1), lambda c: c.argetrange("a", 9, 2),
        lambda c: c.ardel("a", 1), lambda c: c.ardel("a", 1, 4, 9),
        lambda c: c.ardelrange("a", (0, 3)), lambda c: c.ardelrange("a", (0, 3), (10, 5)),
        lambda c: c.arcount("a"), lambda c: c.arlen("a"),
        lambda c: c.arinsert("a", "x"), lambda c: c.arinsert("a", "x", "y"),
        lambda c: c.arring("a", 100, "x", "y"), lambda c: c.arnext("a"),
        lambda c: c.arseek("a", 42), lambda c: c.arlastitems("a", 3),
        lambda c: c.arlastitems("a", 3, rev=True), lambda c: c.arscan("a", 0, 100),
        lambda c: c.arscan("a", 100, 0, limit=5),
        lambda c: c.argrep("a", 0, -1, [(Pred.EXACT, "x")]),
        lambda c: c.argrep("a", 0, 10, [(Pred.GLOB, "x*"), (Pred.RE, "^y"), (Pred.MATCH, "z")],
                           combinator=Comb.AND, limit=4, withvalues=True, nocase=True),
        lambda c: c.argrep("a", 0, 10, [(Pred.MATCH, "x")], combinator=Comb.OR),
        lambda c: c.arop("a", 0, -1, Op.SUM), lambda c: c.arop("a", 0, 9, Op.MATCH, "x"),
        lambda c: c.arop("a", 0, 9, Op.USED),
        lambda c: c.arinfo("a"), lambda c: c.arinfo("a", full=True),
    ]
    for call in calls:
        await same_wire(call)


def test_array_enums_are_ours_or_redis_pys():
    from redis.commands.core import ArrayAggregateOperations as RedisPyOp

    from fastredis.commands.arrays import (
        ArrayAggregateOperations,
        ArrayPredicateCombinator,
        ArrayPredicateType,
    )

    pipe = Redis().pipeline(transaction=False)
    pipe.arop("a", 0, 1, ArrayAggregateOperations.XOR)
    pipe.arop("a", 0, 1, RedisPyOp.XOR)
    pipe.argrep("a", 0, 1, [(ArrayPredicateType.RE, "x")], ArrayPredicateCombinator.AND)
    pipe.argrep("a", 0, 1, [("RE", "x")], "AND")  # type: ignore[list-item, arg-type]
    assert pipe._packed[0] == pipe._packed[1] and pipe._packed[2] == pipe._packed[3]
    client = Redis()
    for call in (lambda: client.arop("a", 0, 1, "AVG"),  # type: ignore[arg-type]
                 lambda: client.argrep("a", 0, 1, [("FUZZY", "x")]),  # type: ignore[list-item]
                 lambda: client.argrep("a", 0, 1, ["x"]),  # type: ignore[list-item]
                 lambda: client.argrep("a", 0, 1, [(ArrayPredicateType.RE, "x")], "XOR"),  # type: ignore[arg-type]
                 lambda: client.ardelrange("a", (1, 2, 3)),  # type: ignore[arg-type]
                 lambda: client.armset("a", [(0, "x")])):  # type: ignore[arg-type]
        with pytest.raises(DataError):
            call()


async def test_array_replies_parse_as_redis_py():
    from redis.commands.core import ArrayAggregateOperations as Op

    values = b"*3\r\n$1\r\nx\r\n$-1\r\n$1\r\nz\r\n"
    values3 = b"*3\r\n$1\r\nx\r\n_\r\n$1\r\nz\r\n"
    for call in (lambda c: c.armget("a", 0, 1, 2), lambda c: c.argetrange("a", 0, 2),
                 lambda c: c.arlastitems("a", 3)):
        assert await same_reply(call, values, values3) == [b"x", None, b"z"]
    assert await same_reply(lambda c: c.arget("a", 1), b"$-1\r\n", b"_\r\n") is None
    assert await same_reply(lambda c: c.arget("a", 0), b"$1\r\nx\r\n", b"$1\r\nx\r\n") == b"x"
    for call in (lambda c: c.arset("a", 0, "x"), lambda c: c.armset("a", {0: "x"}),
                 lambda c: c.ardel("a", 0), lambda c: c.ardelrange("a", (0, 1)),
                 lambda c: c.arcount("a"), lambda c: c.arlen("a"), lambda c: c.arinsert("a", "x"),
                 lambda c: c.arring("a", 4, "x"), lambda c: c.arseek("a", 2)):
        assert await same_reply(call, b":3\r\n", b":3\r\n") == 3
    assert await same_reply(lambda c: c.arnext("a"), b"$-1\r\n", b"_\r\n") is None
    pairs = b"*2\r\n*2\r\n:0\r\n$1\r\nx\r\n*2\r\n:5\r\n$1\r\ny\r\n"
    assert await same_reply(lambda c: c.arscan("a", 0, 9), pairs, pairs) == [[0, b"x"], [5, b"y"]]
    assert await same_reply(lambda c: c.argrep("a", 0, 9, [], withvalues=True), pairs, pairs)
    assert await same_reply(lambda c: c.argrep("a", 0, 9, []), b"*2\r\n:0\r\n:5\r\n",
                            b"*2\r\n:0\r\n:5\r\n") == [0, 5]
    assert await same_reply(lambda c: c.arop("a", 0, 9, Op.SUM), b"$3\r\n4.5\r\n",
                            b"$3\r\n4.5\r\n") == b"4.5"
    assert await same_reply(lambda c: c.arop("a", 0, 9, Op.USED), b":2\r\n", b":2\r\n") == 2
    assert await same_reply(lambda c: c.arop("a", 0, 9, Op.MIN), b"$-1\r\n", b"_\r\n") is None
    info2 = b"*4\r\n$3\r\nlen\r\n:11\r\n$5\r\ncount\r\n:2\r\n"
    info3 = b"%2\r\n$3\r\nlen\r\n:11\r\n$5\r\ncount\r\n:2\r\n"
    assert await same_reply(lambda c: c.arinfo("a"), info2, info3) == {"len": 11, "count": 2}
    await same_reply(lambda c: c.arinfo("a", full=True), info2, info3, decode_responses=True)
