"""Issue 8, Core items 9-14 (and issue 10's import circle): each test fails on the code
before the fix. Async tests run on asyncio and uvloop (conftest)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import socket
import threading
import warnings

import pytest
from conftest import eventually
from faults import FaultProxy, fd_count

import fastredis
from fastredis.backoff import ExponentialBackoff, NoBackoff
from fastredis.retry import Retry

# ---------------------------------------------------------------------------- helpers


async def _clients(admin: fastredis.Redis, name: str | None = None) -> int:
    """Server-side connections, other than the admin's own (optionally: with a name)."""
    me = await admin.execute_command("CLIENT", "ID")
    lines = (await admin.execute_command("CLIENT", "LIST")).decode().splitlines()
    n = 0
    for line in lines:
        fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
        if int(fields["id"]) == me:
            continue
        if name is None or fields.get("name") == name:
            n += 1
    return n


@contextlib.asynccontextmanager
async def _admin(server):
    admin = fastredis.Redis(**server.client_kwargs())
    try:
        await admin.ping()
        yield admin
    finally:
        await admin.aclose()


# ---------------------------------------------------------------------------- item 9


async def test_cancel_while_connecting_leaks_nothing_past_aclose(redis_server):
    """500 PINGs cancelled at random points of the connect, each client closed at once:
    afterwards no file descriptor and no server connection is left (asyncio.wait_for on
    3.10/3.11 swallowed the cancel and handed back a socket nobody owned)."""
    async with _admin(redis_server) as admin:
        await eventually(lambda: _clients(admin), 0)
        fds = fd_count()
        rnd = random.Random(9)
        outcomes = set()
        for _ in range(500):
            r = fastredis.Redis(**redis_server.client_kwargs(client_name="item9"))
            t = asyncio.ensure_future(r.ping())
            for _ in range(rnd.randrange(8)):
                await asyncio.sleep(0)  # land the cancel at every stage of the connect
            t.cancel()
            await r.aclose()
            try:
                outcomes.add(await t)
            except asyncio.CancelledError:
                outcomes.add("cancelled")
            except fastredis.ClientClosedError:
                outcomes.add("closed")
        assert "cancelled" in outcomes
        assert await eventually(lambda: _clients(admin), 0) == 0

        async def fds_now():
            return fd_count()

        assert await eventually(fds_now, fds) == fds


# ---------------------------------------------------------------------------- item 10


