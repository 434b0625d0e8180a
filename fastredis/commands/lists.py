"""List commands (LPUSH, LRANGE, BLPOP ...).

The B* commands block server-side: they go through ``_execute_blocking``, which gives
them a connection of their own, so a BLPOP waiting for minutes never stalls the shared
connection's other commands, and cancelling one closes only its own connection (the
server would otherwise hand the popped value to a caller who left)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr, Literal, overload

from ..exceptions import DataError
from ._base import CommandsBase, block_timeout, list_or_args, ok

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..typing import EncodableT, KeyT, Reply, TimeoutSecT


def _pop_pair(reply: Any) -> Any:
    # BLPOP/BRPOP: [key, value] or nil on timeout -> (key, value) | None (redis-py)
    return tuple(reply) if reply else None


def _direction(value: Any, what: str) -> Any:
    if not isinstance(value, (str, bytes)) or value.upper() not in ("LEFT", "RIGHT", b"LEFT", b"RIGHT"):
        raise DataError(f"{what} must be 'LEFT' or 'RIGHT'")
    return value


def _movem(pieces: tuple[Any, ...], count: int | None, mode: str | None,
           ordering: str | None) -> tuple[Any, ...]:
    # LMOVEM / BLMOVEM (newer than Redis 8.2): [COUNT | EXACTLY count ordering], the
    # ordering (OBO or BULK) required with a count, as redis-py 8.2 checks it
    if count is None:
        if mode is not None or ordering is not None:
            raise DataError("``count`` is required when ``mode`` or ``ordering`` is set")
        return pieces
    if ordering is None:
        raise DataError("``ordering`` (OBO or BULK) is required when ``count`` is set")
    return (*pieces, mode or "COUNT", count, ordering)


class ListCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def lpush(self, name: KeyT, *values: EncodableT) -> Reply[int]:
        """LPUSH: prepend values (the last one ends up first); returns the new length."""
        return self._execute(("LPUSH", name, *values))

    def rpush(self, name: KeyT, *values: EncodableT) -> Reply[int]:
        """RPUSH: append values; returns the new length."""
        return self._execute(("RPUSH", name, *values))

    def lpushx(self, name: KeyT, *values: EncodableT) -> Reply[int]:
        """LPUSHX: prepend only if the list exists; returns its length (0 if missing)."""
        return self._execute(("LPUSHX", name, *values))

    def rpushx(self, name: KeyT, *values: EncodableT) -> Reply[int]:
        """RPUSHX: append only if the list exists; returns its length (0 if missing)."""
        return self._execute(("RPUSHX", name, *values))

    @overload
    def lpop(self, name: KeyT, count: None = ...) -> Reply[AnyStr | None]: ...
    @overload
    def lpop(self, name: KeyT, count: int) -> Reply[list[AnyStr] | None]: ...
    def lpop(self, name: KeyT, count: int | None = None) -> Reply[Any]:
        """LPOP: one value (or None); with ``count`` a list (or None when the key is missing)."""
        if count is None:
            return self._execute(("LPOP", name))
        return self._execute(("LPOP", name, count))

    @overload
    def rpop(self, name: KeyT, count: None = ...) -> Reply[AnyStr | None]: ...
    @overload
    def rpop(self, name: KeyT, count: int) -> Reply[list[AnyStr] | None]: ...
    def rpop(self, name: KeyT, count: int | None = None) -> Reply[Any]:
        """RPOP: one value from the tail (or None); with ``count`` a list (or None)."""
        if count is None:
            return self._execute(("RPOP", name))
        return self._execute(("RPOP", name, count))

    def llen(self, name: KeyT) -> Reply[int]:
        """LLEN: the length of the list (0 when missing)."""
        return self._execute(("LLEN", name))

    def lrange(self, name: KeyT, start: int, end: int) -> Reply[list[AnyStr]]:
        """LRANGE: the elements from ``start`` to ``end`` inclusive (negative from the end)."""
        return self._execute(("LRANGE", name, start, end))

    def lindex(self, name: KeyT, index: int) -> Reply[AnyStr | None]:
        """LINDEX: the element at ``index``, or None when out of range."""
        return self._execute(("LINDEX", name, index))

    def lset(self, name: KeyT, index: int, value: EncodableT) -> Reply[bool]:
        """LSET: set the element at ``index``; returns True."""
        return self._execute(("LSET", name, index, value), ok)

    def lrem(self, name: KeyT, count: int, value: EncodableT) -> Reply[int]:
        """LREM: remove up to ``count`` occurrences of ``value`` (0: all, negative: from
        the tail); returns the number removed."""
        return self._execute(("LREM", name, count, value))

    def ltrim(self, name: KeyT, start: int, end: int) -> Reply[bool]:
        """LTRIM: keep only the elements from ``start`` to ``end``; returns True."""
        return self._execute(("LTRIM", name, start, end), ok)

    def linsert(self, name: KeyT, where: str, refvalue: EncodableT,
                value: EncodableT) -> Reply[int]:
        """LINSERT: ``where`` is 'BEFORE' or 'AFTER'; returns the new length, -1 if ``refvalue``
        is absent."""
        return self._execute(("LINSERT", name, where, refvalue, value))

    @overload
    def lpos(self, name: KeyT, value: EncodableT, rank: int | None = ..., count: None = ...,
             maxlen: int | None = ...) -> Reply[int | None]: ...
    @overload
    def lpos(self, name: KeyT, value: EncodableT, rank: int | None = ..., *, count: int,
             maxlen: int | None = ...) -> Reply[list[int]]: ...
    @overload
    def lpos(self, name: KeyT, value: EncodableT, rank: int | None, count: int,
             maxlen: int | None = ...) -> Reply[list[int]]: ...
    def lpos(self, name: KeyT, value: EncodableT, rank: int | None = None,
             count: int | None = None, maxlen: int | None = None) -> Reply[Any]:
        """LPOS: the index of ``value`` (or None); with ``count`` a list of indexes."""
        args: tuple[Any, ...] = ("LPOS", name, value)
        if rank is not None:
            args += ("RANK", rank)
        if count is not None:
            args += ("COUNT", count)
        if maxlen is not None:
            args += ("MAXLEN", maxlen)
        return self._execute(args)

    def lmove(self, first_list: KeyT, second_list: KeyT, src: str = "LEFT",
              dest: str = "RIGHT") -> Reply[AnyStr | None]:
        """LMOVE: pop from ``src`` side of one list, push to ``dest`` side of the other;
        returns the element moved (None when the source is empty)."""
        return self._execute(("LMOVE", first_list, second_list, _direction(src, "src"),
                              _direction(dest, "dest")))

    def rpoplpush(self, src: KeyT, dst: KeyT) -> Reply[AnyStr | None]:
        """RPOPLPUSH: move the tail of ``src`` to the head of ``dst``; the element or None."""
        return self._execute(("RPOPLPUSH", src, dst))

    def lmpop(self, num_keys: int, *args: KeyT, direction: str,
              count: int = 1) -> Reply[list[Any] | None]:
        """LMPOP: pop from the first non-empty list: [key, [values]] or None (Redis 7)."""
        cmd: tuple[Any, ...] = ("LMPOP", num_keys, *args, _direction(direction, "direction"))
        if count != 1:
            cmd += ("COUNT", count)
        return self._execute(cmd)

    # ------------------------------------------------------------------ blocking
    def blpop(self, keys: KeyT | Iterable[KeyT],
              timeout: TimeoutSecT = 0) -> Reply[tuple[AnyStr, AnyStr] | None]:
        """BLPOP: (key, value), or None after ``timeout`` seconds (0 / None: wait forever)."""
        return self._execute_blocking(("BLPOP", *list_or_args(keys, ()), block_timeout(timeout)), _pop_pair)

    def brpop(self, keys: KeyT | Iterable[KeyT],
              timeout: TimeoutSecT = 0) -> Reply[tuple[AnyStr, AnyStr] | None]:
        """BRPOP: (key, value) from the tail, or None after ``timeout`` seconds."""
        return self._execute_blocking(("BRPOP", *list_or_args(keys, ()), block_timeout(timeout)), _pop_pair)

    def brpoplpush(self, src: KeyT, dst: KeyT,
                   timeout: TimeoutSecT = 0) -> Reply[AnyStr | None]:
        """BRPOPLPUSH: the value moved, or None on timeout."""
        return self._execute_blocking(("BRPOPLPUSH", src, dst, block_timeout(timeout)))

    def blmove(self, first_list: KeyT, second_list: KeyT, timeout: TimeoutSecT,
               src: str = "LEFT", dest: str = "RIGHT") -> Reply[AnyStr | None]:
        """BLMOVE: LMOVE that waits up to ``timeout`` seconds; the element or None."""
        return self._execute_blocking(("BLMOVE", first_list, second_list, _direction(src, "src"),
                                       _direction(dest, "dest"), block_timeout(timeout)))

    def lmovem(self, first_list: KeyT, second_list: KeyT, src: str = "LEFT",
               dest: str = "RIGHT", count: int | None = None,
               mode: Literal["COUNT", "EXACTLY"] | None = None,
               ordering: Literal["OBO", "BULK"] | None = None) -> Reply[list[AnyStr] | None]:
        """LMOVEM (newer than Redis 8.2): move one element, or with ``count`` up to
        ``count`` (``mode`` COUNT) or exactly ``count`` or none (EXACTLY), pushed one by one
        (``ordering`` OBO) or as a block (BULK); the moved elements, or None."""
        return self._execute(_movem(("LMOVEM", first_list, second_list, _direction(src, "src"),
                                     _direction(dest, "dest")), count, mode, ordering))

    def blmovem(self, first_list: KeyT, second_list: KeyT, timeout: TimeoutSecT,
                src: str = "LEFT", dest: str = "RIGHT", count: int | None = None,
                mode: Literal["COUNT", "EXACTLY"] | None = None,
                ordering: Literal["OBO", "BULK"] | None = None) -> Reply[list[AnyStr] | None]:
        """BLMOVEM: LMOVEM that waits up to ``timeout`` seconds (0: forever), on a connection
        of its own; None on timeout."""
        return self._execute_blocking(_movem(
            ("BLMOVEM", first_list, second_list, _direction(src, "src"), _direction(dest, "dest"),
             block_timeout(timeout)), count, mode, ordering))

    def blmpop(self, timeout: TimeoutSecT, numkeys: int, *args: KeyT, direction: str,
               count: int = 1) -> Reply[list[Any] | None]:
        """BLMPOP: LMPOP that waits up to ``timeout`` seconds: [key, [values]] or None."""
        cmd: tuple[Any, ...] = ("BLMPOP", block_timeout(timeout), numkeys, *args,
                                _direction(direction, "direction"))
        if count != 1:
            cmd += ("COUNT", count)
        return self._execute_blocking(cmd)
