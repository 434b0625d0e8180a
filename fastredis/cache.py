"""Server-assisted client-side caching: hot reads served from memory, never stale.

``Redis(..., cache=CacheConfig(...))``. How it stays correct (DESIGN.md, "Client-side caching"):

* **Tracking on the connection that carries the read.** The first cacheable read on a
  connection is preceded, in the same synchronous write, by ``CLIENT TRACKING ON`` (RESP3)
  or ``CLIENT TRACKING ON REDIRECT <id>`` (RESP2: invalidations then arrive as Pub/Sub
  messages on ``__redis__:invalidate`` on a connection of the cache's own). The server then
  sends an invalidation for every key this connection read, whenever that key changes
  (another client's write, our own write, expiry, eviction, FLUSHDB).
* **Invalidations are applied where the bytes arrive**, inside the connection's reply path
  (``Connection.on_push``), before any caller resumes. A read records the invalidation
  sequence of its key when it is sent; when its reply comes back the value is stored only
  if no invalidation of that key (and no flush) was seen in between. An invalidation that
  raced with the read, on the same connection or (RESP2) on the redirect connection, thus
  keeps the value out of the cache: a raced reply is never cached (lettuce #3481,
  redis/redis #6867 are this bug elsewhere).
* **Never stale after trouble.** An entry belongs to the connection that read it; a lost
  connection takes its entries with it (its invalidations are lost too: redis/redis
  #11767). In RESP2 mode, losing the redirect connection flushes everything. A nil
  invalidation (FLUSHDB / FLUSHALL) flushes everything.
* **Bounded**: entries and bytes (LRU), and an optional ``max_staleness`` backstop.

On a cluster (``RedisCluster(..., protocol=3, cache=...)``, ``install_cluster``) one cache
serves every node: each node's shared connection is tracked at its first cached read (so
nodes that appear later are tracked too), entries are indexed by slot as well, an entry is
served only while its connection is still its slot's primary's, and a slot that changes
owner (MOVED, a new slot map) drops its entries at once.

Only read-only commands on one whole key are cached (an allow list; the default leaves
out anything whose answer depends on time or chance: TTL, OBJECT, RANDOMKEY, SRANDMEMBER
...). The raw reply is cached and the command's callback runs on every hit, so a caller
never receives an object another caller may have mutated.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
import types
from collections import OrderedDict
from collections.abc import Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Callable

from . import _observe
from ._log import get_logger
from ._protocol import _get_running_loop, _size
from .connection import wait_reply
from .exceptions import RedisError

if TYPE_CHECKING:
    import asyncio

    from ._execution import Executor, PooledExecutor
    from ._protocol import Connection
    from .cluster._host import ClusterHost

__all__ = ["CacheConfig", "ClientCache", "DEFAULT_CACHEABLE", "TrackingError"]

log = get_logger("fastredis.cache")

#: Read-only commands on a single key (the key is the first argument) whose answer depends
#: only on the key's value. Not here on purpose: TTL/PTTL/EXPIRETIME (change with time),
#: OBJECT (server-internal), RANDOMKEY/SRANDMEMBER/HRANDFIELD/ZRANDMEMBER (chance),
#: multi-key reads (one invalidation would have to cover several keys), anything that writes.
DEFAULT_CACHEABLE = frozenset((
    "GET", "GETRANGE", "SUBSTR", "STRLEN", "GETBIT", "BITCOUNT", "BITPOS", "BITFIELD_RO",
    "HGET", "HGETALL", "HMGET", "HKEYS", "HVALS", "HLEN", "HEXISTS", "HSTRLEN",
    "LRANGE", "LINDEX", "LLEN", "LPOS",
    "SMEMBERS", "SISMEMBER", "SMISMEMBER", "SCARD",
    "ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX",
    "ZREVRANGEBYLEX", "ZSCORE", "ZMSCORE", "ZCARD", "ZRANK", "ZREVRANK", "ZCOUNT",
    "ZLEXCOUNT",
    "XLEN", "XRANGE", "XREVRANGE",
    "TYPE",
    "GEOPOS", "GEODIST", "GEOHASH",
))

_ENTRY_OVERHEAD = 200  # bytes per entry beyond the payload: dict slots, tuples, the key
_bypass: contextvars.ContextVar[bool] = contextvars.ContextVar("fastredis_cache_bypass", default=False)


class CacheConfig:
    """Options of the client-side cache.

    ``max_entries`` and ``max_bytes`` bound it (least recently used entries go first);
    ``max_staleness`` (seconds, optional) is a backstop: an entry older than that is
    fetched again even if no invalidation came; ``commands`` replaces the allow list
    (``DEFAULT_CACHEABLE``) of read-only, single-key commands that are cached."""

    __slots__ = ("max_entries", "max_bytes", "max_staleness", "commands")

    def __init__(
        self,
        max_entries: int = 10_000,
        max_bytes: int = 64 * 1024 * 1024,
        max_staleness: float | None = None,
        commands: Iterable[str] | None = None,
    ) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("max_entries and max_bytes must be positive")
        if max_staleness is not None and max_staleness <= 0:
            raise ValueError("max_staleness must be a positive number of seconds or None")
        self.max_entries = int(max_entries)
        self.max_bytes = int(max_bytes)
        self.max_staleness = max_staleness
        self.commands = frozenset(
            c.upper() for c in (DEFAULT_CACHEABLE if commands is None else commands)
        )

    def __repr__(self) -> str:
        return (f"CacheConfig(max_entries={self.max_entries}, max_bytes={self.max_bytes}, "
                f"max_staleness={self.max_staleness}, commands=<{len(self.commands)} commands>)")


def from_redis_py(config: Any) -> CacheConfig:
    """redis-py's ``CacheConfig`` (``cache_config=``) as ours: its ``max_size`` becomes
    ``max_entries``. Only what maps exactly is taken: its default cache class, LRU
    eviction, PLAIN tracking and no ``cache_predicate``; anything else is a DataError
    naming it (those are redis-py's cache internals, with no equivalent here)."""
    from .exceptions import DataError

    if isinstance(config, CacheConfig):
        return config
    get_max_size = getattr(config, "get_max_size", None)
    if not callable(get_max_size):
        raise DataError(f"cache_config takes redis-py's CacheConfig, got {type(config).__name__}")
    cache_class = getattr(config, "get_cache_class", lambda: None)()
    if cache_class is not None and getattr(cache_class, "__name__", "") != "DefaultCache":
        raise DataError(f"cache_config: cache_class={cache_class.__name__} cannot be used (fastredis has its "
                        "own cache): use cache=fastredis.CacheConfig(...)")
    policy = getattr(config, "get_eviction_policy", lambda: None)()
    if policy is not None and getattr(policy, "name", "LRU") != "LRU":
        raise DataError(f"cache_config: eviction_policy={policy.name} is not supported (fastredis evicts the "
                        "least recently used entries)")
    mode = getattr(config, "get_tracking_mode", lambda: None)()
    if mode is not None and str(getattr(mode, "value", mode)).lower() != "plain":
        raise DataError(f"cache_config: tracking_mode={getattr(mode, 'value', mode)!r} is not supported "
                        "(fastredis tracks keys in the default mode)")
    if getattr(config, "cache_predicate", None) is not None or getattr(config, "_cache_predicate", None) is not None:
        raise DataError("cache_config: cache_predicate is not supported: use "
                        "cache=fastredis.CacheConfig(commands=[...]) to choose what is cached")
    return CacheConfig(max_entries=int(get_max_size()))


def _norm(value: Any, encoding: str) -> bytes:
    """One canonical bytes form per argument, as the server sees it."""
    t = type(value)
    if t is bytes:
        return value  # type: ignore[no-any-return]
    if t is str:
        return value.encode(encoding)  # type: ignore[no-any-return]
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, float):
        return repr(value).encode()
    return str(value).encode()


