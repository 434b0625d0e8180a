"""``target_nodes=`` on the named keyless commands, as redis-py's RedisCluster spells it
(``rc.dbsize(target_nodes=rc.ALL_NODES)``, ``rc.info(target_nodes=node)`` ...): routed to
those nodes and merged as the server's tips (or redis-py) say, ``{node_name: reply}``
where nothing merges; refused with a DataError, before anything is sent, where it cannot
mean anything (one server, its pipeline, a cluster transaction).

On the session cluster (3 primaries + 3 replicas); the return shapes are compared with
redis-py's ``redis.asyncio.RedisCluster`` on the same cluster."""

from __future__ import annotations

import pytest
from conftest import eventually

import fastredis
from fastredis import DataError
from fastredis.cluster import ClusterNode


@pytest.fixture
def rp(rpc):
    return rpc  # redis-py's RedisCluster on the same cluster (conftest)


def _port(rc, node_name):
    return rc.get_node(node_name=node_name).port


async def test_dbsize_over_chosen_nodes_is_the_sum_of_each(rc):
    await rc.mset({f"k{i}": i for i in range(30)})
    each = {n.name: await rc.dbsize(target_nodes=n) for n in rc.get_primaries()}
    assert sum(each.values()) == 30 and all(0 < v < 30 for v in each.values())
    assert await rc.dbsize(target_nodes=rc.PRIMARIES) == 30
    assert await rc.dbsize(target_nodes=rc.get_primaries()) == 30
    assert await rc.dbsize(target_nodes={n.name: n for n in rc.get_primaries()}) == 30

    async def every_node():  # the replicas copy their primary's keys asynchronously
        return sum([await rc.dbsize(target_nodes=n) for n in rc.get_nodes()])

    assert await eventually(every_node, 60) == 60
    assert await rc.dbsize(target_nodes=rc.ALL_NODES) == 60
    assert await rc.dbsize(target_nodes=rc.REPLICAS) == 30


async def test_info_on_several_nodes_is_one_dict_per_node(rc):
    infos = await rc.info(target_nodes=rc.ALL_NODES)
    assert set(infos) == {n.name for n in rc.get_nodes()}
    for name, info in infos.items():
        assert info["tcp_port"] == _port(rc, name)
    server = await rc.info("server", target_nodes=rc.PRIMARIES)
    assert len(server) == 3 and all("redis_version" in i for i in server.values())
    node = rc.get_replicas()[0]
    one = await rc.info("server", target_nodes=node)  # one node: its dict, not wrapped
    assert one["tcp_port"] == node.port


async def test_ping_random_one_node_and_all(rc):
    assert await rc.ping(target_nodes=rc.RANDOM) is True
    assert await rc.ping(target_nodes=rc.get_replicas()[1]) is True
    assert await rc.ping(target_nodes=rc.ALL_NODES) is True
    assert await rc.ping(target_nodes=rc.DEFAULT_NODE) is True
    assert await rc.echo("hi", target_nodes=rc.get_primaries()[0]) == b"hi"


async def test_keys_and_scan_on_chosen_nodes(rc):
    names = {f"key:{i}".encode() for i in range(20)}
    await rc.mset({k: 1 for k in names})
    assert sorted(await rc.keys("key:*", target_nodes=rc.PRIMARIES)) == sorted(names)

    async def replicated():
        return sum([await rc.dbsize(target_nodes=n) for n in rc.get_replicas()])

    assert await eventually(replicated, 20) == 20
    # a replica repeats its primary's keys: merged without repeats, as redis-py does
    assert sorted(await rc.keys("key:*", target_nodes=rc.ALL_NODES)) == sorted(names)
    node = rc.get_primaries()[0]
    own = await rc.keys(target_nodes=node)
    assert own and set(own) < names
    assert {k async for k in rc.scan_iter(match="key:*", target_nodes=node)} == set(own)
    cursors, some = await rc.scan(0, count=1000, target_nodes=node)  # redis-py's shape
    assert cursors == {node.name: 0} and set(some) == set(own)
    assert await rc.randomkey(target_nodes=node) in own


