"""The wire: an asyncio protocol that feeds hiredis and routes every reply.

One direction, no back and forth (DESIGN.md "The data path"):

* ``execute()`` packs the command, writes it and queues its future in one synchronous
  step (no ``await`` in between), so the order of futures is the order on the wire.
* ``data_received`` / ``buffer_updated`` feed the reader, pop replies and route them:
  a normal reply resolves the oldest future; a Pub/Sub frame goes to the message queue.
  Nothing else happens there: no decoding beyond hiredis, no logging, no user code.
* A reply's place in the queue belongs to the connection, not the caller: a future that
  was cancelled or timed out is still popped when its reply arrives, and the reply is
  dropped. The next caller therefore always gets its own reply (the redis-py
  CVE-2023-28858/28859 class of bug cannot happen here).
* A push is never matched to a waiter, whatever fails while handling it. Decoding
  (``decode_responses``) happens inside hiredis while it parses, before anyone knows
  whether the frame is a reply or a push, so the reader never fails to decode: its error
  handler notes the fault and keeps the bytes (PEP 383 escapes), and the reply path, which
  knows the frame's kind once it is whole, decides (``_mend_reply`` / ``_mend_push``).
  A frame that cannot be handled closes its connection and fails only its waiters.
"""

from __future__ import annotations

import asyncio
import codecs
import threading
from collections import deque
from typing import Any, Callable

import hiredis

from ._log import get_logger
from ._observe import error_type as _error_type
from ._pack import pack
from .exceptions import (
    ConnectionError,
    DataError,
    ProtocolError,
    WrongLoop,
    error_from_reply,
)

__all__ = ["Connection", "BufferedConnection", "pack"]

# Connection life events only (lost, aborted, refused writes): never per reply.
_log = get_logger("fastredis.connection")

# A reader sentinel that can never be a reply (hiredis' default ``False`` can be, in RESP3).
_NOT_ENOUGH = object()
_HELD_NONE = object()  # (_process: no reply held over)
_ReplyError = hiredis.ReplyError
_PushNotification = hiredis.PushNotification
# what hiredis raises when it cannot read the stream or build a reply from it
_UNREADABLE = (hiredis.ProtocolError, TypeError, ValueError, OverflowError, MemoryError)
_pack_command: Callable[[tuple[Any, ...]], bytes] = hiredis.pack_command

# In RESP2 subscribed mode PING answers ``[b"pong", b""]``; outside it, ``+PONG``.
# Write coalescing across tasks (measured: 50 tasks x SET/GET 2.5-3x faster on both loops,
# sequential GET unchanged, since an idle connection still writes at once). A switch for A/B.
_COALESCE = True
_SLICE = 16384
_BUFSIZE = 65536  # BufferedConnection's read buffer: fewer reads for large replies
_PONG_KINDS = frozenset((b"pong", "pong"))
_PONG_STRINGS = frozenset((b"PONG", "PONG"))
# subscribe confirmations, dropped on arrival when the PubSub ignores them anyway
_SUB_CONFIRMS = frozenset(
    k for n in ("subscribe", "psubscribe", "ssubscribe") for k in (n, n.encode())
)
_DATA_KINDS = frozenset(
    k for n in ("message", "pmessage", "smessage") for k in (n, n.encode())
)


# ------------------------------------------------------------------ decoding faults
# hiredis decodes each string while it builds the frame; a decode error used to be raised
# only once the whole frame was consumed, and nobody could tell whether that frame had been
# a reply or a push (an invalidation of a key that is not UTF-8 was charged to the oldest
# waiting command, and every later reply went to the caller before its own). So a decoding
# reader never fails: ``_mark`` escapes the undecodable bytes (surrogateescape, PEP 383:
# the exact bytes come back with .encode(encoding, "surrogateescape")) and notes the fault
# for the calling thread (hiredis calls it in the thread that calls gets(), holding the
# GIL). The reply path takes the note right after gets(): one dict truth test per frame.
_FAULT_EXACT = 1  # escaped: the raw bytes can be recovered exactly
_FAULT_LOSSY = 2  # a byte the escape cannot carry (below 0x80, e.g. UTF-16): replaced
_FAULTS: dict[int, int] = {}  # thread id -> worst fault of the frame being parsed there
_MARK = "fastredis.mark"
_escape = codecs.lookup_error("surrogateescape")
_get_ident = threading.get_ident
# codecs for which escaping then encoding gives back the very bytes received
_EXACT_CODECS = ("utf-8", "ascii", "iso8859-", "cp125", "koi8-")


def _mark(exc: UnicodeError) -> tuple[str | bytes, int]:
    try:
        out = _escape(exc)
        level = _FAULT_EXACT
    except UnicodeError:
        out, level = ("\ufffd", exc.end), _FAULT_LOSSY  # type: ignore[attr-defined]
    ident = _get_ident()
    if _FAULTS.get(ident, 0) < level:
        _FAULTS[ident] = level
    return out


codecs.register_error(_MARK, _mark)


