import asyncio


async def test_get_set(r):
    assert await r.set("a", "1") is True
    assert await r.get("a") == b"1"
    assert await r.ping() is True


async def test_concurrent_one_connection(r, redis_server):
    await asyncio.gather(*(r.set(f"k{i}", i) for i in range(200)))
    vals = await asyncio.gather(*(r.get(f"k{i}") for i in range(200)))
    assert vals == [str(i).encode() for i in range(200)]
    info = await r.info("clients")
    assert info["connected_clients"] <= 3
