"""redis-py's cluster-only command methods (``redis.commands.cluster``): the ``cluster_*``
management commands, and ``lock`` (``mget_nonatomic`` / ``mset_nonatomic`` are fanout.py's).
Written once over the client's ``_execute`` / ``_execute_targeted``; replies in redis-py's
shapes (RESP2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable

from ..commands._base import flat_map, ok, to_str
from ..exceptions import DataError, RedisError

if TYPE_CHECKING:
    from ..lock import Lock
    from ..typing import EncodableT, KeyT, Number, TargetNodesT

__all__ = ["ClusterManagementCommands", "parse_cluster_slots", "parse_cluster_shards"]

_SETSLOT_STATES = ("IMPORTING", "NODE", "MIGRATING")
_FAILOVER_OPTIONS = ("FORCE", "TAKEOVER")


def _server(entry: Any) -> tuple[str, int]:
    return to_str(entry[0]), int(entry[1])


def parse_cluster_slots(reply: Any) -> dict[tuple[int, int], dict[str, Any]]:
    """CLUSTER SLOTS -> ``{(start, end): {'primary': (host, port), 'replicas': [(host, port)]}}``."""
    return {(int(e[0]), int(e[1])): {"primary": _server(e[2]), "replicas": [_server(r) for r in e[3:]]}
            for e in reply}


def _raw_pairs(flat: Any) -> dict[Any, Any]:
    if isinstance(flat, dict):
        return dict(flat)
    it = iter(flat)
    return dict(zip(it, it))


def parse_cluster_shards(reply: Any) -> list[dict[str, Any]]:
    """CLUSTER SHARDS -> ``[{'slots': [(start, end), ...], 'nodes': [{field: value}, ...]}]``
    (redis-py's shape: str ``slots`` / ``nodes``, node fields as the server sent them)."""
    out = []
    for raw in reply:
        shard = {to_str(k): v for k, v in _raw_pairs(raw).items()}
        flat = list(shard.get("slots") or [])
        out.append({"slots": [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)],
                    "nodes": [_raw_pairs(n) for n in shard.get("nodes") or []]})
    return out


def _strs(reply: Any) -> list[str]:
    return [k.decode("utf-8", "replace") if isinstance(k, bytes) else str(k) for k in reply]


def _bools(replies: list[Any]) -> list[bool]:
    return [ok(r) for r in replies]


