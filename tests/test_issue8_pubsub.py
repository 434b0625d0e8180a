"""Issue 8, Pub/Sub items 1-8: each test failed on main before the fix (both loops)."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

import fastredis
from tests.publisher import publish_in_subprocess

DEADLINE = 30.0


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def until(predicate, timeout: float = 5.0) -> None:
    """Poll client-side state (never a bare sleep to synchronise) for up to ``timeout``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        assert loop.time() < end, "condition not reached in time"
        await asyncio.sleep(0.01)


# ---------------------------------------------------------------------------- item 1
async def test_resubscribe_50000_channels_and_1000_patterns_after_client_kill(r):
    done = asyncio.Event()
    # confirm_timeout short: on main every resubscribe attempt timed out behind its own
    # confirmations (the queue paused the socket before the PING's answer), for ever
    p = r.pubsub(on_reconnect=lambda info: done.set(), confirm_timeout=5.0)
    try:
        channels = [f"ch{i}" for i in range(50_000)]
        patterns = [f"pat{i}*" for i in range(1_000)]
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await asyncio.wait_for(p.subscribe(*channels), DEADLINE)  # one call, one command
        first = loop.time() - t0
        await asyncio.wait_for(p.psubscribe(*patterns), DEADLINE)
        # read the confirmations: a socket paused behind unread frames cannot see its
        # EOF, and the kill would go unnoticed until the reader catches up
        seen = 0
        while seen < 51_000:
            seen += len(await asyncio.wait_for(p.listen(), DEADLINE))
        assert seen == 51_000
        assert await r.client_kill_filter(_type="pubsub") == 1
        t0 = loop.time()
        await asyncio.wait_for(done.wait(), DEADLINE)
        took = loop.time() - t0
        print(f"\nsubscribe(*50,000) {first:.3f}s; resubscribe 50,000 channels + 1,000 "
              f"patterns after CLIENT KILL: {took:.3f}s")
        assert await r.pubsub_numpat() == 1_000
        assert await r.pubsub_numsub("ch0", "ch49999") == [(b"ch0", 1), (b"ch49999", 1)]
        assert len(await r.pubsub_channels("ch*")) == 50_000
        assert await r.publish("ch49999", "after") == 1
        # the reader gets the resubscribe confirmations and then the message
        seen = 0
        while True:
            batch = await asyncio.wait_for(p.listen(), DEADLINE)
            seen += len(batch)
            if batch[-1]["type"] == "message":
                assert batch[-1]["data"] == b"after"
                break
        assert seen == 51_000 + 1
        assert p.stats()["reconnects"] == 1
    finally:
        await p.aclose()


async def test_2048_subscribe_unsubscribe_cycles_with_nobody_reading(r):
    # main: the confirmations filled the queue (4096 frames), reading paused, and the
    # next subscribe waited confirm_timeout for a PING answer behind them
    p = r.pubsub(ignore_subscribe_messages=True, confirm_timeout=2.0)
    try:
        for i in range(2048):
            await p.subscribe(f"cyc{i}")
            await p.unsubscribe(f"cyc{i}")
        await asyncio.wait_for(p.subscribe("last"), 5)
        assert await r.pubsub_numsub("last") == [(b"last", 1)]
        assert await r.publish("last", "x") == 1
        m = None
        while m is None:
            m = await asyncio.wait_for(p.get_message(timeout=5), 10)
            if m is not None and m["type"] != "message":
                m = None
        assert m["data"] == b"x"
    finally:
        await p.aclose()


async def test_ping_returns_while_reading_is_paused(r):
    p = r.pubsub(max_queued=16)
    try:
        await p.subscribe("busy")
        pipe = r.pipeline(transaction=False)
        for i in range(200):
            pipe.publish("busy", i)
        await pipe.execute()
        await until(lambda: p.stats()["paused"])
        # main: never returned (its answer sat behind the unread messages)
        assert await asyncio.wait_for(p.ping(), 5) is True
        msgs = []
        while True:
            msgs += await asyncio.wait_for(p.listen(), 5)
            if msgs[-1]["type"] == "pong":
                break
        assert [m["data"] for m in msgs if m["type"] == "message"] == [
            str(i).encode() for i in range(200)
        ]
    finally:
        await p.aclose()


