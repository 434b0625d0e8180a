"""fastredis: a fast, dependable asyncio Redis client with the redis-py / aredis API."""

from typing import TYPE_CHECKING

from .client import Redis, StrictRedis, from_url
from .connection import ConnectionParams
from .exceptions import (
    AuthenticationError,
    AuthorizationError,
    BusyLoadingError,
    ClientClosedError,
    ClusterError,
    ConnectionError,
    CrossSlotError,
    CrossSlotTransactionError,
    DataError,
    ExecAbortError,
    InvalidResponse,
    LockError,
    LockNotOwnedError,
    MaxConnectionsError,
    MaxReplySizeError,
    NoPermissionError,
    NoScriptError,
    ProtocolError,
    PubSubError,
    ReadOnlyError,
    RedisClusterException,
    RedisError,
    ResponseError,
    TimeoutError,
    WatchError,
)
from .pool import BlockingConnectionPool, ConnectionPool

if TYPE_CHECKING:  # imported on first use at runtime (_LAZY below); visible to type checkers
    from .cache import CacheConfig as CacheConfig
    from .cache import ClientCache as ClientCache
    from .cache import TrackingError as TrackingError
    from .cluster import ClusterNode as ClusterNode
    from .cluster import RedisCluster as RedisCluster
    from .credentials import CredentialProvider as CredentialProvider
    from .credentials import StreamingCredentialProvider as StreamingCredentialProvider
    from .credentials import (
        UsernamePasswordCredentialProvider as UsernamePasswordCredentialProvider,
    )
    from .lock import Lock as Lock
    from .pipeline import Pipeline as Pipeline
    from .pubsub import PubSub as PubSub
    from .pubsub import Subscription as Subscription
    from .sentinel import Sentinel as Sentinel

__version__ = "0.2.0"

__all__ = [
    "Redis", "StrictRedis", "from_url", "ConnectionPool", "BlockingConnectionPool", "ConnectionParams",
    "RedisError", "ConnectionError", "TimeoutError", "AuthenticationError",
    "AuthorizationError", "BusyLoadingError", "InvalidResponse", "ProtocolError",
    "MaxReplySizeError", "ResponseError", "DataError", "PubSubError", "WatchError",
    "NoScriptError", "ExecAbortError", "ReadOnlyError", "NoPermissionError",
    "LockError", "LockNotOwnedError",
    "ClientClosedError", "MaxConnectionsError",
    "ClusterError", "RedisClusterException", "CrossSlotError", "CrossSlotTransactionError",
    # imported on first use (_LAZY below)
    "PubSub", "Subscription", "Pipeline", "Lock", "RedisCluster", "ClusterNode", "Sentinel",
    "CacheConfig", "ClientCache", "TrackingError",
    "CredentialProvider", "StreamingCredentialProvider", "UsernamePasswordCredentialProvider",
]


# Imported on first use, so `import fastredis` stays light (one line per lazy name).
_LAZY = {
    "PubSub": "pubsub",
    "Subscription": "pubsub",
    "Sentinel": "sentinel",
    "RedisCluster": "cluster",
    "ClusterNode": "cluster",
    "Pipeline": "pipeline",
    "Lock": "lock",
    "CacheConfig": "cache",
    "ClientCache": "cache",
    "TrackingError": "cache",
    "CredentialProvider": "credentials",
    "StreamingCredentialProvider": "credentials",
    "UsernamePasswordCredentialProvider": "credentials",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fastredis' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __name__), name)
