"""The Pub/Sub user guide (/work/shared/seed/pubsub.txt), example by example, in order.

Each test follows the guide's text as closely as it can. Where the guide is imprecise the
test follows docs/DESIGN.md "Pub/Sub contract", and a comment says why:

* ``2L`` is ``2``; channels and data are bytes (the client has no decode_responses).
* Redis confirms subscriptions in argument order. The guide shows 'my-second-channel'
  before 'my-first-channel' only because old Python dicts had no order; the tests assert
  argument order.
* ``await r.publish(...)`` is answered on the client's own connection; the published frame
  reaches the PubSub's connection on another socket, possibly a moment later. Where the
  guide reads a *published* message with a bare ``get_message()``, the tests pass
  ``timeout=1`` so they do not race (it returns as soon as the frame lands). Subscription
  confirmations need no timeout: ``subscribe`` returns only once they are confirmed.
* The guide's typos are fixed: ``await message = p.get_message()`` is
  ``message = await p.get_message()``; ``await r.publish('my-channel')`` publishes
  ``'my data'`` (the message shown right after it).
"""

from __future__ import annotations

import asyncio
import threading

from conftest import eventually

import fastredis


# --------------------------------------------------------------------------- creating
async def test_guide_01_create_pubsub(r):
    p = r.pubsub()
    try:
        assert isinstance(p, fastredis.PubSub)
    finally:
        await p.aclose()


# --------------------------------------------------------------------------- subscribing
async def test_guide_02_subscribe_and_read_confirmations(r):
    p = r.pubsub()
    try:
        assert await p.subscribe('my-first-channel', 'my-second-channel') is None
        assert await p.psubscribe('my-*') is None

        # The guide lists 'my-second-channel' first: a dict-ordering artefact of old Python.
        # Redis confirms in argument order, and the contract says so.
        assert await p.get_message() == {
            'pattern': None, 'type': 'subscribe', 'channel': b'my-first-channel', 'data': 1}
        assert await p.get_message() == {
            'pattern': None, 'type': 'subscribe', 'channel': b'my-second-channel', 'data': 2}
        assert await p.get_message() == {
            'pattern': None, 'type': 'psubscribe', 'channel': b'my-*', 'data': 3}
    finally:
        await p.aclose()


async def test_guide_03_message_dict_keys(r):
    """Every message is a dict with exactly type, channel, pattern, data; pattern is None
    except for pmessage; data of [un]subscribe is the subscription count."""
    p = r.pubsub()
    try:
        await p.subscribe('my-first-channel')
        await p.psubscribe('my-*')
        await r.publish('my-first-channel', 'some data')
        messages = [await p.get_message(), await p.get_message()]
        messages.append(await p.get_message(timeout=1))
        messages.append(await p.get_message(timeout=1))
        await p.unsubscribe()
        await p.punsubscribe()
        messages.append(await p.get_message())
        messages.append(await p.get_message())
        for message in messages:
            assert isinstance(message, dict)
            assert set(message) == {'type', 'channel', 'pattern', 'data'}
            if message['type'] == 'pmessage':
                assert message['pattern'] == b'my-*'
            else:
                assert message['pattern'] is None
        assert [m['type'] for m in messages] == [
            'subscribe', 'psubscribe', 'message', 'pmessage', 'unsubscribe', 'punsubscribe']
        assert [m['data'] for m in messages] == [1, 2, b'some data', b'some data', 1, 0]
    finally:
        await p.aclose()


# --------------------------------------------------------------------------- publishing
async def test_guide_04_publish_message_and_pmessage(r):
    p = r.pubsub()
    try:
        await p.subscribe('my-first-channel', 'my-second-channel')
        await p.psubscribe('my-*')
        for _ in range(3):
            assert (await p.get_message())['type'] in ('subscribe', 'psubscribe')

        # the publish method returns the number matching channel and pattern
        # subscriptions. 'my-first-channel' matches both the 'my-first-channel'
        # subscription and the 'my-*' pattern subscription, so this message will
        # be delivered to 2 channels/patterns
        assert await r.publish('my-first-channel', 'some data') == 2
        assert await p.get_message(timeout=1) == {
            'channel': b'my-first-channel', 'data': b'some data', 'pattern': None,
            'type': 'message'}
        assert await p.get_message(timeout=1) == {
            'channel': b'my-first-channel', 'data': b'some data', 'pattern': b'my-*',
            'type': 'pmessage'}
    finally:
        await p.aclose()


# --------------------------------------------------------------------------- unsubscribing
async def test_guide_05_unsubscribe(r):
    p = r.pubsub()
    try:
        await p.subscribe('my-first-channel', 'my-second-channel')
        await p.psubscribe('my-*')
        for _ in range(3):
            await p.get_message()

        await p.unsubscribe()
        await p.punsubscribe('my-*')
        # unsubscribe() with no arguments: Redis picks the order of the channels (the
        # guide shows one possible order); the counts go down 2, 1 whatever the order.
        first = await p.get_message()
        second = await p.get_message()
        assert {first['channel'], second['channel']} == {b'my-first-channel', b'my-second-channel'}
        assert first == {'channel': first['channel'], 'data': 2, 'pattern': None,
                         'type': 'unsubscribe'}
        assert second == {'channel': second['channel'], 'data': 1, 'pattern': None,
                          'type': 'unsubscribe'}
        assert await p.get_message() == {
            'channel': b'my-*', 'data': 0, 'pattern': None, 'type': 'punsubscribe'}
    finally:
        await p.aclose()


