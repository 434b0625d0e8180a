"""fastredis: a fast, dependable asyncio Redis client with the redis-py / aredis API."""

from .client import Redis, StrictRedis, from_url
from .connection import ConnectionParams
from .exceptions import (
    AuthenticationError,
    AuthorizationError,
    BusyLoadingError,
    ClientClosedError,
    ConnectionError,
    DataError,
    ExecAbortError,
    InvalidResponse,
    MaxReplySizeError,
    NoPermissionError,
    NoScriptError,
    ProtocolError,
    PubSubError,
    ReadOnlyError,
    RedisError,
    ResponseError,
    TimeoutError,
    WatchError,
)
from .pool import ConnectionPool

__version__ = "0.1.0"

__all__ = [
    "Redis", "StrictRedis", "from_url", "ConnectionPool", "ConnectionParams",
    "RedisError", "ConnectionError", "TimeoutError", "AuthenticationError",
    "AuthorizationError", "BusyLoadingError", "InvalidResponse", "ProtocolError",
    "MaxReplySizeError", "ResponseError", "DataError", "PubSubError", "WatchError",
    "NoScriptError", "ExecAbortError", "ReadOnlyError", "NoPermissionError",
    "ClientClosedError",
]


def __getattr__(name: str):  # PubSub / Pipeline on demand: keeps `import fastredis` light
    if name == "PubSub":
        from .pubsub import PubSub

        return PubSub
    if name == "Pipeline":
        from .pipeline import Pipeline

        return Pipeline
    raise AttributeError(f"module 'fastredis' has no attribute {name!r}")
