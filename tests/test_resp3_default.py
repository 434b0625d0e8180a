"""RESP3 by default, as redis-py 8: ``protocol`` not chosen means HELLO 3 at connect, with
redis-py's default (legacy, RESP2) reply shapes; a server without HELLO makes the endpoint
fall back to RESP2 with one warning; ``protocol=2`` and ``protocol=3`` are honoured."""

from __future__ import annotations

import asyncio
import logging

import pytest
from faults import FakeServer

import fastredis
from fastredis.connection import ConnectionParams, parse_url


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def fallbacks(self) -> list[str]:
        return [r.getMessage() for r in self.records if "does not support HELLO" in r.getMessage()]


@pytest.fixture
def warnings_seen():
    handler = _Warnings()
    log = logging.getLogger("fastredis")
    log.addHandler(handler)
    try:
        yield handler
    finally:
        log.removeHandler(handler)


def test_protocol_is_not_chosen_by_default():
    assert ConnectionParams().protocol is None
    r = fastredis.Redis()
    assert r.connection_pool.params.protocol is None
    assert r.connection_pool.connection_kwargs["protocol"] is None
    assert fastredis.from_url("redis://h")._base_pool.params.protocol is None
    assert fastredis.Redis(protocol="2").connection_pool.params.protocol == 2  # as redis-py
    for bad in (1, 4, "x"):
        with pytest.raises(fastredis.DataError, match="protocol"):
            fastredis.Redis(protocol=bad)


def test_legacy_responses_keyword_and_url_option():
    assert parse_url("redis://h?legacy_responses=true")["legacy_responses"] is True
    fastredis.Redis.from_url("redis://h?legacy_responses=true")
    fastredis.Redis(legacy_responses=True)
    with pytest.raises(TypeError, match="legacy_responses=False"):
        fastredis.Redis.from_url("redis://h?legacy_responses=false")


async def _resp_of(r) -> int:
    info = await r.client_info()
    return int(info["resp"])


async def test_default_speaks_resp3_with_resp2_shapes(redis_server):
    async with fastredis.Redis(**redis_server.client_kwargs()) as r, \
            fastredis.Redis(**redis_server.client_kwargs(protocol=2)) as r2:
        assert await _resp_of(r) == 3
        assert await _resp_of(r2) == 2
        await r.delete("z", "h")
        await r.zadd("z", {"a": 1, "b": 2.5})
        await r.hset("h", mapping={"f": "v"})
        for call in (lambda c: c.zrange("z", 0, -1, withscores=True),
                     lambda c: c.zpopmin("z", 0), lambda c: c.hgetall("h"),
                     lambda c: c.config_get("maxmemory"), lambda c: c.zscore("z", "b")):
            assert await call(r) == await call(r2)
        assert r._reply_protocol() == 2
        async with fastredis.Redis(**redis_server.client_kwargs(protocol=3)) as r3:
            assert r3._reply_protocol() == 3


@pytest.fixture
def helloless_server(make_server):
    """A real redis-server without HELLO (renamed away, as a proxy or an old server
    would answer: "ERR unknown command 'HELLO'"), with a password."""
    return make_server(password="s3cret-pw", config={"rename-command": 'HELLO ""'})


async def test_a_server_without_hello_falls_back_to_resp2_once(helloless_server, warnings_seen):
    kw = helloless_server.client_kwargs(db=2, client_name="app")
    async with fastredis.Redis(**kw) as r:
        assert await r.set("k", "v")  # authenticated by AUTH after the refused HELLO
        assert await r.get("k") == b"v"
        assert await _resp_of(r) == 2
        info = await r.client_info()
        assert int(info["db"]) == 2 and info["name"] == "app"
        assert r.connection_pool.params.resp == 2
        # more connections of the same pool (exclusive ones, Pub/Sub) go straight to RESP2
        # and say nothing more
        assert await r.blpop(["nothing"], timeout=0.01) is None
        async with r.pubsub() as p:
            await p.subscribe("ch")
            assert await r.publish("ch", "hi") == 1
            msg = None
            for _ in range(3):  # the confirmation (None: ignored), then the message
                msg = await p.get_message(ignore_subscribe_messages=True, timeout=5)
                if msg is not None:
                    break
            assert msg is not None and msg["data"] == b"hi"
        assert len(warnings_seen.fallbacks()) == 1
        assert "s3cret-pw" not in warnings_seen.fallbacks()[0]
        assert helloless_server.password not in "".join(m.getMessage() for m in warnings_seen.records)


