"""Credential providers on real servers: asked on every connection, rotated in place.

ACL users whose passwords are rotated (``ACL SETUSER ... resetpass >new``), ``CLIENT
KILL USER`` to force reconnects, ``INFO commandstats`` to count AUTH calls; providers
shaped like redis-py's and redis-entraid's (plain objects)."""

from __future__ import annotations

import asyncio
import logging

import pytest

import fastredis
from fastredis.credentials import (
    CredentialProvider,
    StreamingCredentialProvider,
    UsernamePasswordCredentialProvider,
)
from fastredis.exceptions import AuthenticationError, DataError
from tests.conftest import eventually

ACL = [
    "user default on nopass ~* &* +@all",
    "user app on >pw1 ~* &* +@all",
]


class Token:
    """redis-entraid's TokenInterface, as its token manager hands it to ``on_next``."""

    def __init__(self, oid: str, value: str) -> None:
        self._oid, self._value = oid, value

    def try_get(self, key: str) -> str | None:
        return self._oid if key == "oid" else None

    def get_value(self) -> str:
        return self._value


class EntraShaped:
    """redis-entraid's provider, as the client sees it: one ``on_next`` / ``on_error``
    slot each (the last registration wins), ``is_streaming()`` False until first asked,
    credentials from ``get_credentials_async``; its token manager awaits the callback."""

    def __init__(self, user: str, password: str) -> None:
        self.token = Token(user, password)
        self._next = None
        self._error = None
        self._streaming = False
        self.asked = 0
        self.fail: BaseException | None = None

    def on_next(self, cb):
        self._next = cb

    def on_error(self, cb):
        self._error = cb

    def is_streaming(self) -> bool:
        return self._streaming

    def get_credentials(self):  # pragma: no cover - the asyncio client must not call it
        raise AssertionError("the asyncio client must use get_credentials_async()")

    async def get_credentials_async(self):
        self.asked += 1
        self._streaming = True
        if self.fail is not None:
            raise self.fail
        return self.token.try_get("oid"), self.token.get_value()

    async def push(self, token: Token) -> None:
        """What the token manager does on renewal: store, then await the listener."""
        self.token = token
        await self._next(token)

    def push_error(self, exc: Exception):
        return self._error(exc)


@pytest.fixture
def acl_server(make_server):
    return make_server(acl=list(ACL))


async def admin(server):
    return fastredis.Redis(host=server.host, port=server.port, decode_responses=True)


async def auth_calls(a) -> int:
    stats = await a.info("commandstats")
    return int(stats.get("cmdstat_auth", {}).get("calls", 0))


# ---------------------------------------------------------------------------- basics
def test_provider_classes_have_redis_pys_semantics():
    p = UsernamePasswordCredentialProvider("u", "secret")
    assert p.get_credentials() == ("u", "secret")
    assert UsernamePasswordCredentialProvider(password="s").get_credentials() == ("s",)
    assert "secret" not in repr(p)
    with pytest.raises(TypeError):
        StreamingCredentialProvider()  # abstract, as redis-py's
    with pytest.raises(NotImplementedError):
        CredentialProvider().get_credentials()


def test_password_with_provider_is_a_data_error():
    p = UsernamePasswordCredentialProvider("app", "pw1")
    for kw in ({"password": "x"}, {"username": "u"}):
        with pytest.raises(DataError, match="credential_provider"):
            fastredis.Redis(credential_provider=p, **kw)
    with pytest.raises(DataError, match="credential_provider"):
        fastredis.from_url("redis://:x@localhost", credential_provider=p)
    with pytest.raises(DataError, match="get_credentials"):
        fastredis.Redis(credential_provider=object())


async def test_provider_is_asked_on_every_connection(acl_server):
    p = EntraShaped("app", "pw1")
    r = fastredis.Redis(host=acl_server.host, port=acl_server.port, credential_provider=p)
    a = await admin(acl_server)
    try:
        assert await r.execute_command("ACL", "WHOAMI") == b"app"
        assert p.asked == 1
        assert "pw1" not in repr(r) and "pw1" not in repr(r.connection_pool)
        # the next password is known to the provider only: a reconnect asks it again
        await a.execute_command("ACL", "SETUSER", "app", "resetpass", ">pw2")
        p.token = Token("app", "pw2")
        await kill_user(a, r)
        assert await r.execute_command("ACL", "WHOAMI") == b"app"
        assert p.asked == 2
    finally:
        await r.aclose()
        await a.aclose()


