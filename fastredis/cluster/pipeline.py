"""The cluster pipeline: queued commands grouped per node, one write per node, every node
at once; a part that is redirected (MOVED/ASK) or refused for now (TRYAGAIN, CLUSTERDOWN)
is sent again to its new node in the caller's order; results come back in the caller's
order. Nothing is sent twice: a part whose connection was lost after it was written is
retried only when it is read-only, otherwise its result is a ConnectionError saying the
outcome is unknown.

``transaction=True``: MULTI ... EXEC as one block on the node of the one slot every key
belongs to (a CrossSlotError before anything is sent otherwise)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, AnyStr, Callable

import hiredis

from .. import _observe
from .._execution import (
    PipelineCommands as _PipelineCommands,  # (CoreCommands, typed as Pipeline's are)
)
from .._execution import (
    annotate as _annotate,
)
from .._pack import pack_set
from .._protocol import Connection
from ..commands._base import ok, ok_or_none
from ..exceptions import (
    DataError,
    ExecAbortError,
    MovedError,
    RedisError,
    ResponseError,
    WatchError,
    error_from_reply,
)
from .batch import _Item, redirect_of
from .commands import by_slot
from .errors import CrossSlotError, CrossSlotTransactionError, TooManyRedirections
from .routing import check_target_nodes, merge_replies
from .slots import key_slot

if TYPE_CHECKING:
    from ._host import ClusterHost

__all__ = ["ClusterPipeline"]

_ReplyError = hiredis.ReplyError
_MULTI = hiredis.pack_command(("MULTI",))
_EXEC = hiredis.pack_command(("EXEC",))


def _fan_out_combine(route: Any, nodes: list[Any], callback: Callable[..., Any] | None,
                     targeted: bool) -> Callable[[list[_Item]], Any]:
    """The answers of one keyless command's nodes merged as ``RedisCluster`` merges them
    (``{node_name: reply}`` for a targeted one with no merge rule, the callback applied to
    each reply there)."""
    def combine(done: list[_Item]) -> Any:
        return merge_replies(nodes, [it.reply for it in done], route, callback, targeted)

    return combine


class ClusterPipeline(_PipelineCommands[AnyStr]):
    """``rc.pipeline()``; commands chain (``p.set(..).get(..)``); ``await p.execute()``."""

    def __init__(self, client: ClusterHost, transaction: bool = False) -> None:
        self._client = client
        self.transaction = transaction
        self._queue: list[tuple[tuple[Any, ...], Callable[..., Any] | None]] = []
        self._data: list[bytes] = []  # each queued command packed (once, at the call site)
        # queue index -> (target_nodes, callback) of commands given target_nodes=
        self._targets: dict[int, tuple[Any, Callable[..., Any] | None]] = {}
        # WATCH: a connection of its own to the watched slot's primary, until EXEC/reset
        self._conn: Connection | None = None
        self._slot: int | None = None
        self._explicit_multi = False

    def _reply_protocol(self) -> int:
        return self._client._reply_protocol()

    def _execute(self, args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any:
        data = self._client._pack(args)  # a bad argument is a DataError here, at the call site
        if self._conn is not None and not self._explicit_multi:
            return self._immediate(args, callback)  # between WATCH and MULTI: run now
        self._queue.append((args, callback))
        self._data.append(data)
        return self

    _packs_set = True

    def _execute_set(self, name: Any, value: Any) -> Any:
        # ``SET name value`` of str/bytes packed by hand (_pack.pack_set), as Pipeline does
        if self._client._arg_encoding is None and (self._conn is None or self._explicit_multi):
            data = pack_set(name, value)
            if data is not None:
                self._queue.append((("SET", name, value), ok_or_none))
                self._data.append(data)
                return self
        return self._execute(("SET", name, value), ok_or_none)

    def _execute_blocking(self, args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any:
        return self._execute(args, callback)

    def _execute_targeted(self, args: tuple[Any, ...], callback: Callable[..., Any] | None,
                          target_nodes: Any) -> Any:
        """``pipe.dbsize(target_nodes=...)``: queued like any command, sent to those nodes
        in the same one-write-per-node batch; its result, in the caller's order, merged as
        ``rc.dbsize(target_nodes=...)`` merges it."""
        check_target_nodes(target_nodes)
        if self.transaction or self._explicit_multi:
            raise DataError("target_nodes= cannot be used in a cluster transaction: MULTI/EXEC "
                            "runs on the one node that serves its keys' slot")
        data = self._client._pack(args)
        if self._conn is not None:  # between WATCH and MULTI: run now, like any command
            return self._client._execute_targeted(args, callback, target_nodes)
        self._targets[len(self._queue)] = (target_nodes, callback)
        self._queue.append((args, None))  # the callback goes to the merge, per node or merged
        self._data.append(data)
        return self

    def execute_command(self, *args: Any, **options: Any) -> Any:
        return self._execute(args)

    def mset_nonatomic(self, mapping: Mapping[Any, Any]) -> ClusterPipeline[AnyStr]:
        """Queue one MSET per slot of ``mapping``'s keys (redis-py's): each gives its True
        in the results. Not in a transaction (its keys would have to share one slot)."""
        if self.transaction or self._explicit_multi:
            raise NotImplementedError("Method is not supported in transactional context.")
        for args in by_slot(self._client, mapping):
            self._execute(args, ok)
        return self

    def __len__(self) -> int:
        return len(self._queue)

    def __bool__(self) -> bool:
        return True

    def __await__(self) -> Any:
        if False:  # pragma: no cover
            yield
        return self

    async def __aenter__(self) -> ClusterPipeline[AnyStr]:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._reset()

    def _reset(self) -> None:
        """Forget queued commands; a WATCH connection is closed (never reused: a WATCH
        may still be active on it), which also survives cancellation."""
        self._queue = []
        self._data = []
        self._targets = {}
        self._explicit_multi = False
        self._slot = None
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.abort("closed: the watched transaction ended")

    async def reset(self) -> None:  # type: ignore[override, unused-ignore]
        """Forget queued commands and end any WATCH (its connection is closed, never
        reused). Not the RESET command: a pipeline's reset, as in redis-py."""
        self._reset()

    async def aclose(self) -> None:
        """Same as :meth:`reset` (the standard name for cleanup)."""
        self._reset()

    async def discard(self) -> None:
        """Drop every queued command and the MULTI, and end any WATCH; nothing was sent
        for queued commands, so nothing is sent now either."""
        self._reset()

    # ------------------------------------------------------------------ WATCH / MULTI
    def _one_slot(self, args: tuple[Any, ...]) -> set[int]:
        client = self._client
        assert client._router is not None
        route = client._router.lookup(args)
        positions = route.positions(args) if route is not None else [1]
        return {key_slot(args[i], client._encoding) for i in positions or ()}

    async def watch(self, *names: Any) -> bool:
        """WATCH keys of one slot, on a connection of its own to that slot's primary."""
        if self._explicit_multi:
            raise RedisError("Cannot issue a WATCH after a MULTI")
        client = self._client
        await client.initialize()
        slots = self._one_slot(("WATCH", *names))
        if self._slot is not None:
            slots.add(self._slot)
        if len(slots) != 1:
            raise CrossSlotTransactionError("WATCH on a cluster: every watched key must be in one slot "
                                 "(use a hash tag, {user1}:a and {user1}:b)")
        slot = slots.pop()
        for _ in range(client.max_redirects):
            if self._conn is None:
                node = client._topology.slots.primaries[slot]
                if node is None:
                    await client._topology.refresh()
                    continue
                self._conn = await client._pool(node).acquire()
                self._slot = slot
            try:
                await self._conn.execute(("WATCH", *names))
                return True
            except MovedError as exc:  # our map was stale: WATCH where the slot lives now
                s, addr = redirect_of(exc, client._topology.node(self._conn.description))
                client._topology.moved(s, addr)
                self._conn.abort("closed: the watched slot moved")
                self._conn = None
        raise TooManyRedirections("WATCH: the slot kept moving")

    async def unwatch(self) -> bool:
        if self._conn is not None:
            await self._conn.execute(("UNWATCH",))
        return True

    def multi(self) -> None:
        """Start buffering the transaction's commands (after ``watch``)."""
        if self._explicit_multi:
            raise RedisError("Cannot issue nested calls to MULTI")
        if self._queue:
            raise RedisError("Commands without an initial WATCH have already been issued")
        self._explicit_multi = True

    async def _immediate(self, args: tuple[Any, ...], callback: Callable[..., Any] | None) -> Any:
        if self._one_slot(args) - {self._slot}:
            raise CrossSlotTransactionError("while watching, commands must use the watched slot")
        assert self._conn is not None
        try:
            reply = await self._conn.execute(args)
        except asyncio.CancelledError:
            self._reset()
            raise
        return reply if callback is None else callback(reply)

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        queue, self._queue = self._queue, []
        packed, self._data = self._data, []
        targets, self._targets = self._targets, {}
        if not queue:
            return []
        if _observe.hook is not None:  # fastredis.telemetry: one span for the batch
            multi = self.transaction or self._explicit_multi or self._conn is not None
            run = self._execute_queued(queue, packed, targets, raise_on_error)
            replies: list[Any] = await _observe.hook.batch(self._client._counters, multi, queue, run,
                                                           track=True)
            return replies
        return await self._execute_queued(queue, packed, targets, raise_on_error)

    async def _execute_queued(self, queue: list[Any], packed: list[bytes],
                              targets: dict[int, tuple[Any, Callable[..., Any] | None]],
                              raise_on_error: bool) -> list[Any]:
        client = self._client
        await client.initialize()
        if self._conn is not None:
            try:
                return await self._run_watched(queue, packed, raise_on_error)
            finally:
                self._reset()
        if self.transaction or self._explicit_multi:
            self._explicit_multi = False
            return await self._run_transaction(queue, packed, raise_on_error)
        router = client._router
        assert router is not None
        enc = client._encoding
        items: list[_Item] = []
        plans: list[tuple[int, int, Callable[[list[_Item]], Any] | None]] = []  # (first item, item count, combine)
        slot_of = client._slots.slot
        for i, ((args, _cb), data) in enumerate(zip(queue, packed)):
            route = router.lookup(args)
            start = len(items)
            if i in targets:
                target, cb = targets[i]
                nodes = client._resolve(target)
                ro = bool(route and route.readonly)
                items.extend(_Item(args, data, ro, node=n) for n in nodes)
                plans.append((start, len(nodes), _fan_out_combine(route, nodes, cb, True)))
                continue
            if route is not None and route.simple and len(args) > 1:  # one key at args[1]
                items.append(_Item(args, data, route.readonly, slot=slot_of(args[1])))
                plans.append((start, 1, None))
                continue
            positions = route.positions(args) if route is not None else [1]
            if positions is None:
                positions = [1]
            slots = {key_slot(args[i], enc) for i in positions}
            if len(slots) == 1:
                items.append(_Item(args, data, bool(route and route.readonly), slot=slots.pop()))
                plans.append((start, 1, None))
            elif not slots:
                ro = bool(route and route.readonly)
                nodes = client._keyless_nodes(route) if route is not None else [client.get_default_node()]
                items.extend(_Item(args, data, ro, node=n) for n in nodes)
                plans.append((start, len(nodes), _fan_out_combine(route, nodes, None, False)))
            elif route is not None and route.request_policy == "multi_shard":
                sub, combine = client._split(args, route, positions)
                items.extend(sub)
                plans.append((start, len(sub), combine))
            else:
                raise CrossSlotError(f"{args[0]!s}: its keys hash to {len(slots)} slots")
        await client._run_many(items)
        results: list[Any] = []
        first_error: BaseException | None = None
        for i, ((args, cb), (start, n, plan)) in enumerate(zip(queue, plans)):
            try:
                if plan is None:
                    reply = items[start].reply
                    if isinstance(reply, BaseException):
                        raise reply
                else:
                    reply = plan(items[start:start + n])
                results.append(reply if cb is None else cb(reply))
            except RedisError as exc:
                err = _annotate(exc, i, args)
                first_error = first_error or err
                results.append(err)
        if first_error is not None and raise_on_error:
            raise first_error
        return results

    async def _run_transaction(self, queue: list[Any], packed: list[bytes],
                               raise_on_error: bool) -> list[Any]:
        client: ClusterHost = self._client
        router = client._router
        assert router is not None
        enc = client._encoding
        slots: set[int] = set()
        for args, _cb in queue:
            route = router.lookup(args)
            positions = route.positions(args) if route is not None else [1]
            slots.update(key_slot(args[i], enc) for i in positions or ())
        if len(slots) > 1:
            raise CrossSlotTransactionError(
                f"a cluster transaction's keys must all be in one slot (found {len(slots)}): "
                "use a hash tag, {user1}:a and {user1}:b")
        if not slots:
            raise CrossSlotError("a cluster transaction needs at least one key to be routed")
        data = b"".join((_MULTI, *packed, _EXEC))  # each packed once, when it was queued
        item = _Item(("MULTI",), data, False, slot=slots.pop(), count=len(queue) + 2)
        await client._run_many([item])
        reply = item.reply
        if isinstance(reply, BaseException):
            raise reply
        if _observe.hook is not None and item.node is not None:  # the node that answered
            _observe.hook.peer(item.node.host, item.node.port)
        return _exec_results(reply, queue, raise_on_error)

    async def _run_watched(self, queue: list[Any], packed: list[bytes],
                           raise_on_error: bool) -> list[Any]:
        conn = self._conn
        assert conn is not None
        for args, _cb in queue:
            if self._one_slot(args) - {self._slot}:
                raise CrossSlotTransactionError("a watched transaction's keys must all be in the watched slot")
        data = b"".join((_MULTI, *packed, _EXEC))
        try:
            reply = await conn.send_batch(data, len(queue) + 2)
        except asyncio.CancelledError:
            self._reset()
            raise
        finally:
            cache = self._client.cache
            if cache is not None:  # its own connection: invalidations trail EXEC's reply
                for args, _cb in queue:
                    cache.forget(args)
        return _exec_results(reply, queue, raise_on_error)

    def __repr__(self) -> str:
        return f"<fastredis.ClusterPipeline transaction={self.transaction} queued={len(self._queue)}>"


