"""redis-py's RedisCluster options: each one does what redis-py documents (mapped onto this
client, docs/cluster.md "Options"), on a real cluster, or raises at construction."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from fastredis import DataError, ResponseError
from fastredis._testing_cluster import ClusterHarness
from fastredis.backoff import AbstractBackoff, NoBackoff
from fastredis.cluster import (
    ClusterError,
    ClusterNode,
    LoadBalancingStrategy,
    RedisCluster,
    SlotNotCoveredError,
    key_slot,
)
from fastredis.exceptions import ConnectionError, MaxConnectionsError
from fastredis.retry import Retry
from fastredis.testing import free_port

QUIET = {"topology_check_interval": None}  # no periodic refresh in the counts


class Recording(AbstractBackoff):
    """A backoff that remembers each ``compute(failures)`` (no wait)."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def compute(self, failures: int) -> float:
        self.calls.append(failures)
        return 0.0


def key_in(lo: int, hi: int, prefix: str = "k") -> str:
    for i in range(100000):
        if lo <= key_slot(f"{prefix}{i}") <= hi:
            return f"{prefix}{i}"
    raise AssertionError("no key found")  # pragma: no cover


def calls(h: ClusterHarness, server: Any, command: str) -> int:
    text = h.call(server, "INFO", "commandstats").decode()
    for line in text.splitlines():
        if line.startswith(f"cmdstat_{command}:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


# ------------------------------------------------------------------ construction
BAD = [
    ({"require_full_coverage": "yes"}, TypeError),
    ({"dynamic_startup_nodes": 1}, TypeError),
    ({"read_from_replicas": "no"}, TypeError),
    ({"reinitialize_steps": "5"}, TypeError),
    ({"reinitialize_steps": -1}, DataError),
    ({"cluster_error_retry_attempts": 2.5}, TypeError),
    ({"cluster_error_retry_attempts": -1}, DataError),
    ({"connection_error_retry_attempts": "3"}, TypeError),
    ({"connection_error_retry_attempts": -2}, DataError),
    ({"max_redirects": None}, TypeError),
    ({"retry": 3}, TypeError),
    ({"retry_on_error": ResponseError}, TypeError),  # a class, not a list of them
    ({"retry_on_error": ["x"]}, TypeError),
    ({"load_balancing_strategy": "round-robin"}, DataError),
    ({"load_balancing_strategy": 1}, TypeError),
    ({"health_check_interval": "1"}, TypeError),
    ({"health_check_interval": -1}, DataError),
    # not options of redis-py's RedisCluster: unknown keywords, like any typo
    ({"cluster_error_retry_attempts_on_error": 3}, TypeError),
    ({"bogus": 1}, TypeError),
    ({"max_connections": "50"}, TypeError),
    ({"max_connections": 0}, DataError),
    # our pool's options: one multiplexed connection per node, no pool to size
    ({"max_idle_time": 5}, TypeError),
]


@pytest.mark.parametrize(("kw", "exc"), BAD, ids=[next(iter(k)) + "=" + repr(next(iter(k.values()))) for k, _ in BAD])
def test_a_wrong_option_raises_at_construction(kw: dict[str, Any], exc: type[BaseException]) -> None:
    with pytest.raises(exc) as info:
        RedisCluster("127.0.0.1", 7000, **kw)
    name = next(iter(kw))
    if name != "bogus":
        assert name in str(info.value)


def test_accepted_values() -> None:
    rc = RedisCluster("127.0.0.1", 7000, read_from_replicas=True)
    assert rc.load_balancing_strategy is LoadBalancingStrategy.ROUND_ROBIN  # as redis-py
    for spelt in ("random_replica", "RANDOM_REPLICA", LoadBalancingStrategy.RANDOM_REPLICA):
        rc = RedisCluster("127.0.0.1", 7000, load_balancing_strategy=spelt)
        assert rc.load_balancing_strategy is LoadBalancingStrategy.RANDOM_REPLICA
    redis_cluster = pytest.importorskip("redis.cluster")
    rc = RedisCluster("127.0.0.1", 7000,
                      load_balancing_strategy=redis_cluster.LoadBalancingStrategy.ROUND_ROBIN_REPLICAS)
    assert rc.load_balancing_strategy is LoadBalancingStrategy.ROUND_ROBIN_REPLICAS
    rc = RedisCluster("127.0.0.1", 7000, retry=Retry(NoBackoff(), 4), cluster_error_retry_attempts=9)
    assert rc.retries == 4 and rc.connection_retries == 4  # retry= replaces the count (redis-py)
    rc = RedisCluster("127.0.0.1", 7000, connection_error_retry_attempts=1)
    assert rc.retries == 6 and rc.connection_retries == 1


# ------------------------------------------------------------------ require_full_coverage
@pytest.fixture(scope="module")
def partial_cluster():  # type: ignore[no-untyped-def]
    """3 primaries, slots 100-199 served by nobody (DELSLOTSRANGE on every node)."""
    from conftest import server_or_fail

    server_or_fail()  # a skip without a server, a failure under CI=true
    with ClusterHarness(primaries=3, replicas=0) as h:
        owner = h.owner(150)
        order = [owner] + [s for s in h.live() if s is not owner]
        deadline = time.monotonic() + 20
        while True:
            for s in order:
                try:
                    h.call(s, "CLUSTER", "DELSLOTSRANGE", 100, 199)
                except RuntimeError:  # "already unassigned" on this node
                    pass
            views = [h._view(s) for s in h.live()]
            if all(v is not None and not any(a <= 150 <= b for a, b, _, _ in v) for v in views):
                break
            assert time.monotonic() < deadline, "slots 100-199 stayed assigned"
            time.sleep(0.05)  # polling the servers' state (gossip may re-teach a slot)
        yield h


async def test_require_full_coverage_refuses_a_partial_map(partial_cluster):
    rc = RedisCluster(**partial_cluster.client_kwargs(**QUIET))
    try:
        with pytest.raises(ClusterError, match="100-199") as info:
            await rc.initialize()
        assert "require_full_coverage=False" in str(info.value)
        with pytest.raises(ClusterError, match="100-199"):  # and the first command too
            await rc.get("x")
    finally:
        await rc.aclose()


async def test_without_full_coverage_only_the_uncovered_slots_fail(partial_cluster):
    async with RedisCluster(**partial_cluster.client_kwargs(
            require_full_coverage=False, cluster_error_retry_attempts=2, refresh_min_interval=0,
            **QUIET)) as rc:
        covered = key_in(5000, 5100)
        await rc.set(covered, "v")
        assert await rc.get(covered) == b"v"
        lost = key_in(100, 199)
        with pytest.raises(SlotNotCoveredError, match=f"Slot {key_slot(lost)} "):
            await rc.get(lost)
        # cluster_error_retry_attempts is the budget of these retries (a refresh each)
        assert rc.stats["retry:SlotNotCovered"] == 2


async def test_retry_gives_the_budget_and_backoff_of_cluster_retries(partial_cluster):
    backoff = Recording()
    async with RedisCluster(**partial_cluster.client_kwargs(
            require_full_coverage=False, retry=Retry(backoff, 3), refresh_min_interval=0,
            **QUIET)) as rc:
        with pytest.raises(SlotNotCoveredError):
            await rc.get(key_in(100, 199))
        assert rc.stats["retry:SlotNotCovered"] == 3
        assert backoff.calls == [2, 3]  # the first retry follows its refresh at once


# ------------------------------------------------------------------ reinitialize_steps
@pytest.mark.parametrize(("steps", "expected"), [(None, 3), (0, 0), (1, 3), (3, 1), (2, 1)])
async def test_reinitialize_steps_counts_moved_before_a_refresh(redis_cluster, steps, expected):
    kw = {} if steps is None else {"reinitialize_steps": steps}
    async with RedisCluster(**redis_cluster.client_kwargs(refresh_min_interval=0, **QUIET, **kw)) as rc:
        topo = rc.topology
        key = "moved-key"
        slot = rc.keyslot(key)
        await rc.set(key, "v")
        before = topo.refreshes
        for _ in range(3):
            owner = topo.slots.primaries[slot]
            # a stale map: the slot points at another primary, which answers MOVED
            topo.slots.primaries[slot] = next(n for n in rc.get_primaries() if n is not owner)
            assert await rc.get(key) == b"v"
            if topo._pending is not None:
                await asyncio.shield(topo._pending)  # let a refresh it started finish
        assert rc.stats["moved"] == 3
        assert topo.refreshes - before == expected


# ------------------------------------------------------------------ dynamic_startup_nodes
@pytest.mark.parametrize("dynamic", [True, False])
async def test_dynamic_startup_nodes_false_refreshes_from_the_seeds(redis_cluster, dynamic):
    port = redis_cluster.live()[0].port
    # the seed is a name ("localhost"); the cluster announces 127.0.0.1 addresses
    async with RedisCluster(host="localhost", port=port, dynamic_startup_nodes=dynamic,
                            refresh_min_interval=0, **QUIET) as rc:
        topo = rc.topology
        asked: list[str] = []
        ask = topo._ask

        async def recording(node: Any) -> Any:
            asked.append(node.name)
            return await ask(node)

        topo._ask = recording  # type: ignore[method-assign]
        for _ in range(3):
            await topo.refresh()
        assert len(rc.get_nodes()) == 6
        if dynamic:
            assert asked and all(n.startswith("127.0.0.1:") for n in asked)
        else:
            assert asked == [f"localhost:{port}"] * 3


# ------------------------------------------------------------------ connection retries
async def test_connection_error_retry_attempts_is_the_budget_for_unreachable_nodes(redis_cluster):
    async with RedisCluster(**redis_cluster.client_kwargs(
            connection_error_retry_attempts=1, cluster_error_retry_attempts=5,
            retry=None, refresh_min_interval=60, **QUIET)) as rc:
        key = "unreachable"
        slot = rc.keyslot(key)
        dead = ClusterNode("127.0.0.1", free_port())
        rc.topology.slots.primaries[slot] = dead  # the refresh that would fix it is 30 s+ away
        with pytest.raises(ConnectionError, match="after 2 attempts"):
            await rc.get(key)
        assert rc.stats["retry:connect"] == 1


# ------------------------------------------------------------------ retry_on_error
async def test_retry_on_error_retries_read_only_commands_only(redis_cluster):
    backoff = Recording()
    async with RedisCluster(**redis_cluster.client_kwargs(
            retry=Retry(backoff, 2), retry_on_error=[ResponseError], **QUIET)) as rc:
        await rc.rpush("lst", "a")
        with pytest.raises(ResponseError, match="WRONGTYPE"):
            await rc.get("lst")  # read-only: retried twice, then raised
        assert rc.stats["retry:ResponseError"] == 2 and backoff.calls == [1, 2]
        with pytest.raises(ResponseError, match="WRONGTYPE"):
            await rc.incr("lst")  # may have run: never sent twice
        assert rc.stats["retry:ResponseError"] == 2
    async with RedisCluster(**redis_cluster.client_kwargs(
            retry_on_error=[ResponseError], cluster_error_retry_attempts=1, **QUIET)) as rc:
        with pytest.raises(ResponseError, match="WRONGTYPE"):
            await rc.get("lst")
        assert rc.stats["retry:ResponseError"] == 1
    async with RedisCluster(**redis_cluster.client_kwargs(**QUIET)) as rc:
        with pytest.raises(ResponseError, match="WRONGTYPE"):
            await rc.get("lst")
        assert rc.stats["retry:ResponseError"] == 0


# ------------------------------------------------------------------ load_balancing_strategy
def _py(name: str) -> Any:
    return getattr(pytest.importorskip("redis.cluster").LoadBalancingStrategy, name)


@pytest.mark.parametrize(("kw", "on_primary"), [
    ({}, "all"),
    ({"read_from_replicas": True}, "half"),
    ({"load_balancing_strategy": LoadBalancingStrategy.ROUND_ROBIN}, "half"),
    ({"load_balancing_strategy": "round_robin_replicas"}, "none"),
    ({"load_balancing_strategy": "redis-py:ROUND_ROBIN_REPLICAS"}, "none"),
    ({"load_balancing_strategy": LoadBalancingStrategy.RANDOM}, "some"),
    ({"load_balancing_strategy": LoadBalancingStrategy.RANDOM_REPLICA}, "none"),
], ids=["default", "read_from_replicas", "round_robin", "round_robin_replicas", "redis-py-enum",
        "random", "random_replica"])
async def test_load_balancing_strategy_picks_the_node_of_reads(redis_cluster, kw, on_primary):
    h = redis_cluster
    strategy = kw.get("load_balancing_strategy")
    if isinstance(strategy, str) and strategy.startswith("redis-py:"):
        kw = {"load_balancing_strategy": _py(strategy.split(":")[1])}
    async with RedisCluster(**h.client_kwargs(**QUIET, **kw)) as rc:
        key = "lb-key"
        await rc.set(key, "v")
        primary = h.owner(rc.keyslot(key))
        replicas = h.replicas_of(primary)
        assert replicas
        p0 = calls(h, primary, "get")
        r0 = sum(calls(h, r, "get") for r in replicas)
        for _ in range(40):
            await rc.get(key)  # a replica may not have the key yet: the node is what counts
        on_p = calls(h, primary, "get") - p0
        on_r = sum(calls(h, r, "get") for r in replicas) - r0
        assert on_p + on_r == 40
        expected = {"all": on_p == 40, "half": on_p == 40 // (1 + len(replicas)),
                    "none": on_p == 0, "some": 0 < on_p < 40}[on_primary]
        assert expected, (on_p, on_r)


# ------------------------------------------------------------------ health_check_interval
async def _until(check: Any, timeout: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)  # polling server state / the client's connection
    return True


async def test_health_check_pings_idle_node_connections(redis_cluster):
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs(health_check_interval=0.1, **QUIET)) as rc:
        key = "hc-key"
        await rc.get(key)  # opens the connection to the key's primary
        owner = h.owner(rc.keyslot(key))
        before = calls(h, owner, "ping")

        async def pinged() -> bool:
            return calls(h, owner, "ping") >= before + 2
        assert await _until(pinged)


