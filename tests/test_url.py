"""Issue 8 item 15: every URL query option is parsed with its type and lands where it
acts; a bad value or an unknown option is a DataError naming it (docs/connections.md)."""

from __future__ import annotations

import pytest

import fastredis
from fastredis.connection import URL_OPTIONS, parse_url

# option -> (query value, parsed value, where it lands: (object, attribute) on a client)
CASES = {
    "db": ("3", 3, ("params", "db")),
    "protocol": ("3", 3, ("params", "protocol")),
    "legacy_responses": ("true", True, ("accepted", None)),  # redis-py's default shapes: ours
    "username": ("bob", "bob", ("params", "username")),
    "password": ("pw", "pw", ("params", "password")),
    "client_name": ("app", "app", ("params", "client_name")),
    "lib_name": ("mylib", "mylib", ("params", "lib_name")),
    "lib_version": ("1.2", "1.2", ("params", "lib_version")),
    "socket_timeout": ("1.5", 1.5, ("params", "socket_timeout")),
    "socket_connect_timeout": ("2.5", 2.5, ("params", "connect_timeout")),
    "socket_keepalive": ("false", False, ("params", "keepalive")),
    "decode_responses": ("true", True, ("params", "decode_responses")),
    "encoding": ("latin-1", "latin-1", ("params", "encoding")),
    "encoding_errors": ("replace", "replace", ("params", "encoding_errors")),
    "max_reply_size": ("1000", 1000, ("params", "max_reply_size")),
    "health_check_interval": ("5", 5.0, ("pool", "health_check_interval")),
    "max_connections": ("10", 10, ("pool", "max_connections")),
    "max_shared": ("2", 2, ("pool", "max_shared")),
    "max_idle": ("5", 5, ("pool", "max_idle")),
    "max_idle_time": ("30", 30.0, ("pool", "max_idle_time")),
    "idle_check_interval": ("0.5", 0.5, ("pool", "idle_check_interval")),
    "timeout": ("3", 3.0, ("blocking", "timeout")),
    "single_connection_client": ("yes", True, ("client", "_single")),
    "retry_on_timeout": ("1", True, None),
    "retry_on_error": ("ConnectionError,ReadOnlyError", [fastredis.ConnectionError, fastredis.ReadOnlyError], None),
    "ssl_cert_reqs": ("NONE", "none", ("ssl", "ssl_cert_reqs")),
    "ssl_check_hostname": ("off", False, ("ssl", "ssl_check_hostname")),
    "ssl_ca_certs": ("/ca.pem", "/ca.pem", ("ssl", "ssl_ca_certs")),
    "ssl_ca_path": ("/certs", "/certs", ("ssl", "ssl_ca_path")),
    "ssl_certfile": ("/c.pem", "/c.pem", ("ssl", "ssl_certfile")),
    "ssl_keyfile": ("/k.pem", "/k.pem", ("ssl", "ssl_keyfile")),
    "ssl_server_hostname": ("redis.example", "redis.example", ("ssl", "ssl_server_hostname")),
}


def test_every_documented_option_has_a_case():
    assert set(CASES) == set(URL_OPTIONS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_url_option_is_typed_and_lands_where_it_acts(name):
    raw, parsed, where = CASES[name]
    url = f"redis://localhost:6379/0?{name}={raw}"
    assert parse_url(url)[name] == parsed
    if where is not None and where[0] == "blocking":  # the wait of BlockingConnectionPool only
        assert fastredis.BlockingConnectionPool.from_url(url).timeout == parsed
        with pytest.raises(TypeError, match="BlockingConnectionPool"):
            fastredis.Redis.from_url(url)
        return
    r = fastredis.Redis.from_url(url)
    if where is not None and where[0] == "accepted":
        return
    if where is None:  # a retry option: the client's policy
        errors = r._retry.supported_errors
        expected = parsed if isinstance(parsed, list) else [fastredis.TimeoutError]
        assert all(e in errors for e in expected)
        return
    kind, attr = where
    pool = r._base_pool
    obj = {"params": pool.params, "pool": pool, "client": r, "ssl": pool.params.ssl_params}[kind]
    value = obj[attr] if kind == "ssl" else getattr(obj, attr)
    assert value == parsed
    if kind == "ssl":
        assert pool.params.ssl is True


def test_the_issue_examples():
    # protocol=3 was a DataError, max_connections / max_idle strings a TypeError at the
    # first command, socket_keepalive=false gave True
    assert fastredis.from_url("redis://localhost:6379/0?protocol=3")._base_pool.params.protocol == 3
    assert fastredis.from_url("redis://h?max_connections=10")._base_pool.max_connections == 10
    assert fastredis.from_url("redis://h?max_idle=5")._base_pool.max_idle == 5
    assert fastredis.from_url("redis://h?socket_keepalive=false")._base_pool.params.keepalive is False
    pool = fastredis.ConnectionPool.from_url("redis://h/2?max_connections=3&socket_timeout=1")
    assert (pool.max_connections, pool.params.db, pool.params.socket_timeout) == (3, 2, 1.0)


@pytest.mark.parametrize("query,message", [
    ("db=x", "'db'"),
    ("protocol=4", "'protocol'"),
    ("socket_keepalive=maybe", "'socket_keepalive'"),
    ("max_connections=ten", "'max_connections'"),
    ("ssl_cert_reqs=sometimes", "'ssl_cert_reqs'"),
    ("retry_on_error=NoSuchError", "'retry_on_error'"),
    ("no_such_option=1", "unknown option 'no_such_option'"),
])
def test_bad_values_and_unknown_options_are_named(query, message):
    with pytest.raises(fastredis.DataError, match=message):
        parse_url(f"redis://localhost/?{query}")


def test_a_bad_password_value_is_never_echoed():
    # a password in the query that cannot be parsed would be a secret in the message
    with pytest.raises(fastredis.DataError) as info:
        parse_url("redis://h/?password=x&db=hunter2")
    assert "'hunter2'" in str(info.value)  # a db value is shown ...
    assert parse_url("redis://h/?password=hunter2")["password"] == "hunter2"


def test_url_grammar():
    assert parse_url("redis://u:p%40ss@h:1234/3") == {
        "username": "u", "password": "p@ss", "host": "h", "port": 1234, "db": 3,
    }
    assert parse_url("redis://:pw@h") == {"password": "pw", "host": "h"}
    assert parse_url("redis://[::1]:7000")["host"] == "::1"
    assert parse_url("rediss://h")["ssl"] is True
    assert parse_url("unix:///tmp/r.sock?db=2") == {"path": "/tmp/r.sock", "db": 2}
    assert parse_url("redis://h/5?db=6")["db"] == 6  # the query wins, as in redis-py
    with pytest.raises(fastredis.DataError, match="must start with"):
        parse_url("http://h")
    with pytest.raises(fastredis.DataError, match="database number"):
        parse_url("redis://h/abc")
    with pytest.raises(fastredis.DataError, match="port"):
        parse_url("redis://h:99999")


async def test_url_options_act_on_a_real_server(redis_server):
    r = fastredis.from_url(f"redis://{redis_server.host}:{redis_server.port}/4?protocol=3&decode_responses=yes"
                           "&client_name=urlopts&socket_timeout=5&health_check_interval=1&max_connections=2")
    await r.set("u", "v")
    assert await r.get("u") == "v"
    assert await r.execute_command("CLIENT", "GETNAME") == "urlopts"
    assert await fastredis.Redis(**redis_server.client_kwargs(db=4)).get("u") == b"v"
    assert " resp=3" in await r.execute_command("CLIENT", "INFO")
    await r.aclose()
