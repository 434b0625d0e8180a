"""``r.monitor()``: the MONITOR stream on a connection of its own (redis-py's ``Monitor``).

Once MONITOR is sent the server writes a line for every command it runs, unasked. That
does not fit the request/reply FIFO of :class:`fastredis._protocol.Connection` (a reply
with no future aborts it), so the connection, once opened and hand-shaken as usual
(AUTH, SELECT ...), is switched to a small protocol of its own *before* MONITOR is written:
no line can reach the wrong reader, however soon it follows the ``+OK``. The connection
never goes back to the pool. Lines wait in a bounded queue; past ``high_water`` lines the
socket is paused (the server then buffers, bounded by its ``client-output-buffer-limit``),
so a slow reader never costs unbounded client memory.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, TypedDict

import hiredis

from .connection import connect
from .exceptions import ConnectionError, ProtocolError, RedisError, TimeoutError, error_from_reply

if TYPE_CHECKING:
    from .pool import ConnectionPool

__all__ = ["Monitor", "MonitorCommandInfo"]

_NOT_ENOUGH = object()
_MONITOR = hiredis.pack_command(("MONITOR",))


class MonitorCommandInfo(TypedDict):
    """One command seen by MONITOR (redis-py's shape)."""

    time: float
    db: int
    client_address: str
    client_port: str
    client_type: str
    command: str


class _MonitorProtocol(asyncio.Protocol):
    """Feeds hiredis, queues every reply, wakes the reader; nothing else."""

    def __init__(self, loop: asyncio.AbstractEventLoop, description: str, high_water: int) -> None:
        self._loop = loop
        self._reader = hiredis.Reader(notEnoughData=_NOT_ENOUGH)
        self.lines: deque[Any] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.transport: asyncio.Transport | None = None
        self.exc: BaseException | None = None
        self.description = description
        self.high = high_water
        self.low = max(1, high_water // 4)
        self.paused = False
        self.closed_future: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: Any) -> None:  # pragma: no cover - set_protocol
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        reader.feed(data)
        while True:
            try:
                reply = reader.gets()
            except hiredis.ProtocolError as exc:
                self.fail(ProtocolError(f"Protocol error from {self.description}: {exc}"), exc)
                if self.transport is not None:
                    self.transport.abort()
                return
            if reply is _NOT_ENOUGH:
                break
            self.lines.append(reply)
        if len(self.lines) >= self.high and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self.wake()

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: BaseException | None) -> None:
        why = "closed by the server" if exc is None else (str(exc) or type(exc).__name__)
        self.fail(ConnectionError(f"Connection to {self.description} lost: {why}"), exc)
        if not self.closed_future.done():
            self.closed_future.set_result(None)

    def fail(self, err: BaseException, cause: BaseException | None = None) -> None:
        if self.exc is None:
            if cause is not None:
                err.__cause__ = cause
            self.exc = err
        self.wake()

    def wake(self) -> None:
        w, self.waiter = self.waiter, None
        if w is not None and not w.done():
            w.set_result(None)

    def consumed(self) -> None:
        if self.paused and len(self.lines) <= self.low and self.transport is not None and self.exc is None:
            self.paused = False
            self.transport.resume_reading()


