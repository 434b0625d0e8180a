"""Cluster Pub/Sub (fastredis/cluster/pubsub.py) on the session cluster: the API, sharded
channels on their owners, one stream, one bound, and the reconciler's triggers (the
destructive tests are in test_cluster_pubsub_resilience.py)."""

from __future__ import annotations

import asyncio

import pytest

from fastredis.cluster import RedisCluster
from fastredis.cluster.pubsub import ClusterPubSub, GapEvent
from fastredis.exceptions import PubSubError, ResponseError


def channels_over(rc: RedisCluster, n: int, prefix: str = "ch") -> list[str]:
    """``n`` channels, spread over every primary."""
    return [f"{prefix}:{i}" for i in range(n)]


async def collect(p, want: int, timeout: float = 10.0) -> list[dict]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    got: list[dict] = []
    while len(got) < want and loop.time() < deadline:
        m = await p.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if m is not None:
            got.append(m)
    return got


async def test_ssubscribe_on_the_owners_one_stream(redis_cluster):
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs()) as rc:
        await rc.initialize()
        chans = channels_over(rc, 100)
        owners = {rc.get_node_from_key(c).name for c in chans}
        assert len(owners) == len(rc.get_primaries())  # spread over every primary
        async with rc.pubsub() as p:
            assert isinstance(p, ClusterPubSub)
            await p.ssubscribe(*chans)
            # the user's own subscribe is confirmed to the reader, one per channel
            confirms = await collect_all(p, 100)
            assert sorted(m["channel"] for m in confirms) == sorted(c.encode() for c in chans)
            assert {m["type"] for m in confirms} == {"ssubscribe"}
            # one connection per owning node, nothing on the others
            assert p.stats()["nodes"] == sorted(owners)
            for c in chans:
                assert await rc.spublish(c, f"v-{c}") == 1  # routed to the owner
            got = await collect(p, 100)
            assert sorted(m["channel"] for m in got) == sorted(c.encode() for c in chans)
            assert all(m["type"] == "smessage" and m["data"] == f"v-{m['channel'].decode()}".encode()
                       for m in got)
            # unsubscribing empties nodes: their connections close
            on_first = [c for c in chans if rc.get_node_from_key(c).name == sorted(owners)[0]]
            await p.sunsubscribe(*on_first)
            assert sorted(owners)[0] not in p.stats()["nodes"]
            unsubs = await collect_all(p, len(on_first))
            assert {m["type"] for m in unsubs} == {"sunsubscribe"}
            st = p.stats()
            assert st["gaps"] == 0 and st["messages"] >= 200


async def collect_all(p, want: int, timeout: float = 10.0) -> list[dict]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    got: list[dict] = []
    while len(got) < want and loop.time() < deadline:
        m = await p.get_message(timeout=0.2)
        if m is not None:
            got.append(m)
    return got


async def test_handlers_listen_and_classic(redis_cluster):
    async with RedisCluster(**redis_cluster.client_kwargs(decode_responses=True)) as rc:
        seen: list[dict] = []
        async with rc.pubsub(ignore_subscribe_messages=True) as p:
            await p.ssubscribe("s1", s2=seen.append)
            await p.subscribe("news")
            await p.psubscribe("ne*")
            await rc.spublish("s1", "a")
            await rc.spublish("s2", "b")  # the handler consumes it
            await rc.publish("news", "c")
            batch: list[dict] = []
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while len(batch) < 3 and loop.time() < deadline:
                batch += await asyncio.wait_for(p.listen(), 10)  # the guide's batch form
            kinds = sorted((m["type"], m["channel"], m["data"]) for m in batch)
            assert kinds == [("message", "news", "c"), ("pmessage", "news", "c"), ("smessage", "s1", "a")]
            assert seen and seen[0]["data"] == "b"
            await rc.spublish("s1", "d")
            async for m in p.listen():  # the async-for form
                assert m["data"] == "d"
                break
            assert await p.ping() is True


async def test_run_in_thread(redis_cluster):
    async with RedisCluster(**redis_cluster.client_kwargs()) as rc:
        got = asyncio.Event()
        loop = asyncio.get_running_loop()
        async with rc.pubsub() as p:
            await p.ssubscribe(t1=lambda m: loop.call_soon_threadsafe(got.set))
            thread = p.run_in_thread(sleep_time=0.05)
            try:
                await rc.spublish("t1", "x")
                await asyncio.wait_for(got.wait(), 10)
            finally:
                thread.stop()
                await asyncio.to_thread(thread.join, 10)


async def test_one_memory_bound_across_shards(redis_cluster):
    """Nobody reads: the shared queue stops at max_queued across all node connections
    (each pauses its socket), then everything is delivered once read, in order per channel."""
    async with RedisCluster(**redis_cluster.client_kwargs()) as rc:
        await rc.initialize()
        chans = channels_over(rc, 30, "b")
        async with rc.pubsub(ignore_subscribe_messages=True, max_queued=64) as p:
            await p.ssubscribe(*chans)
            n = 40
            pipe = [rc.spublish(c, b"%04d" % i) for i in range(n) for c in chans]
            await asyncio.gather(*pipe)
            await asyncio.sleep(0)  # (not a sync point: the bound is checked below)
            st = p.stats()
            # the overshoot is at most one read slice per connection
            assert st["queued"] <= 64 + 3 * 400
            got = await collect(p, n * len(chans), timeout=20)
            assert len(got) == n * len(chans)
            per: dict = {}
            for m in got:
                per.setdefault(m["channel"], []).append(int(m["data"]))
            assert all(v == list(range(n)) for v in per.values())


