"""RedisCluster on a real local cluster (3 primaries + 3 replicas): API, routing,
multi-key splitting, keyless aggregation, pipelines."""

from __future__ import annotations

import asyncio

import pytest

import fastredis
from fastredis.cluster import ClusterNode, CrossSlotError, RedisCluster


@pytest.fixture
async def rc(redis_cluster):
    client = RedisCluster(**redis_cluster.client_kwargs())
    try:
        yield client
    finally:
        await client.aclose()


async def test_api_and_nodes(rc, redis_cluster):
    await rc.initialize()
    assert len(rc.get_nodes()) == 6
    assert len(rc.get_primaries()) == 3 and len(rc.get_replicas()) == 3
    for key in ("foo", "{user1}:a", b"bar", 42):
        server_slot = redis_cluster.call(redis_cluster.live()[0], "CLUSTER", "KEYSLOT", key)
        assert rc.keyslot(key) == server_slot
        owner = redis_cluster.owner(server_slot)
        assert rc.get_node_from_key(key).port == owner.port
    node = rc.get_primaries()[0]
    assert rc.get_node(node.host, node.port) is node
    assert rc.get_node(node_name=node.name) is node


async def test_construction_forms(redis_cluster):
    s = redis_cluster.live()[0]
    for client in (
        RedisCluster(startup_nodes=[ClusterNode(s.host, s.port)]),
        RedisCluster.from_url(f"redis://{s.host}:{s.port}"),
        fastredis.RedisCluster(host=s.host, port=s.port, decode_responses=True, client_name="c10"),
    ):
        async with client as c:
            await c.set("k", "v")
            assert await c.get("k") in (b"v", "v")
    with pytest.raises(fastredis.DataError):
        RedisCluster(host=s.host, port=s.port, db=1)
    with pytest.raises(TypeError):
        RedisCluster(host=s.host, port=s.port, bogus=1)


async def test_decode_and_client_name_on_every_node(redis_cluster):
    async with RedisCluster(**redis_cluster.client_kwargs(decode_responses=True,
                                                          client_name="c10-name")) as rc:
        await rc.mset({f"k{i}": i for i in range(50)})  # touches every primary
        assert await rc.get("k1") == "1"
        lists = await rc.target(rc.PRIMARIES).client_list()
        assert len(lists) == 3
        for clients in lists.values():
            assert any(c.get("name") == "c10-name" for c in clients)


async def test_command_groups_on_the_cluster(rc):
    # strings
    assert await rc.set("s", "1") is True
    assert await rc.incrby("s", 5) == 6
    assert await rc.append("s", "0") == 2
    # hashes
    await rc.hset("h", mapping={"a": 1, "b": 2})
    assert await rc.hgetall("h") == {b"a": b"1", b"b": b"2"}
    # lists
    await rc.rpush("l", 1, 2, 3)
    assert await rc.lrange("l", 0, -1) == [b"1", b"2", b"3"]
    # sets, with a hash tag for the multi-key command
    await rc.sadd("{t}s1", "a", "b")
    await rc.sadd("{t}s2", "b", "c")
    assert await rc.sinter("{t}s1", "{t}s2") == {b"b"}
    # sorted sets
    await rc.zadd("z", {"a": 1, "b": 2})
    assert await rc.zrange("z", 0, -1, withscores=True) == [(b"a", 1.0), (b"b", 2.0)]
    # streams
    await rc.xadd("x", {"f": "v"})
    assert await rc.xlen("x") == 1
    # hyperloglog
    await rc.pfadd("hll", "a", "b")
    assert await rc.pfcount("hll") == 2
    # keys
    assert await rc.expire("s", 100) is True
    assert 0 < await rc.ttl("s") <= 100
    assert await rc.type("h") in (b"hash", "hash")
    # scripting, keys routed by numkeys
    assert await rc.eval("return redis.call('GET', KEYS[1])", 1, "s") == b"60"
    sha = await rc.script_load("return 1")
    assert await rc.script_exists(sha) == [True]  # on every primary (agg_logical_and)
    assert await rc.evalsha(sha, 0) == 1
    # a blocking command on a connection of its own
    await rc.rpush("bl", "x")
    assert await rc.blpop(["bl"], timeout=1) == (b"bl", b"x")
    assert await rc.blpop(["bl"], timeout=0.05) is None


