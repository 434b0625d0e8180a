"""Server management, COMMAND/MEMORY/LATENCY/MODULE, CLIENT extras, WAIT, and the
commands a shared client refuses. What would break the shared test server (SHUTDOWN,
REPLICAOF, FAILOVER, SAVE ...) runs on throw-away servers of its own."""

from __future__ import annotations

import asyncio
import datetime

import pytest
import redis.asyncio
from _cmds_helpers import same, valkey_or_skip
from conftest import eventually

import fastredis
from fastredis import DataError, ResponseError


@pytest.fixture
async def rp(redis_server):
    client = redis.asyncio.Redis(**redis_server.client_kwargs(), protocol=2)
    yield client
    await client.aclose()


@pytest.fixture
async def rp_default(redis_server):
    """redis-py with the protocol not chosen, like ``r``: RESP3 on the wire, and its
    default shapes, which keep a few RESP3 forms (COMMAND's key specifications as maps,
    MEMORY STATS' doubles as floats)."""
    client = redis.asyncio.Redis(**redis_server.client_kwargs())
    yield client
    await client.aclose()


async def test_command_introspection_matches_redis_py(r, rp_default):
    rp = rp_default
    table = await same(r, rp, "command")
    get = table["get"]
    assert get["arity"] == 2 and "readonly" in get["flags"] and get["first_key_pos"] == 1
    info = await r.command_info("get", "no-such-command")
    assert info == {"get": get}
    docs = await r.command_docs("get")
    assert isinstance(docs["get"]["summary"], (bytes, str)) and isinstance(docs["get"]["arguments"], list)
    assert isinstance(docs["get"]["arguments"][0], dict)
    assert await same(r, rp, "command_getkeys", "MSET", "a", "1", "b", "2") == ["a", "b"]
    assert await same(r, rp, "command_getkeysandflags", "LMOVE", "s", "d", "LEFT", "RIGHT") == \
        [[b"s", [b"RW", b"access", b"delete"]], [b"d", [b"RW", b"insert"]]]
    # (Redis 8.2 adds xackdel: the three every server has, and only xa* names)
    xa = await same(r, rp, "command_list", pattern="xa*")
    assert {b"xack", b"xadd", b"xautoclaim"} <= set(xa) and all(n.startswith(b"xa") for n in xa)
    assert b"get" in await same(r, rp, "command_list", category="string")
    assert await same(r, rp, "command_list", module="nope") == []
    with pytest.raises(DataError):
        await r.command_list(module="a", pattern="b")


async def test_memory_and_modules(r, rp_default):
    rp = rp_default
    ours, theirs = await r.memory_stats(), await rp.memory_stats()
    assert ours.keys() == theirs.keys()
    assert all(type(ours[k]) is type(theirs[k]) for k in ours)
    assert isinstance(ours["peak.allocated"], int)
    assert isinstance(await r.memory_doctor(), bytes)
    assert all(isinstance(x, bytes) for x in await r.memory_help())
    assert isinstance(await r.memory_malloc_stats(), bytes)
    assert await same(r, rp, "memory_purge") is True
    # Redis 7.0: no modules; Valkey 9 lists its built-in Lua engine as a module
    modules = await same(r, rp, "module_list")
    assert isinstance(modules, list) and all(isinstance(m, dict) for m in modules)
    with pytest.raises(ResponseError):
        await r.module_load("/nonexistent/module.so")
    with pytest.raises(ResponseError):
        await r.module_unload("nomodule")
    assert b"Redis ver" in await r.lolwut() or b"ver" in await r.lolwut()


async def test_role_lastsave_wait(r, rp):
    role = await same(r, rp, "role")
    assert role[0] == b"master" and role[2] == []
    last = await same(r, rp, "lastsave")
    assert isinstance(last, datetime.datetime)
    assert await same(r, rp, "wait", 0, 100) == 0


async def test_client_extras(r, rp):
    assert await same(r, rp, "client_getredir") == -1
    assert await r.client_no_evict("ON") == b"OK"
    assert await r.client_no_evict("off") == b"OK"
    assert await r.client_reply("ON") == b"OK"
    other = await r.client_id()
    assert await r.client_tracking_on(clientid=other, bcast=True, prefix=["p:"]) == b"OK"
    info = await r.client_trackinginfo()
    # redis-py's flat list: top-level names as str, nested values as sent
    assert info[0] == "flags" and b"on" in info[1] and b"bcast" in info[1] and info[3] == other
    assert await r.client_getredir() == other
    assert await r.client_tracking_off() == b"OK"
    assert (await same(r, rp, "client_trackinginfo"))[1] == [b"off"]
    with pytest.raises(DataError):
        await r.client_tracking(prefix=["p:"])  # prefixes need bcast, as in redis-py
    with pytest.raises(DataError):
        await r.client_no_evict("maybe")


