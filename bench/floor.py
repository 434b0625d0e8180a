"""The floor: the least an asyncio client can do for each workload, as a yardstick.

asyncio.Protocol -> hiredis.Reader -> a deque of futures (commands) or of frames (Pub/Sub),
nothing else: no pool, no reconnect, no flow control, no validation. get_message builds the
same dict as fastredis (a user needs it), and large reads are fed to hiredis in 16 KB
slices as fastredis does (hiredis' buffer compaction is quadratic otherwise), so the floor
is not slowed by a trap fastredis avoids. Every workload is reported as a ratio to it."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import hiredis

_pack = hiredis.pack_command
_MSG = b"message"


class Floor(asyncio.Protocol):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.reader, self.t = loop, hiredis.Reader(), None
        self.futs: deque = deque()
        self.frames: deque = deque()
        self.wake: asyncio.Future | None = None
        self.subscribed = False

    def connection_made(self, transport: Any) -> None:
        self.t = transport

    def data_received(self, data: bytes) -> None:
        reader = self.reader
        sink = self.frames.append if self.subscribed else self._resolve
        for off in range(0, len(data), 16384):
            reader.feed(data, off, min(16384, len(data) - off))
            while (reply := reader.gets()) is not False:
                sink(reply)
        if self.wake is not None and self.frames:
            self.wake.set_result(None)
            self.wake = None

    def _resolve(self, reply: Any) -> None:
        self.futs.popleft().set_result(reply)

    def execute(self, *args: Any) -> asyncio.Future:
        self.t.write(_pack(args))
        fut = self.loop.create_future()
        self.futs.append(fut)
        return fut

    def pipeline(self, cmds: list[tuple]) -> asyncio.Future:
        self.t.write(b"".join([_pack(c) for c in cmds]))
        futs = [self.loop.create_future() for _ in cmds]
        self.futs.extend(futs)
        return futs[-1]

    async def subscribe(self, channel: str) -> None:
        self.subscribed = True
        self.t.write(_pack(("SUBSCRIBE", channel)))

    async def _wait(self, timeout: float | None) -> None:
        self.wake = fut = self.loop.create_future()
        if timeout is None:
            await fut
            return
        h = self.loop.call_later(timeout, _wake, fut)
        try:
            await fut
        finally:
            h.cancel()

    async def get_message(self, ignore_subscribe_messages: bool = False,
                          timeout: float | None = 0.0) -> dict | None:
        if not self.frames:
            await self._wait(timeout)
            if not self.frames:
                return None
        f = self.frames.popleft()
        if f[0] == _MSG:
            return {"type": "message", "pattern": None, "channel": f[1], "data": f[2]}
        if ignore_subscribe_messages:
            return None
        return {"type": f[0].decode(), "pattern": None, "channel": f[1], "data": f[2]}

    async def listen(self) -> list[dict]:
        """The batch form: wait for a frame, return every queued message."""
        if not self.frames:
            await self._wait(None)
        out = []
        while self.frames:
            f = self.frames.popleft()
            if f[0] == _MSG:
                out.append({"type": "message", "pattern": None, "channel": f[1], "data": f[2]})
        return out


def _wake(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)


async def connect(host: str, port: int) -> Floor:
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_connection(lambda: Floor(loop), host, port)
    return proto