async def test_multi_key_commands_split_by_slot_in_callers_order(rc):
    keys = [f"key:{i}" for i in range(100)]
    assert len({rc.keyslot(k) for k in keys}) > 50
    assert await rc.mset({k: i for i, k in enumerate(keys)}) is True
    assert await rc.mget(keys) == [str(i).encode() for i in range(100)]
    assert await rc.mget(list(reversed(keys)) + ["nope"]) == [str(i).encode() for i in range(99, -1, -1)] + [None]
    assert await rc.exists(*keys, "nope") == 100
    assert await rc.touch(*keys[:10]) == 10
    assert await rc.unlink(*keys[:50]) == 50
    assert await rc.delete(*keys) == 50
    assert await rc.dbsize() == 0


async def test_other_multi_key_commands_across_slots_fail_before_sending(rc):
    await rc.sadd("a1", "x")
    await rc.sadd("b1", "y")
    assert rc.keyslot("a1") != rc.keyslot("b1") != rc.keyslot("dest")
    with pytest.raises(CrossSlotError):
        await rc.sunionstore("dest", "a1", "b1")
    with pytest.raises(CrossSlotError):
        await rc.rename("a1", "b1")
    with pytest.raises(CrossSlotError):
        await rc.msetnx({"{a1}x": 1, "{b1}x": 2})
    assert await rc.exists("dest", "{a1}x", "{b1}x") == 0
    assert await rc.smembers("a1") == {b"x"}


async def test_keyless_commands_go_to_every_primary(rc, redis_cluster):
    await rc.mset({f"k{i}": i for i in range(30)})
    assert await rc.dbsize() == 30
    assert sorted(await rc.keys("k*")) == sorted(f"k{i}".encode() for i in range(30))
    per_node = await rc.target(rc.PRIMARIES).dbsize()
    assert per_node == 30  # agg_sum, from the server's tip
    assert await rc.execute_command("DBSIZE", target_nodes=rc.get_primaries()[0]) < 30
    infos = await rc.target(rc.ALL_NODES).info("server")
    assert len(infos) == 6 and all("redis_version" in i for i in infos.values())
    sha = await rc.script_load("return 7")
    for s in redis_cluster.primaries():
        assert redis_cluster.call(s, "SCRIPT", "EXISTS", sha) == [1]
    assert await rc.flushall() is True
    assert await rc.dbsize() == 0
    assert await rc.ping() is True


async def test_scan_iter_walks_every_primary(rc):
    keys = {f"scan:{i}".encode() for i in range(300)}
    await rc.mset({k: 1 for k in keys})
    seen = {k async for k in rc.scan_iter(match="scan:*", count=50)}
    assert seen == keys
    with pytest.raises(TypeError):  # an unknown option is an error, not ignored
        rc.scan_iter(match="scan:*", type="string")  # type: ignore[call-arg]


async def test_pipeline_across_slots_keeps_order(rc):
    p = rc.pipeline()
    for i in range(50):
        p.set(f"p{i}", i)
    for i in range(50):
        p.incr(f"p{i}")
    p.mget([f"p{i}" for i in range(50)])
    p.dbsize()
    res = await p.execute()
    assert res[:50] == [True] * 50
    assert res[50:100] == list(range(1, 51))
    assert res[100] == [str(i + 1).encode() for i in range(50)]
    assert res[101] == 50


async def test_pipeline_errors_in_place(rc):
    await rc.set("str", "x")
    p = rc.pipeline()
    p.set("a", 1).lpush("str", 1).get("a")
    res = await p.execute(raise_on_error=False)
    assert res[0] is True and isinstance(res[1], fastredis.ResponseError) and res[2] == b"1"
    p.lpush("str", 1)
    with pytest.raises(fastredis.ResponseError, match="Command # 1"):
        await p.execute()


