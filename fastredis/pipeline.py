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
from typing import Any, AnyStr, Callable

import hiredis

from ._pack import pack
from ._protocol import Connection
from .commands import CoreCommands
from .exceptions import (
    ExecAbortError,
    RedisError,
    ResponseError,
    WatchError,
    error_from_reply,
)

__all__ = ["Pipeline"]

_ReplyError = hiredis.ReplyError
_pack_command = hiredis.pack_command
_MULTI = _pack_command(("MULTI",))
_EXEC = _pack_command(("EXEC",))


def _annotate(exc: BaseException, index: int, args: tuple) -> BaseException:
    name = " ".join(str(a) for a in args[:1])
    msg = f"Command # {index + 1} ({name}) of pipeline caused error: {exc}"
    new = type(exc)(msg) if isinstance(exc, RedisError) else exc
    if new is not exc:
        new.__cause__ = exc.__cause__
    return new


class Pipeline(CoreCommands[AnyStr]):
    """``r.pipeline(transaction=True)``; commands chain (``p.set(..).get(..)``) and also
    accept aredis' ``await p.set(..)``; ``await p.execute()`` returns the replies."""

    def __init__(self, client: Any, transaction: bool = True) -> None:
        self._client = client
        self._pool = client.connection_pool
        self.transaction = transaction
        self._packed: list[bytes] = []
        self._meta: list[tuple[tuple, Callable | None]] = []
        self._conn: Connection | None = None  # exclusive, while watching
        self._watching = False
        self._explicit_multi = False
        self._blocking = False
        params = self._pool.params
        utf8 = params.encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        self._arg_encoding = None if utf8 and params.encoding_errors == "strict" else params.encoding

    # ------------------------------------------------------------------ queueing
    def _queue(self, args: tuple, callback: Callable | None) -> Pipeline:
        if self._arg_encoding is None:
            try:
                data = _pack_command(args)
            except TypeError:
                data = pack(args)
        else:
            data = pack(args, self._arg_encoding, self._pool.params.encoding_errors)
        self._packed.append(data)
        self._meta.append((args, callback))
        return self

    def _execute(self, args: tuple, callback: Callable | None = None) -> Any:
        if self._watching and not self._explicit_multi:
            return self._immediate(args, callback)
        return self._queue(args, callback)

    def _execute_blocking(self, args: tuple, callback: Callable | None = None) -> Any:
        if self._watching and not self._explicit_multi:
            return self._immediate(args, callback)
        if not self.transaction:
            self._blocking = True  # it may block: run this batch on a connection of its own
        return self._queue(args, callback)

    def execute_command(self, *args: Any, **options: Any) -> Any:
        return self._execute(args)

    def __len__(self) -> int:
        return len(self._meta)

    def __bool__(self) -> bool:
        return True

    def __await__(self) -> Any:
        # aredis: `pipe = await r.pipeline()` and `await pipe.set(...)` return the pipeline
        if False:  # pragma: no cover
            yield
        return self

    async def __aenter__(self) -> Pipeline:
        return self

    async def __aexit__(self, *exc: Any) -> None:
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

    async def _immediate(self, args: tuple, callback: Callable | None) -> Any:
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
        self._packed = []
        self._meta = []
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
    async def execute(self, raise_on_error: bool = True) -> list:
        meta = self._meta
        if not meta:
            if self._conn is not None:
                await self.reset()
            return []
        packed = self._packed
        transaction = self.transaction or self._explicit_multi
        try:
            if transaction:
                return await self._run_transaction(packed, meta, raise_on_error)
            return await self._run_pipeline(packed, meta, raise_on_error)
        finally:
            await self.reset()

    async def _connection(self) -> tuple[Connection, bool]:
        """(connection, exclusive?)"""
        if self._conn is not None:
            return self._conn, True
        if self._blocking:
            self._conn = await self._pool.acquire()
            return self._conn, True
        pool = self._pool
        conn = pool.current
        if conn is None or conn.closed or conn._loop is not asyncio.get_running_loop():
            conn = await pool.get_shared()
        return conn, False

    async def _send(self, conn: Connection, data: bytes, count: int, exclusive: bool) -> list:
        """Write the batch; await the list of its raw replies (one FIFO entry for all)."""
        fut = conn.send_batch(data, count)
        timeout = self._client._timeout if not self._blocking else None
        if timeout is None:
            handle = None
        else:
            from .connection import expire

            handle = conn._loop.call_later(timeout, expire, fut, timeout)
        try:
            return await fut
        except asyncio.CancelledError:
            if exclusive:
                self._drop_connection()
            raise
        finally:
            if handle is not None:
                handle.cancel()

    async def _run_pipeline(self, packed: list[bytes], meta: list, raise_on_error: bool) -> list:
        conn, exclusive = await self._connection()
        replies = await self._send(conn, b"".join(packed), len(packed), exclusive)
        return _results(replies, meta, raise_on_error)

    async def _run_transaction(self, packed: list[bytes], meta: list, raise_on_error: bool) -> list:
        conn, exclusive = await self._connection()
        n = len(packed)
        replies = await self._send(conn, b"".join((_MULTI, *packed, _EXEC)), n + 2, exclusive)
        self._watching = False  # EXEC (or its failure) ended any WATCH
        head, queued, exec_reply = replies[0], replies[1:-1], replies[-1]
        if head.__class__ is _ReplyError:
            raise error_from_reply(head.args[0])
        if exec_reply.__class__ is _ReplyError:
            exc = error_from_reply(exec_reply.args[0])
            if isinstance(exc, ExecAbortError):
                # a command was refused while queueing: report that one
                for i, q in enumerate(queued):
                    if q.__class__ is _ReplyError:
                        raise _annotate(error_from_reply(q.args[0]), i, meta[i][0]) from exc
            raise exc
        if exec_reply is None:
            raise WatchError("Watched variable changed.")
        if len(exec_reply) != n:
            raise ResponseError("Wrong number of replies in the transaction's EXEC")
        return _results(exec_reply, meta, raise_on_error)

    def __repr__(self) -> str:
        return f"<fastredis.Pipeline transaction={self.transaction} queued={len(self._meta)}>"


def _results(replies: list, meta: list, raise_on_error: bool) -> list:
    """Apply each command's callback; server errors become exceptions in place (or the
    first one is raised with ``raise_on_error``)."""
    results: list = []
    append = results.append
    first_error = None
    for i, reply in enumerate(replies):
        if reply.__class__ is _ReplyError:
            err = _annotate(error_from_reply(reply.args[0]), i, meta[i][0])
            if first_error is None:
                first_error = err
            append(err)
            continue
        cb = meta[i][1]
        append(reply if cb is None else cb(reply))
    if first_error is not None and raise_on_error:
        raise first_error
    return results
