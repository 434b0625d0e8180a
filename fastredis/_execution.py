"""What every client needs to run a command, below all of them.

``Redis``, ``RedisCluster``, ``Pipeline``, ``PubSub``, ``Sentinel`` and the client-side
cache all decide the same things the same way: which commands block server-side (an
exclusive connection, a deadline of their own timeout plus ``socket_timeout``), which
commands would change a shared connection's state (refused), how long to wait for a reply
that depends on progress rather than on a clock (Pub/Sub confirmations), how a user's
event callback is run, and which event loop is running without importing asyncio. They
lived in ``client.py`` and ``pubsub.py``, and the cluster imported them from there as
private names; here they are public names of a module every layer may import (DESIGN.md:
layers look down only). The ``Protocol`` classes say what a layer above uses of the client
it is given (a pipeline, the cache) without importing the client's module: no import
circle, type-only ones included.

Nothing here imports asyncio at module level (``import fastredis`` stays light)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, AnyStr, Callable, Generic, Protocol, TypeVar

from .commands import CoreCommands
from .connection import expire
from .exceptions import RedisError, TimeoutError

if TYPE_CHECKING:
    import asyncio
    import logging
    from collections.abc import Generator

__all__ = [
    "BLOCKING", "CONNECTION_STATE", "SINGLE_OK", "is_blocking", "block_seconds", "block_deadline", "Deadline",
    "notify", "running_loop", "Closing", "wait_released", "PipelineCommands", "Executor",
    "PooledExecutor", "annotate",
]

#: Commands that block server-side: they get a connection of their own (DESIGN.md).
BLOCKING = frozenset((
    "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP",
    "WAIT", "WAITAOF", "BLMOVEM", "BZMOVE",
))

#: Commands that would change the shared connection under every other task's feet.
CONNECTION_STATE = frozenset(
    n for c in ("SELECT", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "RESET", "HELLO",
                "QUIT", "SYNC", "PSYNC")
    for n in (c, c.lower(), c.encode(), c.lower().encode())
)

#: ... of which a single-connection client may send these: the connection is its own.
SINGLE_OK = frozenset(
    n for c in ("SELECT", "RESET", "HELLO") for n in (c, c.lower(), c.encode(), c.lower().encode())
)


def is_blocking(args: tuple[Any, ...]) -> bool:
    """Whether the command ``args`` may block server-side (BLPOP ..., XREAD BLOCK)."""
    name = args[0]
    if isinstance(name, bytes):
        name = name.decode()
    name = str(name).upper()
    if name in BLOCKING:
        return True
    if name in ("XREAD", "XREADGROUP", "TS.READ"):
        return any(isinstance(a, (str, bytes)) and (a.upper() in ("BLOCK", b"BLOCK")) for a in args[1:])
    return False


def block_seconds(args: tuple[Any, ...]) -> float | None:
    """How long a blocking command may block server-side, in seconds (0: forever;
    None: unknown). Only read when the client has a socket_timeout."""
    try:
        name = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
        name = name.upper()
        if name in ("BLMPOP", "BZMPOP"):
            return float(args[1])
        if name in ("WAIT", "WAITAOF"):
            return float(args[-1]) / 1000
        if name == "BZMOVE":  # BZMOVE src dst MIN|MAX timeout [COUNT n]
            return float(args[4])
        if name == "BLMOVEM":  # BLMOVEM src dst LEFT|RIGHT LEFT|RIGHT timeout [...]
            return float(args[5])
        if name in ("XREAD", "XREADGROUP", "TS.READ"):  # TS.READ key ts BLOCK ms min_count
            for i, a in enumerate(args):
                if isinstance(a, (str, bytes)) and a.upper() in ("BLOCK", b"BLOCK"):
                    return float(args[i + 1]) / 1000
            return None
        return float(args[-1])  # BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BZPOPMIN, BZPOPMAX
    except (ValueError, TypeError, IndexError):
        return None


def block_deadline(conn: Any, fut: Any, args: tuple[Any, ...],
                   socket_timeout: float | None) -> Any:
    """The timer that fails a blocking command's reply once its own timeout plus
    ``socket_timeout`` has passed (the server answers by its own timeout: more than that
    means the connection is gone); None when there is nothing to bound (no socket_timeout,
    or a command that blocks for ever by request)."""
    if socket_timeout is None:
        return None
    block = block_seconds(args)
    if not block:
        return None
    limit = block + socket_timeout
    return conn._loop.call_later(limit, expire, fut, limit)


class Deadline:
    """Fail ``fut`` with TimeoutError when ``timeout`` seconds pass *without progress*.

    Progress is any frame read meanwhile: the answer to a command of ours may sit behind
    a server output buffer full of messages (TCP is in order); a connection that delivers
    them is alive, so the deadline moves on instead of killing it."""

    __slots__ = ("loop", "fut", "timeout", "progress", "mark", "handle")

    def __init__(self, loop: asyncio.AbstractEventLoop, fut: asyncio.Future[Any], timeout: float,
                 progress: Callable[[], int]) -> None:
        self.loop = loop
        self.fut = fut
        self.timeout = timeout
        self.progress = progress
        self.mark = progress()
        self.handle = loop.call_later(timeout, self.fire)

    def fire(self) -> None:
        if self.fut.done():
            return
        now = self.progress()
        if now != self.mark:
            self.mark = now
            self.handle = self.loop.call_later(self.timeout, self.fire)
            return
        self.fut.set_exception(TimeoutError(f"No answer from the server within {self.timeout}s"))

    def cancel(self) -> None:
        self.handle.cancel()


async def notify(cb: Callable[[Any], Any], arg: Any, log: logging.Logger, failed: str) -> None:
    """Call a user's event callback (plain or async). A faulty one must not stop the
    subscriber: its exception is logged with ``failed`` and the traceback."""
    import asyncio

    try:
        res = cb(arg)
        if asyncio.iscoroutine(res):
            await res
    except Exception:
        log.exception(failed)


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop, or None; asyncio not imported yet means none can run."""
    asyncio_mod = sys.modules.get("asyncio")
    return asyncio_mod.events._get_running_loop() if asyncio_mod is not None else None


