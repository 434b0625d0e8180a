"""``max_shared=N``: commands are spread over the shared connections by reply bytes in
flight, so a small command does not wait behind a large reply when another shared
connection exists or can be opened; small replies stay on one connection. Each test fails
on the code where the client's fast path always took the first shared connection. Async
tests run on asyncio and uvloop (conftest)."""

from __future__ import annotations

import asyncio
import random

import pytest
from conftest import eventually

import fastredis

BIG = 4 * 1024 * 1024  # a reply well past the pool's 64 KB "busy" mark


async def _client(server, key: str, size: int, **kw) -> fastredis.Redis:
    r = fastredis.Redis(**server.client_kwargs(**kw))
    await r.set(key, b"x" * size)
    return r


async def _reading(conn, nbytes: int) -> None:
    """Until ``conn`` holds ``nbytes`` of a reply still arriving (bounded: the caller's
    timeout)."""
    while conn._reader.len() < nbytes:
        await asyncio.sleep(0)


async def test_small_command_does_not_wait_behind_a_reply_being_received(redis_server):
    """A client that has seen only small replies: the large one is recognised by the
    bytes received of it so far. Its connection then stops reading (the reply cannot
    complete); a PING still answers, on a second connection."""
    size = 32 * 1024 * 1024  # more than a loop iteration can read (uvloop: ~2 MB)
    r = await _client(redis_server, "spread:huge", size, max_shared=2)
    try:
        (conn,) = r.connection_pool.all_connections()
        conn._transport.pause_reading()
        big = asyncio.ensure_future(r.get("spread:huge"))
        await asyncio.sleep(0)  # written
        conn._transport.resume_reading()
        await asyncio.wait_for(_reading(conn, 256 * 1024), 10)
        conn._transport.pause_reading()  # the rest of the reply stays in the socket
        assert not big.done()
        try:
            assert await asyncio.wait_for(r.ping(), 5) is True
            assert await asyncio.wait_for(r.get("spread:none"), 5) is None
        finally:
            conn._transport.resume_reading()
        assert len(await big) == size
        assert r.connection_pool.connection_count() == 2
    finally:
        await r.delete("spread:huge")
        await r.aclose()


async def test_small_command_does_not_wait_behind_a_large_reply_not_yet_arrived(redis_server):
    """A connection whose replies have been large is avoided as soon as such a command is
    pending on it, before any byte of its reply arrived."""
    r = await _client(redis_server, "spread:big", BIG, max_shared=2)
    try:
        assert len(await r.get("spread:big")) == BIG  # this connection's replies: large
        (conn,) = r.connection_pool.all_connections()
        conn._transport.pause_reading()  # nothing more is read on it for now
        try:
            big = asyncio.ensure_future(r.get("spread:big"))
            await asyncio.sleep(0)  # written
            assert conn.pending == 1
            assert await asyncio.wait_for(r.ping(), 5) is True
        finally:
            conn._transport.resume_reading()
        assert len(await big) == BIG
        assert r.connection_pool.connection_count() == 2
    finally:
        await r.aclose()


async def test_1500_concurrent_large_gets_spread_over_max_shared(redis_server):
    """1,500 concurrent GETs of 20 KB values (30 MB of replies) with max_shared=3, on a
    client that has read such a value before: all three connections carry replies and
    every caller gets its own value."""
    r = fastredis.Redis(**redis_server.client_kwargs(max_shared=3))
    try:
        values = {f"spread:v{i}": bytes([65 + i % 26]) * 20_000 for i in range(50)}
        await r.mset(values)
        await r.get("spread:v0")
        keys = [f"spread:v{i % 50}" for i in range(1500)]
        got = await asyncio.gather(*(r.get(k) for k in keys))
        assert got == [values[k] for k in keys]
        conns = r.connection_pool.all_connections()
        assert r.connection_pool.connection_count() == len(conns) == 3
        # each carried a share of the 30 MB (not all on the first connection)
        assert all(c.rx > 1_000_000 for c in conns), [c.rx for c in conns]
    finally:
        await r.aclose()


async def test_small_replies_stay_on_one_connection(redis_server):
    """Spreading is by bytes, not by command count: 300 concurrent small commands are
    multiplexed on one connection (writes coalesced), max_shared=3 notwithstanding."""
    r = fastredis.Redis(**redis_server.client_kwargs(max_shared=3))
    try:
        await r.mset({f"spread:s{i}": i for i in range(300)})
        for _ in range(3):
            got = await asyncio.gather(*(r.get(f"spread:s{i}") for i in range(300)))
            assert got == [str(i).encode() for i in range(300)]
        assert r.connection_pool.connection_count() == 1
    finally:
        await r.aclose()


