"""Cluster Pub/Sub through live slot migrations and kill -9 of a primary (issue 11's
acceptance), on the session cluster. Each test puts the cluster back as it found it:
migrated slots go back, a killed node is restarted (it rejoins as a replica)."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from fastredis.cluster import RedisCluster
from fastredis.cluster.pubsub import GapEvent
from fastredis.exceptions import RedisError


class Traffic:
    """Publishes a sequence number per channel, round after round, and records what
    the subscriber received; a channel lost messages if a number it published is missing."""

    def __init__(self, pub: RedisCluster, chans: list[str]) -> None:
        self.pub = pub
        self.chans = chans
        self.sent: dict[str, list[int]] = defaultdict(list)
        self.got: dict[str, set[int]] = defaultdict(set)
        self.errors = 0
        self.stop = asyncio.Event()

    async def publish(self) -> None:
        seq = 0
        while not self.stop.is_set():
            seq += 1

            async def one(c: str, seq: int = seq) -> None:
                try:
                    await self.pub.spublish(c, str(seq))
                    self.sent[c].append(seq)
                except RedisError:  # a dead primary: the shard is down meanwhile
                    self.errors += 1
            await asyncio.gather(*(one(c) for c in self.chans))
            await asyncio.sleep(0.01)

    async def read(self, p) -> None:
        while True:
            m = await p.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if m is not None and m["type"] == "smessage":
                data = m["data"]
                self.got[m["channel"].decode()].add(int(data) if data.isdigit() else -1)

    def lost(self) -> set[str]:
        return {c for c in self.chans if set(self.sent[c]) - self.got[c]}

    async def all_deliver(self, p, timeout: float = 30.0) -> set[str]:
        """Publish a marker to every channel until each arrived; the channels that did not."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        missing = set(self.chans)
        while missing and loop.time() < deadline:
            for c in list(missing):
                try:
                    await self.pub.spublish(c, "marker")
                except RedisError:
                    pass
            await asyncio.sleep(0.2)
            missing = {c for c in missing if -1 not in self.got[c]}
        return missing


def gap_channels(events: list[GapEvent]) -> set[str]:
    return {c.decode() if isinstance(c, bytes) else c for e in events for c in e.channels}


@pytest.mark.parametrize(("pure", "protocol"), [(False, 2), (True, 2), (False, 3)],
                         ids=["mixed", "pure-subscriber", "mixed-resp3"])
async def test_sharded_subscriber_follows_live_migrations(redis_cluster, pure, protocol):
    """100 shard channels over every primary; the slots of 12 of them move while every
    channel publishes. Afterwards every channel delivers, every channel that lost messages
    got a gap event, and the channels that did not move got none. ``pure``: the
    subscriber's client sends nothing else and checks no topology by itself. On RESP3 the
    server's sunsubscribe is a push frame (hiredis' PushNotification, a list subclass)."""
    h = redis_cluster
    kw: dict = {"topology_check_interval": None} if pure else {}
    kw["protocol"] = protocol
    async with RedisCluster(**h.client_kwargs(**kw)) as sub, \
            RedisCluster(**h.client_kwargs()) as pub:
        await pub.initialize()
        chans = [f"mig:{i}" for i in range(100)]
        assert len({pub.get_node_from_key(c).port for c in chans}) == len(h.primaries())
        gaps: list[GapEvent] = []
        p = sub.pubsub(on_gap=gaps.append, reconcile_interval=0.5)
        t = Traffic(pub if pure else sub, chans)
        reader = None
        moves: list[tuple[int, object]] = []
        try:
            await p.ssubscribe(*chans)
            reader = asyncio.ensure_future(t.read(p))
            traffic = asyncio.ensure_future(t.publish())
            primaries = h.primaries()
            moving = chans[::8][:12]
            for c in moving:
                slot = pub.keyslot(c)
                source = h.owner(slot)
                target = next(s for s in primaries if s.port != source.port)
                moves.append((slot, source))
                await asyncio.to_thread(h.migrate, slot, slot, target)
            await asyncio.sleep(0.5)  # traffic goes on after the last move
            t.stop.set()
            await traffic
            missing = await t.all_deliver(p)
            assert missing == set(), f"channels that never delivered again: {sorted(missing)}"
            lost = t.lost()
            reported = gap_channels(gaps)
            assert lost <= reported, f"lost messages without a gap event: {sorted(lost - reported)}"
            assert reported <= set(moving), f"gap events for channels that never moved: {sorted(reported - set(moving))}"
            assert set(moving) <= reported  # each moved channel could have lost messages
            st = p.stats()
            assert st["gaps"] >= 1 and st["open_gaps"] == 0
            assert all(e.start <= e.end for e in gaps)
        finally:
            if reader is not None:
                reader.cancel()
            await p.aclose()
            for slot, source in reversed(moves):
                await asyncio.to_thread(h.migrate, slot, slot, source)


