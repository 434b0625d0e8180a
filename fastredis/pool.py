"""The pool: a few shared, multiplexed connections plus exclusive checkouts, per event loop.

* Ordinary commands share ``max_shared`` connections (default 1): many commands are in
  flight on one connection at once, matched FIFO, so 200 concurrent tasks use one socket.
  With ``max_shared > 1`` a command goes to a connection by reply bytes in flight, so a
  small command does not queue behind a large reply (``_Meter``, ``_pick``).
* Blocking commands, WATCH/MULTI and Pub/Sub take an exclusive connection so they never
  stall the shared ones. An exclusive connection goes back to the idle list only when it is
  healthy and has nothing in flight.
* A lost shared connection is replaced on the next command; commands that were in flight on
  it fail with ConnectionError and are never re-sent (they may have run).
* Connections belong to one event loop. The pool keeps a separate set per loop (a client
  shared by two threads, each with its own loop, or by successive ``asyncio.run`` calls),
  and closes a loop's connections on that loop when it shuts down.
* ``aclose()`` is final: a closed pool raises ClientClosedError instead of silently
  reopening. ``disconnect()`` only drops the current connections.
* ``max_connections`` bounds the exclusive connections, as redis-py's pools do:
  ``ConnectionPool`` raises MaxConnectionsError at once when they are all taken,
  ``BlockingConnectionPool`` waits up to ``timeout`` for one to be released.
* Credentials: the provider (``credential_provider=``) is asked by every handshake; when it
  pushes new ones, every live connection of the pool - shared, idle, in use, Pub/Sub -
  gets an ``AUTH`` queued in its FIFO (``_rotate``). A layer that builds pools (a cluster
  node, a Sentinel-resolved master) gets all of this by passing the provider in the
  pool's ``ConnectionParams``.
"""

from __future__ import annotations

import _thread
import weakref
from functools import partial
from typing import TYPE_CHECKING, Any, AsyncGenerator

from . import _observe
from ._execution import Closing as _Closing
from ._execution import running_loop as _running_loop
from ._execution import wait_released as _wait_released
from ._log import get_logger
from ._params import split_params
from .connection import ConnectionParams, connect, deadline, pubsub_resp
from .exceptions import ClientClosedError, ConnectionError, MaxConnectionsError, TimeoutError

if TYPE_CHECKING:  # asyncio is imported on first use, not by `import fastredis`
    import asyncio

    from ._protocol import Connection

__all__ = ["ConnectionPool", "BlockingConnectionPool"]


# asyncio.events._get_running_loop (C) once asyncio is imported (set by _state): the
# per-command check of ``pick`` without an import statement
_get_running_loop: Any = None


def _logger() -> Any:

    return get_logger("fastredis.pool")


def _int_option(name: str, value: Any, minimum: int, *, none_ok: bool = False) -> Any:
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"ConnectionPool option {name!r} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"ConnectionPool option {name!r} must be >= {minimum}, got {value}")
    return value


def _seconds_option(name: str, value: Any, *, none_ok: bool = True) -> float | None:
    if value is None or (none_ok and value == 0):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"ConnectionPool option {name!r} must be a number of seconds, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"ConnectionPool option {name!r} must be >= 0, got {value}")
    return float(value)


# max_shared > 1: a shared connection with this many reply bytes in flight (received of
# the reply being read, plus the expected size of those still to come) is busy: the next
# command goes to another one, opened if need be. About 50-100 us of reading on loopback,
# less than opening a connection costs, so small replies never spread for nothing.
_BUSY = 64 * 1024
# after an extra shared connection failed to open, wait this long before trying again
# (the ones already open carry the commands meanwhile; no connect storm, no log flood)
_REOPEN_DELAY = 1.0


class _Meter:
    """Reply bytes in flight on one shared connection (max_shared > 1 only), from two
    counters and no per-reply work: the connection's ``rx`` (bytes received, counted per
    read) and its number of pending commands, read when a command is placed (``_pick``).
    hiredis gives a reply's size only once it is complete, so the bytes of the reply
    being read are those received since the last reply completed (``rx - mark``), and a
    pending command is expected to be as large as this connection's recent replies
    (``est``, a moving average of the sizes seen each time replies completed)."""

    __slots__ = ("mark", "expect", "est")

    def __init__(self, rx: int, est: float) -> None:
        self.mark = rx  # conn.rx when a reply last completed (as far as we have seen)
        self.expect = 0  # pending commands at the last look, plus those handed out since
        self.est = est  # expected bytes per reply