async def test_redis_py_provider_objects_work(acl_server):
    redis_credentials = pytest.importorskip("redis.credentials")
    p = redis_credentials.UsernamePasswordCredentialProvider("app", "pw1")
    for client in (
        fastredis.Redis(host=acl_server.host, port=acl_server.port, credential_provider=p),
        fastredis.from_url(f"redis://{acl_server.host}:{acl_server.port}", credential_provider=p),
        fastredis.Redis(connection_pool=fastredis.ConnectionPool(
            host=acl_server.host, port=acl_server.port, credential_provider=p)),
        fastredis.Redis(connection_pool=fastredis.BlockingConnectionPool(
            host=acl_server.host, port=acl_server.port, credential_provider=p, max_connections=2)),
        fastredis.Redis(host=acl_server.host, port=acl_server.port, credential_provider=p, protocol=3),
    ):
        try:
            assert await client.execute_command("ACL", "WHOAMI") == b"app"
            assert await client.blpop(["nothing"], timeout=0.01) is None  # exclusive connection
        finally:
            await client.aclose(close_connection_pool=True)


async def test_raising_provider_fails_the_first_command_then_recovers(acl_server):
    p = EntraShaped("app", "pw1")
    p.fail = RuntimeError("token endpoint unreachable")
    r = fastredis.Redis(host=acl_server.host, port=acl_server.port, credential_provider=p,
                        socket_connect_timeout=5)
    try:
        with pytest.raises(AuthenticationError, match="token endpoint unreachable") as info:
            await asyncio.wait_for(r.ping(), 5)  # an error, not a hang
        assert info.value.__cause__ is p.fail
        with pytest.raises(AuthenticationError):
            await r.blpop(["k"], timeout=0.01)
        p.fail = None
        assert await r.ping() is True
        assert await r.execute_command("ACL", "WHOAMI") == b"app"
    finally:
        await r.aclose()


async def test_wrong_credentials_name_the_providers_reported_error(acl_server, caplog):
    p = EntraShaped("app", "wrong")
    r = fastredis.Redis(host=acl_server.host, port=acl_server.port, credential_provider=p)
    try:
        with caplog.at_level(logging.WARNING, logger="fastredis"):
            await p.push_error(RuntimeError("refresh failed: 503"))
        assert any("refresh failed: 503" in rec.getMessage() and rec.name.startswith("fastredis")
                   for rec in caplog.records)
        with pytest.raises(AuthenticationError, match="refresh failed: 503"):
            await r.ping()
    finally:
        await r.aclose()


# ---------------------------------------------------------------------------- rotation
async def _rotate(a, p: EntraShaped, password: str) -> None:
    await a.execute_command("ACL", "SETUSER", "app", "on", f">{password}")  # both valid now
    await p.push(Token("app", password))
    await a.execute_command("ACL", "SETUSER", "app", "resetpass", f">{password}")


@pytest.mark.parametrize("protocol", [2, 3])
async def test_rotation_reauthenticates_every_live_connection_in_place(acl_server, caplog, protocol):
    p = EntraShaped("app", "pw1")
    kw = dict(host=acl_server.host, port=acl_server.port, credential_provider=p, protocol=protocol)
    r = fastredis.Redis(**kw)
    a = await admin(acl_server)
    try:
        await r.set("k", "v")
        # two exclusive connections: one stays idle, one is blocked in BLPOP
        await asyncio.gather(r.blpop(["none"], timeout=0.01), r.blpop(["none"], timeout=0.01))
        blocked = asyncio.ensure_future(r.blpop(["q"], timeout=0))
        await eventually_blocked(a, 1)
        before = await auth_calls(a)
        clients_before = await a.client_list()
        with caplog.at_level(logging.WARNING, logger="fastredis"):
            await _rotate(a, p, "pw2")
            assert await r.get("k") == b"v"  # the shared connection: AUTH went first
            await a.lpush("q", "x")
            assert await blocked == (b"q", b"x")  # in use: AUTH ran when BLPOP returned
            assert await r.blpop(["none"], timeout=0.01) is None
        # nobody reconnected: same connections, each authenticated once more
        assert {c["id"] for c in await a.client_list()} == {c["id"] for c in clients_before}
        assert await auth_calls(a) - before == 3  # shared + idle + in-use exclusive
        assert not [rec for rec in caplog.records if rec.levelno >= logging.WARNING]
        # the old password is gone: new connections ask the provider, get the new one
        await kill_user(a, r)
        assert await r.get("k") == b"v"
        assert await r.blpop(["none"], timeout=0.01) is None
    finally:
        await r.aclose()
        await a.aclose()
    for rec in caplog.records:
        assert "pw1" not in rec.getMessage() and "pw2" not in rec.getMessage()