async def test_config_get_on_one_node_and_on_several(rc):
    node = rc.get_replicas()[2]
    assert await rc.config_get("port", target_nodes=node) == {"port": str(node.port)}
    # a ClusterNode the caller built names the node of the map with that address
    same = ClusterNode(node.host, node.port)
    assert await rc.config_get("port", target_nodes=same) == {"port": str(node.port)}
    ports = await rc.config_get("port", target_nodes=rc.PRIMARIES)
    assert ports == {n.name: {"port": str(n.port)} for n in rc.get_primaries()}
    old = (await rc.config_get("slowlog-max-len", target_nodes=node))["slowlog-max-len"]
    try:
        assert await rc.config_set("slowlog-max-len", 77, target_nodes=node) is True
        values = await rc.config_get("slowlog-max-len", target_nodes=rc.ALL_NODES)
        assert [v["slowlog-max-len"] == "77" for v in values.values()].count(True) == 1
    finally:
        await rc.config_set("slowlog-max-len", old, target_nodes=node)


async def test_script_load_everywhere_then_flush(rc, redis_cluster):
    sha = await rc.script_load("return 41 + 1", target_nodes=rc.ALL_NODES)
    for s in redis_cluster.servers:
        assert redis_cluster.call(s, "SCRIPT", "EXISTS", sha) == [1]
    for n in rc.get_nodes():
        assert await rc.script_exists(sha, target_nodes=n) == [True]
    assert await rc.script_exists(sha, "0" * 40, target_nodes=rc.ALL_NODES) == [True, False]
    assert await rc.script_flush(target_nodes=rc.get_primaries()[0]) is True
    assert await rc.script_exists(sha, target_nodes=rc.ALL_NODES) == [False]  # logical AND
    assert await rc.script_exists(sha, target_nodes=rc.get_primaries()[1]) == [True]
    assert await rc.script_flush(target_nodes=rc.ALL_NODES) is True


async def test_flushall_on_the_primaries(rc):
    await rc.mset({f"f{i}": i for i in range(10)})
    assert await rc.dbsize() == 10
    assert await rc.flushall(target_nodes=rc.get_primaries()) is True
    assert await rc.dbsize(target_nodes=rc.PRIMARIES) == 0
    await rc.set("x", 1)
    owner = rc.get_node_from_key("x")
    other = next(n for n in rc.get_primaries() if n is not owner)
    assert await rc.flushdb(target_nodes=other) is True
    assert await rc.get("x") == b"1"  # only the node named was flushed


async def test_commands_without_a_server_tip_merge_as_redis_py_does(rc, redis_cluster):
    # classic Pub/Sub is per node: a subscriber on two primaries, one count of 2
    subs = []
    try:
        for s in redis_cluster.primaries()[:2]:
            sub = fastredis.Redis(host=s.host, port=s.port).pubsub()
            await sub.subscribe("news")
            subs.append(sub)

        async def numsub():
            return await rc.pubsub_numsub("news", "none", target_nodes=rc.PRIMARIES)

        assert await eventually(numsub, [(b"news", 2), (b"none", 0)]) == [(b"news", 2), (b"none", 0)]
        assert await rc.pubsub_channels(target_nodes=rc.PRIMARIES) == [b"news"]
        assert await rc.pubsub_numpat(target_nodes=rc.ALL_NODES) == 0
    finally:
        for sub in subs:
            await sub.aclose()


async def test_time_and_friends_answer_per_node(rc):
    times = await rc.time(target_nodes=rc.PRIMARIES)
    assert set(times) == {n.name for n in rc.get_primaries()}
    assert all(isinstance(t, tuple) and len(t) == 2 for t in times.values())
    clients = await rc.client_list(target_nodes=rc.ALL_NODES)
    assert len(clients) == 6 and all(isinstance(c, list) for c in clients.values())
    roles = await rc.role(target_nodes=rc.REPLICAS)
    assert all(r[0] == b"slave" for r in roles.values())
    assert (await rc.cluster("INFO", target_nodes=rc.get_replicas()[0]))["cluster_state"] == "ok"
    myids = await rc.cluster("MYID", target_nodes=rc.ALL_NODES)
    assert len(set(myids.values())) == 6


async def test_target_nodes_overrides_target_and_execute_command_agrees(rc):
    primary, replica = rc.get_primaries()[0], rc.get_replicas()[0]
    assert (await rc.target(primary).info("server"))["tcp_port"] == primary.port
    got = await rc.target(primary).info("server", target_nodes=replica)
    assert got["tcp_port"] == replica.port
    assert await rc.execute_command("PING", target_nodes=replica) == b"PONG"
    assert await rc.target(rc.PRIMARIES).dbsize() == await rc.dbsize(target_nodes=rc.PRIMARIES)


