"""Credential providers, with redis-py's names and semantics (``redis.credentials``).

``Redis(credential_provider=p)`` (and ``ConnectionPool``, ``BlockingConnectionPool``,
``from_url``, ``Sentinel``) asks ``p`` for ``(password,)`` or ``(username, password)`` on
every new connection and every reconnect (``get_credentials_async()`` when the provider
has its own, else ``get_credentials()``). A *streaming* provider (one with ``on_next`` /
``on_error``: redis-py's ``StreamingCredentialProvider``, redis-entraid's
``EntraIdCredentialsProvider``) also pushes new credentials; every pool using it then
re-authenticates its live connections in place (an ``AUTH`` queued in each connection's
FIFO: nothing pauses, nothing races a reader). See docs/connections.md.

Providers are duck-typed: redis-py's own classes work unchanged. Secrets never appear in a
repr, an exception text or a log record made here."""

from __future__ import annotations

import threading
import weakref
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Callable, Generator

from ._log import get_logger
from .exceptions import AuthenticationError, DataError, RedisError

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "CredentialProvider", "StreamingCredentialProvider", "UsernamePasswordCredentialProvider",
]

Credentials = tuple[str | None, str]  # (username or None, password)


def _logger() -> Any:
    return get_logger("fastredis.credentials")


class CredentialProvider:
    """Gives the credentials of each new connection: ``get_credentials()`` returns
    ``(password,)`` or ``(username, password)``; the asyncio client calls
    ``get_credentials_async()``, which by default calls ``get_credentials()``."""

    def get_credentials(self) -> tuple[str] | tuple[str, str]:
        raise NotImplementedError("get_credentials must be implemented")

    async def get_credentials_async(self) -> tuple[str] | tuple[str, str]:
        return self.get_credentials()


class StreamingCredentialProvider(CredentialProvider, ABC):
    """A provider that also pushes new credentials: ``on_next(callback)`` registers the
    callback called with each new token (or credentials tuple), ``on_error(callback)``
    the one called when a refresh failed."""

    @abstractmethod
    def on_next(self, callback: Callable[[Any], Any]) -> None: ...

    @abstractmethod
    def on_error(self, callback: Callable[[Exception], Any]) -> None: ...

    @abstractmethod
    def is_streaming(self) -> bool: ...


class UsernamePasswordCredentialProvider(CredentialProvider):
    """Static credentials (redis-py's class): ``(username, password)``, or ``(password,)``
    when no username is given."""

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        self.username = username or ""
        self.password = password or ""

    def get_credentials(self) -> tuple[str] | tuple[str, str]:
        if self.username:
            return self.username, self.password
        return (self.password,)

    async def get_credentials_async(self) -> tuple[str] | tuple[str, str]:
        return self.get_credentials()

    def __repr__(self) -> str:
        return f"<UsernamePasswordCredentialProvider username={self.username!r} password=<hidden>>"


# ---------------------------------------------------------------------------- internals
def _own_async(provider: Any) -> bool:
    """The provider has a ``get_credentials_async`` of its own (not the base class's,
    which only calls ``get_credentials`` - redis-py's also logs a warning each time)."""
    fn = getattr(type(provider), "get_credentials_async", None)
    if fn is None:
        return False
    return getattr(fn, "__qualname__", "") != "CredentialProvider.get_credentials_async"


def check(provider: Any) -> None:
    """A provider must at least have ``get_credentials`` or ``get_credentials_async``."""
    if not (callable(getattr(provider, "get_credentials_async", None))
            or callable(getattr(provider, "get_credentials", None))):
        raise DataError(
            f"credential_provider must have get_credentials() or get_credentials_async(), "
            f"got {type(provider).__name__}"
        )


def normalize(creds: Any) -> Credentials:
    """``(password,)`` / ``(username, password)`` (or a redis-entraid token) into
    ``(username or None, password)``; anything else is a DataError that never shows it."""
    if hasattr(creds, "get_value"):  # a token: redis-entraid's TokenInterface
        try_get = getattr(creds, "try_get", None)
        user = try_get("oid") if callable(try_get) else None
        return (str(user) if user else None), str(creds.get_value())
    if isinstance(creds, (tuple, list)):
        if len(creds) == 1 and creds[0] is not None:
            return None, str(creds[0])
        if len(creds) == 2 and creds[1] is not None:
            return (str(creds[0]) if creds[0] else None), str(creds[1])
    raise DataError(
        "the credential provider must return (password,) or (username, password), "
        f"got a {type(creds).__name__}" + (f" of {len(creds)} items" if isinstance(creds, (tuple, list)) else "")
    )


