"""Bytes that cannot be decoded never move a reply to another caller (real server, both
loops).

With ``decode_responses=True`` hiredis decodes while it parses, so a decode error used to
surface before anyone knew whether the frame was a reply or a push. These tests pin the
guarantee of docs/reliability.md section 1: a push is never matched to a waiter, an
undecodable reply fails only its own command, and cache invalidations are matched by the
key's raw bytes."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastredis
from fastredis._protocol import BufferedConnection, Connection
from fastredis.cache import CacheConfig

DEADLINE = 10.0
BAD = b"\xff"  # not valid UTF-8


async def _barrier(r) -> None:
    """Every invalidation the server sent before now has been applied (see test_cache)."""
    await r.ping()
    redirect = r.cache._redirect
    if redirect is not None:
        (fut,) = redirect.send_packed(redirect.pack(("PING",)), 1)
        await fut


@pytest.fixture
async def writer(redis_server):
    w = fastredis.Redis(**redis_server.client_kwargs())
    await w.flushdb()
    yield w
    await w.aclose()


async def test_undecodable_invalidation_is_never_charged_to_a_waiter(redis_server, writer):
    """RESP3 + decode_responses + cache: the invalidation of a key that is not valid UTF-8
    arrives in the reply stream; every concurrent GET still gets its own value."""
    r = fastredis.Redis(**redis_server.client_kwargs(
        protocol=3, decode_responses=True, cache=CacheConfig()))
    try:
        await writer.mset({f"k{i}": f"v{i}" for i in range(20)})
        conn = None
        for n in range(3):
            await writer.set(BAD, f"old{n}")
            assert await r.get(BAD) == f"old{n}"
            conn = r.connection_pool.current
            # the write goes first, the GETs right behind it: its invalidation reaches r
            # while (some of) the GETs wait, whatever order the server reads them in
            got = await asyncio.wait_for(asyncio.gather(
                writer.set(BAD, f"new{n}"),
                *(r.execute_command("GET", f"k{i}") for i in range(20)),
                return_exceptions=True), DEADLINE)
            assert got == [True] + [f"v{i}" for i in range(20)]
            assert await r.ping() is True  # the invalidation was applied before this reply
            # the entry was invalidated by its raw bytes: the next read sees the new value
            assert await r.get(BAD) == f"new{n}"
        assert r.cache.stats()["invalidations"] == 5  # new0, then old1 new1 old2 new2
        assert r.connection_pool.current is conn and not conn.closed
    finally:
        await r.aclose()


async def test_resp2_redirect_applies_an_undecodable_invalidation(redis_server, writer):
    """RESP2 redirect mode: the invalidation connection reads bytes, so a binary key's
    invalidation is applied, never dropped (it used to serve the old value for ever)."""
    r = fastredis.Redis(**redis_server.client_kwargs(
        protocol=2, decode_responses=True, cache=CacheConfig()))
    try:
        await writer.set(BAD, "old")
        assert await r.get(BAD) == "old"
        assert await r.get(BAD) == "old"
        assert r.cache.stats()["hits"] == 1
        await writer.set(BAD, "new")
        await _barrier(r)
        assert r.cache.stats()["invalidations"] == 1
        assert await r.get(BAD) == "new"
    finally:
        await r.aclose()


@pytest.mark.parametrize("protocol", [3, 2], ids=["resp3", "resp2"])
async def test_a_polling_loop_on_a_cache_hit_lets_the_writer_run(redis_server, writer, protocol):
    """``while await r.get(flag) != b"1": pass`` must end: a hit yields to the event loop,
    so the writer task runs and the invalidation is read. (It spun for ever.)"""
    r = fastredis.Redis(**redis_server.client_kwargs(protocol=protocol, cache=CacheConfig()))
    try:
        await writer.set("flag", "0")
        assert await r.get("flag") == b"0"
        assert await r.get("flag") == b"0"  # a hit from now on

        async def set_flag() -> None:
            await writer.set("flag", "1")

        task = asyncio.ensure_future(set_flag())
        polls = 0
        # bounded so that the code before the fix fails instead of hanging for ever
        while await r.get("flag") != b"1" and polls < 300_000:
            polls += 1
        assert task.done(), f"the writer never ran in {polls} polls"
        assert polls < 300_000, "the invalidation was never read"
        await task
    finally:
        await r.aclose()


# ---------------------------------------------------------------------------- Pub/Sub
@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def protocol(request):
    return request.param


async def test_pubsub_delivers_undecodable_fields_as_bytes(redis_server, writer, protocol):
    """A message whose channel or data is not valid UTF-8 arrives with those fields as
    the raw bytes, in order, between decoded ones; nothing is lost or misplaced."""
    r = fastredis.Redis(**redis_server.client_kwargs(protocol=protocol, decode_responses=True))
    p = r.pubsub()
    try:
        await p.psubscribe("ch*")
        assert (await p.get_message(timeout=DEADLINE))["type"] == "psubscribe"
        await writer.publish("ch1", "a")
        await writer.publish(b"ch\xff", b"b")
        await writer.publish("ch2", b"\xfe\x00")
        await writer.publish("ch3", "d")
        got = [await p.get_message(timeout=DEADLINE) for _ in range(4)]
        assert [(m["channel"], m["data"]) for m in got] == [
            ("ch1", "a"), (b"ch\xff", "b"), ("ch2", b"\xfe\x00"), ("ch3", "d")]
        assert all(m["pattern"] == "ch*" for m in got)
        assert await r.ping() is True
    finally:
        await p.aclose()
        await r.aclose()


async def test_pubsub_binary_channel_name_subscribes_and_unsubscribes(redis_server, writer, protocol):
    """A channel name that is not valid in the encoding stays bytes: subscribing works, its
    confirmations are counted (``subscribed`` turns False after the unsubscribe)."""
    r = fastredis.Redis(**redis_server.client_kwargs(protocol=protocol, decode_responses=True))
    p = r.pubsub()
    try:
        await p.subscribe(BAD, "plain")
        confirms = [await p.get_message(timeout=DEADLINE) for _ in range(2)]
        assert [(m["type"], m["channel"]) for m in confirms] == [
            ("subscribe", BAD), ("subscribe", "plain")]
        await writer.publish(BAD, "x")
        m = await p.get_message(timeout=DEADLINE)
        assert (m["type"], m["channel"], m["data"]) == ("message", BAD, "x")
        await p.unsubscribe()
        while p.subscribed:
            m = await asyncio.wait_for(p.get_message(timeout=DEADLINE), DEADLINE)
            assert m is None or m["type"] == "unsubscribe"
    finally:
        await p.aclose()
        await r.aclose()


async def test_cluster_pubsub_binary_shard_channel(redis_cluster):
    """Cluster Pub/Sub: the reconciler's own confirmations for a shard channel that is not
    valid UTF-8 are recognised (never handed to the reader), its messages delivered."""
    from fastredis.cluster import RedisCluster

    async with RedisCluster(**redis_cluster.client_kwargs(decode_responses=True)) as rc:
        async with rc.pubsub(ignore_subscribe_messages=True) as p:
            await p.ssubscribe(b"s\xff", "s-plain")
            await rc.spublish(b"s\xff", b"\xfe")
            await rc.spublish("s-plain", "x")
            got = []
            while len(got) < 2:
                m = await asyncio.wait_for(p.get_message(timeout=DEADLINE), DEADLINE)
                if m is not None:
                    got.append(m)
            assert sorted((m["type"], repr(m["channel"]), repr(m["data"])) for m in got) == sorted([
                ("smessage", repr(b"s\xff"), repr(b"\xfe")), ("smessage", "'s-plain'", "'x'")])
            await p.sunsubscribe()
            assert not p.shard_channels


# ---------------------------------------------------------------------------- fuzzing
class _Transport:
    """Enough of a transport for Connection (as in test_reliability_protocol)."""

    aborted = False

    def write(self, data: bytes) -> None:
        pass

    def abort(self) -> None:
        self.aborted = True

    close = abort

    def is_closing(self) -> bool:
        return self.aborted

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def _expect(b: bytes):
    try:
        return b.decode()
    except UnicodeDecodeError:
        return b


_blob = st.binary(max_size=6)
# ("reply", [values]) answers one command (a bulk string, or an array of them);
# ("push", [keys]) is an invalidation
_frame = st.one_of(
    st.tuples(st.just("reply"), st.lists(_blob, min_size=1, max_size=3)),
    st.tuples(st.just("push"), st.lists(_blob, min_size=1, max_size=3)),
)


def _encode(frame) -> bytes:
    kind, items = frame
    if kind == "push":
        return b">2\r\n" + _bulk(b"invalidate") + b"*%d\r\n" % len(items) + b"".join(map(_bulk, items))
    if len(items) == 1:
        return _bulk(items[0])
    return b"*%d\r\n" % len(items) + b"".join(map(_bulk, items))


def _connection(cls, loop, pushes: list):
    conn = cls(loop, decode=True)
    conn.connection_made(_Transport())
    conn.on_push = lambda f: pushes.append(f) or True
    return conn


@pytest.mark.parametrize("cls", [Connection, BufferedConnection])
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(a=st.lists(_frame, min_size=1, max_size=12), b=st.lists(_frame, min_size=1, max_size=12),
       reads=st.lists(st.tuples(st.integers(0, 1), st.integers(1, 40)), max_size=40))
def test_random_bytes_never_move_a_reply(cls, a, b, reads):
    """Two decoding connections of one thread, replies and invalidations with random bytes,
    each stream split anywhere and the reads of both interleaved: every command gets its
    own reply (or DataError when it is not UTF-8), every push reaches the hook with its
    undecodable keys as raw bytes, no connection closes."""
    loop = asyncio.new_event_loop()
    conns, futs, pushes, streams = [], [], [], []
    try:
        for frames in (a, b):
            got: list = []
            conn = _connection(cls, loop, got)
            futs.append([conn.execute(("GET", "k")) for f in frames if f[0] == "reply"])
            conns.append(conn)
            pushes.append(got)
            streams.append(b"".join(map(_encode, frames)))
        # the drawn reads (connection, size), then whatever is left, one read each
        pos = [0, 0]
        for i, n in [*reads, (0, 1 << 20), (1, 1 << 20)]:
            chunk = streams[i][pos[i]:pos[i] + n]
            if not chunk:
                continue
            pos[i] += len(chunk)
            conn = conns[i]
            if cls is BufferedConnection:
                conn.get_buffer(len(chunk))[:len(chunk)] = chunk
                conn.buffer_updated(len(chunk))
            else:
                conn.data_received(chunk)
        for frames, conn, fs, got in zip((a, b), conns, futs, pushes):
            assert not conn.closed and conn.pending == 0
            replies = [items for kind, items in frames if kind == "reply"]
            for fut, items in zip(fs, replies):
                want = [_expect(x) for x in items]
                if any(isinstance(w, bytes) for w in want):
                    assert isinstance(fut.exception(), fastredis.DataError)
                else:
                    assert fut.result() == (want[0] if len(want) == 1 else want)
            want_pushes = [["invalidate", [_expect(x) for x in items]]
                           for kind, items in frames if kind == "push"]
            assert [list(p) for p in got] == want_pushes
    finally:
        for fut in (f for fs in futs for f in fs):
            if fut.done() and not fut.cancelled():
                fut.exception()  # retrieved: a failed example logs nothing more
        loop.close()


def _random_bytes(rng, low: int, high: int) -> bytes:
    # mostly ASCII/UTF-8-ish with stray high bytes: both decodable and undecodable values
    return bytes(rng.choice((rng.randrange(32, 127), rng.randrange(128, 256)))
                 for _ in range(rng.randint(low, high)))


@pytest.mark.parametrize("protocol", [3, 2], ids=["resp3", "resp2"])
async def test_random_keys_and_values_on_a_real_server(redis_server, writer, protocol):
    """decode_responses=True and the cache, keys and values of random bytes, changed by
    another client while concurrent reads are in flight: every read gets its own key's
    old or new value (or DataError when that value is not UTF-8), and once the
    invalidations are in, never a stale one. (Seeded: bounded and repeatable.)"""
    import random

    rng = random.Random(21)
    r = fastredis.Redis(**redis_server.client_kwargs(
        protocol=protocol, decode_responses=True, cache=CacheConfig()))
    try:
        for round_ in range(40):
            pairs = {_random_bytes(rng, 1, 4): _random_bytes(rng, 0, 4)
                     for _ in range(rng.randint(1, 8))}
            keys = list(pairs)
            await writer.mset({k: b"old" for k in keys})
            await asyncio.gather(*(r.get(k) for k in keys))  # cached and tracked
            got = await asyncio.wait_for(asyncio.gather(
                writer.mset(pairs), *(r.get(k) for k in keys), *(r.get(k) for k in keys),
                return_exceptions=True), DEADLINE)
            assert got[0] is True
            n = len(keys)
            for k, first, second in zip(keys, got[1:1 + n], got[1 + n:]):
                new = _expect(pairs[k])
                for value in (first, second):
                    if isinstance(value, fastredis.DataError):
                        assert isinstance(new, bytes), (round_, k, pairs[k], value)
                    else:
                        assert value in ("old", new), (round_, k, pairs[k], value)
            await _barrier(r)
            after = await asyncio.gather(*(r.get(k) for k in keys), return_exceptions=True)
            for k, value in zip(keys, after):
                new = _expect(pairs[k])
                if isinstance(new, bytes):
                    assert isinstance(value, fastredis.DataError), (round_, k, pairs[k], value)
                else:
                    assert value == new, (round_, k, pairs[k], value)
        assert await r.ping() is True
    finally:
        await r.aclose()
