"""The cluster hot paths (issue 10, speed): the one-key command with its slot cached, and
the split MGET/MSET/DEL that packs per slot by hand and writes once per node without the
general batch machinery, falling back to it only for the parts that need it."""

from __future__ import annotations

import asyncio

import pytest

from fastredis.cluster import RedisCluster
from fastredis.cluster import batch as cluster_batch
from fastredis.cluster.slots import SlotCache, key_slot
from fastredis.exceptions import ConnectionError, DataError


def test_slot_cache_is_bounded_and_keeps_int_and_str_apart():
    cache = SlotCache(limit=4)
    assert cache.slot("123456789") == 12739 == key_slot(b"123456789")  # the spec's CRC16 check value
    assert cache.slot(b"{user}:a") == cache.slot("user")
    assert cache.slot(1) == key_slot("1") and cache.slot(1.0) == key_slot("1.0") != cache.slot(1)
    assert cache.slot(True if False else 2) == key_slot("2")
    assert set(cache.slots) == {"123456789", b"{user}:a", "user"}  # only str/bytes remembered
    for i in range(10):
        cache.slot(f"k{i}")
    assert len(cache.slots) <= 4
    with pytest.raises(DataError):
        cache.slot(object())


async def test_key_slot_agrees_with_the_server_on_hash_tag_edge_cases(rc, redis_cluster):
    node = redis_cluster.live()[0]
    keys = ["{", "}", "{}", "}{", "{}{x}", "a{b}c{d}", "{{x}}", "x{", "x{}y", "{a}", "é{ü}",
            b"\xff{x}", b"\x00", "", 0, -12, 3.25]
    for key in keys:
        assert rc.keyslot(key) == redis_cluster.call(node, "CLUSTER", "KEYSLOT", key), key


async def test_one_key_hot_path_caches_route_and_slot(rc):
    assert await rc.set("hot", "v") is True
    assert await rc.get("hot") == b"v"
    assert await rc.execute_command(b"get", "hot") == b"v"
    assert rc._simple["GET"].name == "GET" and rc._simple[b"get"].name == "GET"
    assert rc._slot_of["hot"] == key_slot("hot")
    assert await rc.get(b"hot") == b"v" and rc._slot_of[b"hot"] == key_slot("hot")
    assert await rc.incr(7) == 1 and await rc.get(7) == b"1"  # int keys: not cached, still right
    with pytest.raises(DataError):
        await rc.get(object())
    await rc.aclose()  # empties the route cache: the next command initializes again
    assert not rc._simple
    assert await rc.get("hot") == b"v"


async def test_split_mget_writes_once_per_node_without_the_batch_machinery(rc, monkeypatch):
    keys = [f"m:{i}" for i in range(100)]
    assert await rc.mset({k: i for i, k in enumerate(keys)}) is True
    await rc.mget(keys)  # every node connection up

    async def no_run_many(*a, **k):
        raise AssertionError("the general batch path was used")

    monkeypatch.setattr(cluster_batch, "run_many", no_run_many)
    monkeypatch.setattr(type(rc), "_run_many", no_run_many)
    writes: dict[str, int] = {}
    names = {id(n.connection): n.name for n in rc.get_primaries()}
    cls = type(rc.get_primaries()[0].connection)
    original = cls.send_batch

    def counting(conn, data, count):
        writes[names[id(conn)]] = writes.get(names[id(conn)], 0) + 1
        return original(conn, data, count)

    monkeypatch.setattr(cls, "send_batch", counting)
    assert await rc.mget(keys + ["nope", keys[0]]) == [str(i).encode() for i in range(100)] + [None, b"0"]
    assert writes == {n.name: 1 for n in rc.get_primaries()}
    assert await rc.exists(*keys, "nope") == 100
    assert await rc.mset({"m:0": "é", b"m:1": b"\xff", "m:2": 2.5, "m:3": memoryview(b"mv")}) is True
    assert await rc.mget("m:0", b"m:1", "m:2", "m:3") == ["é".encode(), b"\xff", b"2.5", b"mv"]
    assert await rc.mget(["{t}a", "{t}b", "{t}a"]) == [None, None, None]  # several keys in one slot
    with pytest.raises(DataError):
        await rc.mset({"m:0": object(), "m:5": 1})
    assert await rc.get("m:0") == "é".encode()  # nothing was sent
    assert await rc.delete(*keys) == 100


