"""RedisCluster.scan_iter after a reshard (a real local cluster, both loops).

``redis-cli --cluster reshard`` moves a shard's lowest slots first. Once the client has
learnt of that through MOVED (the slot map patched, the next full refresh not yet run),
a shard can no longer be found by its first slot: the walk must still visit every shard
once. The slots go back at the end, so the cluster is as the test found it."""

from __future__ import annotations

import asyncio

from fastredis.cluster import RedisCluster


def _key_in(rc: RedisCluster, slot: int, prefix: str) -> str:
    i = 0
    while rc.keyslot(f"{prefix}{i}") != slot:
        i += 1
    return f"{prefix}{i}"


async def test_scan_iter_returns_every_key_after_the_lowest_slots_moved(redis_cluster):
    h = redis_cluster
    # no refresh during the test: the map stays as MOVED patched it
    rc = RedisCluster(**h.client_kwargs(refresh_min_interval=60.0, topology_check_interval=None))
    try:
        await rc.initialize()
        keys = [f"sr:{i}" for i in range(3000)]
        await rc.mset({k: "v" for k in keys})
        source = h.primaries()[0]
        target = h.primaries()[1]
        start = min(a for a, _ in h.nodes_of(source))
        moved = [start, start + 1, start + 2]
        for slot in moved:  # keys in the moving slots too
            k = _key_in(rc, slot, "sr:m")
            await rc.set(k, "v")
            keys.append(k)
        await asyncio.to_thread(h.migrate, moved[0], moved[-1], target)
        try:
            before = rc.stats["moved"]
            assert await rc.get(_key_in(rc, start, "sr:m")) == b"v"  # MOVED: slot patched
            assert rc.stats["moved"] == before + 1
            assert rc.get_node_from_key(_key_in(rc, start, "sr:m")).port == target.port
            seen = [k async for k in rc.scan_iter(match="sr:*", count=200)]
            assert set(seen) == {k.encode() for k in keys}
        finally:
            await asyncio.to_thread(h.migrate, moved[0], moved[-1], source)
    finally:
        await rc.aclose()


async def test_scan_iter_follows_a_failover_mid_walk(redis_cluster):
    """The shard being walked loses its primary: its walk starts again at the replica that
    took over (found by node id), and every key is still returned."""
    h = redis_cluster
    rc = RedisCluster(**h.client_kwargs())
    victim = None
    try:
        await rc.initialize()
        keys = {f"sf:{i}" for i in range(600)}
        await rc.mset({k: "v" for k in keys})
        for p in rc.get_primaries():  # every write on the replicas before a primary dies
            assert await rc.execute_command("WAIT", 1, 5000, target_nodes=p) == 1
        seen: set[bytes] = set()
        async for key in rc.scan_iter(match="sf:*", count=10):
            if victim is None:  # mid-walk of the first shard: its primary dies
                victim = h.server(rc.get_node_from_key(key).port)
                await asyncio.to_thread(h.kill_primary, victim)
            seen.add(key)
        assert seen == {k.encode() for k in keys}
    finally:
        await rc.aclose()
        if victim is not None:
            await asyncio.to_thread(h.restart, victim)
