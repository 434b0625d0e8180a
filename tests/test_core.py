"""Core client acceptance (issue 2): cancellation safety, multiplexing, reconnect, URLs."""

from __future__ import annotations

import asyncio
import random

import pytest

import fastredis
from fastredis.connection import parse_url


async def test_10000_randomly_cancelled_commands_never_misalign(r):
    rnd = random.Random(1234)
    await r.mset({f"key:{i}": f"val:{i}" for i in range(500)})
    wrong = 0
    done = 0
    for _ in range(20):  # 20 rounds x 500 = 10,000 commands
        tasks = []
        for _ in range(500):
            k = rnd.randrange(500)
            tasks.append((k, asyncio.ensure_future(r.get(f"key:{k}"))))
        # cancel a random third: some before sending, most while in flight
        for _k, t in rnd.sample(tasks, 170):
            t.cancel()
        if rnd.random() < 0.5:
            await asyncio.sleep(0)
        for k, t in tasks:
            try:
                v = await t
            except asyncio.CancelledError:
                continue
            done += 1
            if v != f"val:{k}".encode():
                wrong += 1
    assert wrong == 0
    assert done > 5000
    conn = r.connection_pool.current
    assert conn is not None and not conn.closed
    assert await r.ping() is True
    assert conn.pending == 0  # no waiter left behind
    assert r.connection_pool.current is conn  # the connection was kept


async def test_200_tasks_use_a_handful_of_connections(r):
    async def work(i):
        await r.set(f"t{i}", i)
        return await r.get(f"t{i}")

    res = await asyncio.gather(*(work(i) for i in range(200)))
    assert res == [str(i).encode() for i in range(200)]
    info = await r.info("clients")
    assert info["connected_clients"] <= 4


async def test_blpop_does_not_delay_a_concurrent_ping(r):
    blpop = asyncio.ensure_future(r.blpop(["nothing-here"], timeout=2))
    ping = asyncio.ensure_future(r.ping())
    done, _ = await asyncio.wait({blpop, ping}, return_when=asyncio.FIRST_COMPLETED)
    assert ping in done and not blpop.done()
    assert await blpop is None


async def test_lost_connection_reconnects_for_next_command(r):
    await r.set("n", 0)
    cid = await r.client_id()
    conn = r.connection_pool.current
    other = fastredis.Redis(host=r.connection_pool.params.host, port=r.connection_pool.params.port)
    await other.execute_command("CLIENT", "KILL", "ID", cid)
    await asyncio.wait_for(conn.wait_closed(), 5)
    # the lost connection is replaced on the next command; nothing is re-sent
    assert await r.incr("n") == 1
    assert await r.client_id() != cid
    assert r.connection_pool.connection_count() == 1
    await other.aclose()


async def test_timeout_keeps_connection_and_alignment(redis_server):
    r = fastredis.Redis(**redis_server.client_kwargs(socket_timeout=0.1))
    other = fastredis.Redis(**redis_server.client_kwargs())
    await r.set("a", "A")
    conn = r.connection_pool.current
    blocker = asyncio.ensure_future(other.execute_command("DEBUG", "SLEEP", 0.4))
    await asyncio.sleep(0.05)  # let DEBUG SLEEP reach the server first (ordering, not timing)
    with pytest.raises(fastredis.TimeoutError):
        await r.get("a")
    await blocker
    assert await r.get("a") == b"A"
    assert r.connection_pool.current is conn
    await r.aclose()
    await other.aclose()


async def test_data_error_before_sending(r):
    for bad in (None, True, {"a": 1}, [1, [2]], object()):
        with pytest.raises(fastredis.DataError):
            await r.set("k", bad)
    assert await r.dbsize() == 0
    assert await r.ping() is True


async def test_decode_responses_and_encoding(redis_server):
    r = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    await r.set("é", "ü")
    assert await r.get("é") == "ü"
    await r.aclose()
    r = fastredis.Redis(**redis_server.client_kwargs(encoding="latin-1", decode_responses=True))
    await r.set("x", "é")
    assert await r.strlen("x") == 1
    assert await r.get("x") == "é"
    await r.aclose()


def test_parse_url():
    assert parse_url("redis://u:p%40ss@h:1234/3?socket_timeout=1.5&decode_responses=true") == {
        "username": "u", "password": "p@ss", "host": "h", "port": 1234, "db": 3,
        "socket_timeout": 1.5, "decode_responses": True,
    }
    assert parse_url("rediss://h")["ssl"] is True
    assert parse_url("unix:///tmp/r.sock?db=2") == {"path": "/tmp/r.sock", "db": 2}
    with pytest.raises(fastredis.DataError):
        parse_url("http://h")


