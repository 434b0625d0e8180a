"""Hash commands (HSET, HGETALL, HSCAN ...)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, AnyStr, AsyncIterator, Literal, overload

from ..exceptions import DataError
from ._base import (
    STRING_TYPES,
    CommandsBase,
    check_name,
    flat_pairs,
    flatten_mapping,
    list_or_args,
    ok,
    pairs_to_dict,
    to_float,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from ..typing import AnyKeyT, EncodableT, FieldT, KeyT, PatternT, Reply


def _hscan(reply: Any) -> tuple[int, dict[Any, Any]]:
    return int(reply[0]), pairs_to_dict(reply[1])


def _hscan_fields(reply: Any) -> tuple[int, list[Any]]:
    return int(reply[0]), reply[1]


class HashCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    # a field needs its value; without a field, a mapping or items must be given
    @overload
    def hset(self, name: KeyT, key: FieldT, value: EncodableT,
             mapping: Mapping[AnyKeyT, EncodableT] | None = ...,
             items: Sequence[EncodableT] | None = ...) -> Reply[int]: ...
    @overload
    def hset(self, name: KeyT, key: None = ..., value: None = ..., *,
             mapping: Mapping[AnyKeyT, EncodableT],
             items: Sequence[EncodableT] | None = ...) -> Reply[int]: ...
    @overload
    def hset(self, name: KeyT, key: None = ..., value: None = ...,
             mapping: Mapping[AnyKeyT, EncodableT] | None = ..., *,
             items: Sequence[EncodableT]) -> Reply[int]: ...
    def hset(self, name: KeyT, key: FieldT | None = None, value: EncodableT | None = None,
             mapping: Mapping[AnyKeyT, EncodableT] | None = None,
             items: Sequence[EncodableT] | None = None) -> Reply[int]:
        """HSET: ``key``/``value``, and/or ``mapping`` (dict), and/or ``items`` (a flat
        list ``[f1, v1, f2, v2]``); returns the number of fields added."""
        if key is None and not mapping and not items:
            raise DataError("'hset' with no key value pairs")
        pieces: list[Any] = []
        if key is not None:
            # the explicit check: a None value would otherwise only fail in the packer,
            # with a message that does not name HSET
            check_name(value, "hset value")
            pieces += (key, value)
        if items:
            if isinstance(items, STRING_TYPES) or len(items) % 2:
                raise DataError("hset items must be a flat list of field, value pairs")
            for x in items:
                check_name(x, "hset items element")
            pieces.extend(items)
        if mapping:
            pieces += flatten_mapping(mapping, "hset mapping")
        return self._execute(("HSET", name, *pieces))

    def hmset(self, name: KeyT, mapping: Mapping[AnyKeyT, EncodableT]) -> Reply[bool]:
        """HMSET, deprecated by Redis 4.0 (use ``hset(name, mapping=...)``); returns True."""
        warnings.warn("hmset() is deprecated, use hset(name, mapping=...)", DeprecationWarning,
                      stacklevel=2)
        if not mapping:
            raise DataError("'hmset' with 'mapping' of length 0")
        return self._execute(("HMSET", name, *flatten_mapping(mapping, "hmset mapping")), ok)

    def hsetnx(self, name: KeyT, key: FieldT, value: EncodableT) -> Reply[bool]:
        """HSETNX: set the field only if it does not exist; True if it was set."""
        return self._execute(("HSETNX", name, key, value), bool)

    def hget(self, name: KeyT, key: FieldT) -> Reply[AnyStr | None]:
        """HGET: the value of field ``key`` of hash ``name``, or None."""
        return self._execute(("HGET", name, key))

    def hmget(self, name: KeyT, keys: FieldT | Iterable[FieldT],
              *args: FieldT) -> Reply[list[AnyStr | None]]:
        """HMGET: one value per field (None for a missing field)."""
        return self._execute(("HMGET", name, *list_or_args(keys, args)))

    def hgetall(self, name: KeyT) -> Reply[dict[AnyStr, AnyStr]]:
        """HGETALL: every field and value of the hash as a dict ({} when missing)."""
        return self._execute(("HGETALL", name), pairs_to_dict)

    def hdel(self, name: KeyT, *keys: FieldT) -> Reply[int]:
        """HDEL: delete fields; returns the number removed."""
        return self._execute(("HDEL", name, *keys))

    def hexists(self, name: KeyT, key: FieldT) -> Reply[bool]:
        """HEXISTS: True if the hash has the field."""
        return self._execute(("HEXISTS", name, key), bool)

    def hincrby(self, name: KeyT, key: FieldT, amount: int = 1) -> Reply[int]:
        """HINCRBY: add ``amount`` to an integer field; returns the new value."""
        return self._execute(("HINCRBY", name, key, amount))

    def hincrbyfloat(self, name: KeyT, key: FieldT, amount: float = 1.0) -> Reply[float]:
        """HINCRBYFLOAT: add a float to a field; returns the new value."""
        return self._execute(("HINCRBYFLOAT", name, key, amount), to_float)

    def hkeys(self, name: KeyT) -> Reply[list[AnyStr]]:
        """HKEYS: the field names of the hash."""
        return self._execute(("HKEYS", name))

    def hvals(self, name: KeyT) -> Reply[list[AnyStr]]:
        """HVALS: the values of the hash."""
        return self._execute(("HVALS", name))

    def hlen(self, name: KeyT) -> Reply[int]:
        """HLEN: the number of fields in the hash."""
        return self._execute(("HLEN", name))

    def hstrlen(self, name: KeyT, key: FieldT) -> Reply[int]:
        """HSTRLEN: the length of a field's value (0 when missing)."""
        return self._execute(("HSTRLEN", name, key))

    @overload
    def hrandfield(self, key: KeyT, count: None = ...,
                   withvalues: Literal[False] = ...) -> Reply[AnyStr | None]: ...
    @overload
    def hrandfield(self, key: KeyT, count: int,
                   withvalues: bool = ...) -> Reply[list[AnyStr]]: ...
    def hrandfield(self, key: KeyT, count: int | None = None,
                   withvalues: bool = False) -> Reply[Any]:
        """HRANDFIELD: one random field (None when the hash is missing), or ``count``
        fields; with ``withvalues`` the flat
        ``[field, value, ...]`` list redis-py returns over RESP2."""
        args: tuple[Any, ...] = ("HRANDFIELD", key)
        if count is not None:
            args += (count,)
            if withvalues:
                args += ("WITHVALUES",)
        elif withvalues:
            raise DataError("hrandfield: withvalues needs count")
        if withvalues and self._reply_protocol() == 2:
            return self._execute(args, flat_pairs)  # (RESP3 wire: pairs laid out flat)
        return self._execute(args)

    def hscan(self, name: KeyT, cursor: int = 0, match: PatternT | None = None,
              count: int | None = None, no_values: bool | None = None) -> Reply[Any]:
        """HSCAN: (next cursor as int, dict of the fields of this batch); 0 ends the scan.
        With ``no_values`` (Redis 7.4, Valkey 8) the batch is a list of field names."""
        args: tuple[Any, ...] = ("HSCAN", name, cursor)
        if match is not None:
            args += ("MATCH", match)
        if count is not None:
            args += ("COUNT", count)
        if no_values:  # field names only (Redis >= 7.4, Valkey >= 8): (cursor, [fields])
            return self._execute((*args, "NOVALUES"), _hscan_fields)
        return self._execute(args, _hscan)

    async def hscan_iter(self, name: KeyT, match: PatternT | None = None,
                         count: int | None = None,
                         no_values: bool | None = None) -> AsyncIterator[Any]:
        """HSCAN to the end: ``async for field, value in r.hscan_iter(name)`` (the field
        names alone with ``no_values``)."""
        cursor = None
        while cursor != 0:
            cursor, data = await self.hscan(name, cursor or 0, match, count, no_values)
            for item in (data if no_values else data.items()):
                yield item
