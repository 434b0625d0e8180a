"""Pub/Sub on a Redis Cluster: classic channels on one node, sharded channels on their
owners, one stream, one memory bound, and a reconciler that follows the cluster.

How it works (DESIGN.md "Cluster Pub/Sub"):

* What the user subscribed to (``channels``, ``patterns``, ``shard_channels``, inherited
  from :class:`fastredis.pubsub.PubSub`) is the *desired* state. Each node connection
  (a ``_Link``) holds the *actual* state: what that node confirmed.
* Classic SUBSCRIBE/PSUBSCRIBE go to one connection on one node (PUBLISH reaches every
  node of a cluster); SSUBSCRIBE goes to the owner of the channel's slot, one connection
  per owning node, opened when needed and closed when empty, one SSUBSCRIBE per slot
  (never CROSSSLOT), each followed by a PING so an error (MOVED, NOPERM) fails exactly
  that slot's group.
* Every node connection appends to ONE deque (the frame queue of
  ``fastredis._protocol.Connection`` is shared): one ``get_message``/``listen`` stream in
  arrival order, and each connection's flow control sees the length and bytes of the
  shared queue, so the ``max_queued``/``max_queued_bytes`` bound holds across all shards.
  The reading side (``get_message``, ``listen``, handlers, ``run_in_thread``) is
  PubSub's own, reading through ``_Merged``, which looks like one connection.
* The reconciler (one task) makes actual equal desired after: an unsolicited
  ``sunsubscribe`` push (Redis sends it when a slot moves away: seen by the connection's
  ``on_push`` hook, a topology event, never taken for a reply), an SSUBSCRIBE answered with
  MOVED, a slot-map change (the cluster client's topology calls us back), a lost
  connection, and a periodic tick that also refreshes the slot map, so a process that
  only subscribes follows migrations and failovers too. A moved channel is subscribed at
  its new owner *before* it is let go at the old one.
* Redis Pub/Sub is at-most-once: whenever a subscription was dropped and restored (or its
  slot moved, so messages may have gone to a node we were not listening to), a
  :class:`GapEvent` names the channels and the time window; it goes to ``on_gap`` and
  ``stats()["gaps"]``. Confirmations of the reconciler's own (un)subscribes are not
  delivered to the reader (the gap event says what happened); those of the user's calls are.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections import deque
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable

from hiredis import PushNotification

from .. import _observe
from .._execution import Deadline as _Deadline
from .._execution import notify as _notify
from .._log import get_logger
from .._protocol import Connection, pack
from ..connection import connect
from ..exceptions import (
    AskError,
    ClusterDownError,
    ConnectionError,
    DataError,
    MovedError,
    PubSubError,
    RedisError,
    ResponseError,
    TimeoutError,
    TryAgainError,
)
from ..pubsub import PubSub
from ._pubsub_parts import GapEvent, _ClusterClosing, _Link, _Merged
from .batch import redirect_of
from .errors import RedisClusterException
from .slots import ClusterNode, key_slot

if TYPE_CHECKING:
    from ..typing import PubSubMessage
    from ._host import ClusterHost

__all__ = ["ClusterPubSub", "GapEvent", "pubsub_node"]

logger = get_logger("fastredis.cluster.pubsub")

_PING = pack(("PING",))
_SUNSUB = frozenset((b"sunsubscribe", "sunsubscribe"))
_CONFIRMS = frozenset(k for n in ("subscribe", "psubscribe", "ssubscribe", "unsubscribe",
                                  "punsubscribe", "sunsubscribe") for k in (n, n.encode()))
_DATA = frozenset((b"message", "message", b"smessage", "smessage", b"pmessage", "pmessage"))
# errors after which the same SSUBSCRIBE will succeed once the slot map is right
_RETRY = (MovedError, AskError, TryAgainError, ClusterDownError, ConnectionError, TimeoutError,
          OSError)
_KINDS = {"s": ("SSUBSCRIBE", "SUNSUBSCRIBE"), "c": ("SUBSCRIBE", "UNSUBSCRIBE"),
          "p": ("PSUBSCRIBE", "PUNSUBSCRIBE")}
# confirmation frame kind -> table tag
_TAG = {k: t for t, names in (("s", ("ssubscribe", "sunsubscribe")),
                              ("c", ("subscribe", "unsubscribe")),
                              ("p", ("psubscribe", "punsubscribe")))
        for n in names for k in (n, n.encode())}


def pubsub_node(cluster: ClusterHost, node: ClusterNode | None = None,
                host: str | None = None, port: int | None = None) -> ClusterNode | None:
    """The node ``rc.pubsub(node=, host=, port=)`` names, checked as redis-py checks it
    (``ClusterPubSub.set_pubsub_node``): a node or a ``host``+``port`` that is not in the
    cluster's topology raises RedisClusterException, ``host`` without ``port`` (or the
    reverse) DataError; nothing given: None (a node is chosen at the first subscribe)."""
    if node is not None:
        _check_member(cluster, node, node.host, node.port)
        return node
    if host is not None and port is not None:
        found = cluster.get_node(host=host, port=port)
        _check_member(cluster, found, host, port)
        return found
    if host is not None or port is not None:
        raise DataError("Specify both host and port")
    return None


def _check_member(cluster: ClusterHost, node: ClusterNode | None, host: Any, port: Any) -> None:
    if node is None or cluster.get_node(node_name=node.name) is None:
        raise RedisClusterException(f"Node {host}:{port} doesn't exist in the cluster")


class ClusterPubSub(PubSub):
    """``rc.pubsub(node=None, host=None, port=None, ignore_subscribe_messages=False,
    on_gap=None, reconcile_interval=2.0, max_queued=4096, max_queued_bytes=4 MiB,
    overflow="pause", ...)``: the whole PubSub API on a cluster (see the module docstring).
    ``node`` / ``host``+``port``: where classic channels are subscribed, validated as
    redis-py does (see :func:`pubsub_node`). ``on_gap(GapEvent)`` (plain or ``async def``)
    is called whenever subscriptions were dropped and restored; ``on_reconnect(info)``
    too, as on one server. ``reconcile_interval``: how often the slot map is checked when
    nothing told us it changed (the push is not always sent).

    redis-py's reading methods are here too and read the same one stream:
    ``get_sharded_message()`` is ``get_message()`` (messages of every node, classic and
    sharded, in arrival order), ``get_pubsub_node()`` / ``.node`` the node of the classic
    channels, ``get_redis_connection()`` that node's connection."""

    def __init__(self, client: ClusterHost, node: ClusterNode | None = None,
                 host: str | None = None, port: int | None = None, *,
                 on_gap: Callable[[GapEvent], Any] | None = None,
                 reconcile_interval: float = 2.0, **kwargs: Any) -> None:
        self._preferred: ClusterNode | None = None
        self._rc = client
        self.set_pubsub_node(client, node, host, port)
        # the base class only reads the codec from the pool's parameters
        super().__init__(SimpleNamespace(params=client._params), **kwargs)  # type: ignore[arg-type]
        self.on_gap = on_gap
        self._interval = max(0.05, float(reconcile_interval))
        self._merged = _Merged(self, self._max_queued)
        self._links: dict[str, _Link] = {}
        self._classic: _Link | None = None
        self._gap_open: dict[tuple[str, Any], tuple[float, str, str | None]] = {}
        self._gaps: deque[GapEvent] = deque(maxlen=100)
        self._announce: set[tuple[str, Any]] = set()
        self._errors: dict[tuple[str, Any], BaseException] = {}
        self._slot_of: dict[Any, int] = {}
        self._bad: dict[str, float] = {}  # node name -> until when not to pick it (classic)
        self._verified_at = self._refreshed_at = time.time()
        self._lock: asyncio.Lock | None = None
        self._kick: asyncio.Event | None = None
        self._task: asyncio.Task[Any] | None = None
        self._refresh_wanted = False
        self._registered = False
        self._gone = [0, 0, 0]  # frames_in, confirms_dropped, dropped of retired connections
        self._stats.update(gaps=0, gap_channels=0, resubscribes=0, moved=0,
                           server_unsubscribes=0)

    # ------------------------------------------------------------------ plumbing
    def _retire(self, link: _Link, close: bool = True) -> None:
        """A node connection leaves (lost, empty, replaced): keep its counts."""
        conn = link.conn
        conn.on_lost = None
        self._gone[0] += conn.frames_in
        self._gone[1] += conn.confirms_dropped
        self._gone[2] += conn.dropped
        conn.frames_in = conn.confirms_dropped = conn.dropped = 0
        if close:
            conn.close()

    def _all_links(self) -> list[_Link]:
        links = list(self._links.values())
        if self._classic is not None:
            links.append(self._classic)
        return links

    def _check_loop(self) -> None:
        loop = self._loop
        if loop is not None and loop is not asyncio.get_running_loop():
            raise PubSubError("A cluster PubSub is bound to the event loop it subscribed on")

    def _progress(self) -> int:
        return self._merged.frames_in + self._merged.confirms_dropped

    def _taken(self) -> int:
        m = self._merged
        return self._taken_before + m.frames_in - len(m._queue)

    def _start(self) -> None:
        if self._closed:
            raise PubSubError("This PubSub is closed")
        self._check_loop()
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._lock = asyncio.Lock()
            self._kick = asyncio.Event()
        if self.connection is None:
            self.connection = self._merged  # type: ignore[assignment]
            self._wake_state()
        if not self._registered:
            self._rc._topology.on_change.append(self._map_changed)
            self._registered = True
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())
        if self.health_check_interval and (self._health_task is None or self._health_task.done()):
            self._health_task = asyncio.ensure_future(self._health_loop())

    def _map_changed(self) -> None:
        if self._kick is not None and not self._closed:
            self._kick.set()

    def _want_refresh(self) -> None:
        self._refresh_wanted = True
        if self._kick is not None:
            self._kick.set()

    def _slot(self, name: Any) -> int:
        s = self._slot_of.get(name)
        if s is None:
            s = self._slot_of[name] = key_slot(name, self._encoding)
        return s

    def _desired(self) -> set[tuple[str, Any]]:
        return ({("c", n) for n in self.channels} | {("p", n) for n in self.patterns}
                | {("s", n) for n in self.shard_channels})

    def _actual(self, key: tuple[str, Any]) -> bool:
        if key[0] == "s":
            node = self._rc._topology.slots.primaries[self._slot(key[1])]
            link = self._links.get(node.name) if node is not None else None
        else:
            link = self._classic
        return link is not None and not link.conn.closed and key in link.actual

    def _open_gap(self, key: tuple[str, Any], start: float, reason: str, node: str | None) -> None:
        if key not in self._gap_open:
            # from the last time it was known to be in place: messages may have gone
            # astray before we could notice (the new owner takes a slot before the push)
            self._gap_open[key] = (min(start, self._verified_at), reason, node)

    # ------------------------------------------------------------------ node connections
    async def _open_link(self, node: ClusterNode, classic: bool) -> _Link:
        params = self._rc._node_params(node)
        conn = await asyncio.wait_for(connect(params, pubsub=True), self._confirm_timeout)
        if self._closed:
            conn.close()
            raise PubSubError("This PubSub is closed")
        # re-authenticated with the node's pool when the credential provider pushes
        # (RESP3: one AUTH in its FIFO; RESP2: the next reconnect asks the provider)
        self._rc._pool(node).follow(conn)
        conn.set_bounds(self._max_queued, self._max_queued_bytes, self._drop_oldest, self._ignore)
        link = _Link(node, conn, classic)
        self._merged.adopt(conn)
        conn.on_push = functools.partial(self._on_frame, link)  # confirmations: keep it cheap
        conn.push_data = False  # messages go straight to the queue
        conn.on_lost = lambda c, link=link: self._link_lost(link)
        return link

    def _on_frame(self, link: _Link, frame: Any) -> bool:
        """Every frame of a node connection, in data_received: True = consumed here.
        Only routes: our own confirmations are dropped, a server-side ``sunsubscribe``
        is recorded as a topology event and the reconciler is woken."""
        cls = frame.__class__
        if cls is not list and cls is not PushNotification:  # RESP2 array / RESP3 push
            return False
        kind = frame[0]
        if kind in _DATA or kind not in _CONFIRMS or len(frame) < 2:
            return False
        tag = _TAG[kind]
        key = (kind, frame[1])
        if link.internal[key] > 0:
            link.internal[key] -= 1
            if not link.internal[key]:
                del link.internal[key]
            return True
        if kind in _SUNSUB and (tag, frame[1]) in link.actual:
            # unsolicited: the slot moved away (we drop a name from actual before we
            # send our own SUNSUBSCRIBE); a topology event, never a reply
            link.actual.discard((tag, frame[1]))
            self._stats["server_unsubscribes"] += 1
            if frame[1] in self.shard_channels:
                self._open_gap((tag, frame[1]), time.time(), "unsubscribed-by-server", link.node.name)
            self._want_refresh()
            return True
        if kind in _SUNSUB and frame[1] in self.shard_channels:
            return True  # the answer to ours after the server's push: still wanted
        return False

    def _link_lost(self, link: _Link) -> None:
        if self._closed:
            return
        now = time.time()
        if self._classic is link:
            self._classic = None
            self._bad[link.node.name] = now + 5.0
        elif self._links.get(link.node.name) is link:
            del self._links[link.node.name]
        else:
            return
        self._retire(link, close=False)
        self._unconfirmed = 0
        desired = self._desired()
        lost = [k for k in link.actual if k in desired]
        for k in lost:
            self._open_gap(k, now, "connection-lost", link.node.name)
        self._lost_at = self._lost_at or (self._loop.time() if self._loop else None)
        self._stats["last_error"] = repr(link.conn.close_exc) if link.conn.close_exc else None
        logger.warning("cluster PubSub connection to %s lost (%s); %d subscription(s) to restore",
                       link.node.name, link.conn.close_exc, len(lost))
        self._want_refresh()

    def _write(self, link: _Link, groups: list[tuple[str, list[Any], bool]]) -> list[asyncio.Future[Any]]:
        """Write each ``(command, names, internal)`` group followed by a PING (no await
        between the writes and their futures); ``internal`` confirmations are the
        reconciler's own and never reach the reader."""
        conn = link.conn
        futs: list[asyncio.Future[Any]] = []
        for cmd, names, internal in groups:
            if internal:
                self._expect(link, cmd, names, 1)
            futs.append(conn.send_control(conn.pack((cmd, *names)) + _PING))
        return futs

    def _expect(self, link: _Link, cmd: str, names: list[Any], n: int) -> None:
        conf = cmd.lower()
        kind = conf if self._decode else conf.encode()
        for name in names:
            k = (kind, name)
            link.internal[k] += n
            if link.internal[k] <= 0:
                del link.internal[k]

    async def _send(self, link: _Link, groups: list[tuple[str, list[Any], bool]]) -> list[BaseException | None]:  # type: ignore[override]
        """Write the groups and wait for the answers: the outcome per group (None =
        confirmed). Silence for ``confirm_timeout`` closes the connection."""
        conn = link.conn
        futs = self._write(link, groups)
        deadline = _Deadline(conn._loop, futs[-1], self._confirm_timeout, self._progress) if futs else None
        try:
            res = await asyncio.gather(*futs, return_exceptions=True)
        finally:
            if deadline is not None:
                deadline.cancel()
        if isinstance(res[-1], TimeoutError):
            conn.abort("closed: no confirmation from the server")
        out: list[BaseException | None] = []
        for (cmd, names, internal), r in zip(groups, res):
            if isinstance(r, BaseException):
                if internal:  # no confirmation will come for these
                    self._expect(link, cmd, names, -1)
                out.append(r)
            else:
                out.append(None)
        return out

    def _send_nowait(self, link: _Link, groups: list[tuple[str, list[Any], bool]]) -> None:
        try:
            futs = self._write(link, groups)
        except (ConnectionError, OSError):
            return  # the connection is gone: so are its subscriptions
        for (cmd, names, internal), fut in zip(groups, futs):
            fut.add_done_callback(functools.partial(self._sent, link, cmd, names, internal))

    def _sent(self, link: _Link, cmd: str, names: list[Any], internal: bool,
              fut: asyncio.Future[Any]) -> None:
        if fut.cancelled() or fut.exception() is None:
            return
        if internal:
            self._expect(link, cmd, names, -1)
        logger.debug("cluster PubSub: %s on %s failed: %s", cmd, link.node.name, fut.exception())

    # ------------------------------------------------------------------ the reconciler
    async def _run(self) -> None:
        assert self._kick is not None and self._loop is not None
        kick = self._kick
        attempt = 0
        while not self._closed:
            try:
                await asyncio.wait_for(kick.wait(), self._interval if attempt == 0 else
                                       min(0.5, 0.02 * 2 ** attempt) * (0.5 + random.random() / 2))
            except asyncio.TimeoutError:
                self._refresh_wanted = True  # the tick: the push is not always sent
            kick.clear()
            if self._merged.closed:  # close() ran meanwhile
                break
            try:
                if self._refresh_wanted:
                    self._refresh_wanted = False
                    await self._rc.initialize()
                    began = time.time()
                    await self._rc._topology.refresh()
                    self._refreshed_at = began
                assert self._lock is not None
                async with self._lock:
                    done = await self._pass()
                attempt = 0 if done else attempt + 1
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, asyncio.TimeoutError) as exc:
                attempt += 1
                self._stats["last_error"] = repr(exc)
                if attempt == 1 or attempt % 20 == 0:
                    logger.warning("cluster PubSub: reconciling failed (%s); retrying", exc)
            except Exception:  # a bug must not stop the subscriber silently
                attempt += 1
                logger.exception("cluster PubSub: reconciling failed")
            if attempt:
                self._refresh_wanted = True

    async def _pass(self) -> bool:
        """One reconciliation: subscribe what is missing, then let go what is extra.
        True when actual equals desired."""
        await self._rc.initialize()
        start_pass = time.time()
        restored: list[tuple[tuple[str, Any], tuple[float, str, str | None]]] = []
        ok = await self._pass_classic(restored)
        ok = await self._pass_shards(restored, start_pass) and ok
        if ok:
            # the subscriptions were in place as of the map we checked them against
            self._verified_at = min(start_pass, self._refreshed_at)
        if restored:
            await self._report(restored)
        return ok

    async def _pass_classic(self, restored: list[Any]) -> bool:
        want = {("c", n) for n in self.channels} | {("p", n) for n in self.patterns}
        link = self._classic
        if link is None and not want:
            return True
        if link is None:
            link = await self._classic_link()
            if link is None:
                self._refresh_wanted = True
                return False
        ok = await self._sync_link(link, want, restored)
        if not want and not link.actual and self._classic is link:
            self._classic = None  # nothing left: closed when empty
            self._retire(link)
        return ok

    async def _sync_link(self, link: _Link, want: set[tuple[str, Any]], restored: list[Any]) -> bool:
        """Make one node connection hold exactly the classic channels and patterns in
        ``want``: subscribe what it lacks, unsubscribe what it holds beyond. True when
        every subscribe was confirmed. (The keyspace notifications hold one such
        connection per primary.)"""
        add = [k for k in want if k not in link.actual]
        drop = [k for k in link.actual if k not in want]
        groups: list[tuple[str, list[Any], bool]] = []
        tags: list[str] = []
        for tag in ("c", "p"):
            names = [k[1] for k in add if k[0] == tag]
            if names:
                # a restore is the reconciler's own: its confirmations are not news
                internal = not any((tag, n) in self._announce for n in names)
                groups.append((_KINDS[tag][0], names, internal))
                tags.append(tag)
        for tag in ("c", "p"):
            names = [k[1] for k in drop if k[0] == tag]
            if names:
                for n in names:
                    link.actual.discard((tag, n))
                groups.append((_KINDS[tag][1], names, False))  # the user's unsubscribe
                tags.append(tag)
        ok = True
        if groups:
            try:
                results = await self._send(link, groups)
            except (ConnectionError, OSError):
                return False
            for tag, (cmd, names, _), err in zip(tags, groups, results):
                if cmd != _KINDS[tag][0]:
                    continue
                if err is None:
                    for n in names:
                        self._confirmed(link, (tag, n), restored)
                else:
                    ok = False
                    for n in names:
                        self._errors[(tag, n)] = err
        return ok

    def _confirmed(self, link: _Link, k: tuple[str, Any], restored: list[Any]) -> None:
        link.actual.add(k)
        self._announce.discard(k)
        self._errors.pop(k, None)
        gap = self._gap_open.pop(k, None)
        if gap is not None:
            restored.append((k, gap))

    async def _classic_link(self) -> _Link | None:
        rc = self._rc
        now = time.time()
        nodes = list(rc._topology.nodes.values())
        random.shuffle(nodes)
        # primaries first; nodes that failed lately last (still tried: it may be the only one)
        nodes.sort(key=lambda n: (self._bad.get(n.name, 0) >= now, n.server_type != "primary"))
        if self._preferred is not None and self._bad.get(self._preferred.name, 0) < now:
            nodes.insert(0, self._preferred)
        for node in nodes[:3]:
            try:
                link = await self._open_link(node, True)
            except (RedisError, OSError, asyncio.TimeoutError) as exc:
                self._bad[node.name] = now + 5.0
                self._stats["last_error"] = repr(exc)
                continue
            self._classic = link
            return link
        return None

    async def _pass_shards(self, restored: list[Any], start_pass: float) -> bool:
        topo = self._rc._topology
        owners = topo.slots.primaries
        ok = True
        # desired, per owner node, per slot
        plan: dict[str, tuple[ClusterNode, dict[int, list[Any]]]] = {}
        for name in self.shard_channels:
            slot = self._slot(name)
            node = owners[slot]
            if node is None:
                ok = False  # uncovered (a failover in progress): later
                self._refresh_wanted = True
                continue
            plan.setdefault(node.name, (node, {}))[1].setdefault(slot, []).append(name)
        # 1. subscribe at the owners first
        jobs = []
        for nname, (node, slots) in plan.items():
            link = self._links.get(nname)
            missing = {s: [n for n in names if ("s", n) not in link.actual] if link else names
                       for s, names in slots.items()}
            missing = {s: names for s, names in missing.items() if names}
            if missing:
                jobs.append(self._subscribe_at(node, missing, restored, start_pass))
        if jobs:
            results = await asyncio.gather(*jobs, return_exceptions=True)
            for r in results:
                if r is not True:
                    ok = False
                    if isinstance(r, BaseException) and not isinstance(r, (RedisError, OSError, asyncio.TimeoutError)):
                        raise r
        # 2. then let go of what a node holds and should not (moved, or unsubscribed)
        for nname, link in list(self._links.items()):
            if link.conn.closed:
                continue
            wanted = plan.get(nname, (None, {}))[1]
            extra: dict[int, list[Any]] = {}
            for _tag, name in list(link.actual):
                slot = self._slot(name)
                if name not in wanted.get(slot, ()):
                    if name in self.shard_channels and not self._actual(("s", name)):
                        continue  # not yet held by its new owner: keep it here meanwhile
                    extra.setdefault(slot, []).append(name)
            if extra:
                groups: list[tuple[str, list[Any], bool]] = []
                for names in extra.values():
                    for n in names:
                        link.actual.discard(("s", n))
                    # a user's unsubscribe is confirmed to the reader; a move is ours
                    moved = [n for n in names if n in self.shard_channels]
                    gone = [n for n in names if n not in self.shard_channels]
                    if moved:
                        groups.append(("SUNSUBSCRIBE", moved, True))
                    if gone:
                        groups.append(("SUNSUBSCRIBE", gone, False))
                if any(not internal for _, _, internal in groups):
                    try:  # the reader gets the confirmations before the connection may close
                        await self._send(link, groups)
                    except (ConnectionError, OSError):
                        pass
                elif link.actual:
                    # a move: never wait on the old owner (it may be the node that is dying)
                    self._send_nowait(link, groups)
                # else: closing the connection below lets go of everything at once
            if not link.actual and not link.internal and self._links.get(nname) is link:
                del self._links[nname]
                self._retire(link)
        return ok

    async def _subscribe_at(self, node: ClusterNode, slots: dict[int, list[Any]],
                            restored: list[Any], start_pass: float) -> bool:
        link = self._links.get(node.name)
        if link is None or link.conn.closed:
            try:
                link = await self._open_link(node, False)
            except (RedisError, OSError, asyncio.TimeoutError) as exc:
                for names in slots.values():
                    for n in names:
                        self._errors[("s", n)] = exc
                self._stats["last_error"] = repr(exc)
                self._refresh_wanted = True  # a dead owner: its replica takes over
                return False
            old = self._links.get(node.name)
            self._links[node.name] = link
            if old is not None and old is not link:
                self._retire(old)
        groups = [("SSUBSCRIBE", names, not any(("s", n) in self._announce for n in names))
                  for names in slots.values()]
        results = await self._send(link, groups)
        ok = True
        for (_, names, _), err in zip(groups, results):
            if err is None:
                for n in names:
                    k = ("s", n)
                    # held elsewhere until now: the slot moved under us
                    moved_from = next((lk for lk in self._links.values()
                                       if lk is not link and k in lk.actual), None)
                    if moved_from is not None and k not in self._gap_open:
                        self._open_gap(k, self._verified_at, "slot-moved", moved_from.node.name)
                    self._confirmed(link, k, restored)
                continue
            ok = False
            for n in names:
                self._errors[("s", n)] = err
            if isinstance(err, MovedError):
                self._stats["moved"] += 1
                s, addr = redirect_of(err, node)
                self._rc._topology.moved(s, addr)  # patched now, refreshed soon
            elif isinstance(err, _RETRY):
                self._refresh_wanted = True
        return ok

    async def _report(self, restored: list[tuple[tuple[str, Any], tuple[float, str, str | None]]]) -> None:
        end = time.time()
        groups: dict[tuple[float, str, str | None], list[tuple[str, Any]]] = {}
        for key, gap in restored:
            groups.setdefault(gap, []).append(key)
        loop = asyncio.get_running_loop()
        if self._lost_at is not None:
            down = loop.time() - self._lost_at
            self._stats["disconnected_seconds"] += down
            self._lost_at = None
        for (start, reason, node), keys in groups.items():
            ev = GapEvent(channels=frozenset(k[1] for k in keys if k[0] in ("s", "c")),
                          patterns=frozenset(k[1] for k in keys if k[0] == "p"),
                          start=start, end=end, reason=reason, node=node)
            self._gaps.append(ev)
            self._stats["gaps"] += 1
            self._stats["gap_channels"] += len(keys)
            self._stats["resubscribes"] += 1
            if reason == "connection-lost":
                self._stats["reconnects"] += 1
            logger.warning("cluster PubSub: %d subscription(s) restored after %.3fs (%s, from %s); "
                           "messages published meanwhile may be lost", len(keys), ev.duration,
                           reason, node)
            calls: list[tuple[Callable[[Any], Any], Any]] = []
            if self.on_gap is not None:
                calls.append((self.on_gap, ev))
            if self.on_reconnect is not None:
                calls.append((self.on_reconnect, {
                    "pubsub": self, "downtime": ev.duration, "gap": ev, "node": node,
                    "reconnects": self._stats["reconnects"], "error": self._stats["last_error"]}))
            for cb, arg in calls:
                await _notify(cb, arg, logger, "cluster PubSub: the on_gap/on_reconnect callback failed")

    async def _health_loop(self) -> None:
        """Every ``health_check_interval``, PING each node connection that delivered
        nothing since the last check and *require* the answer; a silent one is aborted,
        which the reconciler restores (a gap event). A paused connection is alive: the
        reader is behind, not the server."""
        interval = float(self.health_check_interval or 0)
        marks: dict[int, int] = {}
        while not self._merged.closed:
            await asyncio.sleep(interval)
            checks = []
            seen: dict[int, int] = {}
            for link in self._all_links():
                conn = link.conn
                if conn.closed:
                    continue
                now = seen[id(conn)] = conn.frames_in + conn.confirms_dropped
                if marks.get(id(conn)) != now or conn._paused:
                    continue
                checks.append(self._check(link, max(interval, 0.05)))
            marks = seen
            if checks:
                await asyncio.gather(*checks)

    async def _check(self, link: _Link, timeout: float) -> None:
        conn = link.conn
        try:
            fut = conn.send_control(_PING)
        except (RedisError, OSError):
            return
        deadline = _Deadline(conn._loop, fut, timeout, lambda: conn.frames_in + conn.confirms_dropped)
        try:
            await fut
        except TimeoutError:
            logger.warning("cluster PubSub health check: no answer from %s within %ss, closing "
                           "the connection", link.node.name, timeout)
            conn.abort("closed: health check PING got no answer")
        except (RedisError, OSError):
            pass  # the connection is gone: its loss is logged and restored (a gap event) there
        finally:
            deadline.cancel()

    # ------------------------------------------------------------------ public API
    async def _subscribe(self, kind: str, table: dict[Any, Any], args: tuple[Any, ...],
                         handlers: dict[Any, Any]) -> None:
        new = self._wanted(kind, args, handlers)
        self._start()
        tag = {"SUBSCRIBE": "c", "PSUBSCRIBE": "p", "SSUBSCRIBE": "s"}[kind]
        keys = [(tag, n) for n in new]
        before = dict(table)
        table.update(new)
        self._announce.update(k for k in keys if not self._actual(k))
        assert self._lock is not None and self._loop is not None
        deadline = self._loop.time() + self._confirm_timeout
        try:
            attempt = 0
            while True:
                if attempt:
                    await self._rc._topology.refresh()
                async with self._lock:
                    await self._pass()
                missing = [k for k in keys if not self._actual(k)]
                if not missing:
                    return
                for k in missing:
                    err = self._errors.get(k)
                    if isinstance(err, ResponseError) and not isinstance(err, _RETRY):
                        raise err  # e.g. NOPERM: fails exactly this call
                if self._loop.time() > deadline:
                    err = self._errors.get(missing[0])
                    raise TimeoutError(f"{kind}: not confirmed within {self._confirm_timeout}s "
                                       f"({len(missing)} name(s) missing; last error: {err!r})")
                attempt += 1
                await asyncio.sleep(min(0.5, 0.02 * 2 ** attempt))
        except BaseException:
            table.clear()
            table.update(before)
            self._announce.difference_update(keys)
            if self._kick is not None:
                self._kick.set()  # let go of what got subscribed meanwhile
            raise

    async def _unsubscribe(self, kind: str, table: dict[Any, Any], args: tuple[Any, ...]) -> None:
        names = [self._norm(a) for a in args] or list(table)
        tag = {"UNSUBSCRIBE": "c", "PUNSUBSCRIBE": "p", "SUNSUBSCRIBE": "s"}[kind]
        for n in names:
            handler = table.pop(n, None)
            if handler is not None:
                self._retired[n] = handler
        if self._loop is None or self._lock is None:
            return
        self._check_loop()
        held = [n for n in names if any((tag, n) in lk.actual for lk in self._all_links())]
        if not self._ignore:
            self._unconfirmed += len(held)
        async with self._lock:
            await self._pass()

    # ------------------------------------------------------------------ redis-py's names
    def set_pubsub_node(self, cluster: ClusterHost, node: ClusterNode | None = None,
                        host: str | None = None, port: int | None = None) -> None:
        """Choose the node of the classic channels, validated as redis-py does (see
        :func:`pubsub_node`); it is used from the next (re)connection of that channel."""
        self._preferred = pubsub_node(cluster, node, host, port)

    @property
    def node(self) -> ClusterNode | None:
        """The node the classic channels are subscribed on (redis-py's ``.node``): the one
        connected now, else the one asked for, else None (chosen at the first subscribe).
        After a failover or a lost connection it is the node they moved to."""
        link = self._classic
        if link is not None and not link.conn.closed:
            return link.node
        return self._preferred

    def get_pubsub_node(self) -> ClusterNode | None:
        """redis-py's name for :attr:`node`."""
        return self.node

    def get_redis_connection(self) -> Connection | None:
        """The connection of the classic channels (to :attr:`node`), or None while there
        is none. Shard channels have a connection per owning node; all of them feed the
        one stream that ``get_message`` / ``get_sharded_message`` read."""
        link = self._classic
        return link.conn if link is not None and not link.conn.closed else None

    async def get_sharded_message(self, ignore_subscribe_messages: bool = False,
                                  timeout: float | None = 0.0,
                                  target_node: ClusterNode | None = None) -> PubSubMessage | None:
        """redis-py's reader of shard channels. Every node connection feeds one stream,
        so this is ``get_message``: the next message in arrival order (of any node, and of
        the classic channels if there are any), None when ``timeout`` ran out.
        ``target_node``: None at once, as in redis-py, when this PubSub holds no
        connection to that node; else the stream is read as without it (messages cannot
        be taken out of order per node). Before anything was subscribed: None (redis-py's
        ``get_message`` raises there, its ``get_sharded_message`` does not), after waiting
        up to ``timeout`` (1 s at most, as redis-py's poll cool-off), so a polling loop
        does not spin."""
        if self.connection is None and not self.subscribed:
            if timeout is None or timeout > 0:
                await asyncio.sleep(1.0 if timeout is None else min(timeout, 1.0))
            return None
        if target_node is not None:
            names = {lk.node.name for lk in self._all_links() if not lk.conn.closed}
            if target_node.name not in names:
                return None
        return await self.get_message(ignore_subscribe_messages, timeout)

    async def ping(self, message: Any = None) -> Any:
        """PING on one of the Pub/Sub connections (answered as on one server)."""
        self._start()
        links = [lk for lk in self._all_links() if not lk.conn.closed]
        if not links:
            raise ConnectionError("cluster PubSub: no node connection (subscribe first)")
        conn = links[0].conn
        data = _PING if message is None else conn.pack(("PING", message))
        reply = await self._answer(conn, conn.send_control(data, pong=True), self._confirm_timeout)
        return reply[1] if isinstance(reply, list) and message is not None else True

    async def connect(self) -> None:
        """Learn the slot map (node connections open as subscriptions need them)."""
        await self._rc.initialize()

    def stats(self) -> dict[str, Any]:
        """PubSub's counters plus: ``gaps`` (events), ``gap_channels``, ``last_gaps``
        (the latest GapEvents), ``open_gaps`` (subscriptions being restored now),
        ``moved``, ``server_unsubscribes``, ``nodes`` (open node connections)."""
        s = dict(self._stats)
        m = self._merged
        s["messages"] = self._taken()
        s["queued"] = len(m._queue)
        s["dropped"] += self._gone[2] + sum(lk.conn.dropped for lk in self._all_links())
        s["paused"] = m._paused
        links = [lk for lk in self._all_links() if not lk.conn.closed]
        s["connected"] = bool(links) and not self._gap_open
        s["nodes"] = sorted(lk.node.name for lk in links)
        s["last_gaps"] = list(self._gaps)
        s["open_gaps"] = len(self._gap_open)
        if self._lost_at is not None and self._loop is not None:
            s["disconnected_seconds"] += self._loop.time() - self._lost_at
        return s

    def close(self) -> Any:
        """Unsubscribe everything and close every node connection (awaitable; safe twice)."""
        self._closed = True
        self._retired.clear()
        self.channels.clear()
        self.patterns.clear()
        self.shard_channels.clear()
        self._unconfirmed = 0
        _observe.retire_pubsub(self)  # its counts stay in the process totals
        self._merged.closed = True
        if self._registered:
            try:
                self._rc._topology.on_change.remove(self._map_changed)
            except ValueError:
                pass
            self._registered = False
        tasks = (self._task, self._health_task)
        self._task = self._health_task = None
        running = asyncio.events._get_running_loop()
        for task in tasks:
            if task is not None and not task.done() and not task.get_loop().is_closed():
                if task.get_loop() is running:
                    task.cancel()
                else:
                    task.get_loop().call_soon_threadsafe(task.cancel)
        links = self._all_links()
        self._links.clear()
        self._classic = None
        for link in links:
            link.conn.on_push = None
            if link.conn._loop is running or (running is None and not link.conn._loop.is_closed()):
                self._retire(link)
            else:
                self._retire(link, close=False)
                link.conn.orphan()
        self._merged.wake()
        self._wake_state()
        return _ClusterClosing([lk.conn for lk in links if lk.conn._loop is running])

    reset = close

    async def __aenter__(self) -> ClusterPubSub:
        return self

    def __repr__(self) -> str:
        return (f"<fastredis.cluster.ClusterPubSub channels={len(self.channels)} "
                f"patterns={len(self.patterns)} shard_channels={len(self.shard_channels)} "
                f"nodes={len(self._links) + (self._classic is not None)} closed={self._closed}>")