async def test_a_server_without_hello_and_a_wrong_password_is_an_auth_error(helloless_server):
    async with fastredis.Redis(**helloless_server.client_kwargs(password="wrong")) as r:
        with pytest.raises(fastredis.AuthenticationError):
            await r.ping()


async def test_protocol_3_chosen_on_a_server_without_hello_is_an_error(helloless_server):
    async with fastredis.Redis(**helloless_server.client_kwargs(protocol=3)) as r:
        with pytest.raises(fastredis.ResponseError, match="does not support RESP3") as info:
            await r.ping()
        assert "protocol=3" in str(info.value)
        assert helloless_server.password not in str(info.value)


async def test_protocol_2_chosen_sends_no_hello(helloless_server, warnings_seen):
    async with fastredis.Redis(**helloless_server.client_kwargs(protocol=2)) as r:
        assert await r.ping()
        assert await _resp_of(r) == 2
    assert warnings_seen.fallbacks() == []


# An old server (Redis 5) answers an unknown command by echoing its first arguments: the
# password HELLO carried must never reach a log line or an exception.
_OLD_HELLO = (b"-ERR unknown command `HELLO`, with args beginning with: `3`, `AUTH`, "
              b"`default`, `old-secret`, \r\n")


def _old_redis(cmd: list[bytes]) -> bytes:
    name = cmd[0].upper()
    if name == b"HELLO":
        return _OLD_HELLO
    if name == b"AUTH":
        return b"+OK\r\n" if cmd[-1] == b"old-secret" else b"-ERR invalid password\r\n"
    if name == b"GET":
        return b"$3\r\nold\r\n"
    if name == b"BLPOP":
        return b"*-1\r\n"
    return b"+OK\r\n"  # SELECT, CLIENT SETNAME, PING ...


async def test_an_old_server_gets_auth_after_hello_and_the_password_stays_hidden(warnings_seen):
    async with FakeServer(_old_redis) as server, \
            fastredis.Redis(**server.client_kwargs(password="old-secret", db=1)) as r:
        assert await r.get("k") == b"old"
        names = [c[0].upper() for c in server.commands]
        assert names[:4] == [b"HELLO", b"SELECT", b"AUTH", b"SELECT"], server.commands
        assert server.commands[2] == [b"AUTH", b"old-secret"]
        # a second connection: straight to AUTH
        seen = len(server.commands)
        assert await r.blpop(["q"], timeout=0.01) is None
        assert [c[0].upper() for c in server.commands[seen:seen + 1]] == [b"AUTH"]
        assert len(warnings_seen.fallbacks()) == 1
        text = warnings_seen.fallbacks()[0]
        assert "old-secret" not in text and "unknown command" in text
    async with FakeServer(_old_redis) as server, \
            fastredis.Redis(**server.client_kwargs(password="old-secret", protocol=3)) as r:
        with pytest.raises(fastredis.ResponseError) as info:
            await r.get("k")
        chain, exc = [], info.value
        while exc is not None:
            chain.append(str(exc))
            exc = exc.__cause__ or exc.__context__
        assert "old-secret" not in " ".join(chain)
    async with FakeServer(_old_redis) as server, \
            fastredis.Redis(**server.client_kwargs(password="bad")) as r:
        with pytest.raises(fastredis.AuthenticationError):
            await r.get("k")


