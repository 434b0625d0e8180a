"""Redis Sentinel: ``Sentinel``, ``master_for`` / ``slave_for``, following failovers.

The API is redis-py's / aredis' (``redis.asyncio.sentinel``); what differs is what happens
around a failover (DESIGN.md "Beyond one server", docs/sentinel.md):

* Every sentinel is asked at once (redis-py asks them one after the other). A master is
  accepted only from a sentinel that sees it as master, not s_down/o_down, with at least
  ``min_other_sentinels`` peers; among those the highest ``config-epoch`` wins, and an
  epoch lower than one already seen is never accepted again: a sentinel that has not yet
  heard of a failover cannot send us back to the old master (redis-py #903).
* ``ROLE`` is verified on every new master connection before it is used: an old master
  that came back, or a stale answer, is refused (closes redis-py #3560, as coredis does).
* ``+switch-master`` is followed on one sentinel's Pub/Sub connection (moving to the next
  sentinel when that one fails). On a switch *every* connection to the old master is
  closed at once, in-use ones included: commands in flight fail with ConnectionError
  (their outcome is unknown), new ones open a connection to the new master. redis-py only
  drops idle connections when it happens to re-discover (#3867).
* READONLY on a master client and lost connections remain the backstop: both make the
  next connection re-discover.
* A PubSub from ``master_for(...).pubsub()`` reconnects through the same pool, so it
  follows the master and reports the gap through its ``on_reconnect`` / ``stats()``.
"""

from __future__ import annotations

import asyncio
import copy
import random
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable

from ._execution import running_loop as _running_loop
from ._log import get_logger
from ._params import split_params as _split_params
from .client import Redis
from .commands.sentinel import parse_sentinel_state
from .connection import connect
from .exceptions import ConnectionError, NoPermissionError, ReadOnlyError, RedisError, TimeoutError
from .pool import ConnectionPool

if TYPE_CHECKING:
    from ._protocol import Connection
    from .connection import ConnectionParams

__all__ = [
    "Sentinel", "SentinelConnectionPool", "MasterNotFoundError", "SlaveNotFoundError",
    "ReplicaNotFoundError",
]

logger = get_logger("fastredis.sentinel")


class MasterNotFoundError(ConnectionError):
    pass


class SlaveNotFoundError(ConnectionError):
    pass


ReplicaNotFoundError = SlaveNotFoundError

Address = tuple[str, int]

# one SENTINEL MASTER / REPLICAS entry as redis-py returns it (the SENTINEL commands' parser)
parse_state = parse_sentinel_state


def _str(v: Any) -> Any:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


def _addr_text(address: Address) -> str:
    host = f"[{address[0]}]" if ":" in address[0] else address[0]
    return f"{host}:{address[1]}"


def _role(reply: Any) -> str:
    try:
        return str(_str(reply[0]))
    except (TypeError, IndexError, KeyError):
        return "unknown"