class Closing:
    """What ``disconnect()`` returns: the closing already happened when it returned;
    ``await`` it to also wait until the sockets are released (redis-py's
    ``await pool.disconnect()``)."""

    __slots__ = ("_waits",)

    def __init__(self, waits: list[Any]) -> None:
        self._waits = waits

    def __await__(self) -> Generator[Any, None, None]:
        return wait_released(self._waits).__await__()


async def wait_released(waits: list[Any]) -> None:
    import asyncio

    from ._protocol import Connection
    from .connection import deadline

    for w in waits:
        try:
            async with deadline(1.0):
                if isinstance(w, Connection):
                    await w.wait_closed()
                else:  # a connecting task, cancelled: it closes what it opened
                    await asyncio.wait((w,))
        except (asyncio.TimeoutError, OSError):  # pragma: no cover - a stuck close
            pass


# ---------------------------------------------------------------------- what layers above use
# What a type checker sees of a pipeline's commands. At runtime Pipeline inherits every
# command method of CoreCommands, and each returns the pipeline (queued) instead of a
# coroutine. The mixins declare ``-> Reply[reply]`` (right for a client), and Python's
# type system cannot re-type every inherited method's return at once (that would need
# higher-kinded types). So for type checkers only, Pipeline's base is a class whose every
# unknown attribute is a command returning the pipeline: ``pipe.set("a", 1).incr("a")``
# type-checks, ``await pipe.execute()`` is ``list[Any]``, and ``await pipe.get(..)`` (aredis
# style) is the pipeline. The price: command names and arguments are not checked on a
# pipeline (they are on the client). Pipeline's own methods (execute, watch, multi ...)
# keep their precise types.
if TYPE_CHECKING:
    _P = TypeVar("_P")

    class PipelineCommands(Generic[AnyStr]):
        # (self's own type: Pipeline, or the cluster's ClusterPipeline)
        def __getattr__(self: _P, name: str) -> Callable[..., _P]: ...
else:
    PipelineCommands = CoreCommands


class Executor(Protocol):
    """A client as the layers built on it see it (``Redis``, ``RedisCluster``): the two
    execution entry points every command method calls, and the reply timeout."""

    _timeout: float | None

    def _execute(self, args: tuple[Any, ...], callback: Callable[[Any], Any] | None = None) -> Any: ...

    def _execute_blocking(self, args: tuple[Any, ...],
                          callback: Callable[[Any], Any] | None = None) -> Any: ...

    def _reply_protocol(self) -> int: ...


class PooledExecutor(Executor, Protocol):
    """A single-server client (``Redis``): an ``Executor`` over one connection pool, with
    its client-side cache (or None). What ``Pipeline`` and the cache use of it."""

    connection_pool: Any
    cache: Any


# Arguments that are secrets: never part of an error message (STYLE.md 8).
_SECRET_AFTER = {"AUTH": 0, "AUTH2": 1}  # word -> how many arguments after it to keep


def _safe_str(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _describe(args: tuple[Any, ...]) -> str:
    """The command as redis-py shows it in pipeline errors (``LPUSH c 3``), with
    passwords replaced by ``***`` and shortened to 100 characters."""
    words = [_safe_str(a) for a in args]
    name = words[0].upper() if words else ""
    if name == "AUTH":
        words[1:] = ["***"] * (len(words) - 1)
    elif name in ("HELLO", "MIGRATE"):
        i = 1
        while i < len(words):
            keep = _SECRET_AFTER.get(words[i].upper())
            if keep is not None:
                j = i + 1 + keep
                if j < len(words):
                    words[j] = "***"
                i = j
            i += 1
    elif name == "CONFIG" and len(words) > 3 and words[1].upper() == "SET":
        for i in range(2, len(words) - 1, 2):
            if words[i].lower() in ("requirepass", "masterauth", "masteruser"):
                words[i + 1] = "***"
    elif name == "ACL" and len(words) > 2 and words[1].upper() == "SETUSER":
        words[3:] = [w if w[:1] not in (">", "#", "<", "!") else w[0] + "***" for w in words[3:]]
    text = " ".join(words)
    if len(text) > 100:
        import textwrap

        text = textwrap.shorten(text, width=100, placeholder="...", break_long_words=True)
    return text


def annotate(exc: BaseException, index: int, args: tuple[Any, ...]) -> BaseException:
    """``Command # 2 (LPUSH c 3) of pipeline caused error: <server message>`` (redis-py's
    wording; the number counts every queued command from 1)."""
    msg = f"Command # {index + 1} ({_describe(args)}) of pipeline caused error: {exc}"
    new = type(exc)(msg) if isinstance(exc, RedisError) else exc
    if new is not exc:
        new.__cause__ = exc.__cause__
    return new
