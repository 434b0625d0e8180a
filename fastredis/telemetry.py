"""OpenTelemetry traces and metrics for every fastredis client in the process.

``instrument()`` turns them on, ``uninstrument()`` off; off is the default. It needs the
``opentelemetry-api`` package (``pip install fastredis-aio[otel]``) and an SDK with an
exporter set up by the application. ``import fastredis`` never imports OpenTelemetry,
nor does importing this module: only ``instrument()`` does.

Spans follow the OpenTelemetry database semantic conventions: one span of kind CLIENT per
command, named after it (``GET``), and one per pipeline (``PIPELINE``) or transaction
(``MULTI``). Metrics use redis-py 8.2's names (``db.client.operation.duration`` ...), plus
fastredis's own (commands in flight per shared connection, Pub/Sub queues, reconnects).
Nothing recorded ever holds an argument's value or a secret: ``db.query.text`` (only with
``capture_statement=True``) keeps command names and puts ``?`` for every argument.

How it works: every command path of fastredis reads one module attribute
(``fastredis._observe.hook``) and does nothing more while it is None. Once instrumented,
the span starts when the command is *called*, in the caller's task, so its parent is the
caller's current span even though replies are matched first-in-first-out on a shared
connection; it ends when the caller gets the reply. A cluster command's span is also the
task's current one (a ContextVar) while it is awaited: the cluster names the node that
answered (``network.peer.*``) and records redirections (``redis.redirect`` events) on it. The observable instruments read the
same counters as ``ConnectionPool.stats()``, ``PubSub.stats()`` and ``cache.stats()``.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from time import perf_counter
from typing import TYPE_CHECKING, Any

from . import _observe
from ._observe import PoolCounters, error_type

if TYPE_CHECKING:
    from collections.abc import Awaitable, Iterable, Sequence

__all__ = ["instrument", "uninstrument", "is_instrumented", "redact"]

#: the instrumentation scope, as every span and metric names it
SCOPE = "fastredis"

# Commands whose arguments are never shown, not even as placeholders (their count would
# tell whether a username was given).
_SECRET = frozenset(("AUTH", "HELLO"))
# Commands whose first argument is a subcommand name, kept in db.query.text
_CONTAINERS = frozenset((
    "ACL", "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "FUNCTION", "LATENCY", "MEMORY",
    "MODULE", "OBJECT", "PUBSUB", "SCRIPT", "SLOWLOG", "XGROUP", "XINFO",
))
_MAX_TEXT = 2048  # characters of db.query.text kept for a pipeline
_MAX_OPS = 1024  # command names remembered per pool (names are few; a bound all the same)

# seconds: sub-millisecond buckets (a loopback GET takes ~50 us) up to 10 s
_DURATION_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                     0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_lock = threading.Lock()
# the span of the cluster command (or pipeline) being awaited in this task: where the
# cluster names the node that answered (hook.peer) and records redirections (hook.redirect)
_SPAN: ContextVar[Any] = ContextVar("fastredis_span", default=None)
# one set of instruments per meter provider: OpenTelemetry cannot take an instrument
# back, so instrumenting again with the same provider reuses them
_instruments: dict[int, tuple[Any, _Instruments]] = {}


def _text(name: Any) -> str:
    if isinstance(name, (bytes, bytearray, memoryview)):
        return bytes(name).decode("utf-8", "replace")
    return str(name)


def redact(args: Sequence[Any]) -> str:
    """``db.query.text`` of one command: its name (and subcommand) and a ``?`` for every
    argument; ``AUTH`` and ``HELLO`` show their name only."""
    if not args:
        return ""
    name = _text(args[0]).upper()
    if name in _SECRET:
        return name
    rest = len(args) - 1
    if name in _CONTAINERS and rest:
        sub = _text(args[1]).upper()
        if sub.replace("-", "").replace("_", "").isalpha() and len(sub) <= 32:
            name = f"{name} {sub}"
            rest -= 1
    return name + " ?" * rest


def _batch_text(meta: Sequence[Any]) -> str:
    out: list[str] = []
    size = 0
    for args, _cb in meta:
        t = redact(args)
        size += len(t) + 2
        if size > _MAX_TEXT:
            out.append("...")
            break
        out.append(t)
    return "; ".join(out)


class _Instruments:
    """The instruments of one meter provider. The observable ones report only while
    this set is the one in use (``uninstrument()`` cannot unregister them)."""

    def __init__(self, meter: Any) -> None:
        from opentelemetry.metrics import Observation

        self.Observation = Observation
        self.active = False
        self.published = 0  # PUBLISH / SPUBLISH commands sent while instrumented
        hist = meter.create_histogram
        try:
            kw: dict[str, Any] = {"explicit_bucket_boundaries_advisory": list(_DURATION_BUCKETS)}
            self.duration = hist("db.client.operation.duration", unit="s",
                                 description="Duration of database client operations", **kw)
        except TypeError:  # an API older than the advisory parameter
            kw = {}
            self.duration = hist("db.client.operation.duration", unit="s",
                                 description="Duration of database client operations")
        self.create_time = hist("db.client.connection.create_time", unit="s",
                                description="Time to create a new connection", **kw)
        self.wait_time = hist("db.client.connection.wait_time", unit="s",
                              description="Time to obtain an exclusive connection from the pool", **kw)
        obs = [
            (meter.create_observable_up_down_counter, "db.client.connection.count", "{connection}",
             "Connections by state (idle / used)", self._count),
            (meter.create_observable_counter, "db.client.connection.timeouts", "{timeout}",
             "Connection attempts that timed out", self._timeouts),
            (meter.create_observable_counter, "redis.client.errors", "{error}",
             "Errors: error replies, replies not received in time, commands lost with their connection",
             self._errors),
            (meter.create_observable_counter, "redis.client.pubsub.messages", "{message}",
             "Pub/Sub messages published and received", self._pubsub_messages),
            (meter.create_observable_counter, "redis.client.csc.requests", "{request}",
             "Client-side cache look-ups by result (hit / miss)", self._csc_requests),
            (meter.create_observable_counter, "redis.client.csc.evictions", "{eviction}",
             "Client-side cache entries dropped, by reason (full / invalidation)", self._csc_evictions),
            (meter.create_observable_gauge, "redis.client.csc.items", "{item}",
             "Entries in the client-side caches", self._csc_items),
            (meter.create_observable_gauge, "fastredis.connection.in_flight", "{command}",
             "Commands awaiting their reply, per shared (multiplexed) connection", self._in_flight),
            (meter.create_observable_counter, "fastredis.client.reconnects", "{reconnect}",
             "Lost connections replaced (shared connections per pool; Pub/Sub connections)",
             self._reconnects),
            (meter.create_observable_gauge, "fastredis.pubsub.queue.depth", "{message}",
             "Pub/Sub frames received and not yet read by the application", self._queue_depth),
            (meter.create_observable_gauge, "fastredis.pubsub.queue.bytes", "By",
             "Payload bytes of those frames (an upper bound)", self._queue_bytes),
            (meter.create_observable_counter, "fastredis.pubsub.gaps", "{gap}",
             "Pub/Sub gap events: windows in which published messages may have been lost",
             self._gaps),
            (meter.create_observable_counter, "fastredis.pubsub.dropped", "{message}",
             "Pub/Sub frames dropped by overflow='drop_oldest'", self._dropped),
        ]
        self.observable = [make(name, callbacks=[cb], unit=unit, description=desc)
                           for make, name, unit, desc, cb in obs]

    # ------------------------------------------------------------------ callbacks
    # Run by the SDK at each collection, possibly in its exporter's thread: they only
    # read counters and lengths (fastredis._observe).
    def _pools(self) -> list[tuple[PoolCounters, dict[str, Any]]]:
        if not self.active:
            return []
        out = []
        for pool in _observe._copy(_observe.POOLS):
            try:
                out.append((pool.counters, pool.stats()))
            except RuntimeError:  # its loop changed a table as we read it: next time
                continue
        return out

    def _obs(self, value: int | float, attrs: dict[str, Any]) -> Any:
        return self.Observation(value, attrs)

    @staticmethod
    def _pool_attrs(c: PoolCounters, **more: Any) -> dict[str, Any]:
        attrs: dict[str, Any] = {"db.system.name": "redis", "db.client.connection.pool.name": c.name}
        attrs.update(more)
        return attrs

    def _count(self, options: Any) -> Iterable[Any]:
        out = []
        for c, s in self._pools():
            conns = s["connections"]
            busy = sum(1 for n in s["in_flight_per_shared"] if n)
            used = conns["used"] + busy
            idle = conns["idle"] + conns["shared"] - busy
            out.append(self._obs(idle, self._pool_attrs(c, **{"db.client.connection.state": "idle"})))
            out.append(self._obs(used, self._pool_attrs(c, **{"db.client.connection.state": "used"})))
        return out

    def _timeouts(self, options: Any) -> Iterable[Any]:
        return [self._obs(s["connect_timeouts"], self._pool_attrs(c)) for c, s in self._pools()]

    def _errors(self, options: Any) -> Iterable[Any]:
        out = []
        for c, s in self._pools():
            errors = dict(s["errors"])
            if s["timeouts"]:
                errors["TimeoutError"] = errors.get("TimeoutError", 0) + s["timeouts"]
            for kind, n in errors.items():
                out.append(self._obs(n, self._pool_attrs(c, **{"error.type": kind})))
        return out

    def _in_flight(self, options: Any) -> Iterable[Any]:
        out = []
        for c, s in self._pools():
            for i, n in enumerate(s["in_flight_per_shared"]):
                out.append(self._obs(n, self._pool_attrs(c, **{"fastredis.connection.index": i})))
        return out

    def _reconnects(self, options: Any) -> Iterable[Any]:
        out = [self._obs(s["reconnects"], self._pool_attrs(c)) for c, s in self._pools()]
        if self.active:
            ps = _observe.pubsub_totals()
            out.append(self._obs(ps["reconnects"], {"db.system.name": "redis",
                                                   "redis.client.connection.pubsub": True}))
        return out

    def _pubsub(self, key: str, **attrs: Any) -> list[Any]:
        if not self.active:
            return []
        return [self._obs(_observe.pubsub_totals()[key], {"db.system.name": "redis", **attrs})]

    def _pubsub_messages(self, options: Any) -> Iterable[Any]:
        if not self.active:
            return []
        direction = "redis.client.pubsub.message.direction"
        return [*self._pubsub("messages", **{direction: "receive"}),
                self._obs(self.published, {"db.system.name": "redis", direction: "publish"})]

    def _queue_depth(self, options: Any) -> Iterable[Any]:
        return self._pubsub("queued")

    def _queue_bytes(self, options: Any) -> Iterable[Any]:
        return self._pubsub("queued_bytes")

    def _dropped(self, options: Any) -> Iterable[Any]:
        return self._pubsub("dropped")

    def _gaps(self, options: Any) -> Iterable[Any]:
        if not self.active:
            return []
        n = _observe.pubsub_totals()["gaps"] + _observe.gaps
        return [self._obs(n, {"db.system.name": "redis"})]

    def _csc(self) -> dict[str, int] | None:
        return _observe.cache_totals() if self.active else None

    def _csc_requests(self, options: Any) -> Iterable[Any]:
        t = self._csc()
        if t is None:
            return []
        key = "redis.client.csc.result"
        return [self._obs(t["hits"], {"db.system.name": "redis", key: "hit"}),
                self._obs(t["misses"], {"db.system.name": "redis", key: "miss"})]

    def _csc_evictions(self, options: Any) -> Iterable[Any]:
        t = self._csc()
        if t is None:
            return []
        key = "redis.client.csc.reason"
        return [self._obs(t["evictions"], {"db.system.name": "redis", key: "full"}),
                self._obs(t["invalidations"], {"db.system.name": "redis", key: "invalidation"})]

    def _csc_items(self, options: Any) -> Iterable[Any]:
        t = self._csc()
        return [] if t is None else [self._obs(t["entries"], {"db.system.name": "redis"})]


class _Hook:
    """What the command paths call while instrumented (``fastredis._observe.hook``)."""

    __slots__ = ("tracer", "inst", "duration", "capture", "kind", "Status", "ERROR")

    def __init__(self, tracer: Any, inst: _Instruments | None, capture: bool) -> None:
        from opentelemetry.trace import SpanKind, Status, StatusCode

        self.tracer = tracer  # None: metrics only
        self.inst = inst  # None: traces only
        self.duration = inst.duration if inst is not None else None
        self.capture = capture
        self.kind = SpanKind.CLIENT
        self.Status = Status
        self.ERROR = StatusCode.ERROR

    # ------------------------------------------------------------------ attributes
    @staticmethod
    def _op(counters: PoolCounters, name: Any) -> tuple[str, dict[str, Any]]:
        op = _text(name).upper()
        attrs: dict[str, Any] = {"db.system.name": "redis", "db.operation.name": op,
                                 "server.address": counters.address}
        if counters.port is not None:
            attrs["server.port"] = counters.port
        attrs["db.namespace"] = counters.db
        found = (op, attrs)
        if len(counters.ops) < _MAX_OPS and isinstance(name, (str, bytes)):
            counters.ops[name] = found
        return found

    # ------------------------------------------------------------------ commands
    def command(self, counters: PoolCounters, args: tuple[Any, ...], run: Awaitable[Any],
                extra: dict[str, Any] | None = None, track: bool = False) -> Awaitable[Any]:
        """Start the span of the command ``args`` (sent on ``counters``' pool) now, in the
        caller's task, and return what awaits ``run`` in it and records its duration.
        ``extra``: more span attributes. ``track``: the span is this task's current one
        while ``run`` is awaited, for ``peer`` / ``redirect`` (a cluster's command).

        A plain function, not a coroutine: the caller awaits ``_run`` directly, one
        coroutine frame fewer per command (each costs a frame's creation and a resume)."""
        try:
            op, attrs = counters.ops[args[0]]
        except (KeyError, TypeError):
            op, attrs = self._op(counters, args[0])
        tracer = self.tracer
        span = None
        if tracer is not None:
            span = tracer.start_span(op, kind=self.kind, attributes=attrs)
            if span.is_recording():
                if extra:
                    span.set_attributes(extra)
                if self.capture:
                    span.set_attribute("db.query.text", redact(args))
            else:
                span = None  # not sampled: nothing more to do for it
        if op in ("PUBLISH", "SPUBLISH") and self.inst is not None:
            self.inst.published += 1
        return self._run(span, attrs, run, track)

    def batch(self, counters: PoolCounters, transaction: bool, meta: Sequence[Any],
              run: Awaitable[Any], extra: dict[str, Any] | None = None,
              track: bool = False) -> Awaitable[Any]:
        """As ``command``, for ``run``: a pipeline or a transaction of the commands in
        ``meta``, in one span named ``PIPELINE`` or ``MULTI``."""
        name = "MULTI" if transaction else "PIPELINE"
        try:
            op, attrs = counters.ops[name]
        except KeyError:
            op, attrs = self._op(counters, name)
        tracer = self.tracer
        span = None
        if tracer is not None:
            size = len(meta)
            battrs = attrs if size < 2 else {**attrs, "db.operation.batch.size": size}
            span = tracer.start_span(op, kind=self.kind, attributes=battrs)
            if span.is_recording():
                if extra:
                    span.set_attributes(extra)
                if self.capture:
                    span.set_attribute("db.query.text", _batch_text(meta))
            else:
                span = None
        return self._run(span, attrs, run, track)

    async def _run(self, span: Any, attrs: dict[str, Any], run: Awaitable[Any], track: bool) -> Any:
        """Await ``run`` under ``span`` (None: not sampled or no tracer), recording its
        duration (and its failure) with ``attrs``."""
        token = _SPAN.set(span) if track and span is not None else None
        t0 = perf_counter()
        try:
            reply = await run
        except BaseException as exc:
            self._failed(span, attrs, exc, t0)
            raise
        finally:
            if token is not None:
                _SPAN.reset(token)
        if self.duration is not None:
            self.duration.record(perf_counter() - t0, attrs)
        if span is not None:
            span.end()
        return reply

    def _failed(self, span: Any, attrs: dict[str, Any], exc: BaseException, t0: float) -> None:
        kind = error_type(exc)
        if self.duration is not None:
            self.duration.record(perf_counter() - t0, {**attrs, "error.type": kind})
        if span is not None:
            # the type only: an error's message may quote an argument
            span.set_attribute("error.type", kind)
            span.set_status(self.Status(self.ERROR, kind))
            span.end()

    # ------------------------------------------------------------------ cluster
    @staticmethod
    def peer(host: str, port: int) -> None:
        """The node that answered the current cluster command: ``network.peer.*`` on
        its span (``server.*`` stay the configured endpoint)."""
        span = _SPAN.get()
        if span is not None:
            span.set_attributes({"network.peer.address": host, "network.peer.port": port})

    @staticmethod
    def redirect(kind: str, slot: int, address: str) -> None:
        """The current cluster command was redirected (``kind``: ``MOVED`` / ``ASK``) to
        ``address`` (``host:port``): a ``redis.redirect`` event on its span."""
        span = _SPAN.get()
        if span is not None:
            host, _, port = address.rpartition(":")
            attrs: dict[str, Any] = {"redis.redirect.kind": kind, "redis.cluster.slot": slot,
                                     "network.peer.address": host.strip("[]")}
            if port.isdigit():
                attrs["network.peer.port"] = int(port)
            span.add_event("redis.redirect", attrs)

    # ------------------------------------------------------------------ connections
    def created(self, counters: PoolCounters, seconds: float) -> None:
        if self.inst is not None:
            self.inst.create_time.record(seconds, _Instruments._pool_attrs(counters))

    def waited(self, counters: PoolCounters, seconds: float) -> None:
        if self.inst is not None:
            self.inst.wait_time.record(seconds, _Instruments._pool_attrs(counters))


def _is_noop(provider: Any, noop_names: tuple[str, ...]) -> bool:
    return type(provider).__name__ in noop_names


def instrument(*, tracer_provider: Any = None, meter_provider: Any = None,
               capture_statement: bool = False) -> None:
    """Turn on OpenTelemetry traces and metrics for every fastredis client of the process.

    ``tracer_provider`` / ``meter_provider``: the providers to use; None means the global
    ones (``opentelemetry.trace.set_tracer_provider`` ...). Give a no-op provider
    (``opentelemetry.trace.NoOpTracerProvider()``) to have metrics without spans, or the
    other way round. ``capture_statement=True`` adds ``db.query.text`` to spans: the
    command's name and a ``?`` per argument, never a value (``AUTH`` / ``HELLO``: the name
    only). Calling it again replaces the previous set-up.

    Raises ImportError when ``opentelemetry-api`` is not installed
    (``pip install fastredis-aio[otel]``)."""
    try:
        from opentelemetry import metrics, trace
    except ImportError as exc:  # pragma: no cover - the otel extra is missing
        raise ImportError("fastredis.telemetry needs opentelemetry-api: "
                          "pip install 'fastredis-aio[otel]'") from exc
    from . import __version__

    with _lock:
        uninstrument()
        tracer = None
        if not _is_noop(tracer_provider, ("NoOpTracerProvider",)):
            tracer = trace.get_tracer(SCOPE, __version__, tracer_provider)
        inst = None
        if not _is_noop(meter_provider, ("NoOpMeterProvider",)):
            provider = meter_provider if meter_provider is not None else metrics.get_meter_provider()
            key = id(provider)
            found = _instruments.get(key)
            if found is None or found[0] is not provider:
                meter = metrics.get_meter(SCOPE, __version__, meter_provider)
                found = _instruments[key] = (provider, _Instruments(meter))
            inst = found[1]
            inst.active = True
        _observe.hook = _Hook(tracer, inst, bool(capture_statement))


def uninstrument() -> None:
    """Turn traces and metrics off: no span is started and no metric recorded from now
    on (commands under way finish theirs). The observable instruments report nothing
    more. Safe to call when not instrumented."""
    hook = _observe.hook
    _observe.hook = None
    if hook is not None and hook.inst is not None:
        hook.inst.active = False


def is_instrumented() -> bool:
    """Whether ``instrument()`` is in effect."""
    return _observe.hook is not None
