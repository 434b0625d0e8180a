"""GEO* commands: real server, shapes compared with redis-py's client on the same server."""

from __future__ import annotations

import pytest
import redis.asyncio
from _cmds_helpers import same

from fastredis import DataError

PLACES = (13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania")


@pytest.fixture
async def rp(redis_server):
    client = redis.asyncio.Redis(**redis_server.client_kwargs(), protocol=2)
    yield client
    await client.aclose()


async def test_geoadd_pos_dist_hash(r, rp):
    assert await r.geoadd("Sicily", PLACES) == 2
    assert await r.geoadd("Sicily", (13.36, 38.11, "Palermo"), xx=True, ch=True) == 1
    assert await r.geoadd("Sicily", (13.361389, 38.115556, "Palermo"), nx=True) == 0
    pos = await same(r, rp, "geopos", "Sicily", "Palermo", "nowhere")
    assert isinstance(pos[0], tuple) and isinstance(pos[0][0], float) and pos[1] is None
    d = await same(r, rp, "geodist", "Sicily", "Palermo", "Catania", "km")
    assert isinstance(d, float) and 160 < d < 170
    assert await same(r, rp, "geodist", "Sicily", "Palermo", "Catania") > 160000
    assert await same(r, rp, "geodist", "Sicily", "Palermo", "nowhere") is None
    hashes = await same(r, rp, "geohash", "Sicily", "Palermo", "nowhere")
    assert isinstance(hashes[0], str) and len(hashes[0]) == 11 and hashes[1] is None


async def test_geosearch_shapes_match_redis_py(r, rp):
    await r.geoadd("Sicily", PLACES)
    assert await same(r, rp, "geosearch", "Sicily", longitude=15, latitude=37, radius=200,
                      unit="km", sort="ASC") == [b"Catania", b"Palermo"]
    full = await same(r, rp, "geosearch", "Sicily", member="Palermo", radius=200, unit="km",
                      withdist=True, withcoord=True, withhash=True, sort="DESC")
    member, dist, ghash, (lon, lat) = full[0]
    assert member == b"Catania" and isinstance(dist, float) and isinstance(ghash, int)
    assert isinstance(lon, float)
    await same(r, rp, "geosearch", "Sicily", longitude=15, latitude=37, width=400, height=400,
               unit="km", count=1, any=True, withdist=True)
    assert await same(r, rp, "geosearchstore", "dst", "Sicily", longitude=15, latitude=37,
                      radius=200, unit="km", storedist=True) == 2
    assert 0 < (await r.zscore("dst", "Catania")) < 200


async def test_georadius_shapes_match_redis_py(r, rp):
    await r.geoadd("Sicily", PLACES)
    await same(r, rp, "georadius", "Sicily", 15, 37, 200, "km")
    await same(r, rp, "georadius", "Sicily", 15, 37, 200, "km", withdist=True, withcoord=True,
               count=1, sort="ASC")
    await same(r, rp, "georadiusbymember", "Sicily", "Palermo", 200, "km", withhash=True)
    assert await same(r, rp, "georadius", "Sicily", 15, 37, 200, "km", store="st") == 2
    assert await same(r, rp, "georadiusbymember", "Sicily", "Palermo", 200, "km",
                      store_dist="sd") == 2


async def test_decoded_client(redis_server):
    import fastredis

    r = fastredis.Redis(**redis_server.client_kwargs(decode_responses=True))
    try:
        await r.geoadd("g", PLACES)
        assert await r.geosearch("g", member="Palermo", radius=1, unit="km") == ["Palermo"]
        assert (await r.geohash("g", "Palermo"))[0] == "sqc8b49rny0"
    finally:
        await r.flushdb()
        await r.aclose()


@pytest.mark.parametrize("call", [
    lambda r: r.geoadd("g", (1, 2)),
    lambda r: r.geoadd("g", PLACES, nx=True, xx=True),
    lambda r: r.geodist("g", "a", "b", unit="parsec"),
    lambda r: r.georadius("g", 1, 2, 3, unit="yd"),
    lambda r: r.georadius("g", 1, 2, 3, any=True),
    lambda r: r.georadius("g", 1, 2, 3, sort="UP"),
    lambda r: r.georadius("g", 1, 2, 3, store="a", store_dist="b"),
    lambda r: r.geosearch("g", radius=1),
    lambda r: r.geosearch("g", member="a", longitude=1, latitude=2, radius=1),
    lambda r: r.geosearch("g", member="a"),
    lambda r: r.geosearch("g", member="a", radius=1, width=2, height=2),
    lambda r: r.geosearch("g", member="a", radius=1, any=True),
    lambda r: r.geosearch("g", member="a", radius=1, sort="UP"),
    lambda r: r.geosearch("g", member="a", radius=1, unit="yd"),
])
async def test_refused_before_sending_as_redis_py_does(r, rp, call):
    with pytest.raises(DataError):
        await call(r)
    with pytest.raises(redis.exceptions.DataError):
        await call(rp)
    assert await r.dbsize() == 0