async def test_ssubscribe_answered_with_moved_is_followed(redis_cluster):
    """A stale map: the SSUBSCRIBE goes to the old owner, which answers MOVED; the
    subscription lands on the new owner anyway."""
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs(topology_check_interval=None)) as rc:
        await rc.initialize()
        chan = "moved-chan"
        slot = rc.keyslot(chan)
        source = h.owner(slot)
        target = next(s for s in h.primaries() if s.port != source.port)
        try:
            await asyncio.to_thread(h.migrate, slot, slot, target)
            assert rc.get_node_from_key(chan).port == source.port  # stale on purpose
            async with rc.pubsub(ignore_subscribe_messages=True, reconcile_interval=60) as p:
                await p.ssubscribe(chan)
                assert p.stats()["moved"] >= 1
                assert p.stats()["nodes"] == [f"{target.host}:{target.port}"]
                await rc.spublish(chan, "here")
                got = await collect(p, 1)
                assert got and got[0]["data"] == b"here"
        finally:
            await asyncio.to_thread(h.migrate, slot, slot, source)


async def test_gap_event_type():
    ev = GapEvent(frozenset({"a"}), 1.0, 3.5, "slot-moved")
    assert ev.duration == 2.5 and ev.patterns == frozenset()


@pytest.mark.parametrize("closed_twice", [True])
async def test_close_twice_and_reuse_refused(redis_cluster, closed_twice):
    async with RedisCluster(**redis_cluster.client_kwargs()) as rc:
        p = rc.pubsub()
        await p.ssubscribe("c1")
        conns = [lk.conn for lk in p._all_links()]
        await p.aclose()
        await p.aclose()
        assert all(c.closed for c in conns)
        assert p.stats()["nodes"] == []
        with pytest.raises(PubSubError):
            await p.ssubscribe("c2")


@pytest.mark.parametrize("trigger", ["push", "tick", "map-change"])
async def test_what_makes_a_moved_channel_followed(redis_cluster, monkeypatch, trigger):
    """``push``: the server's ``sunsubscribe`` push alone (no tick, no other traffic) is
    taken as a topology event. It is not always sent: with it suppressed, a moved channel
    is still followed - by the periodic tick (which refreshes the map itself), or at once
    when the client's own topology refresh sees the new map - and it is subscribed at the
    new owner before it is let go at the old one."""
    orig = ClusterPubSub._on_frame

    def no_push(self, link, frame):
        if (isinstance(frame, list) and frame[0] == b"sunsubscribe"  # RESP2 array / RESP3 push
                and not link.internal[(frame[0], frame[1])]):
            return True  # as if the server never sent it
        return orig(self, link, frame)

    if trigger != "push":
        monkeypatch.setattr(ClusterPubSub, "_on_frame", no_push)
    h = redis_cluster
    kw = {"topology_check_interval": None}
    async with RedisCluster(**h.client_kwargs(**kw)) as rc:
        await rc.initialize()
        chan = "nopush"
        slot = rc.keyslot(chan)
        source = h.owner(slot)
        target = next(s for s in h.primaries() if s.port != source.port)
        gaps: list[GapEvent] = []
        order: list[str] = []
        p = rc.pubsub(ignore_subscribe_messages=True, on_gap=gaps.append,
                      reconcile_interval=0.3 if trigger == "tick" else 60)
        orig_send = ClusterPubSub._send

        async def spy(self, link, groups):
            order.extend(f"{cmd} {link.node.port}" for cmd, _, _ in groups)
            return await orig_send(self, link, groups)

        orig_retire = ClusterPubSub._retire

        def retire(self, link, close=True):
            order.append(f"let go {link.node.port}")
            return orig_retire(self, link, close)

        monkeypatch.setattr(ClusterPubSub, "_send", spy)
        monkeypatch.setattr(ClusterPubSub, "_retire", retire)
        try:
            await p.ssubscribe(chan)
            await asyncio.to_thread(h.migrate, slot, slot, target)
            if trigger == "map-change":
                await rc.spublish(chan, "x")  # MOVED -> the client refreshes its map
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while not gaps and loop.time() < deadline:
                await asyncio.sleep(0.05)
            assert gaps and gaps[0].channels == {chan.encode()}
            if trigger == "push":
                assert gaps[0].reason == "unsubscribed-by-server"
                assert p.stats()["server_unsubscribes"] == 1
                assert order[-2:] == [f"SSUBSCRIBE {target.port}", f"let go {source.port}"]
            else:
                assert gaps[0].reason == "slot-moved"
                # the old owner's connection held only this channel: closing it lets go
                assert order[-2:] == [f"SSUBSCRIBE {target.port}", f"let go {source.port}"]
            assert p.stats()["nodes"] == [f"{target.host}:{target.port}"]
            assert await rc.spublish(chan, "there") == 1
            got = await collect(p, 1)
            while got and got[-1]["data"] != b"there":
                got += await collect(p, 1)
            assert got[-1]["data"] == b"there"
        finally:
            await p.aclose()
            await asyncio.to_thread(h.migrate, slot, slot, source)


