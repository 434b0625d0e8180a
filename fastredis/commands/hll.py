"""HyperLogLog commands (PFADD, PFCOUNT, PFMERGE)."""

from __future__ import annotations

from typing import Any, AnyStr

from ._base import CommandsBase, ok


class HyperLogLogCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def pfadd(self, name: Any, *values: Any) -> Any:
        """1 if the estimated cardinality changed, else 0."""
        return self._execute(("PFADD", name, *values))

    def pfcount(self, *sources: Any) -> Any:
        return self._execute(("PFCOUNT", *sources))

    def pfmerge(self, dest: Any, *sources: Any) -> Any:
        return self._execute(("PFMERGE", dest, *sources), ok)
