"""Keyspace notifications on a Redis Cluster: subscribed on every primary, following the
cluster.

A node publishes the notifications of the keys it holds, to its own clients only (they
are not broadcast like PUBLISH), so the subscriptions are held on every primary. This is a
:class:`~fastredis.cluster.pubsub.ClusterPubSub` whose classic channels and patterns are
reconciled per primary instead of on one node: the same node connections, one stream and
one memory bound, the same reconciler (woken by a lost connection, a slot-map change and
its periodic tick) and the same :class:`~fastredis.cluster.pubsub.GapEvent`. After a
failover the promoted replica is subscribed by that reconciler, whether or not anybody is
reading or writing through this client; a node that is no longer a primary is let go.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Callable

from .._keyspace import AbstractAsyncKeyspaceNotifications
from ..exceptions import RedisError
from .pubsub import ClusterPubSub

if TYPE_CHECKING:
    from ._host import ClusterHost
    from ._pubsub_parts import GapEvent
    from .slots import ClusterNode

__all__ = ["AsyncClusterKeyspaceNotifications", "keyspace_notifications"]


class _EveryPrimaryPubSub(ClusterPubSub):
    """Classic subscriptions on one connection per primary (kept in ``_links``, by node
    name, where the shard connections of a ClusterPubSub live: this one has none)."""

    def __init__(self, client: ClusterHost, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._primaries_seen: set[str] = set()  # the primaries of the last complete pass

    def _primary_nodes(self) -> dict[str, ClusterNode]:
        return {n.name: n for n in self._rc._topology.primaries()}

    def _actual(self, key: tuple[str, Any]) -> bool:
        primaries = self._primary_nodes()
        if not primaries:
            return False
        for name in primaries:
            link = self._links.get(name)
            if link is None or link.conn.closed or key not in link.actual:
                return False
        return True

    async def _pass_classic(self, restored: list[Any]) -> bool:
        want = {("c", n) for n in self.channels} | {("p", n) for n in self.patterns}
        primaries = self._primary_nodes()
        # a node that is no longer a primary (a failover demoted it, or it left), or
        # nothing wanted any more: closing the connection lets go of everything it held
        for name, link in list(self._links.items()):
            if name not in primaries or not want:
                del self._links[name]
                self._retire(link)
        if not want:
            self._primaries_seen = set(primaries)
            return True
        if not primaries:
            self._refresh_wanted = True
            return False
        results = await asyncio.gather(*(self._sync_primary(node, want, restored)
                                         for node in primaries.values()), return_exceptions=True)
        ok = True
        for r in results:
            if r is not True:
                ok = False
                if isinstance(r, BaseException) and not isinstance(r, (RedisError, OSError,
                                                                      asyncio.TimeoutError)):
                    raise r
        if ok:
            self._primaries_seen = set(primaries)
        return ok

    async def _sync_primary(self, node: ClusterNode, want: set[tuple[str, Any]],
                            restored: list[Any]) -> bool:
        link = self._links.get(node.name)
        if link is None or link.conn.closed:
            try:
                link = await self._open_link(node, True)
            except (RedisError, OSError, asyncio.TimeoutError) as exc:
                for k in want:
                    self._errors.setdefault(k, exc)
                self._stats["last_error"] = repr(exc)
                self._refresh_wanted = True  # a dead primary: its replica takes over
                return False
            old = self._links.get(node.name)
            self._links[node.name] = link
            if old is not None and old is not link:
                self._retire(old)
            if self._primaries_seen and node.name not in self._primaries_seen:
                # a new primary (a promoted replica, a node given slots): what it
                # published before this subscription is lost
                for k in want:
                    if k not in self._announce:
                        self._open_gap(k, time.time(), "slot-moved", node.name)
        return await self._sync_link(link, want, restored)

    async def _pass_shards(self, restored: list[Any], start_pass: float) -> bool:
        return True  # no shard channels: ``_links`` holds the primaries' connections

    async def ssubscribe(self, *channels: Any, target_node: Any = None, **handlers: Any) -> None:
        raise NotImplementedError("keyspace notifications use classic Pub/Sub only")

    async def resync(self) -> None:
        """Refresh the slot map and reconcile now; returns when every primary holds
        every subscription (or raises what failed)."""
        self._start()
        await self._rc._topology.refresh()
        assert self._lock is not None
        async with self._lock:
            ok = await self._pass()
        if not ok:
            self._want_refresh()
            err = next(iter(self._errors.values()), None)
            raise err if isinstance(err, RedisError) else RedisError(
                "keyspace notifications: not subscribed on every primary yet")


class AsyncClusterKeyspaceNotifications(AbstractAsyncKeyspaceNotifications):
    """Keyspace notifications of every primary of a cluster:
    ``AsyncClusterKeyspaceNotifications(rc, key_prefix=None, ignore_subscribe_messages=True,
    on_gap=None, reconcile_interval=2.0, **pubsub_options)``.

    ``subscribe`` returns once every primary confirmed. Afterwards the subscriptions
    follow the cluster by themselves: a new primary (a promoted replica after a failover
    or a kill, a node given slots) is subscribed, a demoted one let go, a lost connection
    restored, without an error reaching the reader or a call to
    :meth:`refresh_subscriptions`. Each time subscriptions were not in force somewhere a
    :class:`~fastredis.cluster.pubsub.GapEvent` goes to ``on_gap`` and
    :meth:`stats` (``gaps``, ``last_gaps``): notifications of that window may be lost.
    ``reconcile_interval``: how often the slot map is checked when nothing reported a
    change."""

    def __init__(self, redis_cluster: ClusterHost, key_prefix: str | bytes | None = None,
                 ignore_subscribe_messages: bool = True, *,
                 on_gap: Callable[[GapEvent], Any] | None = None,
                 reconcile_interval: float = 2.0, **pubsub_options: Any) -> None:
        super().__init__(key_prefix, ignore_subscribe_messages)
        self.cluster = redis_cluster
        pubsub_options["ignore_subscribe_messages"] = True
        self._pubsub: _EveryPrimaryPubSub = _EveryPrimaryPubSub(
            redis_cluster, on_gap=on_gap, reconcile_interval=reconcile_interval, **pubsub_options)

    async def refresh_subscriptions(self) -> None:
        """Refresh the slot map and subscribe every primary now (redis-py's method; the
        subscriptions also follow the cluster without it). Raises when a primary could
        not be subscribed (the reconciler keeps trying)."""
        await self._pubsub.resync()

    async def __aenter__(self) -> AsyncClusterKeyspaceNotifications:
        return self


def keyspace_notifications(redis_cluster: ClusterHost, key_prefix: str | bytes | None = None,
                           ignore_subscribe_messages: bool = True,
                           **options: Any) -> AsyncClusterKeyspaceNotifications:
    """``RedisCluster.keyspace_notifications()``: see :class:`AsyncClusterKeyspaceNotifications`."""
    return AsyncClusterKeyspaceNotifications(redis_cluster, key_prefix, ignore_subscribe_messages,
                                             **options)