async def eventually_blocked(a, n: int) -> None:

    async def blocked():
        return int((await a.info("clients"))["blocked_clients"])

    assert await eventually(blocked, n) == n


async def kill_user(a, r) -> None:
    """CLIENT KILL USER app, and wait until the client has seen its connections go."""
    conns = r.connection_pool.all_connections()
    await a.execute_command("CLIENT", "KILL", "USER", "app")
    for c in conns:
        await c.wait_closed()


class Workers:
    """``n`` tasks each running SET then GET (checking the value) on its own key until
    stopped, counting what completes and what fails with a RedisError."""

    def __init__(self, client, n: int = 50) -> None:
        self.client, self.ok, self.failed, self.goal = client, 0, 0, 0
        self._stop, self._progress = asyncio.Event(), asyncio.Event()
        self._tasks = [asyncio.ensure_future(self._work(i)) for i in range(n)]

    async def _work(self, i: int) -> None:
        while not self._stop.is_set():
            try:
                await self.client.set(f"k{i}", i)
                assert await self.client.get(f"k{i}") == str(i).encode()
                self.ok += 1
            except fastredis.RedisError:
                self.failed += 1
            if self.ok >= self.goal:
                self._progress.set()

    async def progressed(self, count: int = 200) -> None:
        """Wait (10 s at most) until ``count`` more commands completed."""
        self._progress.clear()
        self.goal = self.ok + count
        await asyncio.wait_for(self._progress.wait(), 10)

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)


async def test_rotation_under_50_concurrent_tasks_fails_nothing(acl_server):
    """Rotation while 50 tasks run commands on the shared connection: the AUTH is one
    more command in its FIFO, so nothing fails and nothing reconnects."""
    p = EntraShaped("app", "pw1")
    r = fastredis.Redis(host=acl_server.host, port=acl_server.port, credential_provider=p)
    a = await admin(acl_server)
    workers = None
    try:
        await r.ping()
        before = await auth_calls(a)
        workers = Workers(r)
        for n in range(2, 6):  # four rotations, each retiring the previous password
            await _rotate(a, p, f"pw{n}")
            await workers.progressed(200)  # commands ran after this rotation too
        await workers.stop()
        assert workers.failed == 0 and workers.ok > 800
        assert await auth_calls(a) - before == 4  # one AUTH per rotation, no reconnect
        assert p.asked == 1
    finally:
        if workers is not None:
            await workers.stop()
        await r.aclose()
        await a.aclose()


async def test_pushes_reach_the_connections_of_every_loop(acl_server):
    """One client used from two event loops (the test's and one in a thread), pushes
    made from a thread that runs no loop (a token manager's timer thread) and from the
    other loop: each loop's connection re-authenticates from its own loop. Each push
    names a new user and the old one is deleted (which disconnects whoever is still
    authenticated as it): nothing reconnects, both loops keep working."""
    import threading

    p = EntraShaped("app", "pw1")
    r = fastredis.Redis(host=acl_server.host, port=acl_server.port, credential_provider=p)
    a = await admin(acl_server)
    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever, daemon=True)
    thread.start()

    def on_other(coro):
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, other))

    async def users() -> list[str]:
        return sorted(c["user"] for c in await a.client_list(_type="normal") if c["user"] != "default")

    async def new_user(name: str) -> None:
        await a.execute_command("ACL", "SETUSER", name, "reset", "on", f">{name}-pw", "~*", "&*", "+@all")

    try:
        await r.set("here", 1)
        await on_other(r.set("there", 2))
        assert await users() == ["app", "app"]  # one shared connection per loop
        received = int((await a.info("stats"))["total_connections_received"])

        await new_user("app2")  # pushed from a thread without a loop: nobody awaits it
        await asyncio.to_thread(p._next, Token("app2", "app2-pw"))
        await eventually(users, ["app2", "app2"])
        await a.execute_command("ACL", "DELUSER", "app")

        await new_user("app3")  # pushed (and awaited) on the other loop
        await on_other(p.push(Token("app3", "app3-pw")))
        await eventually(users, ["app3", "app3"])
        await a.execute_command("ACL", "DELUSER", "app2")

        assert await r.get("there") == b"2"
        assert await on_other(r.get("here")) == b"1"
        assert int((await a.info("stats"))["total_connections_received"]) == received
        assert p.asked == 2  # one handshake per loop, then pushes only
    finally:
        async def close_there() -> None:
            await r.connection_pool.disconnect()

        await on_other(close_there())
        await r.aclose()
        other.call_soon_threadsafe(other.stop)
        await asyncio.to_thread(thread.join, 5)
        other.close()
        for name in ("app2", "app3"):
            await a.execute_command("ACL", "DELUSER", name)
        await a.aclose()