async def test_pipeline_and_blocking_commands_with_max_shared(redis_server):
    """Pipelines are placed like commands; a cancelled BLPOP still has a shared
    connection to send its CLIENT UNBLOCK on (the pool has no single ``current`` one)."""
    r = await _client(redis_server, "spread:big", BIG, max_shared=2)
    try:
        await r.get("spread:big")
        (conn,) = r.connection_pool.all_connections()
        conn._transport.pause_reading()
        try:
            big = asyncio.ensure_future(r.get("spread:big"))
            await asyncio.sleep(0)
            async with r.pipeline(transaction=False) as p:
                p.set("spread:p", 1).incr("spread:p")
                assert await asyncio.wait_for(p.execute(), 5) == [True, 2]
        finally:
            conn._transport.resume_reading()
        assert len(await big) == BIG
        await r.delete("spread:list")
        t = asyncio.ensure_future(r.blpop(["spread:list"], timeout=0))

        async def blocked() -> int:
            return int((await r.info("clients"))["blocked_clients"])

        assert await eventually(blocked, 1) == 1
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        await r.lpush("spread:list", "v")
        assert await r.lpop("spread:list") == b"v"  # not handed to the cancelled BLPOP
    finally:
        await r.aclose()


async def _server_clients(admin: fastredis.Redis) -> int:
    me = await admin.execute_command("CLIENT", "ID")
    lines = (await admin.execute_command("CLIENT", "LIST")).decode().splitlines()
    return sum(1 for line in lines if not line.startswith(f"id={me} "))


@pytest.mark.parametrize("max_shared", [1, 3])
async def test_commands_cancelled_while_connecting_then_aclose_leave_nothing(redis_server, max_shared):
    """500 commands on one client, each cancelled at its own point of the connect, the
    client closed at another: no server connection and no fd is left. With max_shared=3
    the client has read a 1 MB value first, so half of the commands (GETs of it) make it
    open its extra connections meanwhile."""
    from faults import fd_count

    admin = fastredis.Redis(**redis_server.client_kwargs())
    try:
        await admin.set("spread:mb", b"m" * 1_000_000)
        assert await eventually(lambda: _server_clients(admin), 0) == 0
        fds = fd_count()
        rnd = random.Random(6)
        for _ in range(20):
            r = fastredis.Redis(**redis_server.client_kwargs(max_shared=max_shared))
            if max_shared > 1:
                await r.get("spread:mb")

            async def one(i: int, r=r) -> None:
                t = asyncio.ensure_future(r.get("spread:mb") if i % 2 else r.ping())
                for _ in range(rnd.randrange(12)):
                    await asyncio.sleep(0)  # land the cancel at every stage of the connect
                t.cancel()
                await asyncio.gather(t, return_exceptions=True)

            tasks = [asyncio.ensure_future(one(i)) for i in range(500)]
            for _ in range(rnd.randrange(12)):
                await asyncio.sleep(0)
            await r.aclose()
            await asyncio.gather(*tasks)
        assert await eventually(lambda: _server_clients(admin), 0) == 0

        async def fds_now() -> int:
            return fd_count()

        assert await eventually(fds_now, fds) == fds
    finally:
        await admin.delete("spread:mb")
        await admin.aclose()


async def test_extra_connection_refused_at_maxclients_fails_no_command(make_server, caplog):
    """The server takes one more client than it serves (maxclients): the extra shared
    connection gets its "max number of clients reached" and is closed, and the commands
    that made the client open it run on the open connection instead of failing."""
    server = make_server(config={"maxclients": 2})
    holder = fastredis.Redis(**server.client_kwargs())
    r = await _client(server, "spread:big", BIG, max_shared=2)
    try:
        await holder.ping()  # the second and last client the server takes
        assert len(await r.get("spread:big")) == BIG  # this connection's replies: large
        caplog.set_level("WARNING", logger="fastredis")
        results = await asyncio.wait_for(
            asyncio.gather(r.get("spread:big"), r.ping(), r.get("spread:none"), r.get("spread:big")), 30)
        assert [len(results[0]), results[1], results[2], len(results[3])] == [BIG, True, None, BIG]
        assert r.connection_pool.connection_count() == 1
        # RESP2: the first PING of the extra connection gets the error; RESP3 (the
        # default): its HELLO does, and the handshake failure is the warning
        assert any("cannot open another shared connection" in m or "max number of clients" in m
                   for m in caplog.messages)
    finally:
        await holder.aclose()
        await r.aclose()
