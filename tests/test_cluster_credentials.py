"""Credential providers on a real 3-primary cluster: asked on every new node connection,
rotated in place on every live one - each node's shared and exclusive connections, the
topology (CLUSTER SHARDS) connection, and the cluster Pub/Sub's node connections (RESP3;
RESP2 uses the new credentials at its next reconnect).

ACL users are per node: every ``ACL SETUSER`` is sent to every node. ``INFO
commandstats`` (``cmdstat_auth``) counts the AUTHs, ``CLIENT LIST`` shows who each
connection is authenticated as, ``CLIENT KILL USER`` forces reconnects."""

from __future__ import annotations

import asyncio
import logging

import pytest

import fastredis
from fastredis._testing_cluster import ClusterHarness
from fastredis.cluster import RedisCluster
from fastredis.cluster.slots import key_slot
from fastredis.exceptions import DataError
from tests.conftest import eventually
from tests.test_credentials import EntraShaped, Token, Workers


@pytest.fixture(scope="module")
def acl_cluster():
    from conftest import server_or_fail

    server_or_fail()
    with ClusterHarness(primaries=3, replicas=0) as h:
        yield h


@pytest.fixture
async def admins(acl_cluster):
    """One plain client per node (the default user), the ``app`` user reset to ``pw1``."""
    acl_cluster.wait_ready()
    acl_cluster.flushall()
    out = [fastredis.Redis(host=s.host, port=s.port, decode_responses=True) for s in acl_cluster.live()]
    for a in out:
        for user in ("app", "app2"):
            await a.execute_command("ACL", "DELUSER", user)
        await a.execute_command("ACL", "SETUSER", "app", "on", ">pw1", "~*", "&*", "+@all")
    yield out
    for a in out:
        await a.aclose()


async def on_all(admins, *args):
    return await asyncio.gather(*(a.execute_command(*args) for a in admins))


async def auth_calls(admins) -> int:
    total = 0
    for a in admins:
        stats = await a.info("commandstats")
        total += int(stats.get("cmdstat_auth", {}).get("calls", 0))
    return total


async def users(admins) -> set[str]:
    """Who the connections of every node (ours only: not the admins') are authenticated as."""
    out = set()
    for a in admins:
        out |= {c["user"] for c in await a.client_list() if c["user"] != "default"}
    return out


async def rotate(admins, p: EntraShaped, password: str) -> None:
    """Both passwords valid on every node, push, then retire the old one everywhere."""
    await on_all(admins, "ACL", "SETUSER", "app", "on", f">{password}")
    await p.push(Token("app", password))
    await on_all(admins, "ACL", "SETUSER", "app", "resetpass", f">{password}")


async def kill_app(admins, rc) -> None:
    """CLIENT KILL USER app on every node; wait until the client saw its connections go."""
    conns = rc.topology.all_connections()
    await on_all(admins, "CLIENT", "KILL", "USER", "app")
    for c in conns:
        await c.wait_closed()


def keys_on_every_node(n: int = 30) -> list[str]:
    return [f"k{i}" for i in range(n)]


# ---------------------------------------------------------------------------- options
def test_password_with_provider_is_a_data_error():
    p = EntraShaped("app", "pw1")
    with pytest.raises(DataError):
        RedisCluster(host="127.0.0.1", port=7000, password="x", credential_provider=p)
    with pytest.raises(DataError):
        RedisCluster.from_url("redis://:x@127.0.0.1:7000", credential_provider=p)
    with pytest.raises(DataError):
        RedisCluster(host="127.0.0.1", port=7000, credential_provider=object())
    assert "pw1" not in repr(RedisCluster(host="127.0.0.1", port=7000, credential_provider=p))


async def test_provider_is_asked_on_every_new_node_connection(acl_cluster, admins):
    p = EntraShaped("app", "pw1")
    async with RedisCluster.from_url(f"redis://127.0.0.1:{acl_cluster.live()[0].port}",
                                     credential_provider=p) as rc:
        await rc.mset({k: 1 for k in keys_on_every_node()})
        assert p.asked == 3  # one shared connection per node, the topology's included
        assert await users(admins) == {"app"}
        await rc.blpop(["{k0}q"], timeout=0.01)  # an exclusive connection: asked again
        assert p.asked == 4


