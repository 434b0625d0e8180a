"""Commands that are not one slot's, for ``RedisCluster``: keyless ones (sent where their
COMMAND ``request_policy`` tip says, answers merged by its ``response_policy``), those with
``target_nodes=`` (``rc.target(...)``), ``mget_nonatomic`` / ``mset_nonatomic``, ``SCAN``
over every shard. Each is a batch (batch.py): one write per node, every node at once.
Mixed into ``RedisCluster``, whose ``_dispatch`` decides which path a command takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, AnyStr, AsyncIterator, Callable, Generic, Iterable

from .. import _observe
from ..commands import CoreCommands
from ..exceptions import ConnectionError, DataError, ResponseError
from ..typing import KeyT, PatternT, Reply, TargetNodesT
from .batch import _SLOW, _Item, run_many, split_fast, split_multi
from .errors import ClusterError
from .routing import Route, merge_replies
from .slots import ClusterNode, key_slot

if TYPE_CHECKING:
    from ._host import ClusterHost
    from .pipeline import ClusterPipeline
    from .routing import Router
    from .topology import Topology

__all__ = ["FanOut"]


def _host(client: Any) -> ClusterHost:
    """The client as batch.py sees it (RedisCluster, which this class is mixed into)."""
    return client  # type: ignore[no-any-return]


class FanOut(Generic[AnyStr]):
    """Mixed into ``RedisCluster`` (its state is the client's)."""

    if TYPE_CHECKING:
        DEFAULT_NODE: str
        _topology: Topology
        _router: Router | None
        _encoding: str
        _timeout: float | None
        _counters: _observe.PoolCounters
        retries: int

        async def initialize(self) -> Any: ...
        def _pack(self, args: tuple[Any, ...]) -> bytes: ...
        def _resolve(self, target: Any) -> list[ClusterNode]: ...
        def _keyless_nodes(self, route: Route) -> list[ClusterNode]: ...
        def get_default_node(self) -> ClusterNode: ...
        def get_primaries(self) -> list[ClusterNode]: ...
        async def _execute(self, args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any: ...
        async def _run_slot(self, slot: int, args: tuple[Any, ...], readonly: bool) -> Any: ...
        async def _backoff(self, attempt: int) -> None: ...
        async def _dispatch(self, args: tuple[Any, ...], route: Route | None, target: Any,
                            callback: Callable[..., Any] | None) -> Any: ...
        def pipeline(self, transaction: bool | None = None, shard_hint: Any = None) -> ClusterPipeline[AnyStr]: ...

    def mget(self, keys: KeyT | Iterable[KeyT], *args: KeyT) -> Reply[list[AnyStr | None]]:
        """MGET: one value per key, None for a missing key, in the order of ``keys``; keys
        of several slots are read with one MGET per slot, every node at once (atomic per
        slot, not across slots: redis-py's ``mget_nonatomic``). A list of keys goes
        straight to that split, without the command lookup of ``execute_command``."""
        if (keys.__class__ is list and not args and len(keys) > 1
                and self._timeout is None and _observe.hook is None and self._router is not None):
            return self._mget_split(("MGET", *keys))  # (the keys as they are now)
        return CoreCommands.mget(self, keys, *args)  # type: ignore[arg-type]

    async def _mget_split(self, args: tuple[Any, ...]) -> list[AnyStr | None]:
        assert self._router is not None
        route = self._router.lookup(args)
        if route is None or route.split_step != 1:
            return await self._execute(args)  # type: ignore[no-any-return]
        reply = await split_fast(_host(self), args, route, 1)
        if reply is _SLOW:  # (a node not connected yet, a key split_fast does not take ...)
            return await self._dispatch(args, route, None, None)  # type: ignore[no-any-return]
        return reply  # type: ignore[no-any-return]

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

    async def _server_keys(self, args: tuple[Any, ...]) -> set[int]:
        """Key positions the command table cannot tell: ask a node (COMMAND GETKEYS)."""
        try:
            keys = await self._fan_out([self.get_default_node()], ("COMMAND", "GETKEYS", *args),
                                       None, None, False)
        except ResponseError:
            return set()  # "the command has no key arguments"
        return {key_slot(k, self._encoding) for k in keys}

    async def _fan_out(self, nodes: list[ClusterNode], args: tuple[Any, ...], route: Route | None,
                       callback: Callable[..., Any] | None, targeted: bool) -> Any:
        data = self._pack(args)
        readonly = route is not None and route.readonly
        items = [_Item(args, data, readonly, node=n) for n in nodes]
        await self._run_many(items)
        return merge_replies(nodes, [it.reply for it in items], route, callback, targeted)

    def _split(self, args: tuple[Any, ...], route: Route, positions: list[int]) -> tuple[list[_Item], Callable[..., Any]]:
        return split_multi(_host(self), args, route, positions)

    async def _run_many(self, items: list[_Item]) -> None:
        await run_many(_host(self), items)

    async def _execute_targeted(self, args: tuple[Any, ...], callback: Callable[..., Any] | None,
                                target_nodes: Any, _traced: bool = False) -> Any:
        """A named command with ``target_nodes=`` (``rc.dbsize(target_nodes=rc.PRIMARIES)``,
        as redis-py): run on those nodes; answers merged by the command's response_policy
        tip (DBSIZE summed, KEYS merged, PING/FLUSHALL all OK ...), and where no rule
        merges them (INFO, CONFIG GET, TIME ...) ``{node_name: reply}``, the callback applied
        to each reply or to the merged one (``_fan_out``)."""
        if _observe.hook is not None and not _traced:  # fastredis.telemetry: span + metrics
            run = FanOut._execute_targeted(self, args, callback, target_nodes, True)
            return await _observe.hook.command(self._counters, args, run, track=True)
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


class _Targeted(CoreCommands[Any]):
    """The command mixins bound to chosen nodes (``RedisCluster.target``)."""

    __slots__ = ("_client", "_target")

    def __init__(self, client: Any, target: Any) -> None:
        self._client = client
        self._target = target

    def _execute(self, args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any:
        return self._client._execute_targeted(args, callback, self._target)

    def _reply_protocol(self) -> int:
        protocol: int = self._client._reply_protocol()
        return protocol

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
