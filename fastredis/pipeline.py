"""Pipelines and MULTI/EXEC/WATCH: one write for the whole batch, one future per reply.

* Each command is packed when it is queued (so a bad argument is a DataError at the call
  site, before anything is sent); ``execute()`` joins the packed commands once and writes
  them in one ``transport.write``.
* A pipeline without WATCH runs on the client's shared, multiplexed connection: the batch
  (MULTI ... EXEC included) is written in one synchronous step, so no other task's command
  can land between its parts.
* ``watch()`` takes an exclusive connection: the commands between WATCH and MULTI run
  immediately on it, then MULTI ... EXEC; the connection goes back to the pool afterwards.
  Cancelling a watched transaction closes that connection (its state is unknown).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, AnyStr, Callable, Union, cast

import hiredis

from . import _observe
from ._execution import PipelineCommands, PooledExecutor
from ._execution import annotate as _annotate
from ._pack import SET_FORMAT as _SET
from ._pack import pack
from ._protocol import Connection, _get_running_loop
from .commands import CoreCommands
from .commands._base import ok_or_none
from .commands.scripting import Script
from .exceptions import (
    ExecAbortError,
    RedisError,
    ResponseError,
    WatchError,
    error_from_reply,
)

if TYPE_CHECKING:
    from collections.abc import Generator

    from typing_extensions import Self

    from .typing import EncodableT, ExpiryT, KeyT


__all__ = ["Pipeline"]

_ReplyError = hiredis.ReplyError
_pack_command: Callable[[tuple[Any, ...]], bytes] = hiredis.pack_command
_MULTI = _pack_command(("MULTI",))
_Args = tuple[Any, ...]
_Callback = Union[Callable[[Any], Any], None]
_Meta = tuple[_Args, _Callback]  # a queued command: its arguments and its reply callback
_EXEC = _pack_command(("EXEC",))


_ARG_ENCODINGS: dict[tuple[str, str], str | None] = {}
_core_set: Callable[..., Any] = CoreCommands.set  # (the mixin's, for Pipeline.set's other cases)


def _arg_encoding(encoding: str, errors: str) -> str | None:
    """None when hiredis packs str arguments itself (UTF-8, strict), else the encoding
    (remembered per pair: a pipeline is made per batch)."""
    try:
        return _ARG_ENCODINGS[encoding, errors]
    except KeyError:
        pass
    utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8")
    enc = None if utf8 and errors == "strict" else encoding
    if len(_ARG_ENCODINGS) < 16:
        _ARG_ENCODINGS[encoding, errors] = enc
    return enc


class Pipeline(PipelineCommands[AnyStr]):
    """``r.pipeline(transaction=True)``; commands chain (``p.set(..).get(..)``) and also
    accept aredis' ``await p.set(..)``; ``await p.execute()`` returns the replies."""

    def __init__(self, client: PooledExecutor, transaction: bool = True) -> None:
        self._client = client
        self._pool = client.connection_pool
        self.transaction = transaction
        self._packed: list[bytes] = []
        self._meta: list[_Meta] = []
        self._conn: Connection | None = None  # exclusive, while watching
        self._watching = False
        self._explicit_multi = False
        self._blocking = False
        # index -> value of commands answered without the server (``mget([])`` -> [])
        self._local: dict[int, Any] = {}
        #: scripts (``register_script``) called with this pipeline: loaded before the batch
        self.scripts: set[Script] = set()
        params = self._pool.params
        self._arg_encoding = _arg_encoding(params.encoding, params.encoding_errors)

    # ------------------------------------------------------------------ queueing
    def _execute(self, args: _Args, callback: _Callback = None) -> Any:
        # The per-command hot path of every pipeline (one frame under the command method):
        # pack now, so a bad argument is a DataError at the call site, before anything is
        # sent; execute() joins the packed commands once.
        if self._watching and not self._explicit_multi:
            return self._immediate(args, callback)
        if self._arg_encoding is None:
            try:
                self._packed.append(_pack_command(args))
            except TypeError:
                self._packed.append(pack(args))
        else:
            self._packed.append(pack(args, self._arg_encoding, self._pool.params.encoding_errors))
        self._meta.append((args, callback))
        return self

    def set(self, name: KeyT, value: EncodableT, ex: ExpiryT | None = None,
            px: ExpiryT | None = None, nx: bool = False, xx: bool = False,
            keepttl: bool = False, get: bool = False, exat: int | None = None,
            pxat: int | None = None, ifeq: bytes | str | None = None,
            ifne: bytes | str | None = None, ifdeq: bytes | str | None = None,
            ifdne: bytes | str | None = None) -> Self:
        """SET, queued (the client's ``set``: same arguments, same result in ``execute()``).

        The commonest pipelined command, so its plain form (no option; str or bytes name
        and value; UTF-8) is packed here by one bytes format, ``_pack.pack_set``'s code
        inline: ~130 ns against hiredis.pack_command's ~250, and no call into the command
        mixin (a pipeline of 100 SETs spent a quarter of its client time packing, and a
        sixth in calls). Everything else is the mixin's ``set``. A test holds this
        signature to the mixin's."""
        if (ex is None and px is None and not (nx or xx or keepttl or get or exat or pxat)
                and ifeq is None and ifne is None and ifdeq is None and ifdne is None
                and self._arg_encoding is None and (not self._watching or self._explicit_multi)):
            name_cls = name.__class__
            value_cls = value.__class__
            if (name_cls is str or name_cls is bytes) and (value_cls is bytes or value_cls is str):
                try:
                    key: bytes = name if name_cls is bytes else name.encode()  # type: ignore[assignment,union-attr]
                    data: bytes = value if value_cls is bytes else value.encode()  # type: ignore[assignment,union-attr]
                except UnicodeError:  # (a lone surrogate: pack's rules and error)
                    pass
                else:
                    self._packed.append(_SET % (len(key), key, len(data), data))
                    self._meta.append((("SET", name, value), ok_or_none))
                    return self
        return cast("Self", _core_set(self, name, value, ex, px, nx, xx, keepttl, get, exat, pxat,
                                      ifeq, ifne, ifdeq, ifdne))

    def _reply_protocol(self) -> int:
        return self._client._reply_protocol()

    def _execute_blocking(self, args: _Args, callback: _Callback = None) -> Any:
        if self._watching and not self._explicit_multi:
            return self._immediate(args, callback)
        if not self.transaction:
            self._blocking = True  # it may block: run this batch on a connection of its own
        return self._execute(args, callback)

    def _local_reply(self, args: _Args, value: Any) -> Any:
        # a command redis-py answers without the server (``mget([])`` -> []): nothing is
        # sent (the server would refuse an MGET without keys and fail a whole transaction);
        # ``value`` takes its place among the replies (between WATCH and MULTI the
        # command runs at once, as any other)
        if self._watching and not self._explicit_multi:
            return self._immediate(args, None)
        self._local[len(self._meta)] = value
        self._meta.append((args, None))
        return self

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Queue any command (run at once between WATCH and MULTI); a callback set with
        the client's ``set_response_callback`` applies to its reply."""
        if options and options.get("target_nodes") is not None:
            return self._execute_targeted(args, None, options["target_nodes"])  # refuses
        user_callback = getattr(self._client, "_user_callback", None)
        cb = None if user_callback is None or not args else user_callback(args[0], options)
        return self._execute(args, cb)

    @property
    def watching(self) -> bool:
        """True between ``watch()`` and the end of the transaction (redis-py's attribute)."""
        return self._watching

    def __len__(self) -> int:
        return len(self._meta)

    def __bool__(self) -> bool:
        return True

    def __await__(self) -> Generator[Any, None, Self]:
        # aredis: `pipe = await r.pipeline()` and `await pipe.set(...)` return the pipeline
        if False:  # pragma: no cover
            yield
        return self

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.reset()

    async def aclose(self) -> None:
        """Same as :meth:`reset`: forget queued commands, end any WATCH, give back the
        connection (the standard name for cleanup)."""
        await self.reset()

    async def discard(self) -> None:
        """DISCARD: drop every queued command and the MULTI, and end any WATCH (the
        pipeline can be used again). Nothing was sent for queued commands, so nothing is
        sent now either."""
        await self.reset()

    # ------------------------------------------------------------------ WATCH / MULTI
    async def watch(self, *names: Any) -> bool:
        if self._explicit_multi:
            raise RedisError("Cannot issue a WATCH after a MULTI")
        conn = await self._exclusive()
        self._watching = True
        await conn.execute(("WATCH", *names))
        return True

    async def unwatch(self) -> bool:
        if self._conn is not None and self._watching:
            await self._conn.execute(("UNWATCH",))
        self._watching = False
        return True

    def multi(self) -> None:
        """Start buffering the transaction's commands (after ``watch``)."""
        if self._explicit_multi:
            raise RedisError("Cannot issue nested calls to MULTI")
        if self._meta:
            raise RedisError("Commands without an initial WATCH have already been issued")
        self._explicit_multi = True

    async def _exclusive(self) -> Connection:
        if self._conn is None:
            self._conn = await self._pool.acquire()
        return self._conn

    async def _immediate(self, args: _Args, callback: _Callback) -> Any:
        conn = await self._exclusive()
        try:
            reply = await conn.execute(args)
        except asyncio.CancelledError:
            self._drop_connection()
            raise
        return reply if callback is None else callback(reply)

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        self._watching = False
        if conn is not None:
            conn.abort("closed: a watched transaction was cancelled")
            self._pool.release(conn, reusable=False)

    async def reset(self) -> None:
        """Forget queued commands, UNWATCH and give back the exclusive connection.
        Never leaves a watched connection in the pool; survives cancellation."""
        self._reset()

    def _reset(self) -> None:
        # (nothing here awaits: execute() calls it without a coroutine of its own)
        self._packed = []
        self._meta = []
        self._local = {}
        self.scripts = set()
        self._explicit_multi = False
        self._blocking = False
        conn, self._conn = self._conn, None
        watching, self._watching = self._watching, False
        if conn is None:
            return
        if watching:
            # abandoned WATCH (no EXEC): the pool must never hand out a connection with a
            # WATCH still active, and waiting for UNWATCH here would not survive cancellation
            self._pool.release(conn, reusable=False)
            return
        self._pool.release(conn)

    # ------------------------------------------------------------------ execute
    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        """Send the queued commands in one write; their replies, in order. A server error
        is raised (the first one, naming its command) or, with ``raise_on_error=False``,
        left in its place. A transaction whose watched keys changed raises WatchError,
        also when nothing was queued after WATCH (the EXEC still runs, as in redis-py)."""
        meta = self._meta
        transaction = self.transaction or self._explicit_multi
        if not meta and not (self._watching and transaction):
            if self._conn is not None:
                await self.reset()
            return []
        packed = self._packed
        try:
            if transaction:
                run = self._run_transaction(packed, meta, raise_on_error)
            else:
                run = self._run_pipeline(packed, meta, raise_on_error)
            if _observe.hook is not None:  # fastredis.telemetry: one span for the batch
                replies: list[Any] = await _observe.hook.batch(self._pool.counters, transaction, meta, run)
                return replies
            return await run
        finally:
            cache = self._client.cache
            if cache is not None and (self._conn is not None or self._pool.params.resp != 3):
                # not on the cache's tracked connection (WATCH, blocking) or RESP2: the
                # invalidations of what this batch wrote trail its replies (cache.forget)
                for args, _cb in meta:
                    cache.forget(args)
            self._reset()

    def _script_loads(self) -> list[bytes]:
        """SCRIPT LOAD of every script used in this batch, written just before it: the
        EVALSHAs then find them (a fresh server, SCRIPT FLUSH, a failover) without a
        round trip of their own; a NOSCRIPT inside MULTI/EXEC could not be retried."""
        if not self.scripts:
            return []
        return [pack(("SCRIPT", "LOAD", s.script)) for s in self.scripts]

    async def _connection(self) -> tuple[Connection, bool]:
        """(connection, exclusive?)"""
        if self._conn is not None:
            return self._conn, True
        if self._blocking:
            self._conn = await self._pool.acquire()
            return self._conn, True
        pool = self._pool
        conn = pool.current
        if conn is None or conn.closed or conn._loop is not _get_running_loop():
            conn = await pool.get_shared()
        return conn, False

    async def _send(self, conn: Connection, data: bytes, count: int, exclusive: bool) -> list[Any]:
        """Write the batch; await the list of its raw replies (one FIFO entry for all)."""
        fut = conn.send_batch(data, count)
        timeout = self._client._timeout if not self._blocking else None
        if timeout is None:
            handle = None
        else:
            from .connection import expire

            handle = conn._loop.call_later(timeout, expire, fut, timeout)
        try:
            replies: list[Any] = await fut
            return replies
        except asyncio.CancelledError:
            if exclusive:
                self._drop_connection()
            raise
        finally:
            if handle is not None:
                handle.cancel()

    async def _run_pipeline(self, packed: list[bytes], meta: list[_Meta], raise_on_error: bool) -> list[Any]:
        loads: list[bytes] = self._script_loads() if self.scripts else []
        n = len(packed) + len(loads)
        if not n:  # only commands answered locally
            return _results([], meta, raise_on_error, self._local)
        data = b"".join((*loads, *packed)) if loads else b"".join(packed)
        conn = self._pool.current
        if (self._conn is None and not self._blocking and self._client._timeout is None
                and conn is not None and not conn.closed and conn._loop is _get_running_loop()):
            # the common case (the shared connection, no socket_timeout) without the two
            # coroutine frames of _connection() and _send(): a pipeline's fixed cost counts
            replies: list[Any] = await conn.send_batch(data, n)
        else:
            conn, exclusive = await self._connection()
            replies = await self._send(conn, data, n, exclusive)
        if loads:
            _check_loads(replies[:len(loads)])
            replies = replies[len(loads):]
        return _results(replies, meta, raise_on_error, self._local)

    async def _run_transaction(self, packed: list[bytes], meta: list[_Meta], raise_on_error: bool) -> list[Any]:
        conn, exclusive = await self._connection()
        loads: list[bytes] = self._script_loads()
        k = len(loads)
        n = len(packed)
        replies = await self._send(
            conn, b"".join((*loads, _MULTI, *packed, _EXEC)), k + n + 2, exclusive
        )
        self._watching = False  # EXEC (or its failure) ended any WATCH
        _check_loads(replies[:k])
        head, queued, exec_reply = replies[k], replies[k + 1:-1], replies[-1]
        if head.__class__ is _ReplyError:
            raise error_from_reply(head.args[0])
        if exec_reply.__class__ is _ReplyError:
            exc = error_from_reply(exec_reply.args[0])
            if isinstance(exc, ExecAbortError):
                # a command was refused while queueing: report that one
                positions = _sent_positions(len(meta), self._local)
                for i, q in enumerate(queued):
                    if q.__class__ is _ReplyError:
                        pos = positions[i]
                        raise _annotate(error_from_reply(q.args[0]), pos, meta[pos][0]) from exc
            raise exc
        if exec_reply is None:
            raise WatchError("Watched variable changed.")
        if len(exec_reply) != n:
            raise ResponseError("Wrong number of replies in the transaction's EXEC")
        return _results(exec_reply, meta, raise_on_error, self._local)

    def __repr__(self) -> str:
        return f"<fastredis.Pipeline transaction={self.transaction} queued={len(self._meta)}>"