@pytest.mark.parametrize("kind", ["asyncio", "uvloop"])
def test_one_client_two_threads_two_loops(redis_server, kind):
    """Two threads, each with its own loop, one client: 6,000 calls, 0 failures (each
    loop used to abort the other's connection)."""
    import uvloop

    run = asyncio.run if kind == "asyncio" else uvloop.run
    r = fastredis.Redis(**redis_server.client_kwargs())
    failures: list[BaseException] = []
    wrong = []

    async def work(t: int) -> None:
        async def one(i: int) -> None:
            for j in range(30):
                key = f"loops:{t}:{i}:{j}"
                try:
                    await r.set(key, j)
                    if await r.get(key) != str(j).encode():
                        wrong.append(key)
                except Exception as exc:  # counted, not raised: the test reports them all
                    failures.append(exc)

        await asyncio.gather(*(one(i) for i in range(50)))  # 50 x 30 x 2 = 3,000 calls

    threads = [threading.Thread(target=run, args=(work(t),)) for t in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not failures, failures[:3]
    assert not wrong
    run(r.aclose())


async def test_main_loop_and_asyncio_run_in_a_thread_alternate(redis_server):
    """The main loop keeps its connection while asyncio.run() calls in a thread come and
    go; each thread loop's connection is closed with its loop: no ResourceWarning."""
    loop = asyncio.get_running_loop()
    r = fastredis.Redis(**redis_server.client_kwargs(client_name="alt"))
    main_ids = set()
    thread_ids = []
    async with _admin(redis_server) as admin:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            for _ in range(10):
                main_ids.add(await r.execute_command("CLIENT", "ID"))
                thread_ids.append(await loop.run_in_executor(
                    None, asyncio.run, r.execute_command("CLIENT", "ID")))
            main_ids.add(await r.execute_command("CLIENT", "ID"))
            gc.collect()
        assert len(main_ids) == 1  # one connection for 11 calls on the main loop
        assert len(set(thread_ids)) == 10 and not main_ids & set(thread_ids)
        assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
        # the connections of the ten closed loops are gone; the main loop's stays
        assert await eventually(lambda: _clients(admin, "alt"), 1) == 1
        await r.aclose()
        assert await eventually(lambda: _clients(admin, "alt"), 0) == 0


def test_loop_closed_by_hand_releases_its_connections(redis_server):
    """A loop closed without shutdown_asyncgens (made and closed by hand): its connections
    are released when the client is next used elsewhere, without a ResourceWarning."""
    r = fastredis.Redis(**redis_server.client_kwargs())
    loop = asyncio.new_event_loop()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        assert loop.run_until_complete(r.ping()) is True
        loop.close()
        assert asyncio.run(r.ping()) is True
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert r.connection_pool.connection_count() == 0  # asyncio.run closed its own too


# ---------------------------------------------------------------------------- item 11


async def test_max_clients_error_keeps_the_servers_text(make_server):
    server = make_server(config={"maxclients": 1})
    holder = fastredis.Redis(**server.client_kwargs())
    await holder.ping()
    r = fastredis.Redis(**server.client_kwargs())
    with pytest.raises(fastredis.ConnectionError, match="max number of clients reached"):
        await r.ping()
    # with a handshake (SELECT) the first reply is the error too
    r2 = fastredis.Redis(**server.client_kwargs(db=2))
    with pytest.raises(fastredis.ConnectionError, match="max number of clients reached"):
        await r2.ping()
    await r.aclose()
    await r2.aclose()
    await holder.aclose()


# ---------------------------------------------------------------------------- item 12


async def test_a_closed_client_stays_closed(redis_server):
    async with _admin(redis_server) as admin:
        r = fastredis.Redis(**redis_server.client_kwargs(client_name="closed"))
        await r.set("k", "v")
        await r.aclose()
        fds = fd_count()
        for attempt in (r.get("k"), r.blpop(["k"], timeout=0.01), r.pipeline().get("k").execute()):
            with pytest.raises(fastredis.ClientClosedError, match="closed"):
                await attempt
        with pytest.raises(fastredis.ClientClosedError):
            await r.pubsub().subscribe("c")
        await r.aclose()  # twice is fine
        assert fd_count() == fds
        assert await eventually(lambda: _clients(admin, "closed"), 0) == 0


async def test_disconnect_is_not_final_and_a_shared_pool_outlives_its_clients(redis_server):
    pool = fastredis.ConnectionPool.from_url(redis_server.url)
    a = fastredis.Redis(connection_pool=pool)
    b = fastredis.Redis(connection_pool=pool)
    assert await a.ping() is True
    await pool.disconnect()  # redis-py: drop the connections, keep the pool
    assert pool.connection_count() == 0
    assert await a.ping() is True
    await a.aclose()  # a pool given to the client is its owner's to close
    assert await b.ping() is True
    await pool.aclose()
    with pytest.raises(fastredis.ClientClosedError):
        await b.ping()
    # redis-py's auto_close_connection_pool: the client closes the pool it was given
    pool2 = fastredis.ConnectionPool.from_url(redis_server.url)
    c = fastredis.Redis(connection_pool=pool2, auto_close_connection_pool=True)
    assert await c.ping() is True
    await c.aclose()
    with pytest.raises(fastredis.ClientClosedError):
        await fastredis.Redis(connection_pool=pool2).ping()


# ---------------------------------------------------------------------------- item 13


async def test_logging_connects_drops_reconnects_refusals_without_secrets(make_server, caplog):
    secret = "s3cr3t-Pw-item13"
    server = make_server(password=secret)
    caplog.set_level(logging.DEBUG, logger="fastredis")
    r = fastredis.Redis(**server.client_kwargs())
    await r.ping()
    conn = r.connection_pool.current
    async with _admin(server) as admin:
        await admin.execute_command("CLIENT", "KILL", "ID", conn.client_id or await _id_of(admin, conn))
    await conn.wait_closed()
    with pytest.raises(fastredis.ConnectionError):
        conn.execute(("PING",))  # a refused write
    before = len(caplog.records)
    for _ in range(200):  # nothing per reply
        await r.ping()
    assert [rec.getMessage().split(" ")[0] for rec in caplog.records[before:]] == ["connected", "reconnected"]
    bad = fastredis.Redis(**server.client_kwargs(password="wrong-" + secret))
    with pytest.raises(fastredis.AuthenticationError):
        await bad.ping()
    nowhere = fastredis.Redis(port=server.port, host="127.0.0.2", socket_connect_timeout=0.5, password=secret)
    with pytest.raises(fastredis.ConnectionError):
        await nowhere.ping()
    for c in (r, bad, nowhere):
        await c.aclose()
    text = "\n".join(f"{rec.name} {rec.levelname} {rec.getMessage()} {rec.args!r}" for rec in caplog.records)
    assert secret not in text
    assert {rec.name for rec in caplog.records} <= {"fastredis.connection", "fastredis.pool", "fastredis.client"}
    for expected in ("connected to", "lost", "refused a write", "reconnected", "handshake", "cannot connect"):
        assert expected in text, (expected, text)


async def _id_of(admin: fastredis.Redis, conn) -> int:
    port = conn._transport.get_extra_info("sockname")[1]
    for line in (await admin.execute_command("CLIENT", "LIST")).decode().splitlines():
        fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
        if fields["addr"].endswith(f":{port}"):
            return int(fields["id"])
    raise AssertionError("connection not found")


# ---------------------------------------------------------------------------- item 14


async def test_unsupported_redis_py_options_raise_naming_them():
    for name in ("connection_class", "reader_class", "socket_type"):
        with pytest.raises(TypeError, match=name):
            fastredis.Redis(**{name: object()})
    with pytest.raises(TypeError, match="no_such_option"):
        fastredis.Redis(no_such_option=1)
    with pytest.raises(TypeError, match="retry"):
        fastredis.Redis(retry=3)
    with pytest.raises(TypeError, match="max_connections"):
        fastredis.Redis(max_connections="10")
    # accepted with a documented meaning
    assert fastredis.Redis(connection_class=None)._timeout is None  # redis-py's default value
    assert fastredis.Redis(stream_timeout=2.5)._timeout == 2.5  # aredis' name for socket_timeout


async def test_health_check_pings_an_idle_connection_before_use(make_server):
    server = make_server()
    r = fastredis.Redis(**server.client_kwargs(health_check_interval=0.05))
    await r.set("k", "v")
    async with _admin(server) as admin:

        async def pings() -> int:
            stats = await admin.info("commandstats")
            return int(stats.get("cmdstat_ping", {}).get("calls", 0))

        before = await pings()
        for _ in range(3):
            assert await r.get("k") == b"v"  # busy: no check
        assert await pings() == before
        await asyncio.sleep(0.15)  # not a synchronisation: the connection must sit idle
        assert await r.get("k") == b"v"
        assert await pings() == before + 1
    await r.aclose()


async def test_health_check_replaces_a_dead_idle_connection(redis_server, caplog):
    caplog.set_level(logging.WARNING, logger="fastredis.pool")
    async with FaultProxy(redis_server.port) as proxy:
        r = fastredis.Redis(**proxy.client_kwargs(health_check_interval=0.05, socket_timeout=0.5))
        await r.set("hc", "1")
        proxy.blackhole()
        proxy.end_blackhole(heal=False)  # the old connection is silent for ever
        await asyncio.sleep(0.1)  # idle past the interval
        assert await r.get("hc") == b"1"  # PING timed out, new connection, no error
        assert any("health check" in rec.getMessage() for rec in caplog.records)
        await r.aclose()


async def test_retry_reads_not_writes_after_a_lost_reply(redis_server):
    async with FaultProxy(redis_server.port) as proxy, _admin(redis_server) as admin:
        r = fastredis.Redis(**proxy.client_kwargs(retry=Retry(NoBackoff(), 2)))
        await r.set("n", 10)

        async def lose_reply(coro, ran):
            """Run ``coro`` until the server has it, then cut before its reply."""
            proxy.hold_replies()
            sent = proxy.c2s_bytes
            task = asyncio.ensure_future(coro)
            await proxy.wait_c2s(sent + 1)
            await ran()
            proxy.cut_all()
            proxy.release_replies()
            return await task

        async def forwarded():
            pass

        # a read whose reply was lost is sent again on a new connection
        assert await lose_reply(r.get("n"), forwarded) == b"10"

        async def incremented():
            assert await eventually(lambda: admin.get("n"), b"11") == b"11"

        # the INCR ran, its reply was lost: never sent twice
        with pytest.raises(fastredis.ConnectionError):
            await lose_reply(r.incr("n"), incremented)
        assert await r.get("n") == b"11"
        await r.aclose()


async def test_retry_connection_setup_with_backoff(caplog):
    caplog.set_level(logging.WARNING, logger="fastredis.client")
    from fastredis.testing import free_port

    r = fastredis.Redis(port=free_port(), retry=Retry(ExponentialBackoff(cap=0.02, base=0.001), 3))
    with pytest.raises(fastredis.ConnectionError):
        await r.set("k", 1)  # never written: any command may be retried
    assert len([rec for rec in caplog.records if "retrying SET" in rec.getMessage()]) == 3
    with pytest.raises(fastredis.ConnectionError):
        await r.blpop(["k"], timeout=1)  # an exclusive connection's set-up, too
    assert len([rec for rec in caplog.records if "retrying a connection" in rec.getMessage()]) == 3
    no_retry = fastredis.Redis(port=free_port(), retry_on_timeout=True)
    assert fastredis.TimeoutError in no_retry._retry.supported_errors
    await r.aclose()
    await no_retry.aclose()


async def test_single_connection_client_keeps_connection_state(redis_server):
    r = fastredis.Redis(**redis_server.client_kwargs(single_connection_client=True))
    with pytest.raises(fastredis.DataError):
        await fastredis.Redis(**redis_server.client_kwargs()).execute_command("SELECT", 5)
    await r.execute_command("SELECT", 5)
    await r.set("db5", "x")
    ids = await asyncio.gather(*(r.execute_command("CLIENT", "ID") for _ in range(50)))
    assert len(set(ids)) == 1
    pipe = r.pipeline()
    assert await pipe.get("db5").execute() == [b"x"]  # pipelines run on it too
    other = fastredis.Redis(**redis_server.client_kwargs(db=5))
    assert await other.get("db5") == b"x"
    plain = fastredis.Redis(**redis_server.client_kwargs())
    assert await plain.get("db5") is None
    # r.client(): a dedicated connection over the same pool; closing it leaves the pool
    c = plain.client()
    await c.execute_command("SELECT", 5)
    assert await c.get("db5") == b"x"
    await c.aclose()
    assert await plain.ping() is True
    for x in (r, other, plain):
        await x.aclose()


async def test_max_idle_time_closes_idle_connections(redis_server):
    async with _admin(redis_server) as admin:
        # max_idle_time well above what the steps before the count take on a loaded machine
        # (at 0.1 s the shared connection was sometimes reaped before it was counted)
        r = fastredis.Redis(**redis_server.client_kwargs(max_idle_time=1.0, idle_check_interval=0.05,
                                                          client_name="idle"))
        await r.ping()
        assert await r.blpop(["nothing"], timeout=0.01) is None  # an idle exclusive one too
        assert await _clients(admin, "idle") == 2
        assert await eventually(lambda: _clients(admin, "idle"), 0, timeout=5) == 0
        assert await r.ping() is True
        await r.aclose()


async def test_socket_keepalive_options_are_applied(redis_server):
    opt = getattr(socket, "TCP_KEEPIDLE", None)
    if opt is None:  # pragma: no cover - not Linux
        pytest.skip("no TCP_KEEPIDLE here")
    r = fastredis.Redis(**redis_server.client_kwargs(socket_keepalive_options={opt: 33}))
    await r.ping()
    sock = r.connection_pool.current._transport.get_extra_info("socket")
    assert sock.getsockopt(socket.IPPROTO_TCP, opt) == 33
    await r.aclose()
    with pytest.raises(fastredis.DataError):
        fastredis.Redis(socket_keepalive_options=[(opt, 1)])


async def test_lib_name_is_accepted_and_connection_pool_is_redis_py_shaped(redis_server):
    r = fastredis.Redis(**redis_server.client_kwargs(lib_name="fastredis-test", lib_version="1.0"))
    assert await r.ping() is True  # CLIENT SETINFO where known (7.2+), ignored before
    await r.aclose()
    pool = fastredis.ConnectionPool(host="127.0.0.1", port=redis_server.port, db=3,
                                    socket_connect_timeout=2, max_connections=4)
    assert pool.connection_kwargs["db"] == 3
    assert pool.connection_kwargs["socket_connect_timeout"] == 2
    assert pool.max_connections == 4
    r = fastredis.Redis(connection_pool=pool)
    await r.set("p", 1)
    assert await fastredis.Redis(**redis_server.client_kwargs(db=3)).get("p") == b"1"
    with pytest.raises(TypeError, match="decode_responses"):
        fastredis.Redis(connection_pool=pool, decode_responses=True)
    await pool.aclose()


# ---------------------------------------------------------------------------- issue 10


async def test_exclusive_connects_cancelled_or_closed_leak_nothing(redis_server):
    """The same for exclusive connections (blocking commands): cancelled at every stage
    of their connect, or left connecting while another task closes the client."""
    async with _admin(redis_server) as admin:
        await eventually(lambda: _clients(admin), 0)
        fds = fd_count()
        rnd = random.Random(10)
        for i in range(200):
            r = fastredis.Redis(**redis_server.client_kwargs(client_name="item9x"))
            t = asyncio.ensure_future(r.blpop(["nothing"], timeout=5))
            for _ in range(rnd.randrange(8)):
                await asyncio.sleep(0)
            if i % 2:
                t.cancel()
            await r.aclose()  # the other half: closed under the caller's feet
            with contextlib.suppress(asyncio.CancelledError, fastredis.ConnectionError):
                await t
        assert await eventually(lambda: _clients(admin), 0) == 0

        async def fds_now():
            return fd_count()

        assert await eventually(fds_now, fds) == fds
