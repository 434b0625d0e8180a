"""Which node: redis-py's node API of ``RedisCluster`` (``get_nodes``, the default node,
``get_node_from_key`` ...), where reads go (``load_balancing_strategy``), and where a
keyless or targeted command goes (``target_nodes=`` strings and nodes, COMMAND tips).
Mixed into ``RedisCluster``; nothing here opens a connection or sends a command."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..exceptions import DataError
from .errors import ClusterError, RedisClusterException, SlotNotCoveredError
from .options import flag
from .routing import Route, check_target_nodes
from .slots import PRIMARY, ClusterNode, LoadBalancingStrategy, key_slot, split_address

if TYPE_CHECKING:
    from .routing import Router
    from .topology import Topology

__all__ = ["NodeSelection"]

_get_running_loop = asyncio.events._get_running_loop
_REPLICAS_ONLY = (LoadBalancingStrategy.ROUND_ROBIN_REPLICAS, LoadBalancingStrategy.RANDOM_REPLICA)


class NodeSelection:
    """Mixed into ``RedisCluster`` (its state is the client's)."""

    PRIMARIES = "primaries"
    REPLICAS = "replicas"
    ALL_NODES = "all"
    RANDOM = "random"
    DEFAULT_NODE = "default-node"
    #: redis-py's names: the target_nodes strings
    NODE_FLAGS = frozenset((PRIMARIES, REPLICAS, ALL_NODES, RANDOM, DEFAULT_NODE))

    if TYPE_CHECKING:
        _topology: Topology
        _router: Router | None
        _default: ClusterNode | None
        _default_set: bool
        _read_from_replicas: bool
        load_balancing_strategy: LoadBalancingStrategy | None
        _rr: dict[str, int]
        _encoding: str
        _simple: dict[Any, Route]

        async def initialize(self) -> Any: ...
        async def _server_keys(self, args: tuple[Any, ...]) -> set[int]: ...

    def get_nodes(self) -> list[ClusterNode]:
        return list(self._topology.nodes.values())

    def get_primaries(self) -> list[ClusterNode]:
        return self._topology.primaries()

    def get_replicas(self) -> list[ClusterNode]:
        return self._topology.replicas()

    def get_random_node(self) -> ClusterNode:
        return random.choice(self.get_nodes())

    def get_default_node(self) -> ClusterNode:
        """The node keyless commands go to: a primary chosen once and kept (redis-py's
        default node) until ``set_default_node`` / ``replace_default_node``, its
        connection is lost, or it leaves the cluster or stops being a primary."""
        node = self._default
        if (node is None or self._topology.nodes.get(node.name) is not node
                or node.server_type != PRIMARY and not self._default_set):
            node = self._default = random.choice(self.get_primaries())
            self._default_set = False
        return node

    def set_default_node(self, node: ClusterNode | None) -> None:
        """Send keyless commands to ``node`` (a node of the cluster, else a DataError)."""
        known = self.get_node(node_name=node.name) if node is not None else None
        if known is None:
            raise DataError("The requested node does not exist in the cluster.")
        self._default = known
        self._default_set = True  # a replica stays the default if you chose it

    def replace_default_node(self, target_node: ClusterNode | None = None) -> None:
        """A new default node: ``target_node``, else another primary at random (else a
        replica); unchanged when the cluster has no other node (redis-py's rule)."""
        if target_node is not None:
            self.set_default_node(target_node)
            return
        current = self._default
        others = [n for n in self.get_primaries() if n is not current] or \
                 [n for n in self.get_replicas() if n is not current]
        if others:
            self._default = random.choice(others)
            self._default_set = True

    def get_random_primary_node(self) -> ClusterNode:
        return random.choice(self.get_primaries())

    def get_random_primary_or_all_nodes(self, command_name: str) -> ClusterNode:
        """Where redis-py sends a keyless command: any node for a read when reads may go
        to replicas, else a primary."""
        route = self._router.lookup((command_name,)) if self._router is not None else None
        if self._read_from_replicas and route is not None and route.readonly:
            return self.get_random_node()
        return self.get_random_primary_node()

    async def get_keyless_target_node(self, command_name: str) -> ClusterNode:
        """The node a keyless ``command_name`` would go to now (one of them, for the
        commands that go to several)."""
        await self.initialize()
        assert self._router is not None
        route = self._router.lookup((command_name,))
        if route is None:
            return self.get_default_node()
        return self._keyless_nodes(route)[0]

    async def get_nodes_from_slot(self, command: str, *args: Any) -> list[ClusterNode]:
        """The primaries serving the slots of the command's keys."""
        await self.initialize()
        assert self._router is not None
        cmd = (command, *args)
        route = self._router.lookup(cmd)
        positions = route.positions(cmd) if route is not None else None
        slots = ({key_slot(cmd[i], self._encoding) for i in positions} if positions is not None
                 else await self._server_keys(cmd))
        if not slots:
            raise RedisClusterException(f"No way to dispatch {command} to Redis Cluster: it has no key")
        return list(dict.fromkeys(self.get_node_of_slot(s) for s in sorted(slots)))

    def get_node_of_slot(self, slot: int) -> ClusterNode:
        """The primary serving ``slot`` (a SlotNotCoveredError if none does)."""
        if isinstance(slot, bool) or not isinstance(slot, int) or not 0 <= slot < 16384:
            raise DataError(f"a slot is an int in 0..16383, got {slot!r}")
        node = self._topology.slots.primaries[slot]
        if node is None:
            raise SlotNotCoveredError(f'Slot "{slot}" is not covered by the cluster.')
        return node

    @property
    def read_from_replicas(self) -> bool:
        """True when reads may go to replicas (read_from_replicas= or a load_balancing_strategy).
        Settable, as in redis-py: True sends READONLY (False: READWRITE) on every open node
        connection before any later command on it, and reads follow round robin (or stop
        going to replicas)."""
        return self._read_from_replicas

    @read_from_replicas.setter
    def read_from_replicas(self, value: bool) -> None:
        value = flag("read_from_replicas", value)
        if value == self._read_from_replicas:
            return
        self.load_balancing_strategy = LoadBalancingStrategy.ROUND_ROBIN if value else None
        self._read_from_replicas = value
        self._simple.clear()  # routes cached for the hot path are re-learnt
        cmd = ("READONLY",) if value else ("READWRITE",)
        here = _get_running_loop()
        for conn in self._topology.all_connections():
            if conn._loop is here or here is None and not conn._loop.is_running():
                conn.send_and_forget(cmd)
            elif not conn._loop.is_closed():  # another thread's loop: asked, not touched
                conn._loop.call_soon_threadsafe(conn.send_and_forget, cmd)

    @property
    def reinitialize_steps(self) -> int | None:
        """A full refresh after every Nth MOVED (None: every MOVED asks for one, rate-limited)."""
        return self._topology.reinitialize_steps

    @property
    def reinitialize_counter(self) -> int:
        """MOVED answers counted towards the next reinitialize_steps refresh."""
        return self._topology._moved

    @property
    def node_flags(self) -> frozenset[str]:
        return self.NODE_FLAGS

    def get_node(self, host: str | None = None, port: int | None = None,
                 node_name: str | None = None) -> ClusterNode | None:
        if node_name is None:
            if host is None or port is None:
                raise DataError("get_node needs host and port, or node_name")
            node_name = f"{host}:{port}"
        host, port = split_address(node_name)
        return self._topology.nodes.get(f"{host}:{port}")

    def keyslot(self, key: Any) -> int:
        return key_slot(key, self._encoding)

    def get_node_from_key(self, key: Any, replica: bool = False) -> ClusterNode | None:
        slot = self.keyslot(key)
        if replica:
            reps = self._topology.slots.replicas[slot]
            return reps[0] if reps else None
        return self._topology.slots.primaries[slot]

    @property
    def topology(self) -> Topology:
        """The slot map and discovery state (``queries`` / ``refreshes`` counters)."""
        return self._topology

    def _node_for(self, slot: int, readonly: bool) -> ClusterNode | None:
        """The node for a command on ``slot``: its primary, or for a read with a
        load_balancing_strategy, a node of its shard chosen by it (redis-py's rules)."""
        slots = self._topology.slots
        primary = slots.primaries[slot]
        strategy = self.load_balancing_strategy
        if readonly and strategy is not None and primary is not None:
            reps = slots.replicas[slot]
            if reps:
                if strategy is LoadBalancingStrategy.RANDOM_REPLICA:
                    return random.choice(reps)
                if strategy is LoadBalancingStrategy.RANDOM:
                    i = random.randrange(len(reps) + 1)
                else:  # round robin per shard: primary (unless replicas only), replicas
                    i = self._rr.get(primary.name, 0) % (len(reps) + 1)
                    if i == 0 and strategy is LoadBalancingStrategy.ROUND_ROBIN_REPLICAS:
                        i = 1
                    self._rr[primary.name] = i + 1
                return reps[i - 1] if i else primary
        return primary

    def _keyless_nodes(self, route: Route) -> list[ClusterNode]:
        """Where a command without keys goes, by its request_policy tip."""
        policy = route.request_policy
        if route.response_policy == "special":
            # no general rule merges these (INFO, RANDOMKEY ...): one node answers, as in
            # redis-py; rc.target(...) asks several and returns {node: reply}
            policy = None
        if policy == "all_shards":
            return self.get_primaries()
        if policy == "all_nodes":
            return self.get_nodes()
        return [self._default_node(route.readonly)]

    def _default_node(self, readonly: bool) -> ClusterNode:
        strategy = self.load_balancing_strategy
        if readonly and strategy is not None and self.get_replicas():
            if strategy in _REPLICAS_ONLY:
                return random.choice(self.get_replicas())
            return random.choice(self.get_nodes())
        return self.get_default_node()

    def _resolve(self, target: Any) -> list[ClusterNode]:
        check_target_nodes(target)
        if isinstance(target, str):
            t = target.lower()
            if t == self.PRIMARIES:
                return self.get_primaries()
            if t == self.REPLICAS:
                replicas = self.get_replicas()
                if not replicas:  # not silently nowhere (redis-py: "No targets were found")
                    raise ClusterError("target_nodes=REPLICAS: the cluster has no replica")
                return replicas
            if t == self.ALL_NODES:
                return self.get_nodes()
            if t == self.RANDOM:
                return [self.get_random_node()]
            return [self.get_default_node()]
        if isinstance(target, ClusterNode):
            return [self._known(target)]
        if isinstance(target, Mapping):  # redis-py allows {name: node}
            target = target.values()
        return [self._known(n) for n in target]

    def _known(self, node: ClusterNode) -> ClusterNode:
        # the map's own node object (its shared connection), even for a ClusterNode the
        # caller built; by name first, as address_remap already applied to the map's names
        return self._topology.nodes.get(node.name) or self._topology.node(node.name)
