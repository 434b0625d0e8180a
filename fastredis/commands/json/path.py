"""``Path``: redis-py's ``redis.commands.json.path.Path``, importable from the same place
here (``from fastredis.commands.json.path import Path``)."""

from __future__ import annotations

__all__ = ["Path"]


class Path:
    """A path in a JSON value; ``str(path)`` is what is sent. The JSON methods take a plain
    string, this class or redis-py's own ``Path`` alike.

    ``Path.root_path()`` is ``"."``, the legacy root; ``"$"`` is the JSONPath root (the
    server then answers a list per matched path)."""

    strPath = ""

    @staticmethod
    def root_path() -> str:
        """The root path's string representation: ``"."``."""
        return "."

    def __init__(self, path: str) -> None:
        self.strPath = path

    def __repr__(self) -> str:
        return self.strPath