async def test_concurrent_first_connections_warn_once(helloless_server, warnings_seen):
    async with fastredis.Redis(**helloless_server.client_kwargs()) as r:
        # a shared connection and two exclusive ones open at once, all refused HELLO
        got = await asyncio.gather(r.get("x"), r.blpop(["a"], timeout=0.05),
                                   r.blpop(["b"], timeout=0.05))
        assert got == [None, None, None]
    assert len(warnings_seen.fallbacks()) == 1


async def _pubsub_resp(admin, name: str) -> list[int]:
    """The RESP of the connections named ``name`` that are subscribed (CLIENT LIST)."""
    return sorted(int(c["resp"]) for c in await admin.client_list()
                  if c["name"] == name and int(c.get("sub", 0)) + int(c.get("psub", 0)) > 0)


async def _next_message(p):
    while True:  # (a confirmation read first gives None)
        msg = await p.get_message(ignore_subscribe_messages=True, timeout=5)
        if msg is not None:
            return msg


async def test_pubsub_speaks_resp2_unless_chosen_or_credentials_stream(redis_server):
    """With the protocol not chosen, a Pub/Sub connection speaks RESP2 (its messages are
    parsed faster than RESP3 push frames; the same message dicts either way); protocol=3
    chosen, or a streaming credential provider (in-place re-authentication needs RESP3),
    keeps RESP3. The data connections speak RESP3 in every case."""
    from fastredis.credentials import StreamingCredentialProvider

    class Streaming(StreamingCredentialProvider):
        def get_credentials(self):
            return ("default", "")

        async def get_credentials_async(self):
            return ("default", "")

        def on_next(self, callback):
            self.callback = callback

        def on_error(self, callback):
            pass

        def is_streaming(self) -> bool:
            return True

    admin = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    cases = [("ps-default", {}, 2), ("ps-3", {"protocol": 3}, 3), ("ps-2", {"protocol": 2}, 2)]
    if redis_server.password is None:
        cases.append(("ps-stream", {"credential_provider": Streaming()}, 3))
    try:
        for name, kw, resp in cases:
            async with fastredis.Redis(**redis_server.client_kwargs(client_name=name, **kw)) as r:
                async with r.pubsub() as p:
                    await p.subscribe("resp-ch")
                    assert await _pubsub_resp(admin, name) == [resp], name
                    assert await r.publish("resp-ch", "hi") == 1
                    msg = await asyncio.wait_for(_next_message(p), 10)
                    assert msg == {"type": "message", "pattern": None, "channel": b"resp-ch",
                                   "data": b"hi"}, name
                assert await _resp_of(r) == (2 if kw.get("protocol") == 2 else 3), name
    finally:
        await admin.aclose()


async def test_cluster_pubsub_speaks_resp2_by_default(redis_cluster, rc):
    admin = fastredis.Redis(host=redis_cluster.host, port=redis_cluster.primaries()[0].port,
                            decode_responses=True)
    try:
        async with fastredis.RedisCluster(**redis_cluster.client_kwargs(client_name="cps")) as c:
            p = c.pubsub()
            links = {s.port: fastredis.Redis(host=s.host, port=s.port, decode_responses=True)
                     for s in redis_cluster.live()}
            try:
                await p.subscribe("resp-cluster")
                seen = [r for a in links.values() for r in await _pubsub_resp(a, "cps")]
            finally:
                await p.aclose()
                for a in links.values():
                    await a.aclose()
            assert seen == [2]
    finally:
        await admin.aclose()


async def test_no_password_for_a_server_that_wants_one_is_no_fallback(make_server, warnings_seen):
    """A real HELLO without AUTH on a server with a password answers NOAUTH: that is an
    authentication error, not a server without RESP3 (only a HELLO that carried AUTH and
    got NOAUTH back - Valkey's answer to an unknown command before authentication - is)."""
    server = make_server(password="s3cret-pw")
    kw = server.client_kwargs()
    kw.pop("password")
    async with fastredis.Redis(**kw) as r:
        with pytest.raises(fastredis.AuthenticationError):
            await r.ping()
        assert not r.connection_pool.params.negotiated.resp2_only
    assert warnings_seen.fallbacks() == []
