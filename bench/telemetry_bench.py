"""What fastredis.telemetry costs: microseconds per sequential GET with telemetry off,
metrics only, traces sampled (spans + metrics) and traces unsampled (spans not sampled,
metrics on), each beside its baseline from the same run:

* *no check*: a client without the per-command check (the code before the telemetry
  module): the A/B for *off*;
* *by hand*: the plain client, telemetry off, with the application doing the same
  OpenTelemetry work around each ``await r.get()`` itself (start the CLIENT span with the
  same attributes, record the same histogram point, end the span): the SDK's cost *where
  it runs*, between a socket write and the reply. fastredis's own added cost = mode -
  its *by hand* twin. (A tight loop of those SDK calls alone, the *SDK alone* column,
  runs them with warm caches and costs less than the same calls between two network
  round trips: taken as the baseline, it counted the SDK's own slow-down as fastredis's.)

    python bench/telemetry_bench.py [--duration 0.05] [--reps 40] [--loops uvloop,asyncio]

Each sample: one task, ``await r.get(key)`` for ``duration`` seconds; wall time and this
process's CPU time per GET. *hook, no-op providers* runs the instrumented path with
providers that do nothing: fastredis's own work alone, measured directly. Every rep runs
every mode; a mode and its baseline run back to back (their order and the groups' order
rotated), so drift on a shared machine hits both alike. Reported: medians of the samples,
and the added cost as the median of the per-rep differences (mode - its baseline). A
throw-away redis-server; it and this process share the first CPU (as bench/run.py places
request/response clients). Writes bench/results/telemetry.md and telemetry.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from opentelemetry.metrics import NoOpMeterProvider  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF  # noqa: E402
from opentelemetry.trace import NoOpTracerProvider, SpanKind  # noqa: E402

import fastredis  # noqa: E402
from fastredis import telemetry  # noqa: E402
from fastredis.connection import expire  # noqa: E402
from fastredis.telemetry import _DURATION_BUCKETS  # noqa: E402

KEY = "bench:telemetry"
perf = time.perf_counter
cpu = time.thread_time
HAND = ", by hand"
INSTRUMENTED = ["metrics only", "traces sampled", "traces unsampled"]
# a mode beside its baseline: they run back to back
GROUPS = [["no check", "off", "hook, no-op providers"],
          *([m, m + HAND] for m in INSTRUMENTED)]
MODES = [m for g in GROUPS for m in g]
BASELINE = {"off": "no check", "hook, no-op providers": "off", **{m: m + HAND for m in INSTRUMENTED}}


class _Null(SpanExporter):
    """Finished spans go nowhere: the exporter's own cost is the application's choice."""

    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


class _Unchecked(fastredis.Redis):  # type: ignore[type-arg]
    """``Redis._execute`` as it was before fastredis.telemetry: no per-command check."""

    async def _execute(self, args: tuple[Any, ...], callback: Callable[[Any], Any] | None = None,
                       _traced: bool = False) -> Any:
        conn = self.connection_pool.current
        if conn is None or conn.closed:
            conn = self.connection_pool.pick() or await self.connection_pool.get_shared()
        fut = conn.execute(args)
        timeout = self._timeout
        if timeout is None:
            reply = await fut
        else:
            handle = conn._loop.call_later(timeout, expire, fut, timeout, conn)
            try:
                reply = await fut
            finally:
                handle.cancel()
        return reply if callback is None else callback(reply)


def providers() -> dict[str, tuple[Any, Any]]:
    reader = InMemoryMetricReader()
    mp = MeterProvider(metric_readers=[reader])
    sampled = TracerProvider()
    sampled.add_span_processor(SimpleSpanProcessor(_Null()))
    unsampled = TracerProvider(sampler=ALWAYS_OFF)
    unsampled.add_span_processor(SimpleSpanProcessor(_Null()))
    return {
        # fastredis's own work alone: the hook runs, no SDK is called
        "hook, no-op providers": (NoOpTracerProvider(), NoOpMeterProvider()),
        "metrics only": (NoOpTracerProvider(), mp),
        "traces sampled": (sampled, mp),
        "traces unsampled": (unsampled, mp),
    }


class _Sdk:
    """The OpenTelemetry work fastredis does for one GET, done by the application: the
    same span (kind, name, attributes) and the same histogram point (instrument, buckets,
    attributes), on the same providers."""

    def __init__(self, tp: Any, mp: Any, counters: Any) -> None:
        self.tracer = None if isinstance(tp, NoOpTracerProvider) else tp.get_tracer("bench.by_hand")
        self.hist = mp.get_meter("bench.by_hand").create_histogram(
            "db.client.operation.duration", unit="s", description="by hand",
            explicit_bucket_boundaries_advisory=list(_DURATION_BUCKETS))
        self.attrs: dict[str, Any] = {"db.system.name": "redis", "db.operation.name": "GET",
                                      "server.address": counters.address, "server.port": counters.port,
                                      "db.namespace": counters.db}

    def tight_loop(self, n: int = 2000) -> float:
        """The same calls alone, back to back: CPU microseconds per iteration."""
        tracer, record, attrs, kind = self.tracer, self.hist.record, self.attrs, SpanKind.CLIENT
        t0 = cpu()
        for _ in range(n):
            span = tracer.start_span("GET", kind=kind, attributes=attrs) if tracer is not None else None
            if span is not None and not span.is_recording():
                span = None
            s = perf()
            record(perf() - s, attrs)
            if span is not None:
                span.end()
        return (cpu() - t0) / n * 1e6


async def sample(r: Any, duration: float) -> tuple[float, float]:
    """Wall and CPU microseconds per ``await r.get(KEY)``."""
    get = r.get
    for _ in range(200):
        await get(KEY)
    n = 0
    start, cpu0 = perf(), cpu()
    end = start + duration
    while True:
        for _ in range(100):
            await get(KEY)
        n += 100
        now = perf()
        if now >= end:
            return (now - start) / n * 1e6, (cpu() - cpu0) / n * 1e6


async def sample_by_hand(r: Any, sdk: _Sdk, duration: float) -> tuple[float, float]:
    """``sample`` with the application doing ``sdk``'s work around each GET (in the order
    fastredis does it: span started, GET, histogram point, span ended)."""
    get, tracer, record, attrs, kind = r.get, sdk.tracer, sdk.hist.record, sdk.attrs, SpanKind.CLIENT
    n = -200
    start = cpu0 = end = 0.0
    while True:
        for _ in range(100 if n >= 0 else 200):
            span = tracer.start_span("GET", kind=kind, attributes=attrs) if tracer is not None else None
            if span is not None and not span.is_recording():
                span = None
            t0 = perf()
            await get(KEY)
            record(perf() - t0, attrs)
            if span is not None:
                span.end()
        if n < 0:  # warmed up
            n = 0
            start, cpu0 = perf(), cpu()
            end = start + duration
            continue
        n += 100
        now = perf()
        if now >= end:
            return (now - start) / n * 1e6, (cpu() - cpu0) / n * 1e6


async def run_loop(url: str, duration: float, reps: int) -> dict[str, Any]:
    plain = fastredis.Redis.from_url(url)
    unchecked = _Unchecked.from_url(url)
    await plain.set(KEY, b"v" * 32)
    provs = providers()
    sdks = {m: _Sdk(*provs[m], plain.connection_pool.counters) for m in INSTRUMENTED}
    wall: dict[str, list[float]] = {m: [] for m in MODES}
    cpu_: dict[str, list[float]] = {m: [] for m in MODES}
    alone: dict[str, list[float]] = {m: [] for m in INSTRUMENTED}
    try:
        for rep in range(reps):
            groups = GROUPS[rep % len(GROUPS):] + GROUPS[:rep % len(GROUPS)]
            for group in groups:
                k = rep % len(group)
                for mode in group[k:] + group[:k]:
                    if mode.endswith(HAND):
                        res = await sample_by_hand(plain, sdks[mode[:-len(HAND)]], duration)
                    elif mode in provs:
                        tp, mp = provs[mode]
                        telemetry.instrument(tracer_provider=tp, meter_provider=mp)
                        try:
                            res = await sample(plain, duration)
                        finally:
                            telemetry.uninstrument()
                    else:
                        res = await sample(unchecked if mode == "no check" else plain, duration)
                    wall[mode].append(res[0])
                    cpu_[mode].append(res[1])
            for m, sdk in sdks.items():
                alone[m].append(sdk.tight_loop())
    finally:
        await plain.aclose()
        await unchecked.aclose()

    def added(samples: dict[str, list[float]], mode: str) -> list[float]:
        """Median and quartiles of the per-rep differences, mode - its baseline."""
        diffs = [a - b for a, b in zip(samples[mode], samples[BASELINE[mode]])]
        q1, q2, q3 = statistics.quantiles(diffs, n=4)
        return [q2, q1, q3]

    return {
        "us_per_get": {m: statistics.median(v) for m, v in wall.items()},
        "cpu_us_per_get": {m: statistics.median(v) for m, v in cpu_.items()},
        "added_us": {m: added(wall, m) for m in BASELINE},
        "added_cpu_us": {m: added(cpu_, m) for m in BASELINE},
        "sdk_alone_us": {m: statistics.median(v) for m, v in alone.items()},
        "samples": wall, "cpu_samples": cpu_,
    }


def _q(q: list[float]) -> str:
    """A median with its interquartile range."""
    return f"{q[0]:+.2f} ({q[1]:+.1f}…{q[2]:+.1f})"


def markdown(env: dict[str, str], results: dict[str, dict[str, Any]]) -> str:
    lines = ["# Telemetry cost: µs per sequential GET", "",
             "`bench/telemetry_bench.py`, one run: " + ", ".join(f"{k} {v}" for k, v in env.items()), "",
             "*no check*: the client without the per-command telemetry check (the baseline of *off*). "
             "*by hand*: telemetry off, the application doing the same OpenTelemetry work around each "
             "GET (same span, attributes and histogram point): the baseline of each instrumented mode. "
             "*fastredis added*: the median (and quartiles) of the per-rep differences, mode - its "
             "baseline, in wall time and in this process's CPU time. *SDK alone*: the same OpenTelemetry calls in a tight "
             "loop (warm caches: cheaper than between two round trips).", ""]
    for loop, res in results.items():
        lines += [f"## {loop}", "",
                  "| mode | µs / GET | vs off | CPU µs / GET | CPU vs off | SDK alone, CPU | baseline | fastredis added | added, CPU |",
                  "|---|---:|---:|---:|---:|---:|---|---:|---:|"]
        med, cpu_med = res["us_per_get"], res["cpu_us_per_get"]
        for m in MODES:
            alone = res["sdk_alone_us"].get(m)
            add, add_cpu = res["added_us"].get(m), res["added_cpu_us"].get(m)
            lines.append(f"| {m} | {med[m]:.2f} | {med[m] - med['off']:+.2f} | {cpu_med[m]:.2f} | "
                         f"{cpu_med[m] - cpu_med['off']:+.2f} | "
                         f"{'' if alone is None else f'{alone:.2f}'} | "
                         f"{BASELINE.get(m, '')} | {'' if add is None else _q(add)} | "
                         f"{'' if add_cpu is None else _q(add_cpu)} |")
        spread = statistics.pstdev(res["samples"]["off"])
        lines += ["", f"Spread of the *off* samples: ±{spread:.2f} µs.", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=0.05)
    ap.add_argument("--reps", type=int, default=40)
    ap.add_argument("--loops", default="uvloop,asyncio")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--no-pin", action="store_true")
    args = ap.parse_args()
    from fastredis.testing import RedisServer

    with RedisServer() as server:
        if not args.no_pin and hasattr(os, "sched_setaffinity"):
            try:
                os.sched_setaffinity(0, {0})
                os.sched_setaffinity(server.proc.pid, {0})  # type: ignore[union-attr]
            except (OSError, AttributeError):
                pass
        results: dict[str, dict[str, Any]] = {}
        for loop in args.loops.split(","):
            if loop == "uvloop":
                import uvloop

                runner: Callable[..., Any] = uvloop.run
            else:
                runner = asyncio.run
            results[loop] = runner(run_loop(server.url, args.duration, args.reps))
        from importlib import metadata

        import hiredis

        env = {"Python": platform.python_version(), "Redis": ".".join(map(str, server.version)),
               "hiredis": hiredis.__version__, "opentelemetry-sdk": metadata.version("opentelemetry-sdk"),
               "CPUs": str(os.cpu_count()), "reps": str(args.reps), "sample": f"{args.duration}s"}
    os.makedirs(args.out, exist_ok=True)
    text = markdown(env, results)
    with open(os.path.join(args.out, "telemetry.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "telemetry.json"), "w") as f:
        json.dump({"env": env, "results": results}, f, indent=1)
    print(text)


if __name__ == "__main__":
    main()