async def test_from_url_db_and_name(redis_server):
    r = fastredis.from_url(f"redis://127.0.0.1:{redis_server.port}/5?client_name=tourist")
    await r.set("only-in-5", 1)
    assert await r.client_getname() == "tourist"  # str, as redis-py (issue 9)
    r0 = fastredis.Redis(**redis_server.client_kwargs())
    assert await r0.exists("only-in-5") == 0
    await r.aclose()
    await r0.aclose()


async def test_secrets_never_in_repr_or_errors(make_server):
    server = make_server(password="hunter2-secret")
    r = fastredis.Redis(**server.client_kwargs(password="wrong-secret-pw"))
    with pytest.raises(fastredis.AuthenticationError) as ei:
        await r.ping()
    text = repr(ei.value) + str(ei.value) + repr(ei.value.__cause__) + repr(ei.value.__context__)
    assert "wrong-secret-pw" not in text
    for obj in (r, r.connection_pool, r.connection_pool.params):
        assert "wrong-secret-pw" not in repr(obj)
    await r.aclose()
    r = fastredis.from_url(f"redis://:hunter2-secret@127.0.0.1:{server.port}/0")
    assert await r.ping() is True
    assert "hunter2" not in repr(r) + repr(r.connection_pool) + repr(r.connection_pool.current)
    await r.aclose()


async def test_async_with_and_close_twice(redis_server):
    async with fastredis.Redis(**redis_server.client_kwargs()) as r:
        assert await r.ping()
    await r.aclose()
    r.connection_pool.disconnect()


def test_import_is_light():
    """`import fastredis` adds nothing heavy beyond asyncio and hiredis themselves."""
    import subprocess
    import sys

    code = (
        "import sys, asyncio, hiredis; base = set(sys.modules); import fastredis; "
        "print(sorted(m for m in set(sys.modules) - base if m.split('.')[0] != 'fastredis'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    added = eval(out.stdout)
    for heavy in ("uvloop", "ssl", "typing_extensions", "redis", "urllib.parse"):
        assert heavy not in added, added


def test_import_leaves_asyncio_to_the_first_connect():
    """`import fastredis` does not import asyncio (~25 ms): a library importing fastredis
    pays for it when a client first connects (client.py imports it there)."""
    import subprocess
    import sys

    code = "import sys; import fastredis; print('asyncio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


async def test_max_shared_spreads_commands_over_a_few_connections(redis_server):
    # 300 concurrent GETs of 100 KB values: more reply bytes in flight than one
    # connection is given (64 KB), so all three connections carry replies (the fast path
    # once always took the first one, and "1 <= count <= 3" let that pass)
    r = fastredis.Redis(**redis_server.client_kwargs(max_shared=3))
    await r.mset({f"s{i}": str(i).encode() * 100_000 for i in range(10)})
    await r.get("s0")  # the size of its replies is learnt from those it has read
    res = await asyncio.gather(*(r.get(f"s{i % 10}") for i in range(300)))
    assert res == [str(i % 10).encode() * 100_000 for i in range(300)]
    assert r.connection_pool.connection_count() == 3
    await r.aclose()


async def test_blocking_command_deadline_is_its_timeout_plus_socket_timeout(redis_server):
    r = fastredis.Redis(**redis_server.client_kwargs(socket_timeout=0.2))
    await r.delete("empty")
    # the server answers BLPOP's own 0.5 s timeout; socket_timeout does not cut it short
    assert await r.blpop(["empty"], timeout=0.5) is None
    # a server that stops answering (CLIENT PAUSE) is given up on after 0.3 + 0.2 s
    other = fastredis.Redis(**redis_server.client_kwargs())
    await r.ping()
    await other.execute_command("CLIENT", "PAUSE", 1500, "ALL")
    with pytest.raises(fastredis.TimeoutError):
        await r.blpop(["empty"], timeout=0.3)
    await other.execute_command("CLIENT", "UNPAUSE")
    assert await r.lpush("empty", 1) == 1  # the client is still usable
    await other.aclose()
    await r.aclose()


def test_client_reused_across_event_loops(redis_server):
    """One client used by several asyncio.run() calls / benchmark rounds, on both loops:
    each loop gets connections of its own; nothing is sent on another loop's connection."""
    import gc
    import warnings

    import uvloop

    r = fastredis.Redis(**redis_server.client_kwargs())

    async def round_trip(i):
        await r.set("loops", i)
        pipe = r.pipeline()
        pipe.incr("loops").get("loops")
        res = await pipe.execute()
        assert await r.blpop(["loops-empty"], timeout=0.05) is None
        return res

    with warnings.catch_warnings():
        # each loop's connections are closed as that loop shuts down: nothing to warn about
        warnings.simplefilter("error", ResourceWarning)
        assert asyncio.run(round_trip(1)) == [2, b"2"]
        assert uvloop.run(round_trip(10)) == [11, b"11"]
        assert asyncio.run(round_trip(20)) == [21, b"21"]

        async def close():
            await r.aclose()

        asyncio.run(close())
        gc.collect()
