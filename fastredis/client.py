"""The public client: thin, built from one command mixin per data type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr, Callable, Literal, TypeVar, overload

from . import _observe
from ._execution import BLOCKING as BLOCKING  # (its old home: the name stays importable)
from ._execution import CONNECTION_STATE as _CONNECTION_STATE
from ._execution import SINGLE_OK as _SINGLE_OK
from ._execution import block_deadline, block_seconds, is_blocking
from ._himport import FIRST as _HFIRST
from ._himport import HEAD as _HHEAD
from ._himport import as_set_command
from ._log import get_logger
from ._pack import pack
from ._params import split_params
from .commands import CoreCommands
from .connection import expire, parse_url, wait_reply
from .exceptions import (
    ClientClosedError,
    ConnectionError,
    DataError,
    TimeoutError,
    WrongLoop,
)
from .pool import ConnectionPool

if TYPE_CHECKING:  # asyncio is imported on first connect, not by `import fastredis`
    import asyncio
    from collections.abc import Generator

    from typing_extensions import Self  # typing.Self is 3.11+; only mypy reads this

    from ._keyspace import AsyncKeyspaceNotifications
    from ._protocol import Connection
    from .commands.scripting import Script
    from .himport import HImportRegistry
    from .lock import Lock
    from .monitor import Monitor
    from .pipeline import Pipeline
    from .pubsub import PubSub
    from .retry import Retry
    from .typing import KeyT, Number

_R = TypeVar("_R", bound="Redis[Any]")

__all__ = ["Redis", "StrictRedis", "from_url"]

# Moved down, below every client (no layer imports another's private names); these
# names stay for code written against the old places.
_split_params = split_params
_expire = expire
_is_blocking = is_blocking
_block_seconds = block_seconds
# fastredis.pipeline.Pipeline, once Redis.pipeline() imported it
_PIPELINE: list[Any] = [None]

def _retry_policy(opts: dict[str, Any]) -> Retry | None:
    """redis-py's options -> one Retry (or None: no retries, the default)."""
    retry = opts.get("retry")
    on_timeout = bool(opts.get("retry_on_timeout", False))
    on_error = list(opts.get("retry_on_error") or ())
    if retry is None and not on_timeout and not on_error:
        return None
    from .backoff import NoBackoff
    from .retry import Retry

    if retry is None:
        retry = Retry(NoBackoff(), 1)  # redis-py: one more attempt, at once
    else:
        from .retry import as_retry

        retry = as_retry(retry, "Redis()")
    for e in on_error:
        if not (isinstance(e, type) and issubclass(e, BaseException)):
            raise TypeError(f"retry_on_error takes exception classes, got {e!r}")
    extra = tuple(on_error) + ((TimeoutError,) if on_timeout else ())
    # a copy: a Retry shared by several clients is not changed by this one's options
    return Retry(retry.backoff, retry.get_retries(), tuple(dict.fromkeys(retry.supported_errors + extra)))


def _logger() -> Any:

    return get_logger("fastredis.client")


