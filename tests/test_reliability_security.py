"""Issue 5, cases 10-12: secrets never leak, TLS verifies by default, ACLs hold.

Nobody gets in: a wrong certificate or hostname fails before the password is sent; a
wrong password is one failed attempt per command, not a reconnect storm."""

from __future__ import annotations

import asyncio
import logging
import ssl
import traceback

import pytest
from faults import fd_count

import fastredis

DEADLINE = 10
SECRET = "s3cr3t-Pa55-wrd"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _assert_secret_free(text: str) -> None:
    assert SECRET not in text
    assert SECRET.lower() not in text.lower()


def _assert_exception_secret_free(exc: BaseException) -> None:
    for e in _chain(exc):
        _assert_secret_free(str(e))
        _assert_secret_free(repr(e))
        _assert_secret_free(repr(e.args))
    _assert_secret_free("".join(traceback.format_exception(exc)))


# ---------------------------------------------------------------------------- case 10
async def test_password_never_in_repr_errors_or_logs(make_server, caplog):
    loop = asyncio.get_running_loop()
    loop.set_debug(True)  # asyncio logs slow callbacks and task reprs in debug mode
    caplog.set_level(logging.DEBUG, logger="fastredis")
    caplog.set_level(logging.DEBUG, logger="asyncio")
    server = make_server(password=SECRET, acl=[
        f"user default on >{SECRET} ~* &* +@all",
        f"user app on >{SECRET} ~* &* +@all",
    ])
    try:
        clients = [
            fastredis.Redis(host=server.host, port=server.port, password=SECRET),
            fastredis.Redis.from_url(f"redis://:{SECRET}@{server.host}:{server.port}/0"),
            fastredis.Redis.from_url(f"redis://app:{SECRET}@{server.host}:{server.port}/1"),
            fastredis.Redis(host=server.host, port=server.port, username="app", password=SECRET),
        ]
        for client in clients:
            try:
                assert await client.ping() is True
                pool = client.connection_pool
                conn = pool.current
                for obj in (client, pool, conn, pool.params):
                    _assert_secret_free(repr(obj))
                    _assert_secret_free(str(obj))
            finally:
                await client.aclose()

        # wrong password: AuthenticationError, the secret in neither text nor chain
        for bad in (
            fastredis.Redis(host=server.host, port=server.port, password=SECRET + "x"),
            fastredis.Redis.from_url(f"redis://app:{SECRET}x@{server.host}:{server.port}/0"),
        ):
            try:
                with pytest.raises(fastredis.AuthenticationError) as info:
                    await asyncio.wait_for(bad.ping(), DEADLINE)
                _assert_exception_secret_free(info.value)
                _assert_secret_free(repr(bad))
            finally:
                await bad.aclose()

        # no password at all on a server that wants one
        anon = fastredis.Redis(host=server.host, port=server.port)
        try:
            with pytest.raises(fastredis.AuthenticationError) as info:
                await asyncio.wait_for(anon.get("k"), DEADLINE)
            _assert_exception_secret_free(info.value)
        finally:
            await anon.aclose()
    finally:
        port = server.port
        server.stop()

    # unreachable server
    gone = fastredis.Redis.from_url(f"redis://:{SECRET}@127.0.0.1:{port}/0")
    try:
        with pytest.raises(fastredis.ConnectionError) as info:
            await asyncio.wait_for(gone.ping(), DEADLINE)
        _assert_exception_secret_free(info.value)
        _assert_secret_free(repr(gone))
    finally:
        await gone.aclose()
    loop.set_debug(False)

    for record in caplog.records:
        _assert_secret_free(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            _assert_exception_secret_free(record.exc_info[1])
    _assert_secret_free(caplog.text)


# ---------------------------------------------------------------------------- case 11
@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    trustme = pytest.importorskip("trustme")
    d = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    other_ca = trustme.CA()
    server_cert = ca.issue_cert("localhost")  # no IP address: 127.0.0.1 is a mismatch
    client_cert = ca.issue_cert("fastredis-client")
    paths = {
        "ca": d / "ca.pem",
        "other_ca": d / "other-ca.pem",
        "cert": d / "server.pem",
        "key": d / "server.key",
        "client_cert": d / "client.pem",
        "client_key": d / "client.key",
    }
    ca.cert_pem.write_to_path(paths["ca"])
    other_ca.cert_pem.write_to_path(paths["other_ca"])
    server_cert.cert_chain_pems[0].write_to_path(paths["cert"])
    server_cert.private_key_pem.write_to_path(paths["key"])
    client_cert.cert_chain_pems[0].write_to_path(paths["client_cert"])
    client_cert.private_key_pem.write_to_path(paths["client_key"])
    return {k: str(v) for k, v in paths.items()}


@pytest.fixture(scope="module")
def tls_server(pki):
    from conftest import server_or_fail

    from fastredis.testing import RedisServer

    server_or_fail()
    server = RedisServer(
        password=SECRET,
        tls={"cert": pki["cert"], "key": pki["key"], "ca": pki["ca"], "auth_clients": "no"},
    )
    try:
        server.start()
    except RuntimeError as exc:  # pragma: no cover - a redis-server built without TLS
        pytest.fail(f"redis-server has no TLS support: {exc}")
    yield server
    server.stop()


def _tls(server, pki, **kw):
    opts = dict(host="localhost", port=server.tls_port, password=SECRET, ssl=True,
                ssl_ca_certs=pki["ca"])
    opts.update(kw)
    return fastredis.Redis(**opts)


async def _auth_attempts(admin) -> int:
    stats = (await admin.info("commandstats")).get("cmdstat_auth", {})
    return sum(stats.get(k, 0) for k in ("calls", "rejected_calls", "failed_calls"))


def _ssl_in_chain(exc: BaseException) -> ssl.SSLError:
    for e in _chain(exc):
        if isinstance(e, ssl.SSLError):
            return e
    raise AssertionError(f"no ssl.SSLError in the chain of {exc!r}")


async def test_tls_right_ca_and_hostname(tls_server, pki):
    client = _tls(tls_server, pki)
    try:
        assert await client.set("tls", "yes") is True
        assert await client.get("tls") == b"yes"
        conn = client.connection_pool.current
        sslobj = conn._transport.get_extra_info("ssl_object")
        assert sslobj is not None and sslobj.version().startswith("TLS")
    finally:
        await client.aclose()


@pytest.mark.parametrize("case", ["wrong-ca", "hostname-mismatch", "no-ca-given"])
async def test_tls_refuses_untrusted_server_before_auth(tls_server, pki, case):
    admin = _tls(tls_server, pki)
    try:
        before = await _auth_attempts(admin)
        if case == "wrong-ca":
            bad = _tls(tls_server, pki, ssl_ca_certs=pki["other_ca"])
        elif case == "hostname-mismatch":
            bad = _tls(tls_server, pki, host="127.0.0.1")
        else:  # verification is on by default: the system store does not know our CA
            bad = fastredis.Redis(host="localhost", port=tls_server.tls_port,
                                  password=SECRET, ssl=True)
        try:
            with pytest.raises(fastredis.ConnectionError) as info:
                await asyncio.wait_for(bad.ping(), DEADLINE)
            err = _ssl_in_chain(info.value)
            assert isinstance(err, ssl.SSLCertVerificationError)
            _assert_exception_secret_free(info.value)
        finally:
            await bad.aclose()
        # the password was never sent: the server saw no AUTH at all
        assert await _auth_attempts(admin) == before + 0
    finally:
        await admin.aclose()


async def test_tls_verification_off_only_when_asked(tls_server, pki):
    client = fastredis.Redis(host="127.0.0.1", port=tls_server.tls_port, password=SECRET,
                             ssl=True, ssl_cert_reqs="none")
    try:
        assert await client.ping() is True
    finally:
        await client.aclose()
    url = fastredis.Redis.from_url(
        f"rediss://:{SECRET}@127.0.0.1:{tls_server.tls_port}/0?ssl_cert_reqs=none")
    try:
        assert await url.ping() is True
    finally:
        await url.aclose()


async def test_rediss_url(tls_server, pki):
    client = fastredis.Redis.from_url(
        f"rediss://:{SECRET}@localhost:{tls_server.tls_port}/2", ssl_ca_certs=pki["ca"])
    try:
        assert await client.set("u", "1") is True
        assert (await client.client_list())  # a real round trip over TLS
        assert client.connection_pool.params.ssl
        assert client.connection_pool.params.db == 2
    finally:
        await client.aclose()


async def test_tls_client_certificate_required(make_server, pki):
    server = make_server(
        password=SECRET,
        tls={"cert": pki["cert"], "key": pki["key"], "ca": pki["ca"], "auth_clients": "yes"},
    )
    good = _tls(server, pki, ssl_certfile=pki["client_cert"], ssl_keyfile=pki["client_key"])
    try:
        assert await good.ping() is True
        before = await _auth_attempts(good)

        # TLS 1.2: the server refuses inside the handshake, so connecting fails with the
        # SSLError before the client has written a single command
        tls12 = ssl.create_default_context(cafile=pki["ca"])
        tls12.maximum_version = ssl.TLSVersion.TLSv1_2
        for kw in ({}, {"password": None}):
            bad = _tls(server, pki, ssl=tls12, **kw)
            try:
                with pytest.raises(fastredis.ConnectionError) as info:
                    await asyncio.wait_for(bad.ping(), DEADLINE)
                assert not isinstance(info.value, fastredis.AuthenticationError)
                _ssl_in_chain(info.value)
                _assert_exception_secret_free(info.value)
            finally:
                await bad.aclose()

        # TLS 1.3 (the default): the client's half of the handshake completes first and
        # the server's refusal comes as an alert right after; the server then closes with
        # our unread first command in its buffer, and that reset can overtake the alert.
        # Either way: a ConnectionError naming the cause, and no command was processed.
        bad = _tls(server, pki)
        try:
            with pytest.raises(fastredis.ConnectionError) as info:
                await asyncio.wait_for(bad.ping(), DEADLINE)
            assert not isinstance(info.value, fastredis.AuthenticationError)
            assert any(isinstance(e, (ssl.SSLError, ConnectionResetError))
                       for e in _chain(info.value)), info.value
            _assert_exception_secret_free(info.value)
        finally:
            await bad.aclose()
        # the server refused the handshake before reading any command
        assert await _auth_attempts(good) == before
    finally:
        await good.aclose()


# ---------------------------------------------------------------------------- case 12
ACL = [
    "user default on nopass ~* &* +@all",
    "user app on >app-pw ~app:* &chan:* +@all",
]


async def _received(admin) -> int:
    return (await admin.info("stats"))["total_connections_received"]


async def test_wrong_credentials_one_connection_per_attempt(make_server):
    server = make_server(acl=ACL)
    admin = fastredis.Redis(host=server.host, port=server.port)
    try:
        await admin.ping()
        fds = fd_count()
        for username, password in (("app", "wrong"), ("nobody", "app-pw")):
            bad = fastredis.Redis(host=server.host, port=server.port,
                                  username=username, password=password)
            try:
                before = await _received(admin)
                for _ in range(3):
                    with pytest.raises(fastredis.AuthenticationError) as info:
                        await asyncio.wait_for(bad.get("app:k"), DEADLINE)
                    assert "WRONGPASS" in str(info.value) or "invalid" in str(info.value)
                assert await _received(admin) == before + 3
                assert bad.connection_pool.connection_count() == 0
            finally:
                await bad.aclose()
        assert (await admin.info("clients"))["connected_clients"] == 1
        assert fd_count() == fds
    finally:
        await admin.aclose()


async def test_noperm_is_a_response_error_and_keeps_the_connection(make_server):
    server = make_server(acl=ACL)
    app = fastredis.Redis(host=server.host, port=server.port, username="app", password="app-pw")
    try:
        assert await app.set("app:k", "v") is True
        cid = await app.client_id()
        conn = app.connection_pool.current
        with pytest.raises(fastredis.NoPermissionError) as info:
            await app.get("other:k")
        assert isinstance(info.value, fastredis.ResponseError)
        assert "NOPERM" in str(info.value)
        with pytest.raises(fastredis.NoPermissionError):
            await app.publish("forbidden", "x")
        assert await app.publish("chan:1", "x") == 0
        assert await app.get("app:k") == b"v"
        assert app.connection_pool.current is conn and await app.client_id() == cid
    finally:
        await app.aclose()


@pytest.mark.parametrize("protocol", [2, 3])
async def test_a_username_without_a_password_is_that_user_never_the_default(make_server, protocol):
    """username= alone authenticates as that user with an empty password, as redis-py does:
    a `nopass` user gets in as itself, any other is refused. (It used to send no AUTH at all,
    and the client silently ran as the default user.)"""
    server = make_server(acl=[*ACL, "user open on nopass ~open:* +@all"])
    ok = fastredis.Redis(host=server.host, port=server.port, username="open", protocol=protocol)
    bad = fastredis.Redis(host=server.host, port=server.port, username="app", protocol=protocol)
    try:
        assert await ok.acl_whoami() == "open"  # (str, as redis-py)
        with pytest.raises(fastredis.AuthenticationError):
            await asyncio.wait_for(bad.ping(), DEADLINE)
    finally:
        await ok.aclose()
        await bad.aclose()
