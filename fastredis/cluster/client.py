"""``RedisCluster``: the same command mixins and the same multiplexed ``Connection`` as
``Redis``; what changes is only *which* node a command goes to.

* One shared connection per node carries every concurrent command for that node (opened
  once for all callers; a lost one is reopened on next use).
* A command is written once (``fastredis.commands``): this class implements ``_execute`` /
  ``_execute_blocking``; routing comes from the server's ``COMMAND`` (routing.py).
* Redirections: MOVED patches the slot at once and retries at the new owner; ASK writes
  ``ASKING`` and the command back to back on one connection (one synchronous step, so
  nothing of another task can come between them on the FIFO); TRYAGAIN / CLUSTERDOWN back
  off (with jitter) and retry; a bounded number of redirections, then a clear error.
* Never run a command twice: a command whose bytes may have reached a node that was then
  lost is retried only when it is read-only (COMMAND flags); otherwise the caller gets a
  ConnectionError saying its outcome is unknown. A command that was never written (the
  connection could not be opened) is always retried, after a refresh, within a budget.
"""

from __future__ import annotations

import _thread
import asyncio
import random
import sys
from typing import TYPE_CHECKING, Any, AnyStr, Callable, Iterable

import hiredis

from .. import _observe
from .._execution import CONNECTION_STATE as _CONNECTION_STATE
from .._execution import is_blocking as _is_blocking
from .._himport import FIRST as _HFIRST
from .._himport import HEAD as _HHEAD
from .._himport import as_set_command, registry_for, start_set
from .._log import get_logger
from .._pack import pack
from ..backoff import EqualJitterBackoff
from ..client import Redis
from ..commands import CoreCommands
from ..connection import ConnectionParams, parse_url, wait_reply
from ..connection import expire as _expire
from ..exceptions import (
    AskError,
    AuthenticationError,
    BusyLoadingError,
    ClusterDownError,
    ConnectionError,
    DataError,
    MaxConnectionsError,
    MovedError,
    ReadOnlyError,
    RedisError,
    ResponseError,
    TimeoutError,
    TryAgainError,
    WrongLoop,
)
from ..retry import Retry, as_retry
from .batch import _SLOW, command_name, redirect_of, split_fast, split_multi
from .blocking import BlockingCommands
from .commands import ClusterManagementCommands
from .errors import (
    ClusterError,
    CrossSlotError,
    RedisClusterException,
    SlotNotCoveredError,
    TooManyRedirections,
)
from .factories import ClientObjects
from .fanout import FanOut
from .nodes import NodePool, Ticker, node_params
from .options import (
    connection_params,
    count,
    flag,
    read_strategy,
    retry_budget,
    seconds,
    seed_addresses,
)
from .routing import Route, Router
from .selection import NodeSelection
from .slots import (
    PRIMARY,
    REPLICA,
    ROUTING,
    ClusterNode,
    LoadBalancingStrategy,
    SlotCache,
    key_slot,
)
from .topology import Topology

if TYPE_CHECKING:
    from ..himport import HImportRegistry

__all__ = ["RedisCluster"]

log = get_logger("fastredis.cluster")

_ReplyError = hiredis.ReplyError
_pack_command = hiredis.pack_command
_get_running_loop = asyncio.events._get_running_loop
_ASKING = hiredis.pack_command(("ASKING",))
_POOLS_LOCK = _thread.allocate_lock()
_REPLICAS_ONLY = (LoadBalancingStrategy.ROUND_ROBIN_REPLICAS, LoadBalancingStrategy.RANDOM_REPLICA)


