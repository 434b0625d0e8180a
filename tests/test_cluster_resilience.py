"""RedisCluster through live resharding, failover, kill -9 and restarts (real cluster).

Each test leaves the session cluster healthy (killed nodes restarted, state ok); slot
layouts may differ afterwards, which no test assumes."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from conftest import keys_on

from fastredis.cluster import RedisCluster, TooManyRedirections
from fastredis.exceptions import ConnectionError


async def test_live_resharding_under_load(redis_cluster):
    """50 tasks SET/GET/INCR 10,000 keys while a slot range moves with its keys (the
    ASK phase included): no caller sees an error or a wrong value; counters are exact."""
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs()) as rc:
        n = 10_000
        keys = [f"{{k{i}}}" for i in range(n)]
        await rc.mset({k: f"v{i}" for i, k in enumerate(keys)})
        first, last = 0, 99
        source = h.owner(first)
        target = next(p for p in h.primaries() if p.port != source.port)
        moving = [i for i, k in enumerate(keys) if first <= rc.keyslot(k) <= last]
        assert len(moving) > 30
        errors: list[BaseException] = []
        wrong: list[tuple] = []
        incrs: Counter = Counter()
        done = asyncio.Event()

        async def worker(w: int) -> None:
            i, ops = w, 0
            while not done.is_set() or ops < 100:
                # half the traffic on the keys that move
                idx = moving[i % len(moving)] if i % 2 else i % n
                k = keys[idx]
                try:
                    v = await rc.get(k)
                    if v != f"v{idx}".encode():
                        wrong.append((k, v))
                    assert await rc.set(k, f"v{idx}") is True
                    await rc.incr(k + ":n")
                    incrs[idx] += 1
                except Exception as exc:  # noqa: BLE001 - every failure is counted
                    errors.append(exc)
                i += 50
                ops += 1

        tasks = [asyncio.create_task(worker(w)) for w in range(50)]
        try:
            await asyncio.to_thread(h.migrate, first, last, target, 5)
        finally:
            done.set()
            await asyncio.gather(*tasks)
        assert errors == []
        assert wrong == []
        counted = list(incrs)
        values = await rc.mget([keys[i] + ":n" for i in counted])
        assert values == [str(incrs[i]).encode() for i in counted]
        assert rc.get_node_from_key(keys[moving[0]]).port == target.port
        assert rc.stats["moved"] > 0  # callers were redirected, and never noticed


async def _load(rc: RedisCluster, keys_by_port: dict[int, list[str]], stop: asyncio.Event,
                errors: dict[int, list[BaseException]], ok_after: dict[int, int]) -> None:
    async def one(port: int, k: str) -> None:
        while not stop.is_set():
            try:
                await rc.set(k, "x")
                assert await rc.get(k) == b"x"
                ok_after[port] += 1
            except Exception as exc:  # noqa: BLE001
                errors[port].append(exc)
                await asyncio.sleep(0.01)
    await asyncio.gather(*(one(p, k) for p, ks in keys_by_port.items() for k in ks))


async def test_manual_failover_under_load_is_invisible(redis_cluster):
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs()) as rc:
        await rc.initialize()
        primary = h.primaries()[0]
        replica = h.replicas_of(primary)[0]
        keys = {p.port: keys_on(rc, p.port, 5) for p in h.primaries()}
        errors: dict[int, list] = {p: [] for p in keys}
        ok: Counter = Counter()
        stop = asyncio.Event()
        load = asyncio.create_task(_load(rc, keys, stop, errors, ok))
        await asyncio.to_thread(h.failover, replica)
        ok.clear()
        while min(ok[p] for p in keys) < 20:  # every shard served after the failover
            await asyncio.sleep(0.01)
        stop.set()
        await load
        assert {p: e for p, e in errors.items() if e} == {}
        assert rc.get_node_from_key(keys[primary.port][0]).port == replica.port


async def test_kill_9_of_a_primary_under_load(redis_cluster):
    """Other shards never fail; the shard works again once its replica is promoted; no
    "too many redirections"."""
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs()) as rc:
        await rc.initialize()
        victim = h.primaries()[1]
        keys = {p.port: keys_on(rc, p.port, 5) for p in h.primaries()}
        errors: dict[int, list] = {p: [] for p in keys}
        ok: Counter = Counter()
        stop = asyncio.Event()
        load = asyncio.create_task(_load(rc, keys, stop, errors, ok))
        try:
            while min(ok.values() or [0]) < 5:
                await asyncio.sleep(0.01)
            promoted = await asyncio.to_thread(h.kill_primary, victim)
            ok.clear()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while ok[victim.port] < 20 and loop.time() < deadline:
                await asyncio.sleep(0.02)
            assert ok[victim.port] >= 20, "the failed-over shard did not come back"
        finally:
            stop.set()
            await load
            await asyncio.to_thread(h.restart, victim)
        for port, errs in errors.items():
            if port != victim.port:
                assert errs == [], f"shard {port} failed while another shard failed over"
        assert not any(isinstance(e, TooManyRedirections) for e in errors[victim.port])
        assert rc.get_node_from_key(keys[victim.port][0]).port == promoted.port


async def test_node_killed_with_1000_commands_in_flight(redis_cluster):
    """A handful of topology queries, not one per command; writes in flight are not
    re-sent (their outcome is unknown to the caller)."""
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs()) as rc:
        await rc.initialize()
        victim = h.primaries()[2]
        node = rc.get_node(victim.host, victim.port)
        reads = keys_on(rc, victim.port, 1000, "r")
        writes = keys_on(rc, victim.port, 50, "w")
        # hold the node so that everything below is written and waiting when it dies
        stall = asyncio.create_task(rc.execute_command("DEBUG", "SLEEP", 2, target_nodes=node))
        while node.connection is None or node.connection.pending < 1:
            await asyncio.sleep(0.001)
        tasks = [asyncio.create_task(rc.get(k)) for k in reads]
        tasks += [asyncio.create_task(rc.incr(k)) for k in writes]
        while node.connection.pending < 1 + len(tasks):
            await asyncio.sleep(0.001)
        before = rc.topology.queries
        try:
            promoted = await asyncio.to_thread(h.kill_primary, victim)
            results = await asyncio.gather(*tasks, return_exceptions=True)
            with pytest.raises(ConnectionError):
                await stall
            queries = rc.topology.queries - before
            assert queries <= 30, f"{queries} topology queries for one lost node"
            write_results = results[len(reads):]
            assert all(isinstance(r, ConnectionError) and "outcome is unknown" in str(r)
                       for r in write_results), write_results[:3]
            # nothing was re-sent: the promoted replica never saw these INCRs
            assert await rc.mget(writes) == [None] * len(writes)
            for r in results[:len(reads)]:  # reads are retried, or fail clearly
                assert r is None or isinstance(r, ConnectionError)
            assert rc.get_node_from_key(reads[0]).port == promoted.port
        finally:
            await asyncio.to_thread(h.restart, victim)


async def test_20_kill_restart_rounds_one_connection_per_node(redis_cluster):
    h = redis_cluster
    name = "c10-rounds"
    async with RedisCluster(**h.client_kwargs(read_from_replicas=True, client_name=name)) as rc:
        await rc.initialize()
        keys = [f"rr:{i}" for i in range(30)]
        await rc.mset({k: "v" for k in keys})
        replica = h.replicas_of(h.primaries()[0])[0]
        read_errors = 0
        for _ in range(20):
            h.kill(replica)
            res = await asyncio.gather(*(rc.get(k) for k in keys), return_exceptions=True)
            read_errors += sum(isinstance(r, BaseException) for r in res)
            await asyncio.to_thread(replica.start)
            res = await asyncio.gather(*(rc.get(k) for k in keys), return_exceptions=True)
            read_errors += sum(isinstance(r, BaseException) for r in res)
        await asyncio.to_thread(h.wait_ready)
        await asyncio.gather(*(rc.get(k) for k in keys))
        assert read_errors == 0
        conns = rc.topology.all_connections()
        assert len(conns) <= len(h.live())
        assert len({c.description for c in conns}) == len(conns)
        for s in h.live():
            clients = h.call(s, "CLIENT", "LIST").decode().splitlines()
            assert sum(f"name={name} " in c for c in clients) <= 1, s


async def test_tryagain_while_a_slot_is_half_migrated(redis_cluster):
    """Keys of one multi-key command split between source and target mid-migration:
    the node answers TRYAGAIN; the client backs off and succeeds once the move ends."""
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs()) as rc:
        await rc.mset({"{ta}:1": "a", "{ta}:2": "b"})
        slot = rc.keyslot("{ta}:1")
        source = h.owner(slot)
        target = next(p for p in h.primaries() if p.port != source.port)
        sid, tid = h.ids[source.port], h.ids[target.port]
        h.call(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", sid)
        h.call(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", tid)
        h.call(source, "MIGRATE", target.host, target.port, "", 0, 5000, "KEYS", "{ta}:1")
        loop = asyncio.get_running_loop()
        # finish the move a little later, from another thread, while MGET is retrying
        finish = loop.run_in_executor(None, _finish_after, h, slot, source, target, 0.3)
        assert await rc.mget(["{ta}:1", "{ta}:2"]) == [b"a", b"b"]
        await finish
        assert rc.stats["retry:TryAgainError"] > 0


def _finish_after(h, slot, source, target, delay):
    import time

    time.sleep(delay)  # the half-migrated state must last while the client retries
    tid = h.ids[target.port]
    h.call(source, "MIGRATE", target.host, target.port, "", 0, 5000, "KEYS", "{ta}:2")
    h.call(target, "CLUSTER", "SETSLOT", slot, "NODE", tid)
    h.call(source, "CLUSTER", "SETSLOT", slot, "NODE", tid)
    for s in h.primaries():
        h._try(s, "CLUSTER", "SETSLOT", slot, "NODE", tid)
    h.wait_ready()
