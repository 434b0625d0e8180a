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
