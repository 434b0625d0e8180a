"""Pub/Sub beyond the guide: reconnect + resubscribe, a health check that requires its
answer, and bounded memory for a slow consumer (issue 3)."""

from __future__ import annotations

import asyncio

import fastredis
from tests.publisher import publish_in_subprocess


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def next_message(p, timeout=5.0):
    """The next published message (confirmations skipped); fails after ``timeout``."""
    async def loop():
        while True:
            m = await p.get_message(timeout=timeout)
            if m is not None and m["type"] in ("message", "pmessage", "smessage"):
                return m

    return await asyncio.wait_for(loop(), timeout)


async def test_client_kill_resubscribes_and_signals(r):
    events = []
    done = asyncio.Event()

    def on_reconnect(info):
        events.append(info)
        done.set()

    p = r.pubsub(ignore_subscribe_messages=True, on_reconnect=on_reconnect)
    await p.subscribe("c1")
    await p.psubscribe("p*")
    await p.ssubscribe("s1")
    assert await r.client_kill_filter(_type="pubsub") == 1
    await asyncio.wait_for(done.wait(), 5)
    assert await r.pubsub_numsub("c1") == [(b"c1", 1)]
    assert await r.pubsub_numpat() == 1
    assert await r.pubsub_shardnumsub("s1") == [(b"s1", 1)]
    assert await r.publish("c1", "after") == 1
    m = await next_message(p)
    assert (m["channel"], m["data"]) == (b"c1", b"after")
    s = p.stats()
    assert s["reconnects"] == 1 and events[0]["reconnects"] == 1
    assert events[0]["downtime"] >= 0
    await p.aclose()


async def test_kill9_restart_resubscribes_within_a_second(make_server):
    server = make_server(password="s3cret-pw")
    r = fastredis.Redis(**server.client_kwargs())
    done = asyncio.Event()
    p = r.pubsub(ignore_subscribe_messages=True, on_reconnect=lambda info: done.set())
    await p.subscribe("news")
    for round_ in range(2):
        done.clear()
        server.kill9()
        await asyncio.to_thread(server.start)
        # the acceptance bound: resubscribed within 1 s of the server being reachable
        await asyncio.wait_for(done.wait(), 1.0)
        assert await r.publish("news", f"n{round_}") == 1
        m = await next_message(p)
        assert m["data"] == f"n{round_}".encode()
    assert p.stats()["reconnects"] == 2
    clients = await r.client_list("pubsub")
    assert len(clients) == 1
    await p.aclose()
    await r.aclose()


async def test_health_check_requires_the_answer(r):
    done = asyncio.Event()
    p = r.pubsub(health_check_interval=0.2, on_reconnect=lambda info: done.set())
    await p.subscribe("hc")
    # CLIENT PAUSE ALL holds every client's commands, the health check PING included:
    # an unanswered PING must end in a reconnect (redis-py only sends it).
    other = fastredis.Redis(host=r.connection_pool.params.host, port=r.connection_pool.params.port)
    assert await other.execute_command("CLIENT", "PAUSE", 1200, "ALL") in (b"OK", "OK")
    await asyncio.wait_for(done.wait(), 5)
    assert p.stats()["reconnects"] >= 1
    assert await r.publish("hc", "x") == 1
    assert (await next_message(p))["data"] == b"x"
    await other.aclose()
    await p.aclose()


async def test_slow_consumer_memory_bounded_and_all_arrive_in_order(r, redis_server):
    count, size = 200_000, 1000
    await r.config_set("client-output-buffer-limit", "pubsub 0 0 0")
    try:
        p = r.pubsub(ignore_subscribe_messages=True)
        await p.subscribe("bulk")
        before = rss_bytes()
        proc = publish_in_subprocess(redis_server.port, "bulk", count, size)
        # not reading: let the publisher finish while the subscriber only buffers
        rc = await asyncio.to_thread(proc.wait, 120)
        assert rc == 0
        # give the loop a few turns to fill the queue up to its high-water mark
        for _ in range(50):
            await asyncio.sleep(0)
        growth = rss_bytes() - before
        print(f"slow consumer: 200,000 x 1 KB backlog, client RSS grew {growth / 1e6:.1f} MB")
        assert growth < 120 * 1024 * 1024, f"client grew by {growth / 1e6:.1f} MB"
        # paused at the high-water mark; frames of the read already in hand still queue
        assert p.stats()["queued"] <= 2 * 4096 and p.stats()["paused"]
        expected = 0
        while expected < count:
            batch = await asyncio.wait_for(p.listen(), 10)
            for m in batch:
                assert m["data"][:8] == b"%08d" % expected
                expected += 1
        assert expected == count
        await p.aclose()
    finally:
        await r.config_set("client-output-buffer-limit", "pubsub 32mb 8mb 60")


