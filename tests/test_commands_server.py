import pytest

import fastredis
from fastredis import DataError


async def test_existing_commands_still_work(r):
    assert await r.ping() is True
    assert await r.ping("hi") == b"hi"
    assert await r.echo("x") == b"x"
    assert (await r.info("server"))["redis_version"]
    assert await r.dbsize() == 0
    sec, usec = await r.time()
    assert isinstance(sec, int) and isinstance(usec, int)


async def test_client_info(r):
    info = await r.client_info()
    assert isinstance(info, dict)
    assert isinstance(info["id"], int) and info["id"] == await r.client_id()
    assert info["db"] == 0
    assert info["cmd"] == "client|info"
    assert isinstance(info["addr"], str) and ":" in info["addr"]


async def test_client_info_values_with_equals_sign(r):
    assert await r.client_setname("a=b") is True  # '=' is allowed in a name, and kept
    assert (await r.client_info())["name"] == "a=b"


async def test_client_pause_unpause(r):
    assert await r.client_pause(100000, all=False) is True  # writes only
    try:
        assert await r.get("k") is None  # reads still served
    finally:
        assert await r.client_unpause() is True
    assert await r.set("k", "v") is True
    with pytest.raises(DataError):
        await r.client_pause(1.5)


async def test_config_resetstat_and_command_count(r):
    await r.get("x")
    assert await r.config_resetstat() is True
    assert (await r.info("stats"))["total_commands_processed"] <= 2
    n = await r.command_count()
    assert isinstance(n, int) and n > 100


async def test_memory_usage(r):
    await r.set("k", "v" * 100)
    n = await r.memory_usage("k")
    assert isinstance(n, int) and n >= 100
    assert isinstance(await r.memory_usage("k", samples=0), int)
    assert await r.memory_usage("missing") is None


async def test_slowlog(r):
    old = (await r.config_get("slowlog-log-slower-than"))["slowlog-log-slower-than"]
    try:
        assert await r.slowlog_reset() is True
        await r.config_set("slowlog-log-slower-than", 0)
        await r.set("slow", "v")
        entries = await r.slowlog_get()
        assert isinstance(entries, list) and entries
        assert await r.slowlog_len() >= 1
        e = next(x for x in entries if x["command"] == b"SET slow v")
        assert {"id", "start_time", "duration", "command", "client_address", "client_name"} <= set(e)
        assert isinstance(e["start_time"], int) and isinstance(e["duration"], int)
        assert len(await r.slowlog_get(1)) == 1
    finally:
        await r.config_set("slowlog-log-slower-than", old)
        await r.slowlog_reset()


async def test_swapdb(r, redis_server):
    other = fastredis.Redis(**redis_server.client_kwargs(db=1))
    try:
        await r.set("k", "db0")
        assert await r.swapdb(0, 1) is True
        assert await r.get("k") is None
        assert await other.get("k") == b"db0"
    finally:
        await other.flushdb()
        await other.aclose()


async def test_select_is_refused(r):
    with pytest.raises(DataError, match="db="):
        await r.select(1)
    assert (await r.client_info())["db"] == 0
    assert await r.ping() is True


async def test_debug_object(r, make_server):
    server = make_server(config={"enable-debug-command": "yes"})
    c = fastredis.Redis(**server.client_kwargs())
    try:
        await c.set("k", "12345")
        d = await c.debug_object("k")
        assert d["encoding"] == "int" and d["refcount"] >= 1
        assert isinstance(d["serializedlength"], int)
        assert "lru_seconds_idle" in d
    finally:
        await c.aclose()
    with pytest.raises(fastredis.ResponseError):  # off by default since Redis 7
        await r.debug_object("k")


async def test_decode_responses(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        assert (await c.client_info())["db"] == 0
        assert await c.config_resetstat() is True
        assert await c.swapdb(2, 3) is True
        assert await c.client_pause(10, all=False) is True
        assert await c.client_unpause() is True
        old = (await c.config_get("slowlog-log-slower-than"))["slowlog-log-slower-than"]
        try:
            await c.config_set("slowlog-log-slower-than", 0)
            await c.set("k", "v")
            entries = await c.slowlog_get()
            assert all(isinstance(e["command"], str) for e in entries)
        finally:
            await c.config_set("slowlog-log-slower-than", old)
            await c.slowlog_reset()
    finally:
        await c.aclose()


@pytest.mark.parametrize("bad", [None, True, {"a": 1}, ["a", ["b"]], object()])
async def test_data_errors_keep_connection_usable(r, bad):
    with pytest.raises(DataError):
        await r.memory_usage(bad)
    with pytest.raises(DataError):
        await r.client_pause(bad)
    with pytest.raises(DataError):
        await r.swapdb(0, bad)
    with pytest.raises(DataError):
        await r.echo(bad)
    assert await r.ping() is True
