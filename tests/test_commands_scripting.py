import hashlib

import pytest

import fastredis
from fastredis import DataError, NoScriptError, ResponseError

ECHO = "return {KEYS[1], ARGV[1], #KEYS, #ARGV}"


async def test_eval_and_evalsha(r):
    assert await r.eval(ECHO, 1, "k", "v") == [b"k", b"v", 1, 1]
    assert await r.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, "x", "y") == b"OK"
    assert await r.get("x") == b"y"
    sha = await r.script_load(ECHO)
    assert sha == hashlib.sha1(ECHO.encode()).hexdigest()  # str, as redis-py
    assert await r.evalsha(sha, 1, "k", "v") == [b"k", b"v", 1, 1]
    assert await r.evalsha_ro(sha, 1, "k", "v") == [b"k", b"v", 1, 1]
    assert await r.eval_ro("return redis.call('GET', KEYS[1])", 1, "x") == b"y"
    assert await r.script_exists(sha, "0" * 40) == [True, False]
    assert await r.script_flush() is True
    assert await r.script_exists(sha) == [False]
    with pytest.raises(NoScriptError):
        await r.evalsha(sha, 0)
    assert await r.script_flush("ASYNC") is True
    with pytest.raises(ResponseError):
        await r.eval("return redis.error_reply('boom')", 0)
    assert await r.ping() is True


async def test_registered_script_loads_on_noscript(r):
    await r.script_flush()
    script = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert script.sha == hashlib.sha1(script.script.encode()).hexdigest()
    assert await script(keys=["n"], args=[5]) == 5  # NOSCRIPT -> SCRIPT LOAD -> EVALSHA
    assert await r.script_exists(script.sha) == [True]
    assert await script(["n"], [2]) == 7  # plain EVALSHA now
    await r.script_flush()
    assert await script(keys=["n"], args=[1]) == 8  # loads again after a flush


async def test_script_keys_and_args_forms(r):
    script = r.register_script(ECHO)
    assert await script(keys=["k"], args=["v"]) == [b"k", b"v", 1, 1]
    assert await script(keys="k", args="v") == [b"k", b"v", 1, 1]  # a lone str is one item
    counts = r.register_script("return {#KEYS, #ARGV}")
    assert await counts() == [0, 0]
    assert await counts(keys=("a", "b"), args=[1]) == [2, 1]
    with pytest.raises(DataError):
        await script(keys={"k": 1})
    bscript = r.register_script(ECHO.encode())
    assert bscript.sha == script.sha


async def test_script_on_another_client(r, redis_server):
    script = r.register_script("return ARGV[1]")
    other = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        assert await script(args=["é"], client=other) == "é"
        assert await script(args=["x"]) == b"x"
    finally:
        await other.aclose()


async def test_decode_responses(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        sha = await c.script_load("return 'é'")
        assert isinstance(sha, str)
        assert await c.evalsha(sha, 0) == "é"
        assert await c.script_exists(sha) == [True]
        assert await c.script_flush() is True
    finally:
        await c.aclose()


@pytest.mark.parametrize("bad", [None, True, {"a": 1}, ["a", ["b"]], object()])
async def test_data_errors_keep_connection_usable(r, bad):
    with pytest.raises(DataError):
        await r.eval("return 1", 1, bad)
    with pytest.raises(DataError):
        await r.evalsha("0" * 40, 0, "ok", bad)
    with pytest.raises(DataError):
        await r.script_exists(bad)
    with pytest.raises(DataError):
        await r.register_script("return 1")(keys=["k"], args=[bad])
    assert await r.ping() is True
    assert await r.eval("return 1", 0) == 1
