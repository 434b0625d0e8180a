"""Every keyword redis-py 8.2's asyncio ``Redis`` / ``ConnectionPool`` accept is taken
(and works) or refused with an error naming it and why - never "unexpected keyword"."""

from __future__ import annotations

import inspect

import pytest

import fastredis
from fastredis import BlockingConnectionPool, ConnectionPool
from fastredis.exceptions import DataError

ra = pytest.importorskip("redis.asyncio")
rconn = pytest.importorskip("redis.asyncio.connection")


def _redis_py_keywords() -> set[str]:
    names: set[str] = set()
    for f in (ra.Redis.__init__, ra.ConnectionPool.__init__, ra.BlockingConnectionPool.__init__,
              rconn.AbstractConnection.__init__, rconn.Connection.__init__,
              rconn.SSLConnection.__init__, rconn.UnixDomainSocketConnection.__init__):
        for n, prm in inspect.signature(f).parameters.items():
            if n != "self" and prm.kind not in (prm.VAR_KEYWORD, prm.VAR_POSITIONAL):
                names.add(n)
    return names


def _default(name: str):
    """redis-py's default for ``name`` (its own value, taken from its signatures)."""
    for f in (ra.Redis.__init__, rconn.AbstractConnection.__init__, ra.BlockingConnectionPool.__init__):
        prm = inspect.signature(f).parameters.get(name)
        if prm is not None and prm.default is not inspect.Parameter.empty:
            return prm.default
    return None


# values of known options that fail only our value check (redis-py's sentinel objects)
_VALUE_CHECKED = {"socket_keepalive_options", "lib_name", "lib_version", "driver_info", "retry",
                  "ssl_cert_reqs", "db", "port", "protocol"}


def _outcome(make, name: str) -> str:
    """"ok", "refused" (an error naming the keyword, with a reason) or the error text."""
    try:
        make()
        return "ok"
    except (TypeError, DataError, ValueError) as exc:
        text = str(exc)
        if "unexpected keyword" in text:
            return text
        if name in text or name in _VALUE_CHECKED:
            return "refused"
        return text


@pytest.mark.parametrize("name", sorted(_redis_py_keywords()))
def test_every_redis_py_keyword_is_known(name):
    """redis-py's value for it is accepted by the client (or, for the waiting pool's own
    options, by BlockingConnectionPool), or refused by an error naming it with a reason."""
    value = ConnectionPool() if name == "connection_pool" else _default(name)
    got = _outcome(lambda: fastredis.Redis(**{name: value}), name)
    if got != "ok" and name in ("timeout", "queue_class", "max_connections"):
        got = _outcome(lambda: BlockingConnectionPool(**{name: value}), name)
    assert got in ("ok", "refused"), got


def test_event_dispatcher():
    from redis.event import EventDispatcher

    assert fastredis.Redis(event_dispatcher=None)
    assert fastredis.Redis(event_dispatcher=EventDispatcher())  # the default listeners: built in here

    class Mine:
        def listen(self, event):  # pragma: no cover
            pass

    custom = EventDispatcher({object: [Mine()]})
    with pytest.raises(TypeError, match="event_dispatcher.*never be called"):
        fastredis.Redis(event_dispatcher=custom)


def test_maint_notifications_config():
    from redis.maint_notifications import MaintNotificationsConfig

    for enabled in (False, "auto"):
        fastredis.Redis(maint_notifications_config=MaintNotificationsConfig(enabled=enabled))
        ConnectionPool(maint_notifications_config=MaintNotificationsConfig(enabled=enabled))
    with pytest.raises(TypeError, match="maint_notifications_config.*open-source"):
        fastredis.Redis(maint_notifications_config=MaintNotificationsConfig(enabled=True))


async def test_driver_info_sets_client_setinfo(redis_server):
    from redis.driver_info import DriverInfo

    info = DriverInfo(name="myapp", lib_version="9.9").add_upstream_driver("django-redis", "5.4.0")
    r = fastredis.Redis(**redis_server.client_kwargs(driver_info=info))
    try:
        assert r.connection_pool.params.lib_name == "myapp(django-redis_v5.4.0)"
        assert r.connection_pool.params.lib_version == "9.9"
        if redis_server.version >= (7, 2):
            me = await r.client_info()
            assert (me["lib-name"], me["lib-ver"]) == ("myapp(django-redis_v5.4.0)", "9.9")
        else:
            assert await r.ping() is True  # CLIENT SETINFO unknown to this server: ignored
    finally:
        await r.aclose()


