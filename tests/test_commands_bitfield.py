"""BITFIELD (the BitFieldOperation builder) and BITFIELD_RO, compared with redis-py."""

from __future__ import annotations

import pytest
import redis.asyncio

from fastredis import DataError
from fastredis.commands import BitFieldOperation


@pytest.fixture
async def rp(redis_server):
    client = redis.asyncio.Redis(**redis_server.client_kwargs(), protocol=2)
    yield client
    await client.aclose()


def build(client, key):
    return (client.bitfield(key, default_overflow="SAT")
            .set("u8", 0, 250).incrby("u8", 0, 10).get("u8", 0)
            .overflow("FAIL").incrby("u8", 0, 10)
            .overflow("WRAP").incrby("i8", "#1", 200).get("i8", "#1"))


async def test_builder_matches_redis_py(r, rp):
    ours = build(r, "bf1")
    theirs = build(rp, "bf2")
    assert isinstance(ours, BitFieldOperation)
    assert [str(x) if not isinstance(x, bytes) else x.decode() for x in ours.command[2:]] == \
        [str(x) for x in theirs.command[2:]]
    res = await ours.execute()
    assert res == await theirs.execute()
    assert res == [0, 255, 255, None, -56, -56]  # SAT clamps, FAIL gives None, WRAP wraps
    assert ours.operations == [("OVERFLOW", "SAT")]  # execute() reset it
    assert await r.get("bf1") == await r.get("bf2")


async def test_bitfield_ro(r, rp):
    await r.bitfield("k").set("u8", 0, 7).set("u4", 8, 3).execute()
    assert await r.bitfield_ro("k", "u8", 0) == [7]
    ours = await r.bitfield_ro("k", "u8", 0, items=[("u4", 8), ("u4", "#3")])
    assert ours == await rp.bitfield_ro("k", "u8", 0, items=[("u4", 8), ("u4", "#3")]) == [7, 3, 0]


async def test_in_pipeline(r):
    async with r.pipeline() as pipe:
        pipe.bitfield("p").set("u8", 0, 1).get("u8", 0).execute()
        pipe.bitfield_ro("p", "u8", 0)
        assert await pipe.execute() == [[0, 1], [1]]


@pytest.mark.parametrize("call", [
    lambda r: r.bitfield("k", default_overflow="CLAMP"),
    lambda r: r.bitfield("k").overflow("CLAMP"),
    lambda r: r.bitfield("k").get(8, 0),
    lambda r: r.bitfield("k").set("u8", None, 1),
    lambda r: r.bitfield_ro("k", "u8", 1.5),
])
def test_bad_arguments_are_data_errors(r, call):
    with pytest.raises(DataError):
        call(r)
