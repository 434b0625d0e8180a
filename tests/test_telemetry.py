"""fastredis.telemetry: OpenTelemetry spans and metrics on a real server, both loops, read
back with the SDK's in-memory exporter and metric reader; ConnectionPool.stats()."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from conftest import eventually

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF  # noqa: E402
from opentelemetry.trace import NoOpTracerProvider, SpanKind, StatusCode  # noqa: E402

import fastredis  # noqa: E402
from fastredis import telemetry  # noqa: E402
from fastredis.cache import CacheConfig  # noqa: E402

SECRET = "s3cr3t-pa55word"
VALUE = "the-value-never-recorded"


class Otel:
    def __init__(self, sampler=None, capture=False, traces=True):
        self.exporter = InMemorySpanExporter()
        self.tp = TracerProvider(sampler=sampler) if sampler is not None else TracerProvider()
        self.tp.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.mp = MeterProvider(metric_readers=[self.reader])
        telemetry.instrument(tracer_provider=self.tp if traces else NoOpTracerProvider(),
                             meter_provider=self.mp, capture_statement=capture)

    def spans(self, name=None):
        return [s for s in self.exporter.get_finished_spans() if name is None or s.name == name]

    def metrics(self):
        out = {}
        data = self.reader.get_metrics_data()
        for rm in data.resource_metrics if data else ():
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    out[m.name] = list(m.data.data_points)
        return out

    def close(self):
        telemetry.uninstrument()
        self.mp.shutdown()
        self.tp.shutdown()


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


@pytest.fixture
async def r(redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs())
    yield c
    await c.aclose()


def _no_secret(obj) -> None:
    """No attribute of spans or metric points holds a value or a secret."""
    text = repr(obj)
    assert SECRET not in text and VALUE not in text


def test_import_fastredis_never_imports_opentelemetry():
    code = ("import sys, fastredis, fastredis.telemetry, fastredis.cache, fastredis.pubsub; "
            "r = fastredis.Redis(); p = r.pipeline(); "
            "bad = [m for m in sys.modules if m.startswith('opentelemetry')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


async def test_command_span_attributes(otel, r, redis_server):
    await r.set("tk", VALUE)
    assert await r.get("tk") == VALUE.encode()
    get, = otel.spans("GET")
    assert get.kind is SpanKind.CLIENT
    assert get.status.status_code is StatusCode.UNSET
    params = r.connection_pool.params
    assert dict(get.attributes) == {
        "db.system.name": "redis", "db.operation.name": "GET",
        "server.address": params.host, "server.port": params.port, "db.namespace": str(params.db),
    }
    assert [s.name for s in otel.spans()] == ["SET", "GET"]
    _no_secret(otel.spans())
    points = otel.metrics()["db.client.operation.duration"]
    by_op = {p.attributes["db.operation.name"]: p for p in points}
    assert by_op["GET"].count == 1 and by_op["SET"].count == 1
    assert by_op["GET"].attributes == get.attributes
    assert 0 < by_op["GET"].sum < 5


async def test_errors_status_and_error_type(otel, r):
    await r.set("tk", VALUE)
    with pytest.raises(fastredis.ResponseError):
        await r.lpush("tk", "x")
    span, = otel.spans("LPUSH")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "WRONGTYPE"
    _no_secret(span.attributes)
    m = otel.metrics()
    failed = [p for p in m["db.client.operation.duration"] if p.attributes.get("error.type")]
    assert [p.attributes["error.type"] for p in failed] == ["WRONGTYPE"]
    errors = {p.attributes["error.type"]: p.value for p in m["redis.client.errors"]
              if p.attributes["db.client.connection.pool.name"] == r.connection_pool.counters.name}
    assert errors == {"WRONGTYPE": 1}
    assert r.connection_pool.stats()["errors"] == {"WRONGTYPE": 1}


async def test_statement_is_redacted_and_auth_shows_nothing(otel_capture, r):
    await r.set("tk", VALUE, ex=100)
    await r.config_get("maxmemory")
    with pytest.raises(fastredis.RedisError):
        await r.execute_command("AUTH", "someone", SECRET)
    spans = {s.name: s for s in otel_capture.spans()}
    assert spans["SET"].attributes["db.query.text"] == "SET ? ? ? ?"
    assert spans["CONFIG"].attributes["db.query.text"] == "CONFIG GET ?"
    assert spans["AUTH"].attributes["db.query.text"] == "AUTH"
    _no_secret([dict(s.attributes) for s in otel_capture.spans()])
    _no_secret([s.status.description for s in otel_capture.spans()])
    _no_secret({k: [p.attributes for p in v] for k, v in otel_capture.metrics().items()})


async def test_no_statement_without_capture(otel, r):
    await r.set("tk", VALUE)
    assert "db.query.text" not in otel.spans("SET")[0].attributes


async def test_pipeline_and_transaction_are_one_span(otel_capture, r):
    otel = otel_capture
    p = r.pipeline(transaction=False)
    p.set("a", VALUE).get("a").incr("n")
    await p.execute()
    async with r.pipeline() as t:
        t.set("b", 1).get("b")
        await t.execute()
    names = [s.name for s in otel.spans()]
    assert names == ["PIPELINE", "MULTI"]
    pipe, multi = otel.spans()
    assert pipe.attributes["db.operation.batch.size"] == 3
    assert pipe.attributes["db.operation.name"] == "PIPELINE"
    assert pipe.attributes["db.query.text"] == "SET ? ?; GET ?; INCR ?"
    assert multi.attributes["db.operation.batch.size"] == 2
    assert multi.kind is SpanKind.CLIENT
    _no_secret([dict(s.attributes) for s in otel.spans()])
    # a failing transaction: the span says so
    await r.set("s", "x")
    t = r.pipeline()
    t.lpush("s", 1)
    with pytest.raises(fastredis.ResponseError):
        await t.execute()
    failed = otel.spans("MULTI")[-1]
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes["error.type"] == "WRONGTYPE"


async def test_concurrent_tasks_on_one_shared_connection_keep_their_parents(otel, r):
    tracer = otel.tp.get_tracer("test")
    await r.ping()
    started = asyncio.Event()
    n = 20

    async def task(i: int) -> int:
        with tracer.start_as_current_span(f"parent-{i}") as parent:
            await started.wait()  # all send together: in flight at once on one connection
            await r.get(f"key-{i}")
            return parent.get_span_context().span_id

    tasks = [asyncio.ensure_future(task(i)) for i in range(n)]
    await asyncio.sleep(0)
    started.set()
    parent_ids = await asyncio.gather(*tasks)
    assert r.connection_pool.stats()["connections"]["shared"] == 1
    assert r.connection_pool.stats()["connects"] == 1
    parents = {s.name: s for s in otel.spans() if s.name.startswith("parent-")}
    gets = otel.spans("GET")
    assert len(gets) == n
    for i in range(n):
        assert parents[f"parent-{i}"].context.span_id == parent_ids[i]
    by_parent = {g.parent.span_id: g for g in gets}
    assert set(by_parent) == set(parent_ids)
    for i in range(n):
        g = by_parent[parent_ids[i]]
        assert g.context.trace_id == parents[f"parent-{i}"].context.trace_id


async def test_blocking_command_span_covers_its_wait(otel, r):
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert await r.blpop("nothing-here", timeout=0.3) is None
    waited = loop.time() - t0
    span, = otel.spans("BLPOP")
    assert (span.end_time - span.start_time) / 1e9 >= min(waited, 0.3) - 0.02
    assert otel.metrics()["db.client.connection.wait_time"][0].count >= 1


async def test_pubsub_publish_span_and_message_metrics(otel, r):
    p = r.pubsub()
    await p.subscribe("tel-ch")
    assert await r.publish("tel-ch", VALUE) == 1
    await r.publish("tel-ch", VALUE)
    msgs = []
    while len(msgs) < 2:
        m = await p.get_message(ignore_subscribe_messages=True, timeout=5)
        if m is not None:
            msgs.append(m)
    pub = otel.spans("PUBLISH")
    assert len(pub) == 2 and pub[0].attributes["db.operation.name"] == "PUBLISH"
    m = otel.metrics()
    counts = {pt.attributes["redis.client.pubsub.message.direction"]: pt.value
              for pt in m["redis.client.pubsub.messages"]}
    assert counts["publish"] == 2
    assert counts["receive"] >= 3  # the two messages and the subscribe confirmation
    await r.publish("tel-ch", VALUE)

    async def queued() -> bool:
        return otel.metrics()["fastredis.pubsub.queue.depth"][0].value >= 1

    assert await eventually(queued, True)
    assert otel.metrics()["fastredis.pubsub.queue.bytes"][0].value > 0
    _no_secret({k: [pt.attributes for pt in v] for k, v in otel.metrics().items()})
    await p.aclose()
    # a closed PubSub's messages stay counted (the counter never goes down)
    after = {pt.attributes["redis.client.pubsub.message.direction"]: pt.value
             for pt in otel.metrics()["redis.client.pubsub.messages"]}
    assert after["receive"] >= counts["receive"]


async def test_client_side_cache_metrics_and_spans(otel, redis_server):
    r = fastredis.Redis(**redis_server.client_kwargs(protocol=3, cache=CacheConfig(max_entries=2)))
    try:
        await r.set("c1", VALUE)
        await r.get("c1")  # miss: a span
        await r.get("c1")  # hit: no span
        await r.get("c2")
        await r.get("c3")  # evicts one (max_entries=2)
        assert len(otel.spans("GET")) == 3
        m = otel.metrics()
        req = {pt.attributes["redis.client.csc.result"]: pt.value for pt in m["redis.client.csc.requests"]}
        assert req["hit"] >= 1 and req["miss"] >= 3
        ev = {pt.attributes["redis.client.csc.reason"]: pt.value for pt in m["redis.client.csc.evictions"]}
        assert ev["full"] >= 1
        assert m["redis.client.csc.items"][0].value >= 2
        before = req["hit"]
    finally:
        await r.aclose()
    req = {pt.attributes["redis.client.csc.result"]: pt.value
           for pt in otel.metrics()["redis.client.csc.requests"]}
    assert req["hit"] >= before  # a closed cache's counts stay in the totals


async def test_uninstrument_stops_new_spans(otel, r):
    await r.get("x")
    assert telemetry.is_instrumented()
    telemetry.uninstrument()
    assert not telemetry.is_instrumented()
    await r.get("x")
    p = r.pipeline()
    p.get("x")
    await p.execute()
    assert len(otel.spans()) == 1
    assert otel.metrics().get("db.client.connection.count", []) == []
    telemetry.uninstrument()  # twice is fine


async def test_unsampled_spans_record_nothing_but_metrics_go_on(redis_server):
    o = Otel(sampler=ALWAYS_OFF, capture=True)
    r = fastredis.Redis(**redis_server.client_kwargs())
    try:
        await r.set("k", VALUE)
        assert await r.get("k") == VALUE.encode()
        assert o.spans() == []
        ops = {p.attributes["db.operation.name"] for p in o.metrics()["db.client.operation.duration"]}
        assert ops == {"SET", "GET"}
    finally:
        await r.aclose()
        o.close()


async def test_metrics_only(redis_server):
    o = Otel(traces=False)
    r = fastredis.Redis(**redis_server.client_kwargs())
    try:
        await r.get("k")
        assert o.spans() == []
        assert o.metrics()["db.client.operation.duration"][0].count == 1
    finally:
        await r.aclose()
        o.close()


async def test_connection_metrics_and_stats_agree(otel, r, redis_server):
    await r.ping()
    async with r.pipeline() as t:  # an exclusive connection, then idle
        await t.watch("w")
        t.multi()
        t.get("w")
        await t.execute()
    s = r.connection_pool.stats()
    assert s["connections"] == {"shared": 1, "idle": 1, "used": 0, "connecting": 0}
    assert s["connects"] == 2 and s["in_flight"] == 0
    name = r.connection_pool.counters.name
    m = otel.metrics()
    count = {p.attributes["db.client.connection.state"]: p.value for p in m["db.client.connection.count"]
             if p.attributes["db.client.connection.pool.name"] == name}
    assert count == {"idle": 2, "used": 0}
    created = [p for p in m["db.client.connection.create_time"]
               if p.attributes["db.client.connection.pool.name"] == name]
    assert created[0].count == 2


async def test_stats_count_reconnects_and_timeouts(redis_server):
    r = fastredis.Redis(**redis_server.client_kwargs(socket_timeout=0.2))
    other = fastredis.Redis(**redis_server.client_kwargs())
    try:
        await r.ping()
        cid = await r.client_id()
        await other.client_kill_filter(_id=cid)

        async def shared() -> int:
            return r.connection_pool.stats()["connections"]["shared"]

        assert await eventually(shared, 0) == 0  # the loss was read
        await r.ping()
        s = r.connection_pool.stats()
        assert s["reconnects"] == 1 and s["connects"] == 2
        await other.execute_command("CLIENT", "PAUSE", 600, "ALL")
        with pytest.raises(fastredis.TimeoutError):
            await r.get("k")
        assert r.connection_pool.stats()["timeouts"] == 1
    finally:
        await other.execute_command("CLIENT", "UNPAUSE")
        await r.aclose()
        await other.aclose()


async def test_in_flight_per_shared_connection(otel, r):
    await r.ping()
    name = r.connection_pool.counters.name
    seen = []

    async def look() -> None:
        seen.append(r.connection_pool.stats()["in_flight"])
        m = otel.metrics()["fastredis.connection.in_flight"]
        seen.append(sum(p.value for p in m if p.attributes["db.client.connection.pool.name"] == name))

    futs = [asyncio.ensure_future(r.get(f"k{i}")) for i in range(10)]
    await asyncio.sleep(0)  # every GET is written, none answered yet
    await look()
    await asyncio.gather(*futs)
    assert seen == [10, 10]
    assert r.connection_pool.stats()["in_flight"] == 0


async def test_cost_baseline_does_the_same_otel_work_as_the_client(otel, r):
    """bench/telemetry_bench.py's baseline (the application doing the OpenTelemetry work
    around a plain GET) records what the instrumented client records for a GET: the same
    span (name, kind, attributes, status) and the same histogram point (attributes,
    buckets), one of each per GET, nothing more: so mode - baseline is fastredis's own cost."""
    import os

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
    try:
        import telemetry_bench as tb
    finally:
        sys.path.pop(0)
    await r.set(tb.KEY, "v")
    otel.exporter.clear()
    await r.get(tb.KEY)
    (ours,) = otel.spans()
    ours_points = otel.metrics()["db.client.operation.duration"]
    telemetry.uninstrument()  # the baseline runs with fastredis's telemetry off
    sdk = tb._Sdk(otel.tp, otel.mp, r.connection_pool.counters)
    await tb.sample_by_hand(r, sdk, 0.0)  # 200 GETs to warm up, then 100
    by_hand = otel.spans()[1:]
    assert len(by_hand) == 300
    assert {(s.name, s.kind, s.status.status_code, tuple(sorted(s.attributes.items())), len(s.events))
            for s in by_hand} == {(ours.name, ours.kind, ours.status.status_code,
                                   tuple(sorted(ours.attributes.items())), 0)}
    data = otel.reader.get_metrics_data()
    by_scope = {sm.scope.name: [m for m in sm.metrics if m.name == "db.client.operation.duration"]
                for rm in data.resource_metrics for sm in rm.scope_metrics}
    (hand_hist,) = by_scope["bench.by_hand"]
    (hand_point,) = hand_hist.data.data_points
    get_point = next(p for p in ours_points if p.attributes["db.operation.name"] == "GET")
    assert hand_point.count == 300
    assert dict(hand_point.attributes) == dict(get_point.attributes) == dict(ours.attributes)
    assert hand_point.explicit_bounds == get_point.explicit_bounds