def _sent_positions(count: int, local: dict[int, Any]) -> list[int]:
    """Queue positions of the commands that were sent (those not answered locally)."""
    return [i for i in range(count) if i not in local]


def _check_loads(replies: list[Any]) -> None:
    for reply in replies:
        if reply.__class__ is _ReplyError:
            raise error_from_reply(f"{reply.args[0]} (SCRIPT LOAD of a script used in the pipeline)")


def _results(
    replies: list[Any], meta: list[_Meta], raise_on_error: bool, local: dict[int, Any] | None = None
) -> list[Any]:
    """Apply each command's callback; server errors become exceptions in place (or the
    first one is raised with ``raise_on_error``)."""
    if local:
        # put the locally answered commands (mget([]) -> []) back in their places
        it = iter(replies)
        replies = [local[i] if i in local else next(it) for i in range(len(meta))]
        meta = [(m[0], None) if i in local else m for i, m in enumerate(meta)]
    results: list[Any] = []
    append = results.append
    first_error = None
    for (args, cb), reply in zip(meta, replies):
        if cb is ok_or_none:  # SET's, first: a pipeline of SETs spends most here
            if reply == b"OK" or reply == "OK":
                append(True)
                continue
            if reply is None:
                append(None)
                continue
        if reply.__class__ is _ReplyError:
            err = _annotate(error_from_reply(reply.args[0]), len(results), args)
            if first_error is None:
                first_error = err
            append(err)
        elif cb is None:
            append(reply)
        elif cb is ok_or_none:
            append(False)  # (neither OK nor nil nor an error: what ok_or_none makes of it)
        else:
            append(cb(reply))
    if first_error is not None and raise_on_error:
        raise first_error
    return results
