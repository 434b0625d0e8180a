"""Set commands (SADD, SMEMBERS, SSCAN ...).

SDIFFCARD / SUNIONCARD and the member expiry commands (SADDEX, SEXPIRE ..., STTL, SPERSIST)
are newer than Redis 8.2: written after redis-py 8.2 and compared with its bytes in the
tests, not against a server. Per-member replies are lists of ints, as the server sends
them (redis-py's shape): for SEXPIRE -2 no such member, 0 condition not met, 1 set,
2 deleted (time in the past); for STTL -2 no such member, -1 no expiry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr, AsyncIterator, overload

from ._base import CommandsBase, list_or_args
from .hash_expiry import (
    expire_condition,
    expiry_flags,
    int_or_datetime,
    int_or_delta,
    persist_option,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..typing import AbsExpiryT, EncodableT, ExpiryT, FieldT, KeyT, PatternT, Reply


def to_set(reply: Any) -> set[Any]:
    # RESP2 sends an array, RESP3 a set: both become a Python set
    return set(reply) if reply else set()


def _bools(reply: Any) -> list[bool]:
    return [bool(x) for x in reply]


def _sscan(reply: Any) -> tuple[int, Any]:
    return int(reply[0]), reply[1]


def _members(members: tuple[Any, ...]) -> tuple[Any, ...]:
    return ("MEMBERS", len(members), *members)


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

    def sdiffcard(self, numkeys: int, keys: list[KeyT], limit: int = 0) -> Reply[int]:
        """SDIFFCARD: the size of the first set minus the others, counting at most
        ``limit`` (0: no limit)."""
        return self._execute(("SDIFFCARD", numkeys, *list_or_args(keys, ()), "LIMIT", limit))

    def sunioncard(self, numkeys: int, keys: list[KeyT], limit: int = 0,
                   approx: bool = False) -> Reply[int]:
        """SUNIONCARD: the size of the union, at most ``limit`` (0: no limit); ``approx``
        has the server estimate it with a HyperLogLog."""
        return self._execute(("SUNIONCARD", numkeys, *list_or_args(keys, ()),
                              *(("APPROX",) if approx else ()), "LIMIT", limit))

    def saddex(self, name: KeyT, *members: FieldT, ex: ExpiryT | str | None = None,
               px: ExpiryT | str | None = None, exat: AbsExpiryT | None = None,
               pxat: AbsExpiryT | None = None, data_persist_option: Any = None,
               keepttl: bool = False) -> Reply[int]:
        """SADDEX: add members with an expiry (or ``keepttl``); ``data_persist_option`` MNX /
        MXX (redis-py's SetDataPersistOptions or the str) adds them only if none / all
        exist. 1 if a member was added, updated or deleted, else 0."""
        flags: tuple[Any, ...] = expiry_flags(ex, px, exat, pxat, (keepttl,), "keepttl")
        flags += persist_option(data_persist_option, ("MNX", "MXX"))
        if keepttl:
            flags += ("KEEPTTL",)
        return self._execute(("SADDEX", name, *flags, *_members(members)))

    def sexpire(self, name: KeyT, seconds: ExpiryT, *members: FieldT, nx: bool = False,
                xx: bool = False, gt: bool = False, lt: bool = False) -> Reply[list[int]]:
        """Set a time to live of ``seconds`` on set members; one int per member."""
        return self._execute(("SEXPIRE", name, int_or_delta(seconds, 1, "seconds"),
                              *expire_condition(nx, xx, gt, lt), *_members(members)))

    def spexpire(self, name: KeyT, milliseconds: ExpiryT, *members: FieldT, nx: bool = False,
                 xx: bool = False, gt: bool = False, lt: bool = False) -> Reply[list[int]]:
        """SEXPIRE in milliseconds; one int per member."""
        return self._execute(("SPEXPIRE", name, int_or_delta(milliseconds, 1000, "milliseconds"),
                              *expire_condition(nx, xx, gt, lt), *_members(members)))

    def sexpireat(self, name: KeyT, unix_time_seconds: AbsExpiryT, *members: FieldT,
                  nx: bool = False, xx: bool = False, gt: bool = False,
                  lt: bool = False) -> Reply[list[int]]:
        """Expire set members at a unix time (or datetime); one int per member."""
        when = int_or_datetime(unix_time_seconds, 1, "unix_time_seconds")
        return self._execute(("SEXPIREAT", name, when, *expire_condition(nx, xx, gt, lt),
                              *_members(members)))

    def spexpireat(self, name: KeyT, unix_time_milliseconds: AbsExpiryT, *members: FieldT,
                   nx: bool = False, xx: bool = False, gt: bool = False,
                   lt: bool = False) -> Reply[list[int]]:
        """Expire set members at a unix time in ms (or datetime); one int per member."""
        when = int_or_datetime(unix_time_milliseconds, 1000, "unix_time_milliseconds")
        return self._execute(("SPEXPIREAT", name, when, *expire_condition(nx, xx, gt, lt),
                              *_members(members)))

    def sexpiretime(self, name: KeyT, *members: FieldT) -> Reply[list[int]]:
        """Each member's expiry as a unix time in seconds (-1 none, -2 no such member)."""
        return self._execute(("SEXPIRETIME", name, *_members(members)))

    def spexpiretime(self, name: KeyT, *members: FieldT) -> Reply[list[int]]:
        """Each member's expiry as a unix time in ms (-1 none, -2 no such member)."""
        return self._execute(("SPEXPIRETIME", name, *_members(members)))

    def spersist(self, name: KeyT, *members: FieldT) -> Reply[list[int]]:
        """Remove the members' expiry; per member -2 no such member, -1 no expiry, 1 removed."""
        return self._execute(("SPERSIST", name, *_members(members)))

    def sttl(self, name: KeyT, *members: FieldT) -> Reply[list[int]]:
        """Each member's remaining time to live in seconds (-1 none, -2 no such member)."""
        return self._execute(("STTL", name, *_members(members)))

    def spttl(self, name: KeyT, *members: FieldT) -> Reply[list[int]]:
        """Each member's remaining time to live in ms (-1 none, -2 no such member)."""
        return self._execute(("SPTTL", name, *_members(members)))