async def test_kill_9_of_a_primary_shard_and_classic_subscribers(redis_cluster):
    """kill -9 of the primary that owns some shard channels and holds the classic
    subscription: after the promotion the shard channels deliver again and the classic
    subscriber moved to another node, both with a gap event naming their channels."""
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs()) as sub, \
            RedisCluster(**h.client_kwargs()) as pub:
        await pub.initialize()
        await sub.initialize()
        victim = h.primaries()[0]
        chans = [f"kill:{i}" for i in range(30)]
        on_victim = {c for c in chans if pub.get_node_from_key(c).port == victim.port}
        assert on_victim and on_victim != set(chans)
        gaps: list[GapEvent] = []
        infos: list[dict] = []
        p = sub.pubsub(on_gap=gaps.append, reconcile_interval=0.5, on_reconnect=infos.append,
                       node=sub.get_node(victim.host, victim.port))
        t = Traffic(pub, chans)
        reader = None
        classic: list[dict] = []
        restarted = False
        try:
            await p.ssubscribe(*chans)
            await p.subscribe(news=classic.append)
            assert f"{victim.host}:{victim.port}" == p._classic.node.name
            reader = asyncio.ensure_future(t.read(p))
            traffic = asyncio.ensure_future(t.publish())
            await asyncio.to_thread(h.kill_primary, victim)
            await asyncio.sleep(0.3)
            t.stop.set()
            await traffic
            missing = await t.all_deliver(p)
            assert missing == set(), f"not delivering after the promotion: {sorted(missing)}"
            # the classic subscriber is on another node now
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while not classic and loop.time() < deadline:
                try:
                    await pub.publish("news", "still here")
                except RedisError:
                    pass
                await asyncio.sleep(0.1)
            assert classic and classic[0]["data"] == b"still here"
            assert p._classic.node.name != f"{victim.host}:{victim.port}"
            reported = gap_channels(gaps)
            assert on_victim | {"news"} <= reported
            assert t.lost() <= reported
            assert reported <= on_victim | {"news"}
            assert {e.reason for e in gaps} == {"connection-lost"}
            assert p.stats()["reconnects"] >= 2 and p.stats()["open_gaps"] == 0
            assert [i["gap"] for i in infos] == gaps  # on_reconnect, as on one server
        finally:
            if reader is not None:
                reader.cancel()
            await p.aclose()
            if not restarted:
                await asyncio.to_thread(h.restart, victim)


@pytest.mark.parametrize("protocol", [2, 3])
async def test_a_migrated_shard_channel_shows_the_reader_no_internal_frames(redis_cluster, protocol):
    """The server's sunsubscribe when a slot moves, and our own resubscribe's confirmation,
    are ours: the reader sees neither (RESP3 delivers them as push frames, which the
    subscriber once let through as if they were the user's), and the move is counted."""
    h = redis_cluster
    async with RedisCluster(**h.client_kwargs(protocol=protocol)) as rc:
        await rc.initialize()
        slot = rc.keyslot("moving")
        source = h.owner(slot)
        target = next(s for s in h.primaries() if s.port != source.port)
        async with rc.pubsub(reconcile_interval=0.3) as p:
            await p.ssubscribe("moving")
            assert (await p.get_message(timeout=2))["type"] == "ssubscribe"
            await asyncio.to_thread(h.migrate, slot, slot, target)
            try:
                seen: list[dict] = []
                while not any(m["type"] == "smessage" for m in seen):
                    await rc.spublish("moving", "x")
                    m = await p.get_message(timeout=0.5)
                    if m is not None:
                        seen.append(m)
                    assert len(seen) < 20
                assert [m["type"] for m in seen] == ["smessage"], seen
                assert p.stats()["server_unsubscribes"] == 1
            finally:
                await asyncio.to_thread(h.migrate, slot, slot, source)
