"""Batches: a split multi-key command, a fan-out to several nodes, a pipeline.

Grouped by node, one write (and one FIFO entry) per node, every node at once; a part that
is redirected (MOVED / ASK) or refused for now (TRYAGAIN, CLUSTERDOWN, READONLY, LOADING) is
sent again, in the caller's order, in the next round. A part whose bytes may have reached a
node whose connection was then lost is sent again only when it is read-only."""

from __future__ import annotations

import asyncio
import operator
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable

import hiredis

from .. import _observe
from ..connection import expire as _expire
from ..exceptions import (
    AskError,
    AuthenticationError,
    BusyLoadingError,
    ClusterDownError,
    ConnectionError,
    MovedError,
    ReadOnlyError,
    TryAgainError,
    error_from_reply,
)
from .errors import SlotNotCoveredError, TooManyRedirections
from .nodes import usable
from .routing import Route, aggregate
from .slots import ClusterNode, key_slot

if TYPE_CHECKING:
    from ._host import ClusterHost

__all__ = ["_Item", "run_many", "split_multi", "split_fast", "redirect_of", "command_name"]

_ReplyError = hiredis.ReplyError
_ASKING = hiredis.pack_command(("ASKING",))


class _Item:
    """One command of a batch (a split multi-key command, a fan-out, a pipeline)."""

    __slots__ = ("args", "data", "count", "readonly", "slot", "node", "asking", "reply",
                 "redirects", "attempts", "fixed")

    def __init__(self, args: tuple[Any, ...], data: bytes, readonly: bool, slot: int | None = None,
                 node: ClusterNode | None = None, count: int = 1) -> None:
        self.args = args
        self.data = data
        self.count = count  # >1: a MULTI ... EXEC block, one reply list
        self.readonly = readonly
        self.slot = slot
        self.node = node
        self.fixed = node is not None  # keyless, for that node: never redirected
        self.asking: ClusterNode | None = None
        self.reply: Any = None
        self.redirects = 0
        self.attempts = 0


def redirect_of(exc: BaseException, node: ClusterNode) -> tuple[int, str]:
    """``MOVED 3999 127.0.0.1:6381`` -> (3999, "127.0.0.1:6381"). An empty host
    (``MOVED 3999 :6381``, the node does not know its address) means the node we asked."""
    parts = str(exc).split()
    slot, addr = int(parts[1]), parts[2]
    if addr.startswith(":"):
        addr = (f"[{node.host}]" if ":" in node.host else node.host) + addr
    return slot, addr



def command_name(args: tuple[Any, ...]) -> str:
    name = args[0]
    return name.decode(errors="replace") if isinstance(name, bytes) else str(name)



def split_multi(self: ClusterHost, args: tuple[Any, ...], route: Route,
                positions: list[int], slots: list[int] | None = None,
                ) -> tuple[list[_Item], Callable[..., Any]]:
    """A multi_shard command (MGET, MSET, DEL, EXISTS, TOUCH, UNLINK) as one command
    per slot; ``combine`` puts the answers back in the caller's order. ``slots``: the
    slot of each key, when the caller computed them already."""
    step = positions[1] - positions[0] if len(positions) > 1 else 1
    head = args[:positions[0]]
    tail = args[positions[-1] + step:]
    if slots is None:
        enc = self._encoding
        slots = [key_slot(args[p], enc) for p in positions]
    by_slot = _by_slot(slots)
    items: list[_Item] = []
    groups: list[list[int]] = []
    pack = self._pack_fast
    readonly = route.readonly
    name = args[0]
    # MGET k1 k2 ... / DEL ... / EXISTS ...: keys are args[1:], key n is args[n + 1]
    simple = step == 1 and len(head) == 1 and not tail and positions[0] == 1
    for slot, ords in by_slot.items():
        if simple:
            if len(ords) == 1:
                cmd: tuple[Any, ...] = (name, args[ords[0] + 1])
            else:
                cmd = (name, *[args[n + 1] for n in ords])
        elif step == 1:
            cmd = (*head, *[args[positions[n]] for n in ords], *tail)
        else:
            sub: list[Any] = list(head)
            for n in ords:
                p = positions[n]
                sub.extend(args[p:p + step])
            sub.extend(tail)
            cmd = tuple(sub)
        items.append(_Item(cmd, pack(cmd), readonly, slot))
        groups.append(ords)
    policy = route.response_policy
    total = len(positions)

    def combine(done: list[_Item]) -> Any:
        for it in done:
            if isinstance(it.reply, BaseException):
                raise it.reply
        if policy is not None:
            return aggregate(policy, [it.reply for it in done])
        out: list[Any] = [None] * total
        for it, ords in zip(done, groups):
            for j, n in enumerate(ords):
                out[n] = it.reply[j]
        return out

    return items, combine