async def fetch(provider: Any) -> Credentials:
    """The provider's current credentials. A provider that raises gives that error to the
    caller as an AuthenticationError (a ConnectionError: retry policies and Pub/Sub
    reconnects treat it as one) chained to it, naming the provider's error - unless it
    raised a fastredis error, which is kept as it is."""
    try:
        if _own_async(provider):
            creds = await provider.get_credentials_async()
        else:
            creds = provider.get_credentials()
    except RedisError:
        raise
    except Exception as exc:
        raise AuthenticationError(
            f"the credential provider {type(provider).__name__} failed: {type(exc).__name__}: {exc}"
        ) from exc
    return normalize(creds)


def auth_command(creds: Credentials) -> tuple[Any, ...]:
    user, password = creds
    return ("AUTH", user, password) if user else ("AUTH", password)


def streams(provider: Any) -> bool:
    """Whether the provider pushes credentials (has ``on_next`` and ``on_error``). Its
    ``is_streaming()`` is not consulted: redis-entraid's says False until the first
    ``get_credentials`` call, yet its token manager then calls ``on_next``."""
    return callable(getattr(provider, "on_next", None)) and callable(getattr(provider, "on_error", None))


class _Rotation:
    """What ``on_next`` returns: awaitable (redis-entraid's async token manager awaits its
    callback: it then waits until the connections of the running loop have answered their
    AUTH) and harmless when nobody awaits it (a token manager running in a thread)."""

    __slots__ = ("_futures",)

    def __init__(self, futures: list[asyncio.Future[Any]]) -> None:
        self._futures = futures

    def __await__(self) -> Generator[Any, None, None]:
        import asyncio

        if self._futures:
            yield from asyncio.gather(*self._futures, return_exceptions=True).__await__()


class Fanout:
    """The one listener registered with a streaming provider, for every pool that uses it.
    redis-entraid's provider keeps a single ``on_next`` slot: a provider shared by a
    client's pool, its Sentinel pools or the nodes of a cluster would otherwise rotate
    only the pool that registered last. Holds the last credentials pushed (never shown)
    and an epoch, bumped per push: a connection whose handshake began before a push is
    brought up to date when its pool takes it in (``ConnectionPool._catch_up``)."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.pools: weakref.WeakSet[Any] = weakref.WeakSet()
        self.epoch = 0
        self.latest: Credentials | None = None
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        provider.on_next(self.on_next)
        provider.on_error(self.on_error)

    def __repr__(self) -> str:
        return f"<credentials.Fanout {type(self.provider).__name__} epoch={self.epoch} pools={len(self.pools)}>"

    def on_next(self, token: Any) -> _Rotation:
        """New credentials (a token, or a credentials tuple): every live connection of
        every pool re-authenticates (one AUTH queued in its FIFO)."""
        try:
            creds = normalize(token)
        except DataError as exc:
            self.on_error(exc)
            return _Rotation([])
        with self._lock:
            self.epoch += 1
            self.latest = creds
            self.error = None
            epoch = self.epoch
            pools = list(self.pools)
        futures: list[asyncio.Future[Any]] = []
        for pool in pools:
            futures.extend(pool._rotate(creds, epoch))
        return _Rotation(futures)

    def on_error(self, error: Exception) -> _Rotation:
        """A refresh failed: never silent. Logged once (WARNING, the error's type and
        text), kept for the next connection that cannot authenticate (it fails with it)."""
        with self._lock:
            self.error = error
        _logger().warning("credential provider %s reported an error (live connections keep their "
                          "credentials; new ones will ask the provider again): %s: %s",
                          type(self.provider).__name__, type(error).__name__, error)
        return _Rotation([])


_fanouts: weakref.WeakKeyDictionary[Any, Fanout] = weakref.WeakKeyDictionary()
_fanouts_by_id: dict[int, Fanout] = {}  # providers that cannot be weakly referenced
_registry_lock = threading.Lock()


def fanout(provider: Any, *, create: bool = False) -> Fanout | None:
    """The provider's listener (made and registered with it on first use if ``create``);
    None for a provider that does not stream."""
    if provider is None or not streams(provider):
        return None
    with _registry_lock:
        try:
            f = _fanouts.get(provider)
            weak = True
        except TypeError:
            f = _fanouts_by_id.get(id(provider))
            weak = False
        if f is None and create:
            f = Fanout(provider)
            if weak:
                _fanouts[provider] = f
            else:
                _fanouts_by_id[id(provider)] = f
    return f


def register(provider: Any, pool: Any) -> None:
    """``pool`` re-authenticates its connections when ``provider`` pushes credentials."""
    f = fanout(provider, create=True)
    if f is not None:
        f.pools.add(pool)


def failed_auth(provider: Any, exc: BaseException) -> BaseException:
    """An authentication that failed: if the provider reported an error since its last
    good push, the caller learns that error (named, and chained as the cause)."""
    f = fanout(provider)
    err = f.error if f is not None else None
    if err is None:
        return exc
    out = AuthenticationError(f"{exc}; the credential provider reported: {type(err).__name__}: {err}")
    out.__cause__ = err
    return out
