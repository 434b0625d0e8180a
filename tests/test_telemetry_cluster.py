"""fastredis.telemetry on a RedisCluster (the real 3-primary harness, both loops): spans
name the configured endpoint in server.* and the node that answered in network.peer.*,
a MOVED is an event of the command's span, a pipeline is one span; rc.stats() per node,
and the cluster PubSub's gap events in the metrics."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("opentelemetry.sdk")

from test_telemetry import VALUE, Otel, _no_secret  # noqa: E402

from fastredis import telemetry  # noqa: E402
from fastredis.cluster import RedisCluster  # noqa: E402


@pytest.fixture
def otel():
    o = Otel()
    yield o
    o.close()


@pytest.fixture
def otel_capture():
    o = Otel(capture=True)
    yield o
    o.close()


def _seed(h):
    kw = h.client_kwargs()
    return kw["host"], kw["port"]


def _keys_on_two_nodes(rc, h):
    by_port: dict[int, str] = {}
    for i in range(200):
        k = f"tk{i}"
        by_port.setdefault(h.owner(rc.keyslot(k)).port, k)
        if len(by_port) == 2:
            return list(by_port.values())
    raise AssertionError("no keys on two nodes")


async def test_span_names_the_seed_and_the_node_that_answered(otel, redis_cluster):
    h = redis_cluster
    host, port = _seed(h)
    async with RedisCluster(**h.client_kwargs()) as rc:
        await rc.set("tk", VALUE)  # the first command: initializes, then the slow path
        assert await rc.get("tk") == VALUE.encode()  # the one-key hot path
        owner = h.owner(rc.keyslot("tk"))
        set_, = otel.spans("SET")
        get, = otel.spans("GET")
        assert dict(get.attributes) == {
            "db.system.name": "redis", "db.operation.name": "GET",
            "server.address": host, "server.port": port, "db.namespace": "0",
            "network.peer.address": owner.host, "network.peer.port": owner.port,
        }
        assert set_.attributes["network.peer.port"] == owner.port
        assert get.events == () and set_.events == ()
        # a blocking command's span covers its wait and names its node
        assert await rc.blpop(["tk:list"], timeout=0.05) is None
        blpop, = otel.spans("BLPOP")
        assert blpop.attributes["network.peer.port"] == h.owner(rc.keyslot("tk:list")).port
        # a command sent to every primary: one span, no single peer
        assert await rc.dbsize() >= 1
        dbsize, = otel.spans("DBSIZE")
        assert "network.peer.port" not in dbsize.attributes
        assert dbsize.attributes["server.port"] == port
        # the duration points carry the span's attributes without the peer (few series)
        points = otel.metrics()["db.client.operation.duration"]
        get_point, = (p for p in points if p.attributes["db.operation.name"] == "GET")
        assert "network.peer.port" not in get_point.attributes
        assert get_point.attributes["server.port"] == port
        _no_secret(otel.spans())
        _no_secret(otel.metrics())


async def test_moved_is_an_event_of_the_span(otel, redis_cluster):
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs()) as rc:
        await rc.set("mk", "v")
        slot = rc.keyslot("mk")
        source = h.owner(slot)
        target = next(p for p in h.primaries() if p.port != source.port)
        await asyncio.to_thread(h.migrate, slot, slot, target)  # the client's map is stale
        try:
            otel.exporter.clear()
            assert await rc.get("mk") == b"v"
            get, = otel.spans("GET")
            ev, = get.events
            assert ev.name == "redis.redirect"
            assert dict(ev.attributes) == {
                "redis.redirect.kind": "MOVED", "redis.cluster.slot": slot,
                "network.peer.address": target.host, "network.peer.port": target.port,
            }
            assert get.attributes["network.peer.port"] == target.port  # who answered
            assert rc.stats()["redirects"] == {"moved": 1, "ask": 0}
            assert rc.stats["moved"] == 1  # the counter reads as before
            # a pipeline's redirection is an event of the pipeline's span
            await asyncio.to_thread(h.migrate, slot, slot, source)
            p = rc.pipeline()
            p.get("mk")
            p.get("mk")
            assert await p.execute() == [b"v", b"v"]
            pipe, = otel.spans("PIPELINE")
            assert [e.name for e in pipe.events] == ["redis.redirect"] * 2
            assert {e.attributes["network.peer.port"] for e in pipe.events} == {source.port}
        finally:
            if h.owner(slot).port != source.port:
                await asyncio.to_thread(h.migrate, slot, slot, source)


async def test_pipeline_and_transaction_are_one_span(otel_capture, redis_cluster):
    h = redis_cluster
    host, port = _seed(h)
    async with RedisCluster(**h.client_kwargs()) as rc:
        await rc.initialize()
        k1, k2 = _keys_on_two_nodes(rc, h)
        otel_capture.exporter.clear()
        p = rc.pipeline()
        p.set(k1, VALUE)
        p.get(k2)
        await p.execute()
        pipe, = otel_capture.spans()
        assert pipe.name == "PIPELINE"
        assert pipe.attributes["db.operation.batch.size"] == 2
        assert pipe.attributes["server.address"] == host and pipe.attributes["server.port"] == port
        assert pipe.attributes["db.query.text"] == "SET ? ?; GET ?"
        assert "network.peer.port" not in pipe.attributes  # two nodes answered
        otel_capture.exporter.clear()
        async with rc.pipeline(transaction=True) as t:
            t.set("{tx}a", VALUE)
            t.get("{tx}a")
            assert await t.execute() == [True, VALUE.encode()]
        multi, = otel_capture.spans()
        assert multi.name == "MULTI" and multi.attributes["db.operation.batch.size"] == 2
        assert multi.attributes["network.peer.port"] == h.owner(rc.keyslot("{tx}a")).port
        _no_secret(otel_capture.spans())


async def test_stats_per_node_agree_with_the_metrics(otel, redis_cluster):
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs()) as rc:
        await rc.initialize()
        await rc.lpush("sk", "x")
        with pytest.raises(Exception, match="WRONGTYPE"):
            await rc.get("sk")
        for p in h.primaries():
            await rc.ping(target_nodes=rc.get_node(p.host, p.port))
        s = rc.stats()
        assert set(s) == {"nodes", "refreshes", "redirects", "retries"}
        assert {f"{p.host}:{p.port}" for p in h.primaries()} <= set(s["nodes"])
        owner = h.owner(rc.keyslot("sk"))
        node = s["nodes"][f"{owner.host}:{owner.port}"]
        assert node["errors"] == {"WRONGTYPE": 1}
        assert node["connects"] == 1 and node["connections"]["shared"] == 1
        assert s["refreshes"] >= 1 and s["redirects"] == {"moved": 0, "ask": 0} and s["retries"] == {}
        # the observable instruments read the same pools
        counts = otel.metrics()["db.client.connection.count"]
        pools = {p.attributes["db.client.connection.pool.name"] for p in counts}
        assert {st["pool"] for st in s["nodes"].values()} <= pools
        errors = otel.metrics()["redis.client.errors"]
        mine, = (p for p in errors if p.attributes["db.client.connection.pool.name"] == node["pool"])
        assert mine.value == 1 and mine.attributes["error.type"] == "WRONGTYPE"


async def test_stats_without_instrumentation(redis_cluster):
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs()) as rc:
        await rc.set("k", "v")
        s = rc.stats()
        owner = h.owner(rc.keyslot("k"))
        assert s["nodes"][f"{owner.host}:{owner.port}"]["connects"] == 1


async def test_uninstrument_stops_cluster_spans(otel, redis_cluster):
    async with RedisCluster(**redis_cluster.client_kwargs()) as rc:
        await rc.get("x")
        telemetry.uninstrument()
        await rc.get("x")
        await rc.dbsize()
        p = rc.pipeline()
        p.get("x")
        await p.execute()
        assert [s.name for s in otel.spans()] == ["GET"]


async def test_cluster_pubsub_gap_events_are_counted(otel, redis_cluster):
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs()) as rc:
        await rc.initialize()
        chan = "tel-chan"
        slot = rc.keyslot(chan)
        source = h.owner(slot)
        target = next(s for s in h.primaries() if s.port != source.port)

        def gaps() -> int:
            pts = otel.metrics().get("fastredis.pubsub.gaps", [])
            return sum(p.value for p in pts)

        before = gaps()
        got: list = []
        p = rc.pubsub(ignore_subscribe_messages=True, on_gap=got.append, reconcile_interval=0.2)
        try:
            await p.ssubscribe(chan)
            await asyncio.to_thread(h.migrate, slot, slot, target)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while not got and loop.time() < deadline:
                await asyncio.sleep(0.05)
            assert got, "no gap event"
            assert gaps() == before + p.stats()["gaps"]
        finally:
            await p.aclose()
            await asyncio.to_thread(h.migrate, slot, slot, source)
        assert gaps() >= before + 1  # a closed PubSub's gaps stay in the totals


async def test_client_side_cache_on_a_cluster(otel, redis_cluster):
    """A miss is a command with its span and node, a hit has none; the commands the cache
    does not hold go through the cluster's span as before."""
    from fastredis.cache import CacheConfig

    h = redis_cluster
    async with RedisCluster(**h.client_kwargs(protocol=3), cache=CacheConfig()) as rc:
        await rc.set("ck", VALUE)  # not cacheable: the cluster path, instrumented
        assert await rc.get("ck") == VALUE.encode()  # a miss
        assert await rc.get("ck") == VALUE.encode()  # a hit
        assert [s.name for s in otel.spans()] == ["SET", "GET"]
        get, = otel.spans("GET")
        assert get.attributes["network.peer.port"] == h.owner(rc.keyslot("ck")).port
        await rc.blpop(["ck:l"], timeout=0.05)  # the cache's blocking wrapper, then the span
        assert [s.name for s in otel.spans()][-1] == "BLPOP"