async def run_many(self: ClusterHost, items: list[_Item]) -> None:
    """Run a batch: grouped by node, one write per node, every node at once; a part
    redirected or refused for now is sent again (in order) in the next round. Each
    item ends with ``reply`` set to its raw reply or to an exception."""
    topo = self._topology
    pending = items
    while pending:
        # grouped by node name (ClusterNode.__hash__ is Python code: once per node, not item)
        by_name: dict[str, list[_Item]] = {}
        nodes: dict[str, ClusterNode] = {}
        unserved: list[_Item] = []
        node_for = self._node_for
        primaries = None if self._read_from_replicas else self._topology.slots.primaries
        for it in pending:
            if it.fixed:
                node = it.node
            elif it.asking is not None:
                node = it.asking
            elif primaries is not None:
                node = primaries[it.slot]  # type: ignore[index]
            else:
                node = node_for(it.slot, it.readonly)  # type: ignore[arg-type]
            if node is None:
                unserved.append(it)
                continue
            it.node = node
            group = by_name.get(node.name)
            if group is None:
                by_name[node.name] = [it]
                nodes[node.name] = node
            else:
                group.append(it)
        groups = {nodes[name]: group for name, group in by_name.items()}
        loop = asyncio.get_running_loop()
        need = [n for n in groups if usable(n, loop) is None]
        if need:
            opened = await asyncio.gather(*(self._connection(n) for n in need),
                                          return_exceptions=True)
            for r in opened:
                if isinstance(r, AuthenticationError):
                    raise r
        sent: list[tuple[ClusterNode, list[_Item], asyncio.Future[Any], Any, bool]] = []
        retry: list[_Item] = []
        refresh = backoff = False
        for node, group in groups.items():
            conn = usable(node, loop)
            if conn is None:
                for it in group:  # never written: safe to try again
                    it.attempts += 1
                    it.asking = None  # an unreachable ASK target: start from the owner again
                    it.reply = ConnectionError(f"Cannot reach {node.name}")
                    retry.append(it)
                refresh = backoff = True
                continue
            # plain: one reply per item, no ASKING (the common case, a faster loop below)
            plain = all(it.count == 1 and it.asking is None for it in group)
            if plain:
                data = b"".join([it.data for it in group])
                count = len(group)
            else:
                parts: list[bytes] = []
                count = 0
                for it in group:
                    if it.asking is not None:
                        parts.append(_ASKING)
                        count += 1
                    parts.append(it.data)
                    count += it.count
                data = b"".join(parts)
            # the whole group in one write and one FIFO entry
            fut = conn.send_batch(data, count)
            handle = None
            if self._timeout is not None:
                handle = conn._loop.call_later(self._timeout, _expire, fut, self._timeout)
            sent.append((node, group, fut, handle, plain))
        if len(sent) == 1:
            await asyncio.wait((sent[0][2],))
        elif sent:
            await asyncio.wait([s[2] for s in sent])
        for node, group, fut, handle, plain in sent:
            if handle is not None:
                handle.cancel()
            exc = fut.exception()
            if exc is not None:
                for it in group:
                    if isinstance(exc, ConnectionError) and it.readonly:
                        it.attempts += 1
                        it.reply = exc
                        retry.append(it)
                        refresh = backoff = True
                    elif isinstance(exc, ConnectionError):
                        lost = ConnectionError(
                            f"Connection to {node.name} was lost while {command_name(it.args)} was in "
                            "flight: its outcome is unknown (not retried: only read-only "
                            "commands are)")
                        lost.__cause__ = exc
                        it.reply = lost
                    else:
                        it.reply = exc
                continue
            if plain:
                failed = None
                for it, reply in zip(group, fut.result()):
                    it.reply = reply
                    if reply.__class__ is _ReplyError:
                        failed = True
                if failed is None:
                    continue  # every part answered: nothing to look at again
                replies = iter([it.reply for it in group])
            else:
                replies = iter(fut.result())
            for it in group:
                if it.asking is not None:
                    next(replies)  # ASKING's +OK
                    it.asking = None
                if it.count == 1:
                    reply = next(replies)
                else:  # MULTI ... EXEC: judged by the first queued command and EXEC
                    block = [next(replies) for _ in range(it.count)]
                    reply = block[1] if block[1].__class__ is _ReplyError else block
                if reply.__class__ is not _ReplyError:
                    it.reply = reply
                    continue
                err = error_from_reply(reply.args[0])
                it.reply = err
                if it.fixed:
                    continue
                if isinstance(err, (MovedError, AskError)):
                    self.stats["moved" if isinstance(err, MovedError) else "ask"] += 1
                    it.redirects += 1
                    if it.redirects > self.max_redirects:
                        it.reply = TooManyRedirections(
                            f"{command_name(it.args)}: more than {self.max_redirects} redirections")
                        continue
                    s, addr = redirect_of(err, node)
                    if _observe.hook is not None:  # an event on the command's / pipeline's span
                        _observe.hook.redirect("MOVED" if isinstance(err, MovedError) else "ASK", s, addr)
                    if isinstance(err, MovedError):
                        topo.moved(s, addr)
                    elif it.count == 1:
                        it.asking = topo.node(addr)
                    else:  # a transaction during a migration: wait for it to end
                        backoff = True
                        it.attempts += 1
                    retry.append(it)
                elif isinstance(err, (TryAgainError, ClusterDownError, ReadOnlyError,
                                      BusyLoadingError)):
                    self.stats["retry:" + type(err).__name__] += 1
                    it.attempts += 1
                    retry.append(it)
                    backoff = True
                    refresh = refresh or not isinstance(err, TryAgainError)
        for it in unserved:
            it.attempts += 1
            it.reply = SlotNotCoveredError(f"No node serves slot {it.slot} (cluster down?)")
            retry.append(it)
            refresh = True
        if not retry:
            return
        pending = [it for it in retry if it.attempts <= self.retries]
        if not pending:
            return
        # keep the caller's order for what goes again
        order = {id(it): i for i, it in enumerate(items)}
        pending.sort(key=lambda it: order[id(it)])
        if refresh:
            if unserved:
                await topo.refresh()
            else:
                topo.request_refresh()
        if backoff:
            await self._backoff(max(it.attempts for it in pending))