class SentinelConnectionPool(ConnectionPool):
    """A pool whose every new connection is resolved through the Sentinel: the master
    (``is_master=True``, its ROLE verified) or a replica, round-robin, falling back to the
    master. ``master_for()`` / ``slave_for()`` build one per client."""

    def __init__(self, service_name: str, sentinel_manager: Sentinel, *, is_master: bool = True,
                 check_connection: bool = False, **kwargs: Any) -> None:
        params, pool_kw, rest = _split_params(kwargs)
        if rest:
            raise TypeError(f"unexpected connection arguments: {sorted(rest)}")
        super().__init__(params, **pool_kw)
        self.service_name = service_name
        self.sentinel_manager = sentinel_manager
        self.is_master = is_master
        self.check_connection = check_connection  # accepted for redis-py; ROLE is always checked
        self.master_address: Address | None = None
        self.slave_rr_counter: int | None = None
        # bumped on every change of master: a connection opened to the previous one while
        # the switch happened is closed before anyone uses it
        self._generation = 0
        #: how many times the master changed under this pool, and when (loop.time())
        self.switches = 0
        self.switched_at: float | None = None
        self._role_denied = False
        self._master_seq = -1  # the sentinel's sequence number of what master_address says
        sentinel_manager._pools.add(self)

    def __repr__(self) -> str:
        role = "master" if self.is_master else "slave"
        return f"<fastredis.SentinelConnectionPool service={self.service_name!r}({role})>"

    def reset(self) -> None:
        self.disconnect()
        self.master_address = None
        self.slave_rr_counter = None

    def _params_for(self, address: Address) -> ConnectionParams:
        p = copy.copy(self.params)
        p.host, p.port = address[0], int(address[1])
        return p

    # ------------------------------------------------------------------ addresses
    async def get_master_address(self) -> Address:
        for _ in range(3):
            address, seq = await self.sentinel_manager._discover(self.service_name)
            if not self.is_master:
                return address
            current = self._learnt(address, seq, "discovered")
            if current is not None:
                return current
            # asked before a READONLY told us that answer was stale: ask again
        raise MasterNotFoundError(f"The master of {self.service_name!r} keeps changing")

    def _learnt(self, address: Address, seq: int, why: str) -> Address | None:
        """Apply a discovery whose questions started at ``seq``; older than what is known
        (a switch arrived meanwhile), it changes nothing. The master now known is returned."""
        if seq < self._master_seq:
            return self.master_address
        self._master_seq = seq
        if address != self.master_address:
            self._set_master(address, why)
        return address

    async def rotate_slaves(self) -> AsyncIterator[Address]:
        """Round-robin over the healthy replicas, then the master (redis-py's generator)."""
        for address in await self._replica_candidates():
            yield address
        raise SlaveNotFoundError(f"No slave found for {self.service_name!r}")

    rotate_replicas = rotate_slaves

    async def _replica_candidates(self) -> list[Address]:
        slaves = list(await self.sentinel_manager.discover_slaves(self.service_name))
        order: list[Address] = []
        if slaves:
            if self.slave_rr_counter is None:
                self.slave_rr_counter = random.randint(0, len(slaves) - 1)
            for _ in range(len(slaves)):
                self.slave_rr_counter = (self.slave_rr_counter + 1) % len(slaves)
                order.append(slaves[self.slave_rr_counter])
        try:
            order.append(await self.sentinel_manager.discover_master(self.service_name))
        except MasterNotFoundError:
            pass
        return order

    # ------------------------------------------------------------------ connecting
    async def _connect(self, **kw: Any) -> Connection:
        self.sentinel_manager._ensure_watching()
        if self.is_master:
            return await self._connect_master(**kw)
        return await self._connect_replica(**kw)

    async def _connect_master(self, **kw: Any) -> Connection:
        pubsub = kw.pop("pubsub", False)
        for _ in range(3):
            address = await self.get_master_address()
            generation = self._generation
            params = self._params_for(address)
            conn = await connect(params, **kw)
            try:
                role = await self._role(conn, params)
            except BaseException:
                conn.abort("closed: ROLE could not be verified")
                raise
            if role != "master":
                # an old master that came back as a replica, or a sentinel that has not
                # caught up yet: never write to it (redis-py #3560, #903)
                conn.abort(f"closed: it is a {role}, not the master")
                logger.warning("%s: %s answered ROLE %r, not master; not used",
                               self.service_name, params.address, role)
                raise ConnectionError(
                    f"{params.address} is a {role}, not the master of {self.service_name!r} "
                    "(nothing was sent)"
                )
            if generation == self._generation:
                if pubsub:
                    conn.set_pubsub(True)
                return conn
            conn.abort("closed: the master changed while connecting")  # try the new one
        raise MasterNotFoundError(f"The master of {self.service_name!r} keeps changing")

    async def _role(self, conn: Connection, params: ConnectionParams) -> str:
        timeout = params.connect_timeout or params.socket_timeout or 10.0
        fut = conn.execute(("ROLE",))
        try:
            return _role(await asyncio.wait_for(fut, timeout))
        except asyncio.TimeoutError as exc:
            raise TimeoutError(f"Timeout verifying the ROLE of {params.address}") from exc
        except NoPermissionError:
            # an ACL user without +role (it is in @admin): the check cannot be made; say
            # so once, and trust the sentinels as redis-py always does
            if not self._role_denied:
                self._role_denied = True
                logger.warning("%s: the user may not run ROLE (NOPERM); a new master "
                               "connection cannot be verified: grant +role", self.service_name)
            return "master"

    async def _connect_replica(self, **kw: Any) -> Connection:
        pubsub = kw.pop("pubsub", False)
        last: BaseException | None = None
        for address in await self._replica_candidates():
            try:
                conn = await connect(self._params_for(address), **kw)
            except (ConnectionError, TimeoutError) as exc:
                last = exc
                continue
            if pubsub:
                conn.set_pubsub(True)
            self.params.host, self.params.port = address[0], int(address[1])  # for repr()
            return conn
        raise SlaveNotFoundError(f"No slave found for {self.service_name!r}") from last

    # ------------------------------------------------------------------ switching
    def _set_master(self, address: Address, why: str) -> None:
        old = self.master_address
        self.master_address = address
        # for repr() and anything reading the pool's params: where the master is now
        self.params.host, self.params.port = address[0], int(address[1])
        self._generation += 1
        if old is None:
            logger.info("%s: master at %s (%s)", self.service_name, _addr_text(address), why)
            return
        self.switches += 1
        loop = _running_loop()
        self.switched_at = loop.time() if loop is not None else None
        logger.warning("%s: master moved %s -> %s (%s); closing connections to the old one",
                       self.service_name, _addr_text(old), _addr_text(address), why)
        target = self._params_for(address).address
        self._close_where(lambda c: c.description != target,
                          f"closed: the master of {self.service_name!r} moved to {target} "
                          "(failover); the outcome of commands in flight is unknown")

    def _close_where(self, pred: Callable[[Connection], bool], reason: str) -> None:
        """Abort (never flush: unsent bytes must not reach the old node) every matching
        connection, in-use ones included; in-flight commands fail with ConnectionError."""
        running = _running_loop()
        for c in self.all_connections():
            if c.closed or not pred(c):
                continue
            if c._loop is running or (running is None and not c._loop.is_closed()):
                c.abort(reason)
            else:
                c.orphan()
        self.prune_closed()

    def _on_switch(self, new: Address, seq: int) -> None:
        if self.is_master:
            self._master_seq = seq
            if new != self.master_address:
                self._set_master(new, "+switch-master")
            return
        # a replica pool: the promoted replica is a master now
        self.slave_rr_counter = None
        target = self._params_for(new).address
        self._close_where(lambda c: c.description == target,
                          f"closed: {target} was promoted to master of {self.service_name!r}")

    def _on_readonly(self) -> None:
        """A master connection answered READONLY: the switch was missed. Re-discover."""
        address = self.master_address
        self.master_address = None
        self._master_seq = self.sentinel_manager._next_seq()  # answers gathered before: stale
        self._generation += 1
        logger.warning("%s: READONLY from %s, the master was demoted; re-discovering",
                       self.service_name, _addr_text(address) if address else "?")
        self._close_where(lambda c: True, "closed: the node answered READONLY (demoted master)")