async def test_client_unblock(r):
    task = asyncio.ensure_future(r.blpop("nothing", timeout=10))

    async def blocked_id():
        for c in await r.client_list():
            if c.get("cmd") == "blpop":
                return int(c["id"])
        return None

    async def has_blocked():
        return (await blocked_id()) is not None

    assert await eventually(has_blocked, True, timeout=5)
    assert await r.client_unblock(await blocked_id()) is True
    assert await task is None  # unblocked as by a timeout
    assert await r.client_unblock(await r.client_id()) is False  # not blocked
    task = asyncio.ensure_future(r.blpop("nothing", timeout=10))
    assert await eventually(has_blocked, True, timeout=5)
    assert await r.client_unblock(await blocked_id(), error=True) is True
    with pytest.raises(ResponseError, match="UNBLOCKED"):
        await task


async def test_persistence_latency_config_shutdown(make_server):
    server = make_server(config={"latency-monitor-threshold": 5})
    r = fastredis.Redis(**server.client_kwargs())
    rp = redis.asyncio.Redis(**server.client_kwargs(), protocol=2)
    try:
        assert await r.save() is True
        first = await r.lastsave()
        async def saving():
            info = await r.info("persistence")
            return info["rdb_bgsave_in_progress"] or info["aof_rewrite_in_progress"]

        assert await r.bgsave() is True
        assert await eventually(saving, 0, timeout=10) == 0
        assert await r.bgsave(schedule=False) is True
        assert await eventually(saving, 0, timeout=10) == 0
        assert await r.bgrewriteaof() is True
        assert await eventually(saving, 0, timeout=10) == 0
        assert await r.lastsave() >= first
        assert await r.config_rewrite() == b"OK"
        await r.execute_command("DEBUG", "SLEEP", "0.02")
        latest = await r.latency_latest()
        assert latest and latest[0][0] == b"command"
        assert latest == await rp.latency_latest()
        assert (await same(r, rp, "latency_history", "command"))[0][1] >= 5
        assert b"command" in await r.latency_graph("command")
        assert isinstance(await r.latency_doctor(), bytes)
        hist = await r.latency_histogram("set", "debug")
        assert hist["debug"]["calls"] >= 1 and all(
            isinstance(k, int) and isinstance(v, int) for k, v in hist["debug"]["histogram_usec"].items())
        assert await r.latency_reset() == 1 and await r.latency_latest() == []
        with pytest.raises(ResponseError):
            await r.shutdown(abort=True)  # no shutdown in progress
        with pytest.raises(DataError):
            await r.shutdown(save=True, nosave=True)
        assert await r.shutdown(nosave=True) is None
        assert server.proc.wait(10) == 0
    finally:
        await r.aclose()
        await rp.aclose()


async def test_replication_failover_migrate(make_server):
    # no diskless-sync delay: the replica is served at once instead of after 5 s
    primary, replica = make_server(config={"repl-diskless-sync-delay": 0}), make_server()
    p = fastredis.Redis(**primary.client_kwargs())
    q = fastredis.Redis(**replica.client_kwargs())
    try:
        with pytest.raises(ResponseError, match="No failover in progress"):
            await p.failover(abort=True)
        assert await q.replicaof(primary.host, primary.port) == b"OK"
        role = await q.role()
        assert role[0] == b"slave" and role[2] == primary.port

        async def link():
            return (await q.role())[3]

        assert await eventually(link, b"connected", timeout=10) == b"connected"

        async def replicas():
            return await p.wait(1, 100)

        assert await eventually(replicas, 1, timeout=10) == 1
        await p.set("k", "v")
        assert await p.wait(1, 1000) == 1
        # FAILOVER: the replica becomes the primary and the primary its replica
        assert await p.failover(timeout=5000) is True

        async def p_role():
            return (await p.role())[0]

        assert await eventually(p_role, b"slave", timeout=10) == b"slave"

        async def q_role():
            return (await q.role())[0]

        assert await eventually(q_role, b"master", timeout=10) == b"master"
        assert await p.slaveof() is True  # NO ONE: both primaries again
        assert await p.migrate(replica.host, replica.port, ["nope"], 0, 1000) == b"NOKEY"
        await p.set("m", "moved")
        assert await p.migrate(replica.host, replica.port, "m", 0, 1000, copy=True) == b"OK"
        assert await q.get("m") == b"moved" and await p.get("m") == b"moved"
        assert await p.migrate(replica.host, replica.port, ["m"], 0, 1000, replace=True) == b"OK"
        assert await p.get("m") is None
        assert await q.replicaof("NO", "ONE") == b"OK"
        with pytest.raises(DataError):
            await q.replicaof("only-host")
        with pytest.raises(DataError):
            await p.failover(host="h")
        with pytest.raises(DataError):
            await p.failover(abort=True, timeout=5)
    finally:
        await p.aclose()
        await q.aclose()