def _exec_results(reply: list[Any], queue: list[Any], raise_on_error: bool) -> list[Any]:
    """The replies of MULTI, each QUEUED, EXEC -> the results of the queued commands."""
    head, queued, exec_reply = reply[0], reply[1:-1], reply[-1]
    if head.__class__ is _ReplyError:
        raise error_from_reply(head.args[0])
    if exec_reply.__class__ is _ReplyError:
        exc = error_from_reply(exec_reply.args[0])
        if isinstance(exc, ExecAbortError):
            for i, q in enumerate(queued):
                if q.__class__ is _ReplyError:
                    raise _annotate(error_from_reply(q.args[0]), i, queue[i][0]) from exc
        raise exc
    if exec_reply is None:
        raise WatchError("Watched variable changed.")
    if len(exec_reply) != len(queue):
        raise ResponseError("Wrong number of replies in the transaction's EXEC")
    results: list[Any] = []
    first_error: BaseException | None = None
    for i, (r, (args, cb)) in enumerate(zip(exec_reply, queue)):
        if r.__class__ is _ReplyError:
            err = _annotate(error_from_reply(r.args[0]), i, args)
            first_error = first_error or err
            results.append(err)
        else:
            results.append(r if cb is None else cb(r))
    if first_error is not None and raise_on_error:
        raise first_error
    return results

