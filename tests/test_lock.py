"""Lock (issue 9 item 4): redis-py's API, a token per task, no lock left behind by an
interrupted acquire, Lua release/extend, and the renewal watchdog. Real server, both loops."""

from __future__ import annotations

import asyncio
import logging

import pytest
from conftest import eventually
from faults import FaultProxy

import fastredis
from fastredis import LockError, LockNotOwnedError
from fastredis.lock import Lock


async def test_acquire_release_and_async_with(r):
    lock = r.lock("l:basic", timeout=10)
    assert await lock.acquire()
    assert await lock.locked() and await lock.owned()
    assert len(lock.token) == 32  # 128 random bits, hex
    await lock.release()
    assert not await lock.locked()
    async with r.lock("l:basic") as held:
        assert isinstance(held, Lock) and await held.owned()
    assert await r.exists("l:basic") == 0
    assert fastredis.Lock is Lock


async def test_not_blocking_and_blocking_timeout(r):
    holder = r.lock("l:busy")
    assert await holder.acquire()
    other = r.lock("l:busy", sleep=0.01)
    assert await other.acquire(blocking=False) is False
    assert await other.acquire(blocking_timeout=0.05) is False
    with pytest.raises(LockError):
        async with r.lock("l:busy", blocking_timeout=0.05):
            pass
    await holder.release()
    assert await other.acquire(blocking_timeout=1)
    await other.release()


async def test_waiter_gets_the_lock_when_released(r):
    holder = r.lock("l:wait")
    await holder.acquire()
    waiter = r.lock("l:wait", sleep=0.01)
    task = asyncio.ensure_future(waiter.acquire(blocking_timeout=5))
    await eventually(lambda: r.exists("l:wait"), 1)
    assert not task.done()
    await holder.release()
    assert await asyncio.wait_for(task, 5)
    await waiter.release()


async def test_two_tasks_one_lock_object_never_release_each_others_lock(r):
    # redis-py keeps the token in threading.local: every task of a loop shares it, so
    # task A, whose lock expired, releases task B's. Here the token is per task.
    lock = r.lock("l:tasks", timeout=0.2, sleep=0.01)
    a_acquired = asyncio.Event()
    b_acquired = asyncio.Event()
    a_done = asyncio.Event()

    async def task_a():
        assert await lock.acquire()
        a_acquired.set()
        await b_acquired.wait()  # A's lock expired meanwhile and B took it
        with pytest.raises(LockNotOwnedError):
            await lock.release()
        a_done.set()

    async def task_b():
        await a_acquired.wait()
        assert await lock.acquire(blocking_timeout=5)  # once A's lock expires
        b_acquired.set()
        await a_done.wait()
        assert await lock.owned()  # A's release did not touch B's lock
        await lock.release()

    await asyncio.wait_for(asyncio.gather(task_a(), task_b()), 10)
    assert await r.exists("l:tasks") == 0


async def test_a_task_that_did_not_acquire_cannot_release(r):
    lock = r.lock("l:other", timeout=10)
    acquired = asyncio.Event()

    async def intruder():  # started before the acquire: it does not inherit the token
        await acquired.wait()
        assert lock.token is None
        assert not await lock.owned()
        with pytest.raises(LockError, match="another task"):
            await lock.release()

    task = asyncio.ensure_future(intruder())
    await lock.acquire()
    acquired.set()
    await task
    assert await lock.owned()

    async def child():  # started after: a task the owner starts inherits its token
        assert await lock.owned()

    await asyncio.ensure_future(child())
    await lock.release()


async def test_acquire_in_a_helper_task(r):
    # asyncio.wait_for on Python < 3.12 runs the coroutine in a task of its own; the
    # token of a finished helper goes to the task that releases (redis-py code keeps working)
    lock = r.lock("l:helper", timeout=10)
    assert await asyncio.wait_for(lock.acquire(), 5)
    assert await asyncio.ensure_future(lock.acquire(blocking=False)) is False
    await lock.extend(1)
    await lock.release()
    assert await r.exists("l:helper") == 0


async def test_token_hand_off(r):
    lock = r.lock("l:handoff", timeout=10)
    assert await lock.acquire(token="my-token")
    assert await r.get("l:handoff") == b"my-token"

    async def heir(token):
        other = r.lock("l:handoff", timeout=10)
        other.token = token
        assert await other.owned()
        await other.reacquire()
        await other.release()

    await asyncio.ensure_future(heir(lock.token))
    assert not await lock.owned()
    # redis-py's spelling of the same thing
    lock2 = r.lock("l:handoff2")
    await lock2.acquire(token=b"t2")
    fresh = r.lock("l:handoff2")
    fresh.local.token = b"t2"
    await fresh.release()
    assert await r.exists("l:handoff2") == 0