# ---------------------------------------------------------------------------- rotation
async def test_rotation_under_50_concurrent_tasks_fails_nothing(acl_cluster, admins, caplog):
    """Four rotations while 50 tasks run SET/GET on keys of every slot owner: each is
    one AUTH queued in each node's shared connection, nothing fails, nothing reconnects."""
    p = EntraShaped("app", "pw1")
    rc = RedisCluster(**acl_cluster.client_kwargs(credential_provider=p))
    workers = None
    try:
        await rc.mset({k: 1 for k in keys_on_every_node()})
        before = await auth_calls(admins)
        ids = {c["id"] for a in admins for c in await a.client_list(_type="normal") if c["user"] == "app"}
        workers = Workers(rc)
        with caplog.at_level(logging.WARNING, logger="fastredis"):
            for n in range(2, 6):
                await rotate(admins, p, f"pw{n}")
                await workers.progressed(200)  # commands ran after this rotation too
            await workers.stop()
        assert workers.failed == 0 and workers.ok > 800
        assert await auth_calls(admins) - before == 4 * 3  # per rotation: one AUTH per node
        assert p.asked == 3
        after = {c["id"] for a in admins for c in await a.client_list(_type="normal") if c["user"] == "app"}
        assert after == ids  # the same connections
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        # the old passwords are gone: reconnects ask the provider, get the latest
        await kill_app(admins, rc)
        await rc.mset({k: 2 for k in keys_on_every_node()})
        assert await rc.mget(keys_on_every_node()) == [b"2"] * 30
        assert p.asked == 6
    finally:
        if workers is not None:
            await workers.stop()
        await rc.aclose()
    for rec in caplog.records:
        assert "pw1" not in rec.getMessage() and "pw5" not in rec.getMessage()


async def test_new_user_reaches_every_connection_the_topologys_included(acl_cluster, admins):
    """A push naming another user: every live connection - the shared ones, which also
    ask CLUSTER SHARDS - is that user afterwards (CLIENT LIST), so deleting the old user
    (which disconnects its clients) costs nothing and a slot-map refresh runs on the same
    connections. (A blocking command's connection is closed after it: the pool's
    rotation of exclusive connections is tested on one server.)"""
    p = EntraShaped("app", "pw1")
    rc = RedisCluster(**acl_cluster.client_kwargs(credential_provider=p))
    try:
        await rc.mset({k: 1 for k in keys_on_every_node()})
        ids = {c["id"] for a in admins for c in await a.client_list() if c["user"] == "app"}
        assert len(ids) == 3
        await on_all(admins, "ACL", "SETUSER", "app2", "on", ">other", "~*", "&*", "+@all")
        await p.push(Token("app2", "other"))
        assert await users(admins) == {"app2"}
        assert {c["id"] for a in admins for c in await a.client_list() if c["user"] == "app2"} == ids
        await on_all(admins, "ACL", "DELUSER", "app")  # would drop any connection left as app
        queries = rc.topology.queries
        await rc.topology.refresh()
        assert rc.topology.queries > queries
        assert {c["id"] for a in admins for c in await a.client_list() if c["user"] == "app2"} == ids
        assert await rc.mget(keys_on_every_node()) == [b"1"] * 30
        assert p.asked == 3  # none since
    finally:
        await rc.aclose()


