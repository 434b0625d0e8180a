"""Fault injection for the reliability tests (issue 5).

* ``FaultProxy``: an asyncio TCP proxy on 127.0.0.1 (free port) in front of a real
  redis-server. It runs on the test's own event loop, so every fault is injected at a
  known point of the test, without threads. Knobs:

  - ``delay``: seconds to wait before forwarding each chunk (both directions);
  - ``hold_replies()`` / ``release_replies()``: a gate on server->client bytes, for tests
    that must act while a reply is known to be on its way (deterministic, no timing);
  - ``chunk_size``: split server->client bytes into chunks of that size (1 = byte by
    byte), yielding to the loop between chunks so the client really reads them apart;
  - ``blackhole()`` / ``end_blackhole(heal=...)``: keep every socket open and forward
    nothing. ``heal=True`` forwards what was held (a network partition that healed: TCP
    delivers late); ``heal=False`` leaves the connections that lived through it dead
    forever - open, silent - as after a peer that vanished (a half-open connection),
    while new connections work;
  - ``cut_all()``: abort every connection now (both sides);
  - ``cut_after(n)``: once ``n`` more client->server bytes have been forwarded, the next
    server->client bytes on that connection are dropped and the connection is cut: the
    server has run the command, the client never sees its reply;
  - counters ``c2s_bytes`` / ``s2c_bytes`` / ``accepted`` and ``wait_c2s(n)`` to wait
    until the server has been sent at least ``n`` bytes.

* ``FakeServer``: a scripted server on 127.0.0.1 that parses each command with hiredis
  and answers exactly the bytes its script returns (for malformed replies).

Nothing here sleeps to synchronise: waits are on events, bounded by the caller's
``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import hiredis

__all__ = ["FaultProxy", "FakeServer", "Reply", "fd_count"]


def fd_count() -> int:
    import os

    return len(os.listdir("/proc/self/fd"))


async def _close_writer(writer: asyncio.StreamWriter, abort: bool = False) -> None:
    try:
        if abort:
            writer.transport.abort()
        else:
            writer.close()
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass


class _Link:
    """One proxied connection: client side and server side streams."""

    def __init__(self, proxy: FaultProxy, cr, cw, sr, sw) -> None:
        self.proxy = proxy
        self.cr, self.cw, self.sr, self.sw = cr, cw, sr, sw
        self.dead = False  # half-open after a blackhole that did not heal
        self.held_c2s: list[bytes] = []
        self.held_s2c: list[bytes] = []
        self.cut_at: int | None = None  # c2s byte count after which the next reply is cut
        self.c2s = 0
        self.cut = False

    async def run(self) -> None:
        tasks = [
            asyncio.ensure_future(self._pump_c2s()),
            asyncio.ensure_future(self._pump_s2c()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.close(abort=self.cut)

    async def close(self, abort: bool = False) -> None:
        await _close_writer(self.cw, abort)
        await _close_writer(self.sw, abort)

    def abort(self) -> None:
        self.cut = True
        for w in (self.cw, self.sw):
            w.transport.abort()

    async def _pump_c2s(self) -> None:
        p = self.proxy
        while True:
            try:
                data = await self.cr.read(65536)
            except (ConnectionError, OSError):
                return
            if not data:
                return
            if p.delay:
                await asyncio.sleep(p.delay)
            if self.dead:
                continue
            if p._blackholed:
                self.held_c2s.append(data)
                continue
            self.sw.write(data)
            self.c2s += len(data)
            p.c2s_bytes += len(data)
            p._notify()

    async def _pump_s2c(self) -> None:
        p = self.proxy
        while True:
            try:
                data = await self.sr.read(65536)
            except (ConnectionError, OSError):
                return
            if not data:
                return
            if self.cut_at is not None and self.c2s >= self.cut_at:
                # the server answered the request we were told to cut after: drop the
                # reply and cut both sides (the command ran, the client never knows)
                self.abort()
                p.cuts += 1
                p._notify()
                return
            if p.delay:
                await asyncio.sleep(p.delay)
            if p._gate is not None:
                await p._gate.wait()
            if self.dead:
                continue
            if p._blackholed:
                self.held_s2c.append(data)
                continue
            await self._send_to_client(data)

    async def _send_to_client(self, data: bytes) -> None:
        p = self.proxy
        n = p.chunk_size
        if not n or n >= len(data):
            self.cw.write(data)
            p.s2c_bytes += len(data)
            return
        mv = memoryview(data)
        for i in range(0, len(data), n):
            if self.cw.is_closing():
                return
            self.cw.write(bytes(mv[i:i + n]))
            p.s2c_bytes += min(n, len(data) - i)
            # two yields: the client's read callback runs before the next chunk is sent
            await asyncio.sleep(0)
            await asyncio.sleep(0)


class _LoopbackService:
    """What the proxy and the fake server share: ``async with``, and client kwargs that
    point a fastredis client at them."""

    host: str
    port: int

    async def start(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    async def aclose(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def __aenter__(self) -> Any:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def client_kwargs(self, **extra: Any) -> dict[str, Any]:
        kw: dict[str, Any] = {"host": self.host, "port": self.port}
        kw.update(extra)
        return kw


class FaultProxy(_LoopbackService):
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.delay = 0.0
        self.chunk_size = 0
        self.c2s_bytes = 0
        self.s2c_bytes = 0
        self.accepted = 0
        self.cuts = 0
        self._blackholed = False
        self._gate: asyncio.Event | None = None
        self._cut_after: int | None = None
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task] = set()
        self._server: asyncio.AbstractServer | None = None
        self._changed: asyncio.Event | None = None

    # -------------------------------------------------------------- lifecycle
    async def start(self) -> FaultProxy:
        self._changed = asyncio.Event()
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self.release_replies()
        for link in list(self._links):
            link.abort()
        # never cancel a stream handler task: asyncio reports that to the loop's
        # exception handler. Aborted sockets end their pumps by themselves.
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _accept(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            sr, sw = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            await _close_writer(cw, abort=True)
            return
        link = _Link(self, cr, cw, sr, sw)
        if self._cut_after is not None:
            link.cut_at = link.c2s + self._cut_after
        self._links.add(link)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._notify()
        try:
            await link.run()
        finally:
            self._links.discard(link)
            self._tasks.discard(task)
            self._notify()

    # -------------------------------------------------------------- waits
    def _notify(self) -> None:
        ev = self._changed
        if ev is not None:
            ev.set()
            self._changed = asyncio.Event()

    async def _until(self, predicate: Callable[[], bool]) -> None:
        while not predicate():
            assert self._changed is not None
            await self._changed.wait()

    async def wait_c2s(self, n: int) -> None:
        """Until at least ``n`` client->server bytes were forwarded in total."""
        await self._until(lambda: self.c2s_bytes >= n)

    async def wait_cut(self, count: int = 1) -> None:
        await self._until(lambda: self.cuts >= count)

    async def wait_links(self, count: int) -> None:
        await self._until(lambda: len(self._links) == count)

    @property
    def links(self) -> int:
        return len(self._links)

    # -------------------------------------------------------------- faults
    def hold_replies(self) -> None:
        if self._gate is None:
            self._gate = asyncio.Event()

    def release_replies(self) -> None:
        gate, self._gate = self._gate, None
        if gate is not None:
            gate.set()

    def blackhole(self) -> None:
        self._blackholed = True

    def end_blackhole(self, heal: bool = True) -> None:
        self._blackholed = False
        for link in self._links:
            c2s, s2c = link.held_c2s, link.held_s2c
            link.held_c2s, link.held_s2c = [], []
            if not heal:
                link.dead = True
                continue
            for data in c2s:
                link.sw.write(data)
                link.c2s += len(data)
                self.c2s_bytes += len(data)
            for data in s2c:
                link.cw.write(data)
                self.s2c_bytes += len(data)
        self._notify()

    def cut_all(self) -> None:
        for link in list(self._links):
            link.abort()

    def cut_after(self, n: int | None) -> None:
        """Arm (or disarm with None) the cut for current and future connections."""
        self._cut_after = n
        for link in self._links:
            link.cut_at = None if n is None else link.c2s + n


class Reply:
    """What a FakeServer script returns: exact bytes, then optionally close (EOF)."""

    __slots__ = ("data", "close")

    def __init__(self, data: bytes, close: bool = False) -> None:
        self.data = data
        self.close = close


class FakeServer(_LoopbackService):
    """A scripted server: ``script(command: list[bytes]) -> bytes | Reply | None``.

    Records every command and counts connections and bytes received."""

    def __init__(self, script: Callable[[list], Any]) -> None:
        self.script = script
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.connections = 0
        self.commands: list[list] = []
        self.bytes_received = 0
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> FakeServer:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for w in list(self._writers):
            w.transport.abort()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        parser = hiredis.Reader()
        eof_sent = False
        try:
            while True:
                try:
                    data = await reader.read(65536)
                except (ConnectionError, OSError):
                    return
                if not data:
                    return
                self.bytes_received += len(data)
                if eof_sent:
                    continue  # read on until the client closes: a clean EOF, not a reset
                parser.feed(data)
                while (cmd := parser.gets()) is not False:
                    self.commands.append(cmd)
                    out = self.script(cmd)
                    if out is None:
                        continue
                    if isinstance(out, bytes):
                        out = Reply(out)
                    writer.write(out.data)
                    if out.close:
                        writer.write_eof()
                        eof_sent = True
                        break
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            await _close_writer(writer)
