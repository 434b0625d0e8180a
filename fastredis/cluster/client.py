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
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, AnyStr, AsyncIterator, Callable, Iterable

import hiredis

from .._execution import CONNECTION_STATE as _CONNECTION_STATE
from .._execution import block_seconds as _block_seconds
from .._execution import is_blocking as _is_blocking
from .._log import get_logger
from .._pack import pack
from .._params import split_params as _split_params
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
from ..retry import Retry
from ..typing import PatternT, TargetNodesT
from .batch import _SLOW, _Item, command_name, redirect_of, run_many, split_fast, split_multi
from .commands import ClusterManagementCommands
from .errors import (
    ClusterError,
    CrossSlotError,
    RedisClusterException,
    SlotNotCoveredError,
    TooManyRedirections,
)
from .nodes import NodePool, node_params
from .routing import Route, Router, check_target_nodes, merge_replies
from .slots import (
    PRIMARY,
    REPLICA,
    ClusterNode,
    LoadBalancingStrategy,
    SlotCache,
    key_slot,
    split_address,
)
from .topology import Topology

if TYPE_CHECKING:
    from ..lock import Lock
    from ..typing import KeyT, Number
    from .pipeline import ClusterPipeline  # (pipeline.py imports this module)

__all__ = ["RedisCluster"]

log = get_logger("fastredis.cluster")

_ReplyError = hiredis.ReplyError
_pack_command = hiredis.pack_command
_get_running_loop = asyncio.events._get_running_loop
_ASKING = hiredis.pack_command(("ASKING",))
_POOLS_LOCK = _thread.allocate_lock()
_REPLICAS_ONLY = (LoadBalancingStrategy.ROUND_ROBIN_REPLICAS, LoadBalancingStrategy.RANDOM_REPLICA)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"RedisCluster option {name!r} takes True or False, got {type(value).__name__}")
    return value


def _count(name: str, value: Any, none_ok: bool = False) -> int | None:
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"RedisCluster option {name!r} takes an int, got {type(value).__name__}")
    if value < 0:
        raise DataError(f"RedisCluster option {name!r} must be >= 0, got {value}")
    return value


def _seconds(name: str, value: Any) -> float | None:
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"RedisCluster option {name!r} takes seconds (a number), got {type(value).__name__}")
    if value < 0:
        raise DataError(f"RedisCluster option {name!r} must be >= 0, got {value}")
    return float(value)


def _error_classes(value: Any) -> tuple[type[BaseException], ...]:
    if value is None:
        return ()
    if isinstance(value, type) or isinstance(value, (str, bytes)):
        raise TypeError("retry_on_error takes a list of exception classes")
    out = tuple(value)
    for e in out:
        if not (isinstance(e, type) and issubclass(e, BaseException)):
            raise TypeError(f"retry_on_error takes exception classes, got {e!r}")
    return out