@pytest.mark.parametrize("protocol", [2, 3, None])
async def test_pubsub_keeps_receiving_across_a_rotation(acl_server, protocol, caplog):
    """A live reader on a subscribed connection: RESP3 re-authenticates it in place (the
    AUTH's reply is routed FIFO, the reader never collides with it); RESP2 refuses AUTH
    in subscribed mode, so it keeps receiving and uses the new credentials at its next
    reconnect. The protocol not chosen: a streaming provider keeps Pub/Sub on RESP3."""
    p = EntraShaped("app", "pw1")
    r = fastredis.Redis(host=acl_server.host, port=acl_server.port, credential_provider=p,
                        protocol=protocol)
    a = await admin(acl_server)
    ps = r.pubsub(ignore_subscribe_messages=True)
    got: list = []
    want = 40
    done = asyncio.Event()

    async def reader() -> None:
        while len(got) < want:
            m = await ps.get_message(timeout=None)
            if m is not None:
                got.append(m["data"])
        done.set()

    try:
        await ps.subscribe("ch")
        task = asyncio.ensure_future(reader())
        await r.ping()
        before = await auth_calls(a)
        for i in range(20):
            await r.publish("ch", i)
        with caplog.at_level(logging.WARNING, logger="fastredis"):
            await _rotate(a, p, "pw2")
            for i in range(20, 40):
                await r.publish("ch", i)
            await asyncio.wait_for(done.wait(), 10)
        await task
        assert got == [str(i).encode() for i in range(40)]
        # shared connection always; the subscribed one only on RESP3
        assert await auth_calls(a) - before == (1 if protocol == 2 else 2)
        assert not [rec for rec in caplog.records if rec.levelno >= logging.WARNING]
        # a reconnect (the old password is gone) uses the new credentials
        conn = ps.connection
        await a.execute_command("CLIENT", "KILL", "USER", "app")
        await conn.wait_closed()
        async def resubscribed():
            return (await a.pubsub_numsub("ch"))[0][1]
        from tests.conftest import eventually
        assert await eventually(resubscribed, 1, timeout=5) == 1
        await r.publish("ch", "after")
        m = None
        while m is None:
            m = await ps.get_message(timeout=5)
        assert m["data"] == b"after"
        assert ps.stats()["reconnects"] == 1
    finally:
        await ps.aclose()
        await r.aclose()
        await a.aclose()


async def test_a_push_while_a_connection_is_opening_reaches_it(acl_server):
    """Credentials pushed between the provider's answer and the handshake's end: the new
    connection is re-authenticated when the pool takes it in."""
    p = EntraShaped("app", "pw1")
    gate = asyncio.Event()
    asked = asyncio.Event()
    inner = p.get_credentials_async

    async def slow():
        creds = await inner()
        asked.set()
        await gate.wait()
        return creds

    p.get_credentials_async = slow
    r = fastredis.Redis(host=acl_server.host, port=acl_server.port, credential_provider=p)
    a = await admin(acl_server)
    try:
        first = asyncio.ensure_future(r.ping())
        await asked.wait()
        await a.execute_command("ACL", "SETUSER", "app", "on", ">pw2")
        await p.push(Token("app", "pw2"))  # no connection yet: nothing to re-authenticate
        gate.set()
        assert await first is True
        await a.execute_command("ACL", "SETUSER", "app", "resetpass", ">pw2")
        # the connection answered AUTH pw2 (queued before any command): still authenticated
        await kill_user(a, r)  # and new ones get pw2 from the provider
        assert await r.ping() is True
    finally:
        await r.aclose()
        await a.aclose()