async def test_cluster_single_node(make_server):
    server = make_server(config={"cluster-enabled": "yes"})
    r = fastredis.Redis(**server.client_kwargs())
    rp = redis.asyncio.Redis(**server.client_kwargs(), protocol=2)
    try:
        info = await same(r, rp, "cluster", "info")
        assert info["cluster_state"] in ("fail", "ok") and isinstance(info["cluster_known_nodes"], str)
        assert await same(r, rp, "cluster", "KEYSLOT", "foo") == 12182
        myid = await same(r, rp, "cluster", "MYID")
        nodes = await same(r, rp, "cluster", "NODES")
        (node,) = nodes.values()
        assert node["node_id"] == myid.decode() and "myself" in node["flags"]
        assert await r.cluster("ADDSLOTS", 1, 2) is True
        assert await rp.cluster("ADDSLOTS", 3) is True
        assert (await r.cluster("nodes"))[next(iter(nodes))]["slots"] == [["1", "3"]]
        assert await r.readonly() is True and await r.readwrite() is True
    finally:
        await r.aclose()
        await rp.aclose()


async def test_outside_cluster_mode_the_server_refuses(r):
    with pytest.raises(ResponseError, match="cluster support disabled"):
        await r.cluster("INFO")
    # Redis 7.0 refuses READONLY/READWRITE outside cluster mode; Valkey 9 accepts them
    valkey = (await r.info("server")).get("server_name") == "valkey"
    for call in (r.readonly, r.readwrite):
        if valkey:
            assert await call() is True
        else:
            with pytest.raises(ResponseError, match="cluster support disabled"):
                await call()
    with pytest.raises(DataError):
        await r.cluster("")


async def test_waitaof_on_valkey(make_server):
    # WAITAOF, CLIENT NO-TOUCH and CLIENT SETINFO need Redis >= 7.2: run on Valkey 9
    server = make_server(binary=valkey_or_skip(), config={"appendonly": "yes"})
    r = fastredis.Redis(**server.client_kwargs())
    try:
        await r.set("k", "v")
        assert await r.waitaof(1, 0, 1000) == [1, 0]
        assert await r.client_no_touch("ON") == b"OK"
        assert await r.client_setinfo("lib-name", "cmds9") is True
    finally:
        await r.aclose()


@pytest.mark.parametrize("call", [
    lambda r: r.auth("pw"), lambda r: r.auth("pw", "user"), lambda r: r.quit(),
    lambda r: r.reset(), lambda r: r.sync(), lambda r: r.psync("id", 0),
    lambda r: r.watch("k"), lambda r: r.unwatch(), lambda r: r.client_reply("OFF"),
    lambda r: r.client_reply("SKIP"), lambda r: r.client_reply("on"),
    lambda r: r.slaveof("host"), lambda r: r.migrate("h", 1, [], 0, 10),
    lambda r: r.client_unblock("12"),
])
async def test_connection_state_commands_refused_on_shared_client(r, call):
    with pytest.raises(DataError):
        await call(r)
    assert await r.ping() is True  # the shared connection is untouched


@pytest.mark.parametrize("name", ["hello", "debug_segfault", "script_debug"])
def test_not_implemented_as_in_redis_py(r, name):
    with pytest.raises(NotImplementedError):
        getattr(r, name)()


async def test_pipeline_keeps_its_own_watch_and_reset(r):
    async with r.pipeline() as pipe:
        assert await pipe.watch("k") is True
        pipe.multi()
        pipe.set("k", "v")
        assert await pipe.execute() == [True]
        await pipe.reset()

