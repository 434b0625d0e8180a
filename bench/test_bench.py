"""pytest-benchmark versions of the bench/run.py workloads, fastredis and redis-py side by
side (one benchmark group per workload, so the comparison table puts them together), and
the floor (bench/floor.py) in the two Pub/Sub drain groups.

    pytest bench/ --benchmark-only                       # both loops, both clients
    pytest bench/ --benchmark-only -k uvloop --benchmark-columns=median,ops,rounds

One "round" is a batch (100 GETs, 50 tasks × 10 SET/GET, one pipeline of 100 SET, a
20,000-message backlog, 100 Pub/Sub round trips): a run_until_complete per round would
otherwise weigh as much as the operation measured. Everything runs in one process and one
loop per test, which makes this suite convenient for profiling and A/B work on one change;
the reported figures come from bench/run.py (fresh processes, interleaved, pinned).
Speed is never asserted here.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
import workloads as W

BACKLOG = 20_000
ROUND_TRIPS = 100


# ---------------------------------------------------------------------------- request/response
@pytest.mark.benchmark(group="seq_get: 100 sequential GET per round")
def test_seq_get(benchmark, loop, client):
    loop.run_until_complete(client.set(W.KEY, W.VALUE))

    async def hundred() -> None:
        for _ in range(100):
            await client.get(W.KEY)

    benchmark.extra_info["ops_per_round"] = 100
    benchmark(lambda: loop.run_until_complete(hundred()))


@pytest.mark.benchmark(group="tasks50: 50 tasks x 10 SET/GET per round")
def test_tasks50(benchmark, loop, client):
    keys = [f"bench:task:{i}" for i in range(W.N_TASKS)]

    async def worker(key: str) -> None:
        for _ in range(10):
            await client.set(key, W.VALUE)
            await client.get(key)

    async def round_() -> None:
        await asyncio.gather(*(worker(k) for k in keys))

    loop.run_until_complete(round_())  # connections opened outside the timing
    benchmark.extra_info["ops_per_round"] = W.N_TASKS * 20
    benchmark(lambda: loop.run_until_complete(round_()))


@pytest.mark.benchmark(group="pipeline100: one pipeline of 100 SET per round")
def test_pipeline100(benchmark, loop, client):
    async def one() -> None:
        pipe = client.pipeline(transaction=False)
        for k in W.PIPE_KEYS:
            pipe.set(k, W.VALUE)
        await pipe.execute()

    benchmark.extra_info["ops_per_round"] = len(W.PIPE_KEYS)
    benchmark(lambda: loop.run_until_complete(one()))


# ---------------------------------------------------------------------------- Pub/Sub
@pytest.fixture
def subscribed(client, loop, bench_server):
    """(pubsub, config): subscribed, confirmation consumed."""
    host, port = bench_server
    cfg = W.Config(host=host, port=port, backlog=BACKLOG)
    p = client.pubsub()
    loop.run_until_complete(p.subscribe(cfg.channel))
    loop.run_until_complete(W.first_message(p.get_message))
    try:
        yield p, cfg
    finally:
        loop.run_until_complete(W.close_pubsub(p))


def _backlog_bench(benchmark, loop, cfg, drain) -> None:
    """setup (untimed, loop frozen): the publisher process queues the backlog; timed: drain."""

    def setup() -> None:
        W.publish_backlog(cfg)

    def run() -> None:
        W.check_message(loop.run_until_complete(asyncio.wait_for(drain(), 60)), cfg)

    benchmark.extra_info["messages_per_round"] = cfg.backlog
    benchmark.pedantic(run, setup=setup, rounds=5, warmup_rounds=1, iterations=1)


@pytest.mark.benchmark(group="pubsub_get_message: drain a 20k backlog with get_message()")
def test_pubsub_get_message(benchmark, loop, subscribed):
    p, cfg = subscribed
    _backlog_bench(benchmark, loop, cfg, lambda: W.drain_get_message(p.get_message, cfg.backlog))


@pytest.mark.benchmark(group="pubsub_best: drain a 20k backlog, each client's best way")
def test_pubsub_best(benchmark, loop, client_name, subscribed):
    p, cfg = subscribed
    if client_name == "fastredis":  # `for m in await p.listen()`: one await per batch
        def drain():
            return W.drain_listen_batches(p, cfg.backlog)
    else:  # redis-py: `async for m in p.listen()`
        def drain():
            return W.drain_async_for(p.listen(), cfg.backlog)
    _backlog_bench(benchmark, loop, cfg, drain)


@pytest.fixture
def floor_subscribed(loop, bench_server):
    """(floor subscriber, config): bench/floor.py, the yardstick of the Pub/Sub drains."""
    import floor

    host, port = bench_server
    cfg = W.Config(host=host, port=port, backlog=BACKLOG)
    f = loop.run_until_complete(floor.connect(host, port))
    loop.run_until_complete(f.subscribe(cfg.channel))
    loop.run_until_complete(W.first_message(f.get_message))
    try:
        yield f, cfg
    finally:
        f.t.close()


@pytest.mark.benchmark(group="pubsub_get_message: drain a 20k backlog with get_message()")
def test_pubsub_get_message_floor(benchmark, loop, floor_subscribed):
    f, cfg = floor_subscribed
    _backlog_bench(benchmark, loop, cfg, lambda: W.drain_get_message(f.get_message, cfg.backlog))


@pytest.mark.benchmark(group="pubsub_best: drain a 20k backlog, each client's best way")
def test_pubsub_best_floor(benchmark, loop, floor_subscribed):
    f, cfg = floor_subscribed
    _backlog_bench(benchmark, loop, cfg, lambda: W.drain_listen_batches(f, cfg.backlog))


@pytest.mark.benchmark(group="pubsub_roundtrip: 100 publish -> receive round trips per round")
def test_pubsub_roundtrip(benchmark, loop, client, subscribed):
    p, cfg = subscribed
    payload = b"p" * cfg.size

    async def hundred() -> None:
        for _ in range(ROUND_TRIPS):
            await client.publish(cfg.channel, payload)
            m = await p.get_message(timeout=1.0)
            if m is None:
                raise RuntimeError("round trip: no message within 1s")

    benchmark.extra_info["round_trips_per_round"] = ROUND_TRIPS
    benchmark(lambda: loop.run_until_complete(hundred()))


# ---------------------------------------------------------------------------- import time
@pytest.mark.benchmark(group="import: python -c 'import X' (subtract the bare interpreter)")
@pytest.mark.parametrize("module", ["(bare interpreter)", "fastredis", "redis.asyncio"])
def test_import(benchmark, module):
    code = "pass" if module.startswith("(") else f"import {module}"
    cmd = [sys.executable, "-c", code]

    def run() -> None:
        subprocess.run(cmd, check=True, capture_output=True)

    benchmark.pedantic(run, rounds=7, warmup_rounds=1, iterations=1)