async def test_split_mget_sends_a_moved_part_again_and_only_that_part(rc, redis_cluster, monkeypatch):
    keys = [f"mv:{i}" for i in range(30)]
    await rc.mset({k: k for k in keys})
    slot = rc.keyslot(keys[0])
    source = redis_cluster.owner(slot)
    target = next(p for p in redis_cluster.primaries() if p.port != source.port)
    await asyncio.to_thread(redis_cluster.migrate, slot, slot, target)  # the client's map is stale
    try:
        seen: list[list[int]] = []
        real = cluster_batch.run_many

        async def spy(client, items):
            seen.append([it.slot for it in items])
            await real(client, items)

        monkeypatch.setattr(cluster_batch, "run_many", spy)
        assert await rc.mget(keys) == [k.encode() for k in keys]
        assert seen == [[slot]]
        assert rc.topology.slots.primaries[slot].port == target.port
    finally:
        await asyncio.to_thread(redis_cluster.migrate, slot, slot, source)


async def test_split_mget_moved_slot_holding_several_keys_comes_back_in_order(rc, redis_cluster,
                                                                               monkeypatch):
    # keys sharing slots: one command per slot (not per key); the moved slot holds three
    # of them, and the node it left also serves one-key slots (both shapes of a node's part)
    tagged = ["{mvt}:a", "{mvt}:b", "{mvt}:c"]
    others = [f"mvo:{i}" for i in range(30)]
    keys = [others[0], tagged[0], *others[1:15], tagged[1], others[0], *others[15:], tagged[2]]
    await rc.mset({k: k for k in tagged + others})
    slot = rc.keyslot(tagged[0])
    source = redis_cluster.owner(slot)
    target = next(p for p in redis_cluster.primaries() if p.port != source.port)
    await rc.mget(keys)  # connections up, map known
    await asyncio.to_thread(redis_cluster.migrate, slot, slot, target)  # the client's map is stale
    try:
        seen: list[list[tuple[int | None, int]]] = []
        real = cluster_batch.run_many

        async def spy(client, items):
            seen.append([(it.slot, len(it.args) - 1) for it in items])
            await real(client, items)

        monkeypatch.setattr(cluster_batch, "run_many", spy)
        assert await rc.mget(keys) == [k.encode() for k in keys]
        assert seen == [[(slot, 3)]]  # only the moved slot's one command, its three keys
        assert await rc.exists(*keys) == len(keys)
    finally:
        await asyncio.to_thread(redis_cluster.migrate, slot, slot, source)


async def test_split_write_lost_in_flight_is_reported_never_resent(rc, monkeypatch):
    keys = [f"w:{i}" for i in range(40)]
    await rc.mget(keys)  # connections up
    node = rc.get_node_from_key(keys[0])
    conn = node.connection
    original = type(conn).send_batch

    def send_then_drop(self, data, count):
        fut = original(self, data, count)
        if self is conn:
            conn.abort("dropped by the test")
        return fut

    monkeypatch.setattr(type(conn), "send_batch", send_then_drop)
    with pytest.raises(ConnectionError, match="outcome is unknown"):
        await rc.mset({k: 1 for k in keys})


async def test_split_read_lost_in_flight_is_sent_again(rc, monkeypatch):
    keys = [f"r:{i}" for i in range(40)]
    await rc.mset({k: k for k in keys})
    node = rc.get_node_from_key(keys[0])
    conn = node.connection
    original = type(conn).send_batch

    def send_then_drop(self, data, count):
        fut = original(self, data, count)
        if self is conn:
            conn.abort("dropped by the test")
        return fut

    monkeypatch.setattr(type(conn), "send_batch", send_then_drop)
    assert await rc.mget(keys) == [k.encode() for k in keys]
    assert node.connection is not conn  # reopened for the parts sent again


