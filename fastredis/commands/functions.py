"""Redis Functions (FUNCTION LOAD/LIST/..., FCALL, FCALL_RO), Redis >= 7.0.

Replies keep redis-py's (RESP2) shapes: FUNCTION LIST and FUNCTION STATS come back as the
server's nested lists, FUNCTION LOAD as the library name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr

from ..exceptions import DataError
from ._base import CommandsBase, ok

if TYPE_CHECKING:
    from ..typing import EncodableT, KeyT, Reply, TargetNodesT

_FLUSH_MODES = ("SYNC", "ASYNC")
_RESTORE_POLICIES = ("APPEND", "FLUSH", "REPLACE")


def _choice(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if not isinstance(value, str) or value.upper() not in allowed:
        raise DataError(f"{what} must be one of {', '.join(allowed)}, got {value!r}")
    return value.upper()


def flatten_maps(reply: Any) -> Any:
    """RESP3 maps back to RESP2's flat ``[k, v, ...]`` lists, nested ones too, so a
    ``protocol=3`` client gets the same shapes as RESP2 (redis-py's legacy conversion)."""
    if isinstance(reply, dict):
        return [x for k, v in reply.items() for x in (k, flatten_maps(v))]
    if isinstance(reply, list):
        return [flatten_maps(x) for x in reply]
    return reply


def _numkeys(numkeys: Any, rest: tuple[Any, ...]) -> int:
    if isinstance(numkeys, bool) or not isinstance(numkeys, int) or not 0 <= numkeys <= len(rest):
        raise DataError("numkeys must be an int between 0 and the number of keys and args given")
    return numkeys


class FunctionCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def fcall(self, function: str, numkeys: int, *keys_and_args: KeyT | EncodableT) -> Reply[Any]:
        """Call a loaded function with ``numkeys`` keys followed by arguments; returns what
        the function returns (converted as for EVAL)."""
        return self._execute(("FCALL", function, _numkeys(numkeys, keys_and_args), *keys_and_args))

    def fcall_ro(self, function: str, numkeys: int, *keys_and_args: KeyT | EncodableT) -> Reply[Any]:
        """FCALL for functions declared ``no-writes`` (may run on a replica)."""
        return self._execute(("FCALL_RO", function, _numkeys(numkeys, keys_and_args), *keys_and_args))

    def function_delete(self, library: str,
                        *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """Delete a library and its functions; True (an unknown library is a ResponseError)."""
        return self._execute_on(target_nodes, ("FUNCTION", "DELETE", library), ok)

    def function_dump(self, *, target_nodes: TargetNodesT | None = None) -> Reply[bytes]:
        """Every library as one binary payload for ``function_restore``. Binary: on a client
        with ``decode_responses=True`` it cannot be decoded (as ``dump``)."""
        return self._execute_on(target_nodes, ("FUNCTION", "DUMP"))

    def function_flush(self, mode: str = "SYNC",
                       *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """Delete every library (``mode`` SYNC or ASYNC); True."""
        return self._execute_on(target_nodes, ("FUNCTION", "FLUSH", _choice(mode, _FLUSH_MODES, "mode")), ok)

    def function_kill(self, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """Kill the running read-only function; ``OK`` (NOTBUSY is a ResponseError)."""
        return self._execute_on(target_nodes, ("FUNCTION", "KILL"))

    def function_list(self, library: str | None = "*", withcode: bool | None = False,
                      *, target_nodes: TargetNodesT | None = None) -> Reply[list[Any]]:
        """Libraries whose name matches the ``library`` pattern, with their functions (and
        code with ``withcode``), as the server's nested ``[k, v, ...]`` lists (redis-py's shape)."""
        args: tuple[Any, ...] = ("FUNCTION", "LIST", "LIBRARYNAME", library)
        return self._execute_on(target_nodes, (*args, "WITHCODE") if withcode else args, flatten_maps)

    def function_load(self, code: str, replace: bool | None = False,
                      *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """Load a library from its source (starting ``#!lua name=...``); returns the library
        name. ``replace=True`` overwrites an existing library of that name."""
        return self._execute_on(target_nodes, ("FUNCTION", "LOAD", "REPLACE", code) if replace else ("FUNCTION", "LOAD", code))

    def function_restore(self, payload: bytes | str, policy: str | None = "APPEND",
                         *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """Restore libraries from a ``function_dump`` payload (``policy`` APPEND, FLUSH or
        REPLACE); True."""
        if policy is None:
            return self._execute_on(target_nodes, ("FUNCTION", "RESTORE", payload), ok)
        return self._execute_on(target_nodes, ("FUNCTION", "RESTORE", payload, _choice(policy, _RESTORE_POLICIES, "policy")), ok)

    def function_stats(self, *, target_nodes: TargetNodesT | None = None) -> Reply[Any]:
        """The running script and the engines' library/function counts, as the server's
        nested lists (redis-py's shape)."""
        return self._execute_on(target_nodes, ("FUNCTION", "STATS"), flatten_maps)
