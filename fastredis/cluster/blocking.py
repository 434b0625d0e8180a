"""Server-side blocking commands (BLPOP, BLMOVE, XREAD BLOCK ...) on a cluster: each on an
exclusive connection of its node's pool (nodes.py), to the primary of its one slot,
closed afterwards; MOVED / ASK followed. Mixed into ``RedisCluster``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable

from .. import _observe
from .._execution import block_deadline
from ..exceptions import AskError, MovedError
from .batch import command_name, redirect_of
from .errors import CrossSlotError, TooManyRedirections
from .slots import key_slot

if TYPE_CHECKING:
    from collections import Counter

    from .nodes import NodePool
    from .routing import Router
    from .slots import ClusterNode
    from .topology import Topology

__all__ = ["BlockingCommands"]


class BlockingCommands:
    """Mixed into ``RedisCluster`` (its state is the client's)."""

    if TYPE_CHECKING:
        _topology: Topology
        _router: Router | None
        _encoding: str
        _timeout: float | None
        _counters: _observe.PoolCounters
        max_redirects: int
        stats: Counter[str]

        async def initialize(self) -> Any: ...
        def _pack(self, args: tuple[Any, ...]) -> bytes: ...
        def _pool(self, node: ClusterNode) -> NodePool: ...

    async def _execute_blocking(self, args: tuple[Any, ...], callback: Callable[..., Any] | None = None,
                                _traced: bool = False) -> Any:
        """A server-side blocking command (BLPOP ...) on a connection of its own to the
        slot's primary, closed afterwards (cancelling it closes it too)."""
        if _observe.hook is not None and not _traced:  # the span covers the wait
            return await _observe.hook.command(self._counters, args,
                                               BlockingCommands._execute_blocking(self, args, callback, True),
                                               track=True)
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
                handle = block_deadline(conn, fut, args, self._timeout)
                reply = await fut
            except (MovedError, AskError) as exc:
                self.stats["moved" if isinstance(exc, MovedError) else "ask"] += 1
                redirects += 1
                if redirects > self.max_redirects:
                    raise TooManyRedirections(f"{command_name(args)}: too many redirections") from exc
                s, addr = redirect_of(exc, node)
                if _observe.hook is not None:
                    _observe.hook.redirect("MOVED" if isinstance(exc, MovedError) else "ASK", s, addr)
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
            if _traced and _observe.hook is not None:
                _observe.hook.peer(node.host, node.port)
            return reply if callback is None else callback(reply)
