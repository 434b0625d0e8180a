"""HIMPORT fieldsets (a Redis release after 8.2): the client-side registry and the write that
makes a fieldset present on the connection that carries an ``HIMPORT SET``.

A fieldset (``HIMPORT PREPARE name field ...``) is session state of one server connection;
``HIMPORT SET key name value ...`` then sends only the values. redis-py keeps a registry of
declared fieldsets on the pool and, per pooled connection, which of them it has prepared;
on first use of a fieldset on a connection it writes PREPARE and SET together. fastredis's
connections are shared by every task, so the same idea is made to hold without a checkout:

* The registry belongs to the connection pool (every client of one pool sees one set of
  fieldsets, as in redis-py), and it records, per live ``Connection`` object, the version
  of each fieldset written on it (``_Session``).
* ``compose`` runs in one synchronous step, on the connection the SET is written to: the
  DISCARDs of fieldsets removed from the registry since that connection last caught up,
  the PREPARE when the connection does not hold this version of the fieldset, then the
  SET, packed into one write. The session is updated as the bytes are queued: a command
  any other task writes after it on that connection is behind the PREPARE in the FIFO, so
  it may send the bare SET (its order on the wire is its order of execution).
* ``RedisCluster`` calls ``start_set`` where it writes any slot's command (after a MOVED
  or an ASK too): each node connection holds its own fieldsets; after an ASK, ASKING goes
  between the PREPARE and the SET, right before the one command it allows.
* A reconnect is a new ``Connection`` object, hence an empty session: the first SET on it
  prepares again. A closed connection's session is dropped when its socket is gone.
* A PREPARE the server refused is forgotten again, and its error (the cause) is raised;
  a SET answered ``no such fieldset`` while the connection was believed to hold it (the
  server lost it) is prepared and sent once more, as redis-py does.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from .exceptions import DataError, NoSuchFieldsetError
from .himport import HImportFieldset, HImportRegistry

if TYPE_CHECKING:
    import asyncio

    from ._protocol import Connection


#: pool -> its registry (a pool's clients share one, as redis-py keeps it on the pool)
_REGISTRIES: weakref.WeakKeyDictionary[Any, HImportRegistry] = weakref.WeakKeyDictionary()


def registry_for(pool: Any) -> HImportRegistry:
    registry = _REGISTRIES.get(pool)
    if registry is None:
        registry = _REGISTRIES[pool] = HImportRegistry()
    return registry


def set_command(key: Any, name: Any, values: Any) -> tuple[Any, ...]:
    """``HIMPORT SET key name value ...`` (redis-py's argument checks)."""
    if isinstance(values, (str, bytes, bytearray, memoryview)):
        raise DataError("HIMPORT values must be a collection of values, not a string")
    return ("HIMPORT", "SET", key, name, *values)


#: execute_command's cheap test of a name before ``as_set_command``: its first letter, then
#: its first word
FIRST = frozenset(("H", "h", b"H", b"h"))
HEAD = frozenset(("HIMPORT", b"HIMPORT"))


def as_set_command(args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """``args`` of ``execute_command`` as ``("HIMPORT", "SET", key, name, *values)`` when
    they are an HIMPORT SET (``"HIMPORT", "SET", ...`` or redis-py's ``"HIMPORT SET", ...``,
    any case, str or bytes) with its key and fieldset; else None (sent as it is)."""
    def word(x: Any) -> str:
        return (x.decode("latin-1") if isinstance(x, bytes) else x).upper() if isinstance(x, (str, bytes)) else ""

    head = word(args[0])
    if head == "HIMPORT SET" and len(args) >= 3:
        return ("HIMPORT", "SET", *args[1:])
    if head == "HIMPORT" and len(args) >= 4 and word(args[1]) == "SET":
        return ("HIMPORT", "SET", *args[2:])
    return None


class Write:
    """One ``compose``: the futures of the commands written before the SET and of the SET."""

    __slots__ = ("conn", "discards", "prepare", "fieldset", "set")

    def __init__(self, conn: Connection, discards: list[asyncio.Future[Any]],
                 prepare: asyncio.Future[Any] | None, fieldset: HImportFieldset | None,
                 set_fut: asyncio.Future[Any]) -> None:
        self.conn = conn
        self.discards = discards
        self.prepare = prepare
        self.fieldset = fieldset
        self.set = set_fut


def compose(registry: HImportRegistry, conn: Connection, set_args: tuple[Any, ...],
            asking: bool = False) -> Write:
    """Write, in one synchronous step on ``conn``: the pending DISCARDs, the PREPARE if
    ``conn`` does not hold this version of the fieldset, ASKING (a cluster's ASK
    redirection: right before the SET, the one command it allows), and the SET. Arguments
    are packed first: a bad one is a DataError with nothing written and nothing recorded."""
    name = set_args[3]
    session = registry._sessions.get(conn)
    prepared = session.prepared if session is not None else {}
    stale: list[str] = []
    if session is not None and session.reconciled != registry._revision:
        stale = [n for n in prepared if n not in registry._fieldsets]
    fieldset = registry._fieldsets.get(name)
    prepare = fieldset is not None and prepared.get(name) != fieldset.version
    commands: list[tuple[Any, ...]] = [("HIMPORT", "DISCARD", n) for n in stale]
    if prepare:
        assert fieldset is not None
        commands.append(("HIMPORT", "PREPARE", name, *fieldset.fields))
    if asking:
        commands.append(("ASKING",))
    commands.append(set_args)
    data = b"".join([conn.pack(c) for c in commands])
    futs = conn.send_packed(data, len(commands))  # raises before writing if conn is closed
    session = registry._session(conn)
    for n in stale:
        session.prepared.pop(n, None)
    session.reconciled = registry._revision
    if prepare:
        assert fieldset is not None
        session.prepared[name] = fieldset.version
    if asking:
        futs[-2].add_done_callback(_retrieve)  # its failure shows in the SET's (ASK / MOVED)
    return Write(conn, futs[:len(stale)], futs[len(stale)] if prepare else None,
                 fieldset if prepare else None, futs[-1])


def _retrieve(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


def settle(registry: HImportRegistry, write: Write, set_error: BaseException | None) -> None:
    """After the SET's future is done (or failed with ``set_error``): account for what was
    written before it. A refused PREPARE is forgotten and raised (the cause of the SET's
    failure); a refused DISCARD is raised after everything was read. Cancellation is
    re-raised as it is."""
    first: BaseException | None = None
    for fut in write.discards:
        if not fut.done():  # the SET failed first (a timeout): never leave it unretrieved
            fut.add_done_callback(_retrieve)
        elif not fut.cancelled() and fut.exception() is not None:
            first = first or fut.exception()
    prep = write.prepare
    if prep is not None:
        assert write.fieldset is not None
        if not prep.done():
            prep.add_done_callback(_retrieve)
        elif not prep.cancelled() and prep.exception() is not None:
            forget(registry, write.conn, write.fieldset.name, write.fieldset.version)
            first = prep.exception()  # the cause of the SET's failure
    if set_error is not None and (first is None or not isinstance(set_error, Exception)):
        raise set_error  # (a cancellation stays one)
    if first is not None:
        raise first


def forget(registry: HImportRegistry, conn: Connection, name: Any, version: int | None = None) -> None:
    """``conn`` does not hold fieldset ``name`` (of ``version``, if given) after all."""
    session = registry._sessions.get(conn)
    if session is not None and (version is None or session.prepared.get(name) == version):
        session.prepared.pop(name, None)


def start_set(registry: HImportRegistry, conn: Connection, set_args: tuple[Any, ...],
              asking: bool = False) -> asyncio.Future[Any]:
    """HIMPORT SET on ``conn``, composed with what that connection needs first (see
    ``compose``): the future of its reply, resolved once everything written before it was
    accounted for, after one more try (prepared again) when the server lost the fieldset.
    Synchronous up to the write, so a cluster writes it where it would write any command."""
    out: asyncio.Future[Any] = conn.closed_future.get_loop().create_future()
    _attempt(registry, conn, set_args, asking, out, True)
    return out


def _attempt(registry: HImportRegistry, conn: Connection, set_args: tuple[Any, ...],
             asking: bool, out: asyncio.Future[Any], first: bool) -> None:
    write = compose(registry, conn, set_args, asking)
    write.set.add_done_callback(lambda _f: _answered(registry, write, set_args, asking, out, first))


def _answered(registry: HImportRegistry, write: Write, set_args: tuple[Any, ...], asking: bool,
              out: asyncio.Future[Any], first: bool) -> None:
    fut = write.set
    if fut.cancelled():  # (its connection's doing): the caller's wait ends the same way
        for f in write.discards + ([write.prepare] if write.prepare is not None else []):
            f.add_done_callback(_retrieve)
        out.cancel()
        return
    exc = fut.exception()
    name = set_args[3]
    if (first and isinstance(exc, NoSuchFieldsetError) and write.prepare is None
            and name in registry._fieldsets and not out.done() and not write.conn.closed):
        # believed prepared, but the server lost it: prepare it again, once
        forget(registry, write.conn, name)
        try:
            settle(registry, write, None)
            _attempt(registry, write.conn, set_args, asking, out, False)
        except Exception as again:
            out.set_exception(again)
        return
    try:
        settle(registry, write, exc)
    except Exception as failed:
        if not out.done():
            out.set_exception(failed)
        return
    if not out.done():
        out.set_result(fut.result())


async def run_set(pool: Any, registry: HImportRegistry, set_args: tuple[Any, ...],
                  timeout: float | None) -> Any:
    """``HIMPORT SET`` on a shared connection of ``pool`` (the one the client's plain
    commands use); the raw reply."""
    from .connection import wait_reply
    from .exceptions import WrongLoop

    conn = pool.current
    if conn is None or conn.closed:
        conn = pool.pick() or await pool.get_shared()
    try:
        fut = start_set(registry, conn, set_args)
    except WrongLoop:  # raised before anything was written
        conn = await pool.get_shared()
        fut = start_set(registry, conn, set_args)
    return await wait_reply(conn, fut, timeout)
