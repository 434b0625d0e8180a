"""Cluster pieces without a server: slots, addresses, views, consensus, routing."""

from __future__ import annotations

import pytest

from fastredis.cluster.routing import Router, _route, aggregate
from fastredis.cluster.slots import key_slot, parse_shards, parse_slots, split_address
from fastredis.cluster.topology import Topology


def test_key_slot_matches_the_spec():
    # values from the Redis cluster spec / CLUSTER KEYSLOT
    assert key_slot("foo") == 12182
    assert key_slot(b"bar") == 5061
    assert key_slot("{user1000}.following") == key_slot("{user1000}.followers") == key_slot("user1000")
    assert key_slot("foo{}{bar}") == key_slot("foo{}{bar}")  # empty tag: whole key hashed
    assert key_slot("foo{}{bar}") != key_slot("bar")
    assert key_slot("foo{{bar}}zap") == key_slot("{bar")
    assert key_slot(123) == key_slot("123")


def test_ipv6_addresses_split_at_the_last_colon():
    assert split_address("fd01::1:6379") == ("fd01::1", 6379)
    assert split_address("[::1]:7000") == ("::1", 7000)
    assert split_address("127.0.0.1:7000") == ("127.0.0.1", 7000)


SHARDS = [
    [b"slots", [0, 100, 200, 300], b"nodes", [
        [b"id", b"a", b"port", 7000, b"ip", b"::1", b"role", b"master", b"health", b"online"],
        [b"id", b"b", b"port", 7003, b"ip", b"::1", b"role", b"replica", b"health", b"online"],
        [b"id", b"c", b"port", 7006, b"ip", b"::1", b"role", b"replica", b"health", b"loading"],
    ]],
    [b"slots", [101, 199], b"nodes", [
        [b"id", b"d", b"port", 7001, b"ip", b"10.0.0.2", b"role", b"master", b"health", b"online"],
        [b"id", b"e", b"port", 7004, b"ip", b"10.0.0.2", b"role", b"master", b"health", b"fail"],
    ]],
]


def test_shards_view_skips_failed_and_loading_nodes_and_remaps():
    view, meta = parse_shards(SHARDS, "x:1", remap=lambda a: ("nat-" + a[0], a[1] + 1))
    assert view == (
        (((0, 100), (200, 300)), "nat-::1:7001", ("nat-::1:7004",)),
        (((101, 199),), "nat-10.0.0.2:7002", ()),
    )
    assert meta["nat-::1:7001"]["node_id"] == "a"


def test_slots_view_equals_shards_view():
    slots = [[0, 100, [b"h", 7000, b"a"], [b"h", 7003, b"b"]], [200, 300, [b"h", 7000, b"a"], [b"h", 7003, b"b"]]]
    view, _ = parse_slots(slots, "h:7000")
    assert view == ((((0, 100), (200, 300)), "h:7000", ("h:7003",)),)


def test_consensus_keeps_the_majority_view():
    a = ((((0, 16383),), "h:1", ()),)
    b = ((((0, 16383),), "h:2", ()),)
    partial = ((((0, 10),), "h:3", ()),)
    view, _ = Topology._consensus([(a, {}), (b, {}), (b, {}), (partial, {})])
    assert view == b
    view, _ = Topology._consensus([(partial, {}), (a, {})])  # tie: more slots covered wins
    assert view == a


