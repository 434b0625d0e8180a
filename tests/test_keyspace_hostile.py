"""Keyspace notifications on the cluster under a hostile load: two thousand patterns on
every primary and a consumer that stops reading while writes continue, until the servers
drop its connections for the output they could not send. The subscriptions come back by
themselves, the loss is reported as gap events, the queue stays inside its bound, and the
notifications of later writes arrive."""

from __future__ import annotations

import asyncio

from conftest import eventually, keys_on

from fastredis.keyspace_notifications import KeyspaceChannel

PATTERNS = 2000


async def test_two_thousand_patterns_and_a_consumer_that_stops_reading(redis_cluster, rc):
    h = redis_cluster
    before = {s.port: (h.call(s, "CONFIG", "GET", "notify-keyspace-events")[1],
                       h.call(s, "CONFIG", "GET", "client-output-buffer-limit")[1]) for s in h.live()}
    for s in h.live():
        h.call(s, "CONFIG", "SET", "notify-keyspace-events", "K$")
        # a subscriber more than 1 MB behind is disconnected at once (its own 2,000
        # subscribe confirmations are about 120 KB)
        h.call(s, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0")
    gaps: list = []
    ksn = rc.keyspace_notifications(on_gap=gaps.append, max_queued=100, reconcile_interval=0.2)
    try:
        await ksn.subscribe(*(KeyspaceChannel(f"h{i}:*") for i in range(PATTERNS)))
        for s in h.primaries():
            assert h.call(s, "PUBSUB", "NUMPAT") == PATTERNS
        # the consumer reads nothing while 40,000 keys of 1 KB change, on every
        # primary: 40 MB of notifications, more than the sockets' buffers hold
        pad = "p" * 1000
        keys = [f"h{i}:{n}:{pad}" for n in range(20) for i in range(PATTERNS)]
        for start in range(0, len(keys), 500):
            await rc.mset({k: "x" * 20 for k in keys[start:start + 500]})
        stats = ksn._pubsub.stats()
        # the documented bound: max_queued, passed by at most one 16 KB read per node
        # connection (a notification frame here is over 60 bytes)
        assert stats["paused"] and stats["queued"] <= 100 + 3 * 16384 // 60
        # the consumer reads again: what was queued, then the reconnects show as gaps
        drained = 0
        while await ksn.get_message(timeout=0.05) is not None:
            drained += 1
        assert drained >= 100
        assert await eventually(lambda: _gaps(ksn), True, timeout=15), repr(ksn._pubsub.stats())
        assert gaps, "a lost subscription must reach on_gap"
        for s in h.primaries():
            async def numpat(s=s) -> int:
                return int(h.call(s, "PUBSUB", "NUMPAT"))
            assert await eventually(numpat, PATTERNS, timeout=15) == PATTERNS
        # and later writes arrive, from every primary
        while await ksn.get_message(timeout=0.05) is not None:
            pass
        fresh = [k for s in h.primaries() for k in keys_on(rc, s.port, 2, "h7")]  # h7:<n>
        for k in fresh:
            await rc.set(k, "y")
        got = set()
        while len(got) < len(fresh):
            note = await asyncio.wait_for(ksn.get_message(timeout=5.0), 10)
            if note is not None:
                got.add(note.key)
        assert got >= set(fresh)
    finally:
        await ksn.aclose()
        await rc.flushall()
        for s in h.live():
            events, limit = before[s.port]
            h.call(s, "CONFIG", "SET", "notify-keyspace-events", events)
            h.call(s, "CONFIG", "SET", "client-output-buffer-limit", limit)


async def _gaps(ksn) -> bool:
    stats = ksn._pubsub.stats()
    return stats["gaps"] > 0 and stats["open_gaps"] == 0 and stats["connected"]
