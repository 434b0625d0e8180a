"""Fixtures for the pytest-benchmark suite (``pytest bench/ --benchmark-only``).

Local to bench/: ``make test`` runs ``pytest tests`` (and ``testpaths`` is ``tests``), so
neither this file nor test_bench.py is collected there, and nothing here is a plugin that
could reach tests/. The server is this suite's own throw-away redis-server (or REDIS_URL).
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # workloads.py / publisher.py live beside this file (no package)
    sys.path.insert(0, HERE)


@pytest.fixture(scope="session")
def bench_server():
    """(host, port) of a redis-server for the whole session."""
    url = os.environ.get("REDIS_URL")
    if url:
        u = urlparse(url)
        yield u.hostname or "127.0.0.1", u.port or 6379
        return
    from fastredis.testing import RedisServer, find_redis_server

    if find_redis_server() is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("redis-server is not installed (CI=true)", pytrace=False)
        pytest.skip("redis-server is not installed")
    # a Pub/Sub backlog must not get its subscriber disconnected
    server = RedisServer(config={"client-output-buffer-limit": "pubsub 0 0 0"}).start()
    try:
        yield server.host, server.port
    finally:
        server.stop()


@pytest.fixture(params=["asyncio", "uvloop"])
def loop(request):
    """A private event loop; the benchmarked callables drive it with run_until_complete."""
    import workloads

    ev = workloads.new_loop(request.param)
    try:
        yield ev
    finally:
        ev.run_until_complete(ev.shutdown_asyncgens())
        ev.close()


@pytest.fixture(params=["fastredis", "redis-py"])
def client_name(request):
    return request.param


@pytest.fixture
def client(client_name, loop, bench_server):
    host, port = bench_server
    if client_name == "fastredis":
        import fastredis

        r = fastredis.Redis(host=host, port=port)
    else:
        import redis.asyncio

        r = redis.asyncio.Redis(host=host, port=port)
    try:
        yield r
    finally:
        loop.run_until_complete(r.aclose())
