"""Redis Cluster: ``RedisCluster`` over the same connection and command mixins as ``Redis``.

Modules: ``slots`` (key slots, nodes, the slot map), ``topology`` (discovery, refresh),
``nodes`` (each node's ConnectionPool), ``routing`` (where a command goes, from COMMAND),
``client`` (RedisCluster: the one-slot path, redirections and retries) and what it is
mixed from: ``selection`` (which node), ``fanout`` (keyless, targeted, SCAN), ``blocking``,
``commands`` (cluster_* and lock), ``options``; ``batch`` (one write per node),
``pipeline``, ``pubsub`` (ClusterPubSub: classic and sharded Pub/Sub that follows the
cluster)."""

from .client import RedisCluster
from .errors import (
    ClusterError,
    CrossSlotError,
    CrossSlotTransactionError,
    RedisClusterException,
    SlotNotCoveredError,
    TooManyRedirections,
)
from .pubsub import ClusterPubSub, GapEvent
from .slots import ClusterNode, LoadBalancingStrategy, key_slot

__all__ = ["RedisCluster", "ClusterNode", "ClusterError", "CrossSlotError", "CrossSlotTransactionError",
           "RedisClusterException", "TooManyRedirections", "key_slot", "ClusterPubSub", "GapEvent",
           "LoadBalancingStrategy", "SlotNotCoveredError"]