async def test_ping_has_a_deadline(r, redis_server):
    p = r.pubsub(confirm_timeout=0.3)
    other = fastredis.Redis(**redis_server.client_kwargs())
    try:
        await p.subscribe("quiet")
        await other.execute_command("CLIENT", "PAUSE", 1500, "ALL")
        with pytest.raises(fastredis.TimeoutError):
            await asyncio.wait_for(p.ping(), 5)  # main: no deadline at all
    finally:
        await other.execute_command("CLIENT", "UNPAUSE")
        await other.aclose()
        await p.aclose()


async def test_health_check_keeps_a_paused_slow_consumer(r):
    # main: the health check PING sat behind the unread messages and the connection
    # was "dead": reconnects, and the server-side backlog thrown away
    p = r.pubsub(health_check_interval=0.2, max_queued=64, ignore_subscribe_messages=True)
    try:
        await p.subscribe("slow")
        pipe = r.pipeline(transaction=False)
        for i in range(1000):
            pipe.publish("slow", i)
        await pipe.execute()
        await until(lambda: p.stats()["paused"])
        # the consumer is busy for a while: several health-check intervals pass
        await asyncio.sleep(1.0)
        got = []
        while len(got) < 1000:
            m = await asyncio.wait_for(p.get_message(timeout=5), 10)
            if m is not None:
                got.append(int(m["data"]))
        assert got == list(range(1000))
        assert p.stats()["reconnects"] == 0
    finally:
        await p.aclose()


# ---------------------------------------------------------------------------- item 2
@pytest.mark.parametrize("count,size", [(5_000, 64 * 1024), (200, 1024 * 1024)])
async def test_queue_is_bounded_in_bytes(make_server, count, size):
    server = make_server(config={"client-output-buffer-limit": "pubsub 0 0 0"})
    r = fastredis.Redis(**server.client_kwargs(decode_responses=True))
    p = r.pubsub(ignore_subscribe_messages=True)
    try:
        await p.subscribe("big")
        before = rss_bytes()
        proc = publish_in_subprocess(server.port, "big", count, size)
        assert await asyncio.to_thread(proc.wait, 120) == 0
        await until(lambda: p.stats()["paused"])
        for _ in range(50):  # a few loop turns: whatever was in hand gets queued
            await asyncio.sleep(0)
        growth = rss_bytes() - before
        queued = p.stats()["queued"]
        print(f"\n{count} x {size // 1024} KB unread (decode_responses=True): client RSS "
              f"grew {growth / 1e6:.1f} MB, {queued} frames queued")
        # main: 4096 frames of 64 KB were queued (the bound counted frames only): 270 MB
        assert queued * size <= 8 * 1024 * 1024
        assert growth < 48 * 1024 * 1024, f"client grew by {growth / 1e6:.1f} MB"
        expected = 0
        while expected < count:
            for m in await asyncio.wait_for(p.listen(), 10):
                assert m["data"][:8] == f"{expected:08d}" and len(m["data"]) == size
                expected += 1
        assert expected == count
    finally:
        await p.aclose()
        await r.aclose()


# ---------------------------------------------------------------------------- item 3
async def test_reconnect_with_max_connections_1(redis_server, r):
    rc = fastredis.Redis(**redis_server.client_kwargs(max_connections=1))
    done = asyncio.Event()
    p = rc.pubsub(on_reconnect=lambda info: done.set())
    try:
        await p.subscribe("one")
        assert await r.client_kill_filter(_type="pubsub") == 1
        await asyncio.wait_for(done.wait(), 5)  # main: waited for its own slot for ever
        assert await r.pubsub_numsub("one") == [(b"one", 1)]
    finally:
        await p.aclose()
        await rc.aclose()


