"""Client-side caching on RedisCluster (issue 12): a real local cluster, both loops.

How the tests wait for an invalidation: the server writes it on the tracked node
connection before it answers anything sent later on that connection (RESP3), so a PING on
that node's connection (``_barrier``) returns only once the invalidation has been applied.
Tests that fail over or migrate slots leave the cluster healthy (killed nodes restarted);
slot layouts may differ afterwards, which no test assumes."""

from __future__ import annotations

import asyncio

import pytest
from conftest import keys_on

from fastredis.cache import CacheConfig, TrackingError
from fastredis.cluster import RedisCluster
from fastredis.exceptions import DataError


async def _barrier(rc: RedisCluster, key: str) -> None:
    """Every invalidation the key's node sent before now has been applied."""
    conn = rc.get_node_from_key(key).connection
    assert conn is not None
    await conn.execute(("PING",))


def _slot_entries(rc: RedisCluster, slot: int) -> int:
    return len(rc.cache._by_slot.get(slot, ()))


@pytest.fixture
async def clients(redis_cluster):
    rc = RedisCluster(**redis_cluster.client_kwargs(protocol=3, cache=CacheConfig()))
    other = RedisCluster(**redis_cluster.client_kwargs())
    await rc.initialize()
    yield rc, other
    await rc.aclose()
    await other.aclose()


async def test_another_clients_write_on_every_shard(clients, redis_cluster):
    rc, other = clients
    keys = [keys_on(rc, p.port, 1, "c")[0] for p in redis_cluster.primaries()]
    for k in keys:
        await other.set(k, "v1")
        assert await rc.get(k) == b"v1"
        assert await rc.get(k) == b"v1"
    st = rc.cache.stats()
    assert (st["hits"], st["misses"], st["entries"]) == (len(keys), len(keys), len(keys))
    for k in keys:
        await other.set(k, "v2")
        await _barrier(rc, k)
    assert rc.cache.stats()["invalidations"] == len(keys)
    assert rc.cache.stats()["entries"] == 0
    for k in keys:
        assert await rc.get(k) == b"v2"
    # one tracked connection per node we read from, and no more
    assert len(rc.cache._tracked) == len(keys)


async def test_read_your_own_writes(clients):
    rc, _ = clients
    keys = [f"ryw:{i}" for i in range(12)]  # spread over the shards
    for i in range(30):
        for k in keys:
            await rc.set(k, i)
            assert await rc.get(k) == str(i).encode()
            assert await rc.get(k) == str(i).encode()
        await rc.hset("{ryw}h", "f", i)
        assert await rc.hgetall("{ryw}h") == {b"f": str(i).encode()}
    assert rc.cache.stats()["hits"] >= 30 * len(keys)


async def test_own_writes_on_connections_of_their_own(clients):
    """A blocking command and a WATCHed transaction run on connections of their own:
    their invalidations reach the tracked connection later (held back here by pausing
    it), yet what they wrote is gone from the cache when they return."""
    rc, other = clients
    await other.rpush("{own}l", "a", "b")
    await other.set("{own}k", "v1")
    assert await rc.lrange("{own}l", 0, -1) == [b"a", b"b"]
    assert await rc.get("{own}k") == b"v1"
    conn = rc.get_node_from_key("{own}k").connection
    conn._transport.pause_reading()  # its invalidations stay in the socket for now
    try:
        assert await rc.blpop(["{own}l"], 1) is not None
        assert rc.cache.stats()["entries"] == 1
        async with rc.pipeline() as pipe:
            await pipe.watch("{own}k")
            pipe.multi()
            pipe.set("{own}k", "v2")
            assert await pipe.execute() == [True]
        assert rc.cache.stats()["entries"] == 0
    finally:
        conn._transport.resume_reading()
    assert await rc.get("{own}k") == b"v2"
    assert await rc.lrange("{own}l", 0, -1) == [b"b"]


async def test_concurrent_reads_and_writes_converge(clients):
    rc, other = clients
    keys = [f"conv:{i}" for i in range(20)]

    async def writer(k: str) -> None:
        for i in range(20):
            await other.set(k, i)

    async def reader(k: str) -> None:
        for _ in range(40):
            await rc.get(k)

    await asyncio.gather(*(writer(k) for k in keys), *(reader(k) for k in keys))
    for k in keys:
        await _barrier(rc, k)
        assert await rc.get(k) == b"19"