async def test_pipeline_packs_each_command_once(rc, monkeypatch):
    packed = []
    real = type(rc)._pack

    def counting(self, args):
        packed.append(args)
        return real(self, args)

    monkeypatch.setattr(type(rc), "_pack", counting)
    p = rc.pipeline()
    for i in range(20):
        p.set(f"pp:{i}", i)
    p.get("pp:3").mget(["pp:1", "pp:2"])
    with pytest.raises(DataError):
        p.set("pp:x", object())  # still refused at the call site
    assert len(packed) == 23
    assert await p.execute() == [True] * 20 + [b"3", [b"1", b"2"]]
    assert len(packed) == 23  # not again at execute (the split MGET packs its parts itself)


async def test_split_mget_cancelled_while_a_node_is_slow_ends_at_once(rc, redis_cluster):
    keys = [f"c:{i}" for i in range(60)]
    await rc.mget(keys)  # connections up
    slow = [redis_cluster.server(n.port) for n in rc.get_primaries()[:2]]
    for server in slow:  # two nodes answer in 3 s
        redis_cluster.call(server, "CLIENT", "PAUSE", 3000, "ALL")
    try:
        task = asyncio.create_task(rc.mget(keys))
        await asyncio.sleep(0.05)  # written to every node
        task.cancel()
        # the caller leaves now, not when the slow node answers (bound far above a loop turn)
        done, _ = await asyncio.wait([task], timeout=1.5)
        assert done and task.cancelled()
    finally:
        for server in slow:
            redis_cluster.call(server, "CLIENT", "UNPAUSE")
    conns = [n.connection for n in rc.get_primaries()]
    for conn in conns:  # the answers the caller left behind now fail: none goes unseen
        conn.abort("dropped by the test")
    import gc

    gc.collect()
    await asyncio.sleep(0)
    assert await rc.mget(keys[:3]) == [None, None, None]


async def test_split_with_unhashable_keys_takes_the_general_path(rc):
    await rc.mset({"u:0": "a", "u:1": "b"})
    assert await rc.mget(bytearray(b"u:0"), memoryview(bytearray(b"u:1")), "nope") == [b"a", b"b", None]
    assert await rc.delete(bytearray(b"u:0"), memoryview(bytearray(b"u:1"))) == 2


async def test_socket_timeout_keeps_the_hot_path_and_still_times_out(redis_cluster, monkeypatch):
    async with RedisCluster(**redis_cluster.client_kwargs(socket_timeout=0.3)) as rc:
        await rc.set("to", "v")
        await rc.incr("to:n")
        assert await rc.get("to") == b"v"  # connections up, routes and slots cached

        async def no_slow_path(*a, **k):
            raise AssertionError("the slow path was used")

        with monkeypatch.context() as m:
            m.setattr(type(rc), "_run_slot", no_slow_path)
            assert await rc.get("to") == b"v"
            assert await rc.incr("to:n") == 2
        node = redis_cluster.server(rc.get_node_from_key("to").port)
        redis_cluster.call(node, "CLIENT", "PAUSE", 1500, "ALL")  # no answer within 0.3 s
        try:
            with pytest.raises(TimeoutError):
                await rc.get("to")
        finally:
            redis_cluster.call(node, "CLIENT", "UNPAUSE")
        assert await rc.get("to") == b"v"  # the client goes on (a new connection if need be)


@pytest.mark.parametrize("fast", [True, False], ids=["split-fast", "general"])
async def test_fallback_routing_table_splits_multi_key_commands_by_every_key(rc, fast, monkeypatch):
    # COMMAND unreadable (renamed, or denied by ACL): the static table must still find every
    # key of MGET/MSET/DEL, not only the first one (the server would answer CROSSSLOT)
    from fastredis.cluster.routing import Router

    rc._router = Router(None)
    rc._simple.clear()
    if not fast:
        async def slow(*a, **k):
            return cluster_batch._SLOW

        monkeypatch.setattr("fastredis.cluster.client.split_fast", slow)
        monkeypatch.setattr("fastredis.cluster.fanout.split_fast", slow)  # (mget of a list)
    keys = [f"fb:{i}" for i in range(20)]
    assert len({rc.keyslot(k) for k in keys}) > 3
    assert await rc.mset({k: k for k in keys}) is True
    assert await rc.mget(keys) == [k.encode() for k in keys]
    assert await rc.exists(*keys, "fb:none") == 20
    assert await rc.delete(*keys) == 20
    assert await rc.get(keys[0]) is None