async def test_health_check_replaces_a_connection_that_does_not_answer(redis_cluster, caplog):
    h = redis_cluster
    caplog.set_level(logging.WARNING, "fastredis.cluster")
    async with RedisCluster(**h.client_kwargs(health_check_interval=0.1, socket_connect_timeout=0.3,
                                              **QUIET)) as rc:
        key = "hc-key2"
        await rc.set(key, "v")
        node = rc.get_node_from_key(key)
        first = node.connection
        assert first is not None
        owner = h.owner(rc.keyslot(key))
        await asyncio.to_thread(h.call, owner, "CLIENT", "PAUSE", 1000, "ALL")

        async def replaced() -> bool:
            return first.closed
        assert await _until(replaced)
        assert "health check" in str(first.close_exc)
        assert any("health check of cluster node" in r.getMessage() for r in caplog.records)
        assert await rc.get(key) == b"v"  # a new connection, once the node answers again
        assert node.connection is not first


async def test_the_health_check_covers_the_pubsub_too(redis_cluster):
    async with RedisCluster(**redis_cluster.client_kwargs(health_check_interval=0.5, **QUIET)) as rc:
        assert rc.pubsub().health_check_interval == 0.5
        assert rc.pubsub(health_check_interval=2).health_check_interval == 2


# ------------------------------------------------------------------ max_connections
async def test_max_connections_bounds_each_nodes_exclusive_connections(redis_cluster):
    # redis-py's per-node bound: the shared connection counts, so 3 leaves two for
    # blocking commands / WATCH; one more is refused before anything is opened or sent
    from conftest import eventually

    kw = redis_cluster.client_kwargs(client_name="mc-test")
    async with RedisCluster(**kw, max_connections=3) as rc:
        key = "{mc}:list"
        await rc.delete(key)
        node = rc.get_node_from_key(key)

        async def named() -> int:  # this client's connections, as the node sees them
            clients = await rc.client_list(target_nodes=node)
            return sum(1 for c in clients if c.get("name") == "mc-test")

        first = asyncio.ensure_future(rc.blpop([key], timeout=5))
        second = asyncio.ensure_future(rc.blpop([key], timeout=5))
        pipe = rc.pipeline()
        try:
            assert await eventually(named, 3) == 3  # the shared one and both BLPOPs'
            with pytest.raises(MaxConnectionsError, match="max_connections=3"):
                await rc.blpop([key], timeout=1)
            with pytest.raises(MaxConnectionsError):
                await pipe.watch("{mc}:w")
            assert await named() == 3  # nothing was opened for either
            assert await rc.get("{mc}:other") is None  # the shared connection is unaffected
            await rc.rpush(key, "a", "b")
            assert sorted([(await first)[1], (await second)[1]]) == [b"a", b"b"]
        finally:
            first.cancel()
            second.cancel()
        # closed connections give their places back, however they closed
        assert await eventually(named, 1) == 1
        assert await pipe.watch("{mc}:w") is True
        await pipe.reset()
        assert await rc.blpop([key], timeout=0.1) is None



