"""Redis 8 commands and options no server here runs (Redis 8.4+, or options 8.2.3 lacks):
fastredis puts the same bytes on the wire as redis-py 8.2 for the same call. No server."""

from __future__ import annotations

import pytest
from _redis8 import same_wire
from redis.commands.vectorset.commands import QuantizationOptions as RedisPyQuant

from fastredis import DataError


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


@pytest.mark.filterwarnings("ignore:Call to 'set' method with experimental usage")
async def test_set_conditions_at_the_wire():
    for kw in [{"ifeq": "old"}, {"ifne": b"old"}, {"ifdeq": "a1b2"}, {"ifdne": "a1b2"},
               {"ifeq": "", "get": True, "ex": 10}, {"ifne": "x", "px": 5, "get": True},
               {"ifdeq": "ff", "keepttl": True}, {"nx": True, "get": True, "exat": 2_000_000_000},
               {"xx": True, "pxat": 2_000_000_000_000}]:
        await same_wire(lambda c, kw=kw: c.set("k", "v", **kw))


def test_set_conditions_are_exclusive():
    import fastredis

    client = fastredis.Redis()
    for kw in [{"ifeq": "a", "ifne": "b"}, {"nx": True, "ifeq": "a"}, {"xx": True, "ifdne": "f"},
               {"ifdeq": "a", "ifdne": "b"}]:
        with pytest.raises(DataError, match="mutually exclusive"):
            client.set("k", "v", **kw)


async def test_stream_options_at_the_wire():
    await same_wire(lambda c: c.xadd("s", {"f": "v"}, idmpauto="producer-1"))
    await same_wire(lambda c: c.xadd("s", {"f": "v"}, idmp=("producer-1", b"msg-7"),
                                     ref_policy="ACKED", nomkstream=True, maxlen=10,
                                     approximate=False, limit=None))
    await same_wire(lambda c: c.xadd("s", {"f": "v"}, ref_policy="DELREF", minid="5-0", limit=100))
    await same_wire(lambda c: c.xtrim("s", maxlen=5, ref_policy="KEEPREF", limit=10))
    await same_wire(lambda c: c.xtrim("s", minid="1-0", approximate=False, ref_policy="ACKED"))
    await same_wire(lambda c: c.xread({"s": "0", "t": "$"}, count=2, block=100, max_count=5,
                                      max_size=4096))
    await same_wire(lambda c: c.xread({"s": "0"}, max_size=1))
    await same_wire(lambda c: c.xreadgroup("g", "c", {"s": ">"}, count=3, block=10, noack=True,
                                           claim_min_idle_time=5000, max_count=3, max_size=99))
    await same_wire(lambda c: c.xreadgroup("g", "c", {"s": ">"}, claim_min_idle_time=0))
    await same_wire(lambda c: c.xdelex("s", "1-0", "2-0", ref_policy="ACKED"))
    await same_wire(lambda c: c.xackdel("s", "g", "1-0"))
    for op in ("DIFF", "DIFF1", "ANDOR", "ONE"):
        await same_wire(lambda c, op=op: c.bitop(op, "dest", "a", "b", "c"))


def test_stream_options_checked_before_sending():
    import fastredis

    client = fastredis.Redis()
    bad = [
        lambda: client.xadd("s", {"f": 1}, idmpauto="p", idmp=("p", b"i")),
        lambda: client.xadd("s", {"f": 1}, id="1-0", idmpauto="p"),
        lambda: client.xadd("s", {"f": 1}, idmp=("p",)),  # type: ignore[arg-type]
        lambda: client.xadd("s", {"f": 1}, ref_policy="NOPE"),  # type: ignore[arg-type]
        lambda: client.xtrim("s", maxlen=1, ref_policy="keepref"),  # type: ignore[arg-type]
        lambda: client.xread({"s": 0}, count=5, max_count=4),
        lambda: client.xread({"s": 0}, max_count=0),
        lambda: client.xread({"s": 0}, max_size=0),
        lambda: client.xreadgroup("g", "c", {"s": ">"}, claim_min_idle_time=-1),
        lambda: client.xdelex("s"),
        lambda: client.xackdel("s", "g", "1-0", ref_policy="x"),  # type: ignore[arg-type]
    ]
    for call in bad:
        with pytest.raises(DataError):
            call()


async def test_claimed_entries_parse_as_redis_py():
    """XREADGROUP ... CLAIM (Redis 8.4) entries carry the idle time and delivery count after
    the fields; recorded RESP2 and RESP3 replies parse as redis-py parses them."""
    from redis._parsers.helpers import parse_xread, parse_xread_resp3_to_resp2_legacy

    import fastredis

    resp2 = [[b"s", [[b"1-0", [b"f", b"v"], 5012, 2], [b"2-0", [b"g", b"w"], 0, 0]]]]
    resp3 = {b"s": [[b"1-0", [b"f", b"v"], 5012, 2]]}
    async with fastredis.Redis() as client:
        pipe = client.pipeline(transaction=False)
        pipe.xreadgroup("g", "c", {"s": ">"}, claim_min_idle_time=1000)
        pipe.xreadgroup("g", "c", {"s": ">"})
        claimed, plain = (callback for _args, callback in pipe._meta)
    assert claimed(resp2) == parse_xread(resp2, claim_min_idle_time=1000)
    assert claimed(resp3) == parse_xread_resp3_to_resp2_legacy(resp3, claim_min_idle_time=1000)
    assert claimed(None) == parse_xread(None, claim_min_idle_time=1000) == []
    two_fields = [[b"s", [[b"1-0", [b"f", b"v"]]]]]
    assert plain(two_fields) == parse_xread(two_fields)