async def test_handler_keeps_messages_queued_before_unsubscribe(r):
    seen = []
    p = r.pubsub(ignore_subscribe_messages=True)
    await p.subscribe(h=lambda m: seen.append(m["data"]))
    for i in range(3):
        await r.publish("h", f"m{i}")
    # all three are queued before the unsubscribe is sent (the ignored confirmation is
    # not queued at all)
    while len(p.connection._queue) < 3:
        await p.connection.wait_frames()
    assert await p.get_message() is None and seen == [b"m0"]
    await p.unsubscribe("h")
    assert await p.get_message() is None and await p.get_message() is None
    assert seen == [b"m0", b"m1", b"m2"]  # not handed back as plain dicts, not dropped
    await p.aclose()


async def test_resp3_pubsub_keeps_the_guide_shapes(redis_server):
    """protocol=3 is opt-in: Pub/Sub frames arrive as push frames, the dicts stay the same."""
    r = fastredis.Redis(**redis_server.client_kwargs(protocol=3))
    p = r.pubsub()
    await p.subscribe("a")
    await p.psubscribe("a*")
    assert await p.get_message() == {"type": "subscribe", "pattern": None, "channel": b"a", "data": 1}
    assert await p.get_message() == {"type": "psubscribe", "pattern": None, "channel": b"a*", "data": 2}
    assert await r.publish("a", "hi") == 2
    assert await p.get_message(timeout=1) == {"type": "message", "pattern": None, "channel": b"a", "data": b"hi"}
    assert await p.get_message(timeout=1) == {"type": "pmessage", "pattern": b"a*", "channel": b"a", "data": b"hi"}
    assert await p.ping() is True
    # delivered as a message too, as redis-py does (issue 8)
    assert await p.get_message() == {"type": "pong", "pattern": None, "channel": None, "data": b""}
    await p.unsubscribe()
    await p.punsubscribe()
    assert (await p.get_message())["type"] == "unsubscribe"
    assert (await p.get_message())["data"] == 0
    assert await r.hgetall("nothing") == {}
    await p.aclose()
    await r.aclose()


async def test_drop_oldest_keeps_the_newest_and_counts(r):
    p = r.pubsub(ignore_subscribe_messages=True, max_queued=100, overflow="drop_oldest")
    await p.subscribe("d")
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.publish("d", i)
    await pipe.execute()
    await p.ping()  # the PING's answer follows every message published before it
    s = p.stats()
    assert not s["paused"] and s["queued"] <= 100
    msgs = await p.listen()
    # 1001 frames (1000 messages, then the pong; the ignored confirmation is never
    # queued): the oldest were dropped, the newest kept, in order
    assert len(msgs) + s["dropped"] == 1001 and msgs[-1]["type"] == "pong"
    got = [m["data"] for m in msgs[:-1]]
    assert got == [str(i).encode() for i in range(1000 - len(got), 1000)]
    await p.aclose()


async def test_resp3_push_frames_on_a_command_connection_stay_bounded(redis_server):
    r = fastredis.Redis(**redis_server.client_kwargs(protocol=3))
    await r.execute_command("CLIENT", "TRACKING", "ON")
    conn = r.connection_pool.current
    conn._high = 10
    for i in range(30):
        await r.get(f"tracked{i}")  # tracked ...
        await r.set(f"tracked{i}", i)  # ... and invalidated: one push frame each
    assert await r.ping() is True  # replies stay aligned around the pushes
    assert len(conn._queue) <= 10 and conn.dropped >= 20
    await r.aclose()
