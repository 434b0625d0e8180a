"""The pool: a few shared, multiplexed connections plus exclusive checkouts.

* Ordinary commands share ``max_shared`` connections (default 1): many commands are in
  flight on one connection at once, matched FIFO, so 200 concurrent tasks use one socket.
* Blocking commands, WATCH/MULTI and Pub/Sub take an exclusive connection so they never
  stall the shared ones. An exclusive connection goes back to the idle list only when it is
  healthy and has nothing in flight.
* A lost shared connection is replaced on the next command; commands that were in flight on
  it fail with ConnectionError and are never re-sent (they may have run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .connection import ConnectionParams, connect
from .exceptions import ConnectionError

if TYPE_CHECKING:  # asyncio is imported on first use, not by `import fastredis`
    import asyncio

    from ._protocol import Connection

__all__ = ["ConnectionPool"]


def _running_loop() -> asyncio.AbstractEventLoop | None:
    import sys

    asyncio_mod = sys.modules.get("asyncio")  # not imported yet: no loop can be running
    return asyncio_mod.events._get_running_loop() if asyncio_mod is not None else None


class ConnectionPool:
    def __init__(
        self,
        params: ConnectionParams | None = None,
        *,
        max_shared: int = 1,
        max_connections: int | None = None,
        max_idle: int = 8,
        **kwargs: Any,
    ) -> None:
        self.params = params if params is not None else ConnectionParams(**kwargs)
        self.max_shared = max(1, int(max_shared))
        self.max_connections = max_connections
        self.max_idle = max_idle
        self._shared: list[Connection] = []
        self._connecting: asyncio.Future[Any] | None = None
        self._idle: list[Connection] = []
        self._in_use: set[Connection] = set()
        self._closed = False
        self._exclusive_sem: asyncio.Semaphore | None = None
        # fast path for Redis._execute: the one shared connection when it is up
        self.current: Connection | None = None

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> ConnectionPool:
        from .connection import parse_url

        opts = parse_url(url)
        opts.update(kwargs)
        from .client import _split_params

        params, pool_kw, _ = _split_params(opts)
        return cls(params, **pool_kw)

    # ------------------------------------------------------------------ shared
    async def get_shared(self) -> Connection:
        """A live shared connection; opens one (once, for all waiting callers) if needed."""
        import asyncio

        if self._closed:
            # a closed pool reopens on use, like redis-py's; close() is not final
            self._closed = False
        loop = asyncio.get_running_loop()
        shared = [c for c in self._shared if not c.closed and c._loop is loop]
        if len(shared) != len(self._shared):
            self._drop_foreign(loop)
        self._shared = shared
        if shared:
            best = min(shared, key=lambda c: c.pending)
            if best.pending == 0 or len(shared) >= self.max_shared:
                self.current = shared[0] if len(shared) == 1 else None
                return best
        fut = self._connecting
        if fut is None:
            fut = self._connecting = asyncio.ensure_future(self._open_shared())
            fut.add_done_callback(self._connect_done)
        return await asyncio.shield(fut)

    def _drop_foreign(self, loop: asyncio.AbstractEventLoop) -> None:
        """Forget connections made on another event loop (a client reused across
        ``asyncio.run`` calls or benchmark rounds); each gets a new one on this loop."""
        for c in self._shared + self._idle:
            if c._loop is not loop:
                c.orphan()
        self._shared = [c for c in self._shared if c._loop is loop]
        self._idle = [c for c in self._idle if c._loop is loop]
        if self.current is not None and self.current._loop is not loop:
            self.current = None
        fut = self._connecting
        if fut is not None and fut.get_loop() is not loop:
            self._connecting = None

    def _connect_done(self, fut: asyncio.Future[Any]) -> None:
        self._connecting = None
        if not fut.cancelled():
            fut.exception()  # retrieved: callers got it through the shield

    async def _connect(self, **kw: Any) -> Connection:
        """Open one connection. The one place a subclass may choose the address per
        connection (fastredis.sentinel resolves the master here and verifies its ROLE)."""
        return await connect(self.params, **kw)

    async def _open_shared(self) -> Connection:
        conn = await self._connect()
        conn.on_lost = self._shared_lost
        self._shared.append(conn)
        self.current = conn if len(self._shared) == 1 else None
        return conn

    def _shared_lost(self, conn: Connection) -> None:
        if conn in self._shared:
            self._shared.remove(conn)
        if self.current is conn:
            self.current = None

    # ------------------------------------------------------------------ exclusive
    async def acquire(self, *, pubsub: bool = False) -> Connection:
        """An exclusive connection (blocking commands, transactions, Pub/Sub)."""
        import asyncio

        if self._closed:
            self._closed = False
        if self.max_connections is not None:
            if self._exclusive_sem is None:
                self._exclusive_sem = asyncio.Semaphore(self.max_connections)
            await self._exclusive_sem.acquire()
        try:
            conn = None
            loop = asyncio.get_running_loop()
            while self._idle and not pubsub:
                c = self._idle.pop()
                if c._loop is not loop:
                    c.orphan()
                elif not c.closed:
                    conn = c
                    break
            if conn is None:
                conn = await self._connect(pubsub=pubsub, client_id=not pubsub)
        except BaseException:
            if self._exclusive_sem is not None:
                self._exclusive_sem.release()
            raise
        self._in_use.add(conn)
        return conn

    def release(self, conn: Connection, *, reusable: bool = True) -> None:
        """Give an exclusive connection back. Never awaits, so it survives cancellation."""
        if conn not in self._in_use:
            return
        self._in_use.discard(conn)
        if self._exclusive_sem is not None:
            self._exclusive_sem.release()
        if reusable and not conn.closed and conn.is_idle and not self._closed and len(self._idle) < self.max_idle:
            self._idle.append(conn)
        else:
            conn.close()

    # ------------------------------------------------------------------ closing
    def disconnect(self) -> None:
        """Close every connection now (in-flight commands fail with ConnectionError)."""
        self._closed = True
        self.current = None
        running = _running_loop()
        for c in self._shared + self._idle + list(self._in_use):
            if c._loop is running or (running is None and not c._loop.is_closed()):
                c.close()
            else:
                c.orphan()  # made on another event loop: never call into it from here
        self._shared = []
        self._idle = []
        self._in_use.clear()
        fut = self._connecting
        if fut is not None and not fut.done() and fut.get_loop() is running:
            fut.cancel()

    async def aclose(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        conns = [c for c in self._shared + self._idle + list(self._in_use) if c._loop is loop]
        self.disconnect()
        for c in conns:
            try:
                await asyncio.wait_for(c.wait_closed(), 1.0)
            except (asyncio.TimeoutError, ConnectionError):  # pragma: no cover
                pass

    def connection_count(self) -> int:
        return len([c for c in self._shared if not c.closed]) + len(self._idle) + len(self._in_use)

    def __repr__(self) -> str:
        return f"<fastredis.ConnectionPool {self.params!r} connections={self.connection_count()}>"
