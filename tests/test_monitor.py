"""``r.monitor()`` (issue 9 item 3): MONITOR on a connection of its own, redis-py's shape."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis_py

import fastredis
from fastredis.monitor import Monitor


async def _next_matching(m, text):
    while True:
        cmd = await m.next_command()
        if text in cmd["command"]:
            return cmd


async def test_next_command_shape(r):
    async with r.monitor() as m:
        assert isinstance(m, Monitor)
        await r.set("mon:k", 'a "quoted" value')
        cmd = await asyncio.wait_for(_next_matching(m, "mon:k"), 5)
        assert cmd["command"] == 'SET mon:k a "quoted" value'
        assert cmd["db"] == 0 and cmd["client_type"] == "tcp"
        assert cmd["client_address"] == "127.0.0.1" and int(cmd["client_port"]) > 0
        assert isinstance(cmd["time"], float)
        # the shared connection keeps working beside it
        assert await r.get("mon:k") == b'a "quoted" value'
    assert await r.ping()


async def test_same_dicts_as_redis_py(r, redis_server):
    theirs_client = redis_py.Redis(host=redis_server.host, port=redis_server.port)
    try:
        async with r.monitor() as ours, theirs_client.monitor() as theirs:
            await r.execute_command("ECHO", "mon-compare")
            a = await asyncio.wait_for(_next_matching(ours, "mon-compare"), 5)
            b = await asyncio.wait_for(_next_matching(theirs, "mon-compare"), 5)
            assert a == b
            assert set(a) == {"time", "db", "client_address", "client_port", "client_type", "command"}
    finally:
        await theirs_client.aclose()


async def test_listen_and_async_for(r):
    seen = []
    async with r.monitor() as m:
        for i in range(3):
            await r.set(f"mon:l{i}", i)
        async for cmd in m.listen():
            if cmd["command"].startswith("SET mon:l"):
                seen.append(cmd["command"])
                if len(seen) == 3:
                    break
    assert seen == ["SET mon:l0 0", "SET mon:l1 1", "SET mon:l2 2"]


async def test_lines_that_arrive_with_the_ok_are_kept(r):
    # A busy server: commands already running when MONITOR is sent. Their lines can come
    # in the same read as +OK; none may be lost or break the connection.
    stop = asyncio.Event()

    async def busy():
        i = 0
        while not stop.is_set():
            await r.set("mon:busy", i)
            i += 1

    task = asyncio.ensure_future(busy())
    try:
        for _ in range(5):
            async with r.monitor() as m:
                cmd = await asyncio.wait_for(_next_matching(m, "mon:busy"), 5)
                assert cmd["command"].startswith("SET mon:busy")
    finally:
        stop.set()
        await task


async def test_db_and_lua_client(make_server):
    server = make_server()
    client = server.client(db=3)
    try:
        async with client.monitor() as m:
            await client.eval("return redis.call('set', KEYS[1], 'x')", 1, "mon:lua")
            cmd = await asyncio.wait_for(_next_matching(m, "mon:lua"), 5)
            if cmd["client_type"] != "lua":  # the EVAL line comes first, then the script's
                cmd = await asyncio.wait_for(_next_matching(m, "mon:lua"), 5)
            assert cmd["client_type"] == "lua" and cmd["db"] == 3
    finally:
        await client.aclose()


async def test_closing_ends_listen_and_frees_the_connection(r):
    m = r.monitor()
    await m.connect()

    async def consume():
        return [c async for c in m]

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0)
    await m.aclose()
    assert await asyncio.wait_for(task, 5) == []
    await m.aclose()  # twice is fine
    with pytest.raises(fastredis.RedisError):
        await m.next_command()
    clients = await r.client_list()
    assert not [c for c in clients if c.get("cmd") == "monitor"]


async def test_lost_connection_raises(make_server):
    server = make_server()
    client = server.client()
    try:
        async with client.monitor() as m:
            server.kill9()
            with pytest.raises(fastredis.ConnectionError):
                await asyncio.wait_for(m.next_command(), 10)
    finally:
        await client.aclose()


async def test_refused_monitor_raises(make_server):
    server = make_server(password="s3cret")
    admin = server.client()
    try:
        await admin.execute_command("ACL", "SETUSER", "nomon", "on", ">pw", "~*", "+@all", "-monitor")
        limited = fastredis.Redis(host=server.host, port=server.port, username="nomon", password="pw")
        with pytest.raises(fastredis.NoPermissionError):
            async with limited.monitor():
                pass
        await limited.aclose()
    finally:
        await admin.aclose()


async def test_a_slow_reader_pauses_the_socket(r):
    async with Monitor(r.connection_pool, high_water=8) as m:
        await r.mset({f"mon:p{i}": i for i in range(3)})
        for i in range(40):
            await r.set("mon:slow", i)
        proto = m._proto
        assert proto is not None
        for _ in range(500):  # the lines are on their way: wait for them to pile up
            if proto.paused:
                break
            await asyncio.sleep(0.01)
        assert proto.paused  # nobody read: the socket stopped being read past 8 lines
        commands = []
        while len(commands) < 40:
            cmd = await asyncio.wait_for(m.next_command(), 5)
            if cmd["command"].startswith("SET mon:slow"):
                commands.append(cmd["command"])
        assert commands == [f"SET mon:slow {i}" for i in range(40)]
        assert not proto.paused


@pytest.mark.parametrize("transport", ["tls", "unix"])
async def test_monitor_over_tls_and_unix_sockets(make_server, tmp_path, transport):
    # the connection's protocol is switched after the handshake: TLS and unix transports too
    if transport == "tls":
        trustme = pytest.importorskip("trustme")
        ca = trustme.CA()
        cert = ca.issue_cert("localhost")
        paths = {n: str(tmp_path / n) for n in ("ca.pem", "cert.pem", "key.pem")}
        ca.cert_pem.write_to_path(paths["ca.pem"])
        cert.cert_chain_pems[0].write_to_path(paths["cert.pem"])
        cert.private_key_pem.write_to_path(paths["key.pem"])
        server = make_server(tls={"cert": paths["cert.pem"], "key": paths["key.pem"],
                                  "ca": paths["ca.pem"], "auth_clients": "no"})
        client = fastredis.Redis(host="localhost", port=server.tls_port, ssl=True,
                                 ssl_ca_certs=paths["ca.pem"])
        kind = "tcp"
    else:
        server = make_server(unix_socket=True)
        client = fastredis.Redis(unix_socket_path=server.unix_path)
        kind = "unix"
    try:
        async with client.monitor() as m:
            await client.set("mon:t", "1")
            cmd = await asyncio.wait_for(_next_matching(m, "mon:t"), 5)
            assert cmd["command"] == "SET mon:t 1" and cmd["client_type"] == kind
        assert await client.get("mon:t") == b"1"
    finally:
        await client.aclose()
