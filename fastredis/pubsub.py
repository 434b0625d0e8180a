"""Pub/Sub: the seed guide made true, plus reconnect, flow control and a checked health check.

How it works (DESIGN.md "Pub/Sub contract"):

* A PubSub has a connection of its own in subscribed mode. ``data_received`` appends every
  frame to the connection's queue (a deque plus one future per waiting reader); dicts are built and
  handlers run only here, by whoever reads: ``get_message``, ``listen`` or the worker thread.
* Every (un)subscribe command is written together with a ``PING``; the PING's answer comes
  after all of the command's confirmations (the server answers in order), so awaiting it
  means "the server confirmed", and an error reply (e.g. NOPERM) fails exactly that call.
* What we asked for (channels, patterns, shard channels, with their handlers) is remembered;
  after a lost connection a task reconnects with exponential backoff and jitter, re-AUTHs,
  re-SELECTs (the handshake does both) and resubscribes everything. Redis Pub/Sub is
  at-most-once: messages published meanwhile are lost, so the loss is *signalled*:
  ``on_reconnect`` is called and ``stats()`` counts reconnects and downtime.
* Flow control: above ``max_queued`` frames or ``max_queued_bytes`` bytes the socket stops
  being read (``transport.pause_reading()``) and resumes below a quarter of them, so client
  memory stays bounded; the server's ``client-output-buffer-limit pubsub`` then decides, as
  in Redis. A command of ours (the PING after an (un)subscribe, a health check, ``ping()``,
  a resubscribe) resumes reading until its answer is in: TCP is in order, so the answer may
  sit behind unread messages, and pausing must never turn into a timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, final

from hiredis import PushNotification

from . import _observe
from ._execution import Deadline as _Deadline
from ._execution import notify as _notify
from ._log import get_logger
from ._protocol import Connection, pack
from .commands._base import list_or_args
from .exceptions import ClientClosedError, ConnectionError, PubSubError, RedisError, TimeoutError

if TYPE_CHECKING:
    from collections.abc import Generator

    from .pool import ConnectionPool
    from .typing import PubSubMessage

    #: a message handler (``subscribe(chan=handler)``): sync or async
    Handler = Callable[[PubSubMessage], Any]

__all__ = ["PubSub", "PubSubWorkerThread", "PubSubNotConnected", "Subscription"]

logger = get_logger("fastredis.pubsub")


_get_running_loop = asyncio.events._get_running_loop


class PubSubNotConnected(PubSubError, RuntimeError):
    """Reading a PubSub that never subscribed nor connected: redis-py raises the same
    ``RuntimeError`` (whatever the timeout), since nothing could ever arrive."""


@dataclass(frozen=True)
class Subscription:
    """A channel or pattern with an optional handler, as redis-py 8's ``Subscription``:
    ``await p.subscribe(Subscription("news", on_news), "other")``. redis-py's own
    objects (``redis.Subscription``) are accepted too."""

    name: Any
    handler: Callable[..., Any] | None = None


def _subscription(arg: Any) -> tuple[Any, Any] | None:
    """``(name, handler)`` when ``arg`` is a Subscription, ours or redis-py's (matched by
    shape so that redis-py need not be installed), else None."""
    if isinstance(arg, Subscription):
        return arg.name, arg.handler
    if type(arg).__name__ == "Subscription" and hasattr(arg, "name") and hasattr(arg, "handler"):
        return arg.name, arg.handler
    return None

# frame kind (bytes or str, per decode_responses) -> the str the message dict carries
_KINDS: dict[Any, str] = {}
for _k in ("message", "pmessage", "smessage", "subscribe", "unsubscribe", "psubscribe",
           "punsubscribe", "ssubscribe", "sunsubscribe"):
    _KINDS[_k] = _k
    _KINDS[_k.encode()] = _k
_KINDS["pong"] = _KINDS[b"pong"] = "pong"
_UNSUBS = frozenset(("unsubscribe", "punsubscribe", "sunsubscribe"))
_NOT_SET = ("pubsub connection not set: did you forget to call subscribe() or psubscribe()?")
_PMESSAGE = frozenset((b"pmessage", "pmessage"))
_MESSAGE = frozenset((b"message", "message"))
_SMESSAGE = frozenset((b"smessage", "smessage"))
_PING = pack(("PING",))


def _wake(fut: asyncio.Future[Any]) -> None:
    if not fut.done():
        fut.set_result(None)


def _forget(waiters: list[asyncio.Future[Any]], w: asyncio.Future[Any]) -> None:
    try:
        waiters.remove(w)
    except ValueError:
        pass


class PubSub:
    """``r.pubsub(ignore_subscribe_messages=False, health_check_interval=None,
    on_reconnect=None, max_queued=4096, max_queued_bytes=4 MiB, overflow="pause")``.

    ``overflow``: what happens when ``max_queued`` frames or ``max_queued_bytes`` bytes of
    payload wait unread. ``"pause"`` (default) stops reading the socket until the reader
    catches up (nothing is lost on the client); ``"drop_oldest"`` keeps reading and drops
    the oldest queued frames, counted in ``stats()["dropped"]`` (for consumers that prefer
    fresh data to complete data)."""

    def __init__(
        self,
        connection_pool: ConnectionPool,
        ignore_subscribe_messages: bool = False,
        health_check_interval: float | None = None,
        on_reconnect: Callable[[dict[str, Any]], Any] | None = None,
        max_queued: int = 4096,
        max_queued_bytes: int = 4 * 1024 * 1024,
        overflow: str = "pause",
        reconnect: bool = True,
        reconnect_backoff: tuple[float, float] = (0.02, 0.5),
        confirm_timeout: float = 10.0,
        *,
        shard_hint: Any = None,
        encoder: Any = None,
        push_handler_func: Any = None,
        event_dispatcher: Any = None,
    ) -> None:
        # redis-py's other keywords: shard_hint (one server has no shards) and
        # event_dispatcher (re-authentication is built in) change nothing here; an
        # encoder or a RESP3 push handler cannot be honoured: say so
        if encoder is not None:
            raise TypeError("PubSub(encoder=...) is not supported: channels and data follow the client's "
                            "encoding / decode_responses")
        if push_handler_func is not None:
            raise TypeError("PubSub(push_handler_func=...) is not supported: every frame is delivered by "
                            "get_message() / listen() or a channel handler")
        if event_dispatcher is not None:
            from ._params import redis_py8_option

            redis_py8_option("event_dispatcher", event_dispatcher, "PubSub()", {})
        self.connection_pool = connection_pool
        params = connection_pool.params
        self.connection: Connection | None = None
        self._ignore = bool(ignore_subscribe_messages)
        self.health_check_interval = health_check_interval
        self.on_reconnect = on_reconnect
        self._decode = params.decode_responses
        self._encoding = params.encoding
        self._max_queued = max(4, int(max_queued))
        self._max_queued_bytes = max(1024, int(max_queued_bytes))
        if overflow not in ("pause", "drop_oldest"):
            raise PubSubError("overflow must be 'pause' or 'drop_oldest'")
        self._drop_oldest = overflow == "drop_oldest"
        self._auto_reconnect = reconnect
        self._backoff = reconnect_backoff
        self._confirm_timeout = confirm_timeout
        # what we asked for: name -> handler (None = deliver to the reader)
        self.channels: dict[Any, Any] = {}
        self.patterns: dict[Any, Any] = {}
        self.shard_channels: dict[Any, Any] = {}
        # handlers of names being unsubscribed: used until the confirmation is read
        self._retired: dict[Any, Any] = {}
        # a handler was ever given: messages then need a look-up (else the hot path skips it)
        self._handlers = False
        # unsubscribe confirmations sent for but not read yet: ``subscribed`` stays True
        # until the last one is read (redis-py/aredis: ``while p.subscribed: get_message()``)
        self._unconfirmed = 0
        # bumped by every subscribe; _conn_version = what the live connection subscribed to
        self._version = 0
        self._conn_version = 0
        self._connecting: asyncio.Future[Any] | None = None
        self._state_waiters: list[asyncio.Future[Any]] = []
        self._reconnect_task: asyncio.Task[Any] | None = None
        self._health_task: asyncio.Task[Any] | None = None
        self._closed = False
        self._lost_at: float | None = None
        self._taken_before = 0  # frames taken from connections before the current one
        self._stats: dict[str, Any] = {"reconnects": 0, "disconnected_seconds": 0.0,
                                       "dropped": 0, "last_error": None}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._counted = False  # close() moved its counts to fastredis._observe's totals
        _observe.PUBSUBS.add(self)  # fastredis.telemetry's Pub/Sub instruments

    # ------------------------------------------------------------------ helpers
    def _norm(self, name: Any) -> Any:
        if self._decode:
            if isinstance(name, bytes):
                try:
                    return name.decode(self._encoding)
                except UnicodeDecodeError:
                    # not valid in the encoding: frames carry it as these bytes too
                    return name
            return str(name) if not isinstance(name, str) else name
        if isinstance(name, str):
            return name.encode(self._encoding)
        if isinstance(name, (bytes, memoryview, bytearray)):
            return bytes(name)
        if isinstance(name, (int, float)) and not isinstance(name, bool):
            return str(name).encode()
        raise PubSubError(f"Invalid channel name of type {type(name).__name__!r}")

    @property
    def ignore_subscribe_messages(self) -> bool:
        return self._ignore

    @ignore_subscribe_messages.setter
    def ignore_subscribe_messages(self, value: bool) -> None:
        self._ignore = bool(value)
        if self.connection is not None:
            self.connection.drop_confirms = self._ignore

    @property
    def subscribed(self) -> bool:
        """True while anything is subscribed, and until the last unsubscribe confirmation
        has been read (so ``while p.subscribed: await p.get_message()`` drains them)."""
        return bool(self.channels or self.patterns or self.shard_channels or self._unconfirmed)

    def _wants(self) -> bool:
        return bool(self.channels or self.patterns or self.shard_channels)

    def _progress(self) -> int:
        """Frames read from the connection so far (taken, queued, dropped): any change
        means the connection is delivering."""
        conn = self.connection
        if conn is None:
            return 0
        return conn.frames_in + conn.confirms_dropped

    def _taken(self) -> int:
        """Frames taken by readers so far (counted by the connection, per read)."""
        conn = self.connection
        if conn is None:
            return self._taken_before
        return self._taken_before + conn.frames_in - conn.dropped - len(conn._queue)

    def stats(self) -> dict[str, Any]:
        """Counters: reconnects, disconnected_seconds, messages (read so far), queued,
        dropped (only with ``overflow="drop_oldest"``), paused, connected, last_error.
        A reconnect or a drop means messages were lost."""
        s = dict(self._stats)
        s["messages"] = self._taken()
        conn = self.connection
        s["queued"] = len(conn._queue) if conn is not None else 0
        s["dropped"] += conn.dropped if conn is not None else 0
        s["paused"] = bool(conn is not None and conn._paused)
        s["connected"] = conn is not None and not conn.closed
        if self._lost_at is not None and self._loop is not None:
            s["disconnected_seconds"] += self._loop.time() - self._lost_at
        return s

    def _wake_state(self) -> None:
        ws = self._state_waiters
        if ws:
            self._state_waiters = []
            for w in ws:
                _wake(w)

    def _check_loop(self) -> None:
        """A PubSub reused from another event loop (a second ``asyncio.run()``) starts
        over on the running one, as the client does: the old connection is let go without
        calling into its loop, and everything asked for is resubscribed."""
        loop = self._loop
        if loop is None or loop is _get_running_loop():
            return
        self._loop = None
        conn = self.connection
        self.connection = None
        self._connecting = None
        self._reconnect_task = None
        self._health_task = None
        self._state_waiters = []
        self._unconfirmed = 0
        if conn is not None:
            self._let_go(conn)
            logger.info("PubSub used from a new event loop: reconnecting to %s", conn.description)

    def _let_go(self, conn: Connection) -> None:
        """Drop a connection of another event loop: never call into that loop from here,
        only give its pool slot back."""
        conn.on_lost = None
        conn.orphan()
        t = conn._transport
        if conn._loop.is_closed() and getattr(t, "_sock", None) is not None:
            # asyncio's transport: orphan() closed its socket through it; it must not
            # warn "unclosed transport" when collected (uvloop closed its own)
            t._sock = None
        self.connection_pool.forget(conn)

    # ------------------------------------------------------------------ connection
    async def _ensure(self) -> Connection | None:
        """The live connection, or a new one (subscribed to everything asked for)."""
        if self._closed:
            raise PubSubError("This PubSub is closed")
        self._check_loop()
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

    def _connect_done(self, fut: asyncio.Future[Any]) -> None:
        self._connecting = None
        if not fut.cancelled():
            fut.exception()

    async def _open(self) -> Connection:
        self._loop = asyncio.get_running_loop()
        old = self.connection
        if old is not None:
            # the lost connection's pool slot goes back first: with max_connections=1
            # the new one would otherwise wait for it for ever; its unread
            # frames stay on it until they move over below
            self.connection_pool.release(old, reusable=False)
        conn = await self.connection_pool.acquire(pubsub=True)
        conn.set_bounds(self._max_queued, self._max_queued_bytes, self._drop_oldest, self._ignore)
        old = self.connection
        try:
            version = self._version
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
            self._taken_before += old.frames_in - old.dropped - len(old._queue)
            # frames read before the loss but not yet consumed stay first, in order
            # (before the resubscribe confirmations that the new connection queued)
            conn._queue.extendleft(reversed(old._queue))
            conn.frames_in += len(old._queue)
            conn._qbytes += old._qbytes
            old._queue.clear()
            old._qbytes = 0
            self._stats["dropped"] += old.dropped
            self.connection_pool.release(old, reusable=False)
        self.connection = conn
        self._conn_version = version
        self._wake_state()
        if self.health_check_interval and (self._health_task is None or self._health_task.done()):
            self._health_task = asyncio.ensure_future(self._health_loop())
        return conn

    def _resubscribe_commands(self) -> list[tuple[Any, ...]]:
        cmds: list[tuple[Any, ...]] = []
        if self.channels:
            cmds.append(("SUBSCRIBE", *self.channels))
        if self.patterns:
            cmds.append(("PSUBSCRIBE", *self.patterns))
        if self.shard_channels:
            cmds.append(("SSUBSCRIBE", *self.shard_channels))
        return cmds

    async def _send(self, conn: Connection, cmds: list[tuple[Any, ...]]) -> None:
        """Write the commands plus one PING in one write; wait for the PING's answer,
        which comes after every confirmation (or fails with the commands' error)."""
        data = b"".join([conn.pack(c) for c in cmds] + [_PING])
        try:
            await self._answer(conn, conn.send_control(data), self._confirm_timeout)
        except TimeoutError:
            logger.warning("PubSub connection to %s: no confirmation within %ss, closing it",
                           conn.description, self._confirm_timeout)
            conn.abort("closed: no confirmation from the server")
            raise

    async def _answer(self, conn: Connection, fut: asyncio.Future[Any], timeout: float) -> Any:
        """Await the answer to a command of ours; TimeoutError only after ``timeout``
        seconds during which nothing at all was read."""
        deadline = _Deadline(conn._loop, fut, timeout, self._progress)
        try:
            return await fut
        finally:
            deadline.cancel()

    def _lost(self, conn: Connection) -> None:
        if conn is not self.connection or self._closed:
            return
        self._lost_at = conn._loop.time()
        self._stats["last_error"] = repr(conn.close_exc) if conn.close_exc else None
        # unsubscribes the server never confirmed: it forgot this connection anyway
        self._unconfirmed = 0
        will = self._auto_reconnect and self._wants()
        logger.warning("PubSub connection to %s lost (%s)%s", conn.description,
                       conn.close_exc, "; reconnecting" if will else "")
        if will:
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
                # DEBUG: the connection layer already warned, once per endpoint
                logger.debug("PubSub reconnect attempt %d failed: %s", attempt + 1, exc)
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
        conn = self.connection
        logger.warning("PubSub reconnected to %s after %.3fs (%d attempt(s)); messages "
                       "published meanwhile are lost", conn.description if conn else "?",
                       down, attempt + 1)
        cb = self.on_reconnect
        if cb is not None:
            info = {"pubsub": self, "downtime": down, "attempts": attempt + 1,
                    "reconnects": self._stats["reconnects"], "error": self._stats["last_error"]}
            await _notify(cb, info, logger, "PubSub on_reconnect callback failed")

    async def _health_loop(self) -> None:
        """PING an idle subscribed connection every interval and *require* the answer
        (redis-py only sends it); a silent connection is aborted, which reconnects.
        A connection that delivered frames since the last check, or whose reading we
        paused (the reader is behind, not the server), is alive: no PING then."""
        interval = float(self.health_check_interval or 0)
        mark = -1
        while not self._closed:
            await asyncio.sleep(interval)
            conn = self.connection
            if conn is None or conn.closed or self._closed:
                continue
            now = self._progress()
            if now != mark or conn._paused:
                mark = now
                continue
            try:
                await self._answer(conn, conn.send_control(_PING), max(interval, 0.05))
            except TimeoutError:
                logger.warning("PubSub health check: no answer from %s within %ss, closing "
                               "the connection", conn.description, max(interval, 0.05))
                conn.abort("closed: health check PING got no answer")
            except (RedisError, OSError):
                continue
            mark = self._progress()

    # ------------------------------------------------------------------ (un)subscribe
    def _wanted(self, kind: str, args: tuple[Any, ...], handlers: dict[Any, Any]) -> dict[Any, Any]:
        """The names a (p/s)subscribe call asks for, normalised, with their handlers:
        names, a list of names (redis-py's ``list_or_args``), ``Subscription`` objects and
        ``name=handler`` keywords, as redis-py 8 takes them."""
        new: dict[Any, Any] = {}
        for a in list_or_args(args[0], args[1:]) if args else ():
            sub = _subscription(a)
            if sub is None:
                new[self._norm(a)] = None
            else:
                new[self._norm(sub[0])] = sub[1]
                if sub[1] is not None:
                    self._handlers = True
        for k, v in handlers.items():
            new[self._norm(k)] = v
            if v is not None:
                self._handlers = True
        if not new:
            raise PubSubError(f"{kind} needs at least one name")
        return new

    async def _subscribe(self, kind: str, table: dict[Any, Any], args: tuple[Any, ...],
                         handlers: dict[Any, Any]) -> None:
        new = self._wanted(kind, args, handlers)
        if self._closed:
            raise PubSubError("This PubSub is closed")
        self._check_loop()
        before = dict(table)
        table.update(new)
        self._version += 1
        mine = self._version
        try:
            for attempt in range(3):
                conn = self.connection
                if conn is None or conn.closed:
                    conn = await self._ensure()
                    assert conn is not None
                    if self._conn_version >= mine:
                        return  # opened after our names were added: it subscribed them
                try:
                    await self._send(conn, [(kind, *new)])
                    return
                except ConnectionError:
                    # lost meanwhile: only the server's confirmation counts,
                    # so subscribe again on the reconnected connection
                    if attempt == 2 or not self._auto_reconnect or self._closed:
                        raise
        except BaseException:
            table.clear()
            table.update(before)
            raise

    async def _unsubscribe(self, kind: str, table: dict[Any, Any], args: tuple[Any, ...]) -> None:
        names = [self._norm(a) for a in args]
        self._check_loop()
        conn = self.connection
        live = conn is not None and not conn.closed
        # one confirmation per name given; for "all", one per name subscribed (or one
        # saying "none" - except SUNSUBSCRIBE, which then sends nothing)
        expected = len(names) or len(table) or (0 if kind == "SUNSUBSCRIBE" else 1)
        # handlers stay in force for messages already queued, until the server's
        # confirmation for that name is read (as in redis-py)
        retired = self._retired
        for n in names or list(table):
            handler = table.pop(n, None)
            if handler is not None:
                retired[n] = handler
        if not live:
            return
        assert conn is not None
        self._unconfirmed += expected
        await self._send(conn, [(kind, *names)])

    async def subscribe(self, *channels: Any, **handlers: Handler) -> None:
        """Subscribe; returns once the server confirmed. ``**{name: handler}`` attaches
        a handler (plain or ``async def``) that receives the message dict."""
        await self._subscribe("SUBSCRIBE", self.channels, channels, handlers)

    async def psubscribe(self, *patterns: Any, **handlers: Handler) -> None:
        await self._subscribe("PSUBSCRIBE", self.patterns, patterns, handlers)

    async def ssubscribe(self, *channels: Any, target_node: Any = None, **handlers: Handler) -> None:
        """Sharded Pub/Sub (Redis 7). ``target_node`` is redis-py's cluster argument: one
        server has no node to choose, so it is accepted and has no effect (as in redis-py)."""
        await self._subscribe("SSUBSCRIBE", self.shard_channels, channels, handlers)

    async def unsubscribe(self, *channels: Any) -> None:
        """No arguments: all channels."""
        await self._unsubscribe("UNSUBSCRIBE", self.channels, channels)

    async def punsubscribe(self, *patterns: Any) -> None:
        await self._unsubscribe("PUNSUBSCRIBE", self.patterns, patterns)

    async def sunsubscribe(self, *channels: Any, target_node: Any = None) -> None:
        """No arguments: all shard channels (``target_node``: as in :meth:`ssubscribe`)."""
        await self._unsubscribe("SUNSUBSCRIBE", self.shard_channels, channels)

    async def ping(self, message: Any = None) -> Any:
        """PING on the Pub/Sub connection: returns True (or the echoed message) once the
        server answered, within ``confirm_timeout`` of silence, even while reading is
        paused. The answer is also delivered as a ``pong`` message, as in redis-py."""
        conn = await self._ensure()
        assert conn is not None
        data = _PING if message is None else conn.pack(("PING", message))
        reply = await self._answer(conn, conn.send_control(data, pong=True), self._confirm_timeout)
        return reply[1] if isinstance(reply, list) and message is not None else True

    async def connect(self) -> None:
        """Open the connection now (redis-py's ``PubSub.connect``); subscribing does it too."""
        await self._ensure()

    async def run(self, *, exception_handler: Callable[..., Any] | None = None,
                  poll_timeout: float = 1.0) -> None:
        """Read for ever, handlers doing the work (redis-py's ``PubSub.run``); run it as a
        task and cancel it to stop. An exception is passed to
        ``exception_handler(exc, pubsub)`` (plain or ``async def``) when given, else raised."""
        self._check_handlers()
        await self.connect()
        while True:
            try:
                await self.get_message(ignore_subscribe_messages=True, timeout=poll_timeout)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if exception_handler is None or isinstance(exc, PubSubError) and self._closed:
                    raise
                res = exception_handler(exc, self)
                if asyncio.iscoroutine(res) or isinstance(res, asyncio.Future):
                    await res
            await asyncio.sleep(0)

    # ------------------------------------------------------------------ reading
    def _to_message(self, frame: Any, ignore: bool) -> PubSubMessage | _Handled | None:
        """One frame -> the guide's dict, or None (handled by a handler / ignored)."""
        if isinstance(frame, BaseException):
            raise frame
        kind = frame[0]
        if kind in _MESSAGE:
            msg: PubSubMessage = {"type": "message", "pattern": None, "channel": frame[1],
                                  "data": frame[2]}
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
            if t == "pong":  # the answer to a user's ping(), never ignored (as redis-py)
                # redis-py's shape: no channel (PubSubMessage types channel as bytes | str)
                pong: PubSubMessage = {"type": "pong", "pattern": None,
                                       "channel": None,  # type: ignore[typeddict-item]
                                       "data": frame[1]}
                return pong
            if t in _UNSUBS:
                if self._unconfirmed:
                    self._unconfirmed -= 1
                if self._retired:
                    self._retired.pop(frame[1], None)
            if ignore or self._ignore:
                return None
            return {"type": t, "pattern": None, "channel": frame[1], "data": frame[2]}
        if handler is not None:
            return _Handled(handler, msg)
        return msg

    async def get_message(self, ignore_subscribe_messages: bool = False,
                          timeout: float | None = 0.0) -> PubSubMessage | None:
        """Take one queued frame if there is one; else wait up to ``timeout`` seconds
        (0: do not wait, None: wait forever) and return None if nothing came. Handlers
        consume their messages (None is returned). Never busy-waits; raises PubSubError
        once closed, ConnectionError when the connection is lost and reconnecting is off,
        and PubSubNotConnected (a RuntimeError, as in redis-py, whatever the timeout) on a
        PubSub that never subscribed nor connected."""
        conn = self.connection
        if conn is None or not conn._queue:
            conn = await self._wait_for_frame(timeout)
            if conn is None:
                return None
        # the hot path: no await, no timer when a frame is already queued, and a plain
        # message without a handler is built right here
        frame = conn._queue.popleft()
        if conn._paused and len(conn._queue) <= conn._low:
            conn.took(frame)
        cls = frame.__class__  # a RESP2 array, or (RESP3, the default) a push frame
        if (cls is list or cls is PushNotification) and frame[0] in _MESSAGE and not self._handlers:
            return {"type": "message", "pattern": None, "channel": frame[1], "data": frame[2]}
        msg = self._to_message(frame, ignore_subscribe_messages)
        if msg.__class__ is _Handled:
            await msg.run()
            return None
        return msg  # type: ignore[return-value]  # mypy narrows type(m) is C, not m.__class__

    async def _wait_for_frame(self, timeout: float | None) -> Connection | None:
        """The connection once a frame is queued on it; None when ``timeout`` ran out.
        Waits on a future of its own (the queue's, or the reconnect's), never spins; a
        reader that is cancelled or times out cancels nobody else."""
        if self._closed:
            raise PubSubError("This PubSub is closed")
        self._check_loop()
        if self.connection is None and not self.subscribed and self._connecting is None:
            # redis-py: RuntimeError whatever the timeout (nothing could ever arrive)
            raise PubSubNotConnected(_NOT_SET)
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
            if conn is not None and not conn.closed:
                conn._qbytes = 0  # the queue is empty: its byte bound starts over
                w = conn.wait_frames()
                waiters = conn._queue_waiters
            else:
                w = loop.create_future()
                self._state_waiters.append(w)
                waiters = self._state_waiters
            handle = None
            if deadline is not None:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    _forget(waiters, w)
                    return None
                handle = loop.call_later(remaining, _wake, w)
            try:
                await w
            finally:
                if handle is not None:
                    handle.cancel()
                if waiters:
                    _forget(waiters, w)

    def listen(self) -> _Listener:
        """``async for message in p.listen()`` until nothing is subscribed, or the guide's
        ``for message in await p.listen()``: wait for at least one frame, then return every
        queued message in one go (a batch drain)."""
        return _Listener(self)

    async def _drain(self) -> list[PubSubMessage]:
        conn = self.connection
        if conn is None or not conn._queue:
            conn = await self._wait_for_frame(None)
        assert conn is not None
        queue = conn._queue
        out: list[PubSubMessage] = []
        append = out.append
        ignore = self._ignore
        to_message = self._to_message
        try:
            while queue:
                frame = queue.popleft()
                msg = to_message(frame, ignore)
                if msg is None:
                    continue
                if msg.__class__ is _Handled:
                    await msg.run()
                    continue
                append(msg)  # type: ignore[arg-type]  # as in get_message
        finally:
            conn.after_consume()
        return out

    # ------------------------------------------------------------------ thread
    def _check_handlers(self) -> None:
        for table in (self.channels, self.patterns, self.shard_channels):
            for name, handler in table.items():
                if handler is None:
                    raise PubSubError(f"Channel or pattern {name!r} has no handler registered")

    def run_in_thread(self, sleep_time: float = 0.001, daemon: bool = False,
                      exception_handler: Callable[[BaseException, PubSub, PubSubWorkerThread], Any]
                      | None = None,
                      poll_timeout: float | None = None) -> PubSubWorkerThread:
        """A started thread that keeps reading (handlers do the work) by running
        ``get_message`` on this event loop via ``asyncio.run_coroutine_threadsafe``.
        An exception (from a handler, or the connection) goes to
        ``exception_handler(exc, pubsub, thread)`` as in redis-py; without one it is
        logged with its traceback on the ``fastredis.pubsub`` logger and the thread goes on."""
        self._check_handlers()
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
        self._unconfirmed = 0
        _observe.retire_pubsub(self)
        running = _get_running_loop()
        for task in (self._reconnect_task, self._health_task, self._connecting):
            if task is not None and not task.done() and not task.get_loop().is_closed():
                if task.get_loop() is running:
                    task.cancel()
                else:
                    task.get_loop().call_soon_threadsafe(task.cancel)
        conn, self.connection = self.connection, None
        self._wake_state()
        if conn is not None:
            conn.on_lost = None
            if conn._loop is running or (running is None and not conn._loop.is_closed()):
                self.connection_pool.release(conn, reusable=False)  # closes it
                conn.close()
            else:  # of another event loop: never call into it from here
                self._let_go(conn)
                conn = None
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


@final  # lets a type checker narrow ``msg.__class__ is _Handled`` both ways
class _Handled:
    """A message that a handler consumes (so get_message returns None)."""

    __slots__ = ("handler", "msg")

    def __init__(self, handler: Handler, msg: PubSubMessage) -> None:
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

    def __await__(self) -> Generator[Any, None, None]:
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
        self._batch: deque[PubSubMessage] = deque()

    def __aiter__(self) -> _Listener:
        return self

    async def __anext__(self) -> PubSubMessage:
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

    def __await__(self) -> Generator[Any, None, list[PubSubMessage]]:
        return self._p._drain().__await__()


class PubSubWorkerThread(threading.Thread):
    """The thread of ``run_in_thread``. ``stop()`` is safe from any thread, including the
    event loop's own, and never blocks: it sets a flag and cancels the pending read."""

    def __init__(self, pubsub: PubSub, loop: asyncio.AbstractEventLoop, sleep_time: float,
                 daemon: bool = False, exception_handler: Callable[..., Any] | None = None) -> None:
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
                    try:
                        self.exception_handler(exc, self.pubsub, self)
                    except Exception:  # noqa: BLE001
                        logger.exception("PubSub worker thread: the exception_handler failed")
                elif self._running.is_set():
                    # never swallowed: the message it was handling is lost
                    logger.exception("PubSub worker thread: a handler raised; going on")
                else:
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