# ---------------------------------------------------------------------------- item 4
async def test_subscribe_during_a_reconnect_is_confirmed(redis_server):
    # RESP2: the new connection has no handshake command, so CLIENT PAUSE holds its
    # resubscribe (not a HELLO), which is the window this test needs
    r = fastredis.Redis(**redis_server.client_kwargs(protocol=2))
    p = r.pubsub(ignore_subscribe_messages=True)
    other = fastredis.Redis(**redis_server.client_kwargs())
    pool = r.connection_pool
    try:
        await p.subscribe("a")
        old = p.connection
        # kill, and hold every command for a while, in one write: the reconnect's
        # resubscribe (of "a" only) is then in flight when subscribe("b") is called
        pipe = other.pipeline(transaction=False)
        pipe.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        pipe.execute_command("CLIENT", "PAUSE", 400, "ALL")
        await pipe.execute()
        await until(lambda: any(c is not old and c.pending for c in pool.in_use()))
        await asyncio.wait_for(p.subscribe("b"), 10)
        # main: returned without subscribing "b" (NUMSUB 0, its messages lost)
        assert await r.pubsub_numsub("a", "b") == [(b"a", 1), (b"b", 1)]
        assert await r.publish("b", "x") == 1
    finally:
        await other.aclose()
        await p.aclose()
        await r.aclose()


# ---------------------------------------------------------------------------- item 5
async def test_one_readers_timeout_does_not_cancel_another(r):
    p = r.pubsub(ignore_subscribe_messages=True)
    try:
        await p.subscribe("w")
        a = asyncio.ensure_future(p.get_message(timeout=None))
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(p.get_message(timeout=None), 0.1)
        assert not a.done()  # main: cancelled with the other reader's shared future
        assert await r.publish("w", "x") == 1
        assert (await asyncio.wait_for(a, 5))["data"] == b"x"
    finally:
        await p.aclose()


async def test_worker_thread_stop_does_not_cancel_another_reader(r):
    seen = []
    p = r.pubsub()
    try:
        await p.subscribe(h=lambda m: seen.append(m["data"]))
        await p.get_message()  # the confirmation
        a = asyncio.ensure_future(p.get_message(timeout=None))
        await asyncio.sleep(0)
        thread = p.run_in_thread(sleep_time=5)
        await until(lambda: thread._current is not None)
        await until(lambda: len(p.connection._queue_waiters) == 2)
        thread.stop()
        await asyncio.to_thread(thread.join, 5)
        assert not thread.is_alive()
        assert not a.done()
        assert await r.publish("h", "x") == 1
        assert await asyncio.wait_for(a, 5) is None  # the handler consumed it
        assert seen == [b"x"]
    finally:
        await p.aclose()


# ---------------------------------------------------------------------------- item 6
async def test_run_in_thread_reports_handler_exceptions(r, caplog):
    caplog.set_level(logging.ERROR, logger="fastredis.pubsub")

    def handler(message):
        raise ValueError("boom in handler")

    p = r.pubsub()
    try:
        await p.subscribe(h=handler)
        # no exception_handler: logged with its traceback (main: swallowed silently)
        thread = p.run_in_thread(sleep_time=0.05)
        assert await r.publish("h", "x") == 1
        await until(lambda: any(rec.name == "fastredis.pubsub" for rec in caplog.records))
        rec = next(rec for rec in caplog.records if rec.name == "fastredis.pubsub")
        assert rec.exc_info is not None and isinstance(rec.exc_info[1], ValueError)
        thread.stop()
        await asyncio.to_thread(thread.join, 5)
        caplog.clear()

        # with one, redis-py's signature: exception_handler(exc, pubsub, thread)
        calls = []
        got = threading.Event()

        def on_error(exc, pubsub, thread):
            calls.append((exc, pubsub, thread))
            got.set()

        thread = p.run_in_thread(sleep_time=0.05, exception_handler=on_error)
        assert await r.publish("h", "y") == 1
        assert await asyncio.to_thread(got.wait, 5)
        exc, pubsub, th = calls[0]
        assert isinstance(exc, ValueError) and pubsub is p and th is thread
        thread.stop()
        await asyncio.to_thread(thread.join, 5)
        assert not [rec for rec in caplog.records if rec.name == "fastredis.pubsub"]
    finally:
        await p.aclose()


# ---------------------------------------------------------------------------- item 7
def _loop_factories():
    factories = [asyncio.new_event_loop]
    try:
        import uvloop

        factories.append(uvloop.new_event_loop)
    except ImportError:  # pragma: no cover
        pass
    return factories