async def test_thread_local_false_shares_the_token(r):
    lock = r.lock("l:shared", thread_local=False)
    await lock.acquire()

    async def worker():
        await lock.release()

    await asyncio.ensure_future(worker())
    assert await r.exists("l:shared") == 0


async def test_expiry(r):
    lock = r.lock("l:exp", timeout=0.1)
    await lock.acquire()
    assert 0 < await r.pttl("l:exp") <= 100
    assert await eventually(lock.locked, False) is False
    assert not await lock.owned()
    with pytest.raises(LockNotOwnedError):
        await lock.release()


async def test_extend_and_reacquire(r):
    lock = r.lock("l:ext", timeout=10)
    await lock.acquire()
    assert await lock.extend(10) is True
    assert 10_000 < await r.pttl("l:ext") <= 20_000
    assert await lock.extend(5, replace_ttl=True) is True
    assert 0 < await r.pttl("l:ext") <= 5_000
    assert await lock.reacquire() is True
    assert 5_000 < await r.pttl("l:ext") <= 10_000
    await r.set("l:ext", "someone-else")
    with pytest.raises(LockNotOwnedError):
        await lock.extend(1)
    with pytest.raises(LockNotOwnedError):
        await lock.reacquire()
    no_ttl = r.lock("l:nottl")
    await no_ttl.acquire()
    with pytest.raises(LockError, match="no timeout"):
        await no_ttl.extend(1)
    with pytest.raises(LockError, match="no timeout"):
        await no_ttl.reacquire()
    with pytest.raises(fastredis.DataError):
        await lock.extend("1")  # type: ignore[arg-type]
    with pytest.raises(fastredis.DataError):
        await lock.extend(0, replace_ttl=True)
    await no_ttl.release()


async def test_releasing_a_lock_not_owned(r, caplog):
    lock = r.lock("l:notowned", timeout=10)
    with pytest.raises(LockError, match="unlocked"):
        await lock.release()
    with pytest.raises(LockError):
        await lock.extend(1)
    await lock.acquire()
    await r.set("l:notowned", "stolen")
    with pytest.raises(LockNotOwnedError):
        await lock.release()
    assert await r.get("l:notowned") == b"stolen"  # somebody else's lock is untouched
    await r.delete("l:notowned")
    # raise_on_release_error=False: a warning instead of an exception
    quiet = r.lock("l:notowned", raise_on_release_error=False)
    with caplog.at_level(logging.WARNING, logger="fastredis.lock"):
        async with quiet:
            await r.delete("l:notowned")
    assert any("no longer owned" in m for m in caplog.messages)


async def test_release_and_extend_survive_a_flushed_script_cache(r):
    lock = r.lock("l:noscript", timeout=10)
    await lock.acquire()
    await r.script_flush()
    assert await lock.extend(1)  # NOSCRIPT -> EVAL
    await r.script_flush()
    await lock.release()
    assert await r.exists("l:noscript") == 0


async def test_acquire_cancelled_mid_flight_leaves_no_lock(redis_server, r):
    # The SET NX reaches the server, its reply is held back, the caller is cancelled:
    # the lock must not stay held by a token nobody knows (no timeout: it would be forever).
    async with FaultProxy(redis_server.port) as proxy:
        client = fastredis.Redis(**proxy.client_kwargs())
        try:
            await client.ping()
            lock = client.lock("l:cancel")
            proxy.hold_replies()
            task = asyncio.ensure_future(lock.acquire())
            assert await eventually(lambda: r.exists("l:cancel"), 1) == 1  # SET NX landed
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # the cleanup is written behind the SET on the same connection: it runs even
            # while the replies are still held back
            assert await eventually(lambda: r.exists("l:cancel"), 0) == 0
            proxy.release_replies()
            assert lock.token is None
            assert await client.lock("l:cancel").acquire(blocking=False)
        finally:
            proxy.release_replies()
            await client.aclose()


async def test_acquire_timed_out_leaves_no_lock(redis_server, r):
    async with FaultProxy(redis_server.port) as proxy:
        client = fastredis.Redis(**proxy.client_kwargs(socket_timeout=0.2))
        try:
            await client.ping()
            proxy.hold_replies()
            with pytest.raises(fastredis.TimeoutError):
                await client.lock("l:tmo").acquire()
            assert await eventually(lambda: r.exists("l:tmo"), 0) == 0
        finally:
            proxy.release_replies()
            await client.aclose()