def _copy(reply: Any) -> Any:
    """A hit hands out a fresh container: callbacks may return the raw reply itself
    (a RESP3 map is already a dict), and a caller may mutate what it got."""
    t = reply.__class__
    if t is list:
        return [_copy(x) for x in reply]
    if t is dict:
        return {k: _copy(v) for k, v in reply.items()}
    if t is set:
        return {_copy(x) for x in reply}
    return reply  # bytes, str, int, float, None, bool: immutable


class _Entry:
    __slots__ = ("reply", "key", "conn", "size", "born", "slot")

    def __init__(self, reply: Any, key: bytes, conn: Connection, size: int, born: float,
                 slot: int = -1) -> None:
        self.reply = reply
        self.key = key
        self.conn = conn
        self.size = size
        self.born = born
        self.slot = slot  # the cluster hash slot (-1 on one server)


class ClientCache:
    """The cache of one client: entries, the per-key index, the invalidation bookkeeping
    and the tracked connections. Created by ``Redis(cache=CacheConfig(...))``; reach it as
    ``r.cache`` for ``stats()``, ``clear()`` and ``bypass()``."""

    def __init__(self, config: CacheConfig, encoding: str = "utf-8") -> None:
        self.config = config
        self.commands = set(config.commands)
        self._encoding = encoding
        self._entries: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
        self._by_key: dict[bytes, set[tuple[Any, ...]]] = {}
        # cluster: slot -> its entries, dropped together when the slot changes owner
        self._by_slot: dict[int, set[tuple[Any, ...]]] = {}
        self._bytes = 0
        # invalidation sequence: bumped on every invalidation; a read remembers it
        self._seq = 0
        self._flush_seq = 0  # the sequence number of the last flush
        # key -> sequence of its last invalidation, kept only while reads are in flight
        self._recent: dict[bytes, int] = {}
        self._inflight = 0
        # connection -> the future of its CLIENT TRACKING reply
        self._tracked: dict[Connection, asyncio.Future[Any]] = {}
        self._redirect: Connection | None = None
        self._redirect_opening: asyncio.Future[Any] | None = None
        self._closed = False  # close() was called: no connection is opened any more
        self.hits = self.misses = self.evictions = self.invalidations = self.flushes = 0
        self._counted = False
        _observe.CACHES.add(self)  # the redis.client.csc.* instruments read its counters

    # ------------------------------------------------------------------ public
    def stats(self) -> dict[str, int]:
        """Counters: hits, misses, evictions (bound reached), invalidations (keys the
        server invalidated that were cached), flushes, and the current entries and bytes."""
        return {
            "hits": self.hits, "misses": self.misses, "evictions": self.evictions,
            "invalidations": self.invalidations, "flushes": self.flushes,
            "entries": len(self._entries), "bytes": self._bytes,
        }

    def clear(self) -> None:
        """Drop every entry (counted as a flush)."""
        self._flush("cleared by the application")

    @contextlib.contextmanager
    def bypass(self) -> Iterator[None]:
        """``with r.cache.bypass(): await r.get(k)`` reads from the server and leaves the
        cache as it is (per task: a context variable)."""
        token = _bypass.set(True)
        try:
            yield
        finally:
            _bypass.reset(token)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<fastredis.ClientCache entries={len(self._entries)} bytes={self._bytes}>"

    # ------------------------------------------------------------------ lookups
    def cache_key(self, args: tuple[Any, ...]) -> tuple[tuple[Any, ...], bytes] | None:
        """(entry key, Redis key) for a cacheable command; None otherwise."""
        if len(args) < 2 or _bypass.get():
            return None
        name = args[0]
        name = name.upper() if name.__class__ is str else _norm(name, "ascii").decode().upper()
        if name not in self.commands:
            return None
        enc = self._encoding
        key = _norm(args[1], enc)
        return (name, key) + tuple(_norm(a, enc) for a in args[2:]), key

    def lookup(self, ckey: tuple[Any, ...], owner: object = None) -> _Entry | None:
        """The live entry for ``ckey`` or None. ``owner`` (cluster): the connection of the
        slot's current primary; an entry read on any other connection is not served."""
        redirect = self._redirect
        if redirect is not None and redirect.closed:
            self._redirect_lost(redirect)  # its close callback may not have run yet
        entry = self._entries.get(ckey)
        if entry is None:
            self.misses += 1
            return None
        conn = entry.conn
        if conn.closed or conn._loop is not _get_running_loop() or (
            owner is not None and conn is not owner
        ) or (
            self.config.max_staleness is not None
            and time.monotonic() - entry.born > self.config.max_staleness
        ):
            self._drop(ckey)
            self.misses += 1
            return None
        self._entries.move_to_end(ckey)
        self.hits += 1
        return entry

    # ------------------------------------------------------------------ filling
    def begin(self) -> int:
        """A read is about to be sent: returns its token (the current sequence)."""
        self._inflight += 1
        return self._seq

    def end(self, token: int, ckey: tuple[Any, ...], key: bytes, reply: Any, conn: Connection,
            slot: int = -1) -> None:
        """The read's reply came back. Store it only if nothing invalidated its key (or
        flushed everything) since it was sent, and the connection is tracked and alive."""
        try:
            if conn.closed or self._flush_seq > token or self._recent.get(key, -1) > token:
                return
            tracking = self._tracked.get(conn)
            if tracking is None or not tracking.done() or tracking.cancelled() or tracking.exception():
                return
            if self._redirect is not None and self._redirect.closed:
                return
            size = _size(reply) + len(key) + _ENTRY_OVERHEAD
            if size > self.config.max_bytes:
                return
            self._drop(ckey)
            self._entries[ckey] = _Entry(reply, key, conn, size, time.monotonic(), slot)
            self._by_key.setdefault(key, set()).add(ckey)
            if slot >= 0:
                self._by_slot.setdefault(slot, set()).add(ckey)
            self._bytes += size
            self._evict()
        finally:
            self._inflight -= 1
            if not self._inflight:
                self._recent.clear()

    def abandon(self) -> None:
        """A read failed or was cancelled: nothing to store."""
        self._inflight -= 1
        if not self._inflight:
            self._recent.clear()

    def _evict(self) -> None:
        cfg = self.config
        entries = self._entries
        while len(entries) > cfg.max_entries or self._bytes > cfg.max_bytes:
            ckey = next(iter(entries))
            self._drop(ckey)
            self.evictions += 1

    def _drop(self, ckey: tuple[Any, ...]) -> None:
        entry = self._entries.pop(ckey, None)
        if entry is None:
            return
        self._bytes -= entry.size
        keys = self._by_key.get(entry.key)
        if keys is not None:
            keys.discard(ckey)
            if not keys:
                del self._by_key[entry.key]
        self._unslot(entry, ckey)

    def _unslot(self, entry: _Entry, ckey: tuple[Any, ...]) -> None:
        if entry.slot >= 0:
            in_slot = self._by_slot.get(entry.slot)
            if in_slot is not None:
                in_slot.discard(ckey)
                if not in_slot:
                    del self._by_slot[entry.slot]

    def drop_slots(self, slots: Iterable[int]) -> None:
        """Cluster: these slots changed owner (MOVED, a new map, a failover). The new
        owner never saw our reads, so it will never invalidate them: drop them now."""
        by_slot = self._by_slot
        dropped = 0
        for slot in slots:
            ckeys = by_slot.get(slot)
            if ckeys:
                for ckey in list(ckeys):
                    self._drop(ckey)
                    dropped += 1
        if dropped:
            log.info("client-side cache: %d entries dropped, their slots changed owner", dropped)

    # ------------------------------------------------------------------ invalidation
    def invalidate(self, keys: Iterable[Any] | None, count: bool = True) -> None:
        """Apply one invalidation message (``None``: everything, as after FLUSHALL)."""
        self._seq += 1
        if keys is None:
            self._flush("the server invalidated every key (FLUSHDB / FLUSHALL)")
            return
        seq = self._seq
        track_recent = self._inflight > 0
        enc = self._encoding
        for k in keys:
            key = _norm(k, enc)
            if track_recent:
                self._recent[key] = seq
            ckeys = self._by_key.pop(key, None)
            if ckeys:
                for ckey in ckeys:
                    entry = self._entries.pop(ckey, None)
                    if entry is not None:
                        self._bytes -= entry.size
                        self._unslot(entry, ckey)
                        if count:
                            self.invalidations += 1

    def forget(self, args: tuple[Any, ...]) -> None:
        """A command of ours that may write went (or goes) by another connection than the
        tracked one: drop what we hold for any of its arguments that is a cached key, and
        keep reads already in flight for them out of the cache. Its invalidation may arrive
        after the command's own reply; without this a read right after our own write could
        be served the old value. Used in RESP2 mode for every command (invalidations come on
        the redirect connection), and in any mode after a blocking command or (cluster) a
        WATCHed transaction, which run on connections of their own. A command on the
        tracked RESP3 connection needs nothing of the kind: there the invalidation precedes
        the write's reply."""
        enc = self._encoding
        by_key = self._by_key
        for a in args[1:]:
            t = type(a)
            if t is not bytes and t is not str and not isinstance(a, (bytearray, memoryview)):
                continue
            key = _norm(a, enc)
            if key in by_key or self._inflight:
                self.invalidate((key,), count=False)

    def _flush(self, why: str) -> None:
        self._seq += 1
        self._flush_seq = self._seq
        if self._entries:
            log.info("client-side cache flushed (%d entries): %s", len(self._entries), why)
        self._entries.clear()
        self._by_key.clear()
        self._by_slot.clear()
        self._bytes = 0
        self.flushes += 1

    def _on_push(self, reply: Any) -> bool:
        """``Connection.on_push``: runs in the reply path, in wire order. True when the
        frame was an invalidation (consumed here)."""
        try:
            kind = reply[0]
        except (TypeError, IndexError, KeyError):
            return False
        if kind == b"invalidate" or kind == "invalidate":  # RESP3 push
            self.invalidate(reply[1] if len(reply) > 1 else None)
            return True
        if kind == b"message" or kind == "message":  # RESP2 redirect: __redis__:invalidate
            if len(reply) == 3 and reply[1] in (b"__redis__:invalidate", "__redis__:invalidate"):
                self.invalidate(reply[2])
                return True
            return False
        if kind in (b"subscribe", "subscribe"):
            return True  # our own confirmation on the redirect connection
        if kind in (b"tracking-redir-broken", "tracking-redir-broken"):
            self._flush("the server reports the invalidation connection broken")
            return True
        return False

    # ------------------------------------------------------------------ tracking
    def _conn_lost(self, conn: Connection) -> None:
        self._tracked.pop(conn, None)
        doomed = [ck for ck, e in self._entries.items() if e.conn is conn]
        if doomed:
            log.info("client-side cache: connection lost, dropping its %d entries", len(doomed))
        for ck in doomed:
            self._drop(ck)
        self._seq += 1

    def _redirect_lost(self, conn: Connection) -> None:
        if self._redirect is not conn:
            return  # closed by close(): nothing was lost
        self._redirect = None
        log.warning("client-side cache: the invalidation connection was lost; flushing")
        self._flush("the invalidation connection was lost")
        # every data connection's tracking pointed at it: re-enable on the next read
        self._tracked.clear()

    def tracked(self, conn: Connection, resp3: bool) -> asyncio.Future[Any]:
        """``conn``'s CLIENT TRACKING answer, the command sent first if it is not yet."""
        if self.needs_tracking(conn):
            self.start_tracking(conn, resp3)
        return self._tracked[conn]

    def check_tracking(self, tracking: asyncio.Future[Any], who: str) -> None:
        """After a read: if the server refused CLIENT TRACKING, nothing read on that
        connection may be cached; the read is abandoned and the caller told."""
        if tracking.done() and not tracking.cancelled() and tracking.exception() is not None:
            self.abandon()
            raise TrackingError(f"client-side cache: {who} refused CLIENT TRACKING: {tracking.exception()}")

    def needs_tracking(self, conn: Connection) -> bool:
        fut = self._tracked.get(conn)
        return fut is None or (fut.done() and (fut.cancelled() or fut.exception() is not None))

    def start_tracking(self, conn: Connection, resp3: bool) -> None:
        """Write CLIENT TRACKING ON on ``conn`` now (its reply is checked when the read
        that follows it comes back: same connection, so it arrives first)."""
        if conn.on_push is None:
            conn.on_push = self._on_push
            conn.closed_future.add_done_callback(lambda _f, c=conn: self._conn_lost(c))  # type: ignore[misc]  # mypy cannot type a lambda with a default
        elif conn.on_push != self._on_push:
            # its invalidations would go to someone else: the cache would go stale unseen
            raise TrackingError(f"client-side cache: the push frames of {conn.description} "
                                "are already taken by another handler")
        if resp3:
            fut = conn.execute(("CLIENT", "TRACKING", "ON"))
        else:
            redirect = self._redirect
            assert redirect is not None and redirect.client_id is not None
            conn.send_and_forget(("CLIENT", "TRACKING", "OFF"))
            fut = conn.execute(("CLIENT", "TRACKING", "ON", "REDIRECT", redirect.client_id))
        fut.add_done_callback(self._report_done)
        self._tracked[conn] = fut

    async def ensure_redirect(self, client: PooledExecutor) -> None:
        """RESP2: the connection subscribed to ``__redis__:invalidate`` (opened once)."""
        import asyncio

        redirect = self._redirect
        if redirect is not None and not redirect.closed:
            return
        if self._closed:
            from .exceptions import ClientClosedError

            raise ClientClosedError("the client was closed")
        fut = self._redirect_opening
        if fut is None or fut.done():
            fut = self._redirect_opening = asyncio.ensure_future(self._open_redirect(client))
            fut.add_done_callback(self._report_done)
        await asyncio.shield(fut)

    def _report_done(self, fut: asyncio.Future[Any]) -> None:
        if not self._closed:  # a failure after close() is the close, not news
            _tracking_done(fut)
        elif not fut.cancelled():
            fut.exception()  # retrieved: never "exception was never retrieved"

    async def _open_redirect(self, client: PooledExecutor) -> None:
        import copy

        from .connection import connect

        # bytes end to end: an invalidated key is matched by the bytes the server sent,
        # whatever the client decodes (a key that is not valid in its encoding included)
        params = copy.copy(client.connection_pool.params)
        params.decode_responses = False
        conn = await connect(params, client_id=True)
        conn.set_pubsub(True)
        conn.on_push = self._on_push
        try:
            (ping,) = conn.send_packed(
                conn.pack(("SUBSCRIBE", "__redis__:invalidate")) + conn.pack(("PING",)), 1
            )
            await ping
            if self._closed:  # close() came while this was being opened: keep nothing
                from .exceptions import ClientClosedError

                raise ClientClosedError("the client was closed")
        except BaseException:
            conn.abort("closed: the invalidation subscription failed")
            raise
        conn.closed_future.add_done_callback(lambda _f, c=conn: self._redirect_lost(c))  # type: ignore[misc]
        self._redirect = conn
        log.debug("client-side cache: invalidations redirected to client %s", conn.client_id)

    def close(self) -> None:
        """Flush, close the invalidation connection, and open none any more (one being
        opened is cancelled: it would outlive the client)."""
        self._closed = True
        self._flush("client closed")
        _observe.retire_cache(self)  # its counts stay in the redis.client.csc.* totals
        if self._redirect is not None:
            self._redirect.close()
            self._redirect = None
        opening = self._redirect_opening
        if opening is not None and not opening.done():
            opening.cancel()
        self._tracked.clear()

    async def aclose(self) -> None:
        redirect, opening = self._redirect, self._redirect_opening
        self.close()
        if opening is not None:
            import asyncio

            # (its own connection is aborted on the way out: wait for that to finish)
            await asyncio.wait([opening])
        if redirect is not None:
            await redirect.wait_closed()


