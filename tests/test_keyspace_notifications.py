"""Keyspace notifications (``fastredis.keyspace_notifications``) against redis-py 8.2's
``redis.asyncio.keyspace_notifications`` on the same servers: the names, the parsing, the
notifications of one server, and on the 3-primary cluster every primary, through a
kill -9 of one. The tests turn ``notify-keyspace-events`` on (CONFIG SET on every node)
and put the previous value back."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect

import pytest
import redis.asyncio
import redis.asyncio.keyspace_notifications as theirs_async
import redis.keyspace_notifications as theirs
from conftest import eventually, keys_on

import fastredis
import fastredis.keyspace_notifications as ours
from fastredis import Redis
from fastredis.cluster import RedisCluster
from fastredis.keyspace_notifications import (
    AsyncClusterKeyspaceNotifications,
    AsyncKeyspaceNotifications,
    EventType,
    GapEvent,
    KeyeventChannel,
    KeyNotification,
    KeyspaceChannel,
)

# ------------------------------------------------------------------ names and parsing


def _public(obj: object) -> set[str]:
    return {n for n in dir(obj) if not n.startswith("_")}


def test_every_name_of_redis_py_modules():
    """What users import from redis-py's two modules is importable from ours (the
    synchronous class names are the asynchronous classes: fastredis is async only)."""
    wanted = {"AbstractAsyncKeyspaceNotifications", "AsyncClusterKeyspaceNotifications",
              "AsyncHandlerT", "AsyncKeyspaceNotifications", "AsyncKeyspaceNotificationsInterface",
              "ChannelT", "ChannelType", "ClusterKeyspaceNotifications", "EventType",
              "KeyNotification", "KeyeventChannel", "KeyspaceChannel", "KeyspaceNotifications",
              "SubkeyeventChannel", "SubkeyspaceChannel", "SubkeyspaceeventChannel",
              "SubkeyspaceitemChannel", "get_channel_type"}
    assert wanted <= set(ours.__all__)
    assert all(hasattr(theirs_async, n) or hasattr(theirs, n) for n in wanted)
    assert ours.KeyspaceNotifications is AsyncKeyspaceNotifications
    assert ours.ClusterKeyspaceNotifications is AsyncClusterKeyspaceNotifications
    consts = {n: getattr(theirs.EventType, n) for n in _public(theirs.EventType)}
    assert {n: getattr(EventType, n) for n in _public(EventType)} == consts
    assert [(m.name, m.value) for m in ours.ChannelType] == [(m.name, m.value) for m in theirs.ChannelType]
    for cls in ("AsyncKeyspaceNotifications", "AsyncClusterKeyspaceNotifications"):
        theirs_cls, ours_cls = getattr(theirs_async, cls), getattr(ours, cls)
        assert _public(theirs_cls) <= _public(ours_cls), _public(theirs_cls) - _public(ours_cls)
        for name in _public(theirs_cls):
            ref = getattr(theirs_cls, name)
            if not callable(ref) or isinstance(ref, type):
                continue
            params = list(inspect.signature(ref).parameters.values())
            mine = inspect.signature(getattr(ours_cls, name)).parameters
            for p in params:
                if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                    continue
                assert p.name in mine, f"{cls}.{name}: no parameter {p.name}"
                assert mine[p.name].default == p.default, f"{cls}.{name}({p.name})"
    for name in ("keyspace_notifications",):
        assert hasattr(Redis, name) and hasattr(redis.asyncio.Redis, name)


CHANNELS = [
    ("KeyspaceChannel", ("user:*",), {}), ("KeyspaceChannel", ("user:1",), {"db": 3}),
    ("KeyspaceChannel", ("my[key",), {}), ("KeyspaceChannel", ("a[bc]",), {}),
    ("KeyspaceChannel", (r"lit\*",), {}), ("KeyeventChannel", ("set",), {}),
    ("KeyeventChannel", ("*",), {"db": 2}), ("SubkeyspaceChannel", ("h",), {}),
    ("SubkeyeventChannel", ("hset",), {}), ("SubkeyspaceitemChannel", ("h", "f?"), {}),
    ("SubkeyspaceeventChannel", ("hdel", "h"), {"db": 1}),
]


@pytest.mark.parametrize(("cls", "args", "kw"), CHANNELS)
def test_channels_like_redis_py(cls, args, kw):
    a, b = getattr(ours, cls)(*args, **kw), getattr(theirs, cls)(*args, **kw)
    assert (str(a), repr(a), a.is_pattern, hash(a)) == (str(b), repr(b), b.is_pattern, hash(b))
    assert a == str(b) and ours.get_channel_type(str(a)).value == theirs.get_channel_type(str(b)).value
    assert KeyeventChannel.all_events(4) == str(theirs.KeyeventChannel.all_events(4))


RECORDED = [
    (b"__keyspace@0__:user:1", b"set"), ("__keyspace@0__:user:1", "del"),
    (b"__keyspace@0__:a\nb", b"set"), (b"__keyevent@5__:expired", b"user:2"),
    (b"__keyevent@0__:set", "caf\u00e9".encode()), (b"__keyspace@0__:\xff\xfe", b"set"),
    (b"__subkeyspace@0__:h", b"hset|1:a,3:b\xc3\xa9"), (b"__subkeyevent@0__:hdel", b"1:h|2:f1,1:x"),
    (b"__subkeyspaceitem@0__:h\nf", b"hset"), (b"__subkeyspaceevent@0__:hset|h", b"2:f1"),
    (b"__subkeyspace@0__:h", b"hset|9:short"), (b"__subkeyevent@0__:hdel", b"x:h|1:a"),
    (b"news", b"hello"), (b"__keyevent@x__:set", b"k"),
]


@pytest.mark.parametrize("prefix", [None, "user:", b"user:"])
def test_parsing_like_redis_py(prefix):
    for channel, data in RECORDED:
        for kind, pattern in (("message", None), ("pmessage", b"__key*")):
            msg = {"type": kind, "pattern": pattern, "channel": channel, "data": data}
            a = KeyNotification.from_message(msg, key_prefix=prefix)
            b = theirs.KeyNotification.from_message(msg, key_prefix=prefix)
            assert (a and dataclasses.asdict(a)) == (b and dataclasses.asdict(b)), (channel, data)
    assert KeyNotification.from_message({"type": "subscribe", "pattern": None,
                                         "channel": b"__keyspace@0__:k", "data": 1}) is None


# ------------------------------------------------------------------ one server


@pytest.fixture
async def notify(redis_server):
    """notify-keyspace-events KEA on the session server, put back afterwards."""
    r = Redis(**redis_server.client_kwargs())
    before = (await r.config_get("notify-keyspace-events"))["notify-keyspace-events"]
    await r.config_set("notify-keyspace-events", "KEA")
    try:
        yield redis_server
    finally:
        await r.config_set("notify-keyspace-events", before)
        await r.aclose()


async def _collect(ksn, n: int, via: str) -> list[dict]:
    out: list[dict] = []
    if via == "listen":
        async for note in ksn.listen():
            out.append(dataclasses.asdict(note))
            if len(out) == n:
                break
    else:
        while len(out) < n:
            note = await ksn.get_message(timeout=5.0)
            if note is not None:
                out.append(dataclasses.asdict(note))
    return out


@pytest.mark.parametrize("decode", [False, True])
@pytest.mark.parametrize("via", ["listen", "get_message"])
async def test_notifications_of_one_server_like_redis_py(notify, via, decode):
    """The same writes seen by both libraries: the same KeyNotification objects, in the
    same order, read with listen() or get_message()."""
    kw = notify.client_kwargs(decode_responses=decode)
    async with Redis(**kw) as r, redis.asyncio.Redis(**kw, protocol=2) as rp:
        a = r.keyspace_notifications(key_prefix="app:")
        b = rp.keyspace_notifications(key_prefix="app:")
        for ksn in (a, b):
            await ksn.subscribe(KeyspaceChannel("app:*"), KeyeventChannel(EventType.DEL))
            await ksn.subscribe_keyevent(EventType.EXPIRED)
        assert a.subscribed and b.subscribed
        await r.set("app:1", "x")
        await r.set("other", "y")  # not under the key prefix: filtered out
        await r.hset("app:h", "f", "v")
        await r.delete("app:1", "other")
        await r.set("app:t", "1", px=1)
        # keyspace: set, hset, del, set, expire, expired; keyevent: del, expired
        n = 8
        got_a, got_b = await asyncio.gather(_collect(a, n, via), _collect(b, n, via))
        assert got_a == got_b
        assert {(x["key"], x["event_type"], x["is_keyspace"]) for x in got_a} >= {
            ("1", "set", True), ("h", "hset", True), ("1", "del", False), ("t", "expired", False)}
        await a.unsubscribe(KeyspaceChannel("app:*"), KeyeventChannel(EventType.DEL),
                            KeyeventChannel(EventType.EXPIRED))
        await b.aclose()
        for _ in range(3):  # the three unsubscribe confirmations: never notifications
            assert await a.get_message(timeout=5) is None
        assert not a.subscribed
        await a.aclose()
        assert await a.get_message() is None  # closed: None, as redis-py


async def test_handlers_run_and_key_prefix(notify):
    """A plain and an async handler receive KeyNotification objects; run() drives them
    and ends once nothing is subscribed; run()'s exception_handler sees a handler's error."""
    async with Redis(**notify.client_kwargs()) as r, AsyncKeyspaceNotifications(r) as ksn:
        plain: list[KeyNotification] = []
        done = asyncio.Event()
        errors: list[BaseException] = []

        async def on_del(n: KeyNotification) -> None:
            if n.key == "boom":
                raise ValueError("boom")
            done.set()

        await ksn.subscribe_keyspace("h:*", handler=plain.append)
        await ksn.subscribe_keyevent("del", handler=on_del)
        runner = asyncio.ensure_future(ksn.run(poll_timeout=0.5,
                                               exception_handler=lambda e, k: errors.append(e)))
        await r.set("h:1", "v")
        await r.set("boom", "v")
        await r.delete("boom")
        await r.delete("h:1")
        await asyncio.wait_for(done.wait(), 5)
        assert [(n.key, n.event_type) for n in plain] == [("h:1", "set"), ("h:1", "del")]
        assert [str(e) for e in errors] == ["boom"]
        await ksn.unsubscribe(KeyspaceChannel("h:*"), KeyeventChannel("del"))
        await asyncio.wait_for(runner, 5)  # run() returns: nothing subscribed


async def test_one_server_resubscribes_after_a_lost_connection(notify):
    """CLIENT KILL of the subscriber's connection: the PubSub under it reconnects and
    resubscribes; a listen() loop goes on without an error."""
    async with Redis(**notify.client_kwargs()) as r, r.keyspace_notifications() as ksn:
        await ksn.subscribe_keyevent(EventType.SET)
        got: list[str] = []
        marker = asyncio.Event()

        async def reader() -> None:
            async for n in ksn.listen():
                got.append(n.key)
                if n.key == "after":
                    marker.set()

        task = asyncio.ensure_future(reader())
        await r.set("before", "1")
        await r.client_kill_filter(_type="pubsub")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not marker.is_set() and loop.time() < deadline:
            await r.set("after", "1")
            try:
                await asyncio.wait_for(asyncio.shield(marker.wait()), 0.2)
            except asyncio.TimeoutError:
                pass
        assert marker.is_set() and got[0] == "before"
        assert ksn.stats()["reconnects"] >= 1
        task.cancel()


# ------------------------------------------------------------------ the cluster


@pytest.fixture
async def cluster_notify(redis_cluster):
    """notify-keyspace-events KEA on every node of the session cluster (replicas too: one
    may be promoted), put back afterwards (a killed node restarts with its config file's)."""
    h = redis_cluster
    before = {s.port: h.call(s, "CONFIG", "GET", "notify-keyspace-events")[1] for s in h.live()}
    for s in h.live():
        h.call(s, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    try:
        yield h
    finally:
        for s in h.live():
            h.call(s, "CONFIG", "SET", "notify-keyspace-events", before.get(s.port, b""))


def _key_names(rc: RedisCluster, h, per_node: int, prefix: str) -> dict[int, list[str]]:
    return {s.port: keys_on(rc, s.port, per_node, prefix) for s in h.primaries()}


async def test_cluster_delivers_from_every_primary_like_redis_py(cluster_notify, rc):
    """Keys on each of the 3 primaries: every notification arrives, the same ones as
    redis-py's AsyncClusterKeyspaceNotifications gets on the same cluster."""
    h = cluster_notify
    keys = _key_names(rc, h, 3, "ks")
    assert len(keys) == 3
    flat = sorted(k for ks in keys.values() for k in ks)
    async with redis.asyncio.RedisCluster(**h.client_kwargs(), protocol=2) as rp:
        await rp.initialize()
        a = rc.keyspace_notifications()
        assert isinstance(a, AsyncClusterKeyspaceNotifications)
        b = rp.keyspace_notifications()
        try:
            for ksn in (a, b):
                await ksn.subscribe_keyspace("ks:*")
                await ksn.subscribe_keyevent(EventType.DEL)
            assert sorted(a._pubsub.stats()["nodes"]) == sorted(f"{s.host}:{s.port}" for s in h.primaries())
            for k in flat:
                await rc.set(k, "v")
            await rc.delete(*flat)
            n = 3 * len(flat)
            got_a, got_b = await asyncio.gather(_collect(a, n, "listen"), _collect(b, n, "get_message"))
            key = lambda x: (x["channel"], x["key"], x["event_type"])  # noqa: E731  # order per node only
            assert sorted(got_a, key=key) == sorted(got_b, key=key)
            assert {x["key"] for x in got_a} == set(flat)
            await a.unsubscribe(KeyspaceChannel("ks:*"), KeyeventChannel(EventType.DEL))
            assert not a.subscribed and a._pubsub.stats()["nodes"] == []
            await b.aclose()
            assert await eventually(rc.pubsub_numpat, 0) == 0  # every primary let go
        finally:
            await a.aclose()
            await b.aclose()


async def test_cluster_follows_kill_9_of_a_primary_redis_py_does_not(cluster_notify):
    """kill -9 of a primary while a listen() loop reads and another client writes: the
    notifications of its keys resume from the promoted replica by themselves, with a gap
    event for the subscriptions. redis-py's manager, on the same cluster with its own
    client that sends nothing else, re-subscribes only the nodes of its stale map and so
    never hears from the promoted replica."""
    h = cluster_notify
    async with RedisCluster(**h.client_kwargs()) as sub, RedisCluster(**h.client_kwargs()) as pub, \
            redis.asyncio.RedisCluster(**h.client_kwargs(), protocol=2) as rp:
        await pub.initialize()
        await rp.initialize()
        victim = h.primaries()[0]
        keys = _key_names(pub, h, 1, "kill")
        victim_key = keys[victim.port][0]
        gaps: list[GapEvent] = []
        a = AsyncClusterKeyspaceNotifications(sub, on_gap=gaps.append, reconcile_interval=0.5)
        b = rp.keyspace_notifications()
        seen_a: list[str] = []
        seen_b: list[str] = []
        resumed = asyncio.Event()

        async def listen_ours() -> None:
            async for n in a.listen():
                seen_a.append(n.key)
                if n.key == victim_key and n.event_type == EventType.INCRBY:  # INCR's event
                    resumed.set()

        async def listen_theirs() -> None:
            async for n in b.listen():
                seen_b.append(n.key)

        restarted = False
        tasks: list[asyncio.Task] = []
        try:
            await a.subscribe_keyspace("kill:*")
            await b.subscribe_keyspace("kill:*")
            tasks = [asyncio.ensure_future(listen_ours()), asyncio.ensure_future(listen_theirs())]
            for k in (k for ks in keys.values() for k in ks):
                await pub.set(k, "0")
            promoted = await asyncio.to_thread(h.kill_primary, victim)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while not resumed.is_set() and loop.time() < deadline:
                try:
                    await pub.incr(victim_key)
                except fastredis.RedisError:
                    pass  # the shard is down until the promotion
                try:
                    await asyncio.wait_for(asyncio.shield(resumed.wait()), 0.2)
                except asyncio.TimeoutError:
                    pass
            assert resumed.is_set(), "no notification from the promoted replica"
            assert f"{promoted.host}:{promoted.port}" in a._pubsub.stats()["nodes"]
            assert f"{victim.host}:{victim.port}" not in a._pubsub.stats()["nodes"]
            assert gaps and {e.reason for e in gaps} == {"connection-lost"}
            assert {p.decode() if isinstance(p, bytes) else p for e in gaps for p in e.patterns} \
                == {"__keyspace@0__:kill:*"}
            assert gaps[0].node == f"{victim.host}:{victim.port}"
            # redis-py: a further second of writes to the promoted replica's key, none heard
            mark = len(seen_b)
            for _ in range(10):
                await pub.incr(victim_key)
                await asyncio.sleep(0.1)
            assert victim_key not in seen_b[mark:]
            # the other primaries went on delivering to both throughout
            other = next(k for port, ks in keys.items() if port != victim.port for k in ks)
            await pub.incr(other)
            loop_deadline = loop.time() + 5
            while other not in seen_a[-5:] and loop.time() < loop_deadline:
                await asyncio.sleep(0.05)
            assert other in seen_a
        finally:
            for t in tasks:
                t.cancel()
            await a.aclose()
            await b.aclose()
            if not restarted:
                await asyncio.to_thread(h.restart, victim)
