"""What the cluster's parts use of ``RedisCluster``, as a ``typing.Protocol``.

``batch.py`` (split commands, fan-outs, pipelines), ``pipeline.py`` and ``pubsub.py`` run
on a ``RedisCluster`` that ``client.py`` builds from them: naming the class there would be
an import circle (type-only, but a reader must still untangle it). This protocol is the
interface they rely on, in one place; ``RedisCluster`` satisfies it structurally (mypy
checks that wherever one is passed), and the client-side cache types its cluster
installer with it too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    import asyncio
    from collections import Counter

    from .._observe import PoolCounters
    from ..connection import ConnectionParams
    from .nodes import NodePool
    from .routing import Route, Router
    from .slots import ClusterNode, SlotCache
    from .topology import Topology

__all__ = ["ClusterHost"]


class ClusterHost(Protocol):
    """A ``RedisCluster`` as its batches, pipelines, Pub/Sub and cache see it."""

    _params: ConnectionParams
    _encoding: str
    _arg_encoding: str | None
    _timeout: float | None
    _counters: PoolCounters
    _topology: Topology
    _slots: SlotCache
    _router: Router | None
    _init_fut: asyncio.Future[Any] | None
    _read_from_replicas: bool
    max_redirects: int
    retries: int
    stats: Counter[str]
    cache: Any

    async def initialize(self) -> Any: ...
    def _node_params(self, node: ClusterNode) -> ConnectionParams: ...
    async def _connection(self, node: ClusterNode) -> Any: ...
    def _pool(self, node: ClusterNode) -> NodePool: ...
    def _node_for(self, slot: int, readonly: bool) -> ClusterNode | None: ...
    async def _backoff(self, attempt: int) -> None: ...
    def _pack(self, args: tuple[Any, ...]) -> bytes: ...
    def _pack_fast(self, args: tuple[Any, ...]) -> bytes: ...
    def _keyless_nodes(self, route: Route) -> list[ClusterNode]: ...
    def _resolve(self, target: Any) -> list[ClusterNode]: ...
    def _split(self, args: tuple[Any, ...], route: Route,
               positions: list[int]) -> tuple[list[Any], Callable[..., Any]]: ...
    async def _run_many(self, items: list[Any]) -> None: ...
    def _execute(self, args: tuple[Any, ...], callback: Callable[[Any], Any] | None = None,
                 _traced: bool = False) -> Any: ...
    def _execute_blocking(self, args: tuple[Any, ...],
                          callback: Callable[[Any], Any] | None = None) -> Any: ...
    def _execute_targeted(self, args: tuple[Any, ...], callback: Callable[..., Any] | None,
                          target_nodes: Any) -> Any: ...
    def _reply_protocol(self) -> int: ...
    def get_default_node(self) -> ClusterNode: ...
    def get_node(self, host: str | None = None, port: int | None = None,
                 node_name: str | None = None) -> ClusterNode | None: ...