@pytest.mark.parametrize("protocol", [2, 3])
async def test_cluster_pubsub_keeps_receiving_across_a_rotation(acl_cluster, admins, protocol, caplog):
    """Classic and sharded subscriptions on every node, a live reader: RESP3 node
    connections re-authenticate in place (one AUTH each); RESP2 ones cannot (the server
    refuses AUTH in subscribed mode), keep receiving, and use the new credentials at
    their next reconnect."""
    p = EntraShaped("app", "pw1")
    rc = RedisCluster(**acl_cluster.client_kwargs(credential_provider=p, protocol=protocol))
    ps = rc.pubsub(ignore_subscribe_messages=True)
    shards = {}
    for i in range(200):  # one sharded channel per node
        name = f"s{i}"
        shards.setdefault(acl_cluster.owner(key_slot(name)).port, name)
        if len(shards) == 3:
            break
    channels = ["ch", *shards.values()]
    got: list = []
    want = 40 * len(channels)
    done = asyncio.Event()

    async def reader() -> None:
        while len(got) < want:
            m = await ps.get_message(timeout=None)
            if m is not None:
                got.append((m["channel"], m["data"]))
        done.set()

    async def publish(i) -> None:
        await rc.publish("ch", i)
        for s in shards.values():
            await rc.spublish(s, i)

    try:
        await rc.mset({k: 1 for k in keys_on_every_node()})  # a shared connection on each node
        await ps.subscribe("ch")
        await ps.ssubscribe(*shards.values())
        task = asyncio.ensure_future(reader())
        links = len(ps.stats()["nodes"])
        assert links == 4  # the classic channel's and one per node for the sharded ones
        before = await auth_calls(admins)
        for i in range(20):
            await publish(i)
        with caplog.at_level(logging.WARNING, logger="fastredis"):
            await rotate(admins, p, "pw2")
            for i in range(20, 40):
                await publish(i)
            await asyncio.wait_for(done.wait(), 10)
        await task
        for ch in channels:
            assert [d for c, d in got if c == ch.encode()] == [str(i).encode() for i in range(40)]
        # the shared connections always; the subscribed ones only on RESP3
        assert await auth_calls(admins) - before == 3 + (links if protocol == 3 else 0)
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert ps.stats()["gaps"] == 0
        # a reconnect (the old password is gone) uses the new credentials
        asked = p.asked
        await kill_app(admins, rc)

        async def resubscribed():
            shard = classic = 0
            for a in admins:
                shard += sum(int(n) for n in (await a.execute_command(
                    "PUBSUB", "SHARDNUMSUB", *shards.values()))[1::2])
                classic += int((await a.execute_command("PUBSUB", "NUMSUB", "ch"))[1])
            return shard, classic

        assert await eventually(resubscribed, (3, 1), timeout=10) == (3, 1)
        assert p.asked > asked
        got.clear()
        want = len(channels)
        done.clear()
        task = asyncio.ensure_future(reader())
        await publish("after")
        await asyncio.wait_for(done.wait(), 10)
        await task
        assert sorted(got) == sorted((c.encode(), b"after") for c in channels)
    finally:
        await ps.aclose()
        await rc.aclose()


async def has_app(node, timeout: float) -> bool:
    """Whether ``node`` has (within ``timeout`` s) a connection authenticated as ``app``."""
    async def app_there() -> bool:
        return "app" in {c["user"] for c in await node.client_list()}

    return bool(await eventually(app_there, True, timeout=timeout))


async def test_failover_between_rotations_keeps_the_latest_credentials(redis_cluster):
    """kill -9 of a primary between two rotations, 50 tasks running: the promoted
    replica is connected to with the last credentials pushed (the provider's, asked
    again), the next rotation reaches its connections too, and once the old passwords
    are gone and every connection of the user is killed, the client reconnects
    everywhere with the latest one. (Session cluster with replicas; ACLs are per node,
    so the user is made on every node.)"""
    h = redis_cluster
    nodes = [fastredis.Redis(host=s.host, port=s.port, decode_responses=True) for s in h.live()]
    p = EntraShaped("app", "pw1")
    rc = RedisCluster(**h.client_kwargs(credential_provider=p))
    # a primary with a replica (earlier tests' failovers may have left one without)
    victim = next(p for p in h.primaries() if h.replicas_of(p))
    workers = None
    try:
        await on_all(nodes, "ACL", "SETUSER", "app", "reset", "on", ">pw1", "~*", "&*", "+@all")
        await rc.mset({k: 1 for k in keys_on_every_node()})
        workers = Workers(rc)
        await workers.progressed(200)
        await rotate(nodes, p, "pw2")
        await workers.progressed(200)
        promoted = await asyncio.to_thread(h.kill_primary, victim)
        nodes = [n for n in nodes if n.connection_pool.params.port != victim.port]
        on_promoted = next(n for n in nodes if n.connection_pool.params.port == promoted.port)
        assert await has_app(on_promoted, timeout=20)  # its shard is served again
        await workers.progressed(200)
        await rotate(nodes, p, "pw3")  # pw2 is gone everywhere now
        await workers.progressed(200)
        await on_all(nodes, "CLIENT", "KILL", "USER", "app")
        failed = workers.failed
        await workers.progressed(400)  # every primary reconnected, with pw3
        primaries = {s.port for s in h.primaries()}
        for n in nodes:
            if n.connection_pool.params.port in primaries:
                assert await has_app(n, timeout=10), n
        await workers.stop()
        assert workers.ok > 1000
        # a killed connection fails the commands in flight on it, nothing more
        assert workers.failed - failed <= 50
    finally:
        if workers is not None:
            await workers.stop()
        await rc.aclose()
        await asyncio.to_thread(h.restart, victim)
        await on_all(nodes, "ACL", "DELUSER", "app")
        for n in nodes:
            await n.aclose()
