"""The cluster pipeline: queued commands grouped per node, one write per node, every node
at once; a part that is redirected (MOVED/ASK) or refused for now (TRYAGAIN, CLUSTERDOWN)
is sent again to its new node in the caller's order; results come back in the caller's
order. Nothing is sent twice: a part whose connection was lost after it was written is
retried only when it is read-only, otherwise its result is a ConnectionError saying the
outcome is unknown.

``transaction=True``: MULTI ... EXEC as one block on the node of the one slot every key
belongs to (a CrossSlotError before anything is sent otherwise)."""

from __future__ import annotations

from typing import Any, AnyStr, Callable

import hiredis

from ..commands import CoreCommands
from ..exceptions import (
    DataError,
    ExecAbortError,
    RedisError,
    ResponseError,
    WatchError,
    error_from_reply,
)
from .batch import _Item
from .client import RedisCluster
from .errors import CrossSlotError
from .routing import aggregate
from .slots import key_slot

__all__ = ["ClusterPipeline"]

_ReplyError = hiredis.ReplyError
_MULTI = hiredis.pack_command(("MULTI",))
_EXEC = hiredis.pack_command(("EXEC",))


def _annotate(exc: BaseException, index: int, args: tuple[Any, ...]) -> BaseException:
    if not isinstance(exc, RedisError):
        return exc
    name = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
    new = type(exc)(f"Command # {index + 1} ({name}) of pipeline caused error: {exc}")
    new.__cause__ = exc
    return new


def _keyless_combine(route: Any) -> Callable[..., Any]:
    policy = route.response_policy if route is not None else None
    if policy == "special":
        policy = None

    def combine(done: list[_Item]) -> Any:
        replies = [it.reply for it in done]
        errors = [r for r in replies if isinstance(r, BaseException)]
        if errors and not (policy == "one_succeeded" and len(errors) < len(replies)):
            raise errors[0]
        return aggregate(policy, [r for r in replies if not isinstance(r, BaseException)])

    return combine


class ClusterPipeline(CoreCommands[AnyStr]):
    """``rc.pipeline()``; commands chain (``p.set(..).get(..)``); ``await p.execute()``."""

    def __init__(self, client: RedisCluster[Any], transaction: bool = False) -> None:
        self._client = client
        self.transaction = transaction
        self._queue: list[tuple[tuple[Any, ...], Callable[..., Any] | None]] = []

    def _execute(self, args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any:
        self._client._pack(args)  # a bad argument is a DataError here, at the call site
        self._queue.append((args, callback))
        return self

    def _execute_blocking(self, args: tuple[Any, ...], callback: Callable[..., Any] | None = None) -> Any:
        return self._execute(args, callback)

    def execute_command(self, *args: Any, **options: Any) -> Any:
        return self._execute(args)

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
        self.reset()

    def reset(self) -> None:
        self._queue = []

    async def watch(self, *names: Any) -> bool:
        raise DataError("WATCH is not supported on a cluster pipeline; use a hash tag and "
                        "transaction=True (MULTI/EXEC on the slot's node)")

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        queue, self._queue = self._queue, []
        if not queue:
            return []
        client = self._client
        await client.initialize()
        if self.transaction:
            return await self._run_transaction(queue, raise_on_error)
        router = client._router
        assert router is not None
        enc = client._encoding
        items: list[_Item] = []
        plans: list[tuple[int, int, Callable[[list[_Item]], Any] | None]] = []  # (first item, item count, combine)
        for args, _cb in queue:
            route = router.lookup(args)
            positions = route.positions(args) if route is not None else [1]
            if positions is None:
                positions = [1]
            slots = {key_slot(args[i], enc) for i in positions}
            start = len(items)
            if len(slots) == 1:
                items.append(_Item(args, client._pack(args), bool(route and route.readonly),
                                   slot=slots.pop()))
                plans.append((start, 1, None))
            elif not slots:
                ro = bool(route and route.readonly)
                nodes = client._keyless_nodes(route) if route is not None else [client.get_default_node()]
                data = client._pack(args)
                items.extend(_Item(args, data, ro, node=n) for n in nodes)
                plans.append((start, len(nodes), _keyless_combine(route)))
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

    async def _run_transaction(self, queue: list[Any], raise_on_error: bool) -> list[Any]:
        client: RedisCluster[Any] = self._client
        router = client._router
        assert router is not None
        enc = client._encoding
        slots: set[int] = set()
        for args, _cb in queue:
            route = router.lookup(args)
            positions = route.positions(args) if route is not None else [1]
            slots.update(key_slot(args[i], enc) for i in positions or ())
        if len(slots) > 1:
            raise CrossSlotError(
                f"a cluster transaction's keys must all be in one slot (found {len(slots)}): "
                "use a hash tag, {user1}:a and {user1}:b")
        if not slots:
            raise CrossSlotError("a cluster transaction needs at least one key to be routed")
        data = b"".join((_MULTI, *(client._pack(a) for a, _ in queue), _EXEC))
        item = _Item(("MULTI",), data, False, slot=slots.pop(), count=len(queue) + 2)
        await client._run_many([item])
        reply = item.reply
        if isinstance(reply, BaseException):
            raise reply
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

    def __repr__(self) -> str:
        return f"<fastredis.ClusterPipeline transaction={self.transaction} queued={len(self._queue)}>"
