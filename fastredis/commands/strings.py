"""String commands (GET, SET, INCR ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr, Callable, Literal, overload

from ..exceptions import DataError
from ._base import (
    CommandsBase,
    client_params,
    flat_map,
    flatten_mapping,
    list_or_args,
    ok,
    ok_or_none,
    to_float,
)

#: digest_local's hash, chosen at its first call (``import fastredis`` does not import xxhash)
_xxh3_hexdigest: Callable[[bytes], str] | None = None


def _xxh3_hex(data: bytes) -> str:
    global _xxh3_hexdigest
    if _xxh3_hexdigest is None:
        try:  # the C implementation when installed; the same digests either way
            from xxhash import xxh3_64_hexdigest
        except ImportError:
            from .._xxh3 import xxh3_64_hexdigest  # type: ignore[assignment]
        _xxh3_hexdigest = xxh3_64_hexdigest
    return _xxh3_hexdigest(data)


if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ..typing import AbsExpiryT, AnyKeyT, EncodableT, ExpiryT, KeyT, Reply


def _set_reply(reply: Any) -> Any:
    return ok_or_none(reply)


def _timedelta_seconds(value: Any) -> Any:
    import datetime

    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds())
    return value


def _timedelta_ms(value: Any) -> Any:
    import datetime

    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds() * 1000)
    return value


class StringCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def get(self, name: KeyT) -> Reply[AnyStr | None]:
        """GET: the value of ``name``, or None when the key does not exist."""
        return self._execute(("GET", name))

    @overload
    def set(self, name: KeyT, value: EncodableT, ex: ExpiryT | None = ...,
            px: ExpiryT | None = ..., nx: bool = ..., xx: bool = ..., keepttl: bool = ...,
            get: Literal[False] = ..., exat: int | None = ..., pxat: int | None = ...,
            ifeq: bytes | str | None = ..., ifne: bytes | str | None = ...,
            ifdeq: bytes | str | None = ..., ifdne: bytes | str | None = ...) -> Reply[bool | None]: ...
    @overload
    def set(self, name: KeyT, value: EncodableT, ex: ExpiryT | None = ...,
            px: ExpiryT | None = ..., nx: bool = ..., xx: bool = ..., keepttl: bool = ...,
            *, get: Literal[True], exat: int | None = ..., pxat: int | None = ...,
            ifeq: bytes | str | None = ..., ifne: bytes | str | None = ...,
            ifdeq: bytes | str | None = ..., ifdne: bytes | str | None = ...) -> Reply[AnyStr | None]: ...
    @overload
    def set(self, name: KeyT, value: EncodableT, ex: ExpiryT | None = ...,
            px: ExpiryT | None = ..., nx: bool = ..., xx: bool = ..., keepttl: bool = ...,
            get: bool = ..., exat: int | None = ..., pxat: int | None = ...,
            ifeq: bytes | str | None = ..., ifne: bytes | str | None = ...,
            ifdeq: bytes | str | None = ..., ifdne: bytes | str | None = ...) -> Reply[AnyStr | bool | None]: ...
    def set(self, name: KeyT, value: EncodableT, ex: ExpiryT | None = None,
            px: ExpiryT | None = None, nx: bool = False, xx: bool = False,
            keepttl: bool = False, get: bool = False, exat: int | None = None,
            pxat: int | None = None, ifeq: bytes | str | None = None,
            ifne: bytes | str | None = None, ifdeq: bytes | str | None = None,
            ifdne: bytes | str | None = None) -> Reply[Any]:
        """SET: True when the value was set, None when a condition prevented it; with
        ``get`` the old value (or None). ``ex``/``px`` accept a timedelta; ``exat``/``pxat``
        are unix times. At most one condition: ``nx``, ``xx``, or (Redis 8.4) ``ifeq`` /
        ``ifne`` (the current value equals / differs from this) or ``ifdeq`` / ``ifdne``
        (its hex digest, see DIGEST)."""
        if ex is None and px is None and not (nx or xx or keepttl or get or exat or pxat) and (
                ifeq is None and ifne is None and ifdeq is None and ifdne is None):
            if self._packs_set:  # a pipeline: packed by hand
                return self._execute_set(name, value)
            return self._execute(("SET", name, value), ok_or_none)
        _one_expiry(ex, px, exat, pxat, keepttl, "keepttl")
        if (bool(nx) + bool(xx) + (ifeq is not None) + (ifne is not None)
                + (ifdeq is not None) + (ifdne is not None)) > 1:
            raise DataError("``nx``, ``xx``, ``ifeq``, ``ifne``, ``ifdeq``, ``ifdne`` are "
                            "mutually exclusive.")
        # redis-py's order: the condition, GET, the expiry, KEEPTTL
        args: tuple[Any, ...] = ("SET", name, value)
        if nx:
            args += ("NX",)
        elif xx:
            args += ("XX",)
        elif ifeq is not None:
            args += ("IFEQ", ifeq)
        elif ifne is not None:
            args += ("IFNE", ifne)
        elif ifdeq is not None:
            args += ("IFDEQ", ifdeq)
        elif ifdne is not None:
            args += ("IFDNE", ifdne)
        if get:
            args += ("GET",)
        if ex is not None:
            args += ("EX", _timedelta_seconds(ex))
        if px is not None:
            args += ("PX", _timedelta_ms(px))
        if exat is not None:
            args += ("EXAT", exat)
        if pxat is not None:
            args += ("PXAT", pxat)
        if keepttl:
            args += ("KEEPTTL",)
        if get:
            return self._execute(args)
        return self._execute(args, _set_reply)

    def setnx(self, name: KeyT, value: EncodableT) -> Reply[bool]:
        """SETNX: set only if ``name`` does not exist; True if it was set."""
        return self._execute(("SETNX", name, value), bool)

    def setex(self, name: KeyT, time: ExpiryT, value: EncodableT) -> Reply[bool]:
        """SETEX: set with an expiry in seconds (or a timedelta); returns True."""
        return self._execute(("SETEX", name, _timedelta_seconds(time), value), ok)

    def psetex(self, name: KeyT, time_ms: ExpiryT, value: EncodableT) -> Reply[bool]:
        """PSETEX: set with an expiry in milliseconds (or a timedelta); returns True."""
        return self._execute(("PSETEX", name, _timedelta_ms(time_ms), value), ok)

    def getset(self, name: KeyT, value: EncodableT) -> Reply[AnyStr | None]:
        """GETSET: set a new value; returns the old one (None if there was none)."""
        return self._execute(("GETSET", name, value))

    def getdel(self, name: KeyT) -> Reply[AnyStr | None]:
        """GETDEL: the value, deleting the key; None when it did not exist."""
        return self._execute(("GETDEL", name))

    def getex(self, name: KeyT, ex: ExpiryT | None = None, px: ExpiryT | None = None,
              exat: int | None = None, pxat: int | None = None,
              persist: bool = False) -> Reply[AnyStr | None]:
        """GETEX: the value (or None), setting or removing (``persist``) its expiry."""
        args: tuple[Any, ...] = ("GETEX", name)
        if ex is not None:
            args += ("EX", _timedelta_seconds(ex))
        if px is not None:
            args += ("PX", _timedelta_ms(px))
        if exat is not None:
            args += ("EXAT", exat)
        if pxat is not None:
            args += ("PXAT", pxat)
        if persist:
            args += ("PERSIST",)
        _one_expiry(ex, px, exat, pxat, persist, "persist")
        return self._execute(args)

    def mget(self, keys: KeyT | Iterable[KeyT], *args: KeyT) -> Reply[list[AnyStr | None]]:
        """MGET: one value per key, None for a missing key; ``keys`` is a key or a list."""
        keys = list_or_args(keys, args)
        return self._execute(("MGET", *keys)) if keys else self._local_reply(("MGET",), [])

    def mset(self, mapping: Mapping[AnyKeyT, EncodableT]) -> Reply[bool]:
        """MSET: set every key of ``mapping`` (a dict) to its value; returns True."""
        if not isinstance(mapping, dict):
            raise DataError("MSET takes a dict of key -> value")
        items: list[Any] = []
        for kv in mapping.items():
            items.extend(kv)
        return self._execute(("MSET", *items), ok)

    def msetnx(self, mapping: Mapping[AnyKeyT, EncodableT]) -> Reply[bool]:
        """MSETNX: set every key of ``mapping`` only if none exists; True if they were set."""
        if not isinstance(mapping, dict):
            raise DataError("MSETNX takes a dict of key -> value")
        items: list[Any] = []
        for kv in mapping.items():
            items.extend(kv)
        return self._execute(("MSETNX", *items), bool)

    def incr(self, name: KeyT, amount: int = 1) -> Reply[int]:
        """INCR / INCRBY: add ``amount`` to the integer at ``name``; returns the new value."""
        if amount.__class__ is int and amount == 1:  # True == 1 must not pass as 1
            return self._execute(("INCR", name))
        return self._execute(("INCRBY", name, amount))

    incrby = incr

    def decr(self, name: KeyT, amount: int = 1) -> Reply[int]:
        """DECR / DECRBY: subtract ``amount``; returns the new value."""
        if amount.__class__ is int and amount == 1:  # True == 1 must not pass as 1
            return self._execute(("DECR", name))
        return self._execute(("DECRBY", name, amount))

    decrby = decr

    def incrbyfloat(self, name: KeyT, amount: float = 1.0) -> Reply[float]:
        """INCRBYFLOAT: add a float to the value at ``name``; returns the new value."""
        return self._execute(("INCRBYFLOAT", name, amount), to_float)

    def append(self, key: KeyT, value: EncodableT) -> Reply[int]:
        """APPEND: append to the string at ``key``; returns its new length."""
        return self._execute(("APPEND", key, value))

    def strlen(self, name: KeyT) -> Reply[int]:
        """STRLEN: the length of the string at ``name`` (0 when missing)."""
        return self._execute(("STRLEN", name))

    def getrange(self, key: KeyT, start: int, end: int) -> Reply[AnyStr]:
        """GETRANGE: the substring from ``start`` to ``end`` (inclusive, negative from the end)."""
        return self._execute(("GETRANGE", key, start, end))

    def substr(self, name: KeyT, start: int, end: int = -1) -> Reply[AnyStr]:
        """The substring of ``name``'s value from ``start`` to ``end`` (inclusive; default:
        to the end), as redis-py's ``substr`` (SUBSTR is GETRANGE's old name)."""
        return self._execute(("GETRANGE", name, start, end))

    def setrange(self, name: KeyT, offset: int, value: EncodableT) -> Reply[int]:
        """SETRANGE: overwrite from ``offset``; returns the new length of the string."""
        return self._execute(("SETRANGE", name, offset, value))

    def setbit(self, name: KeyT, offset: int, value: int) -> Reply[int]:
        """SETBIT: set the bit at ``offset`` to ``value`` (truthy: 1); returns the old bit."""
        return self._execute(("SETBIT", name, offset, 1 if value else 0))

    def getbit(self, name: KeyT, offset: int) -> Reply[int]:
        """GETBIT: the bit at ``offset`` (0 or 1)."""
        return self._execute(("GETBIT", name, offset))

    def bitcount(self, key: KeyT, start: int | None = None, end: int | None = None,
                 mode: str | None = None) -> Reply[int]:
        """BITCOUNT: the number of set bits, optionally in ``start``..``end`` (``mode``
        'BYTE' or 'BIT', Redis 7)."""
        args: tuple[Any, ...] = ("BITCOUNT", key)
        if start is not None and end is not None:
            args += (start, end)
            if mode is not None:
                args += (mode,)
        elif (start is None) != (end is None):
            raise DataError("Both start and end must be specified")
        return self._execute(args)

    def bitop(self, operation: str, dest: KeyT, *keys: KeyT) -> Reply[int]:
        """BITOP: AND/OR/XOR/NOT of ``keys`` into ``dest`` (Redis 8.2: also DIFF, DIFF1, ANDOR,
        ONE); returns the length stored."""
        return self._execute(("BITOP", operation, dest, *keys))

    def bitpos(self, key: KeyT, bit: int, start: int | None = None,
               end: int | None = None, mode: str | None = None) -> Reply[int]:
        """BITPOS: the position of the first ``bit`` (0 or 1), -1 if there is none;
        ``mode`` BYTE or BIT (Redis 7) says what ``start``/``end`` count."""
        args: tuple[Any, ...] = ("BITPOS", key, bit)
        if start is not None:
            args += (start,)
            if end is not None:
                args += (end,)
        elif end is not None:
            raise DataError("start must be given with end")
        if bit not in (0, 1):  # redis-py refuses it before sending; so do we
            raise DataError("bit must be 0 or 1")
        if mode is not None:  # BYTE or BIT (Redis >= 7.0): the unit of start and end
            if start is None or end is None:
                raise DataError("BITPOS mode needs start and end")
            return self._execute((*args, mode))
        return self._execute(args)

    def lcs(self, key1: KeyT, key2: KeyT, len: bool | None = False, idx: bool | None = False,
            minmatchlen: int | None = 0, withmatchlen: bool | None = False) -> Reply[Any]:
        """LCS: the longest common subsequence of the two strings (Redis 7); its length
        with ``len``; with ``idx`` the matches (``[b'matches', [...], b'len', n]``)."""
        args: tuple[Any, ...] = ("LCS", key1, key2)
        if len:
            args += ("LEN",)
        if idx:
            args += ("IDX",)
        if minmatchlen:
            args += ("MINMATCHLEN", minmatchlen)
        if withmatchlen:
            args += ("WITHMATCHLEN",)
        if idx and self._reply_protocol() == 2:
            return self._execute(args, flat_map)  # (RESP3 wire: the map laid out flat)
        return self._execute(args)

    def msetex(self, mapping: Mapping[KeyT, EncodableT], data_persist_option: Any = None,
               ex: ExpiryT | None = None, px: ExpiryT | None = None,
               exat: AbsExpiryT | None = None, pxat: AbsExpiryT | None = None,
               keepttl: bool = False) -> Reply[int]:
        """Set several keys atomically with one expiry (Valkey >= 9.0, Redis >= 8.4);
        ``data_persist_option`` NX / XX (redis-py's DataPersistOptions or the str) sets them
        only if none / all exist. Returns 1 if the keys were set, 0 if not."""
        from .hash_expiry import expiry_flags, persist_option

        pieces: list[Any] = flatten_mapping(mapping, "msetex mapping")
        flags: tuple[Any, ...] = persist_option(data_persist_option, ("NX", "XX"))
        flags += expiry_flags(ex, px, exat, pxat, (keepttl,), "keepttl")
        return self._execute(("MSETEX", len(pieces) // 2, *pieces, *flags, *(("KEEPTTL",) if keepttl else ())))

    # --- newer than Redis 8.2 (8.4+): compared with redis-py 8.2's bytes, not a server ---

    def delex(self, name: KeyT, ifeq: bytes | str | None = None, ifne: bytes | str | None = None,
              ifdeq: bytes | str | None = None,
              ifdne: bytes | str | None = None) -> Reply[int]:
        """DELEX: delete ``name`` if its value equals (``ifeq``) / differs from (``ifne``)
        this, or its hex digest (see DIGEST) does (``ifdeq`` / ``ifdne``); at most one
        condition. 1 if deleted, else 0."""
        conds = [("IFEQ", ifeq), ("IFNE", ifne), ("IFDEQ", ifdeq), ("IFDNE", ifdne)]
        given: list[tuple[str, Any]] = [(flag, value) for flag, value in conds if value is not None]
        if len(given) > 1:
            # redis-py raises ValueError; DataError is our "refused before sending" error
            raise DataError("Only one of IFEQ/IFNE/IFDEQ/IFDNE may be specified")
        return self._execute(("DELEX", name, *(given[0] if given else ())))

    def digest(self, name: KeyT) -> Reply[AnyStr | None]:
        """DIGEST: the XXH3 digest of the string at ``name`` as 16 hex digits, None when the
        key does not exist."""
        return self._execute(("DIGEST", name))

    def digest_local(self, value: bytes | str) -> AnyStr:
        """What DIGEST would answer for a string holding ``value``, computed here without
        the server (for ``set(..., ifdeq=)`` / ``delex(..., ifdeq=)``): the XXH3-64 hash of
        the value, encoded as the client encodes arguments, in 16 lower-case hex digits;
        bytes, or str with ``decode_responses=True``. Not a coroutine, on pipelines too.

        It uses the ``xxhash`` package when it is installed (redis-py requires it), and
        otherwise fastredis's pure-Python XXH3-64, which gives the same digest."""
        params = client_params(self)
        if isinstance(value, str):
            data = value.encode(params.encoding, params.encoding_errors)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            data = repr(value).encode()  # as redis-py's Encoder (and SET) send a number
        else:
            raise DataError(f"Invalid input of type: {type(value).__name__!r}. Convert to a "
                            "bytes, string, int or float first.")
        digest = _xxh3_hex(data)
        return digest if params.decode_responses else digest.encode("ascii")  # type: ignore[return-value]

    def increx(self, name: KeyT, *, byfloat: EncodableT | None = None,
               byint: EncodableT | None = None, lbound: EncodableT | None = None,
               ubound: EncodableT | None = None, saturate: bool = False,
               ex: ExpiryT | str | None = None, px: ExpiryT | str | None = None,
               exat: AbsExpiryT | None = None, pxat: AbsExpiryT | None = None,
               persist: bool = False, enx: bool = False) -> Reply[list[Any]]:
        """INCREX: increment by one, ``byint`` or ``byfloat``, within ``lbound`` / ``ubound``
        (``saturate``: clamp to them instead of refusing), optionally setting the expiry
        (``enx``: only if it has none) or removing it (``persist``). [new value, actual
        increment], as the server sends them."""
        from .hash_expiry import expiry_flags

        if byfloat is not None and byint is not None:
            raise DataError("``byfloat`` and ``byint`` are mutually exclusive.")
        flags: tuple[Any, ...] = expiry_flags(ex, px, exat, pxat, (persist,), "persist")
        if enx and not flags:
            raise DataError("``enx`` requires one of ``ex``, ``px``, ``exat``, or ``pxat``.")
        args: tuple[Any, ...] = ("INCREX", name)
        if byfloat is not None:
            args += ("BYFLOAT", byfloat)
        elif byint is not None:
            args += ("BYINT", byint)
        if lbound is not None:
            args += ("LBOUND", lbound)
        if ubound is not None:
            args += ("UBOUND", ubound)
        if saturate:
            args += ("SATURATE",)
        args += flags
        if persist:
            args += ("PERSIST",)
        if enx:
            args += ("ENX",)
        return self._execute(args)

    def bitrangeintarray(self, key: KeyT, start: int, end: int, mode: str | None = None,
                         limit: int | None = None, zeros: bool = False) -> Reply[list[int]]:
        """BITRANGEINTARRAY: the offsets of the set bits (``zeros``: of the clear bits) in
        ``start``..``end`` (``mode`` BYTE, the default, or BIT), the lowest ``limit``."""
        args: tuple[Any, ...] = ("BITRANGEINTARRAY", key, start, end)
        if mode is not None:
            args += (mode,)
        if limit is not None:
            args += ("LIMIT", limit)
        if zeros:
            args += ("ZEROS",)
        return self._execute(args)


def _one_expiry(ex: Any, px: Any, exat: Any, pxat: Any, flag: Any, what: str) -> None:
    # redis-py refuses these combinations before sending (SET, GETEX); the server would
    # answer "syntax error", which names neither the command nor the arguments
    if sum(x is not None for x in (ex, px, exat, pxat)) + bool(flag) > 1:
        raise DataError(f"``ex``, ``px``, ``exat``, ``pxat``, and ``{what}`` are mutually exclusive.")