async def test_transaction_in_one_slot_and_clear_error_otherwise(rc):
    async with rc.pipeline(transaction=True) as p:
        p.set("{acct}:a", 10).incrby("{acct}:a", 5).get("{acct}:a")
        assert await p.execute() == [True, 15, b"15"]
    p = rc.pipeline(transaction=True)
    p.set("x1", 1).set("y1", 2)
    assert rc.keyslot("x1") != rc.keyslot("y1")
    with pytest.raises(CrossSlotError):
        await p.execute()
    assert await rc.exists("x1", "y1") == 0


async def test_read_from_replicas(redis_cluster):
    async with RedisCluster(**redis_cluster.client_kwargs(read_from_replicas=True)) as rc:
        await rc.set("r", "v")
        # replication is asynchronous: wait for the replica to have it
        for _ in range(200):
            vals = [await rc.get("r") for _ in range(4)]
            if vals == [b"v"] * 4:
                break
            await asyncio.sleep(0.01)
        assert vals == [b"v"] * 4
        replica = rc.get_node_from_key("r", replica=True)
        before = redis_cluster.call(redis_cluster.server(replica.port), "INFO", "commandstats")
        for _ in range(10):
            await rc.get("r")
        after = redis_cluster.call(redis_cluster.server(replica.port), "INFO", "commandstats")
        assert _calls(after, "get") > _calls(before, "get")
        assert await rc.set("r", "w") is True  # writes still go to the primary


