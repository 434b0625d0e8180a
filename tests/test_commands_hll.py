import pytest

import fastredis
from fastredis import DataError


async def test_pfadd_pfcount_pfmerge(r):
    assert await r.pfadd("h1", "a", "b", "c") == 1
    assert await r.pfadd("h1", "a") == 0
    assert await r.pfadd("h2", "c", "d") == 1
    assert await r.pfcount("h1") == 3
    assert await r.pfcount("h1", "h2") == 4
    assert await r.pfcount("nokey") == 0
    assert await r.pfmerge("m", "h1", "h2") is True
    assert await r.pfcount("m") == 4


async def test_decode_responses(r, redis_server):
    c = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        assert await c.pfadd("h", "é") == 1
        assert await c.pfmerge("m", "h") is True
        assert await c.pfcount("m") == 1
    finally:
        await c.aclose()


@pytest.mark.parametrize("bad", [None, True, {"a": 1}, ["a", ["b"]], object()])
async def test_data_errors_keep_connection_usable(r, bad):
    with pytest.raises(DataError):
        await r.pfadd("h", "ok", bad)
    with pytest.raises(DataError):
        await r.pfcount(bad)
    with pytest.raises(DataError):
        await r.pfmerge("m", "h", bad)
    assert await r.exists("h", "m") == 0
    assert await r.ping() is True
    assert await r.pfadd("h", "x") == 1
