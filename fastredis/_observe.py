"""What the pools and Pub/Sub count, and the one switch the hot paths look at.

Below every client and free of OpenTelemetry: ``import fastredis`` never imports it.

* ``hook``: None, or the object ``fastredis.telemetry.instrument()`` installed. Every
  command path reads this one module attribute and does nothing else when it is None
  (DESIGN.md: near free when off).
* ``PoolCounters``: one per ``ConnectionPool``; the connections and the protocol add to it
  only on paths that are not the per-reply one (a connection opened, a reconnect, an error
  reply, a timeout), so it counts with instrumentation off too. ``snapshot()`` builds
  ``ConnectionPool.stats()`` from it and from the pool's connections, and the telemetry
  module's observable instruments read ``stats()``: the two never disagree.
* ``POOLS`` / ``PUBSUBS`` / ``CACHES``: the live objects (weakly), for those instruments.

Observable callbacks may run in the exporter's thread while the loop changes the lists
they look at: they read lengths and integers, and ``snapshot()`` retries a copy that raced
a change instead of failing a metrics export.
"""

from __future__ import annotations

import itertools
import weakref
from collections import Counter
from types import SimpleNamespace
from typing import Any

from .exceptions import ResponseError

__all__ = ["hook", "PoolCounters", "POOLS", "PUBSUBS", "CACHES", "snapshot", "error_type",
           "pubsub_totals", "ClusterStats", "cluster_counters"]

#: fastredis.telemetry's hook while instrumented, else None (the one check per command)
hook: Any = None

#: every live ConnectionPool / PubSub / client-side cache (observable instruments)
POOLS: weakref.WeakSet[Any] = weakref.WeakSet()
PUBSUBS: weakref.WeakSet[Any] = weakref.WeakSet()
CACHES: weakref.WeakSet[Any] = weakref.WeakSet()

_ids = itertools.count(1)

# what closed PubSubs had counted (their counters leave with them; the totals must not
# go down, an OpenTelemetry counter is monotonic)
_retired = {"messages": 0, "reconnects": 0, "dropped": 0, "gaps": 0}
_retired_cache = {"hits": 0, "misses": 0, "evictions": 0, "invalidations": 0}
#: Pub/Sub gap events reported by a layer above; a PubSub's own are its ``stats()["gaps"]``
#: (the cluster's Pub/Sub: subscriptions dropped and restored), else each of its reconnects
gaps = 0


class PoolCounters:
    """The counters of one pool (all event loops). ``name`` is the pool's name in metrics
    (``db.client.connection.pool.name``): ``host:port_N`` as redis-py's ``host:port_id``."""

    __slots__ = ("name", "address", "port", "db", "connects", "connect_errors", "connect_timeouts",
                 "reconnects", "timeouts", "errors", "ops", "__weakref__")

    def __init__(self, params: Any) -> None:
        if params.path:
            self.address: str = params.path
            self.port: int | None = None
            self.name = f"{params.path}_{next(_ids)}"
        else:
            self.address = params.host
            self.port = params.port
            self.name = f"{params.host}:{params.port}_{next(_ids)}"
        self.db = str(params.db)
        self.connects = 0  # connections opened
        self.connect_errors = 0  # attempts that failed (timeouts included)
        self.connect_timeouts = 0  # ... of which timed out
        self.reconnects = 0  # a lost shared connection replaced
        self.timeouts = 0  # replies not received within socket_timeout
        self.errors: dict[str, int] = {}  # error.type -> count (error replies, lost commands)
        # telemetry's cache: command name as called -> (operation name, attributes)
        self.ops: dict[Any, tuple[str, dict[str, Any]]] = {}

    def error(self, kind: str, n: int = 1) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + n


def cluster_counters(host: str, port: int) -> PoolCounters:
    """The counters a ``RedisCluster``'s spans and duration points are labelled with: its
    first seed (``server.address`` / ``server.port`` name the configured endpoint; the
    node that answered is ``network.peer.*``). Not a pool: the nodes' pools count."""
    return PoolCounters(SimpleNamespace(path=None, host=host, port=port, db=0))


class ClusterStats(Counter[str]):
    """``RedisCluster.stats``: what the cluster made the client do, by event
    (``rc.stats["moved"]``, ``"ask"``, ``"retry:<error>"``); called, ``rc.stats()`` is
    the snapshot of every node's pool and of those events (docs/observability.md)."""

    topology: Any = None  # the client's Topology (set by RedisCluster)

    def __call__(self) -> dict[str, Any]:
        topo = self.topology
        nodes: dict[str, Any] = {}
        refreshes = 0
        if topo is not None:
            refreshes = topo.refreshes
            for name, node in _copy(topo.nodes.items()):
                pool = node.pool
                if pool is not None:
                    try:
                        nodes[name] = pool.stats()
                    except RuntimeError:  # another thread's loop changed it as we read: once more
                        nodes[name] = pool.stats()
        events = dict(self)
        return {
            "nodes": nodes,
            "refreshes": refreshes,
            "redirects": {"moved": events.get("moved", 0), "ask": events.get("ask", 0)},
            "retries": {k[6:]: v for k, v in events.items() if k.startswith("retry:")},
        }