# --------------------------------------------------------------------------- handlers
async def test_guide_06_message_handler(r, capsys):
    p = r.pubsub()
    try:
        def my_handler(message):
            print('MY HANDLER: ', message['data'])

        await p.subscribe(**{'my-channel': my_handler})
        # read the subscribe confirmation message
        assert await p.get_message() == {
            'pattern': None, 'type': 'subscribe', 'channel': b'my-channel', 'data': 1}
        assert await r.publish('my-channel', 'awesome data') == 1

        # for the message handler to work, we need tell the instance to read data.
        # (guide: `await message = p.get_message()`, a typo; timeout: see module docstring)
        message = await p.get_message(timeout=1)
        # the my_handler callback printed; `message` is None because it was handled.
        assert capsys.readouterr().out == "MY HANDLER:  b'awesome data'\n"
        assert message is None
    finally:
        await p.aclose()


# --------------------------------------------------------------------------- ignore confirmations
async def test_guide_07_ignore_subscribe_messages(r):
    p = r.pubsub(ignore_subscribe_messages=True)
    try:
        await p.subscribe('my-channel')
        assert await p.get_message() is None  # hides the subscribe message and returns None
        # the guide publishes without data (a typo); the message it shows carries 'my data'
        assert await r.publish('my-channel', 'my data') == 1
        assert await p.get_message(timeout=1) == {
            'channel': b'my-channel', 'data': b'my data', 'pattern': None, 'type': 'message'}
    finally:
        await p.aclose()


# --------------------------------------------------------------------------- reading strategies
async def test_guide_08_get_message_loop(r):
    p = r.pubsub()
    try:
        await p.subscribe('my-channel')
        assert await r.publish('my-channel', 'some data') == 1
        received = []

        async def application():
            # the guide's loop; the sleep is its own pacing, and wait_for bounds it
            while True:
                message = await p.get_message()
                if message:
                    # do something with the message
                    received.append(message)
                    if message['type'] == 'message':
                        return
                await asyncio.sleep(0.001)  # be nice to the system :)

        await asyncio.wait_for(application(), 5)
        assert received == [
            {'type': 'subscribe', 'channel': b'my-channel', 'pattern': None, 'data': 1},
            {'type': 'message', 'channel': b'my-channel', 'pattern': None, 'data': b'some data'},
        ]
    finally:
        await p.aclose()


async def test_guide_09_listen(r):
    p = r.pubsub()
    try:
        await p.subscribe('my-channel')
        for i in range(5):
            assert await r.publish('my-channel', f'data {i}') == 1
        received = []

        async def application():
            # `await p.listen()` waits for at least one frame and returns every queued
            # message; a couple of awaits may be needed until all five have landed.
            while len(received) < 6:
                batch = await p.listen()
                assert isinstance(batch, list) and batch
                for message in batch:
                    # do something with the message
                    received.append(message)

        await asyncio.wait_for(application(), 5)
        assert received[0] == {
            'type': 'subscribe', 'channel': b'my-channel', 'pattern': None, 'data': 1}
        assert received[1:] == [
            {'type': 'message', 'channel': b'my-channel', 'pattern': None,
             'data': f'data {i}'.encode()}
            for i in range(5)
        ]
    finally:
        await p.aclose()


async def test_guide_10_run_in_thread(r):
    loop = asyncio.get_running_loop()
    got = asyncio.Event()
    handled = []

    def my_handler(message):
        handled.append(message)
        loop.call_soon_threadsafe(got.set)

    p = r.pubsub()
    try:
        await p.subscribe(**{'my-channel': my_handler})
        thread = p.run_in_thread(sleep_time=0.001)
        # the event loop is now running in the background processing messages
        try:
            assert isinstance(thread, threading.Thread)
            assert await r.publish('my-channel', 'awesome data') == 1
            await asyncio.wait_for(got.wait(), 5)
        finally:
            # when it's time to shut it down...
            thread.stop()
            await asyncio.to_thread(thread.join, 5)
        assert not thread.is_alive()
        assert handled == [
            {'type': 'message', 'channel': b'my-channel', 'pattern': None,
             'data': b'awesome data'}]
    finally:
        await p.aclose()


# --------------------------------------------------------------------------- closing
async def test_guide_11_close(r):
    p = r.pubsub()
    await p.subscribe('my-channel')
    assert await r.pubsub_numsub('my-channel') == [(b'my-channel', 1)]
    # "When you're finished with a PubSub object, call its .close() method"
    p.close()
    try:
        numsub = lambda: r.pubsub_numsub('my-channel')  # noqa: E731
        assert await eventually(numsub, [(b'my-channel', 0)]) == [(b'my-channel', 0)]
    finally:
        await p.aclose()  # safe a second time


# --------------------------------------------------------------------------- PUBSUB commands
async def test_guide_12_pubsub_channels_numsub_numpat(r):
    subscribers = [r.pubsub() for _ in range(3)]
    try:
        await subscribers[0].subscribe('foo', 'bar')
        await subscribers[1].subscribe('foo')
        await subscribers[2].psubscribe('f*')

        # server-wide lists: poll past any subscriber a previous test is still closing
        channels = await eventually(
            lambda: _sorted(r.pubsub_channels()), [b'bar', b'foo'])
        assert channels == [b'bar', b'foo']
        assert isinstance(await r.pubsub_channels(), list)
        # ['foo', 'bar']
        assert await r.pubsub_numsub('foo', 'bar') == [(b'foo', 2), (b'bar', 1)]
        # [('foo', 9001), ('bar', 42)]
        assert await r.pubsub_numsub('baz') == [(b'baz', 0)]
        # [('baz', 0)]
        numpat = await eventually(lambda: r.pubsub_numpat(), 1)
        assert numpat == 1 and isinstance(numpat, int)
        # 1204
    finally:
        for p in subscribers:
            await p.aclose()


async def _sorted(coro):
    return sorted(await coro)
