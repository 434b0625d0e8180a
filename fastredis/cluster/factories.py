"""What a ``RedisCluster`` makes: pipelines, transactions, Pub/Sub, keyspace notifications,
scripts. Mixed into ``RedisCluster`` (client.py keeps topology, routing and execution);
each object made takes the client itself, and the modules that define them are imported
on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr, Callable, Generic

from ..exceptions import DataError
from .errors import RedisClusterException
from .fanout import _host

if TYPE_CHECKING:
    from .keyspace_notifications import AsyncClusterKeyspaceNotifications
    from .pipeline import ClusterPipeline
    from .slots import ClusterNode

__all__ = ["ClientObjects"]


class ClientObjects(Generic[AnyStr]):
    """Mixed into ``RedisCluster`` (its state is the client's)."""

    if TYPE_CHECKING:
        health_check_interval: float | None

    def pipeline(self, transaction: bool | None = None, shard_hint: Any = None) -> ClusterPipeline[AnyStr]:
        """A cluster pipeline: commands grouped per node, one write per node, in parallel.
        ``transaction=True``: MULTI/EXEC, every key in one slot. ``shard_hint`` has no
        meaning on a cluster (redis-py refuses it too): a DataError."""
        from .pipeline import ClusterPipeline

        _no_shard_hint(shard_hint)
        return ClusterPipeline(_host(self), bool(transaction))

    async def transaction(self, func: Callable[..., Any], *watches: Any,
                          value_from_callable: bool = False, watch_delay: float | None = None,
                          shard_hint: Any = None) -> Any:
        """redis-py's helper: ``func(pipe)`` under WATCH (keys of one slot), retried on
        WatchError."""
        from .._transaction import run_transaction

        _no_shard_hint(shard_hint)

        return await run_transaction(self, func, watches, value_from_callable, watch_delay)

    def pubsub(self, node: ClusterNode | None = None, host: str | None = None,
               port: int | None = None, **kwargs: Any) -> Any:
        """A cluster PubSub (fastredis/cluster/pubsub.py): classic channels on one node
        (``node`` / ``host``+``port`` if given), sharded channels on their slot owners,
        one stream; it follows migrations and failovers and reports gaps (``on_gap``)."""
        from .pubsub import ClusterPubSub

        if self.health_check_interval is not None:  # the client's option covers its PubSub too
            kwargs.setdefault("health_check_interval", self.health_check_interval)
        # (node, host, port) are checked as redis-py does in ClusterPubSub (pubsub_node)
        return ClusterPubSub(_host(self), node=node, host=host, port=port, **kwargs)

    def keyspace_notifications(self, key_prefix: str | bytes | None = None,
                               ignore_subscribe_messages: bool = True,
                               **options: Any) -> AsyncClusterKeyspaceNotifications:
        """Keyspace notifications of every primary (redis-py 8's method): see
        :class:`fastredis.keyspace_notifications.AsyncClusterKeyspaceNotifications`."""
        from .keyspace_notifications import keyspace_notifications

        return keyspace_notifications(_host(self), key_prefix, ignore_subscribe_messages, **options)

    def register_script(self, script: str | bytes) -> Any:
        from ..commands.scripting import Script

        return Script(self, script)


def _no_shard_hint(shard_hint: Any) -> None:
    if shard_hint is not None:
        # redis-py's words (its suite compares them); commands go where their keys' slots are
        raise _ShardHintError("shard_hint is deprecated in cluster mode")


class _ShardHintError(RedisClusterException, DataError):
    """redis-py raises RedisClusterException; a DataError too (what this client raised before)."""
