"""HyperLogLog commands (PFADD, PFCOUNT, PFMERGE)."""

from __future__ import annotations

from typing import TYPE_CHECKING, AnyStr

from ._base import CommandsBase, ok

if TYPE_CHECKING:
    from ..typing import EncodableT, KeyT, Reply


class HyperLogLogCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def pfadd(self, name: KeyT, *values: EncodableT) -> Reply[int]:
        """PFADD: 1 if the estimated cardinality changed, else 0."""
        return self._execute(("PFADD", name, *values))

    def pfcount(self, *sources: KeyT) -> Reply[int]:
        """PFCOUNT: the estimated cardinality of the union of the HyperLogLogs."""
        return self._execute(("PFCOUNT", *sources))

    def pfmerge(self, dest: KeyT, *sources: KeyT) -> Reply[bool]:
        """PFMERGE: merge ``sources`` into ``dest``; returns True."""
        return self._execute(("PFMERGE", dest, *sources), ok)
