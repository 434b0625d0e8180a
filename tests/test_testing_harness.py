"""fastredis.testing as a user's project uses it: the plugin in a pytest run of its own
(pytester), with the ini lines the docs tell users to write."""

from __future__ import annotations

import asyncio

import pytest

import fastredis
from fastredis.testing import RedisServer, server_has_tls, server_kind, server_version

pytest_plugins = ["pytester"]

# what docs/testing.md tells users to put in their ini file, plus the warnings as errors
INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings =
    error::ResourceWarning
    error::pytest.PytestUnraisableExceptionWarning
"""

SECRET = "p@ss:w/rd %#?"  # every character a URL would have to quote


def run(pytester: pytest.Pytester, *args: str, subprocess: bool = False) -> pytest.RunResult:
    pytester.makeini(INI)
    argv = ("-p", "fastredis.testing", "-p", "no:cacheprovider", "-p", "no:valkey", *args)
    if subprocess:
        return pytester.runpytest_subprocess(*argv)
    return pytester.runpytest(*argv)


def test_url_with_password_works_with_from_url(make_server) -> None:
    server = make_server(password=SECRET)
    assert SECRET not in repr(server) and SECRET not in server.redacted_url
    assert "***" in server.redacted_url

    async def ping() -> bool:
        async with fastredis.from_url(server.url) as r:
            return await r.ping()

    assert asyncio.run(ping()) is True


def test_factory_fixture_makes_and_closes_clients(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        made = []

        async def test_factory(redis_client):
            text = redis_client(decode_responses=True)
            raw = redis_client()
            made.extend([text, raw])
            await text.set("k", "v")
            assert await text.get("k") == "v"
            assert await raw.get("k") == b"v"

        async def test_closed_at_teardown(redis):
            assert [c.connection_pool.connection_count() for c in made] == [0, 0]
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_existing_server_from_redis_url_is_never_flushed(
    pytester: pytest.Pytester, make_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    foreign = make_server(password=SECRET)
    assert foreign.cli("SET", "precious", "1").strip() == "OK"
    monkeypatch.setenv("REDIS_URL", foreign.url)
    pytester.makepyfile(
        f"""
        async def test_uses_redis_url(redis_server, redis):
            assert not redis_server.owned and redis_server.port == {foreign.port}
            assert {SECRET!r} not in repr(redis_server)
            assert await redis.get("precious") == b"1"
            await redis.set("mine", "x")

        async def test_factory_on_redis_url(redis_client):
            assert await redis_client().get("precious") == b"1"

        import pytest

        @pytest.mark.min_server("99.0")   # the version is asked of the REDIS_URL server
        def test_too_new():
            pass
        """
    )
    result = run(pytester, "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*needs Redis >= 99.0*"])
    assert SECRET not in result.stdout.str()
    assert foreign.cli("GET", "precious").strip() == "1"


def test_own_server_is_flushed_before_each_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        async def test_a(redis):
            await redis.set("left", "over")

        async def test_b(redis):
            assert await redis.get("left") is None
        """
    )
    run(pytester).assert_outcomes(passed=2)


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_benchmark_rounds_leave_no_resource_warning(pytester: pytest.Pytester, loop: str) -> None:
    pytest.importorskip("pytest_benchmark")
    pytester.makepyfile(
        f"""
        import asyncio, gc
        import uvloop

        def test_rounds(benchmark, redis_server):
            # one client per round, on the round's own new loop, closed before it ends
            async def once():
                async with redis_server.client() as r:
                    await r.set("k", "v")
                    return await r.get("k")

            new_loop = {"uvloop.new_event_loop" if loop == "uvloop" else "asyncio.new_event_loop"}

            def round_():
                ev = new_loop()
                try:
                    return ev.run_until_complete(once())
                finally:
                    ev.close()

            assert benchmark.pedantic(round_, rounds=20, iterations=1) == b"v"
            gc.collect()

        def test_rounds_with_the_factory(benchmark, redis_client):
            # the factory's clients made inside rounds: each round closes what it opened
            async def once():
                async with redis_client(decode_responses=True) as r:
                    return await r.incr("n")

            benchmark.pedantic(lambda: asyncio.run(once()), rounds=20, iterations=1)
            gc.collect()
        """
    )
    result = run(pytester, "--benchmark-disable-gc", "-W", "error::ResourceWarning", subprocess=True)
    result.assert_outcomes(passed=2)
    assert "ResourceWarning" not in result.stdout.str() + result.stderr.str()


