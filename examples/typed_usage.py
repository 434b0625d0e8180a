"""A typed user program: what a type checker sees of fastredis.

`make lint` runs `mypy --strict` on this file; every `assert_type` below fails the check
if the public types regress (to `Any`, or to the wrong str/bytes flavour). It is also
valid code: `python examples/typed_usage.py` runs it against REDIS_URL
(default redis://localhost:6379/0) and touches only keys under `typed_usage:`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import fastredis
from fastredis import Redis, StrictRedis
from fastredis.cluster import RedisCluster
from fastredis.cluster.pipeline import ClusterPipeline
from fastredis.commands.bf import BFBloom, BFInfo
from fastredis.pipeline import Pipeline
from fastredis.typing import PubSubMessage, StreamEntry

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # mypy ships typing_extensions' stubs; at runtime on 3.10 it must be installed
    from typing_extensions import assert_type

URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
K = "typed_usage:"


async def bytes_client() -> None:
    r = fastredis.from_url(URL)
    assert_type(r, Redis[bytes])
    assert_type(Redis(), Redis[bytes])
    assert_type(StrictRedis(), Redis[bytes])
    assert_type(Redis.from_url(URL), Redis[bytes])
    async with r:
        assert_type(await r.set(K + "s", 1), bool | None)
        assert_type(await r.set(K + "s", 2, get=True), bytes | None)
        assert_type(await r.get(K + "s"), bytes | None)
        assert_type(await r.mget([K + "s", K + "missing"]), list[bytes | None])
        assert_type(await r.incr(K + "n"), int)
        assert_type(await r.incrbyfloat(K + "f", 0.5), float)
        assert_type(await r.exists(K + "s", K + "n"), int)
        assert_type(await r.delete(K + "missing"), int)
        assert_type(await r.expire(K + "n", 60), bool)
        assert_type(await r.publish("typed_usage", "hi"), int)
        # a command is a coroutine: tasks and gather keep its type
        task = asyncio.create_task(r.get(K + "s"))
        assert_type(await task, bytes | None)
        assert_type(await asyncio.gather(r.get(K + "s"), r.incr(K + "n")), tuple[bytes | None, int])

        assert_type(await r.hset(K + "h", mapping={"a": 1, "b": "x"}), int)
        assert_type(await r.hget(K + "h", "a"), bytes | None)
        assert_type(await r.hgetall(K + "h"), dict[bytes, bytes])

        assert_type(await r.zadd(K + "z", {"m1": 1.0, "m2": 2}), int)
        assert_type(await r.zadd(K + "z", {"m1": 1}, incr=True), float | None)
        assert_type(await r.zrange(K + "z", 0, -1), list[bytes])
        assert_type(await r.zrange(K + "z", 0, -1, withscores=True), list[tuple[bytes, float]])
        assert_type(await r.zrangebyscore(K + "z", "-inf", "+inf", withscores=True),
                    list[tuple[bytes, float]])
        assert_type(await r.zscore(K + "z", "m1"), float | None)

        assert_type(await r.rpush(K + "l", 1, 2, 3), int)
        assert_type(await r.lpop(K + "l"), bytes | None)
        assert_type(await r.lpop(K + "l", 2), list[bytes] | None)
        assert_type(await r.lrange(K + "l", 0, -1), list[bytes])
        assert_type(await r.blpop([K + "l"], timeout=0.01), tuple[bytes, bytes] | None)

        assert_type(await r.sadd(K + "set", "a"), int)
        assert_type(await r.smembers(K + "set"), set[bytes])

        assert_type(await r.xadd(K + "x", {"f": "v"}), bytes)
        assert_type(await r.xrange(K + "x"), list[StreamEntry[bytes]])
        assert_type(await r.xrange(K + "x"), list[tuple[bytes, dict[bytes, bytes]]])

        assert_type(await r.ping(), bool)
        assert_type(await r.info(), dict[str, Any])
        assert_type(await r.scan(0), tuple[int, list[bytes]])
        async for key in r.scan_iter(match=K + "*"):
            assert_type(key, bytes)

        # pipelines: commands chain and return the pipeline; execute() is list[Any]
        pipe = r.pipeline()
        assert_type(pipe, Pipeline[bytes])
        assert_type(pipe.set(K + "p", 1).incr(K + "p"), Pipeline[bytes])
        assert_type(await pipe.execute(), list[Any])
        async with r.pipeline(transaction=False) as p2:
            assert_type(await p2.get(K + "p"), Pipeline[bytes])  # aredis style
            assert_type(await p2.execute(), list[Any])

        await r.delete(*[K + s for s in ("s", "n", "f", "h", "z", "l", "set", "x", "p")])


async def str_client() -> None:
    r = Redis.from_url(URL, decode_responses=True)
    assert_type(r, Redis[str])
    assert_type(fastredis.from_url(URL, decode_responses=True), Redis[str])
    assert_type(Redis(decode_responses=True), Redis[str])
    async with r:
        await r.set(K + "s", "v")
        assert_type(await r.get(K + "s"), str | None)
        assert_type(await r.mget(K + "s", K + "missing"), list[str | None])
        assert_type(await r.hgetall(K + "h"), dict[str, str])
        assert_type(await r.zrange(K + "z", 0, -1, withscores=True), list[tuple[str, float]])
        assert_type(await r.keys(K + "*"), list[str])
        assert_type(r.pipeline().get(K + "s"), Pipeline[str])
        await r.delete(K + "s")


async def pubsub() -> None:
    r = fastredis.from_url(URL)
    async with r:
        p = r.pubsub()
        async with p:
            await p.subscribe("typed_usage")
            msg = await p.get_message(timeout=1.0)
            assert_type(msg, PubSubMessage | None)
            if msg is not None:
                assert_type(msg["type"], str)
                assert_type(msg["channel"], bytes | str)
                assert_type(msg["data"], bytes | str | int)
            await p.unsubscribe("typed_usage")
            async for m in p.listen():
                assert_type(m, PubSubMessage)


async def cluster_targets(rc: RedisCluster[bytes]) -> None:
    """redis-py's ``target_nodes=`` on keyless commands: same result types as without."""
    node = rc.get_primaries()[0]
    assert_type(await rc.dbsize(target_nodes=RedisCluster.ALL_NODES), int)
    assert_type(await rc.ping(target_nodes=RedisCluster.RANDOM), bool)
    assert_type(await rc.keys(K + "*", target_nodes=rc.get_primaries()), list[bytes])
    assert_type(await rc.info("server", target_nodes=node), dict[str, Any])
    assert_type(await rc.config_get("maxmemory", target_nodes=node), dict[str, str])
    assert_type(await rc.script_load("return 1", target_nodes=RedisCluster.ALL_NODES), str)
    assert_type(await rc.flushall(target_nodes={n.name: n for n in rc.get_primaries()}), bool)
    assert_type(await rc.cluster_info(node), dict[str, str])
    # a cluster pipeline: commands chain and return it, as Pipeline's do
    pipe = rc.pipeline()
    assert_type(pipe.set(K, 1).get(K), ClusterPipeline[bytes])
    assert_type(await pipe.execute(), list[Any])


