"""Set commands (SADD, SMEMBERS, SSCAN ...)."""

from __future__ import annotations

from typing import Any, AnyStr, AsyncIterator

from ._base import CommandsBase, list_or_args


def to_set(reply: Any) -> set:
    # RESP2 sends an array, RESP3 a set: both become a Python set
    return set(reply) if reply else set()


def _bools(reply: Any) -> list:
    return [bool(x) for x in reply]


def _sscan(reply: Any) -> tuple:
    return int(reply[0]), reply[1]


class SetCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def sadd(self, name: Any, *values: Any) -> Any:
        return self._execute(("SADD", name, *values))

    def srem(self, name: Any, *values: Any) -> Any:
        return self._execute(("SREM", name, *values))

    def smembers(self, name: Any) -> Any:
        return self._execute(("SMEMBERS", name), to_set)

    def sismember(self, name: Any, value: Any) -> Any:
        return self._execute(("SISMEMBER", name, value), bool)

    def smismember(self, name: Any, values: Any, *args: Any) -> Any:
        """-> one bool per value, in order."""
        return self._execute(("SMISMEMBER", name, *list_or_args(values, args)), _bools)

    def scard(self, name: Any) -> Any:
        return self._execute(("SCARD", name))

    def spop(self, name: Any, count: Any = None) -> Any:
        """One member (or None); with ``count`` a list."""
        if count is None:
            return self._execute(("SPOP", name))
        return self._execute(("SPOP", name, count))

    def srandmember(self, name: Any, number: Any = None) -> Any:
        if number is None:
            return self._execute(("SRANDMEMBER", name))
        return self._execute(("SRANDMEMBER", name, number))

    def sinter(self, keys: Any, *args: Any) -> Any:
        return self._execute(("SINTER", *list_or_args(keys, args)), to_set)

    def sintercard(self, numkeys: int, keys: Any, limit: int = 0) -> Any:
        return self._execute(("SINTERCARD", numkeys, *list_or_args(keys, ()), "LIMIT", limit))

    def sinterstore(self, dest: Any, keys: Any, *args: Any) -> Any:
        return self._execute(("SINTERSTORE", dest, *list_or_args(keys, args)))

    def sunion(self, keys: Any, *args: Any) -> Any:
        return self._execute(("SUNION", *list_or_args(keys, args)), to_set)

    def sunionstore(self, dest: Any, keys: Any, *args: Any) -> Any:
        return self._execute(("SUNIONSTORE", dest, *list_or_args(keys, args)))

    def sdiff(self, keys: Any, *args: Any) -> Any:
        return self._execute(("SDIFF", *list_or_args(keys, args)), to_set)

    def sdiffstore(self, dest: Any, keys: Any, *args: Any) -> Any:
        return self._execute(("SDIFFSTORE", dest, *list_or_args(keys, args)))

    def smove(self, src: Any, dst: Any, value: Any) -> Any:
        return self._execute(("SMOVE", src, dst, value), bool)

    def sscan(self, name: Any, cursor: Any = 0, match: Any = None, count: Any = None) -> Any:
        """-> (next cursor as int, list of members of this batch)."""
        args: tuple = ("SSCAN", name, cursor)
        if match is not None:
            args += ("MATCH", match)
        if count is not None:
            args += ("COUNT", count)
        return self._execute(args, _sscan)

    async def sscan_iter(self, name: Any, match: Any = None, count: Any = None) -> AsyncIterator:
        cursor = None
        while cursor != 0:
            cursor, members = await self.sscan(name, cursor or 0, match, count)
            for m in members:
                yield m