async def test_failed_reauthentication_is_logged_once_and_secret_free(acl_server, caplog):
    p = EntraShaped("app", "pw1")
    r = fastredis.Redis(host=acl_server.host, port=acl_server.port, credential_provider=p)
    try:
        await asyncio.gather(r.ping(), r.blpop(["x"], timeout=0.01), r.blpop(["y"], timeout=0.01))
        with caplog.at_level(logging.WARNING, logger="fastredis"):
            await p.push(Token("app", "not-the-password"))  # the server does not know it
        warnings = [rec for rec in caplog.records if rec.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "re-authentication" in warnings[0].getMessage()
        assert "not-the-password" not in warnings[0].getMessage()
        assert await r.ping() is True  # the connections keep their previous credentials
    finally:
        await r.aclose()


# ---------------------------------------------------------------------------- Sentinel
from fastredis._testing_sentinel import sentinel_setup_fixture  # noqa: E402,F401  (sentinel_setup)


async def test_sentinel_and_master_connections_use_and_rotate_the_provider(sentinel_setup, caplog):
    """One provider for the sentinels (``sentinel_kwargs``) and the master: every
    connection asks it; a push re-authenticates both kinds in place; a reconnect of the
    master after the old password is gone uses the new one."""
    from fastredis.sentinel import Sentinel

    setup = sentinel_setup
    setup.wait_healthy()
    everyone = [(n.host, n.port) for n in setup.nodes] + [s.address for s in setup.live_sentinels]

    def acl(*args: str) -> None:
        from fastredis._testing_sentinel import command

        for host, port in everyone:
            command(host, port, "ACL", *args)

    acl("SETUSER", "rot", "reset", "on", ">s1", "~*", "&*", "+@all")
    p = EntraShaped("rot", "s1")
    try:
        async with Sentinel(setup.sentinel_addresses, sentinel_kwargs={"credential_provider": p},
                            credential_provider=p) as s:
            m = s.master_for("mymaster")
            try:
                assert await m.execute_command("ACL", "WHOAMI") == b"rot"
                for sentinel in s.sentinels:
                    assert await sentinel.execute_command("ACL", "WHOAMI") == b"rot"
                master = fastredis.Redis(host=setup.master_address()[0], port=setup.master_address()[1])
                try:
                    before = await auth_calls(master)
                    acl("SETUSER", "rot", "on", ">s2")
                    with caplog.at_level(logging.WARNING, logger="fastredis"):
                        await p.push(Token("rot", "s2"))
                    acl("SETUSER", "rot", "resetpass", ">s2")
                    assert await auth_calls(master) - before == 1  # the master pool's connection
                    assert not [r for r in caplog.records if r.levelno >= logging.WARNING
                                and "re-authentication" in r.getMessage()]
                    for sentinel in s.sentinels:  # same connections, now as the new password's
                        assert await sentinel.execute_command("ACL", "WHOAMI") == b"rot"
                    conns = m.connection_pool.all_connections()
                    await master.execute_command("CLIENT", "KILL", "USER", "rot")
                    for c in conns:
                        await c.wait_closed()
                    assert await m.execute_command("ACL", "WHOAMI") == b"rot"
                    assert p.asked >= 1 + len(s.sentinels) + 1
                finally:
                    await master.aclose()
            finally:
                await m.aclose()
    finally:
        acl("DELUSER", "rot")


async def test_failed_auth_on_a_resp3_subscribed_connection_keeps_it_aligned(acl_server, caplog):
    """A refused AUTH on a subscribed RESP3 connection answers that AUTH only: the
    subscribe that follows gets its own confirmation, messages keep flowing."""
    p = EntraShaped("app", "pw1")
    r = fastredis.Redis(host=acl_server.host, port=acl_server.port, credential_provider=p, protocol=3)
    ps = r.pubsub(ignore_subscribe_messages=True)
    try:
        await ps.subscribe("a")
        with caplog.at_level(logging.WARNING, logger="fastredis"):
            await p.push(Token("app", "unknown-password"))
            await asyncio.wait_for(ps.subscribe("b"), 5)  # written after the AUTH: answered after it
        assert [rec for rec in caplog.records if "re-authentication" in rec.getMessage()]
        assert await asyncio.wait_for(ps.ping(), 5) is not None
        a = await admin(acl_server)  # (r's next connection would use the refused password)
        await a.publish("b", "hello")
        await a.aclose()
        m = None
        while m is None or m["type"] != "message":
            m = await ps.get_message(timeout=5)
        assert (m["channel"], m["data"]) == (b"b", b"hello")
    finally:
        await ps.aclose()
        await r.aclose()