def _seen(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()  # retrieved: no "exception was never retrieved" for a caller who left


_SLOW: Any = object()  # split_fast cannot take this one: the general path (split_multi) does
_get_running_loop = asyncio.events._get_running_loop
_itemgetter = operator.itemgetter
_first = operator.itemgetter(0)
_second = operator.itemgetter(1)
_HEADS: dict[Any, tuple[bytes, bytes]] = {}


def _heads(name: Any) -> tuple[bytes, bytes]:
    """A command name as a RESP bulk string, alone and after ``*2``: a one-key command is
    ``head2`` + the key packed (remembered for the few names split_fast sees)."""
    head = b"$%d\r\n%s\r\n" % (len(name), name.encode() if name.__class__ is str else name)
    heads = (head, b"*2\r\n" + head)
    if len(_HEADS) < 64:
        _HEADS[name] = heads
    return heads



async def split_fast(self: ClusterHost, args: tuple[Any, ...], route: Route, step: int) -> Any:
    """``MGET k1 k2 ...`` (``DEL``, ``EXISTS``, ``MSET k v ...`` ...) across slots, the fast
    way: one command per slot packed by hand from the slot cache (the key already a RESP
    bulk string), all the commands of a node in one write and one FIFO entry (no future,
    item or task per slot), answers put back in order from index lists. Redis refuses a
    multi-key command across slots even on one node (CROSSSLOT): one command per slot is
    the floor. When every key has a slot of its own (the usual MGET/DEL of unrelated
    keys), the per-key work is done by C loops (``map``, ``itemgetter``, ``join``) and
    one short Python loop that groups the keys by node.

    Returns the reply, or ``_SLOW`` (nothing was sent) when a node of the map is unknown,
    its connection is not up on this loop, or socket_timeout is set. A part answered by
    an error (MOVED, ASK, TRYAGAIN ...: the command did not run) goes through ``run_many``
    again, with its redirection and retry rules; so does a read-only part whose connection
    was lost. A write whose connection was lost in flight is reported, never re-sent."""
    name = args[0]
    keys = args[1::step]
    nkeys = len(keys)
    known = self._slots.keys
    try:
        infos: list[Any] = list(map(known.get, keys))  # per key: (slot, key packed)
        if not all(infos):  # (entries are non-empty tuples)
            miss = self._slots.packed
            infos = [e if e is not None else miss(k) for e, k in zip(infos, keys)]
    except (TypeError, ValueError):  # unhashable (bytearray, a writable memoryview)
        return _SLOW  # the general path takes it
    slots: list[int] = list(map(_first, infos))
    readonly = route.readonly
    node_for = self._node_for if readonly and self._read_from_replicas else None
    primaries = self._topology.slots.primaries
    loop = _get_running_loop()
    heads = _HEADS.get(name)
    if heads is None:
        heads = _heads(name)
    head, head2 = heads
    # per node: (node, what each of its commands covers, the bytes to write, single). A
    # command covers one key (its index) when ``single``, else one slot (its keys are
    # by_slot[slot])
    plan: list[tuple[ClusterNode, list[int], bytes, bool]] = []
    by_slot: dict[int, list[int]] = {}
    if step == 1 and node_for is None:
        if len(set(slots)) == nkeys:  # a slot per key: a command per key
            units = slots
        else:  # some keys share a slot: a command per slot
            by_slot = _by_slot(slots)
            units = list(by_slot)
            if len(units) == 1:
                return _SLOW  # one slot after all: one command, not ours
        # grouped by node connection (slot -> connection: the topology's table, one C
        # lookup per key; the default hash: ClusterNode.__hash__ is Python code)
        groups: defaultdict[Any, list[int]] = defaultdict(list)
        for i, conn in enumerate(_itemgetter(*units)(self._topology.connections())):
            groups[conn].append(i)
        if None in groups:
            return _SLOW  # a slot nobody serves in our map, or a node not connected yet
        for conn, upos in groups.items():
            if conn.closed:
                self._topology.forget_connections()  # rebuilt at the next split
                return _SLOW
            if conn._loop is not loop:  # (node.connection is the first loop's: the table
                return _SLOW            # stays, another loop's command goes the general way)
            node = primaries[units[upos[0]]]  # (the table's: same epoch, same map)
            assert node is not None
            if by_slot:
                nslots = list(_itemgetter(*upos)(units)) if len(upos) > 1 else [units[upos[0]]]
                keysets = [by_slot[s] for s in nslots]
                if max(map(len, keysets)) > 1:
                    parts: list[bytes] = []
                    for ords in keysets:
                        _pack_keys(parts, ords, infos, head, head2)
                    plan.append((node, nslots, b"".join(parts), False))
                    continue
                upos = list(map(_first, keysets))  # this node: a slot per key after all
            sel = _itemgetter(*upos)(infos) if len(upos) > 1 else (infos[upos[0]],)
            plan.append((node, upos, head2 + head2.join(map(_second, sel)), True))
    else:
        by_slot = _by_slot(slots)
        enc = self._arg_encoding
        errors = self._params.encoding_errors
        per: dict[str, tuple[ClusterNode, list[int], list[bytes]]] = {}  # by name: see above
        for s, ords in by_slot.items():
            node = node_for(s, readonly) if node_for is not None else primaries[s]
            if node is None:
                return _SLOW
            entry = per.get(node.name)
            if entry is None:
                conn = node.connection
                if conn is None or conn.closed or conn._loop is not loop:
                    return _SLOW
                entry = per[node.name] = (node, [], [])
            entry[1].append(s)
            parts = entry[2]
            if step == 1:  # read from replicas
                _pack_keys(parts, ords, infos, head, head2)
                continue
            parts.append(b"*%d\r\n" % (1 + len(ords) * 2))
            parts.append(head)
            for n in ords:  # MSET: key, value
                parts.append(infos[n][1])
                v = args[2 + n * 2]
                cls = v.__class__
                if cls is str:
                    v = v.encode() if enc is None else v.encode(enc, errors)
                elif cls is not bytes:
                    parts.append(self._pack((v,))[4:])  # "*1\r\n" off: the same rules as pack
                    continue
                parts.append(b"$%d\r\n%s\r\n" % (len(v), v))
        plan = [(node, covers, b"".join(parts), False) for node, covers, parts in per.values()]
    sent = [(node, covers, node.connection.send_batch(data, len(covers)), single)  # type: ignore[union-attr]
            for node, covers, data, single in plan]
    # every node's answers (each future retrieved, so none is left with an unseen error),
    # put in place as they come: MGET's straight into the caller's order
    policy = route.response_policy
    out: list[Any] = [None] * nkeys
    done: list[Any] = []  # replies to aggregate (DEL, EXISTS, MSET ...)
    redo: list[tuple[int, list[int]]] = []  # (slot, its keys' indexes) to send again
    lost: BaseException | None = None
    for node, covers, fut, single in sent:
        try:
            replies = await fut
        except asyncio.CancelledError:
            for other in sent:  # the caller left: whatever the other nodes answer is seen
                other[2].add_done_callback(_seen)
            raise
        except ConnectionError as exc:
            if not readonly:
                lost = ConnectionError(
                    f"Connection to {node.name} was lost while {command_name(args)} was in flight: "
                    "its outcome is unknown (not retried: only read-only commands are)")
                lost.__cause__ = exc
            redo.extend(_covered(covers, single, slots, by_slot))
            continue
        except BaseException as exc:
            lost = lost or exc
            continue
        if single and policy is None:  # MGET, a key per command: the common case
            try:
                for i, reply in zip(covers, replies):
                    out[i] = reply[0]  # (an error reply is not subscriptable: TypeError)
                continue
            except TypeError:
                pass  # the loop below looks at each part
        if _ReplyError in map(type, replies):  # rare: take the answered parts, redo the rest
            for c, reply in zip(covers, replies):
                if reply.__class__ is _ReplyError:
                    redo.extend(_covered([c], single, slots, by_slot))
                elif policy is not None:
                    done.append(reply)
                elif single:
                    out[c] = reply[0]
                else:
                    for j, n in enumerate(by_slot[c]):
                        out[n] = reply[j]
        elif policy is not None:
            done.extend(replies)
        else:
            for s, reply in zip(covers, replies):
                ords = by_slot[s]
                if len(ords) == 1:
                    out[ords[0]] = reply[0]
                else:
                    for j, n in enumerate(ords):
                        out[n] = reply[j]
    if lost is not None:
        raise lost
    if redo:  # rare: the general machinery, for these slots only
        items = []
        for s, ords in redo:
            cmd: list[Any] = [name]
            for n in ords:
                cmd.extend(args[1 + n * step:1 + (n + 1) * step])
            items.append(_Item(tuple(cmd), self._pack(tuple(cmd)), readonly, s))
        await run_many(self, items)
        for it, (_slot, ords) in zip(items, redo):
            if isinstance(it.reply, BaseException):
                raise it.reply
            if policy is None:
                for j, n in enumerate(ords):
                    out[n] = it.reply[j]
            else:
                done.append(it.reply)
    return out if policy is None else aggregate(policy, done)


def _by_slot(slots: list[int]) -> dict[int, list[int]]:
    """slot -> the indexes of its keys, in the caller's order."""
    by_slot: dict[int, list[int]] = {}
    for n, s in enumerate(slots):
        ords = by_slot.get(s)
        if ords is None:
            by_slot[s] = [n]
        else:
            ords.append(n)
    return by_slot


def _pack_keys(parts: list[bytes], ords: list[int], infos: list[Any], head: bytes,
               head2: bytes) -> None:
    """One command (``head``: its name packed) of the keys ``ords``, appended to ``parts``."""
    if len(ords) == 1:
        parts.append(head2)
        parts.append(infos[ords[0]][1])
    else:
        parts.append(b"*%d\r\n" % (1 + len(ords)))
        parts.append(head)
        parts.extend([infos[n][1] for n in ords])


def _covered(covers: list[int], single: bool, slots: list[int],
             by_slot: dict[int, list[int]]) -> list[tuple[int, list[int]]]:
    """(slot, key indexes) of the commands ``covers`` names (see split_fast's plan)."""
    if single:
        return [(slots[i], [i]) for i in covers]
    return [(s, by_slot[s]) for s in covers]
