"""A pipeline (single-server and cluster) packs a plain ``SET name value`` by hand (one
bytes format, cheaper than the general packer): the bytes on the wire must be the general
packer's, byte for byte, for every name and value, and every other case must take the
general path with its rules."""

from __future__ import annotations

import hiredis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastredis
from fastredis import DataError
from fastredis._pack import pack, pack_set
from fastredis.cluster import RedisCluster

_plain = st.one_of(st.text(max_size=40), st.binary(max_size=40))
_any = st.one_of(_plain, st.integers(), st.floats(allow_nan=False, allow_infinity=False))


def test_pipeline_set_takes_exactly_the_commands_set_arguments():
    # Pipeline.set is its own method (the plain SET packed inline): a parameter added to
    # the command's set must not be forgotten there
    import inspect

    from fastredis.commands import CoreCommands
    from fastredis.pipeline import Pipeline

    ours = inspect.signature(Pipeline.set).parameters
    theirs = inspect.signature(CoreCommands.set).parameters
    assert list(ours.values()) == list(theirs.values())


@pytest.mark.parametrize("kwargs", [{"ex": 5}, {"px": 5000}, {"nx": True}, {"xx": True}, {"keepttl": True},
                                    {"get": True}, {"exat": 2_000_000_000}, {"pxat": 2_000_000_000_000},
                                    {"ifeq": "a"}, {"ifne": b"b"}, {"ifdeq": "ab12"}, {"ifdne": "cd34"}])
def test_pipeline_set_with_an_option_packs_as_the_client_would(kwargs):
    pipe = fastredis.Redis().pipeline(transaction=False)
    pipe.set("k", "v", **kwargs)
    client = fastredis.Redis()
    sent = []
    client._execute = lambda args, cb=None: sent.append(args)  # type: ignore[method-assign]
    client.set("k", "v", **kwargs)
    assert pipe._meta[0][0] == sent[0] != ("SET", "k", "v")
    assert pipe._packed == [pack(sent[0])]


def _queued(name, value, **kwargs) -> bytes:
    pipe = fastredis.Redis(**kwargs).pipeline(transaction=False)
    pipe.set(name, value)
    assert pipe._meta == [(("SET", name, value), pipe._meta[0][1])]
    return pipe._packed[-1]


@settings(max_examples=300, deadline=None)
@given(_plain, _any)
def test_set_is_packed_as_the_general_packer_does(name, value):
    assert _queued(name, value) == pack(("SET", name, value)) == hiredis.pack_command(("SET", name, value))


@settings(max_examples=300, deadline=None)
@given(_any, _any)
def test_pack_set_is_the_general_packer_or_declines(name, value):
    data = pack_set(name, value)
    plain = isinstance(name, (str, bytes)) and isinstance(value, (str, bytes))
    assert (data is not None) == plain
    if plain:
        assert data == pack(("SET", name, value))


@settings(max_examples=100, deadline=None)
@given(_plain, _plain)
def test_another_encoding_takes_the_general_path(name, value):
    assert _queued(name, value, encoding="latin-1", encoding_errors="replace") == pack(
        ("SET", name, value), "latin-1", "replace")


def test_a_lone_surrogate_keeps_the_general_rules():
    def error_of(fn):
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 (the type is what is compared)
            return type(exc)
        return None

    pipe = fastredis.Redis().pipeline(transaction=False)
    general = error_of(lambda: pipe._execute(("SET", "k", "\ud800")))
    assert general is not None
    assert error_of(lambda: pipe.set("k", "\ud800")) is general
    assert error_of(lambda: pipe.set("\udfff", b"v")) is general
    assert len(pipe) == 0  # nothing queued by a refused command


def test_a_bad_value_is_a_data_error_before_anything_is_queued():
    pipe = fastredis.Redis().pipeline(transaction=False)
    with pytest.raises(DataError):
        pipe.set("k", object())  # type: ignore[arg-type]
    assert len(pipe) == 0


async def test_hand_packed_sets_round_trip(r):
    values = {"p:str": "héllo", "p:bin": b"\x00\xff\r\n", "p:empty": b"", b"p:\xffkey": "x" * 1000,
              "p:int": 7, "p:float": 1.5}
    pipe = r.pipeline(transaction=False)
    for k, v in values.items():
        pipe.set(k, v)
    assert await pipe.execute() == [True] * len(values)
    got = await r.mget(list(values))
    assert got == [v if isinstance(v, bytes) else str(v).encode() for v in values.values()]


async def test_set_between_watch_and_multi_runs_at_once(r):
    async with r.pipeline() as pipe:
        await pipe.watch("p:w")
        assert await pipe.set("p:other", b"now") is True  # immediate, not queued
        assert await r.get("p:other") == b"now"
        pipe.multi()
        pipe.set("p:w", b"later")
        assert await pipe.execute() == [True]
    assert await r.get("p:w") == b"later"


async def test_cluster_pipeline_hand_packed_sets(redis_cluster):
    values = {"cp:str": "héllo", "cp:bin": b"\x00\xff\r\n", b"cp:\xffkey": "x" * 1000, "cp:int": 7}
    async with RedisCluster(**redis_cluster.client_kwargs()) as rc:
        pipe = rc.pipeline()
        for k, v in values.items():
            pipe.set(k, v)
        assert pipe._data == [pack(("SET", k, v)) for k, v in values.items()]
        assert await pipe.execute() == [True] * len(values)
        assert await rc.mget(list(values)) == [v if isinstance(v, bytes) else str(v).encode()
                                               for v in values.values()]
        with pytest.raises(DataError):
            rc.pipeline().set("cp:k", object())  # type: ignore[arg-type]
        async with rc.pipeline(transaction=True) as tx:
            await tx.watch("{cp}a")
            assert await tx.set("{cp}b", b"now") is True  # between WATCH and MULTI: at once
            tx.multi()
            tx.set("{cp}a", b"later")
            assert await tx.execute() == [True]
        assert await rc.mget(["{cp}a", "{cp}b"]) == [b"later", b"now"]