def test_retry_is_always_a_retry_as_in_redis_py():
    """rc.retry is a Retry whatever was passed (redis-py's attribute): the default describes
    the default policy, cluster_error_retry_attempts retries with a jittered backoff."""
    from fastredis.backoff import EqualJitterBackoff, NoBackoff
    from fastredis.retry import Retry

    rc = RedisCluster(host="127.0.0.1", port=7000, cluster_error_retry_attempts=4)
    assert isinstance(rc.retry, Retry) and rc.retry.get_retries() == 4
    assert isinstance(rc.retry.backoff, EqualJitterBackoff)
    assert all(0.025 <= rc.retry.backoff.compute(1) <= 0.05 for _ in range(50))  # 50 ms, jittered
    mine = Retry(NoBackoff(), 2)
    assert RedisCluster(host="127.0.0.1", port=7000, retry=mine).retry is mine
    import redis.asyncio.retry
    import redis.backoff

    theirs = RedisCluster(host="127.0.0.1", port=7000,
                          retry=redis.asyncio.retry.Retry(redis.backoff.NoBackoff(), 5))
    assert isinstance(theirs.retry, Retry) and theirs.retries == 5
    theirs.set_retry(Retry(NoBackoff(), 1))
    assert theirs.retries == 1 and theirs.retry.get_retries() == 1
    theirs.retry = Retry(NoBackoff(), -1)
    assert theirs.retries > 1_000_000  # -1: no limit
    assert "retry" in dir(RedisCluster) and "set_retry" in dir(RedisCluster)