def _calls(info: bytes, cmd: str) -> int:
    for line in info.decode().splitlines():
        if line.startswith(f"cmdstat_{cmd}:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


async def test_moved_patches_the_slot_and_retries(redis_cluster):
    async with RedisCluster(**redis_cluster.client_kwargs()) as rc:
        await rc.set("moveme", "1")
        slot = rc.keyslot("moveme")
        source = redis_cluster.owner(slot)
        target = next(p for p in redis_cluster.primaries() if p.port != source.port)
        await asyncio.to_thread(redis_cluster.migrate, slot, slot, target)
        queries = rc.topology.queries
        assert await rc.get("moveme") == b"1"  # MOVED -> the new owner
        assert rc.topology.slots.primaries[slot].port == target.port
        assert await rc.incr("moveme") == 2
        assert rc.topology.queries - queries <= 6  # at most one refresh
        await asyncio.to_thread(redis_cluster.migrate, slot, slot, source)


async def test_pipeline_part_moved_runs_once_in_order(redis_cluster):
    async with RedisCluster(**redis_cluster.client_kwargs()) as rc:
        keys = [f"{{pm}}:{i}" for i in range(20)]
        others = [f"other:{i}" for i in range(20)]
        slot = rc.keyslot(keys[0])
        await rc.initialize()
        source = redis_cluster.owner(slot)
        target = next(p for p in redis_cluster.primaries() if p.port != source.port)
        await asyncio.to_thread(redis_cluster.migrate, slot, slot, target)  # the client's map is stale now
        p = rc.pipeline()
        for a, b in zip(keys, others):
            p.incr(a).incr(b).rpush("{pm}:log", a)
        res = await p.execute()
        assert res[0::3] == [1] * 20 and res[1::3] == [1] * 20
        assert res[2::3] == list(range(1, 21))  # in order, each once
        assert await rc.lrange("{pm}:log", 0, -1) == [k.encode() for k in keys]
        assert await rc.mget(keys + others) == [b"1"] * 40
        await asyncio.to_thread(redis_cluster.migrate, slot, slot, source)


async def test_watch_multi_exec_in_one_slot(rc, redis_cluster):
    await rc.set("{w}:a", 1)
    async with rc.pipeline() as p:
        await p.watch("{w}:a", "{w}:b")
        assert await p.get("{w}:a") == b"1"  # runs at once, on the watched connection
        p.multi()
        p.incr("{w}:a").set("{w}:b", "x")
        assert await p.execute() == [2, True]
    # a change by someone else between WATCH and EXEC aborts the transaction
    async with rc.pipeline() as p:
        await p.watch("{w}:a")
        redis_cluster.call(redis_cluster.owner(rc.keyslot("{w}:a")), "SET", "{w}:a", 100)
        p.multi()
        p.incr("{w}:a")
        with pytest.raises(fastredis.WatchError):
            await p.execute()
    assert await rc.get("{w}:a") == b"100"

    async def add_one(pipe):
        value = int(await pipe.get("{w}:a"))
        pipe.multi()
        pipe.set("{w}:a", value + 1)

    assert await rc.transaction(add_one, "{w}:a") == [True]
    assert await rc.get("{w}:a") == b"101"
    # no option is taken and ignored: shard_hint means nothing here, a typo is a TypeError
    with pytest.raises(fastredis.DataError, match="shard_hint"):
        rc.pipeline(shard_hint="x")
    with pytest.raises(fastredis.DataError, match="shard_hint"):
        await rc.transaction(add_one, "{w}:a", shard_hint="x")
    with pytest.raises(TypeError):
        await rc.transaction(add_one, "{w}:a", value_from_callabel=True)  # type: ignore[call-arg]
    assert await rc.get("{w}:a") == b"101"  # none of them ran anything
    with pytest.raises(CrossSlotError):
        await rc.pipeline().watch("x1", "y1")


async def test_refresh_keeps_healthy_connections(redis_cluster):
    """A MOVED and the refresh after it touch only what changed: every connection to a
    node that stays is the same object afterwards (redis-py drops them all)."""
    async with RedisCluster(**redis_cluster.client_kwargs()) as rc:
        await rc.mset({f"c{i}": i for i in range(30)})  # a connection to every primary
        before = {n.name: n.connection for n in rc.get_primaries()}
        assert all(c is not None for c in before.values())
        slot = rc.keyslot("c1")
        source = redis_cluster.owner(slot)
        target = next(p for p in redis_cluster.primaries() if p.port != source.port)
        await asyncio.to_thread(redis_cluster.migrate, slot, slot, target)
        refreshes = rc.topology.refreshes
        assert await rc.get("c1") == b"1"
        await rc.topology.refresh()
        assert rc.topology.refreshes > refreshes
        assert {n.name: n.connection for n in rc.get_primaries()} == before
        assert all(not c.closed for c in before.values())


async def test_address_remap_and_pubsub(redis_cluster):
    seen = []

    def remap(addr):
        seen.append(addr)
        return ("localhost", addr[1])  # e.g. NAT: announced address -> reachable one

    async with RedisCluster(**redis_cluster.client_kwargs(address_remap=remap)) as rc:
        assert all(n.host == "localhost" for n in rc.get_nodes())
        await rc.set("remapped", 1)
        assert await rc.get("remapped") == b"1"
        assert seen
        async with rc.pubsub() as p:
            await p.subscribe("news")
            assert await rc.publish("news", "hi") >= 0  # any node: cluster-wide broadcast
            got = []
            while len(got) < 2:
                m = await p.get_message(timeout=5)
                if m is not None:
                    got.append(m)
            assert got[1]["data"] == b"hi"


async def test_blocking_command_follows_a_moved_slot(redis_cluster):
    async with RedisCluster(**redis_cluster.client_kwargs()) as rc:
        await rc.initialize()
        slot = rc.keyslot("bq")
        source = redis_cluster.owner(slot)
        target = next(p for p in redis_cluster.primaries() if p.port != source.port)
        await asyncio.to_thread(redis_cluster.migrate, slot, slot, target)  # the map is stale
        waiter = asyncio.create_task(rc.blpop(["bq"], timeout=5))
        # the BLPOP is blocked at the new owner once that node counts a blocked client
        for _ in range(2000):
            info = redis_cluster.call(target, "INFO", "clients").decode()
            if "blocked_clients:1" in info:
                break
            await asyncio.sleep(0.005)
        await rc.rpush("bq", "x")
        assert await waiter == (b"bq", b"x")
        assert rc.stats["moved"] == 1  # sent to the old owner first, then followed


async def test_periodic_check_refreshes_without_traffic(redis_cluster):
    async with RedisCluster(**redis_cluster.client_kwargs(topology_check_interval=0.05)) as rc:
        await rc.initialize()
        before = rc.topology.refreshes
        for _ in range(500):  # polling the client's own counter, no command sent
            if rc.topology.refreshes >= before + 2:
                break
            await asyncio.sleep(0.01)
        assert rc.topology.refreshes >= before + 2
