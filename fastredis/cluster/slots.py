"""Slots, nodes and the slot map: who serves which of the 16384 slots.

Pure data, no I/O: ``key_slot`` (CRC16 of the key or of its ``{hash tag}``), ``ClusterNode``
(one address; its one multiplexed connection is attached by the client), ``SlotMap`` (slot
-> shard: primary + replicas) and the parsers of ``CLUSTER SHARDS`` / ``CLUSTER SLOTS`` into
one normalised *view* that discovery can compare between nodes (topology.py)."""

from __future__ import annotations

from binascii import crc_hqx
from enum import Enum
from itertools import count as _count
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .._protocol import Connection

__all__ = ["SLOTS", "ROUTING", "key_slot", "SlotCache", "ClusterNode", "Shard", "SlotMap", "View", "parse_shards",
           "parse_slots", "split_address", "PRIMARY", "REPLICA", "LoadBalancingStrategy"]

SLOTS = 16384
PRIMARY = "primary"
REPLICA = "replica"


class Epoch:
    """A number that moves on whenever a slot's owner or a node's shared connection
    changes (a new slot map, a MOVED patch, a connection attached or dropped): a table
    built from them (``Topology.connections``) is current while the number it was built
    at is. One for the process; ``next()`` of a count, so a bump from another thread is
    never lost."""

    __slots__ = ("value", "_next")

    def __init__(self) -> None:
        self._next = _count(1)
        self.value = 0

    def bump(self) -> None:
        self.value = next(self._next)


ROUTING = Epoch()


def key_slot(key: Any, encoding: str = "utf-8") -> int:
    """The hash slot of a key: CRC16-XMODEM (``binascii.crc_hqx``, C) of the key, or of the
    part between the first ``{`` and the next ``}`` when that part is not empty (Redis
    cluster spec, "Hash tags")."""
    if key.__class__ is str:
        key = key.encode(encoding)
    elif key.__class__ is not bytes:
        key = _key_bytes(key, encoding)
    if b"{" in key:  # rare: only then look for a hash tag (`in` is cheaper than find)
        start = key.find(b"{")
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return crc_hqx(key, 0) & 16383


def _key_bytes(key: Any, encoding: str) -> bytes:
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key)
    if isinstance(key, str):
        return str(key).encode(encoding)
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return repr(key).encode() if isinstance(key, float) else str(int(key)).encode()
    from ..exceptions import DataError

    raise DataError(f"Invalid key of type {type(key).__name__!r}: use bytes, str, int or float")


