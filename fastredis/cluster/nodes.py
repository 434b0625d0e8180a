"""A cluster node is a pool: ``NodePool`` is the ``ConnectionPool`` that ``Redis`` uses,
built from the node's own parameters, plus the little the cluster adds.

What the pool already does for one server, it does for each node: the shared multiplexed
connection of each event loop (a client used from two threads or successive
``asyncio.run`` calls gets a connection per loop, and no loop touches another's), the one
open for all waiting callers, exclusive checkouts (blocking commands, WATCH), closing a
loop's connections when it shuts down, ``disconnect()``. What the cluster adds:

* the node's ``connection`` is the pool's ``current`` (the hot path reads that one
  attribute, as before). It stays the first live loop's connection while that loop
  lives, so a second loop does not take the hot path (and the client-side cache's
  owner check) away from the first;
* every new connection runs the client's ``on_connect`` first (READONLY when reads may
  go to replicas), and a lost shared connection is reported (``on_lost``: the client
  refreshes the slot map when a primary's goes);
* ``max_connections`` is redis-py's per-node bound: the shared connection and the
  exclusive ones counted together, and one more is refused with MaxConnectionsError
  (not awaited), each counted until it closes, however it closes;
* ``health_check_interval``: every interval, each idle shared connection of the loop
  answers a PING (off the command path), else it is closed and the next command opens
  another (``ping_idle``);
* credentials: the pool registers with a streaming provider as every pool does, so a push
  re-authenticates the node's shared connections (the topology's CLUSTER SHARDS goes on
  them too) and its exclusive ones in place. The cluster Pub/Sub opens its node
  connections itself; it hands them to ``follow`` so they are re-authenticated with the
  pool's (RESP3; RESP2 refuses AUTH in subscribed mode: its next reconnect asks the
  provider).
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from .._log import get_logger
from ..exceptions import MaxConnectionsError
from ..pool import ConnectionPool
from .slots import ROUTING

if TYPE_CHECKING:
    from .._protocol import Connection
    from ..connection import ConnectionParams
    from .slots import ClusterNode

__all__ = ["NodePool", "Ticker", "node_params", "usable"]

log = get_logger("fastredis.cluster")


def node_params(params: ConnectionParams, node: ClusterNode) -> ConnectionParams:
    """The client's connection parameters for ``node``: its address, and the TLS hostname
    CLUSTER SHARDS names for it (verified against, unless the caller chose one)."""
    out = params.__class__.__new__(params.__class__)
    for name in params.__class__.__slots__:
        setattr(out, name, getattr(params, name))
    out.host = node.host
    out.port = node.port
    if params.ssl and node.tls_hostname and not params.ssl_params.get("ssl_server_hostname"):
        out.ssl_params = dict(params.ssl_params, ssl_server_hostname=node.tls_hostname)
    return out


def usable(node: ClusterNode, loop: asyncio.AbstractEventLoop) -> Connection | None:
    """The node's open shared connection on ``loop``, or None (never opens one)."""
    conn = node.connection
    if conn is not None and conn._loop is loop and not conn.closed:
        return conn
    pool = node.pool
    st = pool._states.get(loop) if pool is not None else None
    return next((c for c in st.shared if not c.closed), None) if st is not None else None