async def test_jittered_waiting(r, monkeypatch):
    holder = r.lock("l:jitter")
    await holder.acquire()
    delays = []
    real_sleep = asyncio.sleep

    async def fake_sleep(d, *a):
        delays.append(d)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    waiter = r.lock("l:jitter", sleep=0.1)
    task = asyncio.ensure_future(waiter.acquire())
    while len(delays) < 20:
        await real_sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    monkeypatch.undo()
    assert all(0.05 <= d <= 0.15 for d in delays)
    assert len(set(delays)) > 1  # not a fixed poll interval
    await holder.release()


async def test_watchdog_renews(r):
    lock = r.lock("l:renew", timeout=0.3, auto_renew=True)
    await lock.acquire()
    # poll the server for 3 TTLs: the key never goes, and its TTL goes back up (renewals)
    loop = asyncio.get_running_loop()
    end = loop.time() + 0.9
    renewals, last = 0, await r.pttl("l:renew")
    while loop.time() < end:
        ttl = await r.pttl("l:renew")
        assert ttl > 0
        renewals += ttl > last + 20
        last = ttl
        await asyncio.sleep(0.01)
    assert renewals >= 3
    assert await lock.owned()
    assert not lock.renewal_failed.is_set()
    await lock.release()
    assert await r.exists("l:renew") == 0
    assert not lock._watchdogs  # stopped by the release


async def test_watchdog_reports_a_lost_lock(r, caplog):
    failures = []
    lock = r.lock("l:lost", timeout=0.3, auto_renew=True,
                  on_renewal_failed=lambda lk, exc: failures.append(exc))
    await lock.acquire()
    await r.delete("l:lost")  # another client deleted it
    with caplog.at_level(logging.WARNING, logger="fastredis.lock"):
        await asyncio.wait_for(lock.renewal_failed.wait(), 5)
    assert isinstance(lock.renewal_error, LockNotOwnedError)
    assert len(failures) == 1 and failures[0] is lock.renewal_error
    assert any("renewal failed" in m for m in caplog.messages)
    assert lock.token.decode() not in caplog.text  # the token is never logged
    with pytest.raises(LockNotOwnedError):
        await lock.release()


async def test_watchdog_reports_a_dead_server(make_server, caplog):
    server = make_server()
    client = server.client()
    failed = asyncio.Event()

    async def on_failed(lk, exc):
        failed.set()

    try:
        lock = client.lock("l:dead", timeout=0.6, auto_renew=True, on_renewal_failed=on_failed)
        await lock.acquire()
        server.kill9()
        with caplog.at_level(logging.WARNING, logger="fastredis.lock"):
            await asyncio.wait_for(failed.wait(), 10)
        assert lock.renewal_failed.is_set()
        assert isinstance(lock.renewal_error, LockNotOwnedError)
        assert isinstance(lock.renewal_error.__cause__, fastredis.ConnectionError)
    finally:
        await client.aclose()


async def test_invalid_arguments(r):
    with pytest.raises(fastredis.DataError):
        r.lock("l:x", timeout=0)
    with pytest.raises(fastredis.DataError):
        r.lock("l:x", auto_renew=True)
    with pytest.raises(fastredis.DataError):
        await r.lock("l:x").acquire(token=123)  # type: ignore[arg-type]
    assert issubclass(LockNotOwnedError, LockError)
    assert issubclass(LockError, ValueError)


async def test_decode_responses_client(redis_server):
    client = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        lock = client.lock("l:str", timeout=10)
        assert await lock.acquire(token="tök")
        assert await lock.owned()
        assert await lock.extend(1)
        await lock.release()
        assert await client.exists("l:str") == 0
    finally:
        await client.aclose()


async def test_release_survives_cancellation(r):
    lock = r.lock("l:relcancel")
    await lock.acquire()
    await r.connection_pool.disconnect()  # the release must reconnect first: cancel it there
    task = asyncio.ensure_future(lock.release())
    await asyncio.sleep(0)  # the release has started, nothing is written yet
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await eventually(lambda: r.exists("l:relcancel"), 0) == 0


async def test_watchdog_reports_a_silent_server(redis_server, r):
    # a partition: the renewal gets no answer at all (no socket_timeout set); the owner
    # must still hear of it before the TTL is over
    async with FaultProxy(redis_server.port) as proxy:
        client = fastredis.Redis(**proxy.client_kwargs())
        try:
            lock = client.lock("l:silent", timeout=0.6, auto_renew=True)
            await lock.acquire()
            proxy.blackhole()
            await asyncio.wait_for(lock.renewal_failed.wait(), 5)
            assert isinstance(lock.renewal_error, LockNotOwnedError)
            assert await eventually(lambda: r.exists("l:silent"), 0) == 0  # expires on the server
        finally:
            proxy.end_blackhole(heal=False)
            await client.aclose()
