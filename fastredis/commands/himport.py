"""HIMPORT (a Redis release after 8.2): hashes created from a fieldset, a field list declared
once per connection, and values only. redis-py 8.2's names: ``himport_prepare``,
``himport_set``, ``himport_discard``, ``himport_discard_all``, ``himport_registry`` and the
wire mappings ``himport_*_internal``.

``himport_set`` is the one command whose bytes depend on the connection that carries it
(the fieldset must have been prepared on it): ``Redis`` and ``RedisCluster`` compose it with
what that connection needs, in one write (fastredis._himport explains how on shared
connections). A pipeline refuses it and the registry methods before anything is sent: its
batch is written where that composition does not happen. Queue
``himport_prepare_internal`` then ``execute_command("HIMPORT", "SET", ...)`` in one
pipeline if you manage fieldsets yourself: a pipeline is one write on one connection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr, TypeVar

from ..exceptions import DataError
from ._base import CommandsBase, ok

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..himport import HImportRegistry
    from ..typing import EncodableT, FieldT, KeyT, Reply


_T = TypeVar("_T")


async def _answer(value: _T) -> _T:
    """What a registry method's caller awaits (redis-py's are coroutines): the registry
    was changed at the call; nothing is sent."""
    return value


class HImportCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    # what a client provides (Redis, RedisCluster); pipelines refuse before sending
    def _himport_registry(self) -> HImportRegistry:
        raise DataError(
            f"HIMPORT fieldsets are per-connection state: {type(self).__name__} does not "
            "carry them (use the client's himport_prepare / himport_set; in a pipeline, "
            "queue himport_prepare_internal before execute_command('HIMPORT', 'SET', ...))")

    def _himport_set(self, args: tuple[Any, ...]) -> Reply[bool]:
        self._himport_registry()  # refuses
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def himport_registry(self) -> HImportRegistry:
        """The fieldsets declared on this client (shared by the clients of one connection
        pool); change it with ``himport_prepare`` / ``himport_discard``."""
        return self._himport_registry()

    def himport_prepare(self, fieldset_name: str, fields: Iterable[FieldT]) -> Reply[bool]:
        """Declare (or re-declare) fieldset ``fieldset_name``: ``fields`` in this order. No
        command is sent now: ``himport_set`` prepares it on the connection it is written
        to, in the same write, the first time that connection uses this version. True."""
        self._himport_registry().prepare(fieldset_name, fields)
        return _answer(True)

    def himport_set(self, key: KeyT, fieldset_name: str,
                    values: Iterable[EncodableT]) -> Reply[bool]:
        """HIMPORT SET: create or replace hash ``key`` whose fields are those of the
        fieldset and whose values are ``values``, in the same order. A fieldset declared
        with ``himport_prepare`` is prepared on the connection first when needed (in the
        same write; again after a reconnect, or when the server lost it). True."""
        from .._himport import set_command

        return self._himport_set(set_command(key, fieldset_name, values))

    def himport_discard(self, fieldset_name: str) -> Reply[int]:
        """Remove a declared fieldset: 1, or 0 when it was not declared. A connection that
        prepared it sends HIMPORT DISCARD with its next ``himport_set``."""
        removed = self._himport_registry().discard(fieldset_name)
        return _answer(int(removed))

    def himport_discard_all(self) -> Reply[int]:
        """Remove every declared fieldset; how many there were (discarded on each
        connection with its next ``himport_set``)."""
        count = self._himport_registry().discard_all()
        return _answer(count)

    # -- the wire mappings (redis-py's *_internal): they act on whichever connection
    # carries them, unknown to the registry. Use them in a pipeline (one write, one
    # connection) or on a single-connection client.

    def himport_prepare_internal(self, fieldset_name: str, fields: Iterable[FieldT]) -> Reply[bool]:
        """HIMPORT PREPARE on the connection that carries it (not recorded in the
        registry). True."""
        if isinstance(fields, (str, bytes, bytearray, memoryview)):
            raise DataError("HIMPORT fields must be a collection of field names, "
                            "not a single string or binary value")
        return self._execute(("HIMPORT", "PREPARE", fieldset_name, *fields), ok)

    def himport_discard_internal(self, fieldset_name: str) -> Reply[int]:
        """HIMPORT DISCARD on the connection that carries it: 1 removed, 0 not found."""
        return self._execute(("HIMPORT", "DISCARD", fieldset_name))

    def himport_discard_all_internal(self) -> Reply[int]:
        """HIMPORT DISCARDALL on the connection that carries it: how many it removed."""
        return self._execute(("HIMPORT", "DISCARDALL"))
