"""Issue 5, cases 7-9: malformed bytes, random splits and mutations, huge values.

A stream that can no longer be parsed is never trusted again: every waiter on it fails
and the connection is closed (DESIGN.md, "The data path")."""

from __future__ import annotations

import asyncio
import random

import hiredis
import pytest
from faults import FakeServer, Reply
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastredis
from fastredis._protocol import BufferedConnection, Connection

DEADLINE = 10

# ---------------------------------------------------------------------------- case 7
MALFORMED = {
    "type-byte": (b"x\r\n", "got \"x\" as reply type byte"),
    "negative-bulk": (b"$-5\r\n", "Bulk string length out of range"),
    "huge-array": (b"*4294967296\r\n", "Multi-bulk length out of range"),
    "too-deep": (b"*1\r\n" * 1100 + b":1\r\n", "nesting depth"),
    # legal RESP3 syntax, but no Python dict can have a list as a key
    "map-keyed-by-array": (b"%1\r\n*0\r\n:1\r\n", "unhashable"),
}


def _script(bad: bytes | Reply):
    def script(cmd: list) -> bytes | Reply | None:
        name = cmd[0].upper()
        if name == b"PING":
            return b"+PONG\r\n"
        if name == b"GET" and cmd[1] == b"bad":
            return bad
        if name == b"GET":
            return b"$2\r\nok\r\n"
        return b"-ERR unknown command\r\n"

    return script


async def _fail_all_waiters(bad: bytes | Reply, exc_type: type, text: str) -> None:
    async with FakeServer(_script(bad)) as fake:
        client = fastredis.Redis(**fake.client_kwargs())
        try:
            assert await client.ping() is True
            conn = client.connection_pool.current
            # three commands in flight on one connection; the first reply is broken
            results = await asyncio.wait_for(
                asyncio.gather(client.get("bad"), client.get("a"), client.get("b"),
                               return_exceptions=True),
                DEADLINE,
            )
            for res in results:
                assert isinstance(res, exc_type), results
                assert text.lower() in str(res).lower(), (text, str(res))
            assert conn.closed and conn.pending == 0
            # never reused: the next command opens a new connection to the server
            assert await client.get("a") == b"ok"
            assert client.connection_pool.current is not conn
            assert fake.connections == 2
        finally:
            await client.aclose()


@pytest.mark.parametrize("name", sorted(MALFORMED))
async def test_malformed_reply_fails_every_waiter(name):
    data, text = MALFORMED[name]
    await _fail_all_waiters(data, fastredis.ProtocolError, text)


async def test_truncated_bulk_then_eof():
    await _fail_all_waiters(
        Reply(b"$10\r\nabc", close=True), fastredis.ConnectionError, "closed by the server, in the middle of a reply"
    )


async def test_invalid_utf8_fails_only_its_command():
    def script(cmd: list) -> bytes:
        if cmd[0].upper() == b"GET" and cmd[1] == b"bad":
            return b"$2\r\n\xff\xfe\r\n"
        if cmd[0].upper() == b"GET" and cmd[1] == b"badlist":
            return b"*2\r\n$1\r\na\r\n$1\r\n\xff\r\n"
        return b"$2\r\nok\r\n"

    async with FakeServer(script) as fake:
        client = fastredis.Redis(**fake.client_kwargs(decode_responses=True))
        try:
            assert await client.get("a") == "ok"
            conn = client.connection_pool.current
            results = await asyncio.wait_for(
                asyncio.gather(client.get("bad"), client.get("a"), client.get("badlist"),
                               client.get("b"), return_exceptions=True),
                DEADLINE,
            )
            assert isinstance(results[0], fastredis.DataError), results
            assert "decode" in str(results[0])
            assert isinstance(results[0].__cause__, UnicodeDecodeError)
            assert results[1] == "ok"
            assert isinstance(results[2], fastredis.DataError), results
            assert results[3] == "ok"
            assert await client.get("c") == "ok"
            assert client.connection_pool.current is conn and not conn.closed
            assert fake.connections == 1
        finally:
            await client.aclose()


async def test_invalid_utf8_in_a_pipeline_keeps_the_stream_aligned():
    def script(cmd: list) -> bytes:
        if cmd[0].upper() == b"GET" and cmd[1] == b"bad":
            return b"$2\r\n\xff\xfe\r\n"
        return b"$2\r\nok\r\n"

    async with FakeServer(script) as fake:
        client = fastredis.Redis(**fake.client_kwargs(decode_responses=True))
        try:
            assert await client.get("a") == "ok"
            conn = client.connection_pool.current
            pipe = client.pipeline(transaction=False)
            pipe.get("a").get("bad").get("b")
            after = asyncio.ensure_future(client.get("c"))  # queued behind the pipeline
            with pytest.raises(fastredis.DataError):
                await asyncio.wait_for(pipe.execute(), DEADLINE)
            assert await asyncio.wait_for(after, DEADLINE) == "ok"
            assert await client.get("d") == "ok"
            assert client.connection_pool.current is conn and not conn.closed
            assert conn.pending == 0 and fake.connections == 1
        finally:
            await client.aclose()