async def bloom(r: Redis[bytes], s: Redis[str]) -> None:
    """RedisBloom (a server with the module): the families keep the client's str/bytes."""
    assert_type(r.bf(), BFBloom[bytes])
    assert_type(await r.bf().create(K + "bf", 0.01, 1000), bool)
    assert_type(await r.bf().madd(K + "bf", "a", "b"), list[int])
    assert_type(await r.bf().info(K + "bf"), BFInfo | dict[bytes, Any])
    assert_type(await s.bf().info(K + "bf"), BFInfo | dict[str, Any])
    assert_type(await r.tdigest().min(K + "td"), float)
    assert_type(await r.cms().query(K + "cms", "a"), list[int])
    assert_type(r.pipeline().bf().add(K + "bf", "c"), Pipeline[bytes])


def handler(message: PubSubMessage) -> None:
    print(message["channel"], message["data"])


async def main() -> None:
    await bytes_client()
    await str_client()
    await pubsub()
    cluster_url = os.environ.get("REDIS_CLUSTER_URL")  # e.g. redis://127.0.0.1:7000
    if cluster_url:
        rc: RedisCluster[bytes] = RedisCluster.from_url(cluster_url)
        async with rc:
            await cluster_targets(rc)


if __name__ == "__main__":
    asyncio.run(main())
