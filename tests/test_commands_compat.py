"""Issue 9 item 2: return shapes and client-side errors as redis-py gives them, on the real
server, compared with redis-py's client on it (RESP2 shapes, see _cmds_helpers)."""

from __future__ import annotations

import pytest
import redis.asyncio
from _cmds_helpers import same

import fastredis
from fastredis import DataError


@pytest.fixture
async def rp(redis_server):
    client = redis.asyncio.Redis(**redis_server.client_kwargs(), protocol=2)
    yield client
    await client.aclose()


async def test_config_get_is_a_dict_of_str(r, rp, redis_server):
    conf = await same(r, rp, "config_get", "maxmemory*")
    assert conf["maxmemory"] == "0" and all(isinstance(k, str) for k in conf)
    assert await same(r, rp, "config_get", "no-such-*") == {}
    assert (await same(r, rp, "config_get", "port", "databases")) == {
        "port": str(redis_server.port), "databases": "16"}
    d = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        assert await d.config_get("databases") == {"databases": "16"}
    finally:
        await d.aclose()


async def test_client_getname_is_str(r, rp, redis_server):
    assert await same(r, rp, "client_getname") is None
    named = fastredis.Redis(**redis_server.client_kwargs(client_name="cmds9-name"))
    try:
        assert await named.client_getname() == "cmds9-name"
    finally:
        await named.aclose()


async def test_mget_of_no_keys_is_an_empty_list_without_asking(r, rp):
    assert await same(r, rp, "mget", []) == []  # redis-py sends MGET, turns the error into []
    await r.config_resetstat()
    assert await r.mget([], *()) == []
    assert "cmdstat_mget" not in await r.info("commandstats")  # we answer without sending
    await r.set("a", "1")
    assert await same(r, rp, "mget", ["a", "b"]) == [b"1", None]


async def test_substr_defaults_to_the_end(r, rp):
    await r.set("s", "Hello World")
    assert await same(r, rp, "substr", "s", 6) == b"World"
    assert await same(r, rp, "substr", "s", 0, 4) == b"Hello"
    assert await same(r, rp, "substr", "s", -5, -1) == b"World"


BINARY = {"bytes": lambda b: b, "bytearray": bytearray, "memoryview": memoryview}


@pytest.mark.parametrize("kind", list(BINARY))
async def test_bytearray_and_memoryview_wherever_bytes_are(r, kind):
    b = BINARY[kind]
    k, v, f = b(b"key:\xff"), b(b"val\x00ue"), b(b"fi\xfeld")
    assert await r.set(k, v) is True
    assert await r.get(k) == b"val\x00ue"
    assert await r.mget(k) == [b"val\x00ue"]
    assert await r.mget([k, b(b"none")]) == [b"val\x00ue", None]
    assert await r.exists(k) == 1
    assert await r.hset(b(b"h"), f, v) == 1
    assert await r.hset(b(b"h"), items=[b(b"f2"), v]) == 1
    assert await r.hset(b(b"h"), mapping={b"f3": v}) == 1
    assert await r.hget(b(b"h"), f) == b"val\x00ue"
    assert await r.rpush(b(b"l"), v, v) == 2
    assert await r.sadd(b(b"s"), v) == 1
    assert await r.sinter(b(b"s")) == {b"val\x00ue"}
    assert await r.zadd(b(b"z"), {b"m": 1}) == 1
    assert await r.xadd(b(b"x"), {b"f": v})
    assert await r.delete(k, b(b"h")) == 2
    assert await r.sort(b(b"l"), get=b(b"#"), alpha=True) == [b"val\x00ue"] * 2
    assert await r.sort_ro(b(b"l"), get=b(b"#"), alpha=True) == [b"val\x00ue"] * 2
    assert await r.geoadd(b(b"g"), [13.36, 38.11, v]) == 1
    assert await r.publish(b(b"chan"), v) == 0
    assert await r.eval("return ARGV[1]", 1, k, v) == b"val\x00ue"


@pytest.mark.parametrize("call", [
    lambda r: r.bitcount("k", 1),
    lambda r: r.bitpos("k", 2),
    lambda r: r.bitpos("k", 1, None, 3),
    lambda r: r.client_kill_filter(_type="bogus"),
    lambda r: r.client_kill_filter(skipme="yes"),
    lambda r: r.client_kill_filter(),
    lambda r: r.client_list(_type="bogus"),
    lambda r: r.client_pause(1.5),
    lambda r: r.getex("k", ex=1, px=1),
    lambda r: r.hmset("h", {}),
    lambda r: r.hset("h"),
    lambda r: r.restore("k", 0, b"x", idletime="soon"),
    lambda r: r.script_flush("LATER"),
    lambda r: r.set("k", "v", ex=1, px=1),
    lambda r: r.sort("k", start=1),
    lambda r: r.sort("k", groups=True, get="#"),
    lambda r: r.xadd("x", {}),
    lambda r: r.xadd("x", {"f": "v"}, maxlen=1, minid="0"),
    lambda r: r.xadd("x", {"f": "v"}, maxlen=-1),
    lambda r: r.xclaim("x", "g", "c", -1, ["0-1"]),
    lambda r: r.xclaim("x", "g", "c", 0, []),
    lambda r: r.xpending_range("x", "g", min="-", max="+", count=None),
    lambda r: r.xrange("x", count=0),
    lambda r: r.xrevrange("x", count=0),
    lambda r: r.xread({}),
    lambda r: r.xread({"x": 0}, block=-1),
    lambda r: r.xreadgroup("g", "c", {}),
    lambda r: r.xtrim("x"),
    lambda r: r.xtrim("x", maxlen=1, minid="0"),
    lambda r: r.zadd("z", {}),
    lambda r: r.zmscore("z", []),
    lambda r: r.zrangebyscore("z", 0, 1, start=1),
    lambda r: r.zrangebylex("z", "-", "+", num=1),
    lambda r: r.zrevrangebyscore("z", 1, 0, start=1),
])
@pytest.mark.filterwarnings("ignore:.*hmset.*:DeprecationWarning")
async def test_data_error_where_redis_py_refuses_client_side(r, rp, call):
    with pytest.raises(redis.exceptions.DataError):
        await call(rp)
    with pytest.raises(DataError):
        await call(r)
    assert await r.dbsize() == 0