# ---------------------------------------------------------------------------- case 8
class FakeTransport:
    """Enough of a transport for Connection: records writes, remembers an abort."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.aborted = False
        self.paused = False

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.aborted

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False


_text = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
    max_size=12,
)


def _simple(v: str) -> bytes:
    return v.encode()


_leaf = st.one_of(
    _text.map(lambda s: (b"+" + _simple(s) + b"\r\n", ("value", s.encode()))),
    _text.map(lambda s: (b"-ERR " + _simple(s) + b"\r\n", ("error", "ERR " + s))),
    st.integers(-(2**63), 2**63 - 1).map(lambda i: (b":%d\r\n" % i, ("value", i))),
    st.binary(max_size=40).map(lambda b: (b"$%d\r\n" % len(b) + b + b"\r\n", ("value", b))),
    st.just((b"$-1\r\n", ("value", None))),
    st.just((b"*-1\r\n", ("value", None))),
)


def _array(children: list) -> tuple:
    data = b"*%d\r\n" % len(children) + b"".join(c[0] for c in children)
    return data, ("array", [c[1] for c in children])


_reply = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=4).map(_array), max_leaves=12)


def _decoded(expected: tuple, decode: bool):
    """The value hiredis gives for an expected tree; raises UnicodeDecodeError like it."""
    kind, v = expected
    if kind == "array":
        return [_decoded(c, decode) for c in v]
    if kind == "error":
        return ("error", v)
    if decode and isinstance(v, bytes):
        return v.decode("utf-8")
    return v


def _plain(value):
    """hiredis value -> comparable tree (ReplyError inside arrays -> ("error", text))."""
    if isinstance(value, hiredis.ReplyError):
        return ("error", value.args[0])
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _feed(conn: Connection, data: bytes, cuts: list[int], between) -> None:
    bounds = [0, *sorted(set(c for c in cuts if 0 < c < len(data))), len(data)]
    for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
        chunk = data[a:b]
        if isinstance(conn, BufferedConnection):
            while chunk:
                buf = conn.get_buffer(-1)
                n = min(len(buf), len(chunk))
                buf[:n] = chunk[:n]
                conn.buffer_updated(n)
                chunk = chunk[n:]
        else:
            conn.data_received(chunk)
        between(i)


_DECODE_ERROR = object()


def _reference(data: bytes, decode: bool) -> tuple[list, str]:
    """Parse the whole stream at once with a fresh reader; return (the outcomes routed
    to callers, in order; ending), ending being "complete", "partial" or "error"."""
    sentinel = object()
    # the kind of each frame comes from a reader that does not decode: a push that cannot
    # be decoded is still a push, and never reaches a caller (reliability.md section 1)
    kinds = hiredis.Reader(notEnoughData=sentinel)
    reader = (hiredis.Reader(notEnoughData=sentinel, encoding="utf-8") if decode
              else hiredis.Reader(notEnoughData=sentinel))
    kinds.feed(data)
    reader.feed(data)
    out: list = []
    while True:
        try:
            kind = kinds.gets()
        except (hiredis.ProtocolError, TypeError, ValueError, OverflowError):
            # unparseable, or a reply Python cannot build (a RESP3 map keyed by an array)
            return out, "error"
        if kind is sentinel:
            return out, ("partial" if kinds.has_data() else "complete")
        try:
            reply = reader.gets()
        except UnicodeDecodeError:
            reply = _DECODE_ERROR
        if isinstance(kind, hiredis.PushNotification):
            continue  # routed to the message queue, never to a caller
        out.append(("decode-error",) if reply is _DECODE_ERROR else ("value", _plain(reply)))


def _expected(entry_sizes: list[int], ref: list) -> list:
    """Group the reference outcomes by FIFO entry (a command, or a pipeline of n);
    None: the entry's replies have not all arrived."""
    out = []
    pos = 0
    for size in entry_sizes:
        got = ref[pos:pos + size]
        pos += size
        if ("decode-error",) in got:
            out.append(("decode-error",))  # fails as soon as that reply arrives
        elif len(got) < size:
            out.append(None)
        elif size == 1:
            out.append(got[0])
        else:
            out.append(("value", [g[1] for g in got]))
    return out


