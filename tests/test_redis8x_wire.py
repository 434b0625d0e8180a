"""Commands newer than Redis 8.2 (arrays, set-member expiry, ZMOVE, LMOVEM, INCREX,
BACKUP, HOTKEYS, BLESS ...): no server here runs them. For each method fastredis puts the
same bytes on the wire as redis-py 8.2 for representative calls, refuses what redis-py
refuses before sending, and parses recorded RESP2 / RESP3 replies, played back by a scripted
loopback server, into what redis-py makes of the same bytes."""

from __future__ import annotations

import datetime

import pytest
from _redis8 import same_reply, same_wire

from fastredis import DataError, Redis

INTS = b"*3\r\n:-2\r\n:0\r\n:1\r\n"
INTS3 = INTS


async def test_set_commands_at_the_wire():
    from redis.commands.core import SetDataPersistOptions

    await same_wire(lambda c: c.sdiffcard(2, ["a", "b"]))
    await same_wire(lambda c: c.sdiffcard(3, ["a", "b", "c"], limit=5))
    await same_wire(lambda c: c.sunioncard(2, ["a", "b"]))
    await same_wire(lambda c: c.sunioncard(2, ["a", "b"], limit=7, approx=True))
    await same_wire(lambda c: c.saddex("s", "m1", "m2"))
    await same_wire(lambda c: c.saddex("s", "m1", ex=10))
    await same_wire(lambda c: c.saddex("s", "m1", ex="60", data_persist_option=SetDataPersistOptions.MNX))
    await same_wire(lambda c: c.saddex("s", "m1", px=datetime.timedelta(seconds=1.5)))
    await same_wire(lambda c: c.saddex("s", "m1", "m2", exat=2_000_000_000,
                                       data_persist_option=SetDataPersistOptions.MXX))
    await same_wire(lambda c: c.saddex("s", "m", pxat=2_000_000_000_000))
    await same_wire(lambda c: c.saddex("s", "m", keepttl=True))
    for name, when in (("sexpire", 10), ("sexpire", datetime.timedelta(minutes=2)),
                       ("spexpire", 1500), ("spexpire", datetime.timedelta(seconds=1.001)),
                       ("sexpireat", 2_000_000_000),
                       ("sexpireat", datetime.datetime(2033, 5, 18, tzinfo=datetime.timezone.utc)),
                       ("spexpireat", 2_000_000_000_123),
                       ("spexpireat", datetime.datetime(2033, 5, 18, 3, 33, 20, 123456,
                                                        tzinfo=datetime.timezone.utc))):
        await same_wire(lambda c, name=name, when=when: getattr(c, name)("s", when, "a", "b"))
        for flag in ("nx", "xx", "gt", "lt"):
            await same_wire(lambda c, name=name, when=when, flag=flag:
                            getattr(c, name)("s", when, "a", **{flag: True}))
    for name in ("sexpiretime", "spexpiretime", "spersist", "sttl", "spttl"):
        await same_wire(lambda c, name=name: getattr(c, name)("s", "a"))
        await same_wire(lambda c, name=name: getattr(c, name)("s", "a", b"b", "c"))


def test_set_commands_refuse_before_sending():
    client = Redis()
    bad = [
        lambda: client.saddex("s", "m", ex=1, px=1),
        lambda: client.saddex("s", "m", ex=1, keepttl=True),
        lambda: client.saddex("s", "m", ex="1.5"),
        lambda: client.saddex("s", "m", data_persist_option="FNX"),
        lambda: client.sexpire("s", 1, "m", nx=True, xx=True),
        lambda: client.spexpireat("s", 1, "m", gt=True, lt=True),
    ]
    for call in bad:
        with pytest.raises(DataError):
            call()


async def test_set_replies_parse_as_redis_py():
    for call in (lambda c: c.sexpire("s", 5, "a", "b", "c"), lambda c: c.sttl("s", "a", "b", "c"),
                 lambda c: c.spersist("s", "a", "b", "c")):
        assert await same_reply(call, INTS, INTS3) == [-2, 0, 1]
    assert await same_reply(lambda c: c.saddex("s", "m", ex=1), b":1\r\n", b":1\r\n") == 1
    assert await same_reply(lambda c: c.sunioncard(2, ["a", "b"]), b":12\r\n", b":12\r\n") == 12
    assert await same_reply(lambda c: c.sdiffcard(2, ["a", "b"]), b":0\r\n", b":0\r\n") == 0
