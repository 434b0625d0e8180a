"""Shared by tests/test_redis8_*.py: the bytes a call puts on the wire, by fastredis and by
redis-py, for commands no server here runs (Redis 8.4+) or options 8.2.3 lacks.

fastredis's bytes are those its pipeline queues (packed at the call, as on a client);
redis-py's are its own Connection.pack_command of the arguments its method passed to
execute_command. Neither needs a server."""

from __future__ import annotations

from typing import Any, Callable

import redis.asyncio
from redis.connection import Connection

import fastredis


async def redis_py_packed(call: Callable[[Any], Any]) -> bytes:
    """What redis-py writes for ``call(client)`` (e.g. ``lambda c: c.set("k", 1, ifeq="v")``)."""
    client = redis.asyncio.Redis(protocol=2)
    sent: list[tuple[Any, ...]] = []

    async def capture(*args: Any, **options: Any) -> None:
        sent.append(args)

    client.execute_command = capture  # type: ignore[method-assign]
    try:
        await call(client)
    finally:
        await client.aclose()
    assert len(sent) == 1, sent
    return b"".join(Connection().pack_command(*sent[0]))


async def fastredis_packed(call: Callable[[Any], Any]) -> bytes:
    """What fastredis writes for ``call(client)``: the call made on a pipeline, which packs
    each command when it is queued, with the client's own packer."""
    async with fastredis.Redis() as client:
        pipe = client.pipeline(transaction=False)
        call(pipe)
        assert len(pipe._packed) == 1, pipe._packed
        return pipe._packed[0]


async def same_wire(call: Callable[[Any], Any]) -> bytes:
    """Assert fastredis and redis-py put the same bytes on the wire for ``call``."""
    ours, theirs = await fastredis_packed(call), await redis_py_packed(call)
    assert ours == theirs, (ours, theirs)
    return ours


def _handshake_reply(cmd: list[bytes], protocol: int) -> bytes | None:
    """What the scripted server answers to a client's connection handshake (HELLO, CLIENT
    SETINFO / SETNAME / ID, SELECT, PING), or None for any other command."""
    name = cmd[0].upper()
    if name == b"HELLO":
        if protocol == 3:
            return b"%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n"
        return b"*4\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:2\r\n"
    if name == b"CLIENT":
        return b":7\r\n" if cmd[1].upper() == b"ID" else b"+OK\r\n"
    if name in (b"SELECT", b"AUTH"):
        return b"+OK\r\n"
    if name == b"PING":
        return b"+PONG\r\n"
    return None


async def replayed(call: Callable[[Any], Any], recorded: bytes, protocol: int | None,
                   decode_responses: bool = False) -> tuple[Any, Any]:
    """``call`` made by fastredis and by redis-py against a scripted loopback server that
    answers the command with the ``recorded`` reply bytes (as a server speaking
    ``protocol`` would send them; None: both clients left to their default, RESP3 on the
    wire): the two parsed results, (fastredis's, redis-py's)."""
    from faults import FakeServer

    def script(cmd: list[bytes]) -> bytes:
        return _handshake_reply(cmd, protocol or 3) or recorded

    async with FakeServer(script) as server:
        kw: dict[str, Any] = {"host": server.host, "port": server.port,
                              "decode_responses": decode_responses}
        if protocol is not None:
            kw["protocol"] = protocol
        async with fastredis.Redis(**kw) as ours_client:
            ours = await call(ours_client)
        theirs_client = redis.asyncio.Redis(**kw)
        try:
            theirs = await call(theirs_client)
        finally:
            await theirs_client.aclose()
    return ours, theirs


async def same_reply(call: Callable[[Any], Any], resp2: bytes, resp3: bytes | None = None,
                     decode_responses: bool = False) -> Any:
    """Assert fastredis parses the recorded RESP2 (and RESP3, when given) reply into what
    redis-py makes of the same bytes, value and type; returns fastredis's RESP2 result."""
    ours, theirs = await replayed(call, resp2, 2, decode_responses)
    assert ours == theirs and type(ours) is type(theirs), ("RESP2", ours, theirs)
    if resp3 is not None:
        ours3, theirs3 = await replayed(call, resp3, 3, decode_responses)
        assert ours3 == theirs3 and type(ours3) is type(theirs3), ("RESP3", ours3, theirs3)
        # neither client told a protocol: RESP3 on the wire, redis-py's default shapes
        ours0, theirs0 = await replayed(call, resp3, None, decode_responses)
        assert ours0 == theirs0 and type(ours0) is type(theirs0), ("default", ours0, theirs0)
    return ours