def _outcome(fut: asyncio.Future):
    exc = fut.exception()
    if exc is None:
        return ("value", _plain(fut.result()))
    if isinstance(exc, fastredis.DataError):
        return ("decode-error",)
    # a server error reply: the reference keeps it as a value, ("error", text)
    return ("value", ("error", str(exc)))


def _run(cls, decode: bool, stream: bytes, sizes: list[int], cuts: list[int],
         cancel_at: list) -> tuple:
    """Queue one FIFO entry per size (1: a command, n > 1: a pipeline of n), feed the
    stream split at ``cuts``, cancelling entry i's future after chunk cancel_at[i]."""
    loop = asyncio.new_event_loop()
    try:
        conn = cls(loop, decode=decode)
        transport = FakeTransport()
        conn.connection_made(transport)
        futs = [conn.execute(("GET", f"k{i}")) if n == 1 else conn.send_batch(b"", n)
                for i, n in enumerate(sizes)]

        def between(i: int) -> None:
            for f, when in zip(futs, cancel_at):
                if when == i:
                    f.cancel()

        between(-1)
        _feed(conn, stream, cuts, between)  # must never raise
        return conn, transport, futs
    finally:
        loop.close()


def _check_against_reference(conn, transport, futs, sizes, stream: bytes, decode: bool) -> None:
    ref, ending = _reference(stream, decode)
    expected = _expected(sizes, ref)
    broken = ending == "error" or len(ref) > sum(sizes)  # unparseable, or a reply too many
    for i, (fut, exp) in enumerate(zip(futs, expected)):
        if fut.cancelled():
            continue
        if exp is not None:
            assert fut.done(), i
            assert _outcome(fut) == exp, (i, _outcome(fut), exp)
        elif broken:
            assert fut.done() and isinstance(fut.exception(), fastredis.ProtocolError)
        else:
            assert not fut.done()  # its reply has not arrived yet
    if broken:
        assert conn.closed and transport.aborted and conn.pending == 0
    else:
        assert not conn.closed
        assert conn.pending == sum(e is None for e in expected) + _owed(sizes, ref)


def _owed(sizes: list[int], ref: list) -> int:
    """FIFO entries still owed a reply although already failed (a pipeline that failed
    on a decode error keeps its place until all its replies are in)."""
    owed = 0
    pos = 0
    for n in sizes:
        got = ref[pos:pos + n]
        pos += n
        if len(got) < n and any(g == ("decode-error",) for g in got):
            owed += 1
    return owed


_settings = settings(max_examples=200, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _group(data, count: int) -> list[int]:
    """Random FIFO entries covering ``count`` replies: commands and pipelines."""
    sizes = []
    left = count
    while left:
        n = data.draw(st.integers(1, min(left, 5)), label="entry")
        sizes.append(n)
        left -= n
    return sizes


def _draw_plan(data, stream: bytes, entries: int) -> tuple[list, list]:
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=30), label="cuts")
    cancel_at = data.draw(
        st.lists(st.one_of(st.none(), st.integers(-1, len(cuts))),
                 min_size=entries, max_size=entries),
        label="cancel_at",
    )
    return cuts, cancel_at


@pytest.mark.parametrize("decode", [False, True], ids=["bytes", "decoded"])
@pytest.mark.parametrize("cls", [Connection, BufferedConnection])
@_settings
@given(replies=st.lists(_reply, min_size=1, max_size=25), data=st.data())
def test_random_replies_split_anywhere_reach_their_futures(cls, decode, replies, data):
    stream = b"".join(r[0] for r in replies)
    # the reference parser agrees with the generator
    ref, ending = _reference(stream, decode)
    assert ending == "complete" and len(ref) == len(replies)
    for (_, expected), got in zip(replies, ref):
        try:
            assert got == ("value", _decoded(expected, decode))
        except UnicodeDecodeError:
            assert got == ("decode-error",)
    sizes = _group(data, len(replies))
    cuts, cancel_at = _draw_plan(data, stream, len(sizes))
    conn, transport, futs = _run(cls, decode, stream, sizes, cuts, cancel_at)
    for fut, when in zip(futs, cancel_at):
        assert fut.done()
        if fut.cancelled():
            assert when is not None
    assert not conn.closed and not transport.aborted and conn.pending == 0
    # every future got its own reply(ies), however the bytes were split
    _check_against_reference(conn, transport, futs, sizes, stream, decode)


_mutation = st.tuples(st.sampled_from(["flip", "delete", "insert"]), st.integers(0, 10**6),
                      st.integers(0, 255))


def _mutate(stream: bytes, mutations: list) -> bytes:
    b = bytearray(stream)
    for kind, pos, value in mutations:
        if not b:
            break
        i = pos % len(b)
        if kind == "flip":
            b[i] = value if b[i] != value else (value + 1) % 256
        elif kind == "delete":
            del b[i]
        else:
            b.insert(i, value)
    return bytes(b)