@pytest.mark.parametrize("factory", _loop_factories(), ids=["asyncio", "uvloop"][: len(_loop_factories())])
def test_pubsub_reused_in_a_second_asyncio_run(redis_server, factory):
    # the PubSub's client is used only by it: a client of each run publishes
    p = fastredis.Redis(**redis_server.client_kwargs()).pubsub(ignore_subscribe_messages=True)

    async def first():
        r = fastredis.Redis(**redis_server.client_kwargs())
        await p.subscribe("a")
        assert await r.publish("a", "1") == 1
        assert (await p.get_message(timeout=5))["data"] == b"1"
        await r.aclose()

    async def second():
        r = fastredis.Redis(**redis_server.client_kwargs())
        # main: the internal WrongLoop reached the caller
        await p.subscribe("b")
        assert await r.pubsub_numsub("a", "b") == [(b"a", 1), (b"b", 1)]
        assert await r.publish("a", "2") == 1
        m = None
        while m is None:
            m = await p.get_message(timeout=5)
        assert m["data"] == b"2"
        await p.aclose()
        await r.aclose()

    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(first())
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(second())


# ---------------------------------------------------------------------------- item 8
async def test_reading_before_any_subscribe_raises_like_redis_py(r):
    p = r.pubsub()
    for call in (lambda: p.get_message(timeout=None), lambda: p.listen()):
        with pytest.raises(RuntimeError, match="pubsub connection not set"):
            await asyncio.wait_for(call(), 2)  # main: waited for ever
    from fastredis.pubsub import PubSubNotConnected  # here: the module imports on main

    with pytest.raises(PubSubNotConnected):
        await p.get_message(timeout=None)
    await p.aclose()


async def test_subscribed_until_the_last_unsubscribe_confirmation_is_read(r):
    p = r.pubsub()
    try:
        await p.subscribe("a", "b")
        await p.get_message()
        await p.get_message()
        await p.unsubscribe()
        drained = []
        while p.subscribed:  # main: False at once, the confirmations left unread
            m = await asyncio.wait_for(p.get_message(timeout=1), 5)
            if m is not None:
                drained.append((m["type"], m["channel"], m["data"]))
        # "all" is confirmed in the server's own order
        assert sorted(c for _, c, _ in drained) == [b"a", b"b"]
        assert [(t, n) for t, _, n in drained] == [("unsubscribe", 1), ("unsubscribe", 0)]
    finally:
        await p.aclose()


async def test_ping_delivers_a_pong_message(r):
    p = r.pubsub(ignore_subscribe_messages=True)
    try:
        await p.subscribe("a")
        assert await p.ping() is True
        assert await p.ping("hello") == b"hello"
        assert await p.get_message(timeout=1) == {
            "type": "pong", "pattern": None, "channel": None, "data": b""}
        assert await p.get_message(timeout=1) == {
            "type": "pong", "pattern": None, "channel": None, "data": b"hello"}
    finally:
        await p.aclose()


async def test_run_and_connect_like_redis_py(r):
    errors = []
    got = asyncio.Event()

    def handler(message):
        raise ValueError(message["data"])

    async def on_error(exc, pubsub):
        errors.append((exc, pubsub))
        got.set()

    p = r.pubsub()
    try:
        await p.connect()
        assert p.connection is not None and not p.connection.closed
        await p.subscribe(h=handler)
        task = asyncio.ensure_future(p.run(exception_handler=on_error, poll_timeout=0.1))
        assert await r.publish("h", "x") == 1
        await asyncio.wait_for(got.wait(), 5)
        assert isinstance(errors[0][0], ValueError) and errors[0][1] is p
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await p.aclose()


async def test_drops_and_reconnects_are_logged_without_secrets(make_server, caplog):
    caplog.set_level(logging.INFO, logger="fastredis.pubsub")
    server = make_server(password="s3cret-pw")
    r = fastredis.Redis(**server.client_kwargs())
    done = asyncio.Event()
    p = r.pubsub(on_reconnect=lambda info: done.set())
    try:
        await p.subscribe("x")
        assert await r.client_kill_filter(_type="pubsub") == 1
        await asyncio.wait_for(done.wait(), 5)
        text = "\n".join(rec.getMessage() for rec in caplog.records if rec.name == "fastredis.pubsub")
        assert "lost" in text and "reconnected" in text
        assert "s3cret-pw" not in caplog.text
    finally:
        await p.aclose()
        await r.aclose()
