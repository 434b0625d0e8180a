"""Issue 5, cases 5, 13, 14: half-open connections, cuts, unix sockets.

No command is ever re-sent by the client: a command whose connection broke may have run
on the server, so it fails with ConnectionError and the *next* command reconnects."""

from __future__ import annotations

import asyncio
import os

import pytest
from faults import FaultProxy

import fastredis
from fastredis._protocol import pack

DEADLINE = 10


@pytest.fixture
async def proxy(redis_server):
    async with FaultProxy(redis_server.port) as p:
        yield p


async def _calls(redis, command: str) -> int:
    stats = await redis.info("commandstats")
    return stats.get(f"cmdstat_{command}", {}).get("calls", 0)


# ---------------------------------------------------------------------------- case 5
async def test_blackhole_times_out_then_heals(proxy, redis):
    """A partition that heals: TCP delivers the held bytes late; the late replies are
    dropped on arrival and every later command gets its own reply."""
    await redis.set("k", "v")
    client = fastredis.Redis(**proxy.client_kwargs(socket_timeout=0.2))
    try:
        assert await client.get("k") == b"v"
        conn = client.connection_pool.current
        proxy.blackhole()
        with pytest.raises(fastredis.TimeoutError):
            await asyncio.wait_for(client.get("k"), DEADLINE)
        proxy.end_blackhole(heal=True)
        assert await asyncio.wait_for(client.echo("after"), DEADLINE) == b"after"
        assert await client.get("k") == b"v"
        assert client.connection_pool.current is conn and conn.pending == 0
    finally:
        await client.aclose()


async def _recover(client, check) -> int:
    """Retry ``check`` until it succeeds; return how many attempts failed on the way."""
    failures = 0
    while True:
        try:
            if await check():
                return failures
        except (fastredis.TimeoutError, fastredis.ConnectionError):
            failures += 1


async def test_half_open_connection_is_abandoned(proxy, redis):
    """The peer vanished (the blackholed connection never forwards again): commands time
    out, never hang, and once the path works again the client recovers by itself."""
    await redis.set("k", "v")
    client = fastredis.Redis(**proxy.client_kwargs(socket_timeout=0.2))
    try:
        assert await client.get("k") == b"v"
        old = client.connection_pool.current
        proxy.blackhole()
        with pytest.raises(fastredis.TimeoutError):
            await asyncio.wait_for(client.get("k"), DEADLINE)
        assert not old.closed  # one timeout alone keeps the connection (a slow server)
        # a second timeout while the first reply is still missing: presumed dead, closed
        with pytest.raises(fastredis.TimeoutError):
            await asyncio.wait_for(client.get("k"), DEADLINE)
        assert old.closed and old.pending == 0
        proxy.end_blackhole(heal=False)  # old connections stay open and silent for ever

        async def check() -> bool:
            return await client.get("k") == b"v"

        assert await asyncio.wait_for(_recover(client, check), DEADLINE) == 0
        assert client.connection_pool.current is not old
        assert client.connection_pool.connection_count() == 1
    finally:
        await client.aclose()


async def test_blackhole_with_concurrent_commands_never_hangs(proxy, redis):
    client = fastredis.Redis(**proxy.client_kwargs(socket_timeout=0.2))
    try:
        await client.ping()
        conn = client.connection_pool.current
        proxy.blackhole()
        results = await asyncio.wait_for(
            asyncio.gather(*(client.get(f"k{i}") for i in range(50)), return_exceptions=True),
            DEADLINE,
        )
        assert all(isinstance(r, fastredis.TimeoutError) for r in results), results
        # fifty timeouts at the same moment are one timeout's worth of silence
        assert not conn.closed and conn.pending == 50
        proxy.end_blackhole(heal=False)

        async def check() -> bool:
            return await client.ping()

        # one more timeout on the dead connection closes it; the next command reconnects
        assert await asyncio.wait_for(_recover(client, check), DEADLINE) == 1
        assert conn.closed and client.connection_pool.current is not conn
    finally:
        await client.aclose()


# ---------------------------------------------------------------------------- case 14
async def test_cut_before_reply_is_not_retried(proxy, redis):
    await redis.execute_command("DEL", "counter")
    client = fastredis.Redis(**proxy.client_kwargs())
    try:
        await client.ping()
        incr_before = await _calls(redis, "incr")
        # the whole INCR reaches the server, its reply never reaches the client
        proxy.cut_after(len(pack(("INCR", "counter"))))
        with pytest.raises(fastredis.ConnectionError):
            await asyncio.wait_for(client.incr("counter"), DEADLINE)
        assert proxy.cuts == 1
        proxy.cut_after(None)
        # it ran once, and the client did not silently run it again
        assert await redis.get("counter") == b"1"
        assert await client.get("counter") == b"1"  # the next command reconnects
        assert await _calls(redis, "incr") == incr_before + 1
        assert proxy.accepted == 2
    finally:
        await client.aclose()


async def test_cut_fails_every_command_in_flight_and_next_reconnects(proxy, redis):
    client = fastredis.Redis(**proxy.client_kwargs())
    try:
        await client.ping()
        conn = client.connection_pool.current
        proxy.hold_replies()
        start = proxy.c2s_bytes
        tasks = [asyncio.ensure_future(client.incr("n")) for _ in range(20)]
        await asyncio.wait_for(proxy.wait_c2s(start + 20 * len(pack(("INCR", "n")))), DEADLINE)
        proxy.cut_all()
        proxy.release_replies()
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), DEADLINE)
        assert all(isinstance(r, fastredis.ConnectionError) for r in results), results
        assert conn.closed and conn.pending == 0
        # all twenty ran on the server; none is re-sent
        assert await client.get("n") == b"20"
        assert client.connection_pool.current is not conn
        assert proxy.accepted == 2
    finally:
        await client.aclose()


# ---------------------------------------------------------------------------- case 13
async def test_unix_socket_commands_and_pipelines(make_server):
    server = make_server(unix_socket=True)
    for client in (
        fastredis.Redis(unix_socket_path=server.unix_path),
        fastredis.Redis.from_url(f"unix://{server.unix_path}?db=3"),
    ):
        try:
            assert await client.set("u", "1") is True
            assert await client.incr("u") == 2
            pipe = client.pipeline(transaction=False)
            pipe.set("a", "x").get("a").incr("u")
            assert await pipe.execute() == [True, b"x", 3]
            pipe = client.pipeline(transaction=True)
            pipe.get("a").incr("u")
            assert await pipe.execute() == [b"x", 4]
            info = await client.client_list()
            assert any(c.get("addr", "").startswith("/") or c.get("laddr", "").startswith("/")
                       or "unix" in c.get("flags", "U") or c.get("flags") == "U" for c in info)
        finally:
            await client.aclose()
    db3 = fastredis.Redis(unix_socket_path=server.unix_path, db=3)
    try:
        assert await db3.get("u") == b"4"
    finally:
        await db3.aclose()


async def test_missing_unix_socket_names_the_path(tmp_path):
    path = os.path.join(str(tmp_path), "no-such-redis.sock")
    for client in (fastredis.Redis(unix_socket_path=path), fastredis.Redis.from_url(f"unix://{path}")):
        try:
            with pytest.raises(fastredis.ConnectionError) as info:
                await asyncio.wait_for(client.ping(), DEADLINE)
            assert path in str(info.value)
            assert isinstance(info.value.__cause__, OSError)
        finally:
            await client.aclose()