async def test_health_check_restores_a_silent_node_connection(redis_cluster):
    """``health_check_interval`` works on every node connection: a node that stops
    answering (CLIENT PAUSE: its cluster bus goes on, so no failover) has its connection
    closed by the check and the subscription restored, with a gap event."""
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs()) as rc:
        await rc.initialize()
        chan = "hc"
        owner = h.owner(rc.keyslot(chan))
        gaps: list[GapEvent] = []
        async with rc.pubsub(ignore_subscribe_messages=True, health_check_interval=0.1,
                             on_gap=gaps.append, reconcile_interval=60) as p:
            await p.ssubscribe(chan)
            first = p._links[f"{owner.host}:{owner.port}"].conn
            await asyncio.to_thread(h.call, owner, "CLIENT", "PAUSE", 1000, "ALL")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while not gaps and loop.time() < deadline:
                await asyncio.sleep(0.05)
            assert first.closed and "health check" in str(first.close_exc)
            assert gaps and gaps[0].channels == {chan.encode()} and gaps[0].reason == "connection-lost"
            assert await rc.spublish(chan, "back") == 1
            got = await collect(p, 1)
            assert got and got[0]["data"] == b"back"


async def test_a_refused_channel_fails_exactly_that_call(redis_cluster):
    """NOPERM on one shard channel: that ssubscribe raises and keeps nothing; the other
    channels (and later calls) are unaffected."""
    h = redis_cluster
    for s in h.live():  # ACL users are per node
        h.call(s, "ACL", "SETUSER", "psub", "on", ">psub-pw", "~*", "+@all", "resetchannels",
               "&ok*")
    try:
        async with RedisCluster(**h.client_kwargs(username="psub", password="psub-pw")) as rc:
            async with rc.pubsub(ignore_subscribe_messages=True) as p:
                await p.ssubscribe("ok1", "ok2")
                with pytest.raises(ResponseError, match="NOPERM|permission"):
                    await p.ssubscribe("secret")
                assert set(p.shard_channels) == {b"ok1", b"ok2"}
                assert await rc.spublish("ok1", "x") == 1
                assert (await collect(p, 1))[0]["data"] == b"x"
                await p.ssubscribe("ok3")
                assert await rc.spublish("ok3", "y") == 1
    finally:
        for s in h.live():
            h.call(s, "ACL", "DELUSER", "psub")


async def test_drop_oldest_across_shards(redis_cluster):
    """``overflow="drop_oldest"``: the shared queue keeps the newest frames, the loss is
    counted in ``stats()["dropped"]``."""
    async with RedisCluster(**redis_cluster.client_kwargs()) as rc:
        await rc.initialize()
        chans = channels_over(rc, 6, "d")
        async with rc.pubsub(ignore_subscribe_messages=True, max_queued=16,
                             overflow="drop_oldest") as p:
            await p.ssubscribe(*chans)
            for i in range(100):
                await asyncio.gather(*(rc.spublish(c, b"%04d" % i) for c in chans))
            got = await collect(p, 600, timeout=1.0)
            st = p.stats()
            assert st["dropped"] > 0 and len(got) + st["dropped"] == 600
            assert b"0099" in {m["data"] for m in got}  # the newest are kept


async def test_messages_bypass_the_link_hook_confirmations_do_not(redis_cluster):
    # the node connections' on_push hook exists for confirmations (and the server's own
    # sunsubscribe); a message must reach the queue without a Python call per frame
    async with RedisCluster(**redis_cluster.client_kwargs()) as rc:
        async with rc.pubsub() as p:
            await p.ssubscribe("hook:s")
            await p.subscribe("hook:c")
            assert len(await collect(p, 0)) == 0
            seen: list[object] = []
            links = p._all_links()
            assert links
            for link in links:
                real = link.conn.on_push

                def counting(frame, real=real):
                    seen.append(frame[0] if isinstance(frame, list) else frame)
                    return real(frame)

                link.conn.on_push = counting
            for i in range(20):
                await rc.spublish("hook:s", i)
                await rc.publish("hook:c", i)
            got = await collect(p, 40)
            assert len(got) == 40
            assert seen == []
            await p.sunsubscribe("hook:s")  # a confirmation still goes through the hook
            m = await p.get_message(timeout=5)
            while m is not None and m["type"] != "sunsubscribe":
                m = await p.get_message(timeout=5)
            assert m is not None
            assert b"sunsubscribe" in seen or "sunsubscribe" in seen
            assert not {b"message", b"smessage", "message", "smessage"} & set(seen)