def error_type(exc: BaseException) -> str:
    """``error.type``: the server's error prefix (``WRONGTYPE``, ``NOSCRIPT``, ``ERR``) for
    an error reply, else the exception's class name. Never its message (it may quote an
    argument)."""
    if isinstance(exc, ResponseError) and exc.args and isinstance(exc.args[0], str):
        msg = exc.args[0]
        if msg.startswith("Command # "):  # a pipeline's: "Command # 2 (...) caused error: <reply>"
            msg = msg.rpartition(" caused error: ")[2]
        word = msg.split(" ", 1)[0]
        if word.isupper() and word.isalpha():
            return word
    return type(exc).__name__


def _copy(items: Any) -> list[Any]:
    for _ in range(5):
        try:
            return list(items)
        except RuntimeError:  # changed size while copied (another thread's loop)
            continue
    return []


def snapshot(counters: PoolCounters, states: list[Any]) -> dict[str, Any]:
    """``ConnectionPool.stats()``: see its docstring."""
    shared = idle = used = connecting = 0
    in_flight: list[int] = []
    for st in states:
        for c in _copy(st.shared):
            if not c.closed:
                shared += 1
                in_flight.append(c.pending)
        idle += len(st.idle)
        used += len(st.in_use)
        connecting += (st.connecting is not None) + len(st.opening)
    return {
        "pool": counters.name,
        "connections": {"shared": shared, "idle": idle, "used": used, "connecting": connecting},
        "in_flight": sum(in_flight),
        "in_flight_per_shared": in_flight,
        "connects": counters.connects,
        "connect_errors": counters.connect_errors,
        "connect_timeouts": counters.connect_timeouts,
        "reconnects": counters.reconnects,
        "timeouts": counters.timeouts,
        "errors": dict(counters.errors),
    }


def retire_pubsub(pubsub: Any) -> None:
    """A PubSub is closing: its counts stay in the totals (once)."""
    if pubsub._counted:
        return
    pubsub._counted = True
    stats = pubsub.stats()
    for k in _retired:
        _retired[k] += int(stats.get(k) or 0) if k != "gaps" else _gaps_of(stats)


def _gaps_of(stats: dict[str, Any]) -> int:
    gaps = stats.get("gaps")
    return int(gaps if gaps is not None else stats["reconnects"])


def pubsub_totals() -> dict[str, int]:
    """Messages read, reconnects, gap events and dropped frames of every PubSub, the
    closed ones included; queued frames and bytes of the live ones."""
    out = dict(_retired)
    out["queued"] = out["queued_bytes"] = 0
    for p in _copy(PUBSUBS):
        if p._closed and not p._counted:
            # closed without retire_pubsub (the cluster's PubSub): its counts go to the
            # totals now, before it can be collected and take them away
            before = dict(_retired)
            retire_pubsub(p)
            for k in _retired:
                out[k] += _retired[k] - before[k]
        if p._counted:
            continue
        s = p.stats()
        out["messages"] += s["messages"]
        out["reconnects"] += s["reconnects"]
        out["gaps"] += _gaps_of(s)
        out["dropped"] += s["dropped"]
        out["queued"] += s["queued"]
        conn = p.connection
        out["queued_bytes"] += conn._qbytes if conn is not None and conn._queue else 0
    return out


async def opened(pool: Any, connecting: Any) -> Any:
    """Await ``connecting`` (a pool opening a connection) and count it; the connection
    then counts its error replies, timeouts and lost commands into the pool's counters."""
    from time import perf_counter

    from .exceptions import TimeoutError

    counters: PoolCounters = pool.counters
    h = hook
    t0 = perf_counter() if h is not None else 0.0
    try:
        conn = await connecting
    except TimeoutError:
        counters.connect_errors += 1
        counters.connect_timeouts += 1
        raise
    except Exception:
        counters.connect_errors += 1
        raise
    counters.connects += 1
    conn.counters = counters
    if h is not None:
        h.created(counters, perf_counter() - t0)
    return conn


def retire_cache(cache: Any) -> None:
    """A client-side cache is closing: its counts stay in the totals (once)."""
    if cache._counted:
        return
    cache._counted = True
    for k in _retired_cache:
        _retired_cache[k] += getattr(cache, k)


def cache_totals() -> dict[str, int]:
    """Hits, misses, evictions and invalidations of every client-side cache, the closed
    ones included; entries of the live ones."""
    out = dict(_retired_cache)
    out["entries"] = 0
    for c in _copy(CACHES):
        if c._counted:
            continue
        for k in _retired_cache:
            out[k] += getattr(c, k)
        out["entries"] += len(c._entries)
    return out