@pytest.mark.parametrize("watched", [False, True], ids=["multi-exec", "watched"])
async def test_transaction_packs_each_command_once(rc, monkeypatch, watched):
    packed = []
    real = type(rc)._pack

    def counting(self, args):
        packed.append(args)
        return real(self, args)

    await rc.delete("{tx}:a")
    monkeypatch.setattr(type(rc), "_pack", counting)
    p = rc.pipeline(transaction=True)
    if watched:
        await p.watch("{tx}:a")
        p.multi()
    for _ in range(10):
        p.incr("{tx}:a")
    p.get("{tx}:a")
    assert len(packed) == 11
    packed.clear()
    assert await p.execute() == list(range(1, 11)) + [b"10"]
    assert packed == []  # the queued bytes were sent, not packed again


async def test_mget_of_a_list_goes_to_the_split_or_falls_back_with_the_same_answer(redis_cluster):
    keys = [f"ml:{i}" for i in range(30)]
    async with RedisCluster(**redis_cluster.client_kwargs()) as rc:
        assert await rc.mget(keys) == [None] * 30  # before initialize: the general path
        await rc.mset({k: k for k in keys})
        want = [k.encode() for k in keys]
        for node in rc.get_primaries():  # a node not connected: the split falls back
            if node.connection is not None:
                node.connection.close()
                break
        assert await rc.mget(keys) == want
        assert await rc.mget(keys) == want  # (the split, every connection up again)
        call = rc.mget(keys)  # the keys are taken at the call, as every command's arguments
        keys.append("ml:later")
        assert await call == want
        assert await rc.mget(keys) == [*want, None]
    async with RedisCluster(**redis_cluster.client_kwargs(socket_timeout=5)) as rc:
        assert await rc.mget(keys) == [*want, None]  # socket_timeout: the general path


async def test_split_uses_a_replaced_node_connection_at_once(rc, monkeypatch):
    # the split groups keys by a slot -> connection table; a node's connection replaced
    # (closed, reopened by the next command) must be seen by the very next split, not
    # after a detour through the general path
    keys = [f"rc:{i}" for i in range(60)]
    await rc.mset({k: k for k in keys})
    want = [k.encode() for k in keys]
    assert await rc.mget(keys) == want  # connections up, table built
    node = rc.get_node_from_key(keys[0])
    old = node.connection
    old.close()
    assert await rc.get(keys[0]) == want[0]  # reopens that node's connection
    assert node.connection is not None and node.connection is not old

    async def no_run_many(*a, **k):
        raise AssertionError("the general batch path was used")

    monkeypatch.setattr(cluster_batch, "run_many", no_run_many)
    monkeypatch.setattr(type(rc), "_run_many", no_run_many)
    assert await rc.mget(keys) == want
    assert await rc.delete(*keys) == 60


async def test_split_follows_a_slot_moved_by_a_patch_at_once(rc):
    # a MOVED patches the slot map in place: the slot -> connection table the split groups
    # keys by must not keep the old owner's connection for that slot
    keys = [f"mv:{i}" for i in range(40)]
    await rc.mset({k: k for k in keys})
    assert await rc.mget(keys) == [k.encode() for k in keys]  # table built
    slot = rc.keyslot(keys[0])
    owner = rc.get_node_from_key(keys[0])
    other = next(n for n in rc.get_primaries() if n.name != owner.name)
    assert rc._topology.connections()[slot] is owner.connection
    rc._topology.moved(slot, other.name)  # (as a MOVED reply would: wrongly, here)
    assert rc._topology.connections()[slot] is other.connection
    # the other node answers MOVED back to the owner; the client follows it
    assert await rc.mget(keys) == [k.encode() for k in keys]