async def test_slot_migration_drops_that_slots_entries(clients, redis_cluster):
    """A slot moves: its entries go as soon as the client learns it (a refresh here,
    MOVED below), even a cached missing key the migration never touched; other slots
    keep theirs; reads afterwards are correct."""
    rc, other = clients
    h = redis_cluster
    await other.set("{mig}a", "old")
    await other.set("{stay}a", "x")
    assert await rc.get("{mig}a") == b"old"
    assert await rc.get("{mig}missing") is None  # a cached nil: MIGRATE never touches it
    assert await rc.get("{stay}a") == b"x"
    slot, stay = rc.keyslot("{mig}a"), rc.keyslot("{stay}a")
    assert _slot_entries(rc, slot) == 2
    source = h.owner(slot)
    target = next(p for p in h.primaries() if p.port != source.port)
    await asyncio.to_thread(h.migrate, slot, slot, target)
    await rc.topology.refresh()  # what the periodic check (or any MOVED) does
    assert _slot_entries(rc, slot) == 0
    assert _slot_entries(rc, stay) == 1
    assert rc.get_node_from_key("{mig}a").port == target.port
    await other.set("{mig}missing", "now")
    assert await rc.get("{mig}missing") == b"now"
    assert await rc.get("{mig}a") == b"old"
    await other.set("{mig}a", "new")
    await _barrier(rc, "{mig}a")
    assert await rc.get("{mig}a") == b"new"  # tracked at the new owner too
    assert await rc.get("{stay}a") == b"x"


async def test_reads_stay_correct_through_a_live_resharding(clients, redis_cluster):
    """20 tasks write then read (twice: the second is a hit) their own keys while a slot
    range moves with its keys, ASK phase included; then another client's writes to the
    moved keys are read back. No caller ever sees an old value."""
    rc, other = clients
    h = redis_cluster
    first, last = 100, 139
    moving: list[str] = []
    for i in range(10**6):
        if first <= rc.keyslot(f"rs:{i}") <= last:
            moving.append(f"rs:{i}")
            if len(moving) == 40:
                break
    keys = moving + [f"rs:other:{i}" for i in range(200)]
    await rc.mset({k: "0" for k in keys})
    source = h.owner(first)
    target = next(p for p in h.primaries() if p.port != source.port)
    wrong: list[tuple] = []
    done = asyncio.Event()

    async def worker(w: int) -> None:
        mine = moving[w::20] + keys[40 + w::20]  # disjoint: each key has one writer
        n = 0
        while not done.is_set() or n < 20:
            k = mine[n % len(mine)]
            n += 1
            value = f"{w}:{n}"
            await rc.set(k, value)
            for _ in range(2):
                got = await rc.get(k)
                if got != value.encode():
                    wrong.append((k, value, got))

    tasks = [asyncio.create_task(worker(w)) for w in range(20)]
    try:
        await asyncio.to_thread(h.migrate, first, last, target, 3)
    finally:
        done.set()
        await asyncio.gather(*tasks)
    assert wrong == []
    assert rc.cache.stats()["hits"] > 0 and rc.stats["moved"] + rc.stats["ask"] > 0
    for k in moving[:10]:
        await other.set(k, "theirs")
    await rc.topology.refresh()
    for k in moving[:10]:
        await _barrier(rc, k)
        assert await rc.get(k) == b"theirs"


async def test_moved_drops_that_slots_entries(clients, redis_cluster):
    rc, other = clients
    h = redis_cluster
    assert await rc.get("{mv}missing") is None
    slot = rc.keyslot("{mv}missing")
    assert _slot_entries(rc, slot) == 1
    source = h.owner(slot)
    target = next(p for p in h.primaries() if p.port != source.port)
    await asyncio.to_thread(h.migrate, slot, slot, target)
    moved = rc.stats["moved"]
    await rc.set("{mv}other", 1)  # MOVED: the client patches the slot, and the cache
    assert rc.stats["moved"] == moved + 1
    assert _slot_entries(rc, slot) == 0
    await other.set("{mv}missing", "now")
    assert await rc.get("{mv}missing") == b"now"


async def test_manual_failover_and_the_new_primary_is_tracked(clients, redis_cluster):
    rc, other = clients
    h = redis_cluster
    primary = h.primaries()[0]
    replica = h.replicas_of(primary)[0]
    keys = keys_on(rc, primary.port, 3, "fo")
    for k in keys:
        await other.set(k, "before")
        assert await rc.get(k) == b"before"
    missing = "{" + keys[0] + "}-missing"  # a nil in the same slot
    assert await rc.get(missing) is None
    old_conn = rc.get_node_from_key(keys[0]).connection
    assert rc.cache.stats()["entries"] == 4
    await asyncio.to_thread(h.failover, replica)
    await rc.topology.refresh()
    assert rc.get_node_from_key(keys[0]).port == replica.port
    assert rc.cache.stats()["entries"] == 0  # the new owner never saw our reads
    await other.set(missing, "now")
    assert await rc.get(missing) == b"now"
    for k in keys:
        assert await rc.get(k) == b"before"
        assert await rc.get(k) == b"before"  # a hit, read from the new primary
    new_conn = rc.get_node_from_key(keys[0]).connection
    assert new_conn is not old_conn and new_conn in rc.cache._tracked
    hits = rc.cache.stats()["hits"]
    for k in keys:
        await other.set(k, "after")
    await _barrier(rc, keys[0])
    for k in keys:
        assert await rc.get(k) == b"after"  # the promoted node's invalidations arrived
    assert rc.cache.stats()["hits"] == hits