@pytest.mark.parametrize("decode", [False, True], ids=["bytes", "decoded"])
@pytest.mark.parametrize("cls", [Connection, BufferedConnection])
@_settings
@given(replies=st.lists(_reply, min_size=1, max_size=15),
       mutations=st.lists(_mutation, min_size=1, max_size=3), data=st.data())
def test_mutated_stream_never_misroutes_or_raises(cls, decode, replies, mutations, data):
    """A corrupted stream that still parses cannot be told apart by any client; what
    must hold is that routing does not depend on how the bytes were split, that a parse
    error fails every waiter and closes the connection, and nothing escapes
    data_received. Entries wholly before the first changed byte get their own replies."""
    original = b"".join(r[0] for r in replies)
    stream = _mutate(original, mutations)
    sizes = _group(data, len(replies))
    cuts, cancel_at = _draw_plan(data, stream, len(sizes))
    conn, transport, futs = _run(cls, decode, stream, sizes, cuts, cancel_at)
    _check_against_reference(conn, transport, futs, sizes, stream, decode)
    # the intact prefix is delivered as sent
    first_change = next((i for i, (x, y) in enumerate(zip(original, stream)) if x != y),
                        min(len(original), len(stream)))
    orig_ref, _ = _reference(original, decode)
    offset = pos = 0
    for fut, n in zip(futs, sizes):
        offset += sum(len(r[0]) for r in replies[pos:pos + n])
        own = orig_ref[pos:pos + n]
        pos += n
        if offset > first_change:
            break
        if fut.cancelled():
            continue
        assert fut.done()
        if ("decode-error",) in own:
            assert isinstance(fut.exception(), fastredis.DataError)
        elif n == 1:
            assert _outcome(fut) == own[0]
        else:
            assert _outcome(fut) == ("value", [g[1] for g in own])


@pytest.mark.parametrize("cls", [Connection, BufferedConnection])
def test_reply_python_cannot_build_is_a_protocol_error(cls):
    loop = asyncio.new_event_loop()
    try:
        conn = cls(loop)
        transport = FakeTransport()
        conn.connection_made(transport)
        futs = [conn.execute(("GET", "a")), conn.execute(("GET", "b"))]
        _feed(conn, b"$1\r\na\r\n%1\r\n*0\r\n:1\r\n$1\r\nb\r\n", [], lambda i: None)
        assert futs[0].result() == b"a"
        assert isinstance(futs[1].exception(), fastredis.ProtocolError)
        assert conn.closed and transport.aborted
    finally:
        loop.close()


def test_unexpected_reply_closes_the_connection():
    loop = asyncio.new_event_loop()
    try:
        conn = Connection(loop)
        transport = FakeTransport()
        conn.connection_made(transport)
        fut = conn.execute(("GET", "a"))
        conn.data_received(b"$1\r\na\r\n:1\r\n")  # one reply too many
        assert fut.result() == b"a"
        assert conn.closed and transport.aborted
        with pytest.raises(fastredis.ConnectionError):
            conn.execute(("GET", "b"))
    finally:
        loop.close()


# ---------------------------------------------------------------------------- case 9
async def test_hundred_megabyte_value_round_trips(redis):
    value = random.Random(9).randbytes(100 * 1024 * 1024)
    assert await asyncio.wait_for(redis.set("big", value), 60) is True
    got = await asyncio.wait_for(redis.get("big"), 60)
    assert len(got) == len(value) and got == value
    await redis.execute_command("DEL", "big")


@pytest.mark.parametrize("size", [10_000, 5_000_000])
async def test_max_reply_size(redis, redis_server, size):
    await redis.set("small", b"s" * 100)
    await redis.set("large", b"L" * size)
    limit = size // 2
    client = fastredis.Redis(**redis_server.client_kwargs(max_reply_size=limit))
    try:
        assert await client.get("small") == b"s" * 100
        with pytest.raises(fastredis.MaxReplySizeError) as info:
            await asyncio.wait_for(client.get("large"), DEADLINE)
        assert str(limit) in str(info.value) and "max_reply_size" in str(info.value)
        assert isinstance(info.value, fastredis.ProtocolError)
        # the client stays usable
        assert await client.get("small") == b"s" * 100
        pipe = client.pipeline(transaction=False)
        pipe.get("small").get("large")
        with pytest.raises(fastredis.MaxReplySizeError):
            await asyncio.wait_for(pipe.execute(), DEADLINE)
        assert await client.get("small") == b"s" * 100
    finally:
        await client.aclose()
    await redis.execute_command("DEL", "small", "large")
