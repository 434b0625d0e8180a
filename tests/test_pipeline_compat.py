"""Pipelines behave as redis-py's do (issue 9 items 2 and 3): ``watching``, ``discard()``,
``aclose()``, ``mget([])``, WatchError before an empty EXEC, errors naming the command with
its arguments, scripts loaded before the batch. Compared with redis-py on the same server."""

from __future__ import annotations

import pytest
import redis.asyncio as redis_py

import fastredis
from fastredis import ResponseError, WatchError


@pytest.fixture
async def rp(redis_server):
    client = redis_py.Redis(host=redis_server.host, port=redis_server.port)
    try:
        yield client
    finally:
        await client.aclose()


async def test_watching_discard_aclose(r):
    pipe = r.pipeline()
    assert pipe.watching is False
    await pipe.watch("w:a")
    assert pipe.watching is True
    pipe.multi()
    pipe.set("w:a", 1)
    await pipe.discard()
    assert pipe.watching is False and len(pipe) == 0
    assert await pipe.execute() == []
    assert await r.exists("w:a") == 0  # the discarded SET never ran
    await pipe.watch("w:a")
    pipe.multi()
    pipe.set("w:a", 2)
    assert await pipe.execute() == [True]
    assert pipe.watching is False
    await pipe.watch("w:a")
    await pipe.aclose()
    assert pipe.watching is False
    assert r.connection_pool.in_use() == set()  # the watched connection went back


@pytest.mark.parametrize("transaction", [True, False])
async def test_mget_of_no_keys_in_a_pipeline(r, rp, transaction):
    await r.set("m:a", "1")
    ours = await r.pipeline(transaction).set("m:b", "2").mget([]).mget(["m:a", "m:b"]).execute()
    theirs = await rp.pipeline(transaction).set("m:b", "2").mget([]).mget(["m:a", "m:b"]).execute()
    assert ours == theirs == [True, [], [b"1", b"2"]]
    assert await r.pipeline(transaction).mget([]).execute() == [[]]


async def test_watched_key_changed_before_an_empty_exec(r, rp):
    for client in (r, rp):
        await r.set("w:k", "1")
        async with client.pipeline() as pipe:
            await pipe.watch("w:k")
            await r.set("w:k", "2")  # another client changes it
            pipe.multi()
            with pytest.raises((WatchError, redis_py.WatchError)):
                await pipe.execute()
    # unchanged: the empty transaction succeeds
    async with r.pipeline() as pipe:
        await pipe.watch("w:k")
        pipe.multi()
        assert await pipe.execute() == []


@pytest.mark.parametrize("transaction", [True, False])
async def test_errors_name_the_command_with_its_arguments(r, rp, transaction):
    await r.set("c", "x")
    msgs = []
    for client in (r, rp):
        with pytest.raises((ResponseError, redis_py.ResponseError)) as info:
            await client.pipeline(transaction).set("a", 1).lpush("c", 3).execute()
        msgs.append(str(info.value))
    ours, theirs = msgs
    assert ours.startswith("Command # 2 (LPUSH c 3) of pipeline caused error: WRONGTYPE")
    assert theirs.startswith("Command # 2 (LPUSH c 3) of pipeline caused error:")
    # raise_on_error=False: the error in its place, annotated the same way
    res = await r.pipeline(transaction).lpush("c", 4).get("c").execute(raise_on_error=False)
    assert str(res[0]).startswith("Command # 1 (LPUSH c 4) of pipeline caused error")
    assert res[1] == b"x"


async def test_an_error_while_queueing_names_its_command(r):
    with pytest.raises(ResponseError, match=r"^Command # 2 \(SET a\) of pipeline caused error"):
        await r.pipeline().get("a").execute_command("SET", "a").execute()


async def test_error_text_never_shows_a_password(r):
    res = await r.pipeline(False).execute_command("AUTH", "user", "hunter2").execute(raise_on_error=False)
    assert "hunter2" not in str(res[0]) and "AUTH ***" in str(res[0])
    res = await r.pipeline(False).execute_command(
        "HELLO", 3, "AUTH", "default", "hunter2"
    ).execute(raise_on_error=False)
    assert "hunter2" not in str(res[0])


async def test_long_commands_are_shortened_in_errors(r):
    await r.set("c", "x")
    res = await r.pipeline(False).lpush("c", "v" * 500).execute(raise_on_error=False)
    text = str(res[0])
    assert "..." in text and "v" * 200 not in text


@pytest.mark.parametrize("transaction", [True, False])
async def test_registered_scripts_are_loaded_before_the_batch(r, transaction):
    script = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    await r.script_flush()
    pipe = r.pipeline(transaction)
    await script(keys=["s:n"], args=[5], client=pipe)
    pipe.get("s:n")
    assert await pipe.execute() == [5, b"5"]
    assert await r.script_exists(script.sha) == [True]
    # the next batch does not carry it again unless used again
    assert not pipe.scripts


async def test_script_in_a_watched_transaction(r):
    script = r.register_script("return redis.call('get', KEYS[1])")
    await r.script_flush()
    await r.set("s:w", "v")
    async with r.pipeline() as pipe:
        await pipe.watch("s:w")
        pipe.multi()
        await script(keys=["s:w"], client=pipe)
        assert await pipe.execute() == [b"v"]


async def test_response_callbacks_apply_to_execute_command(r):
    await r.set("cb:k", "41")
    r.set_response_callback("get", lambda reply, **opts: int(reply) + 1)
    assert "GET" in r.response_callbacks and "get" in r.response_callbacks
    assert await r.execute_command("GET", "cb:k") == 42
    assert await r.get("cb:k") == b"41"  # the named method keeps its own callback
    assert await r.pipeline().execute_command("GET", "cb:k").execute() == [42]
    r.response_callbacks["TYPE"] = lambda reply, **opts: ("type", reply, opts)
    assert await r.execute_command("TYPE", "cb:k", flag=1) == ("type", b"string", {"flag": 1})
    del r.response_callbacks["GET"]
    assert await r.execute_command("GET", "cb:k") == b"41"


async def test_from_pool(redis_server):
    pool = fastredis.ConnectionPool.from_url(redis_server.url)
    client = fastredis.Redis.from_pool(pool)
    assert client.connection_pool is pool and client.auto_close_connection_pool is True
    assert await client.ping()
    await client.aclose()
    assert pool.connection_count() == 0


async def test_transaction_helper_retries_on_watch_error(r, redis_server):
    """redis-py's ``r.transaction(func, *watches)``: func runs under WATCH and again after a
    WatchError; ``value_from_callable`` returns func's value; a typo is a TypeError."""
    await r.set("tx:n", 1)
    other = fastredis.Redis(**redis_server.client_kwargs())
    calls = 0

    async def double(pipe):
        nonlocal calls
        calls += 1
        value = int(await pipe.get("tx:n"))
        if calls == 1:
            await other.set("tx:n", 10)  # another client writes between WATCH and EXEC
        pipe.multi()
        pipe.set("tx:n", value * 2)
        return value * 2

    assert await r.transaction(double, "tx:n", value_from_callable=True) == 20
    assert calls == 2 and await r.get("tx:n") == b"20"
    assert await r.transaction(double, "tx:n", shard_hint="any") == [True]  # as redis-py
    with pytest.raises(TypeError):
        await r.transaction(double, "tx:n", value_from_callabel=True)  # type: ignore[call-arg]
    assert await r.get("tx:n") == b"40"
    await other.aclose()
