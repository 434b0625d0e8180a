"""Discovery and refresh of the slot map.

* ``CLUSTER SHARDS`` (fallback ``CLUSTER SLOTS`` before Redis 7) is asked of several nodes
  at once (⌈log2 n⌉+1, at least 3) and the view most of them give is kept; on a tie the one
  covering more slots wins (valkey-glide's consensus; redis-py and ioredis take the first
  answer, which may be a partitioned node's).
* The seeds are kept for ever and asked again (DNS re-resolved) when no known node answers
  (go-redis; redis-py forgets them, redis-py#2472).
* A refresh is single-flight (every trigger joins the one in flight), rate-limited with
  jitter, and *diffs* the maps: nodes that stay keep their connection; only nodes that left
  the cluster are closed, once idle (redis-py closes every connection on every 5th MOVED).
* MOVED patches one slot at once (``moved``), before any refresh.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter
from typing import Any, Awaitable, Callable

from .._log import get_logger
from ..exceptions import AuthenticationError, ConnectionError, RedisError, ResponseError
from .slots import (
    PRIMARY,
    REPLICA,
    ROUTING,
    ClusterNode,
    Remap,
    SlotMap,
    View,
    coverage,
    parse_shards,
    parse_slots,
    split_address,
)

__all__ = ["Topology"]

log = get_logger("fastredis.cluster")

Opener = Callable[[ClusterNode], Awaitable[Any]]


def _retrieve(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


class Topology:
    """The nodes, the slot map and how they are kept current."""

    def __init__(self, seeds: list[tuple[str, int]], opener: Opener, *,
                 address_remap: Remap | None = None, tls: bool = False,
                 min_interval: float = 0.25, query_timeout: float = 2.0,
                 reinitialize_steps: int | None = None, dynamic_startup_nodes: bool = True) -> None:
        self.seeds = list(seeds)
        # redis-py's reinitialize_steps: a refresh after every Nth MOVED (None: after
        # each, rate-limited; 0: never, the MOVED patch alone)
        self.reinitialize_steps = reinitialize_steps
        self._moved = 0
        # redis-py's dynamic_startup_nodes=False: refreshes ask the seeds (a DNS name, a
        # load balancer) first, the discovered addresses only if no seed answers
        self.dynamic_startup_nodes = dynamic_startup_nodes
        self._open = opener
        self._remap = address_remap
        self._tls = tls
        self.min_interval = min_interval
        self.query_timeout = query_timeout
        self.nodes: dict[str, ClusterNode] = {}
        self.slots = SlotMap()
        self._connections: tuple[int, list[Any]] | None = None  # (epoch, slot -> connection)
        self._retired: list[ClusterNode] = []
        self._seed_nodes: dict[str, ClusterNode] = {}
        self._use_slots = False
        self._pending: asyncio.Future[Any] | None = None
        self._last = -math.inf
        self.queries = 0  # CLUSTER SHARDS/SLOTS sent: tests count them
        self.refreshes = 0
        self.closing = False
        # called with the slots whose primary changed (MOVED, a refresh that changed the
        # map): the client-side cache drops their entries (the new owner never saw our reads)
        self.on_owner_change: Callable[[list[int]], None] | None = None
        # called (no arguments) after the slot map changed: the cluster PubSub reconciles
        self.on_change: list[Callable[[], Any]] = []

    # ------------------------------------------------------------------ lookups
    def node(self, address: str) -> ClusterNode:
        """The node at ``host:port`` (a new one, not yet in the map, for a redirect to an
        address we have not seen)."""
        host, port = split_address(address)
        if self._remap is not None:
            host, port = self._remap((host, port))
        name = f"{host}:{port}"
        node = self.nodes.get(name)
        if node is None:
            node = self.nodes[name] = ClusterNode(host, port, PRIMARY)
        return node

    def primaries(self) -> list[ClusterNode]:
        return [self.nodes[s[1]] for s in self.slots.view if s[1] in self.nodes]

    def connections(self) -> list[Any]:
        """slot -> the shared connection of its primary (None: no primary in the map, or
        not connected): what the split MGET/DEL/MSET groups keys by, one C lookup per key.
        Rebuilt (~0.2 ms) when ``ROUTING`` has moved on since; a connection found closed
        or of another loop is the caller's to check (``forget_connections``)."""
        table = self._connections
        epoch = ROUTING.value
        if table is None or table[0] != epoch:
            table = self._connections = (epoch, [None if node is None else node.connection
                                                 for node in self.slots.primaries])
        return table[1]

    def forget_connections(self) -> None:
        self._connections = None

    def replicas(self) -> list[ClusterNode]:
        return [self.nodes[r] for s in self.slots.view for r in s[2] if r in self.nodes]

    def moved(self, slot: int, address: str) -> ClusterNode:
        """MOVED: that slot belongs to ``address`` now. Patched at once; a refresh follows
        (rate-limited) to learn the rest of the change."""
        node = self.node(address)
        old = self.slots.primaries[slot]
        self.slots.primaries[slot] = node
        ROUTING.bump()
        self.slots.replicas[slot] = ()
        if old is not node and self.on_owner_change is not None:
            self.on_owner_change([slot])
        steps = self.reinitialize_steps
        if steps is None:
            self.request_refresh()
        elif steps:
            self._moved += 1
            if self._moved >= steps:
                self._moved = 0
                self.request_refresh()
        return node

    # ------------------------------------------------------------------ refresh
    def request_refresh(self) -> asyncio.Future[Any]:
        """Start (or join) a refresh; returns its future. Never more than one in flight,
        and never sooner than ``min_interval`` (±50% jitter) after the previous start."""
        loop = asyncio.get_running_loop()
        fut = self._pending
        if fut is not None and not fut.done() and fut.get_loop() is loop:
            return fut
        if fut is not None and fut.get_loop() is not loop:
            self._last = -math.inf  # a client reused on a new event loop: its clock differs
        delay = self._last + self.min_interval * (0.5 + random.random()) - loop.time()
        fut = self._pending = asyncio.ensure_future(self._run(max(0.0, delay)))
        fut.add_done_callback(_retrieve)
        return fut

    async def refresh(self) -> None:
        await asyncio.shield(self.request_refresh())

    async def _run(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        self._last = asyncio.get_running_loop().time()
        self.refreshes += 1
        await self._discover()

    def _candidates(self) -> list[ClusterNode]:
        known = list(self.nodes.values())
        random.shuffle(known)
        # primaries first: they hold the freshest view of their own slots
        known.sort(key=lambda n: n.server_type != PRIMARY)
        return known

    def _seed(self, host: str, port: int) -> ClusterNode:
        name = f"{host}:{port}"
        node = self.nodes.get(name) or self._seed_nodes.get(name)
        if node is None:
            node = self._seed_nodes[name] = ClusterNode(host, port)
        return node

    async def _discover(self) -> None:
        known = self._candidates()
        want = max(3, math.ceil(math.log2(max(len(known), 1))) + 1)
        errors: list[BaseException] = []
        # known nodes in batches, then the seeds (asked again each time: DNS may have moved);
        # the seeds first with dynamic_startup_nodes=False
        batches = [known[i:i + want] for i in range(0, len(known), want)]
        seeds = [self._seed(h, p) for h, p in self.seeds]
        if self.dynamic_startup_nodes:
            batches.append(seeds)
        else:
            batches.insert(0, seeds)
        for batch in batches:
            results = await asyncio.gather(*(self._ask(n) for n in batch), return_exceptions=True)
            views: list[tuple[View, dict[str, dict[str, Any]]]] = []
            for r in results:
                if isinstance(r, BaseException):
                    if isinstance(r, asyncio.CancelledError):
                        raise r
                    errors.append(r)
                elif r[0]:
                    views.append(r)
            if views:
                self._apply(*self._consensus(views))
                return
        for e in errors:
            if isinstance(e, AuthenticationError):
                raise e  # a wrong password is not a topology problem: say so
        err = errors[-1] if errors else None
        raise ConnectionError(
            "No cluster node answered CLUSTER SHARDS/SLOTS (asked every known node and the "
            f"seeds {', '.join(f'{h}:{p}' for h, p in self.seeds)})"
        ) from err

    async def _ask(self, node: ClusterNode) -> tuple[View, dict[str, dict[str, Any]]]:
        conn = await asyncio.wait_for(self._open(node), self.query_timeout)
        self.queries += 1
        if not self._use_slots:
            try:
                reply = await asyncio.wait_for(conn.execute(("CLUSTER", "SHARDS")), self.query_timeout)
                return parse_shards(reply, node.name, self._remap, self._tls)
            except ResponseError as exc:
                if "unknown" not in str(exc).lower():
                    raise
                self._use_slots = True  # before Redis 7
                self.queries += 1
        reply = await asyncio.wait_for(conn.execute(("CLUSTER", "SLOTS")), self.query_timeout)
        return parse_slots(reply, node.name, self._remap, self._tls)

    @staticmethod
    def _consensus(views: list[tuple[View, dict[str, dict[str, Any]]]]) -> tuple[View, dict[str, dict[str, Any]]]:
        counts = Counter(v for v, _ in views)
        best = max(counts, key=lambda v: (counts[v], coverage(v)))
        meta: dict[str, dict[str, Any]] = {}
        for v, m in views:
            if v == best:
                meta.update(m)
        return best, meta

    def _apply(self, view: View, meta: dict[str, dict[str, Any]]) -> None:
        """Install a new map: keep every node (and its connection) that stays; close only
        the connections of nodes that left, once nothing is in flight on them."""
        old = self.slots.view
        nodes: dict[str, ClusterNode] = {}
        for _ranges, primary, replicas in view:
            for addr, role in ((primary, PRIMARY), *((r, REPLICA) for r in replicas)):
                # a seed spelt like its node is that node: one object, one connection
                node = self.nodes.get(addr) or self._seed_nodes.get(addr)
                if node is None:
                    host, port = split_address(addr)
                    node = ClusterNode(host, port)
                node.server_type = role
                info = meta.get(addr) or {}
                node.node_id = info.get("node_id") or node.node_id
                node.tls_hostname = info.get("hostname") or node.tls_hostname
                nodes[addr] = node
        for name, node in self.nodes.items():
            if name not in nodes:
                self._retired.append(node)
        self.nodes = nodes
        before = self.slots
        self.slots = SlotMap(view, nodes)
        ROUTING.bump()
        if self.on_owner_change is not None:
            # compared with the map in use (MOVED patches included), not the last view
            changed = [s for s, (a, b) in enumerate(zip(before.primaries, self.slots.primaries))
                       if a is not b and (a is None or b is None or a.name != b.name)]
            if changed:
                self.on_owner_change(changed)
        retired, self._retired = self._retired, []
        for node in retired:
            if node.name in nodes:
                continue
            if node.pool is not None and node.pool.busy():
                self._retired.append(node)  # still answering: close on a later refresh
            else:
                _disconnect(node)
        for name, node in list(self._seed_nodes.items()):
            # a seed spelt differently from its node name (a DNS name): its discovery
            # connection is not kept beside the node's own one
            if name not in nodes and node.pool is not None and not node.pool.busy():
                _disconnect(node)
        if old != view:
            log.info("cluster slot map changed: %d shards, %d slots covered",
                     len(view), coverage(view))
            for cb in list(self.on_change):
                cb()

    def close(self) -> list[Any]:
        """Close every node's connections; what to ``await`` to see this loop's released."""
        self.closing = True
        fut = self._pending
        if fut is not None and not fut.done():
            if fut.get_loop() is asyncio.events._get_running_loop():
                fut.cancel()
            elif not fut.get_loop().is_closed():  # a refresh another loop runs: ask it
                fut.get_loop().call_soon_threadsafe(fut.cancel)
        return [_disconnect(node) for node in self._all_nodes() if node.pool is not None]

    def _all_nodes(self) -> list[ClusterNode]:
        return [*self.nodes.values(), *self._retired, *self._seed_nodes.values()]

    def all_connections(self) -> list[Any]:
        """The shared connection of every node, of every event loop."""
        out: dict[int, Any] = {}
        for node in self._all_nodes():
            for conn in node.pool.shared_connections() if node.pool is not None else ():
                out[id(conn)] = conn
        return list(out.values())


def _disconnect(node: ClusterNode) -> Any:
    """Close the node's connections, on every event loop (each on its own, thread-safe);
    its pool stays usable (the node may be asked again)."""
    return node.pool.disconnect() if node.pool is not None else None


_ = RedisError  # re-exported for type checkers of callers