async def test_kill_9_drops_that_nodes_entries(clients, redis_cluster):
    rc, other = clients
    h = redis_cluster
    victim = h.primaries()[1]
    mine = keys_on(rc, victim.port, 3, "k9")
    elsewhere = keys_on(rc, h.primaries()[2].port, 2, "k9")
    for k in mine + elsewhere:
        await other.set(k, "v")
        assert await rc.get(k) == b"v"
    conn = rc.get_node_from_key(mine[0]).connection
    assert rc.cache.stats()["entries"] == 5
    try:
        promoted = await asyncio.to_thread(h.kill_primary, victim)
        await conn.wait_closed()
        assert rc.cache.stats()["entries"] == 2  # only the lost node's entries went
        await other.set(mine[0], "promoted")
        assert await rc.get(mine[0]) == b"promoted"
        assert await rc.get(mine[0]) == b"promoted"
        assert rc.get_node_from_key(mine[0]).port == promoted.port
        for k in elsewhere:
            assert await rc.get(k) == b"v"
    finally:
        await asyncio.to_thread(h.restart, victim)


async def test_memory_bound(redis_cluster):
    rc = RedisCluster(**redis_cluster.client_kwargs(
        protocol=3, cache=CacheConfig(max_entries=10, max_bytes=1024 * 1024)))
    try:
        keys = [f"mem:{i}" for i in range(30)]
        await rc.mset({k: "v" for k in keys})
        for k in keys:
            assert await rc.get(k) == b"v"
        st = rc.cache.stats()
        assert st["entries"] == 10 and st["evictions"] == 20
        big = b"x" * 300_000
        for i in range(6):
            await rc.set(f"big:{i}", big)
            assert await rc.get(f"big:{i}") == big
        st = rc.cache.stats()
        assert st["bytes"] <= 1024 * 1024 and st["entries"] <= 3
        assert sum(len(v) for v in rc.cache._by_slot.values()) == st["entries"]
    finally:
        await rc.aclose()


async def test_bypass_allow_list_and_uncached_commands(clients):
    rc, other = clients
    await other.set("bp", "1")
    with rc.cache.bypass():
        assert await rc.get("bp") == b"1"
    assert rc.cache.stats()["entries"] == 0
    await rc.get("bp")
    await rc.ttl("bp")  # not on the allow list
    assert rc.cache.stats()["entries"] == 1
    rc.cache.commands.discard("GET")
    await other.set("bp2", "2")
    assert await rc.get("bp2") == b"2"
    assert rc.cache.stats()["entries"] == 1
    assert await rc.mget(["bp", "bp2"]) == [b"1", b"2"]  # multi-key: the cluster path


async def test_options_are_checked(redis_cluster):
    with pytest.raises(ValueError, match="needs RESP3"):
        RedisCluster(**redis_cluster.client_kwargs(protocol=2, cache=CacheConfig()))
    # the protocol not chosen is RESP3: accepted
    await RedisCluster(**redis_cluster.client_kwargs(cache=CacheConfig())).aclose()
    with pytest.raises(DataError):
        RedisCluster(**redis_cluster.client_kwargs(protocol=3, cache={"max_entries": 3}))


async def test_push_frames_taken_by_someone_else_is_an_error(clients):
    """A node connection whose push frames another handler already takes cannot carry
    our invalidations: a cached read there fails loudly instead of going stale."""
    rc, other = clients
    await other.set("pf", "v")
    node = rc.get_node_from_key("pf")
    conn = await rc._connection(node)
    conn.on_push = lambda _reply: False
    with pytest.raises(TrackingError, match="another handler"):
        await rc.get("pf")
    assert rc.cache.stats()["entries"] == 0


async def test_decode_responses(redis_cluster):
    rc = RedisCluster(**redis_cluster.client_kwargs(protocol=3, decode_responses=True,
                                                    cache=CacheConfig()))
    try:
        await rc.hset("dr", mapping={"a": "1"})
        for _ in range(2):
            assert await rc.get("dr-missing") is None
            assert await rc.hgetall("dr") == {"a": "1"}
            assert await rc.hget("dr", "a") == "1"
        assert rc.cache.stats()["hits"] == 3
        await rc.hset("dr", "a", "2")
        assert await rc.hgetall("dr") == {"a": "2"}
    finally:
        await rc.aclose()
