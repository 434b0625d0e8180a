"""redis-py 8.2's Pub/Sub, cluster Pub/Sub, Sentinel and ZDIFF behaviour, checked beside
redis-py's own client on the same real server, cluster and sentinels: reading before any
subscribe, ``Subscription`` objects, ``zdiff(withscores=True)``, ``ClusterPubSub``'s
``get_sharded_message`` / ``get_pubsub_node`` / ``.node`` / ``get_redis_connection`` and
node validation, the Sentinel manager's ``sentinel_flushconfig`` and ``return_responses``;
and the one-line ways to redis-py's behaviour that docs/migration/redis-py.md promises."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis
import redis.asyncio
from _cmds_helpers import same

import fastredis
from fastredis import DataError
from fastredis._testing_sentinel import sentinel_setup_fixture  # noqa: F401  (sentinel_setup)
from fastredis.cluster import ClusterNode, RedisClusterException
from fastredis.cluster.pubsub import ClusterPubSub
from fastredis.pubsub import Subscription
from fastredis.sentinel import Sentinel

NOT_SET = "pubsub connection not set: did you forget to call subscribe() or psubscribe()?"


@pytest.fixture
async def rp(redis_server):
    client = redis.asyncio.Redis(**redis_server.client_kwargs(), protocol=2)
    yield client
    await client.aclose()


async def first(p: Any, kinds: set[str], timeout: float = 5.0, **kw: Any) -> dict[str, Any]:
    """The next message of one of ``kinds`` (``get_message``, or ``get_sharded_message``
    when ``sharded=True``), within ``timeout`` seconds."""
    read = p.get_sharded_message if kw.pop("sharded", False) else p.get_message
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        m = await read(timeout=0.2, **kw)
        if m is not None and m["type"] in kinds:
            return m
    raise AssertionError(f"no {kinds} message within {timeout}s")


# ----------------------------------------------------------------------------- standalone
async def test_get_message_before_any_subscribe_raises_runtime_error_whatever_the_timeout(r, rp):
    ours, theirs = r.pubsub(), rp.pubsub()
    try:
        for timeout in (0.0, 0.01, None):
            for p in (theirs, ours):
                with pytest.raises(RuntimeError) as info:
                    await asyncio.wait_for(p.get_message(timeout=timeout), 2)
                assert str(info.value) == NOT_SET  # main: None for 0 and 0.01
        # connected without a subscription: nothing to read, no error (both)
        await ours.connect()
        await theirs.connect()
        assert await ours.get_message(timeout=0.01) is None
        assert await theirs.get_message(timeout=0.01) is None
    finally:
        await ours.aclose()
        await theirs.aclose()


@pytest.mark.parametrize("make", [Subscription, redis.Subscription], ids=["ours", "redis-py"])
async def test_subscription_objects_and_lists_as_redis_py_8_takes_them(r, rp, make):
    got: dict[str, list[Any]] = {"ours": [], "theirs": []}
    ours, theirs = r.pubsub(), rp.pubsub()
    try:
        # ours takes both kinds of object; redis-py only its own
        for p, name, sub in ((ours, "ours", make), (theirs, "theirs", redis.Subscription)):
            seen = got[name]
            await p.subscribe(["l1", "l2"])  # main: PubSubError (a list)
            await p.subscribe(sub("h", seen.append))
            await p.psubscribe(sub("p*", seen.append))
            await p.ssubscribe([sub("s", seen.append), "s2"])
            assert set(p.channels) == {b"h", b"l1", b"l2"}
            assert set(p.patterns) == {b"p*"} and set(p.shard_channels) == {b"s", b"s2"}
        await r.publish("h", "1")
        await r.publish("pq", "2")
        await r.spublish("s", "3")
        await r.publish("l2", "4")
        for p in (ours, theirs):
            m = await first(p, {"message"})
            assert (m["channel"], m["data"]) == (b"l2", b"4")  # handled ones never read
        assert got["ours"] == got["theirs"]
        assert [(m["type"], m["data"]) for m in got["ours"]] == [
            ("message", b"1"), ("pmessage", b"2"), ("smessage", b"3")]
    finally:
        await ours.aclose()
        await theirs.aclose()


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode", [False, True])
async def test_zdiff_withscores_in_redis_py_shape(redis_server, protocol, decode):
    kw = dict(redis_server.client_kwargs(), protocol=protocol, decode_responses=decode)
    r, rp = fastredis.Redis(**kw), redis.asyncio.Redis(**kw)
    try:
        await r.zadd("a", {"x": 1.5, "y": 2, "z": 3})
        await r.zadd("b", {"z": 1})
        # RESP2: flat with bytes scores; RESP3: [[member, float], ...] (main: tuples)
        out = await same(r, rp, "zdiff", ["a", "b"], withscores=True)
        x = "x" if decode else b"x"
        assert out[0] == ([x, 1.5] if protocol == 3 else x)
        assert await same(r, rp, "zdiff", ["a", "b"]) == [x, "y" if decode else b"y"]
        assert await same(r, rp, "zdiff", ["nope", "b"], withscores=True) == []
    finally:
        await r.aclose()
        await rp.aclose()


# ------------------------------------------------------- documented differences (one line)
async def test_the_one_line_ways_to_redis_py_behaviour(r, rp, redis_server, make_server):
    # a PubSub whose server is gone: redis-py retries (its Retry) then raises
    # ConnectionError; fastredis reconnects until closed, and reconnect=False raises at once
    server = make_server()
    theirs_client = redis.asyncio.Redis(**server.client_kwargs())
    ours_client = fastredis.Redis(**server.client_kwargs())
    theirs, ours, keeps = theirs_client.pubsub(), ours_client.pubsub(reconnect=False), ours_client.pubsub()
    try:
        for p in (theirs, ours, keeps):
            await p.subscribe("k")
            await first(p, {"subscribe"})
        server.stop()
        with pytest.raises(redis.exceptions.ConnectionError):
            await asyncio.wait_for(theirs.get_message(timeout=None), 30)
        with pytest.raises(fastredis.ConnectionError):
            await asyncio.wait_for(ours.get_message(timeout=None), 5)
        assert await keeps.get_message(timeout=0.05) is None  # still reconnecting, no error
        assert keeps.stats()["connected"] is False
    finally:
        for p in (theirs, ours, keeps):
            await p.aclose()
        await theirs_client.aclose()
        await ours_client.aclose()
    # SELECT: refused on the shared connection, allowed on a client of its own
    with pytest.raises(DataError):
        await r.execute_command("SELECT", 1)
    async with r.client() as own:
        await own.execute_command("SELECT", 1)
        await own.set("db1", "v")
    async with fastredis.Redis(**redis_server.client_kwargs(db=1)) as r1:
        assert await r1.get("db1") == b"v"
        await r1.flushdb()
    # response_callbacks starts empty; a callback set for a command applies as in redis-py
    await r.hset("h", mapping={"f": "v"})
    assert dict(r.response_callbacks) == {}
    assert await r.execute_command("HGETALL", "h") == {b"f": b"v"}  # as sent: a RESP3 map
    async with fastredis.Redis(**redis_server.client_kwargs(protocol=2)) as r2:
        assert await r2.execute_command("HGETALL", "h") == [b"f", b"v"]  # RESP2's flat list
        r2.set_response_callback("HGETALL", lambda reply, **_: dict(zip(reply[::2], reply[1::2])))
        assert await r2.execute_command("HGETALL", "h") == await rp.execute_command("HGETALL", "h")


# -------------------------------------------------------------------------------- cluster
def _pubsub_errors(make: Any, *args: Any, **kwargs: Any) -> tuple[str, str] | None:
    try:
        make(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - compared by name and message
        return type(exc).__name__, str(exc)
    return None


# redis-py's ClusterPubSub.__del__ fails on an object whose __init__ raised
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_cluster_pubsub_node_validated_as_redis_py_does(rc, rpc):
    node = rc.get_primaries()[0]
    cases: list[dict[str, Any]] = [
        dict(host=node.host), dict(port=node.port), dict(host="10.9.9.9", port=1),
        dict(host=node.host, port=node.port + 50000)]
    for kw in cases:
        theirs = _pubsub_errors(rpc.pubsub, **kw)
        ours = _pubsub_errors(ClusterPubSub, rc, **kw)  # main: no host / port parameters
        assert theirs is not None and ours is not None, kw
        # same message; redis-py's class name is our alias's (RedisClusterException)
        assert ours[1] == theirs[1], kw
        assert ours[0] == ("DataError" if "Specify" in theirs[1] else "ClusterError")
    with pytest.raises(RedisClusterException, match="Node 10.9.9.9:1 doesn't exist in the cluster"):
        rc.pubsub(node=ClusterNode("10.9.9.9", 1))  # main: accepted, used as the node
    p = ClusterPubSub(rc, host=node.host, port=node.port)
    assert p.get_pubsub_node() is rc.get_node(node.host, node.port) is p.node
    assert rpc.pubsub(host=node.host, port=node.port).get_pubsub_node().name == node.name
    await p.aclose()


async def test_rc_pubsub_host_without_port_is_a_data_error(rc):
    node = rc.get_primaries()[0]
    for kw in (dict(host=node.host), dict(port=node.port)):
        with pytest.raises(DataError, match="Specify both host and port"):
            rc.pubsub(**kw)


async def test_cluster_pubsub_redis_py_reading_methods(rc, rpc, redis_cluster):
    node = rc.get_primaries()[1]
    ours = rc.pubsub(node=node)
    theirs = rpc.pubsub(node=rpc.get_node(node.host, node.port))
    plain = rc.pubsub()
    try:
        # before anything: no node chosen, no connection; get_message raises (both);
        # get_sharded_message returns None (both)
        assert plain.get_pubsub_node() is None and plain.node is None
        assert plain.get_redis_connection() is None
        for p in (plain, rpc.pubsub()):
            with pytest.raises(RuntimeError, match="pubsub connection not set"):
                await p.get_message(timeout=0)
            assert await p.get_sharded_message(timeout=0.01) is None
        # sharded channels: the same dicts as redis-py's, through get_sharded_message
        for p in (ours, theirs):
            await p.ssubscribe("sh")
        for p in (ours, theirs):
            assert await first(p, {"ssubscribe"}, sharded=True) == {
                "type": "ssubscribe", "pattern": None, "channel": b"sh", "data": 1}
        await rc.spublish("sh", "v")
        for p in (ours, theirs):
            assert await first(p, {"smessage"}, sharded=True) == {
                "type": "smessage", "pattern": None, "channel": b"sh", "data": b"v"}
        # target_node: None (at once) for a node this PubSub has no connection to, even
        # with a message waiting; the owner's message otherwise
        owner = rc.get_node_from_key("sh")
        other = next(n for n in rc.get_primaries() if n.name != owner.name and n.name != node.name)
        await rc.spublish("sh", "w")
        await asyncio.wait_for(ours._wait_for_frame(None), 5)
        assert await ours.get_sharded_message(timeout=0, target_node=other) is None
        m = await ours.get_sharded_message(timeout=1, target_node=owner)
        assert m is not None and m["data"] == b"w"
        # classic channels on the node asked for: node, get_pubsub_node, the connection
        await ours.subscribe("news")
        assert await first(ours, {"subscribe"}) == {
            "type": "subscribe", "pattern": None, "channel": b"news", "data": 1}
        assert ours.get_pubsub_node() is ours.node and ours.node.name == node.name
        conn = ours.get_redis_connection()
        assert conn is not None and not conn.closed
        async with fastredis.Redis(host=node.host, port=node.port) as direct:
            assert b"news" in await direct.pubsub_channels()  # node-local: subscribed there
        # both streams meet in one: a classic and a sharded message, in arrival order
        await rc.publish("news", "n1")
        assert (await first(ours, {"message"}))["data"] == b"n1"
        await rc.spublish("sh", "s1")
        assert (await first(ours, {"smessage"}, sharded=True))["data"] == b"s1"
        # without a node given, the first subscribe chooses one (a primary of the cluster)
        await plain.subscribe("x")
        assert plain.node is not None and plain.node.name in {n.name for n in rc.get_primaries()}
        assert plain.get_redis_connection() is not None
    finally:
        await ours.aclose()
        await theirs.aclose()
        await plain.aclose()


# ------------------------------------------------------------------------------- sentinel
async def test_sentinel_manager_flushconfig_and_return_responses_like_redis_py(sentinel_setup):
    import redis.asyncio.sentinel as rs

    setup = sentinel_setup
    master = await asyncio.to_thread(setup.wait_healthy)
    theirs = rs.Sentinel(setup.sentinel_addresses)
    try:
        async with Sentinel(setup.sentinel_addresses) as ours:
            assert await ours.sentinel_flushconfig() is True  # main: AttributeError
            assert await theirs.sentinel_flushconfig() is True
            # [(host, port:int)] from one sentinel (main: [[b'host', b'port']])
            mine = await ours.sentinel_get_master_addr_by_name("mymaster", return_responses=True)
            their = await theirs.sentinel_get_master_addr_by_name("mymaster", return_responses=True)
            assert mine == their == [(master[0].encode(), master[1])]
            assert type(mine[0]) is tuple and type(mine[0][1]) is int
            assert await ours.sentinel_get_master_addr_by_name("mymaster") is True
            assert await theirs.sentinel_get_master_addr_by_name("mymaster") is True
            assert await ours.sentinel_get_master_addr_by_name("nope", return_responses=True) == \
                await theirs.sentinel_get_master_addr_by_name("nope", return_responses=True) == [None]
            # every sentinel's state of the master, parsed as redis-py parses it
            states = await ours.sentinel_master("mymaster", return_responses=True)
            theirs_states = await theirs.sentinel_master("mymaster", return_responses=True)
            assert len(states) == len(theirs_states) == len(setup.sentinel_addresses)
            assert {s["name"] for s in states} == {"mymaster"}
            assert states[0].keys() == theirs_states[0].keys()
            assert all(type(s["port"]) is int for s in states)
    finally:
        await theirs.aclose()


async def test_ssubscribe_target_node_is_accepted_and_not_a_channel(r):
    """redis-py's ssubscribe(target_node=) on one server: accepted, no effect; it used to be
    taken for a channel named "target_node" with the node as its handler."""
    p = r.pubsub()
    try:
        await p.ssubscribe("sh", target_node=object())
        assert set(p.shard_channels) == {b"sh"}
        await p.sunsubscribe(target_node=None)
    finally:
        await p.aclose()
