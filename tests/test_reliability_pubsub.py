"""Issue 5, cases 4 and 6: Pub/Sub survives kills and restarts, and says when it lost
messages. Redis Pub/Sub is at-most-once: what is published while a subscriber is away is
gone; the guarantee is that the gap is signalled (on_reconnect, stats()) and that the
subscriber is back, subscribed exactly once, for the next message."""

from __future__ import annotations

import asyncio

from faults import fd_count

import fastredis

DEADLINE = 10


async def _next_message(p, timeout: float = DEADLINE) -> dict:
    async def loop() -> dict:
        while True:
            m = await p.get_message(ignore_subscribe_messages=True, timeout=timeout)
            if m is not None:
                return m

    return await asyncio.wait_for(loop(), timeout)


class Reconnects:
    """on_reconnect callback that can be awaited."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self._event = asyncio.Event()

    def __call__(self, info: dict) -> None:
        self.calls.append(info)
        self._event.set()

    async def wait(self, count: int) -> None:
        async def loop() -> None:
            while len(self.calls) < count:
                self._event.clear()
                await self._event.wait()

        await asyncio.wait_for(loop(), DEADLINE)


# ---------------------------------------------------------------------------- case 4
async def test_client_kill_pubsub_resubscribes_exactly_once(r):
    cb = Reconnects()
    p = r.pubsub(on_reconnect=cb)
    try:
        await p.subscribe("ch", "ch2")
        await p.psubscribe("pat:*")
        assert await r.client_kill_filter(_type="pubsub") == 1
        await cb.wait(1)
        assert await r.pubsub_numsub("ch", "ch2") == [(b"ch", 1), (b"ch2", 1)]
        assert await r.pubsub_numpat() == 1
        assert await r.publish("ch", "after") == 1
        m = await _next_message(p)
        assert (m["type"], m["channel"], m["data"]) == ("message", b"ch", b"after")
        stats = p.stats()
        assert {"reconnects", "messages", "queued", "dropped"} <= set(stats)
        assert stats["reconnects"] == 1 and cb.calls[0]["reconnects"] == 1
    finally:
        await p.aclose()


async def test_kill9_restarts_with_password_leave_one_subscriber(make_server):
    server = make_server(password="pubsub-pw")
    r = fastredis.Redis(**server.client_kwargs())
    cb = Reconnects()
    p = r.pubsub(on_reconnect=cb)
    try:
        await p.subscribe("news")
        await p.psubscribe("alerts:*")
        assert await r.ping() is True
        fds = fd_count()
        for n in range(1, 6):
            server.kill9()
            await asyncio.to_thread(server.start)  # same port, same password
            await cb.wait(n)
            # resubscribed after re-AUTH, exactly once per channel and pattern
            assert await r.pubsub_numsub("news") == [(b"news", 1)]
            assert await r.pubsub_numpat() == 1
            assert await r.publish("news", f"n{n}") == 1
            assert (await _next_message(p))["data"] == f"n{n}".encode()
            assert await r.publish("alerts:x", f"a{n}") == 1
            m = await _next_message(p)
            assert (m["type"], m["pattern"], m["data"]) == ("pmessage", b"alerts:*", f"a{n}".encode())
        assert p.stats()["reconnects"] == 5
        # one subscriber connection on the server, one shared connection for commands
        assert len(await r.client_list("pubsub")) == 1
        assert (await r.info("clients"))["connected_clients"] == 2
        assert r.connection_pool.connection_count() == 2
        assert fd_count() == fds
    finally:
        await p.aclose()
        await r.aclose()


# ---------------------------------------------------------------------------- case 6
async def test_slow_consumer_dropped_by_server_reconnects_and_signals_gap(make_server):
    server = make_server(config={"client-output-buffer-limit": "pubsub 1mb 512kb 1"})
    r = fastredis.Redis(**server.client_kwargs())
    cb = Reconnects()
    # a small client queue: reading pauses early and the server's buffer takes the rest
    p = r.pubsub(on_reconnect=cb, max_queued=64)
    try:
        await p.subscribe("firehose")
        payload = b"x" * 1024
        total = 0
        delivered = 0
        # far more than the kernel's socket buffers plus the 1 MB limit
        for start in range(0, 30_000, 1_000):
            pipe = r.pipeline(transaction=False)
            for i in range(start, start + 1_000):
                pipe.publish("firehose", b"%08d" % i + payload)
            delivered += sum(await asyncio.wait_for(pipe.execute(), DEADLINE))
            total += 1_000
        assert delivered < total  # the server dropped the subscriber on the way

        async def dropped() -> None:
            while (await r.pubsub_numsub("firehose"))[0][1] != 0 and not cb.calls:
                await asyncio.sleep(0)

        await asyncio.wait_for(dropped(), DEADLINE)

        # the consumer catches up: what it read before the drop comes in order, no
        # duplicates; then the gap is signalled and the subscription is back
        seen = []
        while not cb.calls:
            m = await p.get_message(ignore_subscribe_messages=True, timeout=DEADLINE)
            if m is not None:
                seen.append(int(m["data"][:8]))
        await cb.wait(1)
        assert seen == list(range(len(seen)))
        # the server accepted more for this subscriber than ever reached it: the part in
        # its output buffer was discarded with the connection (the gap)
        assert len(seen) < delivered
        stats = p.stats()
        assert stats["reconnects"] == 1 and stats["dropped"] >= 0
        assert await r.pubsub_numsub("firehose") == [(b"firehose", 1)]
        # drain whatever was queued, then the next published message arrives
        while (m := await p.get_message(ignore_subscribe_messages=True, timeout=0)) is not None:
            seen.append(int(m["data"][:8]))
        assert seen == list(range(len(seen)))
        assert await r.publish("firehose", b"after") == 1
        assert (await _next_message(p))["data"] == b"after"
    finally:
        await p.aclose()
        await r.aclose()