class _Dedicated:
    """The pool seen by a single-connection client (``single_connection_client=True``,
    ``r.client()``): one exclusive connection of the underlying pool carries every command,
    pipeline and transaction of this client, so connection state (SELECT, CLIENT TRACKING,
    CLIENT SETNAME ...) stays with it. Pub/Sub still gets a connection of its own."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool
        self.params = pool.params
        self.current: Connection | None = None
        self._opening: asyncio.Task[Connection] | None = None
        self._closed = False

    def __getattr__(self, name: str) -> Any:  # max_connections, connection_kwargs ...
        return getattr(self.pool, name)

    async def get_shared(self) -> Connection:
        import asyncio

        loop = asyncio.get_running_loop()
        conn = self.current
        if conn is not None and not conn.closed and conn._loop is loop:
            return conn
        if self._closed:
            raise ClientClosedError("this single-connection client is closed (aclose() is final)")
        if conn is not None:
            self.current = None
            if conn.closed:
                # a new connection starts from the client's options: SELECT, CLIENT
                # TRACKING ... done on the lost one are not replayed. Say so.
                _logger().warning("the dedicated connection to %s was lost; its replacement does not "
                                  "carry state set by commands (SELECT, CLIENT TRACKING ...)", self.params.address)
            self.pool.release(conn, reusable=False)
        fut = self._opening
        if fut is None or fut.get_loop() is not loop:
            fut = self._opening = loop.create_task(self.pool.acquire())
            fut.add_done_callback(self._opened)
        await asyncio.shield(fut)
        return await self.get_shared()

    def _opened(self, fut: asyncio.Future[Connection]) -> None:
        if self._opening is fut:
            self._opening = None
        if fut.cancelled() or fut.exception() is not None:
            return
        conn = fut.result()
        if self._closed or (self.current is not None and not self.current.closed):
            self.pool.release(conn, reusable=False)
        else:
            self.current = conn

    def pick(self) -> Connection | None:
        return None  # (not the underlying pool's shared connections: get_shared decides)

    async def acquire(self, *, pubsub: bool = False) -> Connection:
        if pubsub:
            return await self.pool.acquire(pubsub=True)
        return await self.get_shared()  # blocking commands and WATCH run on it too

    def release(self, conn: Connection, *, reusable: bool = True) -> None:
        if conn is self.current:
            if not reusable or conn.closed:
                self.current = None
                self.pool.release(conn, reusable=False)
            return
        self.pool.release(conn, reusable=reusable)

    def disconnect(self, inuse_connections: bool = True) -> Any:
        conn, self.current = self.current, None
        if conn is not None:
            self.pool.release(conn, reusable=False)
        from ._execution import Closing as _Closing

        return _Closing([conn] if conn is not None else [])

    async def aclose(self) -> None:
        self._closed = True
        fut = self._opening
        if fut is not None and not fut.done():
            fut.cancel()
        await self.disconnect()

    def connection_count(self) -> int:
        return 1 if self.current is not None and not self.current.closed else 0


class Redis(CoreCommands[AnyStr]):
    """An asyncio Redis client. Cheap to create; connects on first use.

    ``Redis(host, port, db, password, ...)`` as in redis-py / aredis; one client multiplexes
    every concurrent command over a small number of connections. ``aclose()`` is final for
    the pool the client made (a ClientClosedError afterwards, nothing reopens); a pool given
    with ``connection_pool=`` is closed by its owner (or ``aclose(close_connection_pool=True)``).

    redis-py options that work here: ``retry`` / ``retry_on_timeout`` / ``retry_on_error``
    (connection set-up, commands never written, read-only commands: see fastredis.retry),
    ``health_check_interval``, ``max_idle_time``, ``single_connection_client``,
    ``socket_keepalive_options``, ``auto_close_connection_pool``, ``lib_name`` /
    ``lib_version`` (CLIENT SETINFO). Options that swap redis-py internals raise TypeError.

    Generic over its response type, as coredis is: ``Redis()`` is a ``Redis[bytes]``,
    ``Redis(decode_responses=True)`` a ``Redis[str]`` (the ``__init__`` overloads below
    say so to a type checker), so ``await r.get("k")`` is ``bytes | None`` or
    ``str | None``. A client built on a given ``connection_pool`` (whose params decide) or
    with a ``decode_responses`` that is not a literal is a ``Redis[Any]``: annotate it
    (``r: Redis[str] = Redis(connection_pool=pool)``)."""

    # The overloads exist only for type checkers; a call runs the implementation below.
    @overload
    def __init__(
        self: Redis[str],
        host: str = ...,
        port: int = ...,
        db: int = ...,
        password: str | None = ...,
        *,
        connection_pool: ConnectionPool | None = ...,
        decode_responses: Literal[True],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Redis[Any],
        host: str = ...,
        port: int = ...,
        db: int = ...,
        password: str | None = ...,
        *,
        connection_pool: ConnectionPool,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Redis[bytes],
        host: str = ...,
        port: int = ...,
        db: int = ...,
        password: str | None = ...,
        *,
        connection_pool: None = ...,
        decode_responses: Literal[False] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Redis[Any],
        host: str = ...,
        port: int = ...,
        db: int = ...,
        password: str | None = ...,
        *,
        connection_pool: ConnectionPool | None = ...,
        decode_responses: bool,
        **kwargs: Any,
    ) -> None: ...
    def __init__(
        self,
        host: str = "localhost",
        port: int = 6379,
        db: int = 0,
        password: str | None = None,
        *,
        connection_pool: ConnectionPool | None = None,
        cache: Any = None,
        **kwargs: Any,
    ) -> None:
        cache_config = kwargs.pop("cache_config", None)
        if cache_config is not None:
            if cache is not None:
                raise DataError("give cache= or cache_config=, not both")
            from .cache import from_redis_py

            cache = from_redis_py(cache_config)
        if connection_pool is None:
            params, pool_kw, opts = split_params(
                dict(host=host, port=port, db=db, password=password, **kwargs)
            )
            connection_pool = ConnectionPool(params, **pool_kw)
            owns_pool = True
        else:
            _, pool_kw, opts = split_params(kwargs)
            given = sorted(set(kwargs) - set(opts))
            if given:
                raise TypeError(
                    f"Redis(connection_pool=...) got connection options {given}: give them to the ConnectionPool"
                )
            owns_pool = False
        auto_close = opts.get("auto_close_connection_pool")
        # redis-py's attribute: whether aclose() closes the pool (default: the client made it)
        self.auto_close_connection_pool = owns_pool if auto_close is None else bool(auto_close)
        self._base_pool = connection_pool
        self._single = bool(opts.get("single_connection_client", False))
        self.connection_pool: Any = _Dedicated(connection_pool) if self._single else connection_pool
        params = connection_pool.params
        self._timeout: float | None = params.socket_timeout
        self._decode = params.decode_responses
        self._encoding = params.encoding
        hci = getattr(connection_pool, "health_check_interval", None)
        self._pubsub_opts = {"health_check_interval": hci} if hci else {}
        self._retry = _retry_policy(opts)
        if self._retry is None and getattr(connection_pool, "retry", None) is not None:
            self._retry = connection_pool.retry  # ConnectionPool(retry=...): its clients' default
        if self._retry is not None:
            # the plain _execute stays the hot path of clients without a retry policy
            self._execute = self._execute_retrying  # type: ignore[method-assign]
        #: the client-side cache (``cache=CacheConfig(...)``), or None
        self.cache: Any = None
        if cache is not None:
            from .cache import CacheConfig, install

            if not isinstance(cache, CacheConfig):
                raise DataError(f"cache must be a fastredis.CacheConfig, got {type(cache).__name__!r}")
            self.cache = install(self, cache)

    @overload
    @classmethod
    def from_url(cls, url: str, *, decode_responses: Literal[True],
                 **kwargs: Any) -> Redis[str]: ...
    @overload
    @classmethod
    def from_url(cls, url: str, *, decode_responses: Literal[False] = ...,
                 **kwargs: Any) -> Redis[bytes]: ...
    @overload
    @classmethod
    def from_url(cls, url: str, *, decode_responses: bool, **kwargs: Any) -> Redis[Any]: ...
    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Redis[Any]:
        """A client from ``redis://[[user]:password@]host[:port][/db][?option=value]``
        (``rediss://`` for TLS, ``unix://path``); keyword arguments override the URL's.
        Typed ``Redis[str]`` when ``decode_responses=True`` is passed as an argument (a
        ``?decode_responses=true`` in the URL is not visible to a type checker)."""
        opts = parse_url(url)
        opts.update(kwargs)
        return cls(**opts)

    def client(self) -> Redis[AnyStr]:
        """A client of the same pool whose commands all run on one dedicated connection
        (redis-py's ``Redis.client()``): for connection state such as SELECT or CLIENT
        TRACKING. Close it with ``aclose()`` (closes only its connection)."""
        c: Redis[AnyStr] = type(self)(connection_pool=self._base_pool, single_connection_client=True)
        c._retry = self._retry
        if self._retry is not None:
            c._execute = c._execute_retrying  # type: ignore[method-assign]
        return c

    # ------------------------------------------------------------------ execution
    def _reply_protocol(self) -> int:
        protocol: int = self.connection_pool.params.reply_protocol
        return protocol

    async def _execute(self, args: tuple[Any, ...],
                       callback: Callable[[Any], Any] | None = None, _traced: bool = False) -> Any:
        if _observe.hook is not None and not _traced:  # fastredis.telemetry: span + metrics
            return await _observe.hook.command(self._base_pool.counters, args,
                                               Redis._execute(self, args, callback, True))
        conn = self.connection_pool.current
        if conn is None or conn.closed:
            # max_shared > 1: chosen per command (pick), without a coroutine when it can
            conn = self.connection_pool.pick() or await self.connection_pool.get_shared()
        try:
            fut = conn.execute(args)
        except WrongLoop:  # raised before anything was sent: safe to use another connection
            conn = await self.connection_pool.get_shared()
            fut = conn.execute(args)
        timeout = self._timeout
        if timeout is None:
            reply = await fut
        else:
            handle = conn._loop.call_later(timeout, expire, fut, timeout, conn)
            try:
                reply = await fut
            finally:
                handle.cancel()
        if callback is None:
            return reply
        return callback(reply)

    async def _execute_retrying(self, args: tuple[Any, ...],
                                callback: Callable[[Any], Any] | None = None,
                                _traced: bool = False) -> Any:
        """``_execute`` under the client's retry policy. Retried: a failure to connect, a
        command refused before it was written, and a read-only command (``READ_ONLY``)
        whose reply was lost. Anything else that was written may have run: never re-sent."""
        import asyncio

        if _observe.hook is not None and not _traced:  # one span for all the attempts
            return await _observe.hook.command(self._base_pool.counters, args,
                                               Redis._execute_retrying(self, args, callback, True))

        from .retry import READ_ONLY

        retry = self._retry
        assert retry is not None
        errors = retry.supported_errors
        pool = self.connection_pool
        read_only = args[0] in READ_ONLY
        retry.backoff.reset()
        failures = 0
        while True:
            sent = False
            try:
                conn = pool.current
                if conn is None or conn.closed:
                    conn = pool.pick() or await pool.get_shared()
                try:
                    fut = conn.execute(args)
                except WrongLoop:
                    conn = await pool.get_shared()
                    fut = conn.execute(args)
                sent = True
                reply = await wait_reply(conn, fut, self._timeout)
                break
            except ClientClosedError:
                raise
            except errors as exc:
                failures += 1
                if (sent and not read_only) or not retry.may_retry(failures):
                    raise
                delay = retry.backoff.compute(failures)
                name = args[0].decode(errors="replace") if isinstance(args[0], bytes) else str(args[0])
                _logger().warning("retrying %s in %.3fs (attempt %d) after: %s", name, delay, failures + 1,
                                  exc or type(exc).__name__)
                if delay > 0:
                    await asyncio.sleep(delay)
        return reply if callback is None else callback(reply)

    async def _acquire_retrying(self) -> Connection:
        """An exclusive connection under the retry policy (connection set-up only: the
        blocking command itself is never re-sent)."""
        import asyncio

        retry = self._retry
        assert retry is not None
        retry.backoff.reset()
        failures = 0
        while True:
            try:
                conn: Connection = await self.connection_pool.acquire()
                return conn
            except ClientClosedError:
                raise
            except retry.supported_errors as exc:
                failures += 1
                if not retry.may_retry(failures):
                    raise
                delay = retry.backoff.compute(failures)
                _logger().warning("retrying a connection in %.3fs (attempt %d) after: %s", delay, failures + 1,
                                  exc or type(exc).__name__)
                if delay > 0:
                    await asyncio.sleep(delay)

    async def _execute_blocking(self, args: tuple[Any, ...],
                                callback: Callable[[Any], Any] | None = None,
                                _traced: bool = False) -> Any:
        """A server-side blocking command on a connection of its own. Cancelling it
        closes that connection: the server would otherwise hand the popped value to a
        caller who left (and the connection stays blocked)."""
        import asyncio

        if _observe.hook is not None and not _traced:  # the span covers the wait
            return await _observe.hook.command(self._base_pool.counters, args,
                                               Redis._execute_blocking(self, args, callback, True))

        pool = self.connection_pool
        data = pack(args)  # a bad argument is a DataError before any connection is taken
        conn = await (pool.acquire() if self._retry is None else self._acquire_retrying())
        ok = False
        handle = None
        try:
            (fut,) = conn.send_packed(data, 1)
            handle = block_deadline(conn, fut, args, self._timeout)
            reply = await fut
            ok = True
        except TimeoutError:
            conn.abort("closed: no answer to a blocking command past its timeout")
            raise
        except ConnectionError:
            raise
        except asyncio.CancelledError:
            # Closing alone races: the server may serve an LPUSH sent after this cancel
            # before it notices the close, handing the value to a caller who left. CLIENT
            # UNBLOCK written on the shared connection now is ordered before every later
            # command of this client.
            shared = pool.current or pool.shared_now()
            if shared is not None and conn.client_id is not None:
                shared.send_and_forget(("CLIENT", "UNBLOCK", conn.client_id))
            conn.abort("closed: a blocking command was cancelled")
            raise
        except BaseException:
            ok = True  # a server error reply: the connection is fine
            raise
        finally:
            if handle is not None:
                handle.cancel()
            pool.release(conn, reusable=ok)
        return reply if callback is None else callback(reply)

    def _himport_registry(self) -> HImportRegistry:
        from ._himport import registry_for

        return registry_for(self._base_pool)  # one per pool, as redis-py keeps it

    async def _himport_set(self, args: tuple[Any, ...], raw: bool = False, _traced: bool = False) -> Any:
        """HIMPORT SET composed, on the connection that carries it, with the PREPARE (and
        pending DISCARDs) it needs there: one write (see fastredis._himport). True, or
        with ``raw`` the server's reply (execute_command)."""
        if _observe.hook is not None and not _traced:  # fastredis.telemetry: span + metrics
            return await _observe.hook.command(self._base_pool.counters, args,
                                               self._himport_set(args, raw, True))
        from ._himport import run_set

        reply = await run_set(self.connection_pool, self._himport_registry(), args, self._timeout)
        return reply if raw else reply == b"OK" or reply == "OK"

    async def _local_reply(self, args: tuple[Any, ...], value: Any) -> Any:
        # a command redis-py answers without the server, e.g. mget([])
        # -> []; a pipeline keeps the base behaviour (queue ``args``, answered in place)
        return value

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """Send any command; the raw reply comes back (callbacks of named methods are not
        applied). Blocking commands are routed to an exclusive connection."""
        if not args:
            raise DataError("execute_command needs a command name")
        if options and options.get("target_nodes") is not None:
            return await self._execute_targeted(args, None, options["target_nodes"])  # refuses
        name = args[0]
        if isinstance(name, (str, bytes)) and name.upper() in _CONNECTION_STATE and not (
            self._single and name.upper() in _SINGLE_OK
        ):
            raise DataError(
                f"{name!r} changes the state of a connection that other tasks share: use "
                "Redis(db=...), r.pubsub(), or a single-connection client (r.client(), "
                "single_connection_client=True) for this command"
            )
        if options and options.pop("NEVER_DECODE", None) is not None and self._decode:
            # redis-py's flag: this reply stays bytes on a decoding client
            cb = self._user_callback(name, options)
            return await self._execute_raw(args, cb)
        cb = self._user_callback(name, options)  # set_response_callback
        if _is_blocking(args):
            return await self._execute_blocking(args, cb)
        if name.__class__ in (str, bytes) and name[:1] in _HFIRST and name[:7].upper() in _HHEAD:
            set_args = as_set_command(args)
            if set_args is not None:  # prepared on its connection first, as himport_set
                reply = await self._himport_set(set_args, raw=True)
                return reply if cb is None else cb(reply)
        return await self._execute(args, cb)

    async def _execute_raw(self, args: tuple[Any, ...], callback: Callable[[Any], Any] | None) -> Any:
        """A command whose reply is not decoded (``NEVER_DECODE``), on the shared
        connection, in its FIFO: only its own reply is parsed without the encoding."""
        if _is_blocking(args):
            raise DataError("NEVER_DECODE is not supported on blocking commands")
        conn = await self.connection_pool.get_shared()
        reply = await wait_reply(conn, conn.execute_raw(args), self._timeout)
        return reply if callback is None else callback(reply)

    # ------------------------------------------------------------------ objects
    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline[AnyStr]:
        cls = _PIPELINE[0]
        if cls is None:  # imported on first use (import time); an import per call costs ~1 us
            from .pipeline import Pipeline as cls

            _PIPELINE[0] = cls
        pipe: Pipeline[AnyStr] = cls(self, transaction)
        return pipe

    async def transaction(self, func: Callable[[Pipeline[AnyStr]], Any], *watches: Any,
                          value_from_callable: bool = False,
                          watch_delay: float | None = None, shard_hint: Any = None) -> Any:
        """redis-py's helper: run ``func(pipe)`` under WATCH, retrying on WatchError.
        (``shard_hint``: accepted as redis-py does; one server has no shards to pick.)"""
        from ._transaction import run_transaction

        return await run_transaction(self, func, watches, value_from_callable, watch_delay)

    def pubsub(self, **kwargs: Any) -> PubSub:
        """A :class:`~fastredis.pubsub.PubSub` on a connection of its own. Its options (see
        the class); an unknown keyword is a TypeError (a typo such as
        ``ignore_subscribe_message=True`` must not pass silently)."""
        from .pubsub import PubSub

        opts = dict(self._pubsub_opts)
        opts.update(kwargs)
        return PubSub(self.connection_pool, **opts)

    def keyspace_notifications(self, key_prefix: str | bytes | None = None,
                               ignore_subscribe_messages: bool = True,
                               **pubsub_options: Any) -> AsyncKeyspaceNotifications:
        """Keyspace and keyevent notifications of this server (redis-py 8's method):
        see :class:`fastredis.keyspace_notifications.AsyncKeyspaceNotifications`. The
        server publishes them only as its ``notify-keyspace-events`` says."""
        from ._keyspace import AsyncKeyspaceNotifications

        return AsyncKeyspaceNotifications(self, key_prefix, ignore_subscribe_messages,
                                          **pubsub_options)

    def register_script(self, script: str | bytes) -> Script:
        from .commands.scripting import Script

        return Script(self, script)

    # ------------------------------------------------------------------ lifecycle
    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        """Close the client. Final: a command afterwards raises ClientClosedError (the
        client does not reopen behind your back and leaks nothing). The pool is closed
        when the client made it (or ``auto_close_connection_pool=True`` /
        ``close_connection_pool=True``); a shared pool given to several clients is not."""
        if self.cache is not None:
            await self.cache.aclose()
        if self._single:
            await self.connection_pool.aclose()
        close = self.auto_close_connection_pool if close_connection_pool is None else close_connection_pool
        if close:
            await self._base_pool.aclose()

    close = aclose

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def initialize(self) -> Self:
        await self.connection_pool.get_shared()
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        return self.initialize().__await__()

    def __repr__(self) -> str:
        return f"<fastredis.Redis {self.connection_pool.params!r}>"

    # ------------------------------------------------------------------ lock(), monitor(), from_pool
    auto_close_connection_pool: bool  # redis-py's flag, set by from_pool

    def lock(
        self,
        name: KeyT,
        timeout: Number | None = None,
        sleep: Number = 0.1,
        blocking: bool = True,
        blocking_timeout: Number | None = None,
        lock_class: type[Lock] | None = None,
        thread_local: bool = True,
        raise_on_release_error: bool = True,
        *,
        auto_renew: bool = False,
        on_renewal_failed: Callable[[Lock, BaseException], Any] | None = None,
    ) -> Lock:
        """A :class:`~fastredis.lock.Lock` on key ``name`` (redis-py's signature).

        The token is kept per asyncio task (``thread_local=True``); ``auto_renew=True``
        (needs ``timeout``) keeps the TTL renewed while held and reports a failed renewal
        through ``on_renewal_failed(lock, exc)`` and ``lock.renewal_failed``. See docs/lock.md."""
        from .lock import Lock

        cls = Lock if lock_class is None else lock_class
        return cls(
            self, name, timeout=timeout, sleep=sleep, blocking=blocking,
            blocking_timeout=blocking_timeout, thread_local=thread_local,
            raise_on_release_error=raise_on_release_error, auto_renew=auto_renew,
            on_renewal_failed=on_renewal_failed,
        )

    def monitor(self) -> Monitor:
        """MONITOR on a connection of its own: ``async with r.monitor() as m:`` then
        ``async for cmd in m.listen()`` or ``await m.next_command()``; each command is a dict
        (time, db, client_address, client_port, client_type, command) as in redis-py."""
        from .monitor import Monitor

        return Monitor(self.connection_pool)

    @classmethod
    def from_pool(cls: type[_R], connection_pool: ConnectionPool) -> _R:
        """A client over an existing pool that it then owns: ``aclose()`` closes the pool
        (redis-py's ``Redis.from_pool``)."""
        client = cls(connection_pool=connection_pool)
        client.auto_close_connection_pool = True
        return client

    @property
    def response_callbacks(self) -> dict[str, Callable[..., Any]]:
        """User callbacks by command name (case-insensitive), applied to the reply of
        ``execute_command(name, ...)`` on the client and in its pipelines, called as
        ``callback(reply, **options)``. Named methods (``r.get`` ...) keep their own
        callbacks and are not affected: the mapping starts empty, unlike redis-py's, which
        holds the built-in callbacks."""
        cbs: _Callbacks | None = self.__dict__.get("_response_callbacks")
        if cbs is None:
            cbs = self.__dict__["_response_callbacks"] = _Callbacks()
        return cbs

    def set_response_callback(self, command: str, callback: Callable[..., Any]) -> None:
        """Apply ``callback(reply, **options)`` to every ``execute_command(command, ...)``
        reply (see :attr:`response_callbacks` for the rule)."""
        self.response_callbacks[command] = callback

    def _user_callback(self, name: Any, options: dict[str, Any]) -> Callable[[Any], Any] | None:
        cbs: _Callbacks | None = self.__dict__.get("_response_callbacks")
        if not cbs:
            return None
        cb: Callable[..., Any] | None = cbs.get(name.decode() if isinstance(name, bytes) else str(name))
        if cb is None or not options:
            return cb
        import functools

        return functools.partial(cb, **options)


class _Callbacks(dict):  # type: ignore[type-arg]
    """A dict of command name -> callback whose keys are upper-cased (redis-py's
    CaseInsensitiveDict for response callbacks)."""

    def __setitem__(self, key: str, value: Callable[..., Any]) -> None:
        super().__setitem__(key.upper(), value)

    def __getitem__(self, key: str) -> Callable[..., Any]:
        return super().__getitem__(key.upper())  # type: ignore[no-any-return]

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.upper(), default)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.upper() if isinstance(key, str) else key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for k, v in dict(*args, **kwargs).items():
            self[k] = v


StrictRedis = Redis


@overload
def from_url(url: str, *, decode_responses: Literal[True], **kwargs: Any) -> Redis[str]: ...
@overload
def from_url(url: str, *, decode_responses: Literal[False] = ...,
             **kwargs: Any) -> Redis[bytes]: ...
@overload
def from_url(url: str, *, decode_responses: bool, **kwargs: Any) -> Redis[Any]: ...
def from_url(url: str, **kwargs: Any) -> Redis[Any]:
    """``Redis.from_url(url, **kwargs)``: ``Redis[str]`` with ``decode_responses=True``."""
    return Redis.from_url(url, **kwargs)