def test_key_specs_find_movable_keys():
    eval_entry = [b"eval", -3, [b"movablekeys"], 0, 0, 0, [], [], [
        [b"flags", [b"RW"], b"begin_search", [b"type", b"index", b"spec", [b"index", 2]],
         b"find_keys", [b"type", b"keynum", b"spec", [b"keynumidx", 0, b"firstkey", 1, b"keystep", 1]]]
    ], []]
    xread = [b"xread", -4, [b"readonly", b"movablekeys"], 0, 0, 0, [], [], [
        [b"flags", [b"RO"], b"begin_search", [b"type", b"keyword", b"spec", [b"keyword", b"STREAMS", b"startfrom", 1]],
         b"find_keys", [b"type", b"range", b"spec", [b"lastkey", -1, b"keystep", 1, b"limit", 2]]]
    ], []]
    mset = [b"mset", -3, [b"write"], 1, -1, 2, [], [b"request_policy:multi_shard", b"response_policy:all_succeeded"], [
        [b"flags", [b"OW"], b"begin_search", [b"type", b"index", b"spec", [b"index", 1]],
         b"find_keys", [b"type", b"range", b"spec", [b"lastkey", -1, b"keystep", 2, b"limit", 0]]]
    ], []]
    r = Router([eval_entry, xread, mset])
    assert r.lookup(("EVAL", "s", 2, "k1", "k2", "arg")).positions(("EVAL", "s", 2, "k1", "k2", "arg")) == [3, 4]
    args = ("XREAD", "COUNT", 2, "STREAMS", "s1", "s2", "0", "0")
    assert r.lookup(args).positions(args) == [4, 5]
    assert r.lookup(args).readonly
    m = r.lookup(("mset",))
    assert m.positions(("MSET", "a", 1, "b", 2)) == [1, 3]
    assert (m.request_policy, m.response_policy) == ("multi_shard", "all_succeeded")
    assert _route(mset).simple is False


def test_aggregation_by_response_policy():
    assert aggregate("agg_sum", [1, 2, 3]) == 6
    assert aggregate(None, [[b"a"], [b"b", b"c"]]) == [b"a", b"b", b"c"]
    assert aggregate("all_succeeded", [b"OK", b"OK"]) == b"OK"
    with pytest.raises(ValueError):
        aggregate("agg_sum", [b"x"])


class _FakeConn:
    def __init__(self, reply):
        self.reply = reply

    def execute(self, args):
        import asyncio

        fut = asyncio.get_running_loop().create_future()
        if isinstance(self.reply, Exception):
            fut.set_exception(self.reply)
        else:
            fut.set_result(self.reply)
        return fut


def _shards(primary_port: int) -> list:
    return [[b"slots", [0, 16383], b"nodes", [
        [b"id", b"x", b"port", primary_port, b"ip", b"10.0.0.1", b"role", b"master", b"health", b"online"]]]]


async def test_discovery_asks_several_nodes_at_once_and_keeps_the_seeds():
    from fastredis.exceptions import ConnectionError

    asked: list[str] = []
    answers: dict[str, object] = {}

    async def opener(node):
        asked.append(node.name)
        reply = answers[node.name]
        if isinstance(reply, ConnectionError):
            raise reply
        return _FakeConn(reply)

    topo = Topology([("seed.example", 7000)], opener)
    answers["seed.example:7000"] = _shards(7001)
    await topo.refresh()
    assert [n.name for n in topo.primaries()] == ["10.0.0.1:7001"]
    # a map of 4 primaries; 3 say one thing, 1 (partitioned) another: the majority wins
    view = [[b"slots", [i * 4096, i * 4096 + 4095], b"nodes", [
        [b"id", b"n%d" % i, b"port", 7001 + i, b"ip", b"10.0.0.1", b"role", b"master"]]]
        for i in range(4)]
    answers["10.0.0.1:7001"] = view
    await topo.refresh()
    assert len(topo.primaries()) == 4
    asked.clear()
    for i in range(4):
        answers[f"10.0.0.1:{7001 + i}"] = view
    answers["10.0.0.1:7004"] = _shards(7004)
    topo.min_interval = 0
    await topo.refresh()
    assert len(asked) >= 3  # ⌈log2 4⌉+1 nodes, concurrently
    assert len(topo.primaries()) == 4
    # every known node is gone: the seed (DNS name, asked again) brings the map back
    for name in list(answers):
        answers[name] = ConnectionError("refused")
    answers["seed.example:7000"] = _shards(7009)
    await topo.refresh()
    assert [n.name for n in topo.primaries()] == ["10.0.0.1:7009"]
    assert "seed.example:7000" in asked
