"""Hash commands (HSET, HGETALL, HSCAN ...)."""

from __future__ import annotations

import warnings
from typing import Any, AnyStr, AsyncIterator

from ..exceptions import DataError
from ._base import (
    STRING_TYPES,
    CommandsBase,
    check_name,
    flatten_mapping,
    list_or_args,
    ok,
    pairs_to_dict,
    to_float,
)


def _hscan(reply: Any) -> tuple:
    return int(reply[0]), pairs_to_dict(reply[1])


def _hscan_fields(reply: Any) -> tuple[int, list[Any]]:
    return int(reply[0]), reply[1]


class HashCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def hset(self, name: Any, key: Any = None, value: Any = None, mapping: Any = None,
             items: Any = None) -> Any:
        """HSET: ``key``/``value``, and/or ``mapping`` (dict), and/or ``items`` (a flat
        list ``[f1, v1, f2, v2]``); returns the number of fields added."""
        if key is None and not mapping and not items:
            raise DataError("'hset' with no key value pairs")
        pieces: list = []
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

    def hmset(self, name: Any, mapping: Any) -> Any:
        """Deprecated by Redis 4.0 (use ``hset(name, mapping=...)``); returns True."""
        warnings.warn("hmset() is deprecated, use hset(name, mapping=...)", DeprecationWarning,
                      stacklevel=2)
        if not mapping:
            raise DataError("'hmset' with 'mapping' of length 0")
        return self._execute(("HMSET", name, *flatten_mapping(mapping, "hmset mapping")), ok)

    def hsetnx(self, name: Any, key: Any, value: Any) -> Any:
        return self._execute(("HSETNX", name, key, value), bool)

    def hget(self, name: Any, key: Any) -> Any:
        return self._execute(("HGET", name, key))

    def hmget(self, name: Any, keys: Any, *args: Any) -> Any:
        return self._execute(("HMGET", name, *list_or_args(keys, args)))

    def hgetall(self, name: Any) -> Any:
        return self._execute(("HGETALL", name), pairs_to_dict)

    def hdel(self, name: Any, *keys: Any) -> Any:
        return self._execute(("HDEL", name, *keys))

    def hexists(self, name: Any, key: Any) -> Any:
        return self._execute(("HEXISTS", name, key), bool)

    def hincrby(self, name: Any, key: Any, amount: int = 1) -> Any:
        return self._execute(("HINCRBY", name, key, amount))

    def hincrbyfloat(self, name: Any, key: Any, amount: float = 1.0) -> Any:
        return self._execute(("HINCRBYFLOAT", name, key, amount), to_float)

    def hkeys(self, name: Any) -> Any:
        return self._execute(("HKEYS", name))

    def hvals(self, name: Any) -> Any:
        return self._execute(("HVALS", name))

    def hlen(self, name: Any) -> Any:
        return self._execute(("HLEN", name))

    def hstrlen(self, name: Any, key: Any) -> Any:
        return self._execute(("HSTRLEN", name, key))

    def hrandfield(self, key: Any, count: Any = None, withvalues: bool = False) -> Any:
        """One field, or ``count`` fields; with ``withvalues`` the flat
        ``[field, value, ...]`` list redis-py returns over RESP2."""
        args: tuple = ("HRANDFIELD", key)
        if count is not None:
            args += (count,)
            if withvalues:
                args += ("WITHVALUES",)
        elif withvalues:
            raise DataError("hrandfield: withvalues needs count")
        return self._execute(args)

    def hscan(self, name: Any, cursor: Any = 0, match: Any = None, count: Any = None,
              no_values: bool | None = None) -> Any:
        """-> (next cursor as int, dict of the fields of this batch)."""
        args: tuple = ("HSCAN", name, cursor)
        if match is not None:
            args += ("MATCH", match)
        if count is not None:
            args += ("COUNT", count)
        if no_values:  # field names only (Redis >= 7.4, Valkey >= 8): (cursor, [fields])
            return self._execute((*args, "NOVALUES"), _hscan_fields)
        return self._execute(args, _hscan)

    async def hscan_iter(self, name: Any, match: Any = None, count: Any = None,
                         no_values: bool | None = None) -> AsyncIterator:
        """``async for field, value in r.hscan_iter(name)``."""
        cursor = None
        while cursor != 0:
            cursor, data = await self.hscan(name, cursor or 0, match, count, no_values)
            for item in (data if no_values else data.items()):
                yield item
