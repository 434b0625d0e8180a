"""Redis 8 commands and options no server here runs (Redis 8.4+, or options 8.2.3 lacks):
fastredis puts the same bytes on the wire as redis-py 8.2 for the same call. No server."""

from __future__ import annotations

from _redis8 import same_wire
from redis.commands.vectorset.commands import QuantizationOptions as RedisPyQuant


async def test_vrange_at_the_wire():
    await same_wire(lambda c: c.vset().vrange("k", "-", "+"))
    await same_wire(lambda c: c.vset().vrange("k", "[a", "(z", count=10))
    await same_wire(lambda c: c.vset().vrange("k", "-", "+", count=-1))
    await same_wire(lambda c: c.vset().vadd("k", [0.1, 1e-20, 3], "e", reduce_dim=2, cas=True,
                                            quantization=RedisPyQuant.Q8, ef=200,
                                            attributes={"a": [1]}, numlinks=16))
    await same_wire(lambda c: c.vset().vsim("k", b"\x00" * 8, with_scores=True,
                                            with_attribs=True, count=3, ef=10, filter=".a > 1",
                                            filter_ef="50", truth=True, no_thread=True,
                                            epsilon=0.2))