def test_legacy_responses():
    fastredis.Redis(legacy_responses=True)
    with pytest.raises(TypeError, match="legacy_responses=False"):
        fastredis.Redis(legacy_responses=False)


async def test_cache_config_maps_to_ours():
    from redis.cache import CacheConfig

    r = fastredis.Redis(cache_config=CacheConfig(max_size=123))
    try:
        assert r.cache is not None and r.cache.config.max_entries == 123
    finally:
        await r.aclose()
    with pytest.raises(DataError, match="eviction_policy"):
        fastredis.Redis(cache_config=_with(CacheConfig(), _eviction_policy=_Named("LFU")))
    with pytest.raises(DataError, match="cache_predicate"):
        fastredis.Redis(cache_config=_with(CacheConfig(), _cache_predicate=lambda *a: True))
    with pytest.raises(TypeError, match="cache_config.*Redis"):
        ConnectionPool(cache_config=CacheConfig())


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


def _with(obj, **attrs):
    for k, v in attrs.items():
        setattr(obj, k, v)
    return obj


def test_pubsub_rejects_unknown_keywords():
    r = fastredis.Redis()
    with pytest.raises(TypeError, match="ignore_subscribe_message"):
        r.pubsub(ignore_subscribe_message=True)  # the typo
    # redis-py's own keywords are known
    r.pubsub(shard_hint="x", event_dispatcher=None, encoder=None, push_handler_func=None)
    with pytest.raises(TypeError, match="push_handler_func"):
        r.pubsub(push_handler_func=print)


async def test_never_decode_returns_bytes_on_a_decoding_client(redis_server):
    r = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        await r.delete("l")
        await r.set("bin", b"\xff\xfe\x00")
        await r.rpush("l", "a", b"\xff")
        assert await r.get("k-none") is None
        assert await r.execute_command("GET", "bin", NEVER_DECODE=True) == b"\xff\xfe\x00"
        assert await r.execute_command("LRANGE", "l", 0, -1, NEVER_DECODE=True) == [b"a", b"\xff"]
        dumped = await r.execute_command("DUMP", "bin", NEVER_DECODE=True)
        assert isinstance(dumped, bytes)
        # interleaved with decoded commands on the one shared connection, in order
        await r.set("s", "text")
        # (redis-py's rule: the flag's presence, whatever its value, means raw)
        res = await __import__("asyncio").gather(*(
            r.execute_command("GET", "s", **({"NEVER_DECODE": []} if i % 2 == 0 else {})) if i % 3
            else r.get("s")
            for i in range(60)))
        for i, v in enumerate(res):
            assert v == (b"text" if i % 3 and i % 2 == 0 else "text")
        assert await r.get("s") == "text"  # decoding is back on
    finally:
        await r.aclose()


async def test_retry_takes_redis_pys_backoff_and_retry_objects(redis_server):
    from redis.asyncio.retry import Retry as RedisPyRetry
    from redis.backoff import ExponentialWithJitterBackoff, NoBackoff

    from fastredis.retry import Retry

    ours = Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.1), 3)
    assert 0 <= ours.backoff.compute(2) <= 0.1
    ours.backoff.reset()
    r = fastredis.Redis(**redis_server.client_kwargs(retry=RedisPyRetry(NoBackoff(), 2)))
    try:
        assert r._retry.get_retries() == 2
        assert fastredis.ConnectionError in r._retry.supported_errors
        assert await r.ping() is True
    finally:
        await r.aclose()
    with pytest.raises(TypeError, match="backoff"):
        Retry(object(), 1)


async def test_connection_pool_retry(redis_server):
    from fastredis.backoff import NoBackoff
    from fastredis.retry import Retry

    assert ConnectionPool(retry=None).retry is None
    pool = ConnectionPool(**redis_server.client_kwargs(retry=Retry(NoBackoff(), 2)))
    r = fastredis.Redis(connection_pool=pool)
    try:
        assert r._retry is pool.retry and await r.ping() is True
    finally:
        await r.aclose()
        await pool.aclose()
