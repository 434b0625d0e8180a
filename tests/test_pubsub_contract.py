"""The Pub/Sub contract (/work/shared/DESIGN.md, "Pub/Sub contract"), made into tests.

Rules of this file: every PubSub is closed (``await p.aclose()`` or ``async with``); no bare
sleeps for synchronisation (waits go through get_message(timeout=...), events, futures, all
bounded by asyncio.wait_for); the only resource assertion is the CPU used by an idle
``get_message(timeout=1)``. Server-side state that changes after a close (PUBSUB NUMSUB) is
polled with a bounded loop (``eventually``)."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import warnings

import pytest
from conftest import eventually

import fastredis
from fastredis import ConnectionError as RedisConnectionError
from fastredis import PubSubError

CLOSED_ERRORS = (PubSubError, RedisConnectionError)


def msg(type_, channel, data, pattern=None):
    return {'type': type_, 'channel': channel, 'pattern': pattern, 'data': data}


async def numsub_becomes(r, channel, count):
    got = await eventually(lambda: r.pubsub_numsub(channel), [(channel, count)])
    assert got == [(channel, count)]


async def drain(p, n):
    """Read ``n`` messages that are already queued (or land within 1 s each)."""
    out = []
    for _ in range(n):
        m = await p.get_message(timeout=1)
        assert m is not None, f"expected {n} messages, got {out}"
        out.append(m)
    return out


@pytest.fixture
async def rd(redis_server):
    """A client with decode_responses=True."""
    client = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        yield client
    finally:
        await client.aclose()


# =========================================================================== subscribing
async def test_subscribe_returns_none_and_confirmations_are_queued_in_argument_order(r):
    async with r.pubsub() as p:
        assert await p.subscribe('c1', 'c2', 'c3') is None
        # subscribe returned once confirmed: the confirmations are already queued, so a
        # non-waiting get_message (timeout=0.0, the default) finds them. Argument order
        # (the guide shows another order: a dict-ordering artefact of old Python).
        assert await p.get_message() == msg('subscribe', b'c1', 1)
        assert await p.get_message() == msg('subscribe', b'c2', 2)
        assert await p.get_message() == msg('subscribe', b'c3', 3)
        assert await p.get_message() is None


async def test_psubscribe_returns_none_and_counts_continue(r):
    async with r.pubsub() as p:
        assert await p.subscribe('a') is None
        assert await p.psubscribe('p1*', 'p2*') is None
        assert await p.get_message() == msg('subscribe', b'a', 1)
        assert await p.get_message() == msg('psubscribe', b'p1*', 2)
        assert await p.get_message() == msg('psubscribe', b'p2*', 3)
        assert await p.get_message() is None


async def test_subscribe_is_registered_server_side_when_it_returns(r):
    async with r.pubsub() as p:
        await p.subscribe('reg')
        assert await r.pubsub_numsub('reg') == [(b'reg', 1)]
        assert await r.publish('reg', 'x') == 1


async def test_subscribed_property(r):
    async with r.pubsub() as p:
        assert p.subscribed is False
        await p.subscribe('a')
        assert p.subscribed is True
        await p.psubscribe('x*')
        await p.unsubscribe()
        assert p.subscribed is True  # the pattern remains
        await p.punsubscribe()
        await drain(p, 4)
        assert p.subscribed is False


async def test_concurrent_subscribes_from_two_tasks(r):
    async with r.pubsub() as p:
        results = await asyncio.wait_for(asyncio.gather(p.subscribe('a'), p.subscribe('b')), 5)
        assert results == [None, None]
        got = [await p.get_message(), await p.get_message()]
        assert {m['channel'] for m in got} == {b'a', b'b'}
        assert [m['data'] for m in got] == [1, 2]
        assert all(m['type'] == 'subscribe' for m in got)


# =========================================================================== message shape
async def test_message_shapes_bytes_by_default(r):
    async with r.pubsub() as p:
        await p.subscribe('news')
        await p.psubscribe('ne*')
        assert await r.publish('news', 'hello') == 2  # channel + matching pattern
        got = await drain(p, 4)
        assert got == [
            msg('subscribe', b'news', 1),
            msg('psubscribe', b'ne*', 2),
            msg('message', b'news', b'hello'),
            msg('pmessage', b'news', b'hello', pattern=b'ne*'),
        ]
        for m in got:
            assert type(m['channel']) is bytes
            assert list(sorted(m)) == ['channel', 'data', 'pattern', 'type']


async def test_message_shapes_str_with_decode_responses(rd):
    async with rd.pubsub() as p:
        await p.subscribe('news')
        await p.psubscribe('ne*')
        assert await rd.publish('news', 'héllo') == 2
        got = await drain(p, 4)
        assert got == [
            msg('subscribe', 'news', 1),
            msg('psubscribe', 'ne*', 2),
            msg('message', 'news', 'héllo'),
            msg('pmessage', 'news', 'héllo', pattern='ne*'),
        ]
        await p.unsubscribe('news')
        await p.punsubscribe('ne*')
        assert await drain(p, 2) == [msg('unsubscribe', 'news', 1), msg('punsubscribe', 'ne*', 0)]


async def test_binary_data_roundtrip(r):
    payload = bytes(range(256))
    async with r.pubsub() as p:
        await p.subscribe(b'bin\xff')
        await p.get_message()
        assert await r.publish(b'bin\xff', payload) == 1
        assert await p.get_message(timeout=1) == msg('message', b'bin\xff', payload)


# =========================================================================== publish & PUBSUB
async def test_publish_returns_receiver_count(r):
    assert await r.publish('nobody-listens', 'x') == 0
    async with r.pubsub() as p, r.pubsub() as q:
        await p.subscribe('rc')
        assert await r.publish('rc', 'x') == 1
        await p.psubscribe('r*')
        assert await r.publish('rc', 'x') == 2
        await q.subscribe('rc')
        assert await r.publish('rc', 'x') == 3


async def test_pubsub_introspection_commands(r):
    async with r.pubsub() as p, r.pubsub() as q:
        await p.subscribe('intro-a', 'intro-b')
        await q.subscribe('intro-a')
        await q.psubscribe('intro-pat-*')
        chans = await r.pubsub_channels(pattern='intro-*')
        assert isinstance(chans, list)
        assert sorted(chans) == [b'intro-a', b'intro-b']
        assert sorted(await r.pubsub_channels('intro-a*')) == [b'intro-a']
        assert b'intro-a' in await r.pubsub_channels()  # default pattern '*'
        numsub = await r.pubsub_numsub('intro-a', 'intro-b', 'intro-c')
        assert numsub == [(b'intro-a', 2), (b'intro-b', 1), (b'intro-c', 0)]
        assert all(isinstance(t, tuple) for t in numsub)
        numpat = await r.pubsub_numpat()
        assert isinstance(numpat, int) and numpat >= 1


async def test_pubsub_introspection_decoded(rd):
    async with rd.pubsub() as p:
        await p.subscribe('dec-a')
        assert await rd.pubsub_channels(pattern='dec-*') == ['dec-a']
        assert await rd.pubsub_numsub('dec-a') == [('dec-a', 1)]


# =========================================================================== unsubscribing
async def test_unsubscribe_without_arguments_means_all(r):
    async with r.pubsub() as p:
        await p.subscribe('u1', 'u2', 'u3')
        await drain(p, 3)
        await p.unsubscribe()
        got = await drain(p, 3)
        # Redis chooses the order of an unsubscribe-all; one confirmation per channel,
        # counts going down to 0.
        assert {m['channel'] for m in got} == {b'u1', b'u2', b'u3'}
        assert [m['data'] for m in got] == [2, 1, 0]
        assert all(m['type'] == 'unsubscribe' and m['pattern'] is None for m in got)
        assert await p.get_message() is None
        assert await r.pubsub_numsub('u1', 'u2', 'u3') == [(b'u1', 0), (b'u2', 0), (b'u3', 0)]


async def test_punsubscribe_without_arguments_means_all(r):
    async with r.pubsub() as p:
        await p.psubscribe('a*', 'b*')
        await p.subscribe('keep')
        await drain(p, 3)
        await p.punsubscribe()
        got = await drain(p, 2)
        assert {m['channel'] for m in got} == {b'a*', b'b*'}
        assert [m['data'] for m in got] == [2, 1]  # 'keep' still counts
        assert all(m['type'] == 'punsubscribe' for m in got)
        assert await r.publish('keep', 'still') == 1
        assert await p.get_message(timeout=1) == msg('message', b'keep', b'still')


async def test_unsubscribe_one_channel(r):
    async with r.pubsub() as p:
        await p.subscribe('x1', 'x2')
        await drain(p, 2)
        await p.unsubscribe('x1')
        assert await p.get_message(timeout=1) == msg('unsubscribe', b'x1', 1)
        assert await r.publish('x1', 'gone') == 0
        assert await r.publish('x2', 'here') == 1
        assert await p.get_message(timeout=1) == msg('message', b'x2', b'here')


# =========================================================================== handlers
async def test_plain_handler_consumes_message(r):
    handled = []
    async with r.pubsub() as p:
        await p.subscribe(**{'my-channel': handled.append})
        # confirmations are not given to handlers
        assert await p.get_message() == msg('subscribe', b'my-channel', 1)
        assert await r.publish('my-channel', 'awesome data') == 1
        assert await p.get_message(timeout=1) is None
        assert handled == [msg('message', b'my-channel', b'awesome data')]


async def test_async_handler_consumes_message(r):
    handled = []

    async def handler(message):
        await asyncio.sleep(0)
        handled.append(message)

    async with r.pubsub() as p:
        await p.subscribe(**{'my-channel': handler})
        assert await p.get_message() == msg('subscribe', b'my-channel', 1)
        assert await r.publish('my-channel', 'async data') == 1
        assert await p.get_message(timeout=1) is None
        # the coroutine handler has run by the time get_message returns
        assert handled == [msg('message', b'my-channel', b'async data')]


async def test_pattern_handler_and_mixed_arguments(r):
    by_pattern = []
    by_channel = []
    async with r.pubsub() as p:
        await p.subscribe('plain', **{'handled': by_channel.append})
        await p.psubscribe(**{'h*': by_pattern.append})
        assert await drain(p, 3) == [
            msg('subscribe', b'plain', 1),
            msg('subscribe', b'handled', 2),
            msg('psubscribe', b'h*', 3),
        ]
        assert await r.publish('handled', 'd') == 2
        assert await p.get_message(timeout=1) is None
        assert await p.get_message(timeout=1) is None
        assert by_channel == [msg('message', b'handled', b'd')]
        assert by_pattern == [msg('pmessage', b'handled', b'd', pattern=b'h*')]
        assert await r.publish('plain', 'p') == 1
        assert await p.get_message(timeout=1) == msg('message', b'plain', b'p')


async def test_handler_with_decode_responses(rd):
    handled = []
    async with rd.pubsub() as p:
        await p.subscribe(**{'dch': handled.append})
        await p.get_message()
        await rd.publish('dch', 'text')
        assert await p.get_message(timeout=1) is None
        assert handled == [msg('message', 'dch', 'text')]


# =========================================================================== ignore_subscribe_messages
async def test_ignore_subscribe_messages_on_pubsub(r):
    async with r.pubsub(ignore_subscribe_messages=True) as p:
        await p.subscribe('ig1', 'ig2')
        await p.psubscribe('ig*')
        # each hidden confirmation makes get_message return None
        for _ in range(3):
            assert await p.get_message() is None
        assert await r.publish('ig1', 'm') == 2
        got = [m for m in [await p.get_message(timeout=1), await p.get_message(timeout=1)]]
        assert got == [msg('message', b'ig1', b'm'), msg('pmessage', b'ig1', b'm', pattern=b'ig*')]
        await p.unsubscribe()
        await p.punsubscribe()
        for _ in range(3):
            assert await p.get_message() is None
        assert await p.get_message() is None


async def test_ignore_subscribe_messages_as_get_message_argument(r):
    async with r.pubsub() as p:
        await p.subscribe('ig')
        assert await p.get_message(ignore_subscribe_messages=True) is None
        assert await r.publish('ig', 'm') == 1
        assert await p.get_message(ignore_subscribe_messages=True, timeout=1) == msg(
            'message', b'ig', b'm')
        await p.unsubscribe('ig')
        assert await p.get_message(ignore_subscribe_messages=True) is None
        assert await p.get_message() is None


# =========================================================================== get_message timeouts
async def test_get_message_timeout_zero_does_not_wait(r):
    async with r.pubsub() as p:
        await p.subscribe('quiet')
        await p.get_message()
        # nothing queued: returns None at once (bounded so a wait shows up as a failure)
        assert await asyncio.wait_for(p.get_message(timeout=0.0), 0.25) is None
        assert await asyncio.wait_for(p.get_message(), 0.25) is None


async def test_get_message_timeout_waits_then_returns_none(r):
    loop = asyncio.get_running_loop()
    async with r.pubsub() as p:
        await p.subscribe('quiet')
        await p.get_message()
        t0 = loop.time()
        assert await asyncio.wait_for(p.get_message(timeout=0.5), 5) is None
        # it did wait (lower bound only, with slack for coarse timers)
        assert loop.time() - t0 >= 0.4


async def test_get_message_timeout_returns_as_soon_as_a_message_arrives(r):
    async with r.pubsub() as p:
        await p.subscribe('soon')
        await p.get_message()
        task = asyncio.ensure_future(p.get_message(timeout=30))
        done, _ = await asyncio.wait({task}, timeout=0.1)
        assert not done  # still waiting: nothing was published
        assert await r.publish('soon', 'now') == 1
        assert await asyncio.wait_for(task, 5) == msg('message', b'soon', b'now')


async def test_get_message_timeout_none_waits_until_a_message_arrives(r):
    async with r.pubsub() as p:
        await p.subscribe('forever')
        await p.get_message()
        task = asyncio.ensure_future(p.get_message(timeout=None))
        done, _ = await asyncio.wait({task}, timeout=0.3)
        assert not done  # None means wait, not "return at once"

        async def publisher():
            return await r.publish('forever', 'finally')

        assert await asyncio.wait_for(asyncio.ensure_future(publisher()), 5) == 1
        assert await asyncio.wait_for(task, 5) == msg('message', b'forever', b'finally')


async def test_idle_get_message_does_not_busy_loop(r):
    async with r.pubsub() as p:
        await p.subscribe('idle')
        await p.get_message()
        # CPU of this (the loop's) thread, without a garbage collection landing in the
        # window: other threads of the test process and the GC are not the wait's cost
        gc.collect()
        gc.disable()
        try:
            cpu0 = time.thread_time()
            m = await p.get_message(timeout=1)
            cpu = time.thread_time() - cpu0
        finally:
            gc.enable()
        assert m is None
        assert cpu < 0.010, f"get_message(timeout=1) on a quiet channel used {cpu * 1000:.1f} ms CPU"


@pytest.mark.parametrize('timeout', [0.0, 0.1, None])
async def test_get_message_after_close_raises(r, timeout):
    p = r.pubsub()
    await p.subscribe('c')
    await p.get_message()
    await p.aclose()
    with pytest.raises(CLOSED_ERRORS):
        await asyncio.wait_for(p.get_message(timeout=timeout), 5)


async def test_waiting_get_message_raises_when_pubsub_is_closed(r):
    """A reader blocked in get_message(timeout=None) must not hang or get a silent None
    when the PubSub is closed under it (contract: never turns a connection error into
    None)."""
    p = r.pubsub()
    await p.subscribe('c')
    await p.get_message()
    task = asyncio.ensure_future(p.get_message(timeout=None))
    done, _ = await asyncio.wait({task}, timeout=0.1)
    assert not done
    await p.aclose()
    with pytest.raises(CLOSED_ERRORS):
        await asyncio.wait_for(task, 5)


# =========================================================================== listen()
async def test_listen_async_for_ends_when_no_subscriptions_remain(r):
    async with r.pubsub() as p:
        await p.subscribe('L')
        assert await r.publish('L', 'one') == 1
        seen = []

        async def consume():
            async for message in p.listen():
                seen.append(message)
                if message['type'] == 'message':
                    await p.unsubscribe()

        await asyncio.wait_for(consume(), 5)
        assert seen[:2] == [msg('subscribe', b'L', 1), msg('message', b'L', b'one')]
        # whether the final unsubscribe confirmation is yielded before the loop ends is
        # not pinned down by the contract; if it is, it must be the right one
        assert seen[2:] in ([], [msg('unsubscribe', b'L', 0)])
        assert p.subscribed is False


async def test_listen_async_for_with_patterns_and_handlers(r):
    handled = []
    async with r.pubsub() as p:
        await p.subscribe(**{'h': handled.append})
        await p.psubscribe('L*')
        await r.publish('h', 'to-handler')
        await r.publish('L1', 'to-listener')
        seen = []

        async def consume():
            async for message in p.listen():
                if message is None:  # a handled message may or may not show up as None
                    continue
                seen.append(message)
                if message['type'] == 'pmessage':
                    await p.unsubscribe()
                    await p.punsubscribe()

        await asyncio.wait_for(consume(), 5)
        assert seen[:3] == [
            msg('subscribe', b'h', 1),
            msg('psubscribe', b'L*', 2),
            msg('pmessage', b'L1', b'to-listener', pattern=b'L*'),
        ]
        assert handled == [msg('message', b'h', b'to-handler')]


async def test_await_listen_returns_queued_batch_in_order(r):
    async with r.pubsub() as p:
        await p.subscribe('B')
        for i in range(5):
            await r.publish('B', str(i))
        got = []

        async def collect():
            while len(got) < 6:
                batch = await p.listen()
                assert isinstance(batch, list)
                assert len(batch) >= 1  # waits for at least one frame
                got.extend(batch)

        await asyncio.wait_for(collect(), 5)
        assert got == [msg('subscribe', b'B', 1)] + [
            msg('message', b'B', str(i).encode()) for i in range(5)]


async def test_await_listen_waits_for_a_frame(r):
    async with r.pubsub() as p:
        await p.subscribe('W')
        await p.get_message()
        task = asyncio.ensure_future(p.listen())
        done, _ = await asyncio.wait({task}, timeout=0.2)
        assert not done
        await r.publish('W', 'x')
        assert await asyncio.wait_for(task, 5) == [msg('message', b'W', b'x')]


# =========================================================================== run_in_thread
def _signalling_handler(loop, event, sink):
    def handler(message):
        sink.append(message)
        loop.call_soon_threadsafe(event.set)
    return handler


@pytest.mark.timeout(30)
@pytest.mark.parametrize('kwargs', [{'sleep_time': 0.001}, {'poll_timeout': 0.001}],
                         ids=['sleep_time', 'poll_timeout'])
async def test_run_in_thread_delivers_to_handlers(r, kwargs):
    loop = asyncio.get_running_loop()
    got_channel, got_pattern = asyncio.Event(), asyncio.Event()
    chan_msgs, pat_msgs = [], []
    async with r.pubsub() as p:
        await p.subscribe(**{'t-chan': _signalling_handler(loop, got_channel, chan_msgs)})
        await p.psubscribe(**{'t-*': _signalling_handler(loop, got_pattern, pat_msgs)})
        thread = p.run_in_thread(**kwargs)
        try:
            assert isinstance(thread, threading.Thread)
            assert thread.is_alive()  # started
            assert await r.publish('t-chan', 'payload') == 2
            await asyncio.wait_for(got_channel.wait(), 5)
            await asyncio.wait_for(got_pattern.wait(), 5)
        finally:
            thread.stop()
            await asyncio.to_thread(thread.join, 5)
        assert not thread.is_alive()
        assert chan_msgs == [msg('message', b't-chan', b'payload')]
        assert pat_msgs == [msg('pmessage', b't-chan', b'payload', pattern=b't-*')]


@pytest.mark.timeout(30)
async def test_run_in_thread_with_async_handler(r):
    got = asyncio.Event()
    seen = []

    async def handler(message):
        seen.append(message)
        got.set()  # coroutine handlers run on the owning loop

    async with r.pubsub() as p:
        await p.subscribe(**{'ah': handler})
        thread = p.run_in_thread(sleep_time=0.001)
        try:
            await r.publish('ah', 'x')
            await asyncio.wait_for(got.wait(), 5)
        finally:
            thread.stop()
            await asyncio.to_thread(thread.join, 5)
        assert not thread.is_alive()
        assert seen == [msg('message', b'ah', b'x')]


async def test_run_in_thread_refuses_channel_without_handler(r):
    async with r.pubsub() as p:
        await p.subscribe('no-handler')
        with pytest.raises(PubSubError):
            p.run_in_thread(sleep_time=0.001)


async def test_run_in_thread_refuses_pattern_without_handler(r):
    async with r.pubsub() as p:
        await p.subscribe(**{'ok': lambda m: None})
        await p.psubscribe('no-handler-*')
        with pytest.raises(PubSubError):
            p.run_in_thread(sleep_time=0.001)


@pytest.mark.timeout(30)
async def test_run_in_thread_stop_from_loop_thread_does_not_block(r):
    loop = asyncio.get_running_loop()
    got = asyncio.Event()
    seen = []
    async with r.pubsub() as p:
        await p.subscribe(**{'stopme': _signalling_handler(loop, got, seen)})
        thread = p.run_in_thread(sleep_time=0.001)
        await r.publish('stopme', 'x')
        await asyncio.wait_for(got.wait(), 5)  # the thread is really driving the loop
        # stop() from the loop's own thread: must return without waiting for the thread
        # (which needs this very loop to finish its current read); a blocking stop()
        # deadlocks here and the timeout mark fails the test
        thread.stop()
        await asyncio.to_thread(thread.join, 5)
        assert not thread.is_alive()
        assert await r.ping() is True  # the loop is fine


@pytest.mark.timeout(30)
async def test_run_in_thread_stop_from_another_thread(r):
    loop = asyncio.get_running_loop()
    got = asyncio.Event()
    seen = []
    async with r.pubsub() as p:
        await p.subscribe(**{'stop2': _signalling_handler(loop, got, seen)})
        thread = p.run_in_thread(sleep_time=0.001, daemon=True)
        assert thread.daemon is True
        await r.publish('stop2', 'x')
        await asyncio.wait_for(got.wait(), 5)
        await asyncio.wait_for(asyncio.to_thread(thread.stop), 10)
        await asyncio.to_thread(thread.join, 5)
        assert not thread.is_alive()
        # stopping twice is harmless
        thread.stop()
        assert seen == [msg('message', b'stop2', b'x')]


# =========================================================================== close()
async def test_close_plain_call_closes(r):
    p = r.pubsub()
    await p.subscribe('cl-plain')
    assert await r.pubsub_numsub('cl-plain') == [(b'cl-plain', 1)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        p.close()  # not awaited, as in the guide
        gc.collect()
    assert not [w for w in caught if 'never awaited' in str(w.message)], caught
    try:
        await numsub_becomes(r, b'cl-plain', 0)
    finally:
        await p.aclose()


async def test_close_awaited_twice(r):
    p = r.pubsub()
    await p.subscribe('cl-await')
    await p.close()
    await p.close()
    await numsub_becomes(r, b'cl-await', 0)
    await p.aclose()


async def test_aclose_twice(r):
    p = r.pubsub()
    await p.psubscribe('cl-a*')
    await p.subscribe('cl-a')
    await p.aclose()
    await p.aclose()
    await numsub_becomes(r, b'cl-a', 0)


async def test_close_never_subscribed(r):
    p = r.pubsub()
    await p.aclose()
    await p.aclose()


async def test_async_with_closes(r):
    async with r.pubsub() as p:
        assert isinstance(p, fastredis.PubSub)
        await p.subscribe('cl-with')
        assert await r.pubsub_numsub('cl-with') == [(b'cl-with', 1)]
    await numsub_becomes(r, b'cl-with', 0)
    await p.aclose()  # and again afterwards: still safe


async def test_async_with_closes_on_error(r):
    with pytest.raises(KeyError):
        async with r.pubsub() as p:
            await p.subscribe('cl-err')
            raise KeyError('boom')
    await numsub_becomes(r, b'cl-err', 0)


# =========================================================================== sharded Pub/Sub
async def test_sharded_pubsub(r):
    async with r.pubsub() as p:
        assert await p.ssubscribe('s1') is None
        assert await p.get_message() == msg('ssubscribe', b's1', 1)
        assert await eventually(lambda: r.pubsub_shardchannels(), [b's1']) == [b's1']
        assert await r.pubsub_shardnumsub('s1') == [(b's1', 1)]
        assert await r.spublish('s1', 'x') == 1
        assert await p.get_message(timeout=1) == msg('smessage', b's1', b'x')
        await p.sunsubscribe('s1')
        assert await p.get_message(timeout=1) == msg('sunsubscribe', b's1', 0)
        assert await r.spublish('s1', 'y') == 0
        assert await r.pubsub_shardnumsub('s1') == [(b's1', 0)]


async def test_sharded_subscribe_several_in_order(r):
    async with r.pubsub() as p:
        await p.ssubscribe('s1', 's2')
        assert await drain(p, 2) == [msg('ssubscribe', b's1', 1), msg('ssubscribe', b's2', 2)]
        assert await r.pubsub_shardnumsub('s1', 's2') == [(b's1', 1), (b's2', 1)]


# =========================================================================== volume
@pytest.mark.timeout(90)
async def test_20000_pipelined_messages_arrive_complete_and_in_order(r):
    n = 20_000
    async with r.pubsub() as p:
        await p.subscribe('ch')
        assert await p.get_message() == msg('subscribe', b'ch', 1)
        pipe = r.pipeline(transaction=False)
        for i in range(n):
            pipe.publish('ch', str(i))
        results = await pipe.execute()
        assert results == [1] * n
        data = []

        async def collect():
            while len(data) < n:
                m = await p.get_message(timeout=5)
                assert m is not None, f"stalled after {len(data)} messages"
                assert m['type'] == 'message' and m['channel'] == b'ch'
                data.append(m['data'])

        await asyncio.wait_for(collect(), 60)
        assert data == [str(i).encode() for i in range(n)]
        assert await p.get_message() is None


# =========================================================================== concurrency
async def test_subscribe_while_another_task_waits_in_get_message(r):
    async with r.pubsub() as p:
        await p.subscribe('a')
        out = []
        first_read = asyncio.Event()

        async def reader():
            while True:
                m = await p.get_message(timeout=None)
                if m is None:
                    continue
                out.append(m)
                first_read.set()
                if m['type'] == 'unsubscribe' and m['data'] == 0:
                    return

        task = asyncio.ensure_future(reader())
        try:
            await asyncio.wait_for(first_read.wait(), 5)
            # the reader is now inside get_message(timeout=None)
            assert await asyncio.wait_for(p.subscribe('b'), 5) is None
            assert await r.publish('b', 'x') == 1
            await asyncio.wait_for(p.unsubscribe('a'), 5)
            assert await r.publish('a', 'lost') == 0
            await asyncio.wait_for(p.unsubscribe('b'), 5)
            await asyncio.wait_for(task, 5)
        finally:
            task.cancel()
        assert out == [
            msg('subscribe', b'a', 1),
            msg('subscribe', b'b', 2),
            msg('message', b'b', b'x'),
            msg('unsubscribe', b'a', 1),
            msg('unsubscribe', b'b', 0),
        ]


async def test_subscribe_while_another_task_is_in_listen(r):
    async with r.pubsub() as p:
        await p.subscribe('a')
        out = []
        first_read = asyncio.Event()
        got_message = asyncio.Event()

        async def reader():
            async for m in p.listen():
                out.append(m)
                first_read.set()
                if m['type'] in ('message', 'pmessage'):
                    got_message.set()

        task = asyncio.ensure_future(reader())
        try:
            # once the reader has the first confirmation it is back inside listen()
            await asyncio.wait_for(first_read.wait(), 5)
            assert await asyncio.wait_for(p.subscribe('b'), 5) is None
            assert await asyncio.wait_for(p.psubscribe('b*'), 5) is None
            assert await r.publish('b', 'x') == 2
            await asyncio.wait_for(got_message.wait(), 5)
            await asyncio.wait_for(p.unsubscribe(), 5)
            await asyncio.wait_for(p.punsubscribe(), 5)
            await asyncio.wait_for(task, 5)  # listen() ended: no subscriptions remain
        finally:
            task.cancel()
        assert out[:5] == [
            msg('subscribe', b'a', 1),
            msg('subscribe', b'b', 2),
            msg('psubscribe', b'b*', 3),
            msg('message', b'b', b'x'),
            msg('pmessage', b'b', b'x', pattern=b'b*'),
        ]
        tail = out[5:]
        assert all(m['type'] in ('unsubscribe', 'punsubscribe') for m in tail)


async def test_unsubscribe_from_other_task_while_reader_waits_with_timeout(r):
    async with r.pubsub() as p:
        await p.subscribe('z')
        await p.get_message()
        task = asyncio.ensure_future(p.get_message(timeout=10))
        done, _ = await asyncio.wait({task}, timeout=0.1)
        assert not done
        await asyncio.wait_for(p.unsubscribe('z'), 5)
        assert await asyncio.wait_for(task, 5) == msg('unsubscribe', b'z', 0)
