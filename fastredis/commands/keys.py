"""Generic key commands (DEL, EXPIRE, SCAN, SORT ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr, AsyncIterator, Literal, overload

from ..exceptions import DataError
from ._base import STRING_TYPES, CommandsBase, ReplyCallback, ok, to_int

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ..typing import AbsExpiryT, EncodableT, ExpiryT, KeyT, PatternT, Reply, TargetNodesT


# datetime is imported only when a non-number is passed: ``import fastredis`` stays light
def _seconds(value: Any) -> Any:
    if value.__class__ is int:
        return value
    import datetime

    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds())
    return value


def _ms(value: Any) -> Any:
    if value.__class__ is int:
        return value
    import datetime

    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds() * 1000)
    return value


def _unix_seconds(when: Any) -> Any:
    if when.__class__ is int:
        return when
    import datetime

    if isinstance(when, datetime.datetime):
        return int(when.timestamp())
    return when


def _unix_ms(when: Any) -> Any:
    if when.__class__ is int:
        return when
    import datetime

    if isinstance(when, datetime.datetime):
        return int(when.timestamp() * 1000)
    return when


def _expire_flags(nx: bool, xx: bool, gt: bool, lt: bool) -> tuple[str, ...]:
    # Redis 7.0 EXPIRE options; the server rejects impossible combinations itself
    # (e.g. NX with GT), with a clearer message than we could give.
    flags: tuple[str, ...] = ()
    if nx:
        flags += ("NX",)
    if xx:
        flags += ("XX",)
    if gt:
        flags += ("GT",)
    if lt:
        flags += ("LT",)
    return flags


def _scan(reply: Any) -> tuple[int, Any]:
    return int(reply[0]), reply[1]


def _sort_groups(n: int) -> ReplyCallback:
    def cb(reply: Any) -> Any:
        if not reply or not isinstance(reply, list):
            return reply
        return list(zip(*[reply[i::n] for i in range(n)], strict=False))

    return cb


class KeyCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def delete(self, *names: KeyT) -> Reply[int]:
        """DEL: the number of keys removed."""
        return self._execute(("DEL", *names))

    # aredis / redis-py both spell it ``delete``; ``del_`` for callers mapping names 1:1
    del_ = delete

    def unlink(self, *names: KeyT) -> Reply[int]:
        """UNLINK: delete keys, reclaiming their memory in the background; returns the count."""
        return self._execute(("UNLINK", *names))

    def exists(self, *names: KeyT) -> Reply[int]:
        """EXISTS: the number of the given keys that exist (a key named twice counts twice)."""
        return self._execute(("EXISTS", *names))

    def expire(self, name: KeyT, time: ExpiryT, nx: bool = False, xx: bool = False,
               gt: bool = False, lt: bool = False) -> Reply[bool]:
        """EXPIRE: set a timeout in seconds (or a timedelta); True if it was set
        (``nx``/``xx``/``gt``/``lt``: Redis 7 conditions)."""
        return self._execute(("EXPIRE", name, _seconds(time), *_expire_flags(nx, xx, gt, lt)), bool)

    def pexpire(self, name: KeyT, time: ExpiryT, nx: bool = False, xx: bool = False,
                gt: bool = False, lt: bool = False) -> Reply[bool]:
        """PEXPIRE: set a timeout in milliseconds (or a timedelta); True if it was set."""
        return self._execute(("PEXPIRE", name, _ms(time), *_expire_flags(nx, xx, gt, lt)), bool)

    def expireat(self, name: KeyT, when: AbsExpiryT, nx: bool = False, xx: bool = False,
                 gt: bool = False, lt: bool = False) -> Reply[bool]:
        """EXPIREAT: expire at a unix time in seconds (or a datetime); True if it was set."""
        return self._execute(("EXPIREAT", name, _unix_seconds(when), *_expire_flags(nx, xx, gt, lt)), bool)

    def pexpireat(self, name: KeyT, when: AbsExpiryT, nx: bool = False, xx: bool = False,
                  gt: bool = False, lt: bool = False) -> Reply[bool]:
        """PEXPIREAT: expire at a unix time in milliseconds (or a datetime); True if set."""
        return self._execute(("PEXPIREAT", name, _unix_ms(when), *_expire_flags(nx, xx, gt, lt)), bool)

    def expiretime(self, key: KeyT) -> Reply[int]:
        """EXPIRETIME: the absolute expiry as a unix time in seconds; -1 without one,
        -2 when the key is missing (Redis 7)."""
        return self._execute(("EXPIRETIME", key))

    def pexpiretime(self, key: KeyT) -> Reply[int]:
        """PEXPIRETIME: the absolute expiry in unix milliseconds; -1 / -2 as EXPIRETIME."""
        return self._execute(("PEXPIRETIME", key))

    def ttl(self, name: KeyT) -> Reply[int]:
        """TTL: seconds left to live; -1 without an expiry, -2 when the key is missing."""
        return self._execute(("TTL", name))

    def pttl(self, name: KeyT) -> Reply[int]:
        """PTTL: milliseconds left to live; -1 / -2 as TTL."""
        return self._execute(("PTTL", name))

    def persist(self, name: KeyT) -> Reply[bool]:
        """PERSIST: remove the expiry; True if there was one."""
        return self._execute(("PERSIST", name), bool)

    def type(self, name: KeyT) -> Reply[AnyStr]:
        """TYPE: the type as the server names it: b'string', b'list', ... b'none'."""
        return self._execute(("TYPE", name))

    def rename(self, src: KeyT, dst: KeyT) -> Reply[bool]:
        """RENAME: rename ``src`` to ``dst`` (overwriting it); returns True."""
        return self._execute(("RENAME", src, dst), ok)

    def renamenx(self, src: KeyT, dst: KeyT) -> Reply[bool]:
        """RENAMENX: rename only if ``dst`` does not exist; True if renamed."""
        return self._execute(("RENAMENX", src, dst), bool)

    def keys(self, pattern: PatternT = "*",
             *, target_nodes: TargetNodesT | None = None) -> Reply[list[AnyStr]]:
        """KEYS: every key matching ``pattern`` (blocks the server: prefer scan_iter)."""
        return self._execute_on(target_nodes, ("KEYS", pattern))

    def randomkey(self, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr | None]:
        """RANDOMKEY: a random key, or None when the database is empty."""
        return self._execute_on(target_nodes, ("RANDOMKEY",))

    def dump(self, name: KeyT) -> Reply[bytes | None]:
        """DUMP: the serialized value (bytes), None when the key is missing. A binary
        payload: on a client with
        ``decode_responses=True`` it cannot be decoded and raises DataError."""
        return self._execute(("DUMP", name))

    def restore(self, name: KeyT, ttl: ExpiryT, value: EncodableT, replace: bool = False,
                absttl: bool = False, idletime: int | None = None,
                frequency: int | None = None) -> Reply[bool]:
        """RESTORE: create ``name`` from a DUMP payload, with ``ttl`` ms (0: none); True."""
        args: tuple[Any, ...] = ("RESTORE", name, _ms(ttl), value)
        if replace:
            args += ("REPLACE",)
        if absttl:
            args += ("ABSTTL",)
        if idletime is not None:
            args += ("IDLETIME", idletime)
        if frequency is not None:
            args += ("FREQ", frequency)
        for what, v in (("idletime", idletime), ("frequency", frequency)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                raise DataError(f"RESTORE {what} must be an integer")
        return self._execute(args, ok)

    def touch(self, *names: KeyT) -> Reply[int]:
        """TOUCH: update the last access time; returns the number of keys that exist."""
        return self._execute(("TOUCH", *names))

    def object(self, infotype: str, key: KeyT) -> Reply[Any]:
        """OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key (the raw reply)."""
        return self._execute(("OBJECT", infotype, key))

    def object_encoding(self, key: KeyT) -> Reply[AnyStr | None]:
        """OBJECT ENCODING: the internal encoding ('listpack', 'hashtable', ...) or None."""
        return self._execute(("OBJECT", "ENCODING", key))

    def object_idletime(self, key: KeyT) -> Reply[int | None]:
        """OBJECT IDLETIME: seconds since the key was last accessed, or None."""
        return self._execute(("OBJECT", "IDLETIME", key))

    def object_refcount(self, key: KeyT) -> Reply[int | None]:
        """OBJECT REFCOUNT: the reference count of the value, or None."""
        return self._execute(("OBJECT", "REFCOUNT", key))

    def copy(self, source: KeyT, destination: KeyT, destination_db: int | None = None,
             replace: bool = False) -> Reply[bool]:
        """COPY: copy ``source`` to ``destination`` (in ``destination_db``); True if copied."""
        args: tuple[Any, ...] = ("COPY", source, destination)
        if destination_db is not None:
            args += ("DB", destination_db)
        if replace:
            args += ("REPLACE",)
        return self._execute(args, bool)

    def move(self, name: KeyT, db: int) -> Reply[bool]:
        """MOVE: move the key to database ``db``; True if moved."""
        return self._execute(("MOVE", name, db), bool)

    def scan(self, cursor: int = 0, match: PatternT | None = None, count: int | None = None,
             _type: str | None = None,
             *, target_nodes: TargetNodesT | None = None) -> Reply[tuple[int, list[AnyStr]]]:
        """SCAN: (next cursor as int, list of keys); the scan is over when the cursor is 0."""
        args: tuple[Any, ...] = ("SCAN", cursor)
        if match is not None:
            args += ("MATCH", match)
        if count is not None:
            args += ("COUNT", count)
        if _type is not None:
            args += ("TYPE", _type)
        return self._execute_on(target_nodes, args, _scan)

    async def scan_iter(self, match: PatternT | None = None, count: int | None = None,
                        _type: str | None = None,
                        *, target_nodes: TargetNodesT | None = None) -> AsyncIterator[AnyStr]:
        """SCAN to the end: ``async for key in r.scan_iter(...)``; keys may repeat
        (SCAN's guarantee)."""
        cursor = None
        while cursor != 0:
            cursor, keys = await self.scan(cursor or 0, match, count, _type,
                                           target_nodes=target_nodes)
            for key in keys:
                yield key

    @overload
    def sort(self, name: KeyT, start: int | None = ..., num: int | None = ...,
             by: PatternT | None = ..., get: PatternT | Iterable[PatternT] | None = ...,
             desc: bool = ..., alpha: bool = ..., store: None = ...,
             groups: bool = ...) -> Reply[list[Any]]: ...
    @overload
    def sort(self, name: KeyT, start: int | None = ..., num: int | None = ...,
             by: PatternT | None = ..., get: PatternT | Iterable[PatternT] | None = ...,
             desc: bool = ..., alpha: bool = ..., *, store: KeyT,
             groups: Literal[False] = ...) -> Reply[int]: ...
    @overload
    def sort(self, name: KeyT, start: int | None = ..., num: int | None = ...,
             by: PatternT | None = ..., get: PatternT | Iterable[PatternT] | None = ...,
             desc: bool = ..., alpha: bool = ..., store: KeyT | None = ...,
             groups: bool = ...) -> Reply[list[Any] | int]: ...
    def sort(self, name: KeyT, start: int | None = None, num: int | None = None,
             by: PatternT | None = None, get: PatternT | Iterable[PatternT] | None = None,
             desc: bool = False, alpha: bool = False, store: KeyT | None = None,
             groups: bool = False) -> Reply[Any]:
        """SORT -> list (or, with ``store``, the stored length). ``groups=True`` with
        two or more ``get`` patterns returns tuples, as redis-py does."""
        if (start is None) != (num is None):
            raise DataError("start and num must both be specified")
        args: tuple[Any, ...] = ("SORT", name)
        if by is not None:
            args += ("BY", by)
        if start is not None:
            args += ("LIMIT", start, num)
        gets: list[Any] = []
        if get is not None:
            gets = [get] if isinstance(get, STRING_TYPES) else list(get)
            for g in gets:
                args += ("GET", g)
        if desc:
            args += ("DESC",)
        if alpha:
            args += ("ALPHA",)
        if store is not None:
            args += ("STORE", store)
        if groups:
            if len(gets) < 2 or isinstance(get, STRING_TYPES):
                raise DataError('"groups" needs "get" with at least two patterns')
            return self._execute(args, _sort_groups(len(gets)))
        return self._execute(args, to_int if store is not None else None)

    def sort_ro(self, key: KeyT, start: int | None = None, num: int | None = None,
                by: KeyT | None = None, get: KeyT | Sequence[KeyT] | None = None,
                desc: bool = False, alpha: bool = False) -> Reply[list[Any]]:
        """SORT without STORE, as the read-only SORT_RO (Redis >= 7.0), so it may run on a
        replica: the sorted elements (or the ``get`` patterns' values)."""
        if (start is None) != (num is None):
            raise DataError("start and num must both be specified")
        args: tuple[Any, ...] = ("SORT_RO", key)
        if by is not None:
            args += ("BY", by)
        if start is not None:
            args += ("LIMIT", start, num)
        for g in [get] if isinstance(get, STRING_TYPES) else list(get or ()):
            args += ("GET", g)
        if desc:
            args += ("DESC",)
        if alpha:
            args += ("ALPHA",)
        return self._execute(args)

    # --- BLESS (newer than Redis 8.2): compared with redis-py 8.2's bytes, not a server ---

    def bless_set(self, name: KeyT, flag: Literal["NO-EVICT"]) -> Reply[int]:
        """BLESS SET: set ``flag`` on the key; 1 if set, 0 if it was already (an error
        when the key does not exist)."""
        return self._execute(("BLESS", "SET", name, flag))

    def bless_get(self, name: KeyT) -> Reply[list[AnyStr]]:
        """BLESS GET: the flags set on the key (an error when it does not exist)."""
        return self._execute(("BLESS", "GET", name))

    def bless_clear(self, name: KeyT, flag: Literal["NO-EVICT"]) -> Reply[int]:
        """BLESS CLEAR: clear ``flag`` from the key; 1 if cleared, 0 if it was not set."""
        return self._execute(("BLESS", "CLEAR", name, flag))

    def bless_scan(self, cursor: int, flag: Literal["NO-EVICT"], count: int | None = None,
                   *, target_nodes: TargetNodesT | None = None) -> Reply[tuple[int, list[AnyStr]]]:
        """BLESS SCAN: (next cursor as int, keys carrying ``flag``); 0 ends the scan."""
        args: tuple[Any, ...] = ("BLESS", "SCAN", cursor, flag)
        if count is not None:
            args += (b"COUNT", count)
        return self._execute_on(target_nodes, args, _scan)

    async def bless_scan_iter(self, flag: Literal["NO-EVICT"], count: int | None = None,
                              *, target_nodes: TargetNodesT | None = None) -> AsyncIterator[AnyStr]:
        """BLESS SCAN to the end: ``async for key in r.bless_scan_iter("NO-EVICT")``."""
        cursor = None
        while cursor != 0:
            cursor, keys = await self.bless_scan(cursor or 0, flag, count,
                                                 target_nodes=target_nodes)
            for key in keys:
                yield key
