"""The parts of the cluster PubSub that hold state but make no decisions: the gap event,
a node connection with what that node confirmed, and the one queue every node connection
feeds (what PubSub's reading code sees as its connection). See pubsub.py."""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from .._protocol import Connection
from .slots import ClusterNode


@dataclass(frozen=True)
class GapEvent:
    """Subscriptions that were not in force from ``start`` to ``end`` (``time.time()``
    seconds): messages published to these channels meanwhile may be lost.
    ``reason``: ``"slot-moved"`` (a migration or failover moved the slot; ``start`` is the
    last time the old owner was known to hold it), ``"unsubscribed-by-server"`` (the
    ``sunsubscribe`` push), ``"connection-lost"``."""

    channels: frozenset[Any]
    start: float
    end: float
    reason: str
    patterns: frozenset[Any] = field(default_factory=frozenset)
    node: str | None = None

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


class _Link:
    """One node connection in subscribed mode and what that node confirmed."""

    __slots__ = ("node", "conn", "actual", "internal", "classic")

    def __init__(self, node: ClusterNode, conn: Connection, classic: bool) -> None:
        self.node = node
        self.conn = conn
        self.classic = classic
        self.actual: set[tuple[str, Any]] = set()  # (tag, name) confirmed by this node
        # confirmations of our own (un)subscribes still to come, not for the reader
        self.internal: Counter[tuple[Any, Any]] = Counter()


class _Waiters(list):  # type: ignore[type-arg]
    """The reader's waiters; a waiter given back (timed out) is cancelled, which takes
    it off every node connection as well."""

    def remove(self, w: Any) -> None:
        super().remove(w)
        w.cancel()


class _Merged:
    """What PubSub's reading code sees as ``self.connection``: the shared queue, and the
    flow-control calls passed on to every node connection."""

    def __init__(self, owner: _Owner, high: int) -> None:
        self._owner = owner
        self._queue: deque[Any] = deque()
        self._queue_waiters: list[asyncio.Future[Any]] = _Waiters()
        self._low = max(1, high // 4)
        self.closed = False
        self.close_exc: BaseException | None = None
        self.dropped = 0

    def _conns(self) -> list[Connection]:
        return [link.conn for link in self._owner._all_links() if not link.conn.closed]

    @property
    def _paused(self) -> bool:  # read once per message: no list built
        o = self._owner
        c = o._classic
        if c is not None and c.conn._paused:
            return True
        for link in o._links.values():
            if link.conn._paused:
                return True
        return False

    @property
    def _qbytes(self) -> int:
        return 0

    @_qbytes.setter
    def _qbytes(self, value: int) -> None:
        for c in self._conns():
            c._qbytes = value

    @property
    def drop_confirms(self) -> bool:
        return self._owner._ignore

    @drop_confirms.setter
    def drop_confirms(self, value: bool) -> None:
        for c in self._conns():
            c.drop_confirms = value

    def took(self, frame: Any) -> None:
        for c in self._conns():
            if c._paused:
                c.took(frame)

    def after_consume(self) -> None:
        for c in self._conns():
            c.after_consume()

    def wait_frames(self) -> asyncio.Future[Any]:
        w: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        conns = self._conns()
        if self.closed:
            w.set_result(None)
            return w
        self._queue_waiters.append(w)
        for c in conns:
            c._queue_waiters.append(w)
        w.add_done_callback(self._forget)
        return w

    def adopt(self, conn: Connection) -> None:
        """A new node connection: it feeds the shared queue and wakes current readers."""
        conn._queue = self._queue
        conn._queue_waiters.extend(w for w in self._queue_waiters if not w.done())

    def _forget(self, w: asyncio.Future[Any]) -> None:
        for c in self._conns():
            c.forget_waiter(w)

    def wake(self) -> None:
        ws = list(self._queue_waiters)
        self._queue_waiters.clear()
        for w in ws:
            if not w.done():
                w.set_result(None)

    @property
    def frames_in(self) -> int:
        o = self._owner
        return o._gone[0] + sum(link.conn.frames_in for link in o._all_links())

    @property
    def confirms_dropped(self) -> int:
        o = self._owner
        return o._gone[1] + sum(link.conn.confirms_dropped for link in o._all_links())


class _Owner(Protocol):
    """What ``_Merged`` reads of the ClusterPubSub that owns it (pubsub.py imports this
    module: naming the class here would be an import circle)."""

    _links: dict[str, _Link]
    _classic: _Link | None
    _gone: list[int]
    _ignore: bool

    def _all_links(self) -> list[_Link]: ...


class _ClusterClosing:
    __slots__ = ("_conns",)

    def __init__(self, conns: list[Connection]) -> None:
        self._conns = conns

    def __await__(self) -> Any:
        return self._wait().__await__()

    async def _wait(self) -> None:
        for c in self._conns:
            try:
                await asyncio.wait_for(c.wait_closed(), 5.0)
            except asyncio.TimeoutError:  # pragma: no cover
                pass