LIB3 = """#!lua name=cmds9resp3
redis.register_function('f', function(keys, args) return 1 end)
"""


async def test_resp3_client_gets_the_same_shapes(r, redis_server):
    """protocol=3 sends maps and doubles where RESP2 sends flat lists and strings; the
    callbacks of the issue-9 commands turn both into the same shapes."""
    r3 = fastredis.Redis(**redis_server.client_kwargs(protocol=3))
    try:
        await r.geoadd("g", (13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"))
        await r.zadd("z", {"a": 1, "b": 2})
        await r.zadd("z2", {"a": 1})
        await r.function_flush()
        await r.function_load(LIB3)
        await r.acl_setuser("cmds9-r3", enabled=True, nopass=True, commands=["+ping"],
                            keys=["k*"], selectors=[("+get", "s*")])
        calls = [
            ("geopos", ("g", "Palermo", "x"), {}),
            ("geodist", ("g", "Palermo", "Catania"), {}),
            ("geosearch", ("g",), dict(member="Palermo", radius=300, unit="km", withdist=True,
                                       withcoord=True, withhash=True)),
            ("georadius", ("g", 15, 37, 200, "km"), dict(withdist=True, withcoord=True)),
            ("zmpop", (1, ["z2"]), dict(max=True)),
            ("acl_getuser", ("cmds9-r3",), {}),
            ("config_get", ("maxmemory",), {}),
            ("client_trackinginfo", (), {}),
            ("function_list", (), {}),
            ("function_stats", (), {}),
            ("command_getkeysandflags", ("SET", "a", "1"), {}),
            ("role", (), {}),
        ]
        for name, args, kwargs in calls:
            if name == "zmpop":
                await r.zadd("z2", {"a": 1})
            two = await getattr(r, name)(*args, **kwargs)
            if name == "zmpop":
                await r.zadd("z2", {"a": 1})
            three = await getattr(r3, name)(*args, **kwargs)
            assert two == three, name
        stats2, stats3 = await r.memory_stats(), await r3.memory_stats()
        assert stats2.keys() == stats3.keys()
        docs2, docs3 = await r.command_docs("get"), await r3.command_docs("get")
        assert docs2["get"]["arguments"] == docs3["get"]["arguments"]
    finally:
        await r.acl_deluser("cmds9-r3")
        await r.function_flush()
        await r3.aclose()


async def test_parameters_redis_py_has_on_existing_commands(r, rp):
    await r.mset({"k1": "ohmytext", "k2": "mynewtext"})
    assert await same(r, rp, "lcs", "k1", "k2") == b"mytext"
    assert await same(r, rp, "lcs", "k1", "k2", len=True) == 6
    idx = await same(r, rp, "lcs", "k1", "k2", idx=True, minmatchlen=4, withmatchlen=True)
    assert idx[0] == b"matches" and idx[1][0][2] == 4
    await r.set("b", b"\x00\xff\xf0")
    assert await same(r, rp, "bitpos", "b", 1, 2, -1, "BYTE") == 16
    assert await same(r, rp, "bitpos", "b", 1, 7, 15, "BIT") == 8
    with pytest.raises(DataError):
        await r.bitpos("b", 1, 0, mode="BIT")
    me = await r.client_id()
    listed = await r.client_list(client_id=[me])
    assert [c["id"] for c in listed] == [str(me)]
    with pytest.raises(DataError):
        await r.client_list(client_id=me)
    await r.set("e", "v", exat=4_000_000_000)
    assert await same(r, rp, "expiretime", key="e") == 4_000_000_000
    assert await same(r, rp, "pexpiretime", key="e") == 4_000_000_000_000


async def test_client_list_iter_as_redis_py(r, rp):
    """client_list_iter (redis-py 8.2): the same records as redis-py's, lazily; a client name
    holding '=' keeps its value whole."""
    await r.client_setname("a=b")
    me = await r.client_id()
    records = await r.client_list_iter(client_id=[me])
    assert iter(records) is records  # an iterator, not a list
    theirs = list(await rp.client_list_iter(client_id=[me]))
    ours = list(records)
    assert [c["name"] for c in ours] == ["a=b"]
    assert ours[0].keys() == theirs[0].keys()
    assert [c["id"] for c in await r.client_list_iter(_type="normal")] == [
        c["id"] for c in await r.client_list(_type="normal")]
    with pytest.raises(DataError):
        await r.client_list_iter(client_id=me)
    with pytest.raises(DataError):
        await r.client_list_iter(_type="bogus")