class NodePool(ConnectionPool):
    """One cluster node's connections (see the module docstring)."""

    def __init__(self, node: ClusterNode, params: ConnectionParams, *, max_connections: int | None,
                 on_connect: Callable[[Connection], Awaitable[None]],
                 on_lost: Callable[[ClusterNode], None]) -> None:
        self.node = node
        self._base = params  # the client's: node_params() again once a TLS hostname is learnt
        self.limit = max_connections
        self._on_connect = on_connect
        self._on_lost = on_lost
        self._reserved = 0  # exclusive checkouts being opened (counted before they exist)
        # connections opened outside the pool that rotate with it (``follow``)
        self._followed: set[Connection] = set()
        super().__init__(node_params(params, node))

    # the pool's fast-path slot is the node's ``connection`` (see the module docstring)
    @property
    def current(self) -> Connection | None:
        return self.node.connection

    @current.setter
    def current(self, conn: Connection | None) -> None:
        old = self.node.connection
        if conn is None or old is None or old.closed or old._loop is conn._loop or old._loop.is_closed():
            self.node.connection = conn
            if conn is not old:
                ROUTING.bump()

    async def _connect(self, **kw: Any) -> Connection:
        node = self.node
        if self.params.ssl and node.tls_hostname and self.params.ssl_params.get(
                "ssl_server_hostname") != node.tls_hostname:
            self.params = node_params(self._base, node)  # learnt after the pool was made
        conn = await super()._connect(**kw)
        try:
            await self._on_connect(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _shared_lost(self, st: Any, conn: Connection) -> None:
        super()._shared_lost(st, conn)
        self._on_lost(self.node)

    async def acquire(self, *, pubsub: bool = False) -> Connection:
        """An exclusive connection, within ``max_connections`` (the shared one counts)."""
        limit = self.limit
        if limit is not None:
            busy = len(self.in_use()) + self._reserved
            if busy + 1 >= limit:
                raise MaxConnectionsError(
                    f"Too many connections to {self.node.name}: max_connections={limit} (one shared "
                    f"connection and {busy} for blocking commands / WATCH)")
        self._reserved += 1
        try:
            conn = await super().acquire(pubsub=pubsub)
        finally:
            self._reserved -= 1
        # counted until it closes, however it closes (an abort by its user included)
        conn.closed_future.add_done_callback(functools.partial(self._gone, conn))
        return conn

    def _gone(self, conn: Connection, _fut: Any) -> None:
        self.forget(conn)

    def follow(self, conn: Connection) -> None:
        """``conn`` (a cluster Pub/Sub node connection, opened outside the pool) is
        re-authenticated whenever the pool's connections are, until it closes; brought up
        to date now if credentials were pushed while it was being opened."""
        if conn.closed:
            return
        with self._lock:
            self._followed.add(conn)
        conn.closed_future.add_done_callback(functools.partial(self._unfollow, conn))
        self._catch_up(conn)

    def _unfollow(self, conn: Connection, _fut: Any) -> None:
        with self._lock:
            self._followed.discard(conn)

    def _rotate(self, creds: Any, epoch: int) -> list[asyncio.Future[Any]]:
        """The pool's connections (ConnectionPool._rotate), then the followed ones: each
        on its own event loop (this runs on any thread); the AUTH futures of the running
        loop's are returned for whoever awaits the push."""
        futs = super()._rotate(creds, epoch)
        with self._lock:
            followed = list(self._followed)
        running = asyncio.events._get_running_loop()
        for conn in followed:
            if conn._loop is running:
                fut = self._reauth(conn, creds, epoch)
                if fut is not None:
                    futs.append(fut)
            else:
                try:
                    conn._loop.call_soon_threadsafe(self._reauth, conn, creds, epoch)
                except RuntimeError:  # that loop is closed
                    pass
        return futs

    def ping_idle(self, loop: asyncio.AbstractEventLoop, limit: float) -> None:
        """``health_check_interval``: each shared connection of ``loop`` with nothing in
        flight answers a PING within ``limit`` seconds, else it is closed (and logged); a
        busy connection proves itself."""
        st = self._states.get(loop)
        for conn in list(st.shared) if st is not None else ():
            if conn.closed or conn.pending:
                continue
            fut = conn.execute(("PING",))
            late = loop.call_later(limit, self._ping_late, conn, fut, limit)
            fut.add_done_callback(functools.partial(self._ping_done, conn, late))

    def _ping_late(self, conn: Connection, fut: asyncio.Future[Any], limit: float) -> None:
        if not fut.done() and not conn.closed:
            log.warning("health check of cluster node %s: no answer to PING within %.1fs; reconnecting",
                        self.node.name, limit)
            conn.abort("closed: failed its health check")

    def _ping_done(self, conn: Connection, late: asyncio.TimerHandle, fut: asyncio.Future[Any]) -> None:
        late.cancel()
        if fut.cancelled():
            return
        exc = fut.exception()
        if exc is not None and not conn.closed:
            log.warning("health check of cluster node %s failed (%s); reconnecting", self.node.name, exc)
            conn.abort("closed: failed its health check")

    def shared_connections(self) -> list[Connection]:
        """The open shared connection(s) of every event loop."""
        with self._lock:
            states = list(self._states.values())
        return [c for st in states for c in st.shared if not c.closed]

    def busy(self) -> bool:
        """A command is in flight on one of its connections."""
        return any(c.pending for c in self.all_connections() if not c.closed)

    def __repr__(self) -> str:
        return f"<fastredis.cluster.NodePool {self.node.name} connections={self.connection_count()}>"


class Ticker:
    """``action(loop)`` every ``interval()`` seconds (None or 0: off) on the event loop that
    started it last, until ``action`` returns False or ``stop()``; another loop's timer is
    cancelled through that loop (thread-safe). The cluster's periodic topology check and
    ``health_check_interval`` sweep."""

    __slots__ = ("_interval", "_action", "_handle", "_loop")

    def __init__(self, interval: Callable[[], float | None],
                 action: Callable[[asyncio.AbstractEventLoop], bool]) -> None:
        self._interval = interval
        self._action = action
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """On the running loop (a timer left by a previous loop is dropped); no-op if running."""
        loop = asyncio.get_running_loop()
        if self._handle is not None and self._loop is not loop:
            self._handle.cancel()  # left behind by a previous event loop
            self._handle = None
        delay = self._interval()
        if delay and self._handle is None:
            self._loop = loop
            self._handle = loop.call_later(delay, self._fire, loop)

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._handle = None
        if self._action(loop):
            self.start()

    def stop(self) -> None:
        handle, loop, self._handle = self._handle, self._loop, None
        if handle is None:
            return
        if loop is None or loop is asyncio.events._get_running_loop():
            handle.cancel()
        elif not loop.is_closed():  # never touch another loop's timer from here
            loop.call_soon_threadsafe(handle.cancel)