class _LoopState:
    """The pool's connections of one event loop. Touched only from that loop's thread;
    the pool's table of states is guarded by a lock."""

    __slots__ = ("loop", "shared", "connecting", "opening", "idle", "in_use", "sem", "watcher",
                 "reaper", "lost", "dead", "meters", "reopen_at", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.shared: list[Connection] = []
        self.connecting: asyncio.Task[Connection] | None = None
        self.opening: set[asyncio.Task[Connection]] = set()  # exclusive connects under way
        self.idle: list[Connection] = []
        self.in_use: set[Connection] = set()
        self.sem: asyncio.Semaphore | None = None
        self.watcher: Any = None
        self.reaper: asyncio.TimerHandle | None = None
        self.lost = False  # a shared connection was lost: the next one is a reconnect
        self.dead = False
        self.meters: dict[Connection, _Meter] = {}  # max_shared > 1: per shared connection
        self.reopen_at = 0.0  # loop.time() before which no extra shared connection is opened

    def connections(self) -> list[Connection]:
        return self.shared + self.idle + list(self.in_use)


async def _watch_loop(pool_ref: weakref.ref[ConnectionPool], state: _LoopState) -> AsyncGenerator[None, None]:
    """Suspended for the life of the loop; its ``finally`` runs when the loop shuts down.
    ``asyncio.run`` and ``asyncio.Runner`` close every async generator of the loop
    (``loop.shutdown_asyncgens()``) *before* ``loop.close()``: the one hook asyncio gives
    to run code on a loop that is about to close. The loop's connections are closed there,
    properly, so a client used by many ``asyncio.run`` calls leaves no socket behind."""
    try:
        yield
    finally:
        pool = pool_ref()
        if pool is not None and not state.dead:
            await pool._close_state(state)


def _finish(gen: Any) -> None:
    """Run a suspended watcher to its end now (its state is already dead, so its
    ``finally`` does not await): nothing is left for the loop's asyncgen finalizer."""
    if gen is None:
        return
    try:
        gen.aclose().send(None)
    except (StopIteration, RuntimeError):
        pass


class ConnectionPool:
    """``ConnectionPool(host=..., port=..., max_connections=..., ...)`` or
    ``ConnectionPool.from_url(url)``, as in redis-py; give it to ``Redis(connection_pool=)``.

    Pool options: ``max_shared`` (multiplexed connections, default 1), ``max_connections``
    (exclusive connections at once, per event loop; None = no limit), ``max_idle`` (idle
    exclusive connections kept), ``health_check_interval`` (seconds: a connection unused
    that long is PINGed before it is used again), ``max_idle_time`` (seconds: connections
    unused that long are closed, checked every ``idle_check_interval`` seconds)."""

    def __init__(
        self,
        params: ConnectionParams | None = None,
        *,
        max_shared: int = 1,
        max_connections: int | None = None,
        max_idle: int = 8,
        health_check_interval: float | None = None,
        max_idle_time: float | None = None,
        idle_check_interval: float = 1.0,
        retry: Any = None,
        **kwargs: Any,
    ) -> None:
        owner = f"{type(self).__name__}()"
        if params is None:
            params, pool_kw, client_kw = split_params(kwargs, owner)
            if client_kw:
                raise TypeError(f"{owner} got client options {sorted(client_kw)}: give them to Redis()")
            kwargs = pool_kw
        if "timeout" in kwargs:  # given to this class (Redis.from_url("...?timeout=3") ...)
            raise TypeError(f"{owner} got 'timeout': the wait for a free connection is an option of "
                            "BlockingConnectionPool (ConnectionPool raises MaxConnectionsError at once)")
        if kwargs:
            raise TypeError(f"{owner} got params= and keyword arguments {sorted(kwargs)}")
        if retry is not None:
            from .retry import as_retry

            retry = as_retry(retry, owner)
        #: the retry policy of clients built on this pool that set none of their own
        #: (redis-py gives it to the pool's connections; ``None``: no retries)
        self.retry = retry
        self.params = params
        self.max_shared = _int_option("max_shared", max_shared, 1)
        self.max_connections = _int_option("max_connections", max_connections, 1, none_ok=True)
        self.max_idle = _int_option("max_idle", max_idle, 0)
        self.health_check_interval = _seconds_option("health_check_interval", health_check_interval)
        self.max_idle_time = _seconds_option("max_idle_time", max_idle_time)
        self.idle_check_interval = _seconds_option("idle_check_interval", idle_check_interval, none_ok=False)
        if self.max_idle_time is not None and not self.idle_check_interval:
            raise ValueError("ConnectionPool option 'idle_check_interval' must be > 0 with max_idle_time")
        # health checks and idle tracking need to see every hand-out: those pools skip the
        # `current` fast path (the cost is paid only by who asked for them)
        self._tracked = bool(self.health_check_interval or self.max_idle_time)
        self._lock = _thread.allocate_lock()
        self._states: dict[Any, _LoopState] = {}
        self._last: _LoopState | None = None  # the state of the loop served last (O(1))
        self._closed = False
        # fast path for Redis._execute: the one shared connection of the loop served last
        # (Connection.execute refuses it from another loop, which sends callers here)
        self.current: Connection | None = None
        #: what stats() and fastredis.telemetry's instruments read (fastredis._observe)
        self.counters = _observe.PoolCounters(params)
        _observe.POOLS.add(self)
        self._auth_warned = 0  # the credential epoch whose failed AUTH was logged
        if params.credential_provider is not None:
            from .credentials import register

            register(params.credential_provider, self)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Any:
        from .connection import parse_url

        opts = parse_url(url)
        opts.update(kwargs)
        owner = f"{cls.__name__}.from_url()"
        params, pool_kw, client_kw = split_params(opts, owner)
        if client_kw:
            raise TypeError(f"{owner} got client options {sorted(client_kw)}: give them to Redis()")
        return cls(params, **pool_kw)

    @property
    def connection_kwargs(self) -> dict[str, Any]:
        """The connection options, with redis-py's names (the password included: this is
        the caller's own configuration, never shown in a repr)."""
        p = self.params
        kw: dict[str, Any] = {
            "db": p.db, "username": p.username, "password": p.password,
            "client_name": p.client_name, "socket_timeout": p.socket_timeout,
            "socket_connect_timeout": p.connect_timeout, "socket_keepalive": p.keepalive,
            "socket_keepalive_options": p.keepalive_options, "encoding": p.encoding,
            "encoding_errors": p.encoding_errors, "decode_responses": p.decode_responses,
            "protocol": p.protocol, "credential_provider": p.credential_provider,
        }
        if p.path:
            kw["path"] = p.path
        else:
            kw["host"] = p.host
            kw["port"] = p.port
        if p.ssl:
            kw["ssl"] = p.ssl
            kw.update(p.ssl_params)
        return kw

    # ------------------------------------------------------------------ per loop
    def _closed_error(self) -> ClientClosedError:
        return ClientClosedError(
            f"the client (connection pool) for {self.params.address} is closed: aclose() is final, "
            "create a new client to connect again"
        )

    def _gone_error(self) -> ConnectionError:
        if self._closed:
            return self._closed_error()
        return ConnectionError(f"the pool for {self.params.address} was disconnected while connecting")

    def _abandoned(self, opening: asyncio.Future[Any]) -> None:
        """Called on a CancelledError while waiting for ``opening`` (a connection being
        opened): when ``disconnect()`` / ``aclose()`` cancelled the opening and the caller
        itself was not cancelled, the caller gets what an in-flight command gets there
        (ConnectionError, ClientClosedError after aclose), never a CancelledError it did
        not ask for. Otherwise returns, and the caller re-raises. (Python 3.10 cannot tell
        the two apart: Task.cancelling() is 3.11's; there the CancelledError stays.)"""
        import asyncio

        cancelling = getattr(asyncio.current_task(), "cancelling", None)
        if opening.cancelled() and cancelling is not None and not cancelling():
            raise self._gone_error() from None

    def _state(self, loop: asyncio.AbstractEventLoop) -> _LoopState:
        st = self._last
        if st is not None and st.loop is loop:
            return st
        st = self._states.get(loop)
        if st is None:
            with self._lock:
                if self._closed:
                    raise self._closed_error()
                st = self._states.get(loop)
                new = st is None
                if st is None:
                    st = self._states[loop] = _LoopState(loop)
            if new:
                global _get_running_loop
                import asyncio

                _get_running_loop = asyncio.events._get_running_loop
                self._drop_closed_loops()
                gen = _watch_loop(weakref.ref(self), st)
                try:  # runs to its `yield`; the loop's asyncgen hook now knows it
                    gen.asend(None).send(None)
                except StopIteration:
                    st.watcher = gen
        self._last = st
        return st

    def _drop_closed_loops(self) -> None:
        """Forget the connections of loops closed without ``shutdown_asyncgens`` (a loop
        made and closed by hand): their sockets are released without calling into them."""
        with self._lock:
            dead = [st for st in self._states.values() if st.loop.is_closed()]
            for st in dead:
                del self._states[st.loop]
        for st in dead:
            st.dead = True
            if self._last is st:
                self._last = None
            for c in st.connections():
                if self.current is c:
                    self.current = None
                c.orphan()
            _finish(st.watcher)
            _logger().debug("released the connections of a closed event loop")

    # ------------------------------------------------------------------ shared
    async def get_shared(self) -> Connection:
        """A live shared connection; opens one (once, for all waiting callers) if needed.
        With ``max_shared > 1``: the one ``_pick`` chooses by reply bytes in flight."""
        import asyncio

        loop = asyncio.get_running_loop()
        if self._closed:
            raise self._closed_error()
        st = self._state(loop)
        spread = self.max_shared > 1
        while True:
            shared = st.shared
            if shared:
                best = self._pick(st) if spread else shared[0]
                if best is not None:
                    if best.closed:
                        # lost, and its on_lost callback not run yet: still a reconnect
                        st.shared = [c for c in shared if not c.closed]
                        st.lost = True
                        continue
                    if not self._tracked:
                        if not spread:
                            self.current = best
                        return best
                    if await self._check(best):
                        return best
                    continue  # failed its health check: replaced below
            fut = st.connecting
            if fut is None:
                fut = st.connecting = loop.create_task(self._open_shared(st))
                fut.add_done_callback(partial(_connect_done, st))
            try:
                if not spread:
                    return await asyncio.shield(fut)
                await asyncio.shield(fut)
            except asyncio.CancelledError:
                self._abandoned(fut)
                raise
            except (ConnectionError, TimeoutError, OSError):
                if not spread:
                    raise
                # an extra connection could not be opened: the busy ones still work
                # (``_connect_done`` holds further attempts back for _REOPEN_DELAY)
                if self._closed or st.dead or not any(not c.closed for c in st.shared):
                    raise
            # and choose again, among all of them: the waiters spread over the new one

    def pick(self) -> Connection | None:
        """``get_shared`` without the coroutine, for the client's per-command path when
        ``max_shared > 1``: the connection ``_pick`` chooses, or None when the caller must
        ``await get_shared()`` (nothing open yet, one to open and wait for, health checks,
        a loop not served last)."""
        st = self._last
        if st is None or self._tracked or self.max_shared == 1 or st.loop is not _get_running_loop():
            return None
        return self._pick(st)

    def _pick(self, st: _LoopState) -> Connection | None:
        """``max_shared > 1``: the first shared connection with fewer than ``_BUSY`` reply
        bytes in flight; if all are busy, the least busy one - or None when another may
        be opened, which the caller then waits for (and chooses again). Runs per command:
        the meter's arithmetic is inline."""
        meters = st.meters
        shared = st.shared
        if len(meters) > len(shared):  # forget connections that left the list
            st.meters = meters = {c: m for c, m in meters.items() if c in shared}
        best = None
        low = 0.0
        live = 0
        for c in shared:
            if c.closed:
                continue
            live += 1
            m = meters.get(c)
            if m is None:
                est = sum(x.est for x in meters.values()) / len(meters) if meters else 0.0
                m = meters[c] = _Meter(c.rx, est)
            n = c.pending
            rx = c.rx
            done = m.expect - n  # replies completed since the last look
            if done > 0:
                m.est = (m.est + (rx - m.mark) / done) / 2
                m.mark = rx
            elif not n:
                m.mark = rx  # nothing in flight (a reply to a command not counted here)
            load = rx - m.mark + n * m.est  # received of the reply being read + expected
            if load < _BUSY:
                m.expect = n + 1  # handed out
                return c
            m.expect = n
            if best is None or load < low:
                best, low = c, load
        if best is None:
            return None  # none left: open one
        if live < self.max_shared and (st.connecting is not None or st.loop.time() >= st.reopen_at):
            return None  # all busy: open another (or join the opening) and choose again
        meters[best].expect += 1
        return best

    async def _connect(self, **kw: Any) -> Connection:
        """Open one connection. The one place a subclass may choose the address per
        connection (fastredis.sentinel resolves the master here and verifies its ROLE)."""
        return await connect(self.params, **kw)

    async def _new_connection(self, **kw: Any) -> Connection:
        """``_connect``, counted (``stats()``, ``db.client.connection.create_time``)."""
        conn: Connection = await _observe.opened(self, self._connect(**kw))
        return conn

    async def _open_shared(self, st: _LoopState) -> Connection:
        conn = await self._new_connection()
        if any(not c.closed for c in st.shared):
            await self._prove_extra(conn)
        if self._closed or st.dead:
            # the pool was closed (or disconnected) while this connection was being
            # made: it must not outlive aclose()
            conn.close()
            raise self._gone_error()
        conn.on_lost = lambda c, st=st: self._shared_lost(st, c)
        st.shared.append(conn)
        self._catch_up(conn)
        if st.lost:
            st.lost = False
            self.counters.reconnects += 1
            _logger().info("reconnected to %s", self.params.address)
        if not self._tracked and self.max_shared == 1:
            # the fast path of Redis._execute and the pipeline; with max_shared > 1 they
            # come here every time, to be spread by _pick
            self.current = conn
        self._start_reaper(st)
        return conn

    async def _prove_extra(self, conn: Connection) -> None:
        """An extra shared connection (max_shared > 1) answers a PING before commands are
        placed on it: a server at ``maxclients`` accepts the socket, then sends its error
        and closes, which would fail the commands that could have run on the open ones
        (``get_shared`` keeps using those). The first connection is not checked: there,
        the server's error is the caller's answer."""
        import asyncio

        limit = self.params.socket_timeout or self.params.connect_timeout or 10.0
        try:
            async with deadline(limit):
                await conn.execute(("PING",))
        except BaseException as exc:
            conn.abort("closed: another shared connection failed its first PING")
            if isinstance(exc, asyncio.CancelledError):
                raise
            _logger().warning("cannot open another shared connection to %s (%s): staying on the open ones",
                              self.params.address, exc or type(exc).__name__)
            raise ConnectionError(f"another shared connection to {self.params.address} failed: {exc}") from exc

    def _shared_lost(self, st: _LoopState, conn: Connection) -> None:
        if conn in st.shared:
            st.shared.remove(conn)
            st.lost = True
        if self.current is conn:
            self.current = None

    async def _check(self, conn: Connection) -> bool:
        """Health check (``health_check_interval``): a connection unused for longer than
        the interval answers a PING before it is handed out; one that does not is closed
        (and logged), and the caller gets a new connection."""
        import asyncio

        now = conn._loop.time()
        idle = now - conn.last_used
        conn.last_used = now  # callers arriving meanwhile queue behind the same PING
        interval = self.health_check_interval
        if not interval or idle <= interval:
            return True
        limit = self.params.socket_timeout or self.params.connect_timeout or 10.0
        try:
            async with deadline(limit):
                await conn.execute(("PING",))
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _logger().warning("health check of %s failed after %.1fs idle (%s): reconnecting",
                              self.params.address, idle, exc or type(exc).__name__)
            conn.abort("closed: failed its health check")
            return False

    # ------------------------------------------------------------------ idle reaping
    def _start_reaper(self, st: _LoopState) -> None:
        if self.max_idle_time is not None and st.reaper is None and not st.dead:
            st.reaper = st.loop.call_later(self.idle_check_interval, self._reap, st)  # type: ignore[arg-type]

    def _reap(self, st: _LoopState) -> None:
        """``max_idle_time``: close connections nobody used for that long."""
        st.reaper = None
        if st.dead:
            return
        limit = st.loop.time() - (self.max_idle_time or 0)
        for c in [c for c in st.shared if c.pending == 0 and c.last_used < limit]:
            c.on_lost = None  # closed on purpose: the next command is not a "reconnect"
            st.shared.remove(c)
            if self.current is c:
                self.current = None
            _logger().debug("closing a connection to %s idle for more than %ss", self.params.address, self.max_idle_time)
            c.close()
        keep = []
        for c in st.idle:
            if c.last_used < limit or c.closed:
                c.close()
            else:
                keep.append(c)
        st.idle = keep
        if st.shared or st.idle or st.in_use:
            self._start_reaper(st)

    # ------------------------------------------------------------------ exclusive
    async def acquire(self, *, pubsub: bool = False) -> Connection:
        """An exclusive connection (blocking commands, transactions, Pub/Sub)."""
        import asyncio

        if self._closed:
            raise self._closed_error()
        st = self._state(asyncio.get_running_loop())
        hook = _observe.hook  # db.client.connection.wait_time
        t0 = st.loop.time() if hook is not None else 0.0
        if self.max_connections is not None:
            if st.sem is None:
                st.sem = asyncio.Semaphore(self.max_connections)
            await self._take_slot(st.sem)
        try:
            conn = None
            while st.idle and not pubsub:
                c = st.idle.pop()
                if c.closed:
                    continue
                if self.max_idle_time is not None and c._loop.time() - c.last_used > self.max_idle_time:
                    c.close()
                    continue
                if self._tracked and not await self._check(c):
                    continue
                conn = c
                break
            if conn is None:
                # a task of its own, known to the state: aclose() cancels it and waits,
                # so no socket outlives aclose(); a cancel of the
                # caller cancels it too
                task = st.loop.create_task(self._new_connection(pubsub=pubsub, client_id=not pubsub))
                st.opening.add(task)
                try:
                    conn = await task
                except BaseException as exc:
                    if task.done() and not task.cancelled() and task.exception() is None:
                        task.result().close()  # made as the caller left: nobody owns it
                    if isinstance(exc, asyncio.CancelledError):
                        self._abandoned(task)
                    raise
                finally:
                    st.opening.discard(task)
                if self._closed or st.dead:
                    conn.close()
                    raise self._gone_error()
        except BaseException:
            if st.sem is not None:
                st.sem.release()
            raise
        st.in_use.add(conn)
        self._catch_up(conn)
        self._start_reaper(st)
        if hook is not None:
            hook.waited(self.counters, st.loop.time() - t0)
        return conn

    async def _take_slot(self, sem: asyncio.Semaphore) -> None:
        """One of the ``max_connections`` exclusive slots, or MaxConnectionsError at once
        (redis-py's ConnectionPool; BlockingConnectionPool waits instead)."""
        if sem.locked():
            raise MaxConnectionsError(
                f"Too many connections: all max_connections={self.max_connections} exclusive connections "
                f"to {self.params.address} are in use (blocking commands, WATCH, Pub/Sub; plain commands "
                "share a connection and need none). Use BlockingConnectionPool to wait for one."
            )
        await sem.acquire()

    def forget(self, conn: Connection) -> None:
        """Drop an exclusive connection of another (possibly closed) event loop from the
        accounting, giving its ``max_connections`` slot back, without calling into that
        loop (a PubSub moving to a new loop lets go of its old connection this way)."""
        st = self._states.get(conn._loop)
        if st is not None and conn in st.in_use:
            st.in_use.discard(conn)
            if st.sem is not None:
                st.sem.release()

    def shared_now(self) -> Connection | None:
        """A live shared connection of the running loop, if one is open (never opens
        one, never waits)."""
        st = self._states.get(_running_loop())
        if st is None:
            return None
        return next((c for c in st.shared if not c.closed), None)

    def all_connections(self) -> list[Connection]:
        """Every connection of every event loop (shared, idle and in use)."""
        with self._lock:
            states = list(self._states.values())
        return [c for st in states for c in st.connections()]

    def in_use(self) -> set[Connection]:
        """The exclusive connections checked out now, of every event loop."""
        with self._lock:
            states = list(self._states.values())
        return {c for st in states for c in st.in_use}

    def prune_closed(self) -> None:
        """Forget closed connections (after a layer above aborted some by hand)."""
        with self._lock:
            states = list(self._states.values())
        for st in states:
            st.shared = [c for c in st.shared if not c.closed]
            st.idle = [c for c in st.idle if not c.closed]
        if self.current is not None and self.current.closed:
            self.current = None

    def release(self, conn: Connection, *, reusable: bool = True) -> None:
        """Give an exclusive connection back. Never awaits, so it survives cancellation."""
        st = self._states.get(conn._loop)
        if st is None or conn not in st.in_use:
            if st is None and not conn.closed:
                conn.close() if conn._loop is _running_loop() else conn.orphan()
            return
        st.in_use.discard(conn)
        if st.sem is not None:
            st.sem.release()
        # (a rotation's AUTH still in flight does not make it busy: the next user's
        # commands queue behind it)
        if reusable and not conn.closed and conn.pending <= conn.own and not self._closed \
                and len(st.idle) < self.max_idle:
            conn.last_used = conn._loop.time()
            st.idle.append(conn)
        else:
            conn.close()

    # ------------------------------------------------------------------ credentials
    def _rotate(self, creds: Any, epoch: int) -> list[asyncio.Future[Any]]:
        """The provider pushed new credentials (called by credentials.Fanout, from any
        thread): every live connection of every loop re-authenticates. Returns the AUTH
        futures of the running loop's connections (those of other loops are sent from
        their own loop)."""
        with self._lock:
            states = list(self._states.values())
        running = _running_loop()
        futs: list[asyncio.Future[Any]] = []
        for st in states:
            if st.dead:
                continue
            if st.loop is running:
                futs.extend(self._reauth_state(st, creds, epoch))
            else:
                try:
                    st.loop.call_soon_threadsafe(self._reauth_state, st, creds, epoch)
                except RuntimeError:  # that loop is closed
                    pass
        return futs

    def _reauth_state(self, st: _LoopState, creds: Any, epoch: int) -> list[asyncio.Future[Any]]:
        """AUTH on every connection of ``st``; the futures of the shared and idle ones
        (an exclusive connection in use may be blocked for as long as its BLPOP lasts:
        whoever awaits the rotation does not wait for it)."""
        futs = []
        for conn in st.connections():
            fut = self._reauth(conn, creds, epoch)
            if fut is not None and conn not in st.in_use:
                futs.append(fut)
        return futs

    def _reauth(self, conn: Connection, creds: Any, epoch: int) -> asyncio.Future[Any] | None:
        """Queue one AUTH on ``conn``, in its FIFO like any command: the commands before it
        run as the old user, those after it as the new one; nothing waits, nothing races.
        A blocked connection (BLPOP) runs it when its command returns. A RESP2 Pub/Sub
        connection cannot (the server refuses AUTH in subscribed mode): it keeps
        receiving and uses the new credentials at its next reconnect."""
        from .credentials import auth_command

        if conn.closed or conn.auth_epoch >= epoch:
            return None
        if conn.is_pubsub:
            if pubsub_resp(self.params) != 3:
                return None
            fut = conn.send_own(auth_command(creds))
        else:
            fut = conn.execute(auth_command(creds))
        conn.auth_epoch = epoch
        conn.own += 1
        fut.add_done_callback(partial(self._reauthed, conn, epoch))
        return fut

    def _catch_up(self, conn: Connection) -> None:
        """A connection whose handshake began before the provider's last push gets that
        push's credentials now (queued before any command of its first user)."""
        provider = self.params.credential_provider
        if provider is None:
            return
        from .credentials import fanout

        f = fanout(provider)
        if f is not None and f.latest is not None and conn.auth_epoch < f.epoch:
            self._reauth(conn, f.latest, f.epoch)

    def _reauthed(self, conn: Connection, epoch: int, fut: asyncio.Future[Any]) -> None:
        conn.own -= 1
        if fut.cancelled():
            return
        exc = fut.exception()
        if exc is None or conn.closed and isinstance(exc, ConnectionError):
            return
        # the connection stays authenticated as before (a failed AUTH changes nothing on
        # the server); said once per push, not once per connection
        if self._auth_warned != epoch:
            self._auth_warned = epoch
            _logger().warning("re-authentication with the new credentials failed on %s (its connections "
                              "keep the previous ones): %s", self.params.address, exc)

    # ------------------------------------------------------------------ closing
    def disconnect(self, inuse_connections: bool = True) -> _Closing:
        """Close every connection now (in-flight commands fail with ConnectionError). The
        pool stays usable: the next command connects again (redis-py's meaning).
        ``await pool.disconnect()`` also waits until the sockets are released."""
        return _Closing(self._close_all(final=False))

    async def aclose(self) -> None:
        """Close every connection and the pool itself, for good: using it afterwards
        raises ClientClosedError. Safe to call twice."""
        await _wait_released(self._close_all(final=True))

    def _close_all(self, *, final: bool) -> list[Any]:
        with self._lock:
            if final:
                self._closed = True
            states = list(self._states.values())
            self._states.clear()
            self._last = None
            self.current = None
        running = _running_loop()
        waits: list[Any] = []
        for st in states:
            st.dead = True
            if st.loop is running:
                waits.extend(self._shutdown_state(st))
            elif st.loop.is_closed():
                for c in st.connections():
                    c.orphan()
                _finish(st.watcher)
            else:  # a live loop in another thread: it closes its own connections
                try:
                    st.loop.call_soon_threadsafe(self._shutdown_state, st)
                except RuntimeError:  # closed meanwhile
                    for c in st.connections():
                        c.orphan()
        return waits

    def _shutdown_state(self, st: _LoopState) -> list[Any]:
        """On ``st``'s own loop: close its connections now; what to wait for."""
        st.dead = True
        if st.reaper is not None:
            st.reaper.cancel()
            st.reaper = None
        conns = st.connections()
        st.shared, st.idle = [], []
        st.in_use.clear()
        waits: list[Any] = []
        for c in conns:
            c.on_lost = None
            if self.current is c:
                self.current = None
            c.close()
            waits.append(c)
        for fut in [st.connecting, *st.opening]:
            if fut is not None and not fut.done():
                fut.cancel()
                waits.append(fut)
        _finish(st.watcher)
        return waits

    async def _close_state(self, st: _LoopState) -> None:
        """The loop of ``st`` is shutting down (see _watch_loop)."""
        with self._lock:
            if self._states.get(st.loop) is st:
                del self._states[st.loop]
            if self._last is st:
                self._last = None
        st.watcher = None  # it is the one running this
        await _wait_released(self._shutdown_state(st))

    def stats(self) -> dict[str, Any]:
        """A snapshot of this pool, every event loop together: ``connections`` by state
        (``shared``, ``idle`` and ``used`` exclusive ones, ``connecting``), ``in_flight``
        (commands awaiting a reply on the shared connections) and ``in_flight_per_shared``,
        and the counters since the pool was made: ``connects``, ``connect_errors``,
        ``connect_timeouts``, ``reconnects`` (a lost shared connection replaced),
        ``timeouts`` (replies not received within ``socket_timeout``) and ``errors``
        (error replies and commands lost with their connection, by ``error.type``).
        fastredis.telemetry's observable instruments read the same counters."""
        return _observe.snapshot(self.counters, list(self._states.values()))

    def connection_count(self) -> int:
        n = 0
        for st in list(self._states.values()):
            n += len([c for c in st.shared if not c.closed]) + len(st.idle) + len(st.in_use)
        return n

    def __repr__(self) -> str:
        return f"<fastredis.{type(self).__name__} {self.params!r} connections={self.connection_count()}>"


class BlockingConnectionPool(ConnectionPool):
    """redis-py's ``BlockingConnectionPool(max_connections=50, timeout=20, ...)``: when all
    ``max_connections`` exclusive connections are in use, a caller waits up to ``timeout``
    seconds (``None``: for as long as it takes) for one to be released, then gets
    ``ConnectionError("No connection available.")``. Plain commands share a connection
    and never wait for a slot."""

    def __init__(self, params: ConnectionParams | None = None, *, max_connections: int = 50,
                 timeout: float | None = 20, **kwargs: Any) -> None:
        super().__init__(params, max_connections=max_connections, **kwargs)
        if self.max_connections is None:
            raise ValueError("BlockingConnectionPool needs max_connections (an int >= 1)")
        self.timeout = _seconds_option("timeout", timeout, none_ok=False)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> BlockingConnectionPool:
        """``?timeout=`` in the URL (or ``timeout=``) is the wait for a free connection."""
        pool: BlockingConnectionPool = super().from_url(url, **kwargs)
        return pool

    async def _take_slot(self, sem: asyncio.Semaphore) -> None:
        import asyncio

        try:
            async with deadline(self.timeout):
                await sem.acquire()
        except asyncio.TimeoutError:
            raise ConnectionError("No connection available.") from None


def _connect_done(st: _LoopState, fut: asyncio.Future[Connection]) -> None:
    if st.connecting is fut:
        st.connecting = None
    if not fut.cancelled() and fut.exception() is not None:  # retrieved: callers got it
        st.reopen_at = st.loop.time() + _REOPEN_DELAY  # (an extra connection: see _pick)
