"""Pub/Sub: the seed guide made true, plus reconnect, flow control and a checked health check.

How it works (DESIGN.md "Pub/Sub contract"):

* A PubSub has a connection of its own in subscribed mode. ``data_received`` appends every
  frame to the connection's queue (a deque plus one waiter future); dicts are built and
  handlers run only here, by whoever reads: ``get_message``, ``listen`` or the worker thread.
* Every (un)subscribe command is written together with a ``PING``; the PING's answer comes
  after all of the command's confirmations (the server answers in order), so awaiting it
  means "the server confirmed", and an error reply (e.g. NOPERM) fails exactly that call.
* What we asked for (channels, patterns, shard channels, with their handlers) is remembered;
  after a lost connection a task reconnects with exponential backoff and jitter, re-AUTHs,
  re-SELECTs (the handshake does both) and resubscribes everything. Redis Pub/Sub is
  at-most-once: messages published meanwhile are lost, so the loss is *signalled*:
  ``on_reconnect`` is called and ``stats()`` counts reconnects and downtime.
* Flow control: above ``max_queued`` frames the socket stops being read
  (``transport.pause_reading()``) and resumes below a quarter of it, so client memory stays
  bounded; the server's ``client-output-buffer-limit pubsub`` then decides, as in Redis.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import sys
import threading
from collections import deque
from typing import Any, Callable

from ._protocol import Connection, pack
from .exceptions import ClientClosedError, ConnectionError, PubSubError, RedisError, TimeoutError

__all__ = ["PubSub", "PubSubWorkerThread"]

# frame kind (bytes or str, per decode_responses) -> the str the message dict carries
_KINDS: dict[Any, str] = {}
for _k in ("message", "pmessage", "smessage", "subscribe", "unsubscribe", "psubscribe",
           "punsubscribe", "ssubscribe", "sunsubscribe"):
    _KINDS[_k] = _k
    _KINDS[_k.encode()] = _k
_CONFIRMS = frozenset(k for k in _KINDS if _KINDS[k] not in ("message", "pmessage", "smessage"))
_PMESSAGE = frozenset((b"pmessage", "pmessage"))
_MESSAGE = frozenset((b"message", "message"))
_SMESSAGE = frozenset((b"smessage", "smessage"))
_PING = pack(("PING",))


def _expire(fut: asyncio.Future, timeout: float) -> None:
    if not fut.done():
        fut.set_exception(TimeoutError(f"No answer from the server within {timeout}s"))


async def _reply(conn: Connection, fut: asyncio.Future, timeout: float) -> Any:
    """Await one reply with a deadline set on the future itself: nothing is left
    unretrieved, and a late reply is dropped by the connection when it arrives."""
    handle = conn._loop.call_later(timeout, _expire, fut, timeout)
    try:
        return await fut
    finally:
        handle.cancel()


def _wake(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)


class PubSub:
    """``r.pubsub(ignore_subscribe_messages=False, health_check_interval=None,
    on_reconnect=None, max_queued=4096, overflow="pause")``.

    ``overflow``: what happens when ``max_queued`` frames wait unread. ``"pause"`` (default)
    stops reading the socket until the reader catches up (nothing is lost on the client);
    ``"drop_oldest"`` keeps reading and drops the oldest queued frame, counted in
    ``stats()["dropped"]`` (for consumers that prefer fresh data to complete data)."""

    def __init__(
        self,
        connection_pool: Any,
        ignore_subscribe_messages: bool = False,
        health_check_interval: float | None = None,
        on_reconnect: Callable[[dict], Any] | None = None,
        max_queued: int = 4096,
        overflow: str = "pause",
        reconnect: bool = True,
        reconnect_backoff: tuple[float, float] = (0.02, 0.5),
        confirm_timeout: float = 10.0,
        **_ignored: Any,
    ) -> None:
        self.connection_pool = connection_pool
        params = connection_pool.params
        self.ignore_subscribe_messages = ignore_subscribe_messages
        self.health_check_interval = health_check_interval
        self.on_reconnect = on_reconnect
        self._decode = params.decode_responses
        self._encoding = params.encoding
        self._max_queued = max(4, int(max_queued))
        if overflow not in ("pause", "drop_oldest"):
            raise PubSubError("overflow must be 'pause' or 'drop_oldest'")
        self._drop_oldest = overflow == "drop_oldest"
        self._auto_reconnect = reconnect
        self._backoff = reconnect_backoff
        self._confirm_timeout = confirm_timeout
        # what we asked for: name -> handler (None = deliver to the reader)
        self.channels: dict = {}
        self.patterns: dict = {}
        self.shard_channels: dict = {}
        # handlers of names being unsubscribed: used until the confirmation is read
        self._retired: dict = {}
        self.connection: Connection | None = None
        self._connecting: asyncio.Future | None = None
        self._state_waiter: asyncio.Future | None = None
        self._reconnect_task: asyncio.Task | None = None
        self._health_task: asyncio.Task | None = None
        self._closed = False
        self._lost_at: float | None = None
        self._stats: dict[str, Any] = {"reconnects": 0, "disconnected_seconds": 0.0, "messages": 0,
                       "dropped": 0, "last_error": None}
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ helpers
    def _norm(self, name: Any) -> Any:
        if self._decode:
            return name.decode(self._encoding) if isinstance(name, bytes) else str(name) if not isinstance(name, str) else name
        if isinstance(name, str):
            return name.encode(self._encoding)
        if isinstance(name, (bytes, memoryview, bytearray)):
            return bytes(name)
        if isinstance(name, (int, float)) and not isinstance(name, bool):
            return str(name).encode()
        raise PubSubError(f"Invalid channel name of type {type(name).__name__!r}")

    @property
    def subscribed(self) -> bool:
        return bool(self.channels or self.patterns or self.shard_channels)

    def stats(self) -> dict:
        """Counters: reconnects, disconnected_seconds, messages (read so far), queued,
        dropped (only with ``overflow="drop_oldest"``), paused, connected, last_error.
        A reconnect or a drop means messages were lost."""
        s = dict(self._stats)
        conn = self.connection
        s["queued"] = len(conn._queue) if conn is not None else 0
        s["dropped"] += conn.dropped if conn is not None else 0
        s["paused"] = bool(conn is not None and conn._paused)
        s["connected"] = conn is not None and not conn.closed
        if self._lost_at is not None and self._loop is not None:
            s["disconnected_seconds"] += self._loop.time() - self._lost_at
        return s

    def _wake_state(self) -> None:
        w = self._state_waiter
        if w is not None:
            self._state_waiter = None
            _wake(w)

    # ------------------------------------------------------------------ connection
    async def _ensure(self) -> Connection | None:
        """The live connection, or a new one (subscribed to everything asked for)."""
        if self._closed:
            raise PubSubError("This PubSub is closed")
        conn = self.connection
        if conn is not None and not conn.closed:
            return conn
        if self._reconnect_task is not None and not self._reconnect_task.done():
            await asyncio.shield(self._reconnect_task)
            return self.connection
        fut = self._connecting
        if fut is None:
            fut = self._connecting = asyncio.ensure_future(self._open())
            fut.add_done_callback(self._connect_done)
        return await asyncio.shield(fut)

    def _connect_done(self, fut: asyncio.Future) -> None:
        self._connecting = None
        if not fut.cancelled():
            fut.exception()

    async def _open(self) -> Connection:
        self._loop = asyncio.get_running_loop()
        conn = await self.connection_pool.acquire(pubsub=True)
        conn._high = self._max_queued
        conn._low = max(1, self._max_queued // 4)
        conn.drop_oldest = self._drop_oldest
        old = self.connection
        if old is not None and old._queue:
            # frames read before the loss but not yet consumed stay first, in order
            conn._queue.extend(old._queue)
            old._queue.clear()
        try:
            cmds = self._resubscribe_commands()
            if cmds:
                await self._send(conn, cmds)
        except BaseException:
            conn.abort("closed: resubscribe failed")
            self.connection_pool.release(conn, reusable=False)
            raise
        if self._closed:
            self.connection_pool.release(conn, reusable=False)
            raise PubSubError("This PubSub is closed")
        conn.on_lost = self._lost
        if old is not None:
            self._stats["dropped"] += old.dropped
            self.connection_pool.release(old, reusable=False)
        self.connection = conn
        self._wake_state()
        if self.health_check_interval and (self._health_task is None or self._health_task.done()):
            self._health_task = asyncio.ensure_future(self._health_loop())
        return conn

    def _resubscribe_commands(self) -> list[tuple]:
        cmds: list[tuple] = []
        if self.channels:
            cmds.append(("SUBSCRIBE", *self.channels))
        if self.patterns:
            cmds.append(("PSUBSCRIBE", *self.patterns))
        if self.shard_channels:
            cmds.append(("SSUBSCRIBE", *self.shard_channels))
        return cmds

    async def _send(self, conn: Connection, cmds: list[tuple]) -> None:
        """Write the commands plus one PING in one write; wait for the PING's answer,
        which comes after every confirmation (or fails with the commands' error)."""
        data = b"".join([conn.pack(c) for c in cmds] + [_PING])
        (fut,) = conn.send_packed(data, 1)
        try:
            await _reply(conn, fut, self._confirm_timeout)
        except TimeoutError:
            conn.abort("closed: no confirmation from the server")
            raise

    def _lost(self, conn: Connection) -> None:
        if conn is not self.connection or self._closed:
            return
        self._lost_at = conn._loop.time()
        self._stats["last_error"] = repr(conn.close_exc) if conn.close_exc else None
        if self._auto_reconnect and self.subscribed:
            self._reconnect_task = asyncio.ensure_future(self._reconnect_loop())
        self._wake_state()

    async def _reconnect_loop(self) -> None:
        loop = asyncio.get_running_loop()
        base, cap = self._backoff
        attempt = 0
        while not self._closed:
            try:
                await self._open()
                break
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self._stats["last_error"] = repr(exc)
                if isinstance(exc, (PubSubError, ClientClosedError)):
                    return
            attempt += 1
            # exponential backoff with full jitter, capped: a restarted server is found
            # within `cap` seconds, and a crowd of clients does not reconnect in lockstep
            delay = min(cap, base * (2 ** min(attempt, 16)))
            await asyncio.sleep(random.uniform(delay / 2, delay))
        if self._closed:
            return
        down = loop.time() - self._lost_at if self._lost_at is not None else 0.0
        self._lost_at = None
        self._stats["reconnects"] += 1
        self._stats["disconnected_seconds"] += down
        cb = self.on_reconnect
        if cb is not None:
            info = {"pubsub": self, "downtime": down, "attempts": attempt + 1,
                    "reconnects": self._stats["reconnects"], "error": self._stats["last_error"]}
            try:
                res = cb(info)
                if asyncio.iscoroutine(res):
                    await res
            except Exception:  # a faulty callback must not stop the subscriber
                loop.call_exception_handler({"message": "PubSub on_reconnect callback failed",
                                             "exception": sys.exc_info()[1]})

    async def _health_loop(self) -> None:
        """PING an idle subscribed connection every interval and *require* the answer
        (redis-py only sends it); a silent connection is aborted, which reconnects."""
        interval = float(self.health_check_interval or 0)
        while not self._closed:
            await asyncio.sleep(interval)
            conn = self.connection
            if conn is None or conn.closed or self._closed:
                continue
            try:
                (fut,) = conn.send_packed(_PING, 1)
                await _reply(conn, fut, max(interval, 0.05))
            except TimeoutError:
                conn.abort("closed: health check PING got no answer")
            except (RedisError, OSError):
                continue

    # ------------------------------------------------------------------ (un)subscribe
    async def _subscribe(self, kind: str, table: dict, args: tuple, handlers: dict) -> None:
        new: dict = {self._norm(a): None for a in args}
        for k, v in handlers.items():
            new[self._norm(k)] = v
        if not new:
            raise PubSubError(f"{kind} needs at least one name")
        before = dict(table)
        table.update(new)
        try:
            if self.connection is None or self.connection.closed:
                await self._ensure()  # subscribes to everything, new names included
            else:
                await self._send(self.connection, [(kind, *new)])
        except BaseException:
            table.clear()
            table.update(before)
            raise

    async def _unsubscribe(self, kind: str, table: dict, args: tuple) -> None:
        names = [self._norm(a) for a in args]
        # handlers stay in force for messages already queued, until the server's
        # confirmation for that name is read (as in redis-py)
        retired = self._retired
        for n in names or list(table):
            handler = table.pop(n, None)
            if handler is not None:
                retired[n] = handler
        conn = self.connection
        if conn is None or conn.closed:
            return
        await self._send(conn, [(kind, *names)])

    async def subscribe(self, *channels: Any, **handlers: Callable) -> None:
        """Subscribe; returns once the server confirmed. ``**{name: handler}`` attaches
        a handler (plain or ``async def``) that receives the message dict."""
        await self._subscribe("SUBSCRIBE", self.channels, channels, handlers)

    async def psubscribe(self, *patterns: Any, **handlers: Callable) -> None:
        await self._subscribe("PSUBSCRIBE", self.patterns, patterns, handlers)

    async def ssubscribe(self, *channels: Any, **handlers: Callable) -> None:
        """Sharded Pub/Sub (Redis 7)."""
        await self._subscribe("SSUBSCRIBE", self.shard_channels, channels, handlers)

    async def unsubscribe(self, *channels: Any) -> None:
        """No arguments: all channels."""
        await self._unsubscribe("UNSUBSCRIBE", self.channels, channels)

    async def punsubscribe(self, *patterns: Any) -> None:
        await self._unsubscribe("PUNSUBSCRIBE", self.patterns, patterns)

    async def sunsubscribe(self, *channels: Any) -> None:
        await self._unsubscribe("SUNSUBSCRIBE", self.shard_channels, channels)

    async def ping(self, message: Any = None) -> Any:
        conn = await self._ensure()
        assert conn is not None
        data = _PING if message is None else conn.pack(("PING", message))
        (fut,) = conn.send_packed(data, 1)
        reply = await fut
        return reply[1] if isinstance(reply, list) and message is not None else True

    # ------------------------------------------------------------------ reading
    def _to_message(self, frame: Any, ignore: bool) -> dict | None:
        """One frame -> the guide's dict, or None (handled by a handler / ignored)."""
        kind = frame[0]
        if kind in _MESSAGE:
            msg = {"type": "message", "pattern": None, "channel": frame[1], "data": frame[2]}
            handler = self.channels.get(frame[1])
            if handler is None and self._retired:
                handler = self._retired.get(frame[1])
        elif kind in _PMESSAGE:
            msg = {"type": "pmessage", "pattern": frame[1], "channel": frame[2], "data": frame[3]}
            handler = self.patterns.get(frame[1])
            if handler is None and self._retired:
                handler = self._retired.get(frame[1])
        elif kind in _SMESSAGE:
            msg = {"type": "smessage", "pattern": None, "channel": frame[1], "data": frame[2]}
            handler = self.shard_channels.get(frame[1])
            if handler is None and self._retired:
                handler = self._retired.get(frame[1])
        else:
            t = _KINDS.get(kind)
            if t is None:
                raise PubSubError(f"Unexpected frame in subscribed mode: {kind!r}")
            if self._retired and t in ("unsubscribe", "punsubscribe", "sunsubscribe"):
                self._retired.pop(frame[1], None)
            if ignore or self.ignore_subscribe_messages:
                return None
            return {"type": t, "pattern": None, "channel": frame[1], "data": frame[2]}
        if handler is not None:
            return _Handled(handler, msg)  # type: ignore[return-value]
        return msg

    def _take(self, conn: Connection, ignore: bool) -> Any:
        frame = conn._queue.popleft()
        if conn._paused:
            conn.after_consume()
        self._stats["messages"] += 1
        if isinstance(frame, BaseException):
            raise frame
        return self._to_message(frame, ignore)

    async def get_message(self, ignore_subscribe_messages: bool = False,
                          timeout: float | None = 0.0) -> dict | None:
        """Take one queued frame if there is one; else wait up to ``timeout`` seconds
        (0: do not wait, None: wait forever) and return None if nothing came. Handlers
        consume their messages (None is returned). Never busy-waits; raises PubSubError
        once closed, and ConnectionError when the connection is lost and reconnecting
        is off."""
        conn = self.connection
        if conn is None or not conn._queue:
            conn = await self._wait_for_frame(timeout)
            if conn is None:
                return None
        msg = self._take(conn, ignore_subscribe_messages)
        if msg.__class__ is _Handled:
            await msg.run()
            return None
        return msg

    async def _wait_for_frame(self, timeout: float | None) -> Connection | None:
        """The connection once a frame is queued on it; None when ``timeout`` ran out.
        Waits on futures (the queue's, or the reconnect's), never spins."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + max(0.0, timeout)
        yielded = False
        while True:
            conn = self.connection
            if conn is not None and conn._queue:
                return conn
            if self._closed:
                raise PubSubError("This PubSub is closed")
            if conn is not None and conn.closed and not self._auto_reconnect:
                raise ConnectionError("PubSub connection lost") from conn.close_exc
            if timeout == 0:
                # "if there's data available to be read, read it": bytes that reached the
                # socket but not yet the loop get one loop iteration to arrive
                if not yielded and conn is not None and not conn.closed and not conn._paused:
                    yielded = True
                    await asyncio.sleep(0)
                    continue
                return None
            w: asyncio.Future | None
            if conn is not None and not conn.closed:
                w = conn.wait_frames()
            else:
                w = self._state_waiter
                if w is None or w.done():
                    w = self._state_waiter = loop.create_future()
            if deadline is None:
                await w
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            handle = loop.call_later(remaining, _wake, w)
            try:
                await w
            finally:
                handle.cancel()

    def listen(self) -> _Listener:
        """``async for message in p.listen()`` until nothing is subscribed, or the guide's
        ``for message in await p.listen()``: wait for at least one frame, then return every
        queued message in one go (a batch drain)."""
        return _Listener(self)

    async def _drain(self) -> list:
        conn = self.connection
        if conn is None or not conn._queue:
            conn = await self._wait_for_frame(None)
        assert conn is not None
        queue = conn._queue
        out: list = []
        append = out.append
        n = 0
        ignore = self.ignore_subscribe_messages
        try:
            while queue:
                frame = queue.popleft()
                n += 1
                if isinstance(frame, BaseException):
                    raise frame
                msg = self._to_message(frame, ignore)
                if msg is None:
                    continue
                if msg.__class__ is _Handled:
                    await msg.run()
                    continue
                append(msg)
        finally:
            self._stats["messages"] += n
            if conn._paused:
                conn.after_consume()
        return out

    # ------------------------------------------------------------------ thread
    def run_in_thread(self, sleep_time: float = 0.001, daemon: bool = False,
                      exception_handler: Callable | None = None,
                      poll_timeout: float | None = None) -> PubSubWorkerThread:
        """A started thread that keeps reading (handlers do the work) by running
        ``get_message`` on this event loop via ``asyncio.run_coroutine_threadsafe``."""
        for table in (self.channels, self.patterns, self.shard_channels):
            for name, handler in table.items():
                if handler is None:
                    raise PubSubError(f"Channel or pattern {name!r} has no handler registered")
        loop = asyncio.get_running_loop()
        if poll_timeout is not None:
            sleep_time = poll_timeout
        thread = PubSubWorkerThread(self, loop, sleep_time, daemon=daemon,
                                    exception_handler=exception_handler)
        thread.start()
        return thread

    # ------------------------------------------------------------------ closing
    def close(self) -> _Closing:
        """Unsubscribe everything and release the connection. Works called plainly (as in
        the guide) or awaited (then it also waits for the socket to be gone); safe twice."""
        self._closed = True
        self._retired.clear()
        self.channels.clear()
        self.patterns.clear()
        self.shard_channels.clear()
        for task in (self._reconnect_task, self._health_task):
            if task is not None and not task.done():
                task.cancel()
        conn, self.connection = self.connection, None
        fut = self._connecting
        if fut is not None and not fut.done():
            fut.cancel()
        self._wake_state()
        if conn is not None:
            conn.on_lost = None
            self.connection_pool.release(conn, reusable=False)  # closes it
            conn.close()
        return _Closing(conn)

    reset = close

    async def aclose(self) -> None:
        await self.close()

    async def __aenter__(self) -> PubSub:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (f"<fastredis.PubSub channels={len(self.channels)} patterns={len(self.patterns)} "
                f"shard_channels={len(self.shard_channels)} closed={self._closed}>")


class _Handled:
    """A message that a handler consumes (so get_message returns None)."""

    __slots__ = ("handler", "msg")

    def __init__(self, handler: Callable, msg: dict) -> None:
        self.handler = handler
        self.msg = msg

    async def run(self) -> None:
        res = self.handler(self.msg)
        if asyncio.iscoroutine(res):
            await res


class _Closing:
    """What ``close()`` returns: awaiting it waits until the socket is closed."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Connection | None) -> None:
        self._conn = conn

    def __await__(self) -> Any:
        conn = self._conn
        if conn is None:
            return _done().__await__()
        return _wait_closed(conn).__await__()


async def _done() -> None:
    return None


async def _wait_closed(conn: Connection) -> None:
    try:
        await asyncio.wait_for(conn.wait_closed(), 5.0)
    except asyncio.TimeoutError:  # pragma: no cover
        pass


class _Listener:
    __slots__ = ("_p", "_batch")

    def __init__(self, pubsub: PubSub) -> None:
        self._p = pubsub
        self._batch: deque = deque()

    def __aiter__(self) -> _Listener:
        return self

    async def __anext__(self) -> dict:
        batch = self._batch
        while True:
            if batch:
                return batch.popleft()
            p = self._p
            conn = p.connection
            if not p.subscribed and (conn is None or not conn._queue):
                raise StopAsyncIteration
            msg = await p.get_message(timeout=None)
            if msg is not None:
                return msg

    def __await__(self) -> Any:
        return self._p._drain().__await__()


class PubSubWorkerThread(threading.Thread):
    """The thread of ``run_in_thread``. ``stop()`` is safe from any thread, including the
    event loop's own, and never blocks: it sets a flag and cancels the pending read."""

    def __init__(self, pubsub: PubSub, loop: asyncio.AbstractEventLoop, sleep_time: float,
                 daemon: bool = False, exception_handler: Callable | None = None) -> None:
        super().__init__(daemon=daemon, name="fastredis-pubsub")
        self.pubsub = pubsub
        self.loop = loop
        self.sleep_time = sleep_time
        self.exception_handler = exception_handler
        self._running = threading.Event()
        self._lock = threading.Lock()
        self._current: Any = None

    def run(self) -> None:
        self._running.set()
        # each read waits up to max(sleep_time, 0.1) s on the loop: idle costs ~nothing
        wait = max(self.sleep_time, 0.1)
        while self._running.is_set():
            if self.loop.is_closed():
                break
            try:
                coro = self.pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
                fut = asyncio.run_coroutine_threadsafe(coro, self.loop)
            except RuntimeError:  # the loop is closed
                break
            with self._lock:
                self._current = fut
            try:
                while True:
                    try:
                        fut.result(timeout=1.0)
                        break
                    except concurrent.futures.TimeoutError:
                        if not self._running.is_set() or self.loop.is_closed():
                            fut.cancel()
                            break
            except (asyncio.CancelledError, concurrent.futures.CancelledError):
                pass
            except PubSubError:
                break
            except Exception as exc:  # noqa: BLE001 - reported, then the thread goes on
                if self.exception_handler is not None:
                    self.exception_handler(exc, self.pubsub, self)
                elif not self._running.is_set():
                    break
            finally:
                with self._lock:
                    self._current = None
        self._running.clear()

    def stop(self) -> None:
        self._running.clear()
        with self._lock:
            fut = self._current
        if fut is not None:
            fut.cancel()  # thread-safe: the loop cancels the read on its next iteration