class ClusterManagementCommands:
    """Mixed into ``RedisCluster``; ``target_node`` / ``target_nodes`` as redis-py names them."""

    __slots__ = ()

    if TYPE_CHECKING:
        _execute: Callable[..., Any]
        _execute_targeted: Callable[..., Any]

        def _reply_protocol(self) -> int: ...

        def get_node_of_slot(self, slot: int) -> Any: ...

    def lock(
        self,
        name: KeyT,
        timeout: Number | None = None,
        sleep: Number = 0.1,
        blocking: bool = True,
        blocking_timeout: Number | None = None,
        lock_class: type[Lock] | None = None,
        thread_local: bool = True,
        raise_on_release_error: bool = True,
        *,
        auto_renew: bool = False,
        on_renewal_failed: Callable[[Lock, BaseException], Any] | None = None,
    ) -> Lock:
        """A :class:`~fastredis.lock.Lock` on key ``name``, on the primary of its slot
        (redis-py's signature; the same Lock as ``Redis.lock``, see docs/lock.md)."""
        from ..lock import Lock

        cls = Lock if lock_class is None else lock_class
        return cls(
            self, name, timeout=timeout, sleep=sleep, blocking=blocking,
            blocking_timeout=blocking_timeout, thread_local=thread_local,
            raise_on_release_error=raise_on_release_error, auto_renew=auto_renew,
            on_renewal_failed=on_renewal_failed,
        )


    # ------------------------------------------------------------------ slots
    def cluster_addslots(self, target_node: TargetNodesT, *slots: EncodableT) -> Any:
        """CLUSTER ADDSLOTS on ``target_node``: True."""
        return self._execute_targeted(("CLUSTER", "ADDSLOTS", *slots), ok, target_node)

    def cluster_addslotsrange(self, target_node: TargetNodesT, *slots: EncodableT) -> Any:
        """CLUSTER ADDSLOTSRANGE start end [start end ...] on ``target_node``: True."""
        return self._execute_targeted(("CLUSTER", "ADDSLOTSRANGE", *slots), ok, target_node)

    async def cluster_delslots(self, *slots: EncodableT) -> list[bool]:
        """CLUSTER DELSLOTS, each slot on the node that serves it: a list of True, one per
        slot (redis-py's shape)."""
        replies = []
        for slot in slots:
            node = self.get_node_of_slot(int(slot))  # type: ignore[arg-type, unused-ignore]
            replies.append(await self._execute_targeted(("CLUSTER", "DELSLOTS", slot), None, node))
        return _bools(replies)

    def cluster_delslotsrange(self, *slots: EncodableT) -> Any:
        """CLUSTER DELSLOTSRANGE start end [start end ...] on the default node: True."""
        return self._execute_targeted(("CLUSTER", "DELSLOTSRANGE", *slots), ok, "default-node")

    def cluster_countkeysinslot(self, slot_id: int) -> Any:
        """CLUSTER COUNTKEYSINSLOT on the slot's primary: the number of keys (int)."""
        return self._execute_targeted(("CLUSTER", "COUNTKEYSINSLOT", slot_id), None,
                                      self.get_node_of_slot(slot_id))

    def cluster_get_keys_in_slot(self, slot: int, num_keys: int) -> Any:
        """CLUSTER GETKEYSINSLOT on the slot's primary: up to ``num_keys`` keys, as str
        (redis-py's shape)."""
        return self._execute_targeted(("CLUSTER", "GETKEYSINSLOT", slot, num_keys), _strs,
                                      self.get_node_of_slot(slot))

    def cluster_setslot(self, target_node: TargetNodesT, node_id: str, slot_id: int, state: str) -> Any:
        """CLUSTER SETSLOT slot IMPORTING|MIGRATING|NODE node_id on ``target_node``: True."""
        st = state.upper() if isinstance(state, str) else state
        if st == "STABLE":
            raise RedisError('For "stable" state please use cluster_setslot_stable')
        if st not in _SETSLOT_STATES:
            raise RedisError(f"Invalid slot state: {state}")
        return self._execute_targeted(("CLUSTER", "SETSLOT", slot_id, st, node_id), ok, target_node)

    def cluster_setslot_stable(self, slot_id: int) -> Any:
        """CLUSTER SETSLOT slot STABLE on the slot's primary: True."""
        return self._execute_targeted(("CLUSTER", "SETSLOT", slot_id, "STABLE"), ok,
                                      self.get_node_of_slot(slot_id))

    def cluster_flushslots(self, target_nodes: TargetNodesT | None = None) -> Any:
        """CLUSTER FLUSHSLOTS (redis-py raises NotImplementedError)."""
        raise NotImplementedError("CLUSTER FLUSHSLOTS is intentionally not implemented in the client.")

    # ------------------------------------------------------------------ nodes and state
    def cluster_count_failure_report(self, node_id: str) -> Any:
        """CLUSTER COUNT-FAILURE-REPORTS node_id: an int."""
        return self._execute_targeted(("CLUSTER", "COUNT-FAILURE-REPORTS", node_id), None, "default-node")

    def cluster_failover(self, target_node: TargetNodesT, option: str | None = None) -> Any:
        """CLUSTER FAILOVER [FORCE|TAKEOVER] on the replica ``target_node``: True."""
        args: tuple[Any, ...] = ("CLUSTER", "FAILOVER")
        if option:
            if option.upper() not in _FAILOVER_OPTIONS:
                raise RedisError(f"Invalid option for CLUSTER FAILOVER command: {option}")
            args += (option.upper(),)
        return self._execute_targeted(args, ok, target_node)

    def cluster_replicate(self, target_nodes: TargetNodesT, node_id: str) -> Any:
        """CLUSTER REPLICATE node_id on ``target_nodes``: True."""
        return self._execute_targeted(("CLUSTER", "REPLICATE", node_id), ok, target_nodes)

    def cluster_reset(self, soft: bool = True, target_nodes: TargetNodesT | None = None) -> Any:
        """CLUSTER RESET SOFT|HARD (default node unless ``target_nodes``): True."""
        return self._execute_targeted(("CLUSTER", "RESET", "SOFT" if soft else "HARD"), ok,
                                      target_nodes or "default-node")

    def cluster_set_config_epoch(self, epoch: int, target_nodes: TargetNodesT | None = None) -> Any:
        """CLUSTER SET-CONFIG-EPOCH epoch: True."""
        return self._execute_targeted(("CLUSTER", "SET-CONFIG-EPOCH", epoch), ok,
                                      target_nodes or "default-node")

    def cluster_bumpepoch(self, target_nodes: TargetNodesT | None = None) -> Any:
        """CLUSTER BUMPEPOCH (redis-py raises NotImplementedError)."""
        raise NotImplementedError("CLUSTER BUMPEPOCH is intentionally not implemented in the client.")

    def cluster_links(self, target_node: TargetNodesT) -> Any:
        """CLUSTER LINKS of ``target_node``: the server's reply, one list of field/value
        pairs per link (redis-py's shape with RESP2, and without ``protocol=3`` chosen)."""
        if self._reply_protocol() == 3:
            return self._execute_targeted(("CLUSTER", "LINKS"), None, target_node)
        return self._execute_targeted(("CLUSTER", "LINKS"), _flat_links, target_node)

    def cluster_slots(self, target_nodes: TargetNodesT | None = None) -> Any:
        """CLUSTER SLOTS: ``{(start, end): {'primary': (host, port), 'replicas': [...]}}``."""
        return self._execute_targeted(("CLUSTER", "SLOTS"), parse_cluster_slots,
                                      target_nodes or "default-node")

    def cluster_shards(self, target_nodes: TargetNodesT | None = None) -> Any:
        """CLUSTER SHARDS: ``[{'slots': [...], 'nodes': [{...}]}]``, str field names."""
        return self._execute_targeted(("CLUSTER", "SHARDS"), parse_cluster_shards,
                                      target_nodes or "default-node")


def _flat_links(reply: Any) -> Any:
    # (RESP3 wire: one map per link, laid out flat as over RESP2)
    return [flat_map(link) for link in reply] if isinstance(reply, list) else reply


def by_slot(client: Any, mapping: Mapping[Any, Any]) -> list[tuple[Any, ...]]:
    """``MSET`` argument lists, one per slot, slots in the order they first appear."""
    if not isinstance(mapping, Mapping) or not mapping:
        raise DataError("mset_nonatomic takes a non-empty dict of key -> value")
    groups: dict[int, list[Any]] = {}
    for key, value in mapping.items():
        groups.setdefault(client.keyslot(key), []).extend((key, value))
    return [("MSET", *pairs) for pairs in groups.values()]
