"""Set commands (SADD, SMEMBERS, SSCAN ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr, AsyncIterator, overload

from ._base import CommandsBase, list_or_args

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..typing import EncodableT, KeyT, PatternT, Reply


def to_set(reply: Any) -> set[Any]:
    # RESP2 sends an array, RESP3 a set: both become a Python set
    return set(reply) if reply else set()


def _bools(reply: Any) -> list[bool]:
    return [bool(x) for x in reply]


def _sscan(reply: Any) -> tuple[int, Any]:
    return int(reply[0]), reply[1]


class SetCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def sadd(self, name: KeyT, *values: EncodableT) -> Reply[int]:
        """SADD: add members; returns the number that were not already there."""
        return self._execute(("SADD", name, *values))

    def srem(self, name: KeyT, *values: EncodableT) -> Reply[int]:
        """SREM: remove members; returns the number removed."""
        return self._execute(("SREM", name, *values))

    def smembers(self, name: KeyT) -> Reply[set[AnyStr]]:
        """SMEMBERS: every member, as a Python set (empty when missing)."""
        return self._execute(("SMEMBERS", name), to_set)

    def sismember(self, name: KeyT, value: EncodableT) -> Reply[bool]:
        """SISMEMBER: True if ``value`` is a member."""
        return self._execute(("SISMEMBER", name, value), bool)

    def smismember(self, name: KeyT, values: EncodableT | Iterable[EncodableT],
                   *args: EncodableT) -> Reply[list[bool]]:
        """SMISMEMBER: one bool per value, in order."""
        return self._execute(("SMISMEMBER", name, *list_or_args(values, args)), _bools)

    def scard(self, name: KeyT) -> Reply[int]:
        """SCARD: the number of members (0 when missing)."""
        return self._execute(("SCARD", name))

    @overload
    def spop(self, name: KeyT, count: None = ...) -> Reply[AnyStr | None]: ...
    @overload
    def spop(self, name: KeyT, count: int) -> Reply[list[AnyStr]]: ...
    def spop(self, name: KeyT, count: int | None = None) -> Reply[Any]:
        """SPOP: remove and return one random member (or None); with ``count`` a list."""
        if count is None:
            return self._execute(("SPOP", name))
        return self._execute(("SPOP", name, count))

    @overload
    def srandmember(self, name: KeyT, number: None = ...) -> Reply[AnyStr | None]: ...
    @overload
    def srandmember(self, name: KeyT, number: int) -> Reply[list[AnyStr]]: ...
    def srandmember(self, name: KeyT, number: int | None = None) -> Reply[Any]:
        """SRANDMEMBER: one random member (or None); with ``number`` a list (negative:
        repeats allowed)."""
        if number is None:
            return self._execute(("SRANDMEMBER", name))
        return self._execute(("SRANDMEMBER", name, number))

    def sinter(self, keys: KeyT | Iterable[KeyT], *args: KeyT) -> Reply[set[AnyStr]]:
        """SINTER: the intersection of the sets, as a Python set."""
        return self._execute(("SINTER", *list_or_args(keys, args)), to_set)

    def sintercard(self, numkeys: int, keys: KeyT | Iterable[KeyT],
                   limit: int = 0) -> Reply[int]:
        """SINTERCARD: the size of the intersection, counting at most ``limit`` (0: no
        limit; Redis 7)."""
        return self._execute(("SINTERCARD", numkeys, *list_or_args(keys, ()), "LIMIT", limit))

    def sinterstore(self, dest: KeyT, keys: KeyT | Iterable[KeyT], *args: KeyT) -> Reply[int]:
        """SINTERSTORE: store the intersection in ``dest``; returns its size."""
        return self._execute(("SINTERSTORE", dest, *list_or_args(keys, args)))

    def sunion(self, keys: KeyT | Iterable[KeyT], *args: KeyT) -> Reply[set[AnyStr]]:
        """SUNION: the union of the sets, as a Python set."""
        return self._execute(("SUNION", *list_or_args(keys, args)), to_set)

    def sunionstore(self, dest: KeyT, keys: KeyT | Iterable[KeyT], *args: KeyT) -> Reply[int]:
        """SUNIONSTORE: store the union in ``dest``; returns its size."""
        return self._execute(("SUNIONSTORE", dest, *list_or_args(keys, args)))

    def sdiff(self, keys: KeyT | Iterable[KeyT], *args: KeyT) -> Reply[set[AnyStr]]:
        """SDIFF: the members of the first set not in the others, as a Python set."""
        return self._execute(("SDIFF", *list_or_args(keys, args)), to_set)

    def sdiffstore(self, dest: KeyT, keys: KeyT | Iterable[KeyT], *args: KeyT) -> Reply[int]:
        """SDIFFSTORE: store the difference in ``dest``; returns its size."""
        return self._execute(("SDIFFSTORE", dest, *list_or_args(keys, args)))

    def smove(self, src: KeyT, dst: KeyT, value: EncodableT) -> Reply[bool]:
        """SMOVE: move a member from ``src`` to ``dst``; True if it was moved."""
        return self._execute(("SMOVE", src, dst, value), bool)

    def sscan(self, name: KeyT, cursor: int = 0, match: PatternT | None = None,
              count: int | None = None) -> Reply[tuple[int, list[AnyStr]]]:
        """SSCAN: (next cursor as int, list of members of this batch); 0 ends the scan."""
        args: tuple[Any, ...] = ("SSCAN", name, cursor)
        if match is not None:
            args += ("MATCH", match)
        if count is not None:
            args += ("COUNT", count)
        return self._execute(args, _sscan)

    async def sscan_iter(self, name: KeyT, match: PatternT | None = None,
                         count: int | None = None) -> AsyncIterator[AnyStr]:
        """SSCAN to the end: ``async for member in r.sscan_iter(name)``."""
        cursor = None
        while cursor != 0:
            cursor, members = await self.sscan(name, cursor or 0, match, count)
            for m in members:
                yield m
