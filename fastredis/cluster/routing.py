"""Where a command goes, from the server's own metadata.

``COMMAND`` is fetched once per client (first connection) and turned into one ``Route`` per
command (and per subcommand: ``OBJECT|ENCODING``): where its keys are (Redis 7 key specs,
so movable-key commands such as EVAL, ZUNIONSTORE and XREAD are read without a table),
whether it is read-only (may go to a replica, may be retried after a lost connection) and
its tips (``request_policy`` / ``response_policy``: DBSIZE summed over every primary, MGET
split per slot, FLUSHALL on all primaries ...). A small static table is only the fallback
for a server whose ``COMMAND`` is unavailable (renamed or ACL-denied)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

from ..exceptions import DataError
from .slots import ClusterNode

__all__ = ["Route", "Router", "FALLBACK", "aggregate", "merge_replies",
           "check_target_nodes"]


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def _pairs(flat: Any) -> dict[str, Any]:
    if isinstance(flat, dict):
        return {_s(k): v for k, v in flat.items()}
    it = iter(flat)
    return {_s(k): v for k, v in zip(it, it)}


class _Spec:
    """One Redis 7 key spec: where to begin searching, then how to find the keys."""

    __slots__ = ("begin", "index", "keyword", "startfrom", "find", "lastkey", "keystep",
                 "limit", "keynumidx", "firstkey")

    def __init__(self, raw: Any) -> None:
        d = _pairs(raw)
        bs = _pairs(d.get("begin_search") or [])
        fk = _pairs(d.get("find_keys") or [])
        self.begin = _s(bs.get("type", "unknown"))
        bspec = _pairs(bs.get("spec") or [])
        self.index = int(bspec.get("index", 0))
        self.keyword = _s(bspec.get("keyword", "")).upper().encode()
        self.startfrom = int(bspec.get("startfrom", 0))
        self.find = _s(fk.get("type", "unknown"))
        fspec = _pairs(fk.get("spec") or [])
        self.lastkey = int(fspec.get("lastkey", 0))
        self.keystep = int(fspec.get("keystep", 1)) or 1
        self.limit = int(fspec.get("limit", 0))
        self.keynumidx = int(fspec.get("keynumidx", 0))
        self.firstkey = int(fspec.get("firstkey", 1))

    def positions(self, args: tuple[Any, ...]) -> list[int] | None:
        """Indexes of the keys in ``args`` (None: the spec cannot tell)."""
        n = len(args)
        if self.begin == "index":
            begin = self.index
        elif self.begin == "keyword":
            kw = self.keyword
            if self.startfrom >= 0:
                rng = range(self.startfrom, n)
            else:
                rng = range(n + self.startfrom, 0, -1)
            begin = -1
            for i in rng:
                a = args[i]
                if isinstance(a, (str, bytes)) and (a.encode() if isinstance(a, str) else a).upper() == kw:
                    begin = i + 1
                    break
            if begin < 0:
                return []  # keyword absent: this spec has no keys here (e.g. SORT without STORE)
        else:
            return None
        if begin >= n:
            return []
        if self.find == "range":
            if self.lastkey >= 0:
                last = begin + self.lastkey
            elif self.limit > 1:
                last = begin + (n - begin) // self.limit - 1
            else:
                last = n + self.lastkey
            return list(range(begin, min(last, n - 1) + 1, self.keystep))
        if self.find == "keynum":
            try:
                count = int(args[begin + self.keynumidx])
            except (ValueError, TypeError, IndexError):
                raise DataError(f"{_s(args[0])}: the number of keys must be an integer") from None
            first = begin + self.firstkey
            return list(range(first, min(first + count * self.keystep, n), self.keystep))
        return None


# Tipped multi_shard by Redis 7.0 (agg_min), but split per slot MSETNX could set some keys
# and not others: it stays atomic, within one slot, or is refused.
_ALL_OR_NOTHING = frozenset(("MSETNX",))


class Route:
    """How one command (or subcommand) is routed."""

    __slots__ = ("name", "readonly", "blocking", "specs", "first", "last", "request_policy",
                 "response_policy", "subcommands", "simple", "keystep", "movable", "split_step")

    def __init__(self, name: str, flags: set[str], first: int, last: int, step: int,
                 tips: list[str], specs: list[_Spec]) -> None:
        self.name = name
        self.readonly = "readonly" in flags and "write" not in flags
        self.blocking = "blocking" in flags
        self.movable = "movablekeys" in flags
        self.specs = specs
        self.first = first
        self.last = last
        self.keystep = step or 1
        self.request_policy: str | None = None
        self.response_policy: str | None = None
        for tip in tips:
            k, _, v = tip.partition(":")
            if k == "request_policy":
                self.request_policy = v
            elif k == "response_policy":
                self.response_policy = v
        if name in _ALL_OR_NOTHING:
            self.request_policy = None  # splitting would break its all-or-nothing promise
        self.subcommands: dict[str, Route] | None = None
        # the hot path: exactly one key, at args[1] (GET, SET, INCR, HGET ...)
        self.simple = first == 1 and last == 1 and not self.movable and len(specs) <= 1
        # split per slot with no key search: every argument from args[1] on is a key
        # (MGET, DEL, EXISTS ...: 1) or a key and its value (MSET: 2); else 0
        self.split_step = (self.keystep if self.request_policy == "multi_shard" and first == 1
                           and last == -1 and self.keystep <= 2 and not self.movable else 0)

    def positions(self, args: tuple[Any, ...]) -> list[int] | None:
        if self.specs:
            out: list[int] = []
            for spec in self.specs:
                p = spec.positions(args)
                if p is None:
                    return None
                out.extend(p)
            return sorted(set(out)) if len(self.specs) > 1 else out
        if self.first <= 0:
            return []
        # legacy fields only (no key specs before Redis 7; the fallback table): first key,
        # last key (negative: from the end), step
        n = len(args)
        last = self.last if self.last >= 0 else n + self.last
        return list(range(self.first, min(last, n - 1) + 1, self.keystep))

    def __repr__(self) -> str:
        return f"<Route {self.name} ro={self.readonly} req={self.request_policy} resp={self.response_policy}>"


def _route(entry: Any) -> Route:
    name = _s(entry[0]).upper()
    flags = {_s(f).lower() for f in entry[2]}
    first, last, step = int(entry[3]), int(entry[4]), int(entry[5])
    tips = [_s(t).lower() for t in entry[7]] if len(entry) > 7 and entry[7] else []
    specs = [_Spec(s) for s in entry[8]] if len(entry) > 8 and entry[8] else []
    route = Route(name, flags, first, last, step, tips, specs)
    if len(entry) > 9 and entry[9]:
        route.subcommands = {}
        for sub in entry[9]:
            r = _route(sub)
            route.subcommands[r.name.partition("|")[2]] = r
    return route


def _fallback() -> dict[str, Route]:
    """Used only when ``COMMAND`` cannot be read: single-key commands at args[1], the few
    multi-key and keyless ones the client must know to stay correct."""
    routes: dict[str, Route] = {}
    keyless_all = {"DBSIZE": "agg_sum", "KEYS": None, "FLUSHALL": "all_succeeded",
                   "FLUSHDB": "all_succeeded", "PING": "all_succeeded"}
    for name, resp in keyless_all.items():
        r = Route(name, {"readonly"}, 0, 0, 0, ["request_policy:all_shards"] +
                  ([f"response_policy:{resp}"] if resp else []), [])
        routes[name] = r
    for name, step, resp, ro in (("MGET", 1, None, True), ("MSET", 2, "all_succeeded", False),
                                 ("DEL", 1, "agg_sum", False), ("UNLINK", 1, "agg_sum", False),
                                 ("EXISTS", 1, "agg_sum", True), ("TOUCH", 1, "agg_sum", True)):
        tips = ["request_policy:multi_shard"] + ([f"response_policy:{resp}"] if resp else [])
        routes[name] = Route(name, {"readonly"} if ro else {"write"}, 1, -1, step, tips, [])
    return routes


def _json_mget() -> Route:
    # RedisJSON declares JSON.MGET's keys as args[1] only (COMMAND: first=last=1), yet
    # reads every argument up to the path. Routed by that spec, a JSON.MGET across slots
    # goes to the first key's node, which answers None for the keys it does not hold: a
    # silent "missing" (what redis-py returns). Its keys are args[1:-1]: split per slot and
    # put back in order, like MGET.
    return Route("JSON.MGET", {"readonly"}, 1, -2, 1, ["request_policy:multi_shard"], [])


# commands whose server metadata under-declares their keys: name -> the corrected route
_CORRECTED = {"JSON.MGET": _json_mget}


FALLBACK = _fallback()
_GET_KEYS: Any = object()


class Router:
    """Routes by command name (as given: ``"GET"``, ``b"get"`` ...), built from COMMAND."""

    __slots__ = ("routes", "from_server", "_cache")

    def __init__(self, reply: Any = None) -> None:
        self.routes: dict[str, Route] = {}
        self.from_server = reply is not None
        if reply is not None:
            for entry in reply:
                r = _route(entry)
                self.routes[r.name] = r
            for name, make in _CORRECTED.items():
                if name in self.routes:  # the module is loaded
                    self.routes[name] = make()
        else:
            self.routes.update(FALLBACK)
            self.routes.update((name, make()) for name, make in _CORRECTED.items())
        self._cache: dict[Any, Route | None] = {}

    def lookup(self, args: tuple[Any, ...]) -> Route | None:
        name = args[0]
        cached = self._cache.get(name, _GET_KEYS)
        if cached is not _GET_KEYS:
            route: Route | None = cached
        else:
            key = _s(name).upper()
            route = self.routes.get(key)
            if route is None and not self.from_server:
                route = Route(key, set(), 1, 1, 1, [], [])  # unknown: assume one key at 1
            if len(self._cache) < 4096:
                self._cache[name] = route
        if route is not None and route.subcommands is not None and len(args) > 1:
            sub = route.subcommands.get(_s(args[1]).upper())
            if sub is not None:
                return sub
        return route


# Response aggregation by the server's response_policy tip (redis.io "Command tips").
def aggregate(policy: str | None, replies: list[Any]) -> Any:
    if policy and policy.startswith("agg_") and replies and isinstance(replies[0], list):
        # array replies are aggregated element by element (SCRIPT EXISTS: logical AND)
        return [aggregate(policy, list(col)) for col in zip(*replies)]
    if policy == "agg_sum":
        return sum(int(r) for r in replies)
    if policy == "agg_min":
        return min(replies)
    if policy == "agg_max":
        return max(replies)
    if policy == "agg_logical_and":
        return int(all(replies))
    if policy == "agg_logical_or":
        return int(any(replies))
    if policy in ("all_succeeded", "one_succeeded"):
        return replies[0]  # errors were raised already (all) / filtered (one)
    if policy == "union":  # client-side (_CLIENT_MERGE): a replica repeats its primary's keys
        return list(dict.fromkeys(x for r in replies for x in r))
    if policy == "numsub":  # client-side: subscribers per channel, summed over the nodes
        counts: dict[Any, int] = {}
        for r in replies:
            for ch, n in (r.items() if isinstance(r, dict) else zip(r[::2], r[1::2])):
                counts[ch] = counts.get(ch, 0) + int(n)
        return [x for pair in counts.items() for x in pair]
    # no policy: lists are merged (KEYS), anything else comes from the first node
    if replies and all(isinstance(r, list) for r in replies):
        out: list[Any] = []
        for r in replies:
            out.extend(r)
        return out
    return replies[0] if replies else None


Aggregator = Callable[[list[Any]], Any]


# Commands the server gives no response_policy tip (Redis 7: PUBSUB NUMSUB, BGSAVE, CLIENT
# PAUSE ...) whose answers from several chosen nodes still have one natural merge: redis-py's
# RedisCluster merges these itself (its RESULT_CALLBACKS), and code moving from it with
# ``target_nodes=`` expects the same shapes. Any other command without a rule answers
# ``{node_name: reply}``, as in redis-py.
_CLIENT_MERGE = {
    "keys": "union", "pubsub|channels": "union", "pubsub|shardchannels": "union",
    "pubsub|numsub": "numsub", "pubsub|shardnumsub": "numsub", "pubsub|numpat": "agg_sum",
    "save": "all_succeeded", "bgsave": "all_succeeded", "config|rewrite": "all_succeeded",
    "config|resetstat": "all_succeeded", "client|pause": "all_succeeded",
    "client|unpause": "all_succeeded", "client|unblock": "agg_logical_or",
}


def merge_replies(nodes: list[Any], replies: list[Any], route: Route | None,
                  callback: Callable[[Any], Any] | None, targeted: bool) -> Any:
    """One command's answer from ``nodes`` (a reply or an exception each, in order): the
    first error unless the tip asks for one success; ``targeted`` (the caller chose the
    nodes) with several nodes and no rule to merge: ``{node_name: reply}``; else the
    replies merged by the tip. ``callback`` shapes each reply, or the merged one."""
    policy = route.response_policy if route is not None else None
    errors = [r for r in replies if isinstance(r, BaseException)]
    if errors and not (policy == "one_succeeded" and len(errors) < len(replies)):
        raise errors[0]
    if targeted and len(nodes) > 1:
        if policy is None and route is not None:
            policy = _CLIENT_MERGE.get(route.name.lower())
        if policy == "special" or (policy is None and (
                route is None or route.request_policy not in ("all_shards", "all_nodes"))):
            # no rule merges the answers (INFO, CONFIG GET, TIME ...): one per node
            return {n.name: (r if callback is None else callback(r)) for n, r in zip(nodes, replies)}
    reply = aggregate(policy, [r for r in replies if not isinstance(r, BaseException)])
    return reply if callback is None else callback(reply)


_TARGETS = frozenset(("primaries", "replicas", "all", "random", "default-node"))


def check_target_nodes(target: Any) -> None:
    """A DataError, before anything is sent, unless ``target`` is what redis-py's
    ``target_nodes=`` takes: a constant (``RedisCluster.PRIMARIES`` ...), a ClusterNode, or
    a non-empty list (or dict values) of them."""
    if isinstance(target, str):
        if target.lower() in _TARGETS:
            return
        raise DataError(f"unknown target_nodes {target!r}: use RedisCluster.PRIMARIES, "
                        "REPLICAS, ALL_NODES, RANDOM or DEFAULT_NODE")
    if isinstance(target, ClusterNode):
        return
    nodes = list(target.values()) if isinstance(target, Mapping) else target
    if not isinstance(nodes, (list, tuple, set, frozenset)) or not all(
            isinstance(n, ClusterNode) for n in nodes):
        raise DataError("target_nodes must be RedisCluster.PRIMARIES / REPLICAS / ALL_NODES / "
                        f"RANDOM / DEFAULT_NODE, a ClusterNode or a list of them, not {target!r}")
    if not nodes:
        raise DataError("target_nodes is empty")