class SlotCache:
    """The slot of recently used ``str``/``bytes`` keys: a dict lookup (~30 ns) instead
    of encode + CRC16 (~200 ns) on the hot path; for the split MGET/DEL/MSET, the slot and
    the key packed as a RESP bulk string in one lookup. Bounded: emptied when full, so a
    huge key space costs one extra dict store per key and never grows memory. Only str and
    bytes keys are stored (1 == 1.0 == True as dict keys, but they are different Redis
    keys), so a lookup with any other hashable key simply misses."""

    __slots__ = ("slots", "keys", "encoding", "errors", "limit")

    def __init__(self, encoding: str = "utf-8", limit: int = 8192, errors: str = "strict") -> None:
        self.slots: dict[str | bytes, int] = {}
        self.keys: dict[Any, tuple[int, bytes]] = {}  # key -> (slot, b"$7\r\nbench:1\r\n")
        self.encoding = encoding
        self.errors = errors
        self.limit = limit

    def slot(self, key: Any) -> int:
        """``key_slot(key)``, remembered for str and bytes keys."""
        cls = key.__class__
        if cls is str or cls is bytes:
            slot = self.slots.get(key)
            if slot is None:
                slot = key_slot(key, self.encoding)
                if len(self.slots) >= self.limit:
                    self.slots.clear()
                self.slots[key] = slot
            return slot
        return key_slot(key, self.encoding)

    def packed(self, key: Any) -> tuple[int, bytes]:
        """(slot, the key as a RESP bulk string), remembered for str and bytes keys; other
        keys are packed by ``pack``'s rules (a DataError for a type Redis cannot take)."""
        cls = key.__class__
        if cls is str:
            data = key.encode(self.encoding, self.errors)
        elif cls is bytes:
            data = key
        else:
            from .._pack import pack

            enc = self.encoding
            utf8 = enc.lower().replace("_", "-") in ("utf-8", "utf8") and self.errors == "strict"
            return key_slot(key, enc), pack((key,), None if utf8 else enc, self.errors)[4:]
        entry = (key_slot(key, self.encoding), b"$%d\r\n%s\r\n" % (len(data), data))
        if len(self.keys) >= self.limit:
            self.keys.clear()
        self.keys[key] = entry
        return entry


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` split at the LAST colon: ``fd01::1:6379`` is IPv6 host ``fd01::1``
    (redis/redis#6238, node-redis#2269 got this wrong); ``[::1]:6379`` is accepted too."""
    host, _, port = address.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def _name(host: str, port: int) -> str:
    return f"{host}:{port}"


class ClusterNode:
    """One cluster node. ``name`` is ``host:port`` (redis-py's spelling); ``server_type``
    is ``"primary"`` or ``"replica"`` in the current map. The client gives each node a
    ``pool`` (nodes.py: a ConnectionPool); ``connection`` is its shared, multiplexed
    connection (the first live event loop's), the one the hot path reads."""

    __slots__ = ("host", "port", "name", "server_type", "node_id", "tls_hostname",
                 "connection", "pool", "__weakref__")

    def __init__(self, host: str, port: int, server_type: str | None = None,
                 node_id: str | None = None) -> None:
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        self.host = host
        self.port = int(port)
        self.name = _name(host, self.port)
        self.server_type = server_type
        self.node_id = node_id
        self.tls_hostname: str | None = None
        self.connection: Connection | None = None
        self.pool: Any = None  # a NodePool, made by the client that first uses the node

    def __repr__(self) -> str:
        return f"<ClusterNode {self.name} {self.server_type or 'unknown'}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClusterNode) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


# A view: what one node says about the cluster, normalised so that two nodes with the
# same opinion give equal views. Each shard: ((start, end), ...), primary address,
# replica addresses (sorted), and per address the node id and TLS hostname.
Shard = tuple[tuple[tuple[int, int], ...], str, tuple[str, ...]]
View = tuple[Shard, ...]


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def _pairs(flat: Any) -> dict[str, Any]:
    if isinstance(flat, dict):
        return {_s(k): v for k, v in flat.items()}
    it = iter(flat)
    return {_s(k): v for k, v in zip(it, it)}


Remap = Callable[[tuple[str, int]], tuple[str, int]]


def _address(host: str, port: int, remap: Remap | None) -> str:
    if remap is not None:
        host, port = remap((host, port))
    return _name(host, int(port))


def parse_shards(reply: Any, queried: str, remap: Remap | None = None,
                 tls: bool = False) -> tuple[View, dict[str, dict[str, Any]]]:
    """``CLUSTER SHARDS`` (Redis >= 7) into a view, skipping failed nodes; a ``loading``
    replica is kept out of the read rotation (it would answer LOADING)."""
    shards: list[Shard] = []
    meta: dict[str, dict[str, Any]] = {}
    for raw in reply:
        shard = _pairs(raw)
        flat = list(shard.get("slots") or [])
        ranges = tuple((int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2))
        primary = None
        replicas: list[str] = []
        for raw_node in shard.get("nodes") or []:
            n = _pairs(raw_node)
            health = _s(n.get("health", "online"))
            if health == "fail":
                continue
            host = _s(n.get("ip") or n.get("endpoint") or "")
            if not host or host == "?":
                host = queried.rpartition(":")[0]  # the node we asked doesn't know its own ip
            port = n.get("tls-port") if tls and n.get("tls-port") else n.get("port")
            if port is None:
                continue
            addr = _address(host, int(port), remap)
            meta[addr] = {"node_id": _s(n.get("id", "")), "hostname": _s(n.get("hostname") or "")}
            if _s(n.get("role")) == "master":
                primary = addr
            elif health == "online":
                replicas.append(addr)
        if ranges and primary is not None:
            shards.append((tuple(sorted(ranges)), primary, tuple(sorted(replicas))))
    return tuple(sorted(shards)), meta


def parse_slots(reply: Any, queried: str, remap: Remap | None = None,
                tls: bool = False) -> tuple[View, dict[str, dict[str, Any]]]:
    """``CLUSTER SLOTS`` (the fallback before Redis 7) into a view."""
    by_primary: dict[tuple[str, tuple[str, ...]], list[tuple[int, int]]] = {}
    meta: dict[str, dict[str, Any]] = {}
    for entry in reply:
        start, end = int(entry[0]), int(entry[1])
        addrs = []
        for node in entry[2:]:
            host = _s(node[0]) or queried.rpartition(":")[0]
            addr = _address(host, int(node[1]), remap)
            addrs.append(addr)
            meta[addr] = {"node_id": _s(node[2]) if len(node) > 2 else "", "hostname": ""}
        key = (addrs[0], tuple(sorted(addrs[1:])))
        by_primary.setdefault(key, []).append((start, end))
    shards = [(tuple(sorted(r)), p, reps) for (p, reps), r in by_primary.items()]
    return tuple(sorted(shards)), meta


def coverage(view: View) -> int:
    return sum(e - s + 1 for shard in view for s, e in shard[0])


class SlotMap:
    """slot -> primary node, slot -> replicas; built from a view, patched by MOVED."""

    __slots__ = ("primaries", "replicas", "view")

    def __init__(self, view: View = (), nodes: dict[str, ClusterNode] | None = None) -> None:
        self.primaries: list[ClusterNode | None] = [None] * SLOTS
        self.replicas: list[tuple[ClusterNode, ...]] = [()] * SLOTS
        self.view = view
        nodes = nodes if nodes is not None else {}
        for ranges, primary, replicas in view:
            p = nodes[primary]
            reps = tuple(nodes[r] for r in replicas)
            for start, end in ranges:
                for slot in range(start, end + 1):
                    self.primaries[slot] = p
                    self.replicas[slot] = reps

    def uncovered(self) -> int:
        return sum(1 for n in self.primaries if n is None)

    def uncovered_ranges(self) -> list[tuple[int, int]]:
        """The slots nobody serves, as ``(start, end)`` ranges (for error messages)."""
        out: list[tuple[int, int]] = []
        for slot, node in enumerate(self.primaries):
            if node is None:
                if out and out[-1][1] == slot - 1:
                    out[-1] = (out[-1][0], slot)
                else:
                    out.append((slot, slot))
        return out


class LoadBalancingStrategy(str, Enum):
    """How a read-only command picks a node of its shard (redis-py's
    ``redis.cluster.LoadBalancingStrategy``, same values; redis-py's own members and the
    plain strings are accepted too). Setting one sends reads to replicas (``READONLY``)."""

    ROUND_ROBIN = "round_robin"  #: primary and replicas in turn
    ROUND_ROBIN_REPLICAS = "round_robin_replicas"  #: the replicas in turn (primary if none)
    RANDOM = "random"  #: any node of the shard, at random
    RANDOM_REPLICA = "random_replica"  #: a replica at random (primary if none)

    @classmethod
    def of(cls, value: Any) -> LoadBalancingStrategy | None:
        """Ours, redis-py's member or its string value -> ours; None stays None."""
        if value is None or isinstance(value, cls):
            return value
        raw = getattr(value, "value", value)  # redis-py's enum member: its string value
        if isinstance(raw, str):
            try:
                return cls(raw.lower())
            except ValueError:
                pass
        elif not isinstance(value, Enum):
            raise TypeError(
                f"load_balancing_strategy takes a LoadBalancingStrategy or its string value, got {type(value).__name__}")
        from ..exceptions import DataError

        raise DataError(f"unknown load_balancing_strategy {value!r}: one of {', '.join(m.value for m in cls)}")