class Monitor:
    """``async with r.monitor() as m:`` then ``async for cmd in m.listen()`` (or
    ``async for cmd in m``, or ``await m.next_command()``). Each command is a
    :class:`MonitorCommandInfo` dict, parsed as redis-py parses it."""

    monitor_re = re.compile(r"\[(\d+) (.*?)\] (.*)")
    command_re = re.compile(r'"(.*?)(?<!\\)"')

    def __init__(self, connection_pool: ConnectionPool, *, high_water: int = 4096) -> None:
        self.connection_pool = connection_pool
        self._high = high_water
        self._proto: _MonitorProtocol | None = None
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("started" if self._proto else "new")
        return f"<fastredis.Monitor {self.connection_pool.params.address} {state}>"

    async def connect(self) -> None:
        """Open the connection and start MONITOR (``async with`` does it; so does the
        first ``next_command``). Raises the server's error (e.g. NOPERM) if it refuses."""
        if self._proto is not None:
            return
        params = self.connection_pool.params
        conn = await connect(params)
        loop = asyncio.get_running_loop()
        proto = _MonitorProtocol(loop, params.address, self._high)
        transport = conn._transport
        proto.transport = transport
        transport.set_protocol(proto)  # before MONITOR: every line reaches this reader
        self._proto = proto
        self._closed = False
        try:
            transport.write(_MONITOR)
            timeout = params.socket_timeout
            reply = await (self._next_reply() if timeout is None else asyncio.wait_for(self._next_reply(), timeout))
        except asyncio.TimeoutError as exc:
            self._abort()
            raise TimeoutError(f"Timeout waiting for MONITOR's reply from {params.address}") from exc
        except BaseException:
            self._abort()
            raise
        if reply.__class__ is hiredis.ReplyError:
            self._abort()
            raise error_from_reply(reply.args[0])
        if reply not in (b"OK", "OK"):
            self._abort()
            raise RedisError(f"MONITOR failed: {reply!r}")

    async def _next_reply(self) -> Any:
        proto = self._proto
        if proto is None:
            raise RedisError("The monitor is closed")
        while not proto.lines:
            if proto.exc is not None:
                raise proto.exc
            fut = proto.waiter = proto._loop.create_future()
            await fut
        line = proto.lines.popleft()
        proto.consumed()
        return line

    async def next_command(self) -> MonitorCommandInfo:
        """Wait for the next command the server runs and return it parsed."""
        if self._proto is None:
            if self._closed:
                raise RedisError("The monitor is closed")
            await self.connect()
        reply = await self._next_reply()
        if reply.__class__ is hiredis.ReplyError:
            raise error_from_reply(reply.args[0])
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", errors="replace")
        return self.parse(reply)

    @classmethod
    def parse(cls, line: str) -> MonitorCommandInfo:
        """One MONITOR line -> dict (redis-py's rules: quotes around each argument
        dropped, ``\\"`` unescaped, the rest left as the server escaped it)."""
        command_time, command_data = line.split(" ", 1)
        m = cls.monitor_re.match(command_data)
        if m is None:
            raise ProtocolError(f"Unexpected MONITOR line: {line[:100]!r}")
        db_id, client_info, command = m.groups()
        command = " ".join(cls.command_re.findall(command)).replace('\\"', '"')
        if client_info == "lua":
            address, port, kind = "lua", "", "lua"
        elif client_info.startswith("unix"):
            address, port, kind = "unix", client_info[5:], "unix"
        else:
            address, port = client_info.rsplit(":", 1)  # rsplit: IPv6 addresses have colons
            kind = "tcp"
        return {
            "time": float(command_time),
            "db": int(db_id),
            "client_address": address,
            "client_port": port,
            "client_type": kind,
            "command": command,
        }

    async def listen(self) -> AsyncIterator[MonitorCommandInfo]:
        """Yield commands until the monitor is closed (a lost connection raises
        ConnectionError)."""
        while True:
            try:
                yield await self.next_command()
            except RedisError:
                if self._closed:
                    return
                raise

    def __aiter__(self) -> AsyncIterator[MonitorCommandInfo]:
        return self.listen()

    async def __aenter__(self) -> Monitor:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _abort(self) -> None:
        proto, self._proto = self._proto, None
        self._closed = True
        if proto is not None:
            proto.fail(ConnectionError("The monitor was closed"))
            if proto.transport is not None:
                proto.transport.abort()

    async def aclose(self) -> None:
        """Close the monitor's connection (safe to call twice; survives cancellation)."""
        proto, self._proto = self._proto, None
        self._closed = True
        if proto is None:
            return
        proto.fail(ConnectionError("The monitor was closed"))
        if proto.transport is not None:
            proto.transport.close()
        try:
            await asyncio.wait_for(asyncio.shield(proto.closed_future), 1.0)
        except asyncio.TimeoutError:  # pragma: no cover - the peer never acknowledged
            if proto.transport is not None:
                proto.transport.abort()

    close = aclose
