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
    from tests.conftest import eventually

    async def blocked():
        return int((await a.info("clients"))["blocked_clients"])

    assert await eventually(blocked, n) == n


async def kill_user(a, r) -> None:
    """CLIENT KILL USER app, and wait until the client has seen its connections go."""
    conns = r.connection_pool.all_connections()
    await a.execute_command("CLIENT", "KILL", "USER", "app")
    for c in conns:
        await c.wait_closed()
