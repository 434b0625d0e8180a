"""Array commands (ARSET, ARGET, ARSCAN ...): the array type of Redis releases newer than
8.2, indexed by integer, sparse. No server here runs them: the methods follow redis-py 8.2
and are compared with its bytes and its parsing of recorded replies in the tests.

Replies are as the server sends them (redis-py's shape), except ARINFO, a dict with str
keys."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, AnyStr

from ..exceptions import DataError
from ._base import CommandsBase, pairs_to_dict, to_str

if TYPE_CHECKING:
    from ..typing import EncodableT, FieldT, KeyT, Reply


class ArrayAggregateOperations(Enum):
    """AROP's operations (redis-py's enum of the same name; its members work too)."""

    SUM = "SUM"
    MIN = "MIN"
    MAX = "MAX"
    AND = "AND"
    OR = "OR"
    XOR = "XOR"
    MATCH = "MATCH"
    USED = "USED"


class ArrayPredicateType(Enum):
    """ARGREP's predicates (redis-py's enum of the same name; its members work too)."""

    EXACT = "EXACT"
    MATCH = "MATCH"
    GLOB = "GLOB"
    RE = "RE"


class ArrayPredicateCombinator(Enum):
    """How ARGREP combines its predicates (the server's default: OR)."""

    AND = "AND"
    OR = "OR"


def _token(value: Any, allowed: type[Enum], what: str) -> str:
    """An enum member (ours or redis-py's, same values) or its value as a str."""
    token = getattr(value, "value", value)
    if not isinstance(token, str) or token not in allowed.__members__:
        names = ", ".join(allowed.__members__)
        raise DataError(f"{what} must be one of {names} (an {allowed.__name__}), got {value!r}")
    return token


def _arinfo(reply: Any) -> dict[str, Any]:
    return {to_str(k): v for k, v in pairs_to_dict(reply).items()}


class ArrayCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def arset(self, name: KeyT, index: int, *values: FieldT) -> Reply[int]:
        """ARSET: set ``values`` at consecutive indices from ``index``; the number of slots
        that were empty."""
        return self._execute(("ARSET", name, index, *values))

    def armset(self, name: KeyT, mapping: Mapping[int, FieldT]) -> Reply[int]:
        """ARMSET: set each ``{index: value}``; the number of slots that were empty."""
        if not isinstance(mapping, Mapping):
            raise DataError(f"armset takes a dict of index -> value, got {type(mapping).__name__!r}")
        items: list[Any] = []
        for index, value in mapping.items():
            items += (index, value)
        return self._execute(("ARMSET", name, *items))

    def arget(self, name: KeyT, index: int) -> Reply[AnyStr | None]:
        """ARGET: the value at ``index``, None when unset or the key is missing."""
        return self._execute(("ARGET", name, index))

    def armget(self, name: KeyT, *indices: int) -> Reply[list[AnyStr | None]]:
        """ARMGET: the values at ``indices``, in order, None where unset."""
        return self._execute(("ARMGET", name, *indices))

    def argetrange(self, name: KeyT, start: int, end: int) -> Reply[list[AnyStr | None]]:
        """ARGETRANGE: the values from ``start`` to ``end`` inclusive (reversed when
        ``start`` > ``end``), None where unset."""
        return self._execute(("ARGETRANGE", name, start, end))

    def ardel(self, name: KeyT, *indices: int) -> Reply[int]:
        """ARDEL: delete the values at ``indices``; how many there were."""
        return self._execute(("ARDEL", name, *indices))

    def ardelrange(self, name: KeyT, *ranges: tuple[int, int]) -> Reply[int]:
        """ARDELRANGE: delete the values in each inclusive ``(start, end)``; how many."""
        pieces: list[Any] = []
        for pair in ranges:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise DataError(f"ardelrange takes (start, end) pairs, got {pair!r}")
            pieces += pair
        return self._execute(("ARDELRANGE", name, *pieces))

    def arcount(self, name: KeyT) -> Reply[int]:
        """ARCOUNT: the number of values set (0 when the key is missing)."""
        return self._execute(("ARCOUNT", name))

    def arlen(self, name: KeyT) -> Reply[int]:
        """ARLEN: the highest index set plus one (0 when the key is missing)."""
        return self._execute(("ARLEN", name))

    def arinsert(self, name: KeyT, *values: FieldT) -> Reply[int]:
        """ARINSERT: append ``values`` at the insert cursor (see arnext, arseek); the last
        index written."""
        return self._execute(("ARINSERT", name, *values))

    def arring(self, name: KeyT, size: int, *values: FieldT) -> Reply[int]:
        """ARRING: insert ``values`` into a ring of ``size`` slots, overwriting the oldest;
        the last index written."""
        return self._execute(("ARRING", name, size, *values))

    def arnext(self, name: KeyT) -> Reply[int | None]:
        """ARNEXT: the index arinsert would write next; None when the cursor is exhausted."""
        return self._execute(("ARNEXT", name))

    def arseek(self, name: KeyT, index: int) -> Reply[int]:
        """ARSEEK: move the insert cursor to ``index``; 1, or 0 when the key is missing."""
        return self._execute(("ARSEEK", name, index))

    def arlastitems(self, name: KeyT, count: int, rev: bool = False) -> Reply[list[AnyStr | None]]:
        """ARLASTITEMS: the ``count`` values inserted last, oldest first (``rev``: newest
        first)."""
        return self._execute(("ARLASTITEMS", name, count, *((b"REV",) if rev else ())))

    def arscan(self, name: KeyT, start: int, end: int,
               limit: int | None = None) -> Reply[list[list[Any]]]:
        """ARSCAN: ``[[index, value], ...]`` of the values set from ``start`` to ``end``
        (reversed when ``start`` > ``end``), at most ``limit``."""
        args: tuple[Any, ...] = ("ARSCAN", name, start, end)
        if limit is not None:
            args += (b"LIMIT", limit)
        return self._execute(args)

    def argrep(self, name: KeyT, start: int, end: int,
               predicates: list[tuple[ArrayPredicateType, EncodableT]],
               combinator: ArrayPredicateCombinator | None = None, limit: int | None = None,
               withvalues: bool = False, nocase: bool = False) -> Reply[list[Any]]:
        """ARGREP: the indices from ``start`` to ``end`` whose values match the
        ``(ArrayPredicateType, value)`` predicates, combined by ``combinator`` (server
        default OR), at most ``limit``, ``nocase``; ``withvalues``: ``[[index, value], ...]``."""
        args: tuple[Any, ...] = ("ARGREP", name, start, end)
        for predicate in predicates:
            if not isinstance(predicate, (tuple, list)) or len(predicate) != 2:
                raise DataError(f"argrep predicates are (ArrayPredicateType, value) pairs, got {predicate!r}")
            args += (_token(predicate[0], ArrayPredicateType, "predicate type"), predicate[1])
        if combinator is not None:
            args += (_token(combinator, ArrayPredicateCombinator, "combinator"),)
        if limit is not None:
            args += (b"LIMIT", limit)
        if withvalues:
            args += (b"WITHVALUES",)
        if nocase:
            args += (b"NOCASE",)
        return self._execute(args)

    def arop(self, name: KeyT, start: int, end: int, operation: ArrayAggregateOperations,
             value: EncodableT | None = None) -> Reply[AnyStr | int | None]:
        """AROP: aggregate the values from ``start`` to ``end``: SUM, MIN, MAX as a string;
        AND, OR, XOR, MATCH (``value``), USED as an int; None when nothing matched."""
        args: tuple[Any, ...] = ("AROP", name, start, end,
                                 _token(operation, ArrayAggregateOperations, "operation"))
        if value is not None:
            args += (value,)
        return self._execute(args)

    def arinfo(self, name: KeyT, full: bool = False) -> Reply[dict[str, Any]]:
        """ARINFO: the array's metadata as a dict (``full``: per-slice statistics too, O(N));
        an error when the key is missing."""
        return self._execute(("ARINFO", name, *((b"FULL",) if full else ())), _arinfo)
