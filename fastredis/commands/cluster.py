"""CLUSTER sub-commands on a single node: ``r.cluster("INFO")``, ``r.cluster("KEYSLOT", k)``
... as redis-py's ``Redis.cluster``. (The cluster client, with routing, lives in
``fastredis.cluster``.) Replies of INFO / NODES / REPLICAS are parsed as redis-py parses
them; sub-commands that answer ``OK`` give True; the rest are returned as sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr, Callable

from ..exceptions import DataError
from ._base import CommandsBase, ok, to_str

if TYPE_CHECKING:
    from ..typing import EncodableT, KeyT, Reply, TargetNodesT


def parse_cluster_info(reply: Any) -> dict[str, str]:
    """CLUSTER INFO text -> {field: value}, both str."""
    return dict(line.split(":", 1) for line in to_str(reply).splitlines() if line)


def _node_line(line: str) -> tuple[str, dict[str, Any]]:
    items = line.split(" ")
    node_id, addr, flags, master_id, ping, pong, epoch, connected = items[:8]
    node: dict[str, Any] = {
        "node_id": node_id,
        "hostname": addr.split("@")[1].split(",")[1] if "@" in addr and "," in addr else "",
        "flags": flags,
        "master_id": master_id,
        "last_ping_sent": ping,
        "last_pong_rcvd": pong,
        "epoch": epoch,
        "slots": [],
        "migrations": [],
        "connected": connected == "connected",
    }
    for part in items[8:]:
        if "->-" in part:
            slot, dst = part[1:-1].split("->-", 1)
            node["migrations"].append({"slot": slot, "node_id": dst, "state": "migrating"})
        elif "-<-" in part:
            slot, src = part[1:-1].split("-<-", 1)
            node["migrations"].append({"slot": slot, "node_id": src, "state": "importing"})
        else:
            node["slots"].append(part.split("-"))
    return addr.split("@")[0], node


def parse_cluster_nodes(reply: Any) -> dict[str, dict[str, Any]]:
    """CLUSTER NODES / REPLICAS -> {'ip:port': {'node_id', 'flags', 'slots', ...}}."""
    lines = to_str(reply).splitlines() if isinstance(reply, (str, bytes)) else reply
    return dict(_node_line(to_str(line)) for line in lines if line)


_OK_SUBCOMMANDS = frozenset((
    "ADDSLOTS", "ADDSLOTSRANGE", "DELSLOTS", "DELSLOTSRANGE", "FAILOVER", "FORGET", "MEET",
    "REPLICATE", "RESET", "SAVECONFIG", "SET-CONFIG-EPOCH", "SETSLOT", "FLUSHSLOTS",
    "BUMPEPOCH",
))
_PARSERS: dict[str, Callable[[Any], Any]] = {
    "INFO": parse_cluster_info,
    "NODES": parse_cluster_nodes,
    "REPLICAS": parse_cluster_nodes,
    "SLAVES": parse_cluster_nodes,
    **{name: ok for name in _OK_SUBCOMMANDS},
}


class ClusterNodeCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def cluster(self, cluster_arg: str, *args: EncodableT,
                target_nodes: TargetNodesT | None = None) -> Reply[Any]:
        """Run ``CLUSTER <cluster_arg> *args`` on this node: INFO -> dict of str, NODES ->
        dict per node, OK answers -> True, others as the server sends them (KEYSLOT ->
        int, MYID -> id ...). Outside cluster mode the server answers with a ResponseError."""
        if not isinstance(cluster_arg, str) or not cluster_arg:
            raise DataError("cluster() needs the sub-command name as a str, e.g. 'INFO'")
        sub: str = cluster_arg.upper()
        return self._execute_on(target_nodes, ("CLUSTER", *sub.split(" "), *args), _PARSERS.get(sub))

    # redis-py's RedisCluster names these; where it takes target_nodes (positionally
    # too) so do they. Without it a RedisCluster asks one node, as redis-py does; a Redis
    # asks its server (a cluster node). Not here: CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT
    # (must go to the slot's owner, which the command table cannot tell: use
    # ``rc.cluster("COUNTKEYSINSLOT", slot, target_nodes=rc.get_node_from_key(...))``),
    # SLOTS / SHARDS / LINKS (redis-py reshapes them: ``cluster("SHARDS")`` gives the raw
    # reply), and the slot-assigning and destructive ones (ADDSLOTS, RESET ...: ``cluster()``).
    def cluster_info(self, target_nodes: TargetNodesT | None = None) -> Reply[dict[str, str]]:
        """CLUSTER INFO: the node's view of the cluster as {field: value}, both str."""
        return self._execute_on(target_nodes, ("CLUSTER", "INFO"), parse_cluster_info)

    def cluster_nodes(self, *, target_nodes: TargetNodesT | None = None
                      ) -> Reply[dict[str, dict[str, Any]]]:
        """CLUSTER NODES: {'ip:port': {'node_id', 'flags', 'master_id', 'slots', ...}}."""
        return self._execute_on(target_nodes, ("CLUSTER", "NODES"), parse_cluster_nodes)

    def cluster_replicas(self, node_id: str, target_nodes: TargetNodesT | None = None
                         ) -> Reply[dict[str, dict[str, Any]]]:
        """CLUSTER REPLICAS: the replicas of the primary ``node_id``, shaped as cluster_nodes."""
        return self._execute_on(target_nodes, ("CLUSTER", "REPLICAS", node_id), parse_cluster_nodes)

    def cluster_myid(self, target_node: TargetNodesT | None = None) -> Reply[AnyStr]:
        """CLUSTER MYID: the node's id (redis-py requires ``target_node`` on a cluster; here
        without it one node answers)."""
        return self._execute_on(target_node, ("CLUSTER", "MYID"))

    def cluster_myshardid(self, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """CLUSTER MYSHARDID (Redis >= 7.2): the id of the node's shard (bytes, as redis-py;
        str with decode_responses)."""
        return self._execute_on(target_nodes, ("CLUSTER", "MYSHARDID"))

    def cluster_keyslot(self, key: KeyT) -> Reply[int]:
        """CLUSTER KEYSLOT: the hash slot of ``key``, as the server computes it."""
        return self._execute(("CLUSTER", "KEYSLOT", key))

    def cluster_meet(self, host: str, port: int, target_nodes: TargetNodesT | None = None
                     ) -> Reply[bool]:
        """CLUSTER MEET: introduce the node at host:port to the cluster; True."""
        return self._execute_on(target_nodes, ("CLUSTER", "MEET", host, port), ok)

    def cluster_save_config(self, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """CLUSTER SAVECONFIG: write the node's nodes.conf now; True."""
        return self._execute_on(target_nodes, ("CLUSTER", "SAVECONFIG"), ok)
