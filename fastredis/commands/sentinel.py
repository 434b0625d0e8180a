"""SENTINEL commands, for a client connected to a Sentinel (``Redis(port=26379)``): the
``sentinel_*`` methods of redis-py with its (RESP2) shapes. Discovery and failover
following are ``fastredis.sentinel``'s job; these are the plain commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr

from ..exceptions import DataError
from ._base import CommandsBase, ok, to_str

if TYPE_CHECKING:
    from ..typing import EncodableT, Reply

# fields Sentinel reports as numbers (sentinel.c), converted to int as redis-py does
_STATE_INTS = frozenset((
    "can-failover-its-master", "config-epoch", "down-after-milliseconds", "failover-timeout",
    "info-refresh", "last-hello-message", "last-ok-ping-reply", "last-ping-reply",
    "last-ping-sent", "master-link-down-time", "master-port", "num-other-sentinels",
    "num-slaves", "o-down-time", "pending-commands", "parallel-syncs", "port", "quorum",
    "role-reported-time", "s-down-time", "slave-priority", "slave-repl-offset",
    "voted-leader-epoch",
))
_FLAG_BOOLS = (
    ("is_master", "master"), ("is_slave", "slave"), ("is_sdown", "s_down"),
    ("is_odown", "o_down"), ("is_sentinel", "sentinel"), ("is_disconnected", "disconnected"),
    ("is_master_down", "master_down"),
)


def parse_sentinel_state(item: Any) -> dict[str, Any]:
    """One master / replica / sentinel description -> dict of str, numbers as int, and
    redis-py's ``is_master``, ``is_sdown`` ... booleans from its flags."""
    if isinstance(item, dict):
        pairs = [(to_str(k), to_str(v)) for k, v in item.items()]
    else:
        it = iter(item)
        pairs = [(to_str(k), to_str(v)) for k, v in zip(it, it, strict=False)]
    state: dict[str, Any] = {}
    for key, value in pairs:
        if key in _STATE_INTS:
            try:
                state[key] = int(value)
                continue
            except ValueError:
                pass
        state[key] = value
    flags = set(state.get("flags", "").split(","))
    for name, flag in _FLAG_BOOLS:
        state[name] = flag in flags
    return state


def _masters(reply: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for item in reply:
        state = parse_sentinel_state(item)
        out[state["name"]] = state
    return out


def _states(reply: Any) -> list[dict[str, Any]]:
    return [parse_sentinel_state(item) for item in reply]


def _ok_status(reply: Any) -> bool:
    # "+OK 1 usable Sentinels. Quorum and failover authorization can be reached": a status
    # that starts with OK (redis-py compares it with "OK" and so always says False)
    return to_str(reply).startswith("OK")


def _master_addr(reply: Any) -> tuple[Any, int] | None:
    return (reply[0], int(reply[1])) if reply else None


class SentinelCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def sentinel(self, *args: EncodableT) -> Reply[Any]:
        """Any ``SENTINEL <args>`` command, reply as sent (redis-py only warns here; the
        ``sentinel_*`` methods give parsed replies)."""
        if not args:
            raise DataError("sentinel() needs a sub-command, e.g. 'MASTERS'")
        return self._execute(("SENTINEL", *args))

    def sentinel_get_master_addr_by_name(self, service_name: str) -> Reply[tuple[Any, int] | None]:
        """``(host, port)`` of the named master as this sentinel knows it, or None."""
        return self._execute(("SENTINEL", "GET-MASTER-ADDR-BY-NAME", service_name), _master_addr)

    def sentinel_master(self, service_name: str) -> Reply[dict[str, Any]]:
        """The named master's state (see ``parse_sentinel_state``)."""
        return self._execute(("SENTINEL", "MASTER", service_name), parse_sentinel_state)

    def sentinel_masters(self) -> Reply[dict[str, dict[str, Any]]]:
        """Every monitored master's state, by name."""
        return self._execute(("SENTINEL", "MASTERS"), _masters)

    def sentinel_slaves(self, service_name: str) -> Reply[list[dict[str, Any]]]:
        """The named master's replicas, as state dicts."""
        return self._execute(("SENTINEL", "SLAVES", service_name), _states)

    def sentinel_sentinels(self, service_name: str) -> Reply[list[dict[str, Any]]]:
        """The other sentinels monitoring the named master, as state dicts."""
        return self._execute(("SENTINEL", "SENTINELS", service_name), _states)

    def sentinel_monitor(self, name: str, ip: str, port: int, quorum: int) -> Reply[bool]:
        """Start monitoring a master; True."""
        return self._execute(("SENTINEL", "MONITOR", name, ip, port, quorum), ok)

    def sentinel_remove(self, name: str) -> Reply[bool]:
        """Stop monitoring a master; True."""
        return self._execute(("SENTINEL", "REMOVE", name), ok)

    def sentinel_set(self, name: str, option: str, value: EncodableT) -> Reply[bool]:
        """Change a monitoring option of a master (quorum, down-after-milliseconds ...); True."""
        return self._execute(("SENTINEL", "SET", name, option, value), ok)

    def sentinel_reset(self, pattern: str) -> Reply[int]:
        """Reset the state of the masters matching ``pattern``; how many were reset (an int:
        redis-py's ``bool_ok`` turns this integer reply into False)."""
        return self._execute(("SENTINEL", "RESET", pattern))

    def sentinel_failover(self, new_master_name: str) -> Reply[bool]:
        """Force a failover of the named master without agreement from other sentinels; True."""
        return self._execute(("SENTINEL", "FAILOVER", new_master_name), ok)

    def sentinel_ckquorum(self, new_master_name: str) -> Reply[bool]:
        """Whether the sentinels can reach the quorum to fail the named master over: True
        (a ResponseError says why not; redis-py returns False even when they can)."""
        return self._execute(("SENTINEL", "CKQUORUM", new_master_name), _ok_status)

    def sentinel_flushconfig(self) -> Reply[bool]:
        """Rewrite the sentinel's config file; True."""
        return self._execute(("SENTINEL", "FLUSHCONFIG"), ok)
