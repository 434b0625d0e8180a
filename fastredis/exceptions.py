"""Exception hierarchy (redis-py / aredis compatible) and the one table that maps
server error prefixes to classes."""

from __future__ import annotations

__all__ = [
    "RedisError", "ConnectionError", "TimeoutError", "AuthenticationError",
    "AuthorizationError", "BusyLoadingError", "InvalidResponse", "ProtocolError",
    "ResponseError", "DataError", "PubSubError", "WatchError", "NoScriptError",
    "ExecAbortError", "ReadOnlyError", "NoPermissionError", "ModuleError",
    "OutOfMemoryError", "MaxReplySizeError", "ClusterDownError", "MovedError",
    "AskError", "TryAgainError", "LockError", "LockNotOwnedError", "ClientClosedError",
    "MaxConnectionsError", "ClusterError", "RedisClusterException", "CrossSlotError",
    "CrossSlotTransactionError", "NoSuchFieldsetError",
]

import builtins


class RedisError(Exception):
    pass


class ConnectionError(RedisError, builtins.ConnectionError):
    """The connection could not be made or was lost. Subclasses the builtin too, so
    ``except ConnectionError`` written against either catches it."""


class TimeoutError(RedisError, builtins.TimeoutError):
    pass


class MaxConnectionsError(ConnectionError):
    """More connections to one node than ``max_connections`` allows (redis-py's name);
    raised before a connection is opened, so nothing was sent."""


class ClientClosedError(ConnectionError):
    """The client (its connection pool) was closed with ``aclose()``: nothing is sent and
    nothing reopens behind your back; create a new client to connect again. Never retried."""


class AuthenticationError(ConnectionError):
    pass


class AuthorizationError(ConnectionError):
    pass


class BusyLoadingError(ConnectionError):
    pass


class InvalidResponse(RedisError):
    pass


class ProtocolError(ConnectionError, InvalidResponse):
    """The byte stream from the server could not be parsed: the connection is closed."""


class MaxReplySizeError(ProtocolError):
    pass


class ResponseError(RedisError):
    pass


class DataError(RedisError):
    pass


class NoSuchFieldsetError(ResponseError):
    """``HIMPORT SET`` named a fieldset its connection does not hold (redis-py's name).
    ``himport_set`` prepares declared fieldsets itself: this reaches the caller for a
    fieldset never declared with ``himport_prepare``, or one the server lost twice."""


class PubSubError(RedisError):
    pass


class WatchError(RedisError):
    pass


class NoScriptError(ResponseError):
    pass


class ExecAbortError(ResponseError):
    pass


class ReadOnlyError(ResponseError):
    pass


class NoPermissionError(ResponseError):
    pass


class ModuleError(ResponseError):
    pass


class OutOfMemoryError(ResponseError):
    pass


class ClusterDownError(ResponseError):
    pass


class MovedError(ResponseError):
    pass


class AskError(ResponseError):
    pass


class TryAgainError(ResponseError):
    pass


class ClusterError(RedisError):
    """The cluster could not serve a command (no node answers, a slot nobody serves)."""


RedisClusterException = ClusterError  # redis-py's name


class CrossSlotError(ClusterError, DataError):
    """A multi-key command whose keys are in several slots and which cannot be split
    (raised before anything is sent). Use a hash tag: ``{user1}:a``, ``{user1}:b``."""


class CrossSlotTransactionError(CrossSlotError):
    """A cluster transaction (MULTI/EXEC, or WATCH) whose keys are in several slots
    (redis-py's name); raised before anything is sent."""


class LockError(RedisError, ValueError):
    """Errors acquiring, releasing, extending a :class:`fastredis.lock.Lock`
    (a ValueError too, as in redis-py, which modelled it on ``threading.Lock``)."""

    def __init__(self, message: str | None = None, lock_name: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.lock_name = lock_name


class LockNotOwnedError(LockError):
    """The lock is not held by this owner (any more): it expired, or another owner has it."""


class WrongLoop(Exception):
    """Internal: a connection of another event loop (a client reused across
    ``asyncio.run`` calls or benchmark rounds). Raised before anything is written, so the
    client takes a connection of the running loop instead; never reaches the user."""


# The one table: first word of the server's error -> class. Longer, more specific
# messages (redis-py matches these on full text) are listed in _BY_MESSAGE.
_BY_PREFIX: dict[str, type[RedisError]] = {
    "NOSCRIPT": NoScriptError,
    "EXECABORT": ExecAbortError,
    "READONLY": ReadOnlyError,
    "NOPERM": NoPermissionError,
    "LOADING": BusyLoadingError,
    "OOM": OutOfMemoryError,
    "WRONGPASS": AuthenticationError,
    "NOAUTH": AuthenticationError,
    "CLUSTERDOWN": ClusterDownError,
    "MOVED": MovedError,
    "ASK": AskError,
    "TRYAGAIN": TryAgainError,
}

_BY_MESSAGE: tuple[tuple[str, type[RedisError]], ...] = (
    ("ERR max number of clients reached", ConnectionError),
    ("ERR invalid password", AuthenticationError),
    ("ERR Client sent AUTH, but no password is set", AuthenticationError),
    ("ERR AUTH <password> called without any password configured", AuthenticationError),
    ("ERR Error running script", ResponseError),
    ("ERR unknown command 'module'", ModuleError),
    ("ERR no such fieldset", NoSuchFieldsetError),
)


def error_from_reply(message: str) -> RedisError:
    """Build the exception for one server error reply (``message`` without the '-')."""
    prefix = message.split(" ", 1)[0]
    cls = _BY_PREFIX.get(prefix)
    if cls is not None:
        return cls(message)
    for start, klass in _BY_MESSAGE:
        if message.startswith(start):
            return klass(message)
    return ResponseError(message)