async def test_a_bad_target_is_a_data_error_before_anything_is_sent(rc):
    for bad in ("everywhere", 42, [], ["127.0.0.1:7000"], [rc.get_nodes()[0], None], object()):
        with pytest.raises(DataError):
            await rc.dbsize(target_nodes=bad)
    p = rc.pipeline()
    with pytest.raises(DataError):
        p.dbsize(target_nodes="everywhere")
    assert len(p) == 0
    assert await rc.ping(target_nodes=rc.RANDOM) is True


async def test_cluster_pipeline_runs_targeted_commands_in_order(rc):
    await rc.set("a", 1)
    primary = rc.get_primaries()[0]
    p = rc.pipeline()
    p.set("b", 2).dbsize(target_nodes=rc.PRIMARIES).info("server", target_nodes=rc.ALL_NODES)
    p.config_get("port", target_nodes=primary).get("a").ping(target_nodes=rc.RANDOM)
    p.keys("*", target_nodes=rc.PRIMARIES)
    res = await p.execute()
    assert res[0] is True and res[1] == 2
    assert set(res[2]) == {n.name for n in rc.get_nodes()}
    assert all(res[2][name]["tcp_port"] == _port(rc, name) for name in res[2])
    assert res[3] == {"port": str(primary.port)}
    assert res[4] == b"1" and res[5] is True
    assert sorted(res[6]) == [b"a", b"b"]
    # a failing node's error lands in its command's place
    p = rc.pipeline()
    p.get("a").config_set("no-such-option", 1, target_nodes=primary).get("b")
    got = await p.execute(raise_on_error=False)
    assert got[0] == b"1" and isinstance(got[1], fastredis.ResponseError) and got[2] == b"2"


async def test_cluster_transaction_refuses_targeted_commands(rc):
    p = rc.pipeline(transaction=True)
    p.set("{t}a", 1)
    with pytest.raises(DataError, match="transaction"):
        p.dbsize(target_nodes=rc.PRIMARIES)
    assert await p.execute() == [True]
    async with rc.pipeline() as w:
        await w.watch("{t}a")
        # between WATCH and MULTI commands run at once: a targeted one too
        assert await w.dbsize(target_nodes=rc.PRIMARIES) == 1
        w.multi()
        with pytest.raises(DataError, match="transaction"):
            w.dbsize(target_nodes=rc.PRIMARIES)
        w.incr("{t}a")
        assert await w.execute() == [2]


async def test_one_server_and_its_pipeline_refuse_target_nodes(r):
    await r.config_resetstat()
    with pytest.raises(DataError, match="RedisCluster"):
        await r.dbsize(target_nodes="all")
    with pytest.raises(DataError, match="RedisCluster"):
        await r.info(target_nodes="primaries")
    with pytest.raises(DataError, match="RedisCluster"):
        await r.execute_command("DBSIZE", target_nodes="all")
    with pytest.raises(DataError, match="RedisCluster"):
        async for _ in r.scan_iter(target_nodes="all"):
            pass
    p = r.pipeline()
    p.set("k", 1)
    with pytest.raises(DataError, match="RedisCluster"):
        p.dbsize(target_nodes="all")
    with pytest.raises(DataError, match="RedisCluster"):
        p.execute_command("DBSIZE", target_nodes="all")
    assert await p.execute() == [True]
    stats = await r.info("commandstats")
    assert "cmdstat_dbsize" not in stats and "cmdstat_info" not in stats
    assert "cmdstat_scan" not in stats
    assert await r.dbsize(target_nodes=None) == 1  # None: the plain command


