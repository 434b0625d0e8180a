"""The client-side registry of HIMPORT fieldsets (redis-py's ``redis.himport``): what
``r.himport_registry`` returns. ``himport_prepare`` / ``himport_discard`` /
``himport_discard_all`` change it; ``himport_set`` prepares a declared fieldset on the
connection it is written to, in the same write, when that connection does not hold it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .exceptions import DataError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from ._protocol import Connection

__all__ = ["HImportFieldset", "HImportRegistry"]


@dataclass(frozen=True)
class HImportFieldset:
    """One declared fieldset: its ``name``, its ``fields`` in the caller's order (never
    reordered nor deduplicated: the server checks them) and a ``version`` that changes
    each time the name is declared again (from the registry's revision, never reused)."""

    name: str
    fields: tuple[Any, ...]
    version: int


class _Session:
    """What one connection holds: fieldset name -> version prepared on it, and the
    registry revision whose discards it has caught up with."""

    __slots__ = ("prepared", "reconciled")

    def __init__(self) -> None:
        self.prepared: dict[str, int] = {}
        self.reconciled = 0


class HImportRegistry:
    """The fieldsets declared on a client (``r.himport_registry``; change it with
    ``himport_prepare`` / ``himport_discard`` / ``himport_discard_all``), redis-py's
    ``HImportRegistry`` API. Read it freely; it is not thread-safe (one event loop)."""

    def __init__(self) -> None:
        self._fieldsets: dict[str, HImportFieldset] = {}
        self._revision = 0
        self._sessions: dict[Connection, _Session] = {}

    # -- changes -------------------------------------------------------------------
    def prepare(self, name: str, fields: Iterable[Any]) -> HImportFieldset:
        """Add or replace fieldset ``name`` (a new version); the entry."""
        if not isinstance(name, (str, bytes)):
            raise DataError(f"HIMPORT fieldset name must be a str, not {type(name).__name__}")
        if isinstance(fields, (str, bytes, bytearray, memoryview)):
            raise DataError("HIMPORT fields must be a collection of field names, "
                            "not a single string or binary value")
        field_tuple = tuple(fields)
        if not field_tuple:
            raise DataError("HIMPORT fieldset must have at least one field")
        self._revision += 1
        entry = self._fieldsets[name] = HImportFieldset(name, field_tuple, self._revision)
        return entry

    def discard(self, name: str) -> bool:
        """Remove ``name``; False when it was not declared. Connections that prepared it
        discard it on the server with their next ``HIMPORT SET``."""
        if self._fieldsets.pop(name, None) is None:
            return False
        self._revision += 1
        return True

    def discard_all(self) -> int:
        """Remove every fieldset; how many there were."""
        count = len(self._fieldsets)
        if count:
            self._fieldsets.clear()
            self._revision += 1
        return count

    # -- reading -------------------------------------------------------------------
    @property
    def revision(self) -> int:
        """Advanced by every change (never repeats)."""
        return self._revision

    def names_to_discard(self, prepared_names: Iterable[str]) -> list[str]:
        """Those of ``prepared_names`` no longer declared."""
        return [n for n in prepared_names if n not in self._fieldsets]

    def get(self, name: str) -> HImportFieldset | None:
        return self._fieldsets.get(name)

    def names(self) -> list[str]:
        return list(self._fieldsets)

    def items(self) -> list[tuple[str, HImportFieldset]]:
        return list(self._fieldsets.items())

    def __contains__(self, name: object) -> bool:
        return name in self._fieldsets

    def __len__(self) -> int:
        return len(self._fieldsets)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._fieldsets))

    def __repr__(self) -> str:
        body = ", ".join(f"{n}={list(f.fields)}" for n, f in self._fieldsets.items())
        return f"{type(self).__name__}({body})"

    # -- connections -----------------------------------------------------------------
    def _session(self, conn: Connection) -> _Session:
        session = self._sessions.get(conn)
        if session is None:
            session = self._sessions[conn] = _Session()
            # its fieldsets die with the socket: forget them then (a reconnect is a new
            # Connection object, with a session of its own)
            conn.closed_future.add_done_callback(lambda _f: self._sessions.pop(conn, None))
        return session