def _escaped(s: str) -> bool:
    """``s`` holds escaped bytes (UTF-8 cannot encode a lone surrogate; decoders never
    produce one otherwise)."""
    if s.isascii():
        return False
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _walk(obj: Any, fix: Callable[[str], Any]) -> Any:
    """``obj`` with ``fix`` applied to every string that holds escaped bytes."""
    t = obj.__class__
    if t is str:
        return fix(obj) if _escaped(obj) else obj
    if t is list or t is _PushNotification:
        return t([_walk(x, fix) for x in obj])
    if t is dict:
        return {_walk(k, fix): _walk(v, fix) for k, v in obj.items()}
    if t is set or t is frozenset:
        return t(_walk(x, fix) for x in obj)
    if t is tuple:
        return tuple(_walk(x, fix) for x in obj)
    return obj


def _fsize(frame: Any) -> int:
    """Payload bytes a queued Pub/Sub frame holds (its data; 0 for confirmations/errors)."""
    if isinstance(frame, list) and frame:
        d = frame[-1]
        if isinstance(d, (bytes, str)):
            return len(d)
    return 0


def _size(reply: Any) -> int:
    """Payload bytes of a parsed reply (computed only when max_reply_size is set)."""
    total = 0
    stack = [reply]
    while stack:
        r = stack.pop()
        if isinstance(r, (bytes, str)):
            total += len(r)
        elif isinstance(r, (list, tuple, set, frozenset)):
            stack.extend(r)
        elif isinstance(r, dict):
            stack.extend(r.keys())
            stack.extend(r.values())
    return total


def _fail(fut: asyncio.Future[Any], exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)


