"""List commands (LPUSH, LRANGE, BLPOP ...).

The B* commands block server-side: they go through ``_execute_blocking``, which gives
them a connection of their own, so a BLPOP waiting for minutes never stalls the shared
connection's other commands, and cancelling one closes only its own connection (the
server would otherwise hand the popped value to a caller who left)."""

from __future__ import annotations

from typing import Any, AnyStr

from ..exceptions import DataError
from ._base import CommandsBase, block_timeout, list_or_args, ok


def _pop_pair(reply: Any) -> Any:
    # BLPOP/BRPOP: [key, value] or nil on timeout -> (key, value) | None (redis-py)
    return tuple(reply) if reply else None


def _direction(value: Any, what: str) -> Any:
    if not isinstance(value, (str, bytes)) or value.upper() not in ("LEFT", "RIGHT", b"LEFT", b"RIGHT"):
        raise DataError(f"{what} must be 'LEFT' or 'RIGHT'")
    return value


class ListCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def lpush(self, name: Any, *values: Any) -> Any:
        return self._execute(("LPUSH", name, *values))

    def rpush(self, name: Any, *values: Any) -> Any:
        return self._execute(("RPUSH", name, *values))

    def lpushx(self, name: Any, *values: Any) -> Any:
        return self._execute(("LPUSHX", name, *values))

    def rpushx(self, name: Any, *values: Any) -> Any:
        return self._execute(("RPUSHX", name, *values))

    def lpop(self, name: Any, count: Any = None) -> Any:
        """One value (or None); with ``count`` a list (or None when the key is missing)."""
        if count is None:
            return self._execute(("LPOP", name))
        return self._execute(("LPOP", name, count))

    def rpop(self, name: Any, count: Any = None) -> Any:
        if count is None:
            return self._execute(("RPOP", name))
        return self._execute(("RPOP", name, count))

    def llen(self, name: Any) -> Any:
        return self._execute(("LLEN", name))

    def lrange(self, name: Any, start: int, end: int) -> Any:
        return self._execute(("LRANGE", name, start, end))

    def lindex(self, name: Any, index: int) -> Any:
        return self._execute(("LINDEX", name, index))

    def lset(self, name: Any, index: int, value: Any) -> Any:
        return self._execute(("LSET", name, index, value), ok)

    def lrem(self, name: Any, count: int, value: Any) -> Any:
        return self._execute(("LREM", name, count, value))

    def ltrim(self, name: Any, start: int, end: int) -> Any:
        return self._execute(("LTRIM", name, start, end), ok)

    def linsert(self, name: Any, where: Any, refvalue: Any, value: Any) -> Any:
        """``where`` is 'BEFORE' or 'AFTER'; returns the new length, -1 if ``refvalue``
        is absent."""
        return self._execute(("LINSERT", name, where, refvalue, value))

    def lpos(self, name: Any, value: Any, rank: Any = None, count: Any = None,
             maxlen: Any = None) -> Any:
        args: tuple = ("LPOS", name, value)
        if rank is not None:
            args += ("RANK", rank)
        if count is not None:
            args += ("COUNT", count)
        if maxlen is not None:
            args += ("MAXLEN", maxlen)
        return self._execute(args)

    def lmove(self, first_list: Any, second_list: Any, src: Any = "LEFT", dest: Any = "RIGHT") -> Any:
        return self._execute(("LMOVE", first_list, second_list, _direction(src, "src"),
                              _direction(dest, "dest")))

    def rpoplpush(self, src: Any, dst: Any) -> Any:
        return self._execute(("RPOPLPUSH", src, dst))

    def lmpop(self, num_keys: int, *args: Any, direction: Any, count: Any = 1) -> Any:
        """-> [key, [values]] or None."""
        cmd: tuple = ("LMPOP", num_keys, *args, _direction(direction, "direction"))
        if count != 1:
            cmd += ("COUNT", count)
        return self._execute(cmd)

    # ------------------------------------------------------------------ blocking
    def blpop(self, keys: Any, timeout: Any = 0) -> Any:
        """-> (key, value), or None after ``timeout`` seconds (0 / None: wait forever)."""
        return self._execute_blocking(("BLPOP", *list_or_args(keys, ()), block_timeout(timeout)), _pop_pair)

    def brpop(self, keys: Any, timeout: Any = 0) -> Any:
        return self._execute_blocking(("BRPOP", *list_or_args(keys, ()), block_timeout(timeout)), _pop_pair)

    def brpoplpush(self, src: Any, dst: Any, timeout: Any = 0) -> Any:
        """-> the value moved, or None on timeout."""
        return self._execute_blocking(("BRPOPLPUSH", src, dst, block_timeout(timeout)))

    def blmove(self, first_list: Any, second_list: Any, timeout: Any, src: Any = "LEFT",
               dest: Any = "RIGHT") -> Any:
        return self._execute_blocking(("BLMOVE", first_list, second_list, _direction(src, "src"),
                                       _direction(dest, "dest"), block_timeout(timeout)))

    def blmpop(self, timeout: Any, numkeys: int, *args: Any, direction: Any, count: Any = 1) -> Any:
        """-> [key, [values]], or None on timeout."""
        cmd: tuple = ("BLMPOP", block_timeout(timeout), numkeys, *args, _direction(direction, "direction"))
        if count != 1:
            cmd += ("COUNT", count)
        return self._execute_blocking(cmd)