def test_version_markers_skip_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.min_server("99.0")
        def test_future():
            pass

        @pytest.mark.min_server("2.8")
        def test_old_enough():
            pass

        @pytest.mark.requires_valkey
        def test_valkey_only():
            pass

        @pytest.mark.min_server("7.0", valkey="99.0")
        def test_valkey_minimum_of_its_own():
            pass
        """
    )
    result = run(pytester, "-rs")
    result.assert_outcomes(passed=2, skipped=2)
    result.stdout.fnmatch_lines(["*needs Redis >= 99.0*"])
    if server_kind() == "valkey":
        result.stdout.fnmatch_lines(["*needs Valkey >= 99.0 (running against valkey 9.*"])
    else:
        result.stdout.fnmatch_lines(["*needs Valkey (running against redis *"])


def test_valkey_server_starts_and_reports_its_version() -> None:
    from _cmds_helpers import valkey_or_skip

    valkey_or_skip()  # a failure under CI=true
    with RedisServer(server="valkey", password=SECRET) as server:
        assert server_version(server.binary)[0] == "valkey" and server.version >= (8,)

        async def info() -> dict:
            async with fastredis.from_url(server.url) as r:
                return await r.info("server")

        assert asyncio.run(info())["server_name"] == "valkey"
        assert not server_has_tls(server.binary) or server.version >= (8,)



def test_servers_left_by_a_test_process_that_died_are_stopped(tmp_path) -> None:
    """A test process that dies before its fixtures run (segfault, kill -9) leaves its
    servers running for ever; the next harness start stops them (``reap_orphans``), and
    never a server whose process is alive."""
    import os
    import subprocess
    import sys
    import time

    from fastredis.testing import reap_orphans

    code = ("import os; from fastredis.testing import RedisServer; s = RedisServer().start(); "
            "print(s.proc.pid, s.dir, flush=True); os._exit(1)")
    env = dict(os.environ, TMPDIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60, check=False)
    pid_s, directory = out.stdout.split()
    pid = int(pid_s)

    def running() -> bool:  # a killed orphan may linger as a zombie until init reaps it
        try:
            with open(f"/proc/{pid}/status") as f:
                return "\nState:\tZ" not in f.read()
        except OSError:
            return False

    alive_dir = tmp_path / "fastredis-test-alive"  # a live owner's (ours): never touched
    alive_dir.mkdir()
    (alive_dir / "owner").write_text(f"{os.getpid()} {pid}\n")
    try:
        assert running() and os.path.isdir(directory)
        assert reap_orphans(str(tmp_path)) == 1
        deadline = time.monotonic() + 10
        while running() and time.monotonic() < deadline:  # polling the OS, not the code
            time.sleep(0.01)
        assert not running()
        assert not os.path.exists(directory)
        assert alive_dir.is_dir()
        assert reap_orphans(str(tmp_path)) == 0
    finally:
        if running():
            os.kill(pid, 9)


def test_a_cluster_that_does_not_recover_is_replaced(caplog) -> None:
    """The session cluster's fixture gives every test a healthy cluster: one left without an
    agreed map (a shard's primary gone for good here; on Valkey, epochs that disagree after
    migrations back and forth) is replaced by a fresh one, logged, within the timeout."""
    import logging

    from conftest import server_or_fail

    from fastredis._testing_cluster import ClusterHarness

    server_or_fail()
    with ClusterHarness(primaries=3, replicas=0) as h:
        assert h.ready_or_rebuilt(5.0) is False
        h.primaries()[0].kill9()  # no replica: its slots stay uncovered
        with caplog.at_level(logging.WARNING, logger="fastredis.testing"):
            assert h.ready_or_rebuilt(1.0) is True
        assert "starting a fresh one" in caplog.text
        assert len(h.live()) == 3 and h.ready_or_rebuilt(5.0) is False