def _retrieve(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


class PongFuture(asyncio.Future[Any]):
    """The future of a user's ``PubSub.ping()``: its answer is also queued as a ``pong``
    frame, in wire order, as redis-py delivers it."""


class OwnFuture(asyncio.Future[Any]):
    """The future of a command with a reply of its own sent in subscribed mode (RESP3
    ``AUTH`` during a credential rotation): its reply or error is routed to it in FIFO
    order, like a PING's answer, and never queued as a frame."""


class RawFuture(asyncio.Future[Any]):
    """The future of a command whose reply must not be decoded (``NEVER_DECODE``): the
    reader's encoding is switched off while its reply is parsed (see _process_raw)."""


class _Batch:
    """The FIFO entry of a pipeline: collects ``remaining`` replies, then resolves."""

    __slots__ = ("future", "replies", "remaining")

    def __init__(self, future: asyncio.Future[Any], count: int) -> None:
        self.future = future
        self.replies: list[Any] = []
        self.remaining = count


_Future = asyncio.Future
_get_running_loop = asyncio.events._get_running_loop  # the C version: a pointer compare




class Connection(asyncio.Protocol):
    """One Redis connection: a transport, a hiredis reader and the FIFO of futures.

    Many commands may be in flight at once (pipelining by construction)."""

    __slots__ = (
        "_loop", "_reader", "_transport", "_waiters", "_queue", "_queue_waiters",
        "_pubsub", "_paused", "_rpaused", "_exact", "_qbytes", "_high_bytes", "_low_bytes",
        "drop_confirms", "confirms_dropped", "frames_in", "_high", "_low", "_encoding", "_errors", "closed",
        "close_exc", "closed_future", "_arg_encoding", "description", "client_id",
        "on_lost", "_max_reply", "_wbuf", "drop_oldest", "dropped", "_stalled", "on_push", "push_data",
        "last_used", "_fault", "_exact_codec", "rx", "counters", "auth_epoch", "own", "_raw",
        "_raw_on", "_decodes", "_special",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        encoding: str = "utf-8",
        errors: str = "strict",
        decode: bool = False,
        high_water: int = 4096,
        low_water: int = 1024,
        max_reply_size: int | None = None,
    ) -> None:
        self._loop = loop
        self._encoding = encoding
        self._errors = errors
        # str arguments: hiredis packs them as UTF-8 itself; other charsets go the slow way
        utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        self._arg_encoding = None if utf8 and errors == "strict" else encoding
        # a fault noted while a frame was still incomplete (its end comes in a later read)
        self._fault = 0
        name = codecs.lookup(encoding).name
        self._exact_codec = name.startswith(_EXACT_CODECS)
        if decode:
            # never fails to decode: faults are noted and settled per frame (see _mark);
            # ``errors`` is applied then, to replies only
            self._reader = hiredis.Reader(
                notEnoughData=_NOT_ENOUGH, encoding=encoding, errors=_MARK
            )
        else:
            self._reader = hiredis.Reader(notEnoughData=_NOT_ENOUGH)
        self._transport: Any = None
        self._wbuf: list[Any] | None = None
        self._waiters: deque[Any] = deque()
        # Pub/Sub / push frames: a deque plus one future per waiting reader (each reader
        # can be cancelled or time out alone: a shared future would be cancelled for all).
        self._queue: deque[Any] = deque()
        self._queue_waiters: list[asyncio.Future[Any]] = []
        self._pubsub = False
        # Flow control (DESIGN.md): _paused = the queue is past its high-water mark (in
        # frames or bytes); _rpaused = the transport is really paused, which is the case
        # only while none of our own commands waits for an answer (see _route_pubsub).
        self._paused = False
        self._rpaused = False
        # payload bytes queued, as an upper bound: added here per frame; readers do not
        # subtract (nothing per message on their side), a reader that finds the queue
        # empty resets it, and it is recounted exactly (sum of _fsize) when it passes the
        # mark. While paused, from the low frame mark on, it is kept exact (_exact).
        self._exact = False
        self._qbytes = 0
        self._high_bytes = 4 * 1024 * 1024
        self._low_bytes = 1024 * 1024
        self.drop_confirms = False
        self.confirms_dropped = 0
        self.frames_in = 0  # frames ever queued (counted per read, not per frame)
        self._high = high_water
        self.drop_oldest = False
        self.dropped = 0
        self._low = low_water
        self._max_reply = max_reply_size
        # (future, when) of the oldest timed-out command still unanswered; see timed_out()
        self._stalled: tuple[asyncio.Future[Any], float] | None = None
        self.closed = False
        self.close_exc: BaseException | None = None
        self.closed_future: asyncio.Future[Any] = loop.create_future()
        self.description = "redis"
        self.client_id: int | None = None
        self.on_lost: Callable[[Connection], None] | None = None
        # Out-of-band frames a layer above consumes in wire order, inside the reply path
        # (the client-side cache's invalidations): returns True when it took the frame.
        # Never user code: a synchronous bookkeeping step, like resolving a future.
        self.on_push: Callable[[Any], bool] | None = None
        # False: on_push never takes a Pub/Sub data frame (message, pmessage, smessage),
        # so those are queued without a call (the cluster PubSub's hook watches only
        # confirmations; the cache's takes its invalidation messages)
        self.push_data = True
        # loop.time() of the last hand-out by the pool (health checks, max_idle_time)
        self.last_used = 0.0
        # bytes ever received, counted per read: the pool's estimate of the reply bytes in
        # flight on each shared connection with max_shared > 1 (pool._Meter) reads it
        self.rx = 0
        # the pool's fastredis._observe.PoolCounters (set when the pool opened it), added
        # to on error replies, timeouts and loss only: never per reply
        self.counters: Any = None
        # credential rotation (pool.py): the provider's epoch the handshake started at,
        # and how many of the pending commands are the pool's own AUTHs (a connection
        # released with only those in flight is still reusable)
        self.auth_epoch = 0
        self.own = 0
        # NEVER_DECODE replies pending: while any, replies are parsed by _process_raw
        self._raw = 0
        self._raw_on = False
        self._decodes = decode
        # Pub/Sub mode or a NEVER_DECODE reply pending: _process leaves its plain path
        self._special = False

    # ------------------------------------------------------------------ transport side
    def connection_made(self, transport: Any) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        n = len(data)
        self.rx += n
        if n <= _SLICE:
            self._reader.feed(data)
            self._process()
            return
        # hiredis compacts its buffer (a memmove of everything unread) each time it has
        # consumed 1 KB: fed a 256 KB read at once (uvloop), parsing becomes quadratic.
        # Feeding slices keeps the unread part small (Pub/Sub drain ~0.93M -> ~1.2M msg/s).
        reader = self._reader
        for off in range(0, n, _SLICE):
            reader.feed(data, off, min(_SLICE, n - off))
            self._process()

    def _process(self) -> None:
        raw = False
        if self._special:  # one check per read for both: the plain path pays nothing more
            if self._pubsub:
                self._process_pubsub()
                return
            raw = True  # a NEVER_DECODE reply is pending (see _encode_for)
        reader = self._reader
        waiters = self._waiters
        faults = _FAULTS
        fault = self._fault
        held = _HELD_NONE  # a reply a pipeline's run (below) read and left to this loop
        while True:
            if held is not _HELD_NONE:
                reply, held = held, _HELD_NONE
            else:
                if raw:
                    self._encode_for(waiters[0] if waiters else None)
                try:
                    reply = reader.gets()
                except _UNREADABLE as exc:
                    self._unreadable(exc)
                    return
            if reply is _NOT_ENOUGH:
                if faults:
                    self._keep_fault()
                if self._max_reply is not None and reader.len() > self._max_reply:
                    # still arriving: stop buffering it, the stream cannot continue
                    self._abort(self._too_large(), None)
                return
            if faults or fault:
                fault = 0
                if reply.__class__ is _PushNotification:
                    reply = self._mend_push(reply)
                    if reply is None:
                        return
                else:
                    reply = self._mend_reply(reply)
                    if reply.__class__ is DataError:
                        self._fail_first(reply)
                        continue
            if reply.__class__ is _PushNotification:
                # never matched to a waiter, whatever happens while handling it
                if not self._push(reply):
                    return
                continue
            try:
                fut = waiters.popleft()
            except IndexError:
                if reply.__class__ is _ReplyError:
                    # the server refused us before any command: "-ERR max number of
                    # clients reached" is sent at accept. Keep its own words.
                    self._abort(error_from_reply(reply.args[0]), None)
                else:
                    self._abort(ProtocolError(f"Unexpected reply from {self.description}"), None)
                return
            if fut.__class__ is _Batch:
                # a pipeline: one FIFO entry for all its replies, first in the FIFO until
                # its last one. Its replies are taken here in a run, while they come whole
                # and plain; anything else (a push, a decoding fault, the end of the data
                # read) goes back to the loop above, the entry first in the FIFO again.
                append = fut.replies.append
                left = fut.remaining
                max_reply = self._max_reply
                while True:
                    append(reply)
                    left -= 1
                    if max_reply is not None and _size(reply) > max_reply:
                        _fail(fut.future, self._too_large())
                    if not left:
                        break
                    try:
                        reply = reader.gets()
                    except _UNREADABLE as exc:
                        fut.remaining = left
                        waiters.appendleft(fut)  # (failed with the others)
                        self._unreadable(exc)
                        return
                    if reply is _NOT_ENOUGH or faults or reply.__class__ is _PushNotification:
                        break
                fut.remaining = left
                if left:
                    waiters.appendleft(fut)
                    held = reply
                    continue
                if not fut.future.done():
                    fut.future.set_result(fut.replies)
                continue
            if raw and fut.__class__ is RawFuture:
                self._raw -= 1
                self._special = self._raw > 0
            if fut.done():  # cancelled or timed out: its reply is dropped here
                continue
            if reply.__class__ is _ReplyError:
                err = error_from_reply(reply.args[0])
                if self.counters is not None:
                    self.counters.error(_error_type(err))
                fut.set_exception(err)
            elif self._max_reply is not None and _size(reply) > self._max_reply:
                # it arrived whole in one read, so the check above never saw it; the
                # stream is still aligned: fail only this command
                fut.set_exception(self._too_large())
            else:
                fut.set_result(reply)

    def _unreadable(self, exc: Exception) -> None:
        """hiredis could not read the stream (a protocol error) or build a reply from it
        (e.g. a RESP3 map keyed by an array): it can no longer be trusted."""
        what = "Protocol error from" if isinstance(exc, hiredis.ProtocolError) else "Invalid reply from"
        self._abort(ProtocolError(f"{what} {self.description}: {exc}"), exc)

    def _encode_for(self, head: Any) -> None:
        """A NEVER_DECODE command is pending: parse the next reply raw when it is the
        oldest waiter's (``RawFuture``), decoded otherwise. Replies and waiters correspond
        one to one and a reply is parsed whole with the encoding set before its first
        byte is read, so the switch is exact. Only a connection with such a command
        pending comes here (``raw`` in _process)."""
        want = head.__class__ is RawFuture
        if want is not self._raw_on:
            self._raw_on = want
            if want:
                self._reader.set_encoding(None)
            else:
                self._reader.set_encoding(self._encoding, _MARK)

    # ------------------------------------------------------------------ decoding faults
    def _keep_fault(self) -> None:
        """gets() stopped inside a frame: keep the thread's fault note on this connection
        (another connection of this thread may parse before the frame's end arrives)."""
        level = _FAULTS.pop(_get_ident(), 0)
        if level > self._fault:
            self._fault = level

    def _take_fault(self) -> int:
        """The fault level of the frame gets() just completed (0: it decoded cleanly)."""
        level = max(self._fault, _FAULTS.pop(_get_ident(), 0))
        self._fault = 0
        return level

    def _mend_reply(self, reply: Any) -> Any:
        """A reply holding escaped bytes, as ``errors`` wants it: decoded again (only the
        strings that failed), or a DataError for its own command (``strict``)."""
        level = self._take_fault()
        if not level:
            return reply
        enc, errors = self._encoding, self._errors
        if level == _FAULT_LOSSY or not self._exact_codec:
            return DataError(f"Cannot decode reply with {enc!r}")

        def redecode(s: str) -> str:
            return s.encode(enc, "surrogateescape").decode(enc, errors)

        try:
            return _walk(reply, redecode)
        except (UnicodeError, LookupError) as exc:
            err = DataError(f"Cannot decode reply with {enc!r}: {exc}")
            err.__cause__ = exc
            # the reply with the undecodable strings as the bytes the server sent: for the
            # few commands redis-py reads undecoded whatever the client's decoding
            # (FT.SEARCH, whose documents may hold vectors), see commands/search
            err._undecoded = _walk(reply, lambda s: s.encode(enc, "surrogateescape"))  # type: ignore[attr-defined]
            return err

    def _mend_push(self, frame: Any) -> Any:
        """A push or Pub/Sub frame holding escaped bytes: those strings become the raw
        bytes the server sent (an invalidated key is matched by its bytes, a message is
        delivered, a confirmation counted). None when they cannot be recovered: the
        connection is then closed (its own waiters fail, nothing else)."""
        level = self._take_fault()
        if not level:
            return frame
        if level == _FAULT_LOSSY or not self._exact_codec:
            self._abort(ProtocolError(
                f"Push frame from {self.description} not decodable with {self._encoding!r}"), None)
            return None
        enc = self._encoding
        return _walk(frame, lambda s: s.encode(enc, "surrogateescape"))

    def _fail_first(self, err: DataError) -> None:
        """An undecodable reply fails only its own command; the stream stays aligned
        (hiredis consumed the whole reply)."""
        waiters = self._waiters
        if not waiters:
            self._abort(ProtocolError("Reply without a pending command"), None)
            return
        fut = waiters.popleft()
        if fut.__class__ is _Batch:
            # one reply of a pipeline: the pipeline fails, but its entry stays first in
            # the FIFO until the rest of its replies are consumed
            fut.remaining -= 1
            if fut.remaining:
                waiters.appendleft(fut)
            fut = fut.future
        if not fut.done():
            fut.set_exception(err)

    def _push(self, reply: Any) -> bool:
        """A RESP3 push on a command connection: the hook's (the cache's invalidations), or
        kept for a reader, bounded so nobody reading costs no memory. False when the hook
        failed: the connection is closed (a lost invalidation would leave the cache stale)."""
        on_push = self.on_push
        if on_push is not None:
            try:
                if on_push(reply):
                    return True
            except Exception as exc:
                self._abort(ProtocolError(f"Push frame from {self.description} could not be handled: {exc!r}"), exc)
                return False
        queue = self._queue
        queue.append(reply)
        if len(queue) > self._high:
            queue.popleft()
            self.dropped += 1
        self._wake_queue()
        return True

    def _too_large(self) -> ProtocolError:
        from .exceptions import MaxReplySizeError

        return MaxReplySizeError(f"Reply larger than max_reply_size={self._max_reply} bytes")

    def _process_pubsub(self) -> None:
        """Subscribed mode's own loop (the Pub/Sub drain is the hot path): a message is
        queued and its bytes counted in a few steps, everything else goes to
        _route_pubsub; the marks are checked and the readers woken once per slice read,
        not per frame (the overshoot is bounded by one 16 KB slice)."""
        gets = self._reader.gets
        queue = self._queue
        append = queue.append
        n = len(queue)
        nbytes = 0
        not_enough, kinds, list_, int_ = _NOT_ENOUGH, _DATA_KINDS, list, int
        push_ = _PushNotification  # RESP3 (the default): frames are pushes, not arrays
        # no PING of ours pending and confirmations kept: every array frame is queued
        # as it is (a PING's answer, the only array that is not, cannot come now)
        # (a connection with an on_push hook, the cache's invalidation subscriber, gives
        # every frame to the hook first)
        on_push = self.on_push
        fast = not self._waiters and not self.drop_confirms and on_push is None
        faults = _FAULTS
        fault = self._fault
        data_direct = on_push is None or not self.push_data  # data frames skip the hook
        try:
            while True:
                try:
                    reply = gets()
                except hiredis.ProtocolError as exc:
                    self._abort(ProtocolError(f"Protocol error from {self.description}: {exc}"), exc)
                    return
                except (TypeError, ValueError, OverflowError, MemoryError) as exc:
                    self._abort(ProtocolError(f"Invalid reply from {self.description}: {exc}"), exc)
                    return
                if reply is not_enough:
                    if faults:
                        self._keep_fault()
                    if self._max_reply is not None and self._reader.len() > self._max_reply:
                        self._abort(self._too_large(), None)
                        return
                    break
                if faults or fault:
                    # undecodable bytes: delivered raw, never an error in a frame's place
                    # (an unsubscribe confirmation must still be counted, a PING's answer
                    # still reach its PING)
                    fault = 0
                    reply = self._mend_push(reply)
                    if reply is None:
                        return
                cls = reply.__class__
                if (cls is list_ or cls is push_) and (fast or data_direct and reply[0] in kinds):
                    append(reply)
                    d = reply[-1]  # the payload (a confirmation ends with its count)
                    if d.__class__ is not int_:
                        nbytes += len(d)
                elif on_push is None or not self._hook(on_push, reply):
                    if self.closed:
                        return
                    self._route_pubsub(reply)
        finally:
            self._qbytes += nbytes
            self.frames_in += len(queue) - n
        if len(queue) != n:
            if len(queue) >= self._high or self._qbytes >= self._high_bytes:
                self._overflow()
            if self._queue_waiters:
                self._wake_queue()

    def _hook(self, on_push: Callable[[Any], bool], frame: Any) -> bool:
        """``on_push`` in subscribed mode; a hook that fails closes the connection."""
        try:
            return on_push(frame)
        except Exception as exc:
            self._abort(ProtocolError(f"Push frame from {self.description} could not be handled: {exc!r}"), exc)
            return False

    def _route_pubsub(self, reply: Any) -> None:
        # Subscribed mode: frames go to the queue; PING answers and errors go to the
        # waiter of the PING that follows every (un)subscribe command (see pubsub.py).
        if isinstance(reply, list):
            kind = reply[0]
            if kind in _PONG_KINDS:
                self._answer(reply)
                return
            if self.drop_confirms and kind in _SUB_CONFIRMS:
                # ignore_subscribe_messages: nobody will ever read it (50,000 of them
                # after a resubscribe would only fill the queue)
                self.confirms_dropped += 1
                return
            self._queue.append(reply)  # a confirmation or a RESP3 push frame
            d = reply[-1]
            if isinstance(d, (bytes, str)):
                self._qbytes += len(d)
            return
        if reply.__class__ is _ReplyError:
            # An error answers the command group before the next PING: fail that PING's
            # future but leave it queued, its own reply is still to come. A command with
            # a reply of its own (OwnFuture) is answered by the error itself.
            if self._waiters:
                if self._waiters[0].__class__ is OwnFuture:
                    _fail(self._waiters[0], error_from_reply(reply.args[0]))
                    self._answer([b"pong", None])
                    return
                _fail(self._waiters[0], error_from_reply(reply.args[0]))
            else:
                self._queue.append(error_from_reply(reply.args[0]))
            return
        if self._waiters:  # RESP3: PING answers +PONG (or its argument) as a plain reply
            self._answer([b"pong", b""] if reply in _PONG_STRINGS else [b"pong", reply])
            return
        self._abort(ProtocolError(f"Unexpected reply in subscribed mode: {type(reply).__name__}"), None)

    def _answer(self, reply: list[Any]) -> None:
        """A PING's answer reached its waiter; once none waits, a paused queue pauses the
        transport again."""
        if not self._waiters:
            return
        fut = self._waiters.popleft()
        if fut.__class__ is PongFuture:
            self._queue.append(reply)
            self._qbytes += _fsize(reply)
        elif fut.__class__ is OwnFuture:
            reply = reply[1]  # its own reply (a RESP3 simple string: not a PING's answer)
        if not fut.done():
            fut.set_result(reply)
        if self._paused and not self._waiters and not self._rpaused and not self.closed:
            self._rpaused = True
            self._transport.pause_reading()

    def _overflow(self) -> None:
        """The queue passed its high-water mark (frames, or bytes by the upper bound)."""
        if self._paused:
            return  # the rest of the read in hand is queued as it is
        queue = self._queue
        if len(queue) < self._high:
            self._qbytes = sum(map(_fsize, queue))  # only bytes: make the bound exact
            if self._qbytes < self._high_bytes:
                return
        if self.drop_oldest:
            # the opt-in policy: keep the newest, count the loss
            self._qbytes = sum(map(_fsize, queue))
            while len(queue) > 1 and (len(queue) >= self._high or self._qbytes >= self._high_bytes):
                self._qbytes -= _fsize(queue.popleft())
                self.dropped += 1
            return
        self._paused = True
        self._exact = False
        # TCP is in order: the answer to a command of ours (a PING after an (un)subscribe,
        # a health check, a resubscribe) may sit behind the messages. While one waits,
        # keep reading: it is at most one server output buffer away.
        if not self._waiters and not self._rpaused:
            self._rpaused = True
            self._transport.pause_reading()

    def _wake_queue(self) -> None:
        ws = self._queue_waiters
        if ws:
            self._queue_waiters = []
            for w in ws:
                if not w.done():
                    w.set_result(None)

    def pause_writing(self) -> None:  # pragma: no cover - asyncio handles buffering
        pass

    def resume_writing(self) -> None:  # pragma: no cover
        pass

    def eof_received(self) -> bool:
        return False  # let the transport close itself; connection_lost does the rest

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.closed and self.close_exc is not None:
            err = self.close_exc
        else:
            # name what happened: EOF from the server or the OS/TLS error (chained too)
            why = "closed by the server" if exc is None else (str(exc) or type(exc).__name__)
            if self._reader.has_data():
                why += ", in the middle of a reply"
            err = ConnectionError(f"Connection to {self.description} lost: {why}")
            if exc is not None:
                err.__cause__ = exc
            if not self.closed:
                # a Pub/Sub connection's owner reports the loss with what it means (a gap)
                level = 10 if self._pubsub else 30  # DEBUG / WARNING
                _log.log(level, "connection to %s lost: %s", self.description, why)
        self._mark_closed(err)
        # resolved only now: the socket is really gone (no ResourceWarning after aclose)
        if not self.closed_future.done():
            self.closed_future.set_result(None)

    # ------------------------------------------------------------------ caller side
    def execute(self, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        """Send one command; return the future of its reply.

        Write and queue happen in the same synchronous step: no await in between."""
        if self.closed or _get_running_loop() not in (self._loop, None):
            self._refuse()
        enc = self._arg_encoding
        if enc is None:
            try:
                data = _pack_command(args)
            except TypeError:
                data = pack(args)
        else:
            data = pack(args, enc, self._errors)
        fut: asyncio.Future[Any] = _Future(loop=self._loop)
        waiters = self._waiters
        wbuf = self._wbuf
        if wbuf is not None:
            wbuf.append(data)
        elif waiters and _COALESCE:
            # Others are in flight, so this loop iteration is busy: gather the writes of
            # every task that runs in it into one transport.write (one syscall).
            self._wbuf = [data]
            self._loop.call_soon(self._flush)
        else:
            self._transport.write(data)
        waiters.append(fut)
        return fut

    def execute_raw(self, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        """``execute`` whose reply is never decoded (redis-py's ``NEVER_DECODE``), on a
        connection that decodes. Ordered with every other command (one FIFO)."""
        if not self._decodes or self._pubsub:
            return self.execute(args)
        if self.closed or _get_running_loop() not in (self._loop, None):
            self._refuse()
        data = self.pack(args)
        fut = RawFuture(loop=self._loop)
        if self._wbuf is not None:
            self._wbuf.append(data)
        else:
            self._transport.write(data)
        self._waiters.append(fut)
        self._raw += 1
        self._special = True
        return fut

    def _flush(self) -> None:
        wbuf = self._wbuf
        self._wbuf = None
        if wbuf and not self.closed:
            self._transport.write(b"".join(wbuf) if len(wbuf) > 1 else wbuf[0])

    def send_packed(self, data: bytes, count: int) -> list[asyncio.Future[Any]]:
        """Write pre-packed bytes holding ``count`` commands; one future per reply."""
        if self.closed or _get_running_loop() not in (self._loop, None):
            self._refuse()
        loop = self._loop
        futs = [loop.create_future() for _ in range(count)]
        if self._wbuf is not None:
            self._wbuf.append(data)  # keep the order of writes already gathered
        else:
            self._transport.write(data)
        self._waiters.extend(futs)
        return futs

    def send_and_forget(self, args: tuple[Any, ...]) -> None:
        """Send a command whose reply nobody awaits (its outcome is still retrieved, so
        nothing reaches the loop's exception handler)."""
        if not self.closed:
            self.execute(args).add_done_callback(_retrieve)

    def send_batch(self, data: bytes, count: int) -> asyncio.Future[list[Any]]:
        """Write pre-packed bytes holding ``count`` commands; one future resolved with the
        list of their raw replies (server errors in place, as hiredis.ReplyError).

        One FIFO entry stands for the whole batch: no future per command (pipelines)."""
        if self.closed or _get_running_loop() not in (self._loop, None):
            self._refuse()
        batch = _Batch(_Future(loop=self._loop), count)
        if self._wbuf is not None:
            self._wbuf.append(data)
        else:
            self._transport.write(data)
        self._waiters.append(batch)
        return batch.future

    def pack(self, args: tuple[Any, ...]) -> bytes:
        enc = self._arg_encoding
        if enc is None:
            try:
                return _pack_command(args)
            except TypeError:
                pass
        return pack(args, enc, self._errors)

    def timed_out(self, fut: asyncio.Future[Any], timeout: float) -> None:
        """``fut``'s caller stopped waiting. Its place in the FIFO stays (the reply is
        dropped on arrival), so the connection is kept - unless an earlier timed-out
        command is *still* unanswered well after it timed out: nothing has come back for
        more than one and a half timeouts and the peer is presumed gone. TCP may not report
        such a half-open connection for many minutes (retransmission timeout), so close it
        now and let the next command reconnect. (Half a timeout, not a whole one: timers
        and loop.time() are rounded to milliseconds on uvloop; commands that time out
        together, sent at the same moment, still count as one timeout.)"""
        if self.counters is not None:
            self.counters.timeouts += 1
        now = self._loop.time()
        stalled = self._stalled
        if stalled is not None and stalled[0] in self._waiters:
            if now - stalled[1] >= timeout / 2:
                self.abort(f"closed: no reply within two {timeout}s timeouts, presumed dead")
            return
        self._stalled = (fut, now)

    def _refuse(self) -> None:
        """Nothing is written on a closed connection, nor on one of another event loop
        (WrongLoop: the client then takes a connection of the running loop)."""
        if self.closed:
            _log.debug("refused a write on the closed connection to %s", self.description)
            raise self._closed_error()
        raise WrongLoop(f"{self!r} belongs to another event loop")

    def _closed_error(self) -> ConnectionError:
        # the reason it closed is part of the message (e.g. the server's "max number of
        # clients reached" sent before any command), not only of the chained cause
        why = f": {self.close_exc}" if self.close_exc is not None else ""
        err = ConnectionError(f"Connection to {self.description} is closed{why}")
        if self.close_exc is not None:
            err.__cause__ = self.close_exc
        return err

    @property
    def pending(self) -> int:
        """Commands sent whose reply has not arrived yet (cancelled ones included)."""
        return len(self._waiters)

    @property
    def is_idle(self) -> bool:
        return not self._waiters

    # ------------------------------------------------------------------ Pub/Sub side
    def set_pubsub(self, on: bool) -> None:
        self._pubsub = on
        self._special = on or self._raw > 0

    def get_frames(self) -> deque[Any]:
        return self._queue

    def set_bounds(self, frames: int, nbytes: int, drop_oldest: bool = False,
                   drop_confirms: bool = False) -> None:
        """High-water marks of the frame queue; the low marks are a quarter of them."""
        self._high = frames
        self._low = max(1, frames // 4)
        self._high_bytes = nbytes
        self._low_bytes = max(1, nbytes // 4)
        self.drop_oldest = drop_oldest
        self.drop_confirms = drop_confirms

    def took(self, frame: Any) -> None:
        """A reader took ``frame`` from a paused queue that is at or below its low frame
        mark: keep the byte count exact from here on, resume once it is low too."""
        if self._exact:
            self._qbytes -= _fsize(frame)
        else:
            self._qbytes = sum(map(_fsize, self._queue))
            self._exact = True
        if self._qbytes <= self._low_bytes:
            self._unpause()

    def after_consume(self) -> None:
        """A reader took a batch of frames: recount, maybe resume."""
        self._qbytes = sum(map(_fsize, self._queue))
        if self._paused and len(self._queue) <= self._low:
            self._exact = True
            if self._qbytes <= self._low_bytes:
                self._unpause()

    def _unpause(self) -> None:
        self._paused = self._exact = False
        if self._rpaused and not self.closed:
            self._rpaused = False
            self._transport.resume_reading()

    def send_control(self, data: bytes, pong: bool = False) -> asyncio.Future[Any]:
        """Write a Pub/Sub command group ending in one PING; the future of the PING's
        answer. A paused transport resumes until that answer is read (it may sit behind
        unread messages: TCP is in order), then pauses again if still past the mark."""
        if self.closed or _get_running_loop() not in (self._loop, None):
            self._refuse()
        fut: asyncio.Future[Any] = (PongFuture if pong else _Future)(loop=self._loop)
        self._transport.write(data)
        self._waiters.append(fut)
        if self._rpaused:
            self._rpaused = False
            self._transport.resume_reading()
        return fut

    def send_own(self, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        """A command with a reply of its own on a Pub/Sub connection (RESP3 only: a RESP2
        server refuses everything but (un)subscribe and PING in subscribed mode). Its
        reply is routed to it in FIFO order, after the frames before it and before the
        answers of commands sent later: no second reader, no collision with get_message."""
        if self.closed or _get_running_loop() not in (self._loop, None):
            self._refuse()
        fut: asyncio.Future[Any] = OwnFuture(loop=self._loop)
        self._transport.write(self.pack(args))
        self._waiters.append(fut)
        if self._rpaused:  # its answer may sit behind unread messages: keep reading
            self._rpaused = False
            self._transport.resume_reading()
        return fut

    @property
    def is_pubsub(self) -> bool:
        return self._pubsub

    def wait_frames(self) -> asyncio.Future[Any]:
        """A future of the caller's own, resolved when a frame is queued or the
        connection is lost. Give it back with ``forget_waiter`` if you stop waiting."""
        w = self._loop.create_future()
        if self.closed:
            w.set_result(None)
        else:
            self._queue_waiters.append(w)
        return w

    def forget_waiter(self, w: asyncio.Future[Any]) -> None:
        try:
            self._queue_waiters.remove(w)
        except ValueError:
            pass

    # ------------------------------------------------------------------ closing
    def _abort(self, err: BaseException, cause: BaseException | None) -> None:
        """The stream can no longer be trusted: fail everything, never reuse."""
        if cause is not None:
            err.__cause__ = cause
        _FAULTS.pop(_get_ident(), None)  # a fault noted in the frame that broke it
        if not self.closed:
            _log.warning("connection to %s closed: %s", self.description, err)
        self._mark_closed(err)
        if self._transport is not None:
            self._transport.abort()

    def _mark_closed(self, err: BaseException) -> None:
        first = not self.closed
        self.closed = True
        if self.close_exc is None:
            self.close_exc = err
        waiters = self._waiters
        lost = 0
        while waiters:
            fut = waiters.popleft()
            if fut.__class__ is _Batch:
                fut = fut.future
            if not fut.done():
                # a fresh instance per future: a shared one would chain tracebacks
                e = type(err)(*err.args)
                e.__cause__ = err.__cause__ if err.__cause__ is not None else None
                fut.set_exception(e)
                lost += 1
        if lost and self.counters is not None:
            self.counters.error(type(err).__name__, lost)
        self._wake_queue()
        if first:
            if self._transport is None and not self.closed_future.done():
                self.closed_future.set_result(None)
            cb = self.on_lost
            if cb is not None:
                self.on_lost = None
                self._loop.call_soon(cb, self)

    def close(self) -> None:
        """Close now; commands still in flight fail with ConnectionError."""
        if not self.closed:
            self._mark_closed(ConnectionError(f"Connection to {self.description} closed by client"))
        t = self._transport
        if t is not None and not t.is_closing():
            t.close()

    def release(self) -> None:
        """``close()`` from any thread: at once on its own running loop; else ``orphan()``
        (a live loop is asked, thread-safe; a closed one cannot be called at all)."""
        if self._loop is asyncio.events._get_running_loop():
            self.close()
        else:
            self.orphan()

    def orphan(self) -> None:
        """Let go of a connection whose event loop is not the running one. Never calls
        into a loop from outside it: a live loop is asked to abort it (thread-safe); on a
        closed loop nothing can wait on it any more, so it is just marked closed."""
        old = self._loop
        if not old.is_closed():
            try:
                old.call_soon_threadsafe(self.abort, "left behind by its event loop")
            except RuntimeError:  # closed meanwhile
                pass
            return
        self.closed = True
        self._waiters.clear()
        # asyncio's transport still owns an open socket (uvloop closed its own in
        # loop.close()); close it through its owner so nothing closes the fd twice
        sock = getattr(self._transport, "_sock", None)
        if sock is not None:
            sock.close()
            # and the transport no longer owns it: its __del__ would warn "unclosed
            # transport" about a socket that is closed
            self._transport._sock = None

    def abort(self, reason: str = "aborted") -> None:
        """Close without flushing (used when the stream state is unknown)."""
        if not self.closed:
            _log.info("connection to %s %s", self.description, reason)
            self._mark_closed(ConnectionError(f"Connection to {self.description} {reason}"))
        t = self._transport
        if t is not None:
            t.abort()

    async def wait_closed(self) -> None:
        await asyncio.shield(self.closed_future)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"pending={len(self._waiters)}"
        return f"<fastredis.Connection {self.description} {state}>"


class BufferedConnection(Connection, asyncio.BufferedProtocol):
    """Same connection, reading into one preallocated buffer.

    On the default asyncio loop plain ``data_received`` allocates a fresh bytes object per
    read; ``BufferedProtocol`` lets the loop ``recv_into`` a buffer we own. The choice
    between the two is made per loop by the benchmark (see connection.py)."""

    __slots__ = ("_buf", "_view")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._buf = bytearray(_BUFSIZE)
        self._view = memoryview(self._buf)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        self.rx += nbytes
        if nbytes <= _SLICE:
            self._reader.feed(self._buf, 0, nbytes)  # type: ignore[arg-type]
            self._process()
            return
        reader = self._reader
        for off in range(0, nbytes, _SLICE):
            reader.feed(self._buf, off, min(_SLICE, nbytes - off))  # type: ignore[arg-type]
            self._process()
