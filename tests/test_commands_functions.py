"""FUNCTION / FCALL / FCALL_RO: real server, shapes compared with redis-py's client."""

from __future__ import annotations

import pytest
import redis.asyncio
from _cmds_helpers import same

import fastredis
from fastredis import DataError, ResponseError

LIB = """#!lua name=cmds9lib
redis.register_function('echo_first', function(keys, args) return {keys[1], args[1]} end)
redis.register_function{function_name='get_ro', callback=function(keys)
  return redis.call('GET', keys[1]) end, flags={'no-writes'}}
"""


@pytest.fixture
async def rp(redis_server):
    client = redis.asyncio.Redis(**redis_server.client_kwargs(), protocol=2)
    yield client
    await client.aclose()


@pytest.fixture
async def lib(r):
    await r.function_flush()
    yield
    await r.function_flush()


async def test_load_call_list_stats(r, rp, lib):
    assert await r.function_load(LIB) == b"cmds9lib"
    with pytest.raises(ResponseError):
        await r.function_load(LIB)  # exists already
    assert await r.function_load(LIB, replace=True) == b"cmds9lib"
    assert await r.fcall("echo_first", 1, "k", "v") == [b"k", b"v"]
    await r.set("k", "val")
    assert await r.fcall_ro("get_ro", 1, "k") == b"val"
    listed = await same(r, rp, "function_list")
    assert listed[0][:2] == [b"library_name", b"cmds9lib"]
    with_code = await same(r, rp, "function_list", "cmds9*", withcode=True)
    assert LIB.encode() in with_code[0]
    assert await same(r, rp, "function_list", "nomatch*") == []
    stats = await r.function_stats()
    assert b"engines" in stats
    with pytest.raises(ResponseError):
        await r.function_kill()  # NOTBUSY: nothing runs


async def test_dump_restore_delete(r, rp, lib):
    await r.function_load(LIB)
    payload = await r.function_dump()
    assert isinstance(payload, bytes) and payload == await rp.function_dump()
    assert await r.function_delete("cmds9lib") is True
    assert await r.function_list() == []
    assert await r.function_restore(payload) is True
    assert await r.function_restore(payload, "REPLACE") is True
    assert (await r.function_list())[0][1] == b"cmds9lib"
    assert await r.function_flush("ASYNC") is True


async def test_pipeline_queues_fcall(r, lib):
    await r.function_load(LIB)
    async with r.pipeline() as pipe:
        pipe.fcall("echo_first", 1, "a", "b").function_list()
        res = await pipe.execute()
    assert res[0] == [b"a", b"b"] and res[1][0][1] == b"cmds9lib"


async def test_decoded_client(redis_server, lib):
    r = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        assert await r.function_load(LIB) == "cmds9lib"
        assert await r.fcall("echo_first", 1, "k", "v") == ["k", "v"]
    finally:
        await r.aclose()


@pytest.mark.parametrize("call", [
    lambda r: r.fcall("f", 2, "only-one"),
    lambda r: r.fcall("f", "1", "k"),
    lambda r: r.fcall_ro("f", -1),
    lambda r: r.function_flush("LATER"),
    lambda r: r.function_restore(b"x", "MERGE"),
])
async def test_bad_arguments_are_data_errors(r, call):
    with pytest.raises(DataError):
        await call(r)