def _retrieve(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


class RedisCluster(NodeSelection, FanOut[AnyStr], ClientObjects[AnyStr], BlockingCommands,
                   ClusterManagementCommands, CoreCommands[AnyStr]):
    """An asyncio Redis Cluster client with redis-py's ``RedisCluster`` API.

    ``RedisCluster(host, port)`` or ``RedisCluster(startup_nodes=[ClusterNode(h, p)])``;
    every other keyword (password, username, ssl*, client_name, decode_responses,
    socket_timeout ...) applies to every node."""

    #: redis-py's names (the target_nodes strings are NodeSelection's): the error classes
    #: after which a command is retried (within the rules of docs/cluster.md, "Redirections
    #: and retries": a command that may have run is never sent twice); those that say
    #: nothing of the node
    ERRORS_ALLOW_RETRY: tuple[type[BaseException], ...] = (
        ConnectionError, TimeoutError, ClusterDownError, SlotNotCoveredError)
    NOT_NODE_FAILURE_ERRORS: tuple[type[BaseException], ...] = (AuthenticationError, MaxConnectionsError)
    RedisClusterRequestTTL = 16  #: the default max_redirects
    #: set by __init__ (class-level for redis-py's introspection)
    load_balancing_strategy: LoadBalancingStrategy | None = None

    def __init__(
        self,
        host: str | None = None,
        port: int = 6379,
        startup_nodes: Iterable[ClusterNode] | None = None,
        *,
        require_full_coverage: bool = True,
        read_from_replicas: bool = False,
        load_balancing_strategy: LoadBalancingStrategy | str | Any = None,
        dynamic_startup_nodes: bool = True,
        reinitialize_steps: int | None = None,
        max_redirects: int = 16,
        cluster_error_retry_attempts: int = 6,
        connection_error_retry_attempts: int | None = None,
        retry: Retry | None = None,
        retry_on_error: Iterable[type[BaseException]] | None = None,
        health_check_interval: float | None = None,
        address_remap: Callable[[tuple[str, int]], tuple[str, int]] | None = None,
        refresh_min_interval: float = 0.25,
        topology_check_interval: float | None = 30.0,
        cache: Any = None,
        **kwargs: Any,
    ) -> None:
        seeds = seed_addresses(host, port, startup_nodes)
        params, self.max_connections = connection_params(kwargs)
        self._use_params(params)
        # redis-py's options, each checked here (a wrong type or value raises now) and
        # honoured (docs/cluster.md, "Options")
        self.require_full_coverage = flag("require_full_coverage", require_full_coverage)
        self.load_balancing_strategy = read_strategy(load_balancing_strategy, read_from_replicas)
        self._read_from_replicas = self.load_balancing_strategy is not None
        self._rr: dict[str, int] = {}  # round robin position per primary (as redis-py)
        self._default: ClusterNode | None = None  # get_default_node's, kept until it fails
        self._default_set = False  # chosen by set/replace_default_node (may be a replica)
        if retry is not None:
            retry = as_retry(retry, "RedisCluster()")  # ours, or redis-py's converted
        budget = retry_budget(max_redirects, retry, cluster_error_retry_attempts,
                              connection_error_retry_attempts, retry_on_error)
        self.max_redirects, self.retries, self.connection_retries, self._retry_errors = budget
        #: the retry policy, always a Retry as in redis-py: the caller's, or the default
        #: (``cluster_error_retry_attempts`` retries; 25 ms doubling to 800 ms, each delay
        #: between its half and its whole: a burst of failures does not come back in lock step)
        self._retry = retry if retry is not None else Retry(
            EqualJitterBackoff(cap=0.8, base=0.025), self.retries, self._retry_errors)
        self.health_check_interval = seconds("health_check_interval", health_check_interval)
        self._topology = Topology(seeds, self._connection, address_remap=address_remap,
                                  tls=bool(params.ssl), min_interval=refresh_min_interval,
                                  reinitialize_steps=count("reinitialize_steps", reinitialize_steps, True),
                                  dynamic_startup_nodes=flag("dynamic_startup_nodes", dynamic_startup_nodes))
        self._check_interval = topology_check_interval
        #: what spans and duration points are labelled with (fastredis.telemetry)
        self._counters = _observe.cluster_counters(*seeds[0])
        self._init_state()
        #: the client-side cache (``cache=CacheConfig(...)``, fastredis/cache.py), or None
        self.cache: Any = None if cache is None else self._install_cache(cache)

    def _use_params(self, params: ConnectionParams) -> None:
        self._params = params
        self._timeout: float | None = params.socket_timeout
        self._decode = params.decode_responses
        self._encoding = params.encoding
        utf8 = params.encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        self._arg_encoding = None if utf8 and params.encoding_errors == "strict" else params.encoding
        self._slots = SlotCache(params.encoding, errors=params.encoding_errors)  # recent keys' slots
        self._slot_of = self._slots.slots

    def _init_state(self) -> None:
        self._router: Router | None = None
        self._init_fut: asyncio.Future[Any] | None = None
        check = self._check_interval
        self._tick = Ticker(lambda: check and check * (0.9 + random.random() / 5), self._periodic)
        self._hc = Ticker(lambda: self.health_check_interval, self._health_check)
        # the hot path's one-key routes by command name (filled once initialized, emptied
        # by aclose so that the next command initializes again)
        self._simple: dict[Any, Route] = {}
        # what the cluster made us do (redirections, retries): read by tests and dashboards;
        # rc.stats() adds every node's pool (fastredis._observe.ClusterStats)
        self.stats = _observe.ClusterStats()
        self.stats.topology = self._topology

    def _install_cache(self, cache: Any) -> Any:
        from ..cache import CacheConfig, install_cluster

        if not isinstance(cache, CacheConfig):
            raise DataError(f"cache must be a fastredis.CacheConfig, got {type(cache).__name__!r}")
        return install_cluster(self, cache)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisCluster[Any]:
        """``redis://[[user]:password@]host[:port][?opt=v]`` (``rediss://`` for TLS): the
        URL names one seed node; its options apply to every node."""
        opts = parse_url(url)
        opts.update(kwargs)
        return cls(**opts)

    # ------------------------------------------------------------------ connections
    def _node_params(self, node: ClusterNode) -> ConnectionParams:
        return node_params(self._params, node)

    def _pool(self, node: ClusterNode) -> NodePool:
        """The node's pool (nodes.py), made on first use from the client's parameters."""
        pool: NodePool | None = node.pool
        if pool is None:
            with _POOLS_LOCK:  # two threads using a new node at once make one pool
                pool = node.pool
                if pool is None:
                    pool = node.pool = NodePool(node, self._params, max_connections=self.max_connections,
                                                on_connect=self.on_connect, on_lost=self._lost)
        return pool

    async def _connection(self, node: ClusterNode) -> Any:
        """The node's shared connection on this event loop (opened once for every
        waiting caller; each live loop has its own, see nodes.py)."""
        return await self._pool(node).get_shared()

    async def on_connect(self, connection: Any) -> None:
        """Run on every new node connection before any command is sent on it (redis-py's
        hook, for subclasses): sends READONLY when reads may go to replicas."""
        if self._read_from_replicas:
            # before any command on this connection (FIFO): reads may go to a replica
            connection.send_and_forget(("READONLY",))

    def _lost(self, node: ClusterNode) -> None:
        """A shared connection to ``node`` was lost (nodes.py)."""
        topo = self._topology
        if topo.closing:
            return
        if node is self._default:
            self.replace_default_node()  # another primary (redis-py does the same)
            self._default_set = False
        if node.server_type == PRIMARY and topo.nodes.get(node.name) is node:
            log.warning("connection to cluster primary %s lost; refreshing the slot map", node.name)
            topo.request_refresh()

    # ------------------------------------------------------------------ lifecycle
    async def initialize(self) -> RedisCluster[Any]:
        """Learn the slot map and the command table (done by the first command too)."""
        if self._router is not None and self._topology.slots.view and not self._topology.closing:
            return self  # (after aclose: initialize again, or nothing could reconnect)
        loop = asyncio.get_running_loop()
        fut = self._init_fut
        if fut is None or fut.get_loop() is not loop or (fut.done() and fut.exception()):
            fut = self._init_fut = asyncio.ensure_future(self._initialize())
            fut.add_done_callback(_retrieve)
        await asyncio.shield(fut)
        return self

    async def _initialize(self) -> None:
        topo = self._topology
        topo.closing = False
        if not topo.slots.view or (self.require_full_coverage and topo.slots.uncovered()):
            await topo.refresh()
            gaps = topo.slots.uncovered_ranges() if self.require_full_coverage else ()
            if gaps:
                shown = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in gaps[:8])
                raise ClusterError(
                    f"The cluster does not cover every slot ({sum(b - a + 1 for a, b in gaps)} of "
                    f"16384 not served: {shown}{' ...' if len(gaps) > 8 else ''}); "
                    "pass require_full_coverage=False to start anyway")
        if self._router is None:
            node = random.choice(topo.primaries())
            conn = await self._connection(node)
            try:
                self._router = Router(await conn.execute(("COMMAND",)))
            except ResponseError as exc:  # renamed / denied by ACL: the small static table
                log.warning("COMMAND unavailable (%s): routing from the static fallback table", exc)
                self._router = Router(None)
        self._tick.start()
        self._hc.start()

    def _periodic(self, _loop: Any) -> bool:
        """topology_check_interval: a cheap refresh (a map that changed with no traffic to
        tell us)."""
        if self._topology.closing:
            return False
        self._topology.request_refresh()
        return True

    def _health_check(self, loop: asyncio.AbstractEventLoop) -> bool:
        """health_check_interval: each node's idle shared connection on this loop answers
        a PING (NodePool.ping_idle; a busy connection proves itself)."""
        if self._topology.closing:
            return False
        limit = self._timeout or self._params.connect_timeout or 10.0
        for node in self._topology.nodes.values():
            if node.pool is not None:
                node.pool.ping_idle(loop, limit)
        return True

    async def aclose(self) -> None:
        """Close every node connection; the client reconnects if used again."""
        self._tick.stop()
        self._hc.stop()
        if self.cache is not None:
            self.cache.close()  # every node connection (and what it tracked) goes now
        closing = self._topology.close()  # every node's pool, on every loop
        self._init_fut = None
        self._simple.clear()  # the next command goes through initialize() again
        for waits in closing:  # this loop's sockets (another loop's close on it, unwaited)
            await waits

    close = aclose

    async def __aenter__(self) -> RedisCluster[Any]:
        return await self.initialize()

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __await__(self) -> Any:
        return self.initialize().__await__()

    def __repr__(self) -> str:
        seeds = ",".join(f"{h}:{p}" for h, p in self._topology.seeds)
        return f"<fastredis.RedisCluster seeds={seeds} nodes={len(self._topology.nodes)} {self._params!r}>"

    # ------------------------------------------------------------------ nodes (redis-py API)


    @property
    def connection_kwargs(self) -> dict[str, Any]:
        """The connection options every node connection is opened with (a copy)."""
        return {name: getattr(self._params, name) for name in ConnectionParams.__slots__
                if name != "negotiated"}  # (what the servers answered: not an option)

    # the same user callbacks as Redis (applied to execute_command replies)
    response_callbacks = Redis.response_callbacks
    set_response_callback = Redis.set_response_callback


    # ------------------------------------------------------------------ execution
    def _reply_protocol(self) -> int:
        return self._params.reply_protocol

    async def _execute(self, args: tuple[Any, ...], callback: Callable[..., Any] | None = None,
                       _traced: bool = False) -> Any:
        # The hot path (a one-key command at args[1] whose node connection is up): a dict
        # lookup for the route, one for the slot, a list index for the node, then the
        # same Connection.execute as Redis. ~1 us over Redis.get (see docs/benchmarks.md).
        if _observe.hook is not None and not _traced:  # fastredis.telemetry: span + metrics
            return await _observe.hook.command(self._counters, args, RedisCluster._execute(self, args, callback, True),
                                               track=True)
        route = self._simple.get(args[0])
        if route is not None and len(args) > 1:
            key = args[1]
            cls = key.__class__
            slot = self._slot_of.get(key) if cls is str or cls is bytes else None
            if slot is None:
                slot = self._slots.slot(key)
            readonly = route.readonly
            if readonly and self._read_from_replicas:
                node = self._node_for(slot, readonly)
            else:
                node = self._topology.slots.primaries[slot]
            conn = node.connection if node is not None else None
            if conn is None or conn.closed or conn._loop is not _get_running_loop():
                reply = await self._run_slot(slot, args, readonly, start=node)
            else:
                # anything but a plain reply is handled by _run_slot from this very future
                # (a TimeoutError too: it re-raises it)
                fut = conn.execute(args)
                timeout = self._timeout
                try:
                    if timeout is None:
                        reply = await fut
                    else:
                        handle = conn._loop.call_later(timeout, _expire, fut, timeout, conn)
                        try:
                            reply = await fut
                        finally:
                            handle.cancel()
                except RedisError:
                    reply = await self._run_slot(slot, args, readonly, (node, conn, fut))  # type: ignore[arg-type]
                else:
                    if _traced and _observe.hook is not None:
                        _observe.hook.peer(node.host, node.port)  # type: ignore[union-attr]
            return reply if callback is None else callback(reply)
        router = self._router
        if router is None or self._init_fut is None:
            await self.initialize()
            router = self._router
            assert router is not None
        route = router.lookup(args)
        if route is not None and route.simple and len(args) > 1:
            if route.subcommands is None and len(self._simple) < 1024:
                self._simple[args[0]] = route  # as spelt by the caller: "GET", b"get" ...
            reply = await self._run_slot(self._slots.slot(args[1]), args, route.readonly)
            return reply if callback is None else callback(reply)
        if route is not None:
            step = route.split_step  # MGET k.. / MSET k v ..: no key search needed
            if step and len(args) > 1 + step and not (len(args) - 1) % step and self._timeout is None:
                reply = await split_fast(self, args, route, step)
                if reply is not _SLOW:
                    return reply if callback is None else callback(reply)
        return await self._dispatch(args, route, None, callback)


    @property
    def retry(self) -> Retry:
        """The retry policy (redis-py's attribute): always a Retry, see ``retry=``."""
        return self._retry

    @retry.setter
    def retry(self, retry: Any) -> None:
        self.set_retry(retry)

    def set_retry(self, retry: Any) -> None:
        """redis-py's setter: a new policy (ours or redis-py's Retry); its retries replace
        the current number of retries, as ``retry=`` does."""
        self._retry = as_retry(retry, "RedisCluster.set_retry()")
        n = self._retry.get_retries()
        self.retries = self.connection_retries = n if n >= 0 else sys.maxsize  # -1: no limit

    async def _backoff(self, attempt: int) -> None:
        delay = self._retry.backoff.compute(attempt)  # (redis-py: retry=Retry(backoff, n))
        if delay > 0:
            await asyncio.sleep(delay)

    async def _dispatch(self, args: tuple[Any, ...], route: Route | None, target: Any,
                        callback: Callable[..., Any] | None) -> Any:
        """Everything but the one-key hot path: multi-key, keyless, targeted commands."""
        if target is not None:
            return await self._fan_out(self._resolve(target), args, route, callback, True)
        if route is None:  # not a command of this server: let one node say so
            return await self._fan_out([self.get_default_node()], args, None, callback, False)
        # (MGET k.. / MSET k v ..: _execute tried split_fast first)
        positions = route.positions(args)
        slots: set[int] | None
        per_key: list[int] | None = None
        if positions is None:
            slots = await self._server_keys(args)
        else:
            enc = self._encoding
            per_key = [key_slot(args[i], enc) for i in positions]
            slots = set(per_key)
        if not slots and positions is not None and route.first > 0 and route.subcommands is None:
            # a command that takes keys, given none: no node to send it to (redis-py's error),
            # and nothing sent
            raise RedisClusterException(
                "No way to dispatch this command to Redis Cluster. Missing key.\nYou can "
                f"execute the command by specifying target nodes.\nCommand: {command_name(args)}")
        if slots:
            if len(slots) == 1:
                reply = await self._run_slot(slots.pop(), args, route.readonly)
                return reply if callback is None else callback(reply)
            if route.request_policy == "multi_shard" and positions:
                items, combine = split_multi(self, args, route, positions, per_key)
                await self._run_many(items)
                reply = combine(items)
                return reply if callback is None else callback(reply)
            raise CrossSlotError(
                f"{command_name(args)}: its keys hash to {len(slots)} different slots; keys of one "
                "command must share a slot (use a hash tag: {user1}:a, {user1}:b)"
            )
        return await self._fan_out(self._keyless_nodes(route), args, route, callback, False)

    async def _run_slot(self, slot: int, args: tuple[Any, ...], readonly: bool,
                        sent: tuple[ClusterNode, Any, asyncio.Future[Any]] | None = None,
                        start: ClusterNode | None = None) -> Any:
        """One command for one slot, through every redirection and retry it needs.
        ``sent``: the command was already written (the hot path in ``_execute``) and this
        future failed; its error is handled as if it happened here."""
        tries = _Tries()
        node: ClusterNode | None = start  # the node _execute chose (replicas rotate)
        asking = False
        while True:
            if sent is not None:
                node, conn, fut = sent
                sent = None
            else:
                if node is None:
                    node = await self._owner(slot, readonly, tries)
                    if node is None:
                        continue
                written = await self._send(node, args, asking, slot, tries)
                if written is None:  # nothing was written: start again from the map
                    node, asking = None, False
                    continue
                conn, fut = written
            try:
                reply = await (fut if self._timeout is None else wait_reply(conn, fut, self._timeout))
            except Exception as exc:
                node, asking = await self._next_try(exc, node, slot, args, readonly, tries)
            else:
                if _observe.hook is not None:  # the node that answered, on the command's span
                    _observe.hook.peer(node.host, node.port)
                return reply

    async def _owner(self, slot: int, readonly: bool, tries: _Tries) -> ClusterNode | None:
        """The node for ``slot``; None (after a refresh) while nobody serves it."""
        node = self._node_for(slot, readonly)
        if node is None:  # an uncovered slot: the map is stale or the cluster is down
            tries.attempts += 1
            if tries.attempts > self.retries:
                raise SlotNotCoveredError(
                    f"Slot {slot} is not served by any node (cluster down, or not covered: "
                    f"{self._topology.slots.uncovered()} slots are not)") from tries.last
            self.stats["retry:SlotNotCovered"] += 1
            await self._topology.refresh()
            if tries.attempts > 1:
                await self._backoff(tries.attempts)
        return node

    async def _send(self, node: ClusterNode, args: tuple[Any, ...], asking: bool, slot: int,
                    tries: _Tries) -> tuple[Any, asyncio.Future[Any]] | None:
        """Write the command on the node's connection (after ASKING, in one synchronous
        step: adjacent on the FIFO); None when the node cannot be reached (nothing was
        written: always safe to try again, after a refresh, within its budget)."""
        conn = node.connection
        try:
            if conn is None or conn.closed or conn._loop is not _get_running_loop():
                conn = await self._connection(node)
            if args[0] == "HIMPORT" and args[1] == "SET":  # (from _himport_set only)
                # prepared on this very connection first, in the same write, with
                # ASKING right before the SET (fastredis._himport)
                return conn, start_set(registry_for(self), conn, args, asking)
            if asking:
                conn.send_and_forget(("ASKING",))
            return conn, conn.execute(args)
        except AuthenticationError:
            raise
        except WrongLoop:
            node.connection = None
            ROUTING.bump()
            return await self._send(node, args, asking, slot, tries)
        except (ConnectionError, TimeoutError, OSError) as exc:
            tries.lost += 1
            tries.last = exc
            if tries.lost > self.connection_retries:
                raise ConnectionError(
                    f"Cannot reach {node.name} (slot {slot}) after {tries.lost} attempts: {exc}") from exc
            self.stats["retry:connect"] += 1
            self._topology.request_refresh()
            await self._backoff(tries.lost)
            return None

    async def _next_try(self, exc: Exception, node: ClusterNode, slot: int, args: tuple[Any, ...],
                        readonly: bool, tries: _Tries) -> tuple[ClusterNode | None, bool]:
        """After the command failed on ``node`` with ``exc``: where to send it next, and
        whether with ASKING (None: the slot's owner from the map); else ``exc`` (or a
        clearer error) is raised. A command is sent again only when it did not run, or
        is read-only."""
        topo = self._topology
        if isinstance(exc, (MovedError, AskError)):
            moved = isinstance(exc, MovedError)
            self.stats["moved" if moved else "ask"] += 1
            tries.redirects += 1
            if tries.redirects > self.max_redirects:
                raise TooManyRedirections(
                    f"{command_name(args)}: more than {self.max_redirects} redirections (last: {exc})"
                ) from exc
            s, addr = redirect_of(exc, node)
            if _observe.hook is not None:  # an event on the command's span
                _observe.hook.redirect("MOVED" if moved else "ASK", s, addr)
            return (topo.moved(s, addr), False) if moved else (topo.node(addr), True)
        if isinstance(exc, (TryAgainError, ClusterDownError, ReadOnlyError, BusyLoadingError)):
            # not run: TRYAGAIN (keys split by a migration), CLUSTERDOWN, READONLY (a
            # write reached a demoted primary), LOADING (a replica still loading)
            self.stats["retry:" + type(exc).__name__] += 1
            tries.attempts += 1
            tries.last = exc
            if tries.attempts > self.retries:
                raise exc
            if not isinstance(exc, TryAgainError):
                topo.request_refresh()
            if isinstance(exc, BusyLoadingError) and node.server_type == REPLICA:
                return topo.slots.primaries[slot], False  # read it from the primary instead
            await self._backoff(tries.attempts)
            return None, False
        if isinstance(exc, ConnectionError):
            if not readonly:
                raise ConnectionError(
                    f"Connection to {node.name} was lost while {command_name(args)} was in flight: "
                    "its outcome is unknown (not retried: only read-only commands are)"
                ) from exc
            tries.lost += 1
            if tries.lost > self.connection_retries:
                raise exc
            self.stats["retry:connect"] += 1
            topo.request_refresh()
            await self._backoff(tries.lost)
            return None, False
        # retry_on_error / retry's supported errors (TimeoutError ...): the command reached
        # the node, so only a read-only one goes again (never run twice)
        if not (readonly and isinstance(exc, self._retry_errors)):
            raise exc
        tries.attempts += 1
        if tries.attempts > self.retries:
            raise exc
        self.stats["retry:" + type(exc).__name__] += 1
        log.warning("retrying %s on slot %d (attempt %d) after: %s", command_name(args), slot,
                    tries.attempts + 1, exc or type(exc).__name__)
        await self._backoff(tries.attempts)
        return None, False

    def _pack_fast(self, args: tuple[Any, ...]) -> bytes:
        if self._arg_encoding is None:
            try:
                data: bytes = _pack_command(args)
                return data
            except TypeError:
                pass
        return self._pack(args)

    def _pack(self, args: tuple[Any, ...]) -> bytes:
        enc = self._arg_encoding
        if enc is None:
            return pack(args)
        return pack(args, enc, self._params.encoding_errors)


    async def execute_command(self, *args: Any, target_nodes: Any = None, **options: Any) -> Any:
        """Any command; routed by its keys (or to ``target_nodes``); the raw reply."""
        if not args:
            raise DataError("execute_command needs a command name")
        name = args[0]
        if isinstance(name, (str, bytes)) and name.upper() in _CONNECTION_STATE:
            raise DataError(f"{name!r} changes the state of a connection that other tasks share")
        cb = Redis._user_callback(self, name, options)  # type: ignore[arg-type]  # set_response_callback
        if target_nodes is not None:
            return await self._execute_targeted(args, cb, target_nodes)
        if _is_blocking(args):
            return await self._execute_blocking(args, cb)
        if name.__class__ in (str, bytes) and name[:1] in _HFIRST and name[:7].upper() in _HHEAD:
            set_args = as_set_command(args)
            if set_args is not None:  # routed by its key and prepared, as himport_set
                reply = await self._himport_set(set_args, raw=True)
                return reply if cb is None else cb(reply)
        return await self._execute(args, cb)

    # HIMPORT: one registry for the whole cluster (as redis-py's); each node connection
    # that carries an HIMPORT SET holds what it prepared (fastredis._himport)
    def _himport_registry(self) -> HImportRegistry:
        return registry_for(self)

    async def _himport_set(self, args: tuple[Any, ...], raw: bool = False, _traced: bool = False) -> Any:
        """HIMPORT SET on its key's slot owner, through every redirection as any command;
        each write composed on the connection that carries it (``_send``)."""
        if _observe.hook is not None and not _traced:  # fastredis.telemetry: span + metrics
            return await _observe.hook.command(self._counters, args, self._himport_set(args, raw, True),
                                               track=True)
        if self._router is None or self._init_fut is None:
            await self.initialize()
        reply = await self._run_slot(self._slots.slot(args[2]), args, False)
        return reply if raw else reply == b"OK" or reply == "OK"


    # ------------------------------------------------------------------ objects


class _Tries:
    """One command's redirections and retries so far (``_run_slot``): each kind has its
    own budget (max_redirects, retries, connection_retries)."""

    __slots__ = ("redirects", "attempts", "lost", "last")

    def __init__(self) -> None:
        self.redirects = self.attempts = self.lost = 0  # lost: connection failures
        self.last: BaseException | None = None


_ = RedisError
