"""RedisCluster against redis-py 8.2's ``redis.asyncio.RedisCluster`` on the same local
cluster (both loops): the cluster-only methods, their return shapes and their errors."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio
import redis.exceptions

import fastredis
from fastredis.cluster import RedisCluster
from fastredis.exceptions import (
    CrossSlotTransactionError,
    DataError,
    RedisClusterException,
    ResponseError,
)


@pytest.fixture
def rp(rpc):
    return rpc  # redis-py's RedisCluster on the same cluster (conftest)


def _theirs(rp, node):
    return rp.get_node(node.host, node.port)


def test_redis_py_names_and_constants():
    assert fastredis.CrossSlotTransactionError is CrossSlotTransactionError
    assert issubclass(CrossSlotTransactionError, RedisClusterException)
    assert fastredis.RedisClusterException is RedisClusterException
    assert [e.__name__ for e in RedisCluster.ERRORS_ALLOW_RETRY] == [
        e.__name__ for e in redis.asyncio.RedisCluster.ERRORS_ALLOW_RETRY]
    assert RedisCluster.NODE_FLAGS == redis.asyncio.RedisCluster.NODE_FLAGS
    assert RedisCluster.RedisClusterRequestTTL == redis.asyncio.RedisCluster.RedisClusterRequestTTL


def _public(cls: type) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_")}


def test_nearly_every_redis_py_cluster_name():
    """>= 97% of redis-py's RedisCluster names, leaving out those the single-server
    fastredis.Redis lacks too (Redis 8-only commands, module APIs: test_api_coverage.py)."""
    single_gap = _public(redis.asyncio.Redis) - _public(fastredis.Redis)
    theirs = _public(redis.asyncio.RedisCluster) - single_gap
    missing = theirs - _public(RedisCluster)
    assert len(theirs - missing) / len(theirs) >= 0.97, sorted(missing)


async def test_nonatomic_mget_mset_as_redis_py(rc, rp):
    mapping = {"na:a": "1", "na:b": "2", "{na:a}c": "3", "na:d": "4"}
    ours = await rc.mset_nonatomic(mapping)
    await rc.flushall()
    theirs = await rp.mset_nonatomic(mapping)
    assert ours == theirs and len(ours) == len({rc.keyslot(k) for k in mapping})
    keys = ["na:d", "na:a", "missing", "{na:a}c"]
    assert await rc.mget_nonatomic(keys) == await rp.mget_nonatomic(keys) == [b"4", b"1", None, b"3"]
    assert await rc.mget_nonatomic("na:a", "na:b") == await rp.mget_nonatomic("na:a", "na:b")
    p = rc.pipeline()
    p.mset_nonatomic({"na:x": 1, "na:y": 2}).get("na:x")
    q = rp.pipeline()
    q.mset_nonatomic({"na:x": 1, "na:y": 2}).get("na:x")
    assert await p.execute() == await q.execute()
    with pytest.raises(DataError):
        await rc.mset_nonatomic({})
    assert await rc.mget_nonatomic([]) == await rp.mget_nonatomic([]) == []
    with pytest.raises(NotImplementedError):
        rc.pipeline(transaction=True).mset_nonatomic({"a": 1})


async def test_default_node_is_stable_and_replaceable(rc, rp):
    first = rc.get_default_node()
    assert all(rc.get_default_node() is first for _ in range(20))
    other = next(n for n in rc.get_primaries() if n is not first)
    assert rc.set_default_node(other) is None
    assert rc.get_default_node() is other
    port = int((await rc.config_get("port"))["port"])  # a keyless command goes there
    assert port == other.port
    with pytest.raises(DataError, match="does not exist"):
        rc.set_default_node(None)
    with pytest.raises(DataError, match="does not exist"):
        rc.set_default_node(fastredis.ClusterNode("127.0.0.1", 1))
    with pytest.raises(redis.exceptions.DataError, match="does not exist"):
        rp.set_default_node(None)
    rc.replace_default_node()
    assert rc.get_default_node() is not other and rc.get_default_node() in rc.get_primaries()
    rc.replace_default_node(other)
    assert rc.get_default_node() is other
    replica = rc.get_replicas()[0]
    rc.set_default_node(replica)  # a replica you chose stays the default
    assert rc.get_default_node() is replica
    assert int((await rc.config_get("port"))["port"]) == replica.port
    assert rc.get_random_primary_node() in rc.get_primaries()
    assert await rc.get_keyless_target_node("DBSIZE") in rc.get_nodes()
    assert await rc.get_nodes_from_slot("GET", "na:a") == [rc.get_node_from_key("na:a")]


async def test_default_node_replaced_when_its_connection_is_lost(rc):
    node = rc.get_default_node()
    await rc.config_get("port")  # a keyless command: the default node's connection is open
    conn = node.connection
    assert conn is not None
    conn.abort("test: the default node's connection is lost")
    await conn.wait_closed()
    assert rc.get_default_node() is not node  # another primary is chosen at the next use
    assert rc.get_default_node().server_type == "primary"
    assert await rc.ping()


async def test_cluster_management_commands_as_redis_py(rc, rp, redis_cluster):
    node = rc.get_primaries()[0]
    theirs = _theirs(rp, node)
    assert await rc.cluster_slots(target_nodes=node) == await rp.cluster_slots(target_nodes=theirs)
    ours_shards = await rc.cluster_shards(target_nodes=node)
    their_shards = await rp.cluster_shards(target_nodes=theirs)
    assert [sorted(s) for s in ours_shards] == [sorted(s) for s in their_shards]
    assert [s["slots"] for s in ours_shards] == [s["slots"] for s in their_shards]
    assert [[n[b"id"] for n in s["nodes"]] for s in ours_shards] == [
        [n[b"id"] for n in s["nodes"]] for s in their_shards]
    ours_links, their_links = await rc.cluster_links(node), await rp.cluster_links(theirs)
    assert len(ours_links) == len(their_links) and ours_links[0][::2] == their_links[0][::2]
    await rc.set("mg:k", 1)
    slot = rc.keyslot("mg:k")
    assert await rc.cluster_countkeysinslot(slot) == await rp.cluster_countkeysinslot(slot) == 1
    assert await rc.cluster_get_keys_in_slot(slot, 10) == await rp.cluster_get_keys_in_slot(slot, 10)
    node_id = await rc.cluster_myid(node)
    assert await rc.cluster_count_failure_report(node_id) == await rp.cluster_count_failure_report(
        node_id) == 0
    with pytest.raises(fastredis.RedisError, match="stable"):
        rc.cluster_setslot(node, node_id, slot, "stable")
    with pytest.raises(fastredis.RedisError, match="Invalid option"):
        rc.cluster_failover(node, "nope")
    for name in ("cluster_bumpepoch", "cluster_flushslots"):
        with pytest.raises(NotImplementedError):
            getattr(rc, name)()
    # a slot moved away and back with the named commands (the harness checks the result)
    target = next(p for p in rc.get_primaries() if p is not rc.get_node_from_key("mg:empty"))
    empty = rc.keyslot("mg:empty")
    source = rc.get_node_from_key("mg:empty")
    src_id, tgt_id = await rc.cluster_myid(source), await rc.cluster_myid(target)
    assert await rc.cluster_setslot(target, src_id, empty, "IMPORTING") is True
    assert await rc.cluster_setslot_stable(empty) is True  # on the slot's owner: nothing pending
    assert await rc.cluster_setslot(target, src_id, empty, "importing") is True
    assert await rc.cluster_setslot(source, tgt_id, empty, "MIGRATING") is True
    for n in rc.get_primaries():
        assert await rc.cluster_setslot(n, tgt_id, empty, "NODE") is True
    await rc.topology.refresh()
    await asyncio.to_thread(redis_cluster.migrate, empty, empty, redis_cluster.server(source.port))


async def test_cluster_delslots_and_addslots(rc, redis_cluster):
    slot = rc.keyslot("ds:free")
    owner = rc.get_node_from_key("ds:free")
    try:
        assert await rc.cluster_delslots(slot) == [True]  # sent to the slot's owner
        assert await rc.cluster_addslots(owner, slot) is True
        rc.set_default_node(owner)  # DELSLOTSRANGE goes to the default node (redis-py's rule)
        assert await rc.cluster_delslotsrange(slot, slot) is True
        with pytest.raises(ResponseError):
            await rc.cluster_delslotsrange(slot, slot)  # already unassigned there
        assert await rc.cluster_addslotsrange(owner, slot, slot) is True
    finally:
        await asyncio.to_thread(redis_cluster.wait_ready)


async def test_lock_on_a_cluster(rc, rp):
    lock = rc.lock("lk:name", timeout=5)
    assert isinstance(lock, fastredis.Lock)
    assert await lock.acquire(blocking=False)
    other = rp.lock("lk:name", timeout=5)
    assert not await other.acquire(blocking=False)  # redis-py sees it held
    assert await lock.locked()
    await lock.release()
    assert await other.acquire(blocking=False)
    await other.release()
    async with rc.lock("lk:ctx", timeout=5, blocking_timeout=1):
        assert await rc.exists("lk:ctx") == 1
    assert await rc.exists("lk:ctx") == 0


async def test_scan_with_target_nodes_in_redis_py_shape(rc, rp):
    await rc.mset_nonatomic({f"sc:{i}": i for i in range(40)})
    ours = await rc.scan(target_nodes=rc.PRIMARIES, count=1000)
    theirs = await rp.scan(target_nodes=rp.PRIMARIES, count=1000)
    assert ours[0] == theirs[0] == {n.name: 0 for n in rc.get_primaries()}
    assert sorted(ours[1]) == sorted(theirs[1])
    # paging: the {node: cursor} dict goes back in; a finished node is not asked again
    cursors, keys = await rc.scan(target_nodes=rc.PRIMARIES, count=2)
    seen = set(keys)
    while any(cursors.values()):
        cursors, keys = await rc.scan(cursors, count=2, target_nodes=rc.PRIMARIES)
        seen.update(keys)
    assert seen == {f"sc:{i}".encode() for i in range(40)}
    cursor, keys = await rc.scan(0, count=1000)  # one node, as before
    assert cursor == 0 and set(keys) < seen
    with pytest.raises(DataError):
        await rc.scan({"x": 1})


async def test_client_setname_on_chosen_nodes(rc, rp):
    node = rc.get_primaries()[1]
    assert await rc.client_setname("parity", target_nodes=node) is True
    assert await rc.client_getname(target_nodes=node) == "parity"
    assert await rc.client_setname("all", target_nodes=rc.PRIMARIES) is True
    assert set((await rc.client_getname(target_nodes=rc.PRIMARIES)).values()) == {"all"}
    assert await rp.client_setname("all", target_nodes=rp.PRIMARIES) is True


async def test_keyless_get_raises_before_sending(rc, rp):
    before = await rc.info("commandstats", target_nodes=rc.PRIMARIES)
    with pytest.raises(RedisClusterException, match="Missing key"):
        await rc.execute_command("GET")
    with pytest.raises(redis.exceptions.RedisClusterException, match="Missing key"):
        await rp.execute_command("GET")
    after = await rc.info("commandstats", target_nodes=rc.PRIMARIES)
    calls = {n: (v.get("cmdstat_get") or {}).get("calls", 0) for n, v in after.items()}
    assert calls == {n: (v.get("cmdstat_get") or {}).get("calls", 0) for n, v in before.items()}


async def test_pipeline_error_names_command_and_arguments(rc, rp):
    for client in (rc, rp):
        p = client.pipeline()
        p.set("{k}c", 1).lpush("{k}c", 3)
        with pytest.raises(Exception) as info:
            await p.execute()
        assert "Command # 2 (LPUSH {k}c 3) of pipeline caused error: WRONGTYPE" in str(info.value)


async def test_cross_slot_transaction_and_shard_hint(rc, rp):
    p = rc.pipeline(transaction=True)
    p.set("a", 1).set("b", 2)
    with pytest.raises(CrossSlotTransactionError):
        await p.execute()
    q = rp.pipeline(transaction=True)
    q.set("a", 1).set("b", 2)
    with pytest.raises(redis.exceptions.CrossSlotTransactionError):
        await q.execute()
    assert await rc.exists("a", "b") == 0  # nothing was sent
    with pytest.raises(RedisClusterException, match="shard_hint"):
        rc.pipeline(shard_hint=True)
    with pytest.raises(redis.exceptions.RedisClusterException):
        rp.pipeline(shard_hint=True)


async def test_response_callback_applies_to_execute_command(rc):
    rc.set_response_callback("DBSIZE", lambda reply, **kw: ("n", reply))
    await rc.set("rcb", 1)
    assert await rc.execute_command("DBSIZE", target_nodes=rc.get_node_from_key("rcb")) == ("n", 1)
    assert await rc.dbsize() == 1  # named methods keep their own callbacks


async def test_properties(rc, redis_cluster):
    assert rc.read_from_replicas is False
    assert rc.reinitialize_steps is None and rc.reinitialize_counter == 0
    assert rc.node_flags == RedisCluster.NODE_FLAGS
    assert rc.connection_kwargs["decode_responses"] is False
    await rc.set("prop", 1)
    for p in rc.get_primaries():
        assert await rc.execute_command("WAIT", 1, 5000, target_nodes=p) == 1
    rc.read_from_replicas = True  # redis-py lets you switch it on a live client
    assert rc.read_from_replicas is True
    assert [await rc.get("prop") for _ in range(4)] == [b"1"] * 4  # READONLY sent first
    assert rc.stats["moved"] == 0  # the replicas answered, not redirected
    rc.read_from_replicas = False
    assert rc.load_balancing_strategy is None and await rc.get("prop") == b"1"
    r2 = RedisCluster(**redis_cluster.client_kwargs(read_from_replicas=True))
    try:
        assert r2.read_from_replicas is True
        await r2.initialize()
        await r2.set("prop", 1)
        assert await r2.get("prop") in (b"1", None)  # a replica may lag
    finally:
        await r2.aclose()