class _SentinelManaged:
    """Mixed into ``redis_class`` by ``master_for``: READONLY is the backstop that makes
    the client re-discover when a switch was missed."""

    connection_pool: Any

    async def _execute(self, args: tuple[Any, ...], callback: Callable[[Any], Any] | None = None) -> Any:
        try:
            return await super()._execute(args, callback)  # type: ignore[misc]
        except ReadOnlyError as exc:
            pool = self.connection_pool
            if isinstance(pool, SentinelConnectionPool) and pool.is_master:
                pool._on_readonly()
                raise ConnectionError(
                    "The previous master is now a slave (READONLY); the command was not "
                    "executed"
                ) from exc
            raise


_MANAGED: dict[type, type] = {}


def _managed(redis_class: type) -> type:
    cls = _MANAGED.get(redis_class)
    if cls is None:
        cls = _MANAGED[redis_class] = type(
            redis_class.__name__, (_SentinelManaged, redis_class),
            {"__module__": redis_class.__module__, "__qualname__": redis_class.__qualname__},
        )
    return cls


class Sentinel:
    """``Sentinel([(host, port), ...], min_other_sentinels=0, sentinel_kwargs=None,
    **connection_kwargs)``, as in redis-py.

    ``sentinel_kwargs`` are the connection options for the sentinels (by default only the
    ``socket_*`` options of ``connection_kwargs``: the data nodes' password is not sent to
    sentinels). ``connection_kwargs`` are used for the master / replica connections.
    ``follow_switch=False`` turns off the ``+switch-master`` subscription. Use it as
    ``async with Sentinel(...)`` or call ``aclose()``: that stops the subscription."""

    def __init__(
        self,
        sentinels: Iterable[tuple[str, int]],
        min_other_sentinels: int = 0,
        sentinel_kwargs: dict[str, Any] | None = None,
        force_master_ip: str | None = None,
        *,
        follow_switch: bool = True,
        **connection_kwargs: Any,
    ) -> None:
        if sentinel_kwargs is None:
            sentinel_kwargs = {k: v for k, v in connection_kwargs.items() if k.startswith("socket_")}
        self.sentinel_kwargs = sentinel_kwargs
        self.sentinels: list[Redis[Any]] = [
            Redis(host=host, port=int(port), **sentinel_kwargs) for host, port in sentinels
        ]
        if not self.sentinels:
            raise ValueError("Sentinel needs at least one (host, port)")
        self.min_other_sentinels = min_other_sentinels
        self.connection_kwargs = connection_kwargs
        self._force_master_ip = force_master_ip
        self._follow = follow_switch
        # an unanswered sentinel must not hold discovery for long
        self._ask_timeout = float(sentinel_kwargs.get("socket_timeout") or 2.0)
        self._pools: weakref.WeakSet[SentinelConnectionPool] = weakref.WeakSet()
        # the highest config-epoch seen per service: a lower one is an outdated view
        self._epochs: dict[str, int] = {}
        self._discovering: dict[str, asyncio.Task[tuple[Address, int]]] = {}
        # orders what is learnt about masters: discoveries (when they started) and switches
        self._seq = 0
        self._watch_task: asyncio.Task[None] | None = None
        self._watching = False
        self._closed = False

    def __repr__(self) -> str:
        addrs = ",".join(s.connection_pool.params.address for s in self.sentinels)
        return f"<fastredis.Sentinel sentinels=[{addrs}]>"

    # ------------------------------------------------------------------ sentinel commands
    async def _ask(self, sentinel: Redis[Any], args: tuple[Any, ...]) -> Any:
        try:
            return await asyncio.wait_for(sentinel.execute_command(*args), self._ask_timeout)
        except asyncio.TimeoutError as exc:
            where = sentinel.connection_pool.params.address
            raise TimeoutError(f"No answer from sentinel {where} within {self._ask_timeout}s") from exc

    async def _ask_all(self, args: tuple[Any, ...]) -> list[Any]:
        """The same command to every sentinel at once; exceptions in place of replies."""
        return await asyncio.gather(*(self._ask(s, args) for s in self.sentinels),
                                    return_exceptions=True)

    async def execute_command(self, *args: Any, once: bool = False,
                              return_responses: bool = False) -> Any:
        """Send a command to every sentinel (or one at random with ``once=True``); like
        redis-py, return True when all succeeded, or the replies with ``return_responses``
        (as the server sent them: the ``sentinel_*`` methods parse theirs)."""
        if once:
            reply = await random.choice(self.sentinels).execute_command(*args)
            return [reply] if return_responses else bool(reply)
        replies = await asyncio.gather(*(s.execute_command(*args) for s in self.sentinels))
        return replies if return_responses else all(replies)

    async def _each(self, method: str, *args: Any, once: bool = False,
                    return_responses: bool = False) -> Any:
        """``execute_command``'s rule for a ``sentinel_*`` method of the sentinels'
        clients, so each reply is parsed as that method parses it (redis-py applies the
        command's response callback the same way): ``[(host, port)]`` and not the raw
        ``[[host, port_text]]`` for GET-MASTER-ADDR-BY-NAME."""
        if once:
            reply = await getattr(random.choice(self.sentinels), method)(*args)
            return [reply] if return_responses else bool(reply)
        replies = await asyncio.gather(*(getattr(s, method)(*args) for s in self.sentinels))
        return replies if return_responses else all(replies)

    def sentinel(self, *args: Any) -> Any:
        """``SENTINEL <args>`` on every sentinel: True when every one answered."""
        return self._each("sentinel", *args)

    def sentinel_get_master_addr_by_name(self, service_name: str, return_responses: bool = False) -> Any:
        """One sentinel at random: True/False whether it knows the master, or with
        ``return_responses`` ``[(host, port)]`` (``[None]`` when it does not)."""
        return self._each("sentinel_get_master_addr_by_name", service_name, once=True,
                          return_responses=return_responses)

    def sentinel_master(self, service_name: str, return_responses: bool = False) -> Any:
        return self._each("sentinel_master", service_name, return_responses=return_responses)

    def sentinel_masters(self, return_responses: bool = False) -> Any:
        return self._each("sentinel_masters", return_responses=return_responses)

    def sentinel_slaves(self, service_name: str, return_responses: bool = False) -> Any:
        return self._each("sentinel_slaves", service_name, return_responses=return_responses)

    def sentinel_sentinels(self, service_name: str, return_responses: bool = False) -> Any:
        return self._each("sentinel_sentinels", service_name, return_responses=return_responses)

    def sentinel_monitor(self, name: str, ip: str, port: int, quorum: int) -> Any:
        """Start monitoring a master on every sentinel; True."""
        return self._each("sentinel_monitor", name, ip, port, quorum)

    def sentinel_remove(self, name: str) -> Any:
        """Stop monitoring a master on every sentinel; True."""
        return self._each("sentinel_remove", name)

    def sentinel_set(self, name: str, option: str, value: Any) -> Any:
        """Change a monitoring option of a master on every sentinel; True."""
        return self._each("sentinel_set", name, option, value)

    def sentinel_flushconfig(self) -> Any:
        """Make every sentinel rewrite its configuration file; True."""
        return self._each("sentinel_flushconfig")

    def sentinel_ckquorum(self, new_master_name: str) -> Any:
        return self._each("sentinel_ckquorum", new_master_name, once=True)

    def sentinel_failover(self, new_master_name: str) -> Any:
        return self._each("sentinel_failover", new_master_name, once=True)

    def sentinel_reset(self, pattern: str) -> Any:
        return self._each("sentinel_reset", pattern, once=True)

    # ------------------------------------------------------------------ discovery
    def check_master_state(self, state: dict[str, Any], service_name: str) -> bool:
        if not state["is_master"] or state["is_sdown"] or state["is_odown"]:
            return False
        return int(state.get("num-other-sentinels", 0)) >= self.min_other_sentinels

    async def discover_master(self, service_name: str) -> Address:
        """``(host, port)`` of the master, asked of every sentinel at once; raise
        MasterNotFoundError when no sentinel vouches for one. Concurrent calls for one
        service share one round of questions (a failover makes every connection of every
        client re-discover at the same moment)."""
        return (await self._discover(service_name))[0]

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    async def _discover(self, service_name: str) -> tuple[Address, int]:
        """The master and the sequence number taken when its round of questions started:
        an answer gathered earlier must never override news learnt later (a
        +switch-master that arrived while the sentinels were being asked)."""
        loop = asyncio.get_running_loop()
        task = self._discovering.get(service_name)
        if task is None or task.done() or task.get_loop() is not loop:
            task = loop.create_task(self._discover_master(service_name, self._next_seq()))
            self._discovering[service_name] = task
            task.add_done_callback(self._discovered)
        return await asyncio.shield(task)

    def _discovered(self, task: asyncio.Task[tuple[Address, int]]) -> None:
        for name, t in list(self._discovering.items()):
            if t is task:
                del self._discovering[name]
        if not task.cancelled():
            task.exception()  # retrieved: every caller got it through the shield

    async def _discover_master(self, service_name: str, seq: int) -> tuple[Address, int]:
        replies = await self._ask_all(("SENTINEL", "MASTER", service_name))
        best: tuple[int, dict[str, Any]] | None = None
        votes: dict[Address, int] = {}
        errors: list[str] = []
        for sentinel, reply in zip(self.sentinels, replies):
            if isinstance(reply, BaseException):
                if not isinstance(reply, RedisError):
                    raise reply
                errors.append(f"{sentinel.connection_pool.params.address}: {reply}")
                continue
            state = parse_state(reply)
            if not self.check_master_state(state, service_name):
                continue
            address = (str(state["ip"]), int(state["port"]))
            votes[address] = votes.get(address, 0) + 1
            epoch = int(state.get("config-epoch", 0))
            if best is None or epoch > best[0]:
                best = (epoch, state)
        if best is not None:
            epoch, state = best
            address = (str(state["ip"]), int(state["port"]))
            # An epoch below one seen before is an outdated view (the sentinels that know
            # better did not answer), unless a majority of the sentinels agree on it: the
            # service was re-monitored, which starts its epochs from 0 again.
            if epoch >= self._epochs.get(service_name, 0) or votes[address] * 2 > len(self.sentinels):
                self._epochs[service_name] = epoch
                host = self._force_master_ip if self._force_master_ip is not None else address[0]
                return (host, address[1]), seq
            errors.append(f"only outdated answers (config-epoch {epoch})")
        info = f" ({'; '.join(errors)})" if errors else ""
        raise MasterNotFoundError(f"No master found for {service_name!r}{info}")

    def filter_slaves(self, slaves: Iterable[Mapping[str, Any]]) -> list[Address]:
        """Drop replicas that are s_down, o_down or disconnected."""
        return [(s["ip"], int(s["port"])) for s in slaves
                if not (s["is_odown"] or s["is_sdown"] or s["is_disconnected"])]

    filter_replicas = filter_slaves

    async def discover_slaves(self, service_name: str) -> Sequence[Address]:
        """The healthy replicas as the first sentinel (in the given order) that knows some
        reports them; every sentinel is asked at once."""
        replies = await self._ask_all(("SENTINEL", "REPLICAS", service_name))
        for reply in replies:
            if isinstance(reply, BaseException):
                if not isinstance(reply, RedisError):
                    raise reply
                continue
            slaves = self.filter_slaves(parse_state(r) for r in reply)
            if slaves:
                return slaves
        return []

    discover_replicas = discover_slaves

    # ------------------------------------------------------------------ clients
    def master_for(self, service_name: str, redis_class: type[Redis[Any]] = Redis,
                   connection_pool_class: type[SentinelConnectionPool] = SentinelConnectionPool,
                   **kwargs: Any) -> Any:
        """A client of the master of ``service_name``: every new connection is resolved
        through the sentinels and its ROLE verified; it follows failovers."""
        return self._client(service_name, redis_class, connection_pool_class, True, kwargs)

    def slave_for(self, service_name: str, redis_class: type[Redis[Any]] = Redis,
                  connection_pool_class: type[SentinelConnectionPool] = SentinelConnectionPool,
                  **kwargs: Any) -> Any:
        """A client of the replicas of ``service_name`` (round-robin per new connection,
        the master when none is healthy)."""
        return self._client(service_name, redis_class, connection_pool_class, False, kwargs)

    replica_for = slave_for

    def _client(self, service_name: str, redis_class: type, pool_class: type, is_master: bool,
                kwargs: dict[str, Any]) -> Any:
        kw = dict(self.connection_kwargs)
        kw.update(kwargs)
        pool = pool_class(service_name, self, is_master=is_master, **kw)
        cls = _managed(redis_class) if is_master else redis_class
        # the client owns its pool, as redis-py's Redis.from_pool: aclose() closes it (and
        # is final, as for every fastredis client)
        return cls(connection_pool=pool, auto_close_connection_pool=True)

    # ------------------------------------------------------------------ +switch-master
    def _ensure_watching(self) -> None:
        if not self._follow or self._closed:
            return
        loop = asyncio.get_running_loop()
        task = self._watch_task
        if task is not None and not task.done() and task.get_loop() is loop:
            return
        self._watch_task = loop.create_task(self._watch())

    async def _watch(self) -> None:
        """Follow ``+switch-master`` on one sentinel; on failure move to the next one.
        Each (re)subscription, and every health-check interval, re-discovers the masters
        in use: a switch may have been announced while nobody listened, or by sentinels
        the followed one cannot reach."""
        from .pubsub import PubSub

        loop = asyncio.get_running_loop()
        index = 0
        failures = 0
        interval = float(self.sentinel_kwargs.get("health_check_interval") or 5.0)
        while not self._closed:
            sentinel = self.sentinels[index % len(self.sentinels)]
            where = sentinel.connection_pool.params.address
            ps = PubSub(sentinel.connection_pool, reconnect=False, health_check_interval=interval)
            try:
                await ps.subscribe("+switch-master")
                self._watching = True
                if failures:
                    logger.info("following +switch-master on sentinel %s again", where)
                failures = 0
                await self._recheck()
                next_check = loop.time() + interval
                while True:
                    msg = await ps.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if msg is not None and msg["type"] == "message":
                        self._switch_message(msg["data"])
                    elif msg is None and not self._in_use():
                        return  # every client closed: the next connection starts it again
                    if loop.time() >= next_check:
                        # the followed sentinel may be cut off from the others (on the
                        # old master's side of a partition): it would never announce the
                        # switch, so ask every sentinel now and then
                        await self._recheck()
                        next_check = loop.time() + interval
            except Exception as exc:  # noqa: BLE001 - whatever broke, the feed must go on
                self._watching = False
                failures += 1
                index += 1
                if failures == 1 or failures % 20 == 0:
                    logger.warning("lost the +switch-master feed of sentinel %s (%s); "
                                   "trying the next sentinel", where, exc)
                delay = min(1.0, 0.05 * 2 ** min(failures, 5))
                await asyncio.sleep(random.uniform(delay / 2, delay))  # backoff, jittered
            finally:
                self._watching = False
                await ps.aclose()

    def _in_use(self) -> bool:
        return any(not p._closed for p in list(self._pools))

    async def _recheck(self) -> None:
        services = {p.service_name for p in list(self._pools)
                    if p.is_master and p.master_address is not None}
        for service in services:
            try:
                address, seq = await self._discover(service)
            except MasterNotFoundError as exc:
                logger.info("%s: no master to re-check (%s)", service, exc)
                continue
            for pool in list(self._pools):
                if pool.service_name == service and pool.is_master:
                    pool._learnt(address, seq, "re-discovered")

    def _switch_message(self, data: Any) -> None:
        parts = str(_str(data)).split()
        if len(parts) != 5:
            logger.warning("unexpected +switch-master payload %r", data)
            return
        name, old_ip, old_port, new_ip, new_port = parts
        self._apply_switch(name, (old_ip, int(old_port)), (new_ip, int(new_port)))

    def _apply_switch(self, service: str, old: Address, new: Address) -> None:
        if self._force_master_ip is not None:
            new = (self._force_master_ip, new[1])
        logger.warning("%s: +switch-master %s -> %s", service, _addr_text(old), _addr_text(new))
        seq = self._next_seq()
        for pool in list(self._pools):
            if pool.service_name == service:
                pool._on_switch(new, seq)

    # ------------------------------------------------------------------ lifecycle
    async def aclose(self) -> None:
        """Stop following switches and close the sentinel connections. Clients from
        ``master_for`` / ``slave_for`` belong to the caller (close them yourself)."""
        self._closed = True
        task = self._watch_task
        self._watch_task = None
        if task is not None and not task.done():
            if task.get_loop() is asyncio.get_running_loop():
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
            else:
                task.get_loop().call_soon_threadsafe(task.cancel)
        await asyncio.gather(*(s.aclose() for s in self.sentinels), return_exceptions=True)

    async def __aenter__(self) -> Sentinel:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