def _retrieve(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


class RedisCluster(ClusterManagementCommands, CoreCommands[AnyStr]):
    """An asyncio Redis Cluster client with redis-py's ``RedisCluster`` API.

    ``RedisCluster(host, port)`` or ``RedisCluster(startup_nodes=[ClusterNode(h, p)])``;
    every other keyword (password, username, ssl*, client_name, decode_responses,
    socket_timeout ...) applies to every node."""

    PRIMARIES = "primaries"
    REPLICAS = "replicas"
    ALL_NODES = "all"
    RANDOM = "random"
    DEFAULT_NODE = "default-node"
    #: redis-py's names: the target_nodes strings; the error classes after which a command
    #: is retried (within the rules of docs/cluster.md, "Redirections and retries": a
    #: command that may have run is never sent twice); those that say nothing of the node
    NODE_FLAGS = frozenset((PRIMARIES, REPLICAS, ALL_NODES, RANDOM, DEFAULT_NODE))
    ERRORS_ALLOW_RETRY: tuple[type[BaseException], ...] = (
        ConnectionError, TimeoutError, ClusterDownError, SlotNotCoveredError)
    NOT_NODE_FAILURE_ERRORS: tuple[type[BaseException], ...] = (AuthenticationError, MaxConnectionsError)
    RedisClusterRequestTTL = 16  #: the default max_redirects
    #: set by __init__ (class-level for redis-py's introspection)
    load_balancing_strategy: LoadBalancingStrategy | None = None
    retry: Retry | None = None

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
        seeds = [(n.host, n.port) for n in startup_nodes or ()]
        if host is not None:
            seeds.append((host, int(port)))
        if not seeds:
            raise ClusterError("RedisCluster requires at least one node to discover the cluster: "
                               "give host= or startup_nodes=")
        params, pool_kw, rest = _split_params(kwargs)
        max_connections = pool_kw.pop("max_connections", None)
        if pool_kw:
            # our pool's options: there is no pool here, so say so rather than drop them
            raise TypeError(
                f"RedisCluster does not take the connection pool options {sorted(pool_kw)}: it keeps "
                "one multiplexed connection per node (plus one per blocking command or WATCH in "
                "flight, which max_connections bounds)")
        if rest:
            raise TypeError(f"RedisCluster() got unexpected keyword arguments: {sorted(rest)}")
        if params.db:
            raise DataError("Redis Cluster has only database 0 (db= must be 0)")
        if params.path:
            raise DataError("Redis Cluster nodes are reached over TCP, not a unix socket")
        self._params = params
        self._timeout: float | None = params.socket_timeout
        self._decode = params.decode_responses
        self._encoding = params.encoding
        utf8 = params.encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        self._arg_encoding = None if utf8 and params.encoding_errors == "strict" else params.encoding
        # redis-py's options, each checked here (a wrong type or value raises now) and
        # honoured (docs/cluster.md, "Options")
        self.require_full_coverage = _flag("require_full_coverage", require_full_coverage)
        #: how reads pick a node of their shard (None: the primary)
        self.load_balancing_strategy = LoadBalancingStrategy.of(load_balancing_strategy)
        if _flag("read_from_replicas", read_from_replicas) and self.load_balancing_strategy is None:
            self.load_balancing_strategy = LoadBalancingStrategy.ROUND_ROBIN  # as redis-py
        self._read_from_replicas = self.load_balancing_strategy is not None
        self._rr: dict[str, int] = {}  # round robin position per primary (as redis-py)
        self._default: ClusterNode | None = None  # get_default_node's, kept until it fails
        self._default_set = False  # chosen by set/replace_default_node (may be a replica)
        self.max_redirects = _count("max_redirects", max_redirects) or 0
        if retry is not None and not isinstance(retry, Retry):
            raise TypeError(f"RedisCluster(retry=...) takes a fastredis.retry.Retry, got {type(retry).__name__}")
        self.retry = retry
        #: budget of retries after CLUSTERDOWN, TRYAGAIN, READONLY, LOADING, a slot nobody
        #: serves and the retry_on_error errors (retry.get_retries() when retry= is given,
        #: as in redis-py, where it replaces cluster_error_retry_attempts)
        attempts = _count("cluster_error_retry_attempts", cluster_error_retry_attempts) or 0
        self.retries = retry.get_retries() if retry is not None else attempts
        if self.retries < 0:  # Retry(..., -1): without limit
            self.retries = sys.maxsize
        #: ... and after connection failures (a node that cannot be reached, a read-only
        #: command whose connection was lost): connection_error_retry_attempts, or the same
        conn_attempts = _count("connection_error_retry_attempts", connection_error_retry_attempts, True)
        self.connection_retries = self.retries if conn_attempts is None else conn_attempts
        # errors retried besides the cluster's own: retry_on_error, and retry's
        # supported_errors (TimeoutError: only for read-only commands, never run twice)
        extra = _error_classes(retry_on_error)
        if retry is not None:
            extra = retry.supported_errors + extra
        self._retry_errors = tuple(dict.fromkeys(e for e in extra if not issubclass(e, ConnectionError)))
        self.health_check_interval = _seconds("health_check_interval", health_check_interval)
        #: redis-py's per-node bound: the shared connection plus the exclusive ones
        #: (blocking commands, WATCH) open at once; one more raises MaxConnectionsError
        self.max_connections = _count("max_connections", max_connections, none_ok=True)
        if self.max_connections is not None and self.max_connections < 1:
            raise DataError("RedisCluster option 'max_connections' must be >= 1 (the shared connection)")
        self._hc: asyncio.TimerHandle | None = None
        self._hc_loop: asyncio.AbstractEventLoop | None = None
        steps = _count("reinitialize_steps", reinitialize_steps, True)
        self._check_interval = topology_check_interval
        self._topology = Topology(seeds, self._connection, address_remap=address_remap,
                                  tls=bool(params.ssl), min_interval=refresh_min_interval,
                                  reinitialize_steps=steps,
                                  dynamic_startup_nodes=_flag("dynamic_startup_nodes", dynamic_startup_nodes))
        self._router: Router | None = None
        self._init_fut: asyncio.Future[Any] | None = None
        self._tick: asyncio.TimerHandle | None = None
        self._tick_loop: asyncio.AbstractEventLoop | None = None
        # hot-path caches: one-key routes by command name (filled once initialized, emptied
        # by aclose so that the next command initializes again) and recent keys' slots
        self._simple: dict[Any, Route] = {}
        self._slots = SlotCache(params.encoding, errors=params.encoding_errors)
        self._slot_of = self._slots.slots
        # what the cluster made us do (redirections, retries): read by tests and dashboards
        self.stats: Counter[str] = Counter()
        #: the client-side cache (``cache=CacheConfig(...)``, fastredis/cache.py), or None
        self.cache: Any = None
        if cache is not None:
            from ..cache import CacheConfig, install_cluster

            if not isinstance(cache, CacheConfig):
                raise DataError(f"cache must be a fastredis.CacheConfig, got {type(cache).__name__!r}")
            self.cache = install_cluster(self, cache)

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
        self._schedule_check()
        self._schedule_health_check()

    def _schedule_check(self) -> None:
        """A cheap periodic refresh (a map that changed with no traffic to tell us)."""
        loop = asyncio.get_running_loop()
        if self._tick is not None and self._tick_loop is not loop:
            self._tick.cancel()  # left behind by a previous event loop
            self._tick = None
        if self._check_interval and self._tick is None:
            self._tick_loop = loop
            self._tick = loop.call_later(self._check_interval * (0.9 + random.random() / 5),
                                         self._periodic)

    def _periodic(self) -> None:
        self._tick = None
        if self._topology.closing:
            return
        self._topology.request_refresh()
        self._schedule_check()

    # ------------------------------------------------------------------ health check
    def _schedule_health_check(self) -> None:
        """health_check_interval: every interval, each node's idle shared connection on
        this loop answers a PING (NodePool.ping_idle; a busy connection proves itself)."""
        interval = self.health_check_interval
        if interval is None:
            return
        loop = asyncio.get_running_loop()
        if self._hc is not None and self._hc_loop is not loop:
            self._hc.cancel()
            self._hc = None
        if self._hc is None:
            self._hc_loop = loop
            self._hc = loop.call_later(interval, self._health_check)

    def _health_check(self) -> None:
        self._hc = None
        loop = self._hc_loop
        if self._topology.closing or loop is None:
            return
        limit = self._timeout or self._params.connect_timeout or 10.0
        for node in self._topology.nodes.values():
            if node.pool is not None:
                node.pool.ping_idle(loop, limit)
        self._hc = loop.call_later(self.health_check_interval or 0, self._health_check)

    async def aclose(self) -> None:
        """Close every node connection; the client reconnects if used again."""
        for handle, its_loop in ((self._tick, self._tick_loop), (self._hc, self._hc_loop)):
            if handle is None:
                continue
            if its_loop is None or its_loop is asyncio.get_running_loop():
                handle.cancel()
            elif not its_loop.is_closed():  # never touch another loop's timer from here
                its_loop.call_soon_threadsafe(handle.cancel)
        self._tick = self._hc = None
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
    def get_nodes(self) -> list[ClusterNode]:
        return list(self._topology.nodes.values())

    def get_primaries(self) -> list[ClusterNode]:
        return self._topology.primaries()

    def get_replicas(self) -> list[ClusterNode]:
        return self._topology.replicas()

    def get_random_node(self) -> ClusterNode:
        return random.choice(self.get_nodes())

    def get_default_node(self) -> ClusterNode:
        """The node keyless commands go to: a primary chosen once and kept (redis-py's
        default node) until ``set_default_node`` / ``replace_default_node``, its
        connection is lost, or it leaves the cluster or stops being a primary."""
        node = self._default
        if (node is None or self._topology.nodes.get(node.name) is not node
                or node.server_type != PRIMARY and not self._default_set):
            node = self._default = random.choice(self.get_primaries())
            self._default_set = False
        return node

    def set_default_node(self, node: ClusterNode | None) -> None:
        """Send keyless commands to ``node`` (a node of the cluster, else a DataError)."""
        known = self.get_node(node_name=node.name) if node is not None else None
        if known is None:
            raise DataError("The requested node does not exist in the cluster.")
        self._default = known
        self._default_set = True  # a replica stays the default if you chose it

    def replace_default_node(self, target_node: ClusterNode | None = None) -> None:
        """A new default node: ``target_node``, else another primary at random (else a
        replica); unchanged when the cluster has no other node (redis-py's rule)."""
        if target_node is not None:
            self.set_default_node(target_node)
            return
        current = self._default
        others = [n for n in self.get_primaries() if n is not current] or \
                 [n for n in self.get_replicas() if n is not current]
        if others:
            self._default = random.choice(others)
            self._default_set = True

    def get_random_primary_node(self) -> ClusterNode:
        return random.choice(self.get_primaries())

    def get_random_primary_or_all_nodes(self, command_name: str) -> ClusterNode:
        """Where redis-py sends a keyless command: any node for a read when reads may go
        to replicas, else a primary."""
        route = self._router.lookup((command_name,)) if self._router is not None else None
        if self._read_from_replicas and route is not None and route.readonly:
            return self.get_random_node()
        return self.get_random_primary_node()

    async def get_keyless_target_node(self, command_name: str) -> ClusterNode:
        """The node a keyless ``command_name`` would go to now (one of them, for the
        commands that go to several)."""
        await self.initialize()
        assert self._router is not None
        route = self._router.lookup((command_name,))
        if route is None:
            return self.get_default_node()
        return self._keyless_nodes(route)[0]

    async def get_nodes_from_slot(self, command: str, *args: Any) -> list[ClusterNode]:
        """The primaries serving the slots of the command's keys."""
        await self.initialize()
        assert self._router is not None
        cmd = (command, *args)
        route = self._router.lookup(cmd)
        positions = route.positions(cmd) if route is not None else None
        slots = ({key_slot(cmd[i], self._encoding) for i in positions} if positions is not None
                 else await self._server_keys(cmd))
        if not slots:
            raise RedisClusterException(f"No way to dispatch {command} to Redis Cluster: it has no key")
        return list(dict.fromkeys(self.get_node_of_slot(s) for s in sorted(slots)))

    def get_node_of_slot(self, slot: int) -> ClusterNode:
        """The primary serving ``slot`` (a SlotNotCoveredError if none does)."""
        if isinstance(slot, bool) or not isinstance(slot, int) or not 0 <= slot < 16384:
            raise DataError(f"a slot is an int in 0..16383, got {slot!r}")
        node = self._topology.slots.primaries[slot]
        if node is None:
            raise SlotNotCoveredError(f'Slot "{slot}" is not covered by the cluster.')
        return node

    @property
    def read_from_replicas(self) -> bool:
        """True when reads may go to replicas (read_from_replicas= or a load_balancing_strategy).
        Settable, as in redis-py: True sends READONLY (False: READWRITE) on every open node
        connection before any later command on it, and reads follow round robin (or stop
        going to replicas)."""
        return self._read_from_replicas

    @read_from_replicas.setter
    def read_from_replicas(self, value: bool) -> None:
        value = _flag("read_from_replicas", value)
        if value == self._read_from_replicas:
            return
        self.load_balancing_strategy = LoadBalancingStrategy.ROUND_ROBIN if value else None
        self._read_from_replicas = value
        self._simple.clear()  # routes cached for the hot path are re-learnt
        cmd = ("READONLY",) if value else ("READWRITE",)
        here = _get_running_loop()
        for conn in self._topology.all_connections():
            if conn._loop is here or here is None and not conn._loop.is_running():
                conn.send_and_forget(cmd)
            elif not conn._loop.is_closed():  # another thread's loop: asked, not touched
                conn._loop.call_soon_threadsafe(conn.send_and_forget, cmd)

    @property
    def reinitialize_steps(self) -> int | None:
        """A full refresh after every Nth MOVED (None: every MOVED asks for one, rate-limited)."""
        return self._topology.reinitialize_steps

    @property
    def reinitialize_counter(self) -> int:
        """MOVED answers counted towards the next reinitialize_steps refresh."""
        return self._topology._moved

    @property
    def node_flags(self) -> frozenset[str]:
        return self.NODE_FLAGS

    @property
    def connection_kwargs(self) -> dict[str, Any]:
        """The connection options every node connection is opened with (a copy)."""
        return {name: getattr(self._params, name) for name in ConnectionParams.__slots__}

    # the same user callbacks as Redis (applied to execute_command replies)
    response_callbacks = Redis.response_callbacks
    set_response_callback = Redis.set_response_callback

    def lock(
        self,
        name: KeyT,
        timeout: Number | None = None,
        sleep: Number = 0.1,
        blocking: bool = True,
        blocking_timeout: Number | None = None,
        lock_class: type[Lock] | None = None,
        thread_local: bool = True,
        raise_on_release_error: bool = True,
        *,
        auto_renew: bool = False,
        on_renewal_failed: Callable[[Lock, BaseException], Any] | None = None,
    ) -> Lock:
        """A :class:`~fastredis.lock.Lock` on key ``name``, on the primary of its slot
        (redis-py's signature; the same Lock as ``Redis.lock``, see docs/lock.md)."""
        from ..lock import Lock

        cls = Lock if lock_class is None else lock_class
        return cls(
            self, name, timeout=timeout, sleep=sleep, blocking=blocking,
            blocking_timeout=blocking_timeout, thread_local=thread_local,
            raise_on_release_error=raise_on_release_error, auto_renew=auto_renew,
            on_renewal_failed=on_renewal_failed,
        )

    async def mget_nonatomic(self, keys: KeyT | Iterable[KeyT], *args: KeyT) -> list[AnyStr | None]:
        """MGET split per slot (one MGET per slot, every node at once), values in the
        order of ``keys``; not atomic across slots. The same as ``mget`` on a cluster."""
        names: list[Any] = [*keys, *args] if isinstance(keys, (list, tuple)) else [keys, *args]
        if not names:
            return []  # as redis-py
        return await self.mget(names)

    async def mset_nonatomic(self, mapping: Mapping[KeyT, Any]) -> list[bool]:
        """MSET split per slot: one MSET per slot, in one pipeline; a list of True, one per
        slot, in the order each slot first appears (redis-py's shape). Not atomic across
        slots."""
        pipe = self.pipeline()
        pipe.mset_nonatomic(mapping)
        return await pipe.execute()

    async def client_setname(self, name: str | bytes,
                             target_nodes: TargetNodesT | None = None) -> bool:
        """CLIENT SETNAME on the shared connection of ``target_nodes`` (default: the
        default node), as redis-py. A name set this way is lost when that connection is
        reopened; ``client_name=`` names every connection, reopened ones too."""
        await self.initialize()
        nodes = self._resolve(target_nodes if target_nodes is not None else self.DEFAULT_NODE)
        await self._fan_out(nodes, ("CLIENT", "SETNAME", name), None, None, True)
        return True

    async def scan(self, cursor: int | Mapping[str, int] = 0,
                   match: PatternT | None = None, count: int | None = None,
                   _type: str | None = None, *, target_nodes: TargetNodesT | None = None,
                   ) -> tuple[Any, list[AnyStr]]:
        """SCAN. Without ``target_nodes``: one node's ``(cursor, keys)`` (the default
        node; use ``scan_iter`` for every key). With it: redis-py's ``({node_name:
        cursor}, keys)``, each node asked with its own cursor (``cursor`` may be that
        dict, from the previous call; a node whose cursor is 0 after the first call is
        done and not asked again)."""
        extra: tuple[Any, ...] = ()
        if match is not None:
            extra += ("MATCH", match)
        if count is not None:
            extra += ("COUNT", count)
        if _type is not None:
            extra += ("TYPE", _type)
        if target_nodes is None:
            if isinstance(cursor, Mapping):
                raise DataError("a {node: cursor} dict needs target_nodes=")
            reply = await self._execute(("SCAN", cursor, *extra))
            return int(reply[0]), reply[1]
        await self.initialize()
        nodes = self._resolve(target_nodes)
        cursors: dict[str, int] = {}
        items = []
        for node in nodes:
            c = cursor.get(node.name, 0) if isinstance(cursor, Mapping) else cursor
            if isinstance(cursor, Mapping) and node.name in cursor and not c:
                cursors[node.name] = 0
                continue
            args = ("SCAN", c, *extra)
            items.append(_Item(args, self._pack(args), True, node=node))
        await self._run_many(items)
        keys: list[AnyStr] = []
        for item in items:
            if isinstance(item.reply, BaseException):
                raise item.reply
            assert item.node is not None
            cursors[item.node.name] = int(item.reply[0])
            keys.extend(item.reply[1])
        return cursors, keys

    def get_node(self, host: str | None = None, port: int | None = None,
                 node_name: str | None = None) -> ClusterNode | None:
        if node_name is None:
            if host is None or port is None:
                raise DataError("get_node needs host and port, or node_name")
            node_name = f"{host}:{port}"
        host, port = split_address(node_name)
        return self._topology.nodes.get(f"{host}:{port}")

    def keyslot(self, key: Any) -> int:
        return key_slot(key, self._encoding)

    def get_node_from_key(self, key: Any, replica: bool = False) -> ClusterNode | None:
        slot = self.keyslot(key)
        if replica:
            reps = self._topology.slots.replicas[slot]
            return reps[0] if reps else None
        return self._topology.slots.primaries[slot]

    @property
    def topology(self) -> Topology:
        """The slot map and discovery state (``queries`` / ``refreshes`` counters)."""
        return self._topology

    # ------------------------------------------------------------------ execution
    def _reply_protocol(self) -> int:
        return self._params.protocol

    async def _execute(self, args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any:
        # The hot path (a one-key command at args[1] whose node connection is up): a dict
        # lookup for the route, one for the slot, a list index for the node, then the
        # same Connection.execute as Redis. ~1 us over Redis.get (see docs/benchmarks.md).
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
        return await self._dispatch(args, route, None, callback)

    def _node_for(self, slot: int, readonly: bool) -> ClusterNode | None:
        """The node for a command on ``slot``: its primary, or for a read with a
        load_balancing_strategy, a node of its shard chosen by it (redis-py's rules)."""
        slots = self._topology.slots
        primary = slots.primaries[slot]
        strategy = self.load_balancing_strategy
        if readonly and strategy is not None and primary is not None:
            reps = slots.replicas[slot]
            if reps:
                if strategy is LoadBalancingStrategy.RANDOM_REPLICA:
                    return random.choice(reps)
                if strategy is LoadBalancingStrategy.RANDOM:
                    i = random.randrange(len(reps) + 1)
                else:  # round robin per shard: primary (unless replicas only), replicas
                    i = self._rr.get(primary.name, 0) % (len(reps) + 1)
                    if i == 0 and strategy is LoadBalancingStrategy.ROUND_ROBIN_REPLICAS:
                        i = 1
                    self._rr[primary.name] = i + 1
                return reps[i - 1] if i else primary
        return primary

    async def _backoff(self, attempt: int) -> None:
        if self.retry is not None:  # the caller's policy (redis-py: retry=Retry(backoff, n))
            delay = self.retry.backoff.compute(attempt)
            if delay > 0:
                await asyncio.sleep(delay)
            return
        # exponential, capped, with full jitter: a burst of failures does not come back
        # in lock step (50 ms, 100 ms ... 800 ms)
        await asyncio.sleep(min(0.8, 0.025 * 2 ** attempt) * (0.5 + random.random() / 2))

    async def _run_slot(self, slot: int, args: tuple[Any, ...], readonly: bool,
                        sent: tuple[ClusterNode, Any, asyncio.Future[Any]] | None = None,
                        start: ClusterNode | None = None) -> Any:
        """One command for one slot, through every redirection and retry it needs.
        ``sent``: the command was already written (the hot path in ``_execute``) and this
        future failed; its error is handled as if it happened here."""
        topo = self._topology
        node: ClusterNode | None = start  # the node _execute chose (replicas rotate)
        asking = False
        redirects = attempts = lost = 0  # lost: connection failures (their own budget)
        last: BaseException | None = None
        while True:
            if sent is not None:
                node, conn, fut = sent
                sent = None
            else:
                if node is None:
                    node = self._node_for(slot, readonly)
                    if node is None:  # an uncovered slot: the map is stale or the cluster is down
                        attempts += 1
                        if attempts > self.retries:
                            raise SlotNotCoveredError(
                                f"Slot {slot} is not served by any node (cluster down, or "
                                f"not covered: {topo.slots.uncovered()} slots are not)") from last
                        self.stats["retry:SlotNotCovered"] += 1
                        await topo.refresh()
                        if attempts > 1:
                            await self._backoff(attempts)
                        continue
                conn = node.connection
                try:
                    if conn is None or conn.closed or conn._loop is not _get_running_loop():
                        conn = await self._connection(node)
                    if asking:
                        # ASKING and the command in one synchronous step: adjacent on the FIFO
                        conn.send_and_forget(("ASKING",))
                    fut = conn.execute(args)
                except AuthenticationError:
                    raise
                except WrongLoop:
                    node.connection = None
                    continue
                except (ConnectionError, TimeoutError, OSError) as exc:
                    # nothing was written: always safe to try again, after a refresh
                    lost += 1
                    last = exc
                    if lost > self.connection_retries:
                        raise ConnectionError(
                            f"Cannot reach {node.name} (slot {slot}) after {lost} attempts: {exc}"
                        ) from exc
                    self.stats["retry:connect"] += 1
                    topo.request_refresh()
                    await self._backoff(lost)
                    node, asking = None, False
                    continue
            try:
                return await (fut if self._timeout is None else wait_reply(conn, fut, self._timeout))
            except MovedError as exc:
                self.stats["moved"] += 1
                redirects += 1
                if redirects > self.max_redirects:
                    raise TooManyRedirections(
                        f"{command_name(args)}: more than {self.max_redirects} redirections (last: {exc})"
                    ) from exc
                s, addr = redirect_of(exc, node)
                node, asking = topo.moved(s, addr), False
            except AskError as exc:
                self.stats["ask"] += 1
                redirects += 1
                if redirects > self.max_redirects:
                    raise TooManyRedirections(
                        f"{command_name(args)}: more than {self.max_redirects} redirections (last: {exc})"
                    ) from exc
                node, asking = topo.node(redirect_of(exc, node)[1]), True
            except (TryAgainError, ClusterDownError, ReadOnlyError, BusyLoadingError) as exc:
                # not run: TRYAGAIN (keys split by a migration), CLUSTERDOWN, READONLY (a
                # write reached a demoted primary), LOADING (a replica still loading)
                self.stats["retry:" + type(exc).__name__] += 1
                attempts += 1
                last = exc
                if attempts > self.retries:
                    raise
                if not isinstance(exc, TryAgainError):
                    topo.request_refresh()
                if isinstance(exc, BusyLoadingError) and node.server_type == REPLICA:
                    node = topo.slots.primaries[slot]  # read it from the primary instead
                else:
                    await self._backoff(attempts)
                    node = None
                asking = False
            except ConnectionError as exc:
                if not readonly:
                    raise ConnectionError(
                        f"Connection to {node.name} was lost while {command_name(args)} was in flight: "
                        "its outcome is unknown (not retried: only read-only commands are)"
                    ) from exc
                lost += 1
                if lost > self.connection_retries:
                    raise
                self.stats["retry:connect"] += 1
                topo.request_refresh()
                await self._backoff(lost)
                node, asking = None, False
            except Exception as exc:
                # retry_on_error / retry's supported errors (TimeoutError ...): the command
                # reached the node, so only a read-only one goes again (never run twice)
                if not (readonly and isinstance(exc, self._retry_errors)):
                    raise
                attempts += 1
                if attempts > self.retries:
                    raise
                self.stats["retry:" + type(exc).__name__] += 1
                log.warning("retrying %s on slot %d (attempt %d) after: %s", command_name(args), slot,
                            attempts + 1, exc or type(exc).__name__)
                await self._backoff(attempts)
                node, asking = None, False

    async def _dispatch(self, args: tuple[Any, ...], route: Route | None, target: Any,
                        callback: Callable[..., Any] | None) -> Any:
        """Everything but the one-key hot path: multi-key, keyless, targeted commands."""
        if target is not None:
            return await self._fan_out(self._resolve(target), args, route, callback, True)
        if route is None:  # not a command of this server: let one node say so
            return await self._fan_out([self.get_default_node()], args, None, callback, False)
        step = route.split_step  # MGET k.. / MSET k v ..: no key search needed
        if step and len(args) > 1 + step and not (len(args) - 1) % step and self._timeout is None:
            reply = await split_fast(self, args, route, step)
            if reply is not _SLOW:
                return reply if callback is None else callback(reply)
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

    def _keyless_nodes(self, route: Route) -> list[ClusterNode]:
        """Where a command without keys goes, by its request_policy tip."""
        policy = route.request_policy
        if route.response_policy == "special":
            # no general rule merges these (INFO, RANDOMKEY ...): one node answers, as in
            # redis-py; rc.target(...) asks several and returns {node: reply}
            policy = None
        if policy == "all_shards":
            return self.get_primaries()
        if policy == "all_nodes":
            return self.get_nodes()
        return [self._default_node(route.readonly)]

    def _default_node(self, readonly: bool) -> ClusterNode:
        strategy = self.load_balancing_strategy
        if readonly and strategy is not None and self.get_replicas():
            if strategy in _REPLICAS_ONLY:
                return random.choice(self.get_replicas())
            return random.choice(self.get_nodes())
        return self.get_default_node()

    async def _server_keys(self, args: tuple[Any, ...]) -> set[int]:
        """Key positions the command table cannot tell: ask a node (COMMAND GETKEYS)."""
        try:
            keys = await self._fan_out([self.get_default_node()], ("COMMAND", "GETKEYS", *args),
                                       None, None, False)
        except ResponseError:
            return set()  # "the command has no key arguments"
        return {key_slot(k, self._encoding) for k in keys}

    def _resolve(self, target: Any) -> list[ClusterNode]:
        check_target_nodes(target)
        if isinstance(target, str):
            t = target.lower()
            if t == self.PRIMARIES:
                return self.get_primaries()
            if t == self.REPLICAS:
                replicas = self.get_replicas()
                if not replicas:  # not silently nowhere (redis-py: "No targets were found")
                    raise ClusterError("target_nodes=REPLICAS: the cluster has no replica")
                return replicas
            if t == self.ALL_NODES:
                return self.get_nodes()
            if t == self.RANDOM:
                return [self.get_random_node()]
            return [self.get_default_node()]
        if isinstance(target, ClusterNode):
            return [self._known(target)]
        if isinstance(target, Mapping):  # redis-py allows {name: node}
            target = target.values()
        return [self._known(n) for n in target]

    def _known(self, node: ClusterNode) -> ClusterNode:
        # the map's own node object (its shared connection), even for a ClusterNode the
        # caller built; by name first, as address_remap already applied to the map's names
        return self._topology.nodes.get(node.name) or self._topology.node(node.name)

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

    async def _fan_out(self, nodes: list[ClusterNode], args: tuple[Any, ...], route: Route | None,
                       callback: Callable[..., Any] | None, targeted: bool) -> Any:
        data = self._pack(args)
        readonly = route is not None and route.readonly
        items = [_Item(args, data, readonly, node=n) for n in nodes]
        await self._run_many(items)
        return merge_replies(nodes, [it.reply for it in items], route, callback, targeted)

    def _split(self, args: tuple[Any, ...], route: Route, positions: list[int]) -> tuple[list[_Item], Callable[..., Any]]:
        return split_multi(self, args, route, positions)

    async def _run_many(self, items: list[_Item]) -> None:
        await run_many(self, items)

    async def _execute_blocking(self, args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any:
        """A server-side blocking command (BLPOP ...) on a connection of its own to the
        slot's primary, closed afterwards (cancelling it closes it too)."""
        await self.initialize()
        assert self._router is not None
        route = self._router.lookup(args)
        positions = route.positions(args) if route is not None else [1]
        enc = self._encoding
        slots = {key_slot(args[i], enc) for i in positions or ()}
        if len(slots) != 1:
            raise CrossSlotError(f"{command_name(args)}: its keys must all be in one slot")
        slot = slots.pop()
        data = self._pack(args)
        redirects = 0
        asking: ClusterNode | None = None
        while True:
            node = asking or self._topology.slots.primaries[slot]
            if node is None:
                await self._topology.refresh()
                continue
            pool = self._pool(node)
            conn = await pool.acquire()
            handle = None
            try:
                if asking is not None:
                    conn.send_and_forget(("ASKING",))
                (fut,) = conn.send_packed(data, 1)
                if self._timeout is not None:
                    block = _block_seconds(args)
                    if block:
                        limit = block + self._timeout
                        handle = conn._loop.call_later(limit, _expire, fut, limit)
                reply = await fut
            except (MovedError, AskError) as exc:
                self.stats["moved" if isinstance(exc, MovedError) else "ask"] += 1
                redirects += 1
                if redirects > self.max_redirects:
                    raise TooManyRedirections(f"{command_name(args)}: too many redirections") from exc
                s, addr = redirect_of(exc, node)
                if isinstance(exc, MovedError):
                    self._topology.moved(s, addr)
                    asking = None
                else:
                    asking = self._topology.node(addr)
                continue
            except asyncio.CancelledError:
                # as Redis._execute_blocking: closing alone races with a later push sent on
                # the node's shared connection (the server may hand the value to the BLPOP
                # it has not yet seen closed); CLIENT UNBLOCK written there first is ordered
                # before every later command to that node
                shared = pool.shared_now()
                if shared is not None and conn.client_id is not None:
                    shared.send_and_forget(("CLIENT", "UNBLOCK", conn.client_id))
                raise
            finally:
                if handle is not None:
                    handle.cancel()
                conn.abort("closed after a blocking command")
                pool.release(conn, reusable=False)
            return reply if callback is None else callback(reply)

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
        return await self._execute(args, cb)

    async def _execute_targeted(self, args: tuple[Any, ...], callback: Callable[..., Any] | None,
                                target_nodes: Any) -> Any:
        """A named command with ``target_nodes=`` (``rc.dbsize(target_nodes=rc.PRIMARIES)``,
        as redis-py): run on those nodes; answers merged by the command's response_policy
        tip (DBSIZE summed, KEYS merged, PING/FLUSHALL all OK ...), and where no rule
        merges them (INFO, CONFIG GET, TIME ...) ``{node_name: reply}``, the callback applied
        to each reply or to the merged one (``_fan_out``)."""
        await self.initialize()
        assert self._router is not None
        return await self._dispatch(args, self._router.lookup(args), target_nodes, callback)

    def target(self, target_nodes: Any) -> _Targeted:
        """Named commands on chosen nodes: ``await rc.target(rc.ALL_NODES).info()``, the
        same as ``rc.info(target_nodes=rc.ALL_NODES)`` (redis-py's spelling, which the
        keyless command methods take too). Answers without a merge rule come back as
        ``{node_name: reply}``."""
        return _Targeted(self, target_nodes)

    async def scan_iter(self, match: PatternT | None = None, count: int | None = None,
                        _type: str | None = None,
                        *, target_nodes: TargetNodesT | None = None) -> AsyncIterator[AnyStr]:
        """Every key of every shard: SCAN walks each shard's primary in turn. If a shard's
        primary is lost mid-walk, the walk of that shard starts again at its new primary
        (keys may repeat, as SCAN allows; none is missed). ``target_nodes``: walk those
        nodes instead, each to its end (a replica's keys repeat its primary's)."""
        await self.initialize()
        topo = self._topology
        extra: tuple[Any, ...] = ()
        if match is not None:
            extra += ("MATCH", match)
        if count is not None:
            extra += ("COUNT", count)
        if _type is not None:
            extra += ("TYPE", _type)
        if target_nodes is not None:
            for chosen in self._resolve(target_nodes):
                cursor = 0
                while True:
                    args = ("SCAN", cursor, *extra)
                    item = _Item(args, self._pack(args), True, node=chosen)
                    await self._run_many([item])
                    if isinstance(item.reply, BaseException):
                        raise item.reply
                    cursor = int(item.reply[0])
                    for key in item.reply[1]:
                        yield key
                    if cursor == 0:
                        break
            return
        # The shards are fixed, by their nodes' ids, when the walk starts: a slot map that
        # MOVED patched since the last refresh no longer tells a shard by any of its slots
        # (reshard moves the lowest slots first), and each primary must be walked once.
        for members, node in _shards(self._topology):
            cursor = 0
            restarts = 0
            while True:
                args = ("SCAN", cursor, *extra)
                item = _Item(args, self._pack(args), True, node=node)
                await self._run_many([item])
                reply = item.reply
                if isinstance(reply, BaseException):
                    if not isinstance(reply, (ConnectionError, ClusterError)) or restarts >= self.retries:
                        raise reply
                    restarts += 1
                    await topo.refresh()
                    await self._backoff(restarts)
                    node = self._shard_primary(members, reply)
                    cursor = 0
                    continue
                cursor = int(reply[0])
                for key in reply[1]:
                    yield key
                if cursor == 0:
                    break

    def _shard_primary(self, members: frozenset[str], error: BaseException) -> ClusterNode:
        """The primary now of the shard whose nodes were ``members`` (after a failover, the
        replica that took over)."""
        for node in self.get_primaries():
            if _node_key(node) in members:
                return node
        raise ClusterError("SCAN: the shard being walked is no longer in the cluster") from error

    # ------------------------------------------------------------------ objects
    def pipeline(self, transaction: bool | None = None, shard_hint: Any = None) -> ClusterPipeline[AnyStr]:
        """A cluster pipeline: commands grouped per node, one write per node, in parallel.
        ``transaction=True``: MULTI/EXEC, every key in one slot. ``shard_hint`` has no
        meaning on a cluster (redis-py refuses it too): a DataError."""
        from .pipeline import ClusterPipeline

        _no_shard_hint(shard_hint)
        return ClusterPipeline(self, bool(transaction))

    async def transaction(self, func: Callable[..., Any], *watches: Any,
                          value_from_callable: bool = False, watch_delay: float | None = None,
                          shard_hint: Any = None) -> Any:
        """redis-py's helper: ``func(pipe)`` under WATCH (keys of one slot), retried on
        WatchError."""
        from .._transaction import run_transaction

        _no_shard_hint(shard_hint)

        return await run_transaction(self, func, watches, value_from_callable, watch_delay)

    def pubsub(self, node: ClusterNode | None = None, host: str | None = None,
               port: int | None = None, **kwargs: Any) -> Any:
        """A cluster PubSub (fastredis/cluster/pubsub.py): classic channels on one node
        (``node`` / ``host``+``port`` if given), sharded channels on their slot owners,
        one stream; it follows migrations and failovers and reports gaps (``on_gap``)."""
        from .pubsub import ClusterPubSub

        if self.health_check_interval is not None:  # the client's option covers its PubSub too
            kwargs.setdefault("health_check_interval", self.health_check_interval)
        # (node, host, port) are checked as redis-py does in ClusterPubSub (pubsub_node)
        return ClusterPubSub(self, node=node, host=host, port=port, **kwargs)

    def register_script(self, script: str | bytes) -> Any:
        from ..commands.scripting import Script

        return Script(self, script)


def _node_key(node: ClusterNode) -> str:
    return node.node_id or node.name


def _shards(topo: Topology) -> list[tuple[frozenset[str], ClusterNode]]:
    """Each shard of the current map: the ids (else names) of its nodes, and its primary."""
    nodes = topo.nodes
    out: list[tuple[frozenset[str], ClusterNode]] = []
    for _ranges, primary, replicas in topo.slots.view:
        members = frozenset(_node_key(nodes[a]) if a in nodes else a for a in (primary, *replicas))
        out.append((members, nodes[primary]))
    return out


def _no_shard_hint(shard_hint: Any) -> None:
    if shard_hint is not None:
        # redis-py's words (its suite compares them); commands go where their keys' slots are
        raise _ShardHintError("shard_hint is deprecated in cluster mode")


class _ShardHintError(RedisClusterException, DataError):
    """redis-py raises RedisClusterException; a DataError too (what this client raised before)."""


class _Targeted(CoreCommands[Any]):
    """The command mixins bound to chosen nodes (``RedisCluster.target``)."""

    __slots__ = ("_client", "_target")

    def __init__(self, client: RedisCluster[Any], target: Any) -> None:
        self._client = client
        self._target = target

    def _execute(self, args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any:
        return self._client._execute_targeted(args, callback, self._target)

    def _reply_protocol(self) -> int:
        return self._client._reply_protocol()

    def _execute_targeted(self, args: tuple[Any, ...], callback: Callable[..., Any] | None,
                          target_nodes: Any) -> Any:
        # rc.target(a).info(target_nodes=b): the nodes named at the call win
        return self._client._execute_targeted(args, callback, target_nodes)

    def _execute_blocking(self, args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any:
        raise DataError("blocking commands are routed by their key, not to chosen nodes")

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """Any command on the chosen nodes; raw replies (``{node_name: reply}`` when
        several nodes answer and no rule merges the answers)."""
        return await self._client.execute_command(*args, target_nodes=self._target)


_ = RedisError