async def test_return_shapes_match_redis_py(rc, rp):
    await rc.mset({f"s{i}": i for i in range(12)})
    node = rc.get_primaries()[0]
    their_node = rp.get_node(node.host, node.port)
    pairs = [  # (redis-py's script_* take no target_nodes: they go to every node)
        (lambda: rc.dbsize(target_nodes=rc.PRIMARIES), lambda: rp.dbsize(target_nodes=rp.PRIMARIES)),
        (lambda: rc.dbsize(target_nodes=node), lambda: rp.dbsize(target_nodes=their_node)),
        (lambda: rc.ping(target_nodes=rc.ALL_NODES), lambda: rp.ping(target_nodes=rp.ALL_NODES)),
        (lambda: rc.config_get("port", target_nodes=node),
         lambda: rp.config_get("port", target_nodes=their_node)),
        (lambda: rc.config_get("port", target_nodes=rc.PRIMARIES),
         lambda: rp.config_get("port", target_nodes=rp.PRIMARIES)),
        (lambda: rc.pubsub_numsub("c", target_nodes=rc.PRIMARIES),
         lambda: rp.pubsub_numsub("c", target_nodes=rp.PRIMARIES)),
        (lambda: rc.pubsub_channels(target_nodes=rc.PRIMARIES),
         lambda: rp.pubsub_channels(target_nodes=rp.PRIMARIES)),
    ]  # (FLUSHALL: True here, as without target_nodes; redis-py gives {node: True})
    for ours, theirs in pairs:
        assert await ours() == await theirs()
    await rc.mset({f"s{i}": i for i in range(12)})
    assert sorted(await rc.keys(target_nodes=rc.PRIMARIES)) == sorted(
        await rp.keys(target_nodes=rp.PRIMARIES))
    ours_info = await rc.info("server", target_nodes=rc.ALL_NODES)
    theirs_info = await rp.info("server", target_nodes=rp.ALL_NODES)
    assert set(ours_info) == set(theirs_info)
    assert {k: v["tcp_port"] for k, v in ours_info.items()} == {
        k: v["tcp_port"] for k, v in theirs_info.items()}
    ours_time = await rc.time(target_nodes=rc.PRIMARIES)
    theirs_time = await rp.time(target_nodes=rp.PRIMARIES)
    assert set(ours_time) == set(theirs_time)


async def test_cluster_commands_by_name_as_redis_py(rc, rp, redis_cluster):
    replica = rc.get_replicas()[0]
    info = await rc.cluster_info(target_nodes=replica)
    assert info["cluster_state"] == "ok" and info["cluster_known_nodes"] == "6"
    ours, theirs = await rc.cluster_info(rc.PRIMARIES), await rp.cluster_info(rp.PRIMARIES)
    assert {k: set(v) for k, v in ours.items()} == {k: set(v) for k, v in theirs.items()}
    states = await rc.cluster_info(target_nodes=rc.ALL_NODES)
    assert {s["cluster_state"] for s in states.values()} == {"ok"} and len(states) == 6
    ids = await rc.cluster_myid(rc.ALL_NODES)
    assert len(set(ids.values())) == 6
    mine = await rc.cluster_myid(replica)
    their_replica = rp.get_node(replica.host, replica.port)
    assert mine == await rp.cluster_myid(their_replica) == ids[replica.name]
    nodes = await rc.cluster_nodes(target_nodes=replica)
    assert set(nodes) == {n.name for n in rc.get_nodes()}
    assert set(nodes) == set(await rp.cluster_nodes())
    primary_of = nodes[replica.name]["master_id"]
    replicas = await rc.cluster_replicas(primary_of, target_nodes=replica)
    assert replica.name in replicas
    assert await rc.cluster_keyslot("foo") == rc.keyslot("foo") == await rp.cluster_keyslot("foo")
    assert await rc.cluster_save_config(target_nodes=replica) is True
    saved = await rc.cluster_save_config(target_nodes=rc.ALL_NODES)  # no tip: one per node
    assert saved == {n.name: True for n in rc.get_nodes()}  # (redis-py 8.1 fails to send it)
    # (no CLUSTER MEET here: even of a known node it adds a handshake entry to the shared
    # cluster for a moment, which the next test then counts as a seventh node)
    version = (await rc.info("server", target_nodes=replica))["redis_version"]
    if tuple(int(x) for x in str(version).split(".")[:2]) >= (7, 2):
        shard = await rc.cluster_myshardid(replica)
        assert isinstance(shard, bytes) and shard == await rp.cluster_myshardid(their_replica)


async def test_cluster_commands_by_name_on_one_node(redis_cluster):
    s = redis_cluster.live()[0]
    async with fastredis.Redis(host=s.host, port=s.port) as r:
        assert (await r.cluster_info())["cluster_state"] == "ok"
        assert len(await r.cluster_nodes()) == 6
        assert await r.cluster_keyslot("foo") == 12182
        with pytest.raises(DataError, match="RedisCluster"):
            await r.cluster_info(target_nodes="all")
