"""ZDIFF, ZDIFFSTORE, ZINTERCARD, ZMPOP, BZMPOP and SORT_RO (issue 9), against the real
server and redis-py's client on it."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio
from _cmds_helpers import same
from conftest import eventually

from fastredis import DataError


def blocked_clients(r):
    async def fetch():
        return (await r.info("clients"))["blocked_clients"]
    return fetch


@pytest.fixture
async def rp(redis_server):
    client = redis.asyncio.Redis(**redis_server.client_kwargs(), protocol=2)
    yield client
    await client.aclose()


async def test_zdiff_zdiffstore_zintercard(r, rp):
    await r.zadd("a", {"x": 1, "y": 2, "z": 3})
    await r.zadd("b", {"y": 5})
    assert await same(r, rp, "zdiff", ["a", "b"]) == [b"x", b"z"]
    # withscores: redis-py's shape, a flat list with bytes scores over RESP2
    assert await same(r, rp, "zdiff", ["a", "b"], withscores=True) == [b"x", b"1", b"z", b"3"]
    assert await same(r, rp, "zdiffstore", "d", ["a", "b"]) == 2
    assert await same(r, rp, "zintercard", 2, ["a", "b"]) == 1
    assert await same(r, rp, "zintercard", 1, ["a"], limit=2) == 2


async def test_zmpop(r, rp):
    await r.zadd("a", {"x": 1, "y": 2, "z": 3})
    assert await r.zmpop(2, ["empty", "a"], min=True) == [b"a", [[b"x", 1.0]]]
    assert await r.zmpop(1, ["a"], max=True, count=5) == [b"a", [[b"z", 3.0], [b"y", 2.0]]]
    assert await r.zmpop(1, ["a"], min=True) is None
    assert await rp.zmpop(1, ["a"], min=True) is None


async def test_bzmpop_waits_on_its_own_connection(r):
    task = asyncio.ensure_future(r.bzmpop(5, 1, ["q"], max=True))
    # the shared connection stays usable while BZMPOP blocks
    assert await eventually(blocked_clients(r), 1, timeout=5) == 1
    await r.zadd("q", {"m": 7})
    assert await task == [b"q", [[b"m", 7.0]]]
    assert await r.bzmpop(0.05, 1, ["q"], min=True) is None


async def test_sort_ro(r, rp):
    await r.rpush("l", 3, 1, 2)
    await r.mset({"w_1": 30, "w_2": 10, "w_3": 20})
    assert await same(r, rp, "sort_ro", "l") == [b"1", b"2", b"3"]
    assert await same(r, rp, "sort_ro", "l", desc=True, start=0, num=2) == [b"3", b"2"]
    assert await same(r, rp, "sort_ro", "l", by="w_*", get=["#", "w_*"]) == \
        [b"2", b"10", b"3", b"20", b"1", b"30"]
    await r.rpush("s", "b", "a")
    assert await same(r, rp, "sort_ro", "s", alpha=True) == [b"a", b"b"]


@pytest.mark.parametrize("call", [
    lambda r: r.zmpop(1, ["a"]),
    lambda r: r.zmpop(1, ["a"], min=True, max=True),
    lambda r: r.zmpop(2, ["a"], min=True),
    lambda r: r.bzmpop(1, 1, ["a"]),
    lambda r: r.zintercard(3, ["a", "b"]),
    lambda r: r.sort_ro("l", start=1),
])
async def test_refused_before_sending(r, call):
    with pytest.raises(DataError):
        await call(r)
