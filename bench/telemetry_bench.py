"""What fastredis.telemetry costs: microseconds per sequential GET with telemetry off,
metrics only, traces sampled (spans + metrics) and traces unsampled (spans not sampled,
metrics on), beside a client without the per-command check (the code before the telemetry
module: the A/B for "off"), and beside the OpenTelemetry SDK's own cost for the same work
measured in a bare loop (start a span, record a histogram point, end the span) in the
same process. fastredis's own added cost = (mode - off) - (the bare SDK loop).

    python bench/telemetry_bench.py [--duration 0.5] [--reps 9] [--loops uvloop,asyncio]

Each sample: one task, ``await r.get(key)`` for ``duration`` seconds. *hook, no-op
providers* runs the instrumented path with providers that do nothing: fastredis's own
work alone, measured directly. The modes are
interleaved (every rep runs every mode, the order rotated), so drift on a shared machine
hits each alike; medians are reported. A throw-away redis-server; it and this process share
the first CPU (as bench/run.py places request/response clients). Writes
bench/results/telemetry.md and telemetry.json.
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

KEY = "bench:telemetry"
perf = time.perf_counter
MODES = ["no check", "off", "hook, no-op providers", "metrics only", "traces sampled",
         "traces unsampled"]


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


def bare_sdk(tp: Any, mp: Any, n: int = 2000) -> float:
    """The SDK's work for one command, without fastredis: microseconds per iteration."""
    attrs = {"db.system.name": "redis", "db.operation.name": "GET", "server.address": "127.0.0.1",
             "server.port": 6379, "db.namespace": "0"}
    tracer = None if isinstance(tp, NoOpTracerProvider) else tp.get_tracer("bare")
    if isinstance(mp, NoOpMeterProvider):
        return 0.0
    hist = mp.get_meter("bare").create_histogram("bare.duration", unit="s")
    t0 = perf()
    for _ in range(n):
        s = perf()
        span = tracer.start_span("GET", kind=SpanKind.CLIENT, attributes=attrs) if tracer else None
        if span is not None and span.is_recording():
            pass
        hist.record(perf() - s, attrs)
        if span is not None and span.is_recording():
            span.end()
    return (perf() - t0) / n * 1e6


async def sample(r: Any, duration: float) -> float:
    get = r.get
    for _ in range(200):
        await get(KEY)
    n = 0
    start = perf()
    end = start + duration
    while True:
        for _ in range(100):
            await get(KEY)
        n += 100
        now = perf()
        if now >= end:
            return (now - start) / n * 1e6


async def run_loop(url: str, duration: float, reps: int) -> dict[str, Any]:
    plain = fastredis.Redis.from_url(url)
    unchecked = _Unchecked.from_url(url)
    await plain.set(KEY, b"v" * 32)
    provs = providers()
    us: dict[str, list[float]] = {m: [] for m in MODES}
    bare: dict[str, list[float]] = {m: [] for m in provs}
    try:
        for rep in range(reps):
            order = MODES[rep % len(MODES):] + MODES[:rep % len(MODES)]
            for mode in order:
                if mode in provs:
                    tp, mp = provs[mode]
                    telemetry.instrument(tracer_provider=tp, meter_provider=mp)
                    try:
                        us[mode].append(await sample(plain, duration))
                    finally:
                        telemetry.uninstrument()
                    bare[mode].append(bare_sdk(tp, mp))
                else:
                    us[mode].append(await sample(unchecked if mode == "no check" else plain, duration))
    finally:
        await plain.aclose()
        await unchecked.aclose()
    med = {m: statistics.median(v) for m, v in us.items()}
    out: dict[str, Any] = {"us_per_get": med, "samples": us, "bare_sdk_us": {}, "added_us": {}}
    for m in provs:
        b = statistics.median(bare[m])
        out["bare_sdk_us"][m] = b
        out["added_us"][m] = med[m] - med["off"] - b
    out["off_vs_no_check_us"] = med["off"] - med["no check"]
    return out


def markdown(env: dict[str, str], results: dict[str, dict[str, Any]]) -> str:
    lines = ["# Telemetry cost: µs per sequential GET", "",
             "`bench/telemetry_bench.py`, one run: " + ", ".join(f"{k} {v}" for k, v in env.items()), "",
             "*no check*: the client without the per-command telemetry check (the A/B for *off*). "
             "*bare SDK*: the same span + histogram work done by a plain loop with the "
             "OpenTelemetry SDK in the same process. *fastredis added* = (mode - off) - bare SDK.", ""]
    for loop, res in results.items():
        lines += [f"## {loop}", "", "| mode | µs / GET | vs off | bare SDK | fastredis added |",
                  "|---|---:|---:|---:|---:|"]
        med = res["us_per_get"]
        for m in MODES:
            bare = res["bare_sdk_us"].get(m)
            added = res["added_us"].get(m)
            lines.append(f"| {m} | {med[m]:.2f} | {med[m] - med['off']:+.2f} | "
                         f"{'' if bare is None else f'{bare:.2f}'} | "
                         f"{'' if added is None else f'{added:+.2f}'} |")
        spread = statistics.pstdev(res["samples"]["off"])
        lines += ["", f"off - no check: {res['off_vs_no_check_us']:+.3f} µs "
                  f"(spread of the off samples: ±{spread:.3f} µs)", ""]
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