# A hit is served from memory: without a yield, ``while await r.get(flag) != b"1": pass``
# would never let the loop run, so neither the task that writes the flag nor the read of
# its invalidation ever would. A cacheable read therefore lets the loop run whenever the
# task has gone _HOLD seconds without doing so here: a run of hits holds the loop for at
# most _HOLD (plus one hit). One pass of the loop runs every task that was ready and polls
# the sockets, so the invalidations already received are applied before the lookup.
# Yielding on every hit costs a loop pass each (a hit 2-3x slower, measured); bounding
# it in time keeps the guarantee for about 15%. Per task (a context variable): one task's
# yields never excuse another's run, on this loop or another thread's.
_HOLD = 50e-6
_held_since: contextvars.ContextVar[float] = contextvars.ContextVar(
    "fastredis_cache_held_since", default=0.0)
_clock = time.perf_counter


def _held_too_long() -> bool:
    now = _clock()
    if now - _held_since.get() < _HOLD:
        return False
    _held_since.set(now)
    return True


@types.coroutine
def _yield() -> Generator[None, None, None]:
    """One pass of the event loop (``asyncio.sleep(0)`` without its coroutine frame): the
    task goes to the back of the ready queue and the loop polls its sockets before it runs
    again."""
    yield


def _tracking_done(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        exc = fut.exception()
        if exc is not None:
            log.warning("client-side cache: CLIENT TRACKING failed: %s", exc)


class TrackingError(RedisError):
    """The server refused CLIENT TRACKING: the cache cannot be kept correct."""


def install(client: PooledExecutor, config: CacheConfig) -> ClientCache:
    """Route the client's cacheable reads through a ``ClientCache``."""
    pool = client.connection_pool
    if pool.max_shared != 1:
        # invalidations for a read on one shared connection could then trail our own write's
        # reply on another: a read right after our write could see the old value
        raise ValueError("a client-side cache needs max_shared=1 (one ordered connection)")
    params = pool.params
    cache = ClientCache(config, params.encoding)
    resp3 = params.resp == 3
    uncached = client._execute  # the client's own (bound) path

    async def execute(args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any:
        found = cache.cache_key(args)
        if found is None:
            if not resp3 and len(args) > 1:
                cache.forget(args)
            return await uncached(args, callback)
        ckey, key = found
        if _held_too_long():
            await _yield()
        entry = cache.lookup(ckey)
        if entry is not None:
            reply = _copy(entry.reply)
            return reply if callback is None else callback(reply)
        fill = miss(args, callback, ckey, key)
        if _observe.hook is not None:  # fastredis.telemetry: a miss is a command (a hit is not)
            return await _observe.hook.command(pool.counters, args, fill)
        return await fill

    async def miss(args: tuple[Any, ...], callback: Callable[..., Any] | None,
                   ckey: tuple[Any, ...], key: bytes) -> Any:
        if not resp3:
            await cache.ensure_redirect(client)
        conn = pool.current
        if conn is None or conn.closed or conn._loop is not _get_running_loop():
            conn = await pool.get_shared()
        tracking = cache.tracked(conn, resp3)
        token = cache.begin()
        try:
            reply = await wait_reply(conn, conn.execute(args), client._timeout)
        except BaseException:
            cache.abandon()
            raise
        cache.check_tracking(tracking, "the server")
        cache.end(token, ckey, key, _copy(reply), conn)
        return reply if callback is None else callback(reply)

    client._execute = execute  # type: ignore[method-assign]
    _forget_after_blocking(client, cache)
    return cache


def _forget_after_blocking(client: Executor, cache: ClientCache) -> None:
    """A blocking command (BLPOP, BLMOVE ...) runs on a connection of its own: the
    invalidation of what it wrote reaches the tracked connection only later, so what we
    hold for its keys is dropped when it returns (or fails: its outcome may be unknown)."""
    blocking = client._execute_blocking

    async def execute_blocking(args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any:
        try:
            return await blocking(args, callback)
        finally:
            cache.forget(args)

    client._execute_blocking = execute_blocking  # type: ignore[method-assign]


#: errors after which a cached read is handed to the cluster's own path, which follows
#: redirections and retries (the read is read-only: sending it again is safe)
_NOBODY = object()  # no connection to the slot's primary yet: no entry can be served
_CLUSTER_RETRY = ("MovedError", "AskError", "TryAgainError", "ClusterDownError",
                  "BusyLoadingError", "ConnectionError")


def install_cluster(client: ClusterHost, config: CacheConfig) -> ClientCache:
    """``RedisCluster(cache=...)``: one cache for the whole cluster. Each node's shared
    connection is tracked (RESP3, in-band) when a read is first sent on it, so a node
    that appears later (a promoted replica, a new shard) is tracked like the others.
    Cached reads go to the slot's primary; an entry is served only while the connection
    that read it is still its slot's primary's connection, and a slot that changes owner
    drops its entries at once (``Topology.on_owner_change``)."""
    from . import exceptions
    from .cluster.slots import key_slot

    params = client._params
    if params.resp != 3:
        # RESP2 would need a second (redirect) connection per node, and our own write's
        # invalidation could then trail its reply: read-your-writes would not hold
        raise ValueError("a client-side cache on RedisCluster needs RESP3 (leave protocol unset, or 3: RESP3 tracking "
                         "on each node's connection); see docs/caching.md")
    cache = ClientCache(config, params.encoding)
    uncached = client._execute
    retry = tuple(getattr(exceptions, n) for n in _CLUSTER_RETRY)
    client._topology.on_owner_change = cache.drop_slots

    async def execute(args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any:
        found = cache.cache_key(args)
        if found is None:
            return await uncached(args, callback)
        if client._router is None or client._init_fut is None:
            await client.initialize()
        ckey, key = found
        if _held_too_long():  # as on one server
            await _yield()
        slot = key_slot(key)
        node = client._topology.slots.primaries[slot]
        if node is None:  # an uncovered slot: the cluster path refreshes and retries
            return await uncached(args, callback)
        conn = node.connection
        entry = cache.lookup(ckey, _NOBODY if conn is None else conn)
        if entry is not None:
            reply = _copy(entry.reply)
            return reply if callback is None else callback(reply)
        if _observe.hook is not None:  # fastredis.telemetry: a miss is a command (a hit is not)
            fill = miss(args, callback, ckey, key, slot, node, conn, True)
            return await _observe.hook.command(client._counters, args, fill, track=True)
        return await miss(args, callback, ckey, key, slot, node, conn, False)

    async def miss(args: tuple[Any, ...], callback: Callable[..., Any] | None, ckey: tuple[Any, ...],
                   key: bytes, slot: int, node: Any, conn: Any, traced: bool) -> Any:
        try:
            if conn is None or conn.closed or conn._loop is not _get_running_loop():
                conn = await client._connection(node)
        except retry:
            return await uncached(args, callback, traced)
        tracking = cache.tracked(conn, True)
        token = cache.begin()
        try:
            reply = await wait_reply(conn, conn.execute(args), client._timeout)
        except retry:
            # redirected, retried or lost: not cached this time; the cluster path follows it
            cache.abandon()
            return await uncached(args, callback, traced)
        except BaseException:
            cache.abandon()
            raise
        cache.check_tracking(tracking, node.name)
        if client._topology.slots.primaries[slot] is not node:
            cache.abandon()  # the slot changed owner while the read was in flight
        else:
            cache.end(token, ckey, key, _copy(reply), conn, slot)
        if traced and _observe.hook is not None:
            _observe.hook.peer(node.host, node.port)
        return reply if callback is None else callback(reply)

    client._execute = execute  # type: ignore[method-assign, assignment]
    _forget_after_blocking(client, cache)
    return cache
