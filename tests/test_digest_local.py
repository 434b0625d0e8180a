"""digest_local: redis-py 8.2's client-side DIGEST (XXH3-64 of a value, 16 hex digits).

fastredis hashes with the ``xxhash`` package when it is installed and otherwise with its own
pure-Python XXH3-64 (fastredis._xxh3): both are checked here against the reference
implementation on every length class, and digest_local against redis-py's on the same
values. DIGEST itself is Redis 8.4+: SET IFDEQ with a local digest is checked at the wire."""

from __future__ import annotations

import random
import sys

import pytest
import redis.asyncio
import xxhash
from _redis8 import same_wire
from hypothesis import given, settings
from hypothesis import strategies as st

import fastredis
from fastredis import DataError
from fastredis._xxh3 import xxh3_64, xxh3_64_hexdigest
from fastredis.commands import strings

# redis-py 8.2 marks DIGEST-related calls experimental and warns on each one
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _check(data: bytes) -> None:
    assert xxh3_64(data) == xxhash.xxh3_64(data).intdigest(), len(data)
    assert xxh3_64_hexdigest(data) == xxhash.xxh3_64_hexdigest(data), len(data)


def test_pure_python_xxh3_every_length_up_to_2000():
    # 0, 1-3, 4-8, 9-16, 17-128, 129-240 and the long hash: its stripes, the 1024-byte
    # blocks with their scramble, and a last stripe overlapping the partial block
    rng = random.Random(20)
    for n in range(2001):
        _check(rng.randbytes(n))
    for n in (0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1024, 1025, 2048):
        _check(b"\x00" * n)
        _check(b"\xff" * n)


def test_pure_python_xxh3_large_inputs():
    rng = random.Random(2020)
    for n in [4095, 4096, 4097, 65536 + 7, 1 << 20] + [rng.randrange(2001, 300_000) for _ in range(8)]:
        _check(rng.randbytes(n))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_pure_python_xxh3_hypothesis(data: bytes) -> None:
    _check(data)


VALUES = ["", "v", "héllo wörld", "x" * 241, b"", b"\x00\xff" * 70, b"bytes" * 300]


@pytest.mark.parametrize("decode", [False, True])
async def test_digest_local_matches_redis_py(decode: bool):
    theirs_client = redis.asyncio.Redis(decode_responses=decode)
    try:
        async with fastredis.Redis(decode_responses=decode) as ours_client:
            for value in VALUES:
                ours = ours_client.digest_local(value)
                theirs = theirs_client.digest_local(value)
                assert ours == theirs and type(ours) is type(theirs), (value, ours, theirs)
                # a pipeline answers at once too (redis-py's does), nothing queued
                pipe = ours_client.pipeline()
                assert pipe.digest_local(value) == ours and not pipe._packed
    finally:
        await theirs_client.aclose()


async def test_digest_local_uses_the_clients_encoding():
    theirs_client = redis.asyncio.Redis(encoding="latin-1")
    try:
        async with fastredis.Redis(encoding="latin-1") as ours_client:
            assert ours_client.digest_local("é") == theirs_client.digest_local("é")
            assert ours_client.digest_local("é") == xxhash.xxh3_64_hexdigest(b"\xe9").encode()
    finally:
        await theirs_client.aclose()


def test_digest_local_on_a_cluster_client_without_connecting():
    rc = fastredis.RedisCluster(host="127.0.0.1", port=1, decode_responses=True)
    assert rc.digest_local("v") == xxhash.xxh3_64_hexdigest(b"v")
    assert rc.pipeline().digest_local(b"v") == xxhash.xxh3_64_hexdigest(b"v")


def test_digest_local_refuses_what_cannot_be_sent():
    client = fastredis.Redis()
    for bad in (None, True, [b"a"], {"a": 1}):
        with pytest.raises(DataError):
            client.digest_local(bad)  # type: ignore[arg-type]


def test_xxhash_when_installed_else_pure_python(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(strings, "_xxh3_hexdigest", None)
    client = fastredis.Redis()
    assert client.digest_local(b"abc") == xxhash.xxh3_64_hexdigest(b"abc").encode()
    assert strings._xxh3_hexdigest is xxhash.xxh3_64_hexdigest  # the fast path
    monkeypatch.setattr(strings, "_xxh3_hexdigest", None)
    monkeypatch.setitem(sys.modules, "xxhash", None)  # as if not installed
    assert client.digest_local(b"abc") == xxhash.xxh3_64_hexdigest(b"abc").encode()
    assert strings._xxh3_hexdigest is xxh3_64_hexdigest


async def test_set_and_delex_with_a_local_digest_at_the_wire():
    for value in ("v", b"\x00" * 300):
        await same_wire(lambda c, v=value: c.set("k", v, ifdeq=c.digest_local(v)))
        await same_wire(lambda c, v=value: c.set("k", v, ifdne=c.digest_local(v), get=True))
        await same_wire(lambda c, v=value: c.delex("k", ifdeq=c.digest_local(v)))
