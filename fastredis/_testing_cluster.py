"""A real, throw-away local Redis Cluster for tests (yours too).

    from fastredis._testing_cluster import ClusterHarness
    with ClusterHarness() as cluster:            # 3 primaries + 3 replicas, loopback
        rc = fastredis.RedisCluster(**cluster.client_kwargs())

Built from ``fastredis.testing.RedisServer`` processes (free ports, temp dirs) with CLUSTER
ADDSLOTSRANGE / MEET / REPLICATE, ready when every node says ``cluster_state:ok`` and
agrees on the map (waits poll the servers' state, never sleep blindly). Helpers move a slot
range with its keys, fail over (CLUSTER FAILOVER, or kill -9 and wait for the promotion)
and stop/restart nodes. Node timeouts are short so a failover takes seconds.

pytest: ``redis_cluster`` (one per session; keys flushed before each test) with
``-p fastredis._testing_cluster`` or ``pytest_plugins = ["fastredis._testing_cluster"]``.

The harness talks to the nodes with a tiny blocking RESP client (hiredis), so it works
outside any event loop and never depends on the client under test.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import hiredis

from ._log import get_logger
from .testing import RedisServer, find_server, server_kind

__all__ = ["ClusterHarness", "NodeClient"]

SLOTS = 16384


class NodeClient:
    """A blocking one-connection RESP client for the harness (not for applications)."""

    def __init__(self, host: str, port: int, timeout: float = 10.0, ssl_context: Any = None) -> None:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ssl_context is not None:
            sock = ssl_context.wrap_socket(sock, server_hostname="localhost")
        self.sock = sock
        self.reader = hiredis.Reader()

    def __call__(self, *args: Any) -> Any:
        self.sock.sendall(hiredis.pack_command(args))
        while True:
            reply = self.reader.gets()
            if reply is not False:
                if isinstance(reply, hiredis.ReplyError):
                    raise RuntimeError(f"{args[0]} {args[1] if len(args) > 1 else ''}: {reply}")
                return reply
            data = self.sock.recv(1 << 16)
            if not data:
                raise ConnectionError("node closed the connection")
            self.reader.feed(data)

    def close(self) -> None:
        self.sock.close()


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


class ClusterHarness:
    """``primaries`` shards with ``replicas`` replicas each, on loopback."""

    def __init__(self, primaries: int = 3, replicas: int = 1, *, node_timeout: int = 1500,
                 password: str | None = None, config: dict[str, Any] | None = None,
                 host: str = "127.0.0.1", tls: dict[str, Any] | None = None,
                 ready_timeout: float = 60.0, server: str | None = None) -> None:
        self.host = host
        # server: "redis", "valkey" or "redis8" for every node (RedisServer's server=);
        # default $FASTREDIS_TEST_SERVER
        self.kind = server
        # tls: {"cert", "key", "ca"} paths (a certificate for "localhost"): every node on
        # TLS only, the cluster bus and replication too, each node announcing the hostname
        # "localhost" (CLUSTER SHARDS), which clients verify the certificate against
        self.tls = tls
        self._ssl: Any = None
        if tls:
            import ssl

            self._ssl = ssl.create_default_context(cafile=str(tls["ca"]))
        self.n_primaries = primaries
        self.n_replicas = replicas
        self.node_timeout = node_timeout
        self.password = password
        self.extra = dict(config or {})
        self.ready_timeout = ready_timeout
        self.servers: list[RedisServer] = []
        self.ids: dict[int, str] = {}  # port -> node id

    # ------------------------------------------------------------------ lifecycle
    def _config(self) -> dict[str, Any]:
        conf = {
            "cluster-enabled": "yes",
            "cluster-config-file": "nodes.conf",
            "cluster-node-timeout": self.node_timeout,
            # a shard without its primary must not stop the others (the tests check that
            # other shards never fail while one fails over)
            "cluster-require-full-coverage": "no",
            "cluster-allow-replica-migration": "no",
            "cluster-replica-validity-factor": 0,
            "repl-diskless-sync-delay": 0,  # a replica syncs at once (default: waits 5 s)
            # a replica is listed (SLOTS) / "online" (SHARDS) once its offset is non-zero,
            # which on an idle primary takes its first replication PING (default every 10 s)
            "repl-ping-replica-period": 1,
        }
        if self.password:
            conf["masterauth"] = self.password
        if self.tls:
            conf.update({"tls-cluster": "yes", "tls-replication": "yes",
                         "cluster-announce-hostname": "localhost"})
        conf.update(self.extra)
        return conf

    def start(self) -> ClusterHarness:
        try:
            total = self.n_primaries * (1 + self.n_replicas)
            for _ in range(total):
                s = RedisServer(config=self._config(), password=self.password, host=self.host,
                                tls=self.tls, server=self.kind)
                s.start()
                if self.tls:
                    s.port = s.tls_port  # a TLS-only node is its TLS port (plain port 0)
                self.servers.append(s)
            for s in self.servers:
                self.ids[s.port] = _text(self.call(s, "CLUSTER", "MYID"))  # type: ignore[index]
            primaries = self.servers[:self.n_primaries]
            per = SLOTS // self.n_primaries
            for i, s in enumerate(primaries):
                end = SLOTS - 1 if i == self.n_primaries - 1 else (i + 1) * per - 1
                self.call(s, "CLUSTER", "ADDSLOTSRANGE", i * per, end)
            first = self.servers[0]
            for s in self.servers[1:]:
                self.call(first, "CLUSTER", "MEET", s.host, s.port)
            self._until(lambda: all(self._known(s) == total for s in self.servers),
                        "every node to know every other")
            for i, s in enumerate(self.servers[self.n_primaries:]):
                primary = primaries[i % self.n_primaries]
                self.call(s, "CLUSTER", "REPLICATE", self.ids[primary.port])  # type: ignore[index]
            self.wait_ready()
            return self
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for s in self.servers:
            s.stop()
        self.servers = []

    def __enter__(self) -> ClusterHarness:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ talking to nodes
    def call(self, server: RedisServer, *args: Any) -> Any:
        c = NodeClient(server.host, server.port, ssl_context=self._ssl)  # type: ignore[arg-type]
        try:
            if self.password:
                c("AUTH", self.password)
            return c(*args)
        finally:
            c.close()

    def _try(self, server: RedisServer, *args: Any) -> Any:
        try:
            return self.call(server, *args)
        except (OSError, RuntimeError, ConnectionError):
            return None

    def _known(self, server: RedisServer) -> int:
        nodes = self._try(server, "CLUSTER", "NODES")
        if nodes is None:
            return 0
        lines = [ln for ln in _text(nodes).splitlines() if ln.strip()]
        return sum(1 for ln in lines if "handshake" not in ln and "noaddr" not in ln)

    def _until(self, check: Any, what: str, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or self.ready_timeout)
        while not check():
            if time.monotonic() > deadline:
                raise TimeoutError(f"cluster harness: timed out waiting for {what}")
            time.sleep(0.05)  # polling the servers' state

    def _view(self, server: RedisServer) -> Any:
        """A node's opinion: sorted (slots, primary port, replica ports) per shard."""
        slots = self._try(server, "CLUSTER", "SLOTS")
        if slots is None:
            return None
        return tuple(sorted((int(e[0]), int(e[1]), int(e[2][1]), tuple(sorted(int(n[1]) for n in e[3:])))
                            for e in slots))

    def live(self) -> list[RedisServer]:
        return [s for s in self.servers if s.running]

    def wait_ready(self, timeout: float | None = None) -> None:
        """Every live node: ``cluster_state:ok``, the same map covering every slot, every
        replica's link to its primary up."""
        def ok() -> bool:
            live = self.live()
            views = set()
            for s in live:
                info = self._try(s, "CLUSTER", "INFO")
                if info is None or "cluster_state:ok" not in _text(info):
                    return False
                views.add(self._view(s))
            if len(views) != 1:
                return False
            (view,) = views
            if view is None or sum(e[1] - e[0] + 1 for e in view) != SLOTS:
                return False
            live_ports = {s.port for s in live}
            for e in view:
                if e[2] not in live_ports:
                    return False
                for rp in e[3]:
                    if rp in live_ports:
                        rs = next(s for s in live if s.port == rp)
                        rep = self._try(rs, "INFO", "replication")
                        if rep is None or "master_link_status:up" not in _text(rep):
                            return False
            want_replicas = sum(1 for s in live if s.port in {p for e in view for p in e[3]})
            return want_replicas == len(live) - len({e[2] for e in view})
        self._until(ok, "cluster_state:ok with one agreed map", timeout)

    def ready_or_rebuilt(self, timeout: float) -> bool:
        """``wait_ready``; a cluster that does not get there within ``timeout`` is replaced
        by a fresh one (new ports), with a WARNING on ``fastredis.testing``. True when it
        had to be rebuilt."""
        try:
            self.wait_ready(timeout=timeout)
            return False
        except TimeoutError as exc:
            get_logger("fastredis.testing").warning(
                "the cluster did not recover (%s): starting a fresh one", exc)
        self.stop()
        self.ids.clear()
        self.start()
        return True

    # ------------------------------------------------------------------ topology facts
    def server(self, port: int) -> RedisServer:
        return next(s for s in self.servers if s.port == port)

    def primaries(self) -> list[RedisServer]:
        view = self._view(self.live()[0])
        ports = sorted({e[2] for e in view})
        return [self.server(p) for p in ports]

    def replicas_of(self, primary: RedisServer) -> list[RedisServer]:
        # asked of another node: the primary itself may be busy (DEBUG SLEEP) or dying
        other = next(s for s in self.live() if s.port != primary.port)
        view = self._view(other)
        ports = {p for e in view if e[2] == primary.port for p in e[3]}
        return [self.server(p) for p in sorted(ports)]

    def owner(self, slot: int) -> RedisServer:
        for s in self.live():
            view = self._view(s)
            if view:
                for start, end, port, _ in view:
                    if start <= slot <= end:
                        return self.server(port)
        raise LookupError(f"no owner for slot {slot}")

    def nodes_of(self, server: RedisServer) -> list[tuple[int, int]]:
        """The slot ranges ``server`` owns."""
        view = self._view(server)
        return [(s, e) for s, e, port, _ in view if port == server.port]

    def client_kwargs(self, **extra: Any) -> dict[str, Any]:
        s = self.live()[0]
        kw: dict[str, Any] = {"host": s.host, "port": s.port}
        if self.tls:  # the seed is verified against its name too
            kw.update(host="localhost", ssl=True, ssl_ca_certs=str(self.tls["ca"]))
        if self.password:
            kw["password"] = self.password
        kw.update(extra)
        return kw

    def flushall(self) -> None:
        for s in self.primaries():
            self.call(s, "FLUSHALL")

    # ------------------------------------------------------------------ changes
    def migrate(self, start: int, end: int, target: RedisServer, batch: int = 100,
                between: Any = None) -> None:
        """Move slots ``start..end`` with their keys to ``target`` the way redis-cli
        does: IMPORTING on the target, MIGRATING on the source, MIGRATE ... KEYS in batches
        (clients see ASK meanwhile), then SETSLOT NODE on every primary. ``between()`` is
        called after each batch (a test may check progress there)."""
        tid = self.ids[target.port]  # type: ignore[index]
        for slot in range(start, end + 1):
            source = self.owner(slot)
            if source.port == target.port:
                continue
            sid = self.ids[source.port]  # type: ignore[index]
            self.call(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", sid)
            self.call(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", tid)
            while True:
                keys = self.call(source, "CLUSTER", "GETKEYSINSLOT", slot, batch)
                if not keys:
                    break
                args: list[Any] = ["MIGRATE", target.host, target.port, "", 0, 5000]
                if self.password:
                    args += ["AUTH", self.password]
                self.call(source, *args, "KEYS", *keys)
                if between is not None:
                    between()
            # the target first, then the source, then everyone (redis-cli's order)
            self.call(target, "CLUSTER", "SETSLOT", slot, "NODE", tid)
            self.call(source, "CLUSTER", "SETSLOT", slot, "NODE", tid)
            for s in self.primaries():
                if s.port not in (source.port, target.port):
                    self._try(s, "CLUSTER", "SETSLOT", slot, "NODE", tid)
        port = int(target.port)  # type: ignore[arg-type]

        def agreed() -> bool:
            return all(self._owner_in(s, start, end, port) for s in self.live())

        try:
            self._until(agreed, "every node to agree on the migrated slots", min(5.0, self.ready_timeout))
        except TimeoutError:
            # seen on Redis 7.0 (about 1 migration in 1,000): gossip from the source, whose
            # config epoch is higher, took the slot back on the target before the source let
            # go of it; then no node claims it and the views never converge. The target
            # claims it again, with a new epoch that wins.
            for slot in range(start, end + 1):
                self._try(target, "CLUSTER", "SETSLOT", slot, "NODE", tid)
            self._try(target, "CLUSTER", "BUMPEPOCH")
            self._until(agreed, "every node to agree on the migrated slots")

    def _owner_in(self, s: RedisServer, start: int, end: int, port: int) -> bool:
        view = self._view(s)
        if not view:
            return False
        for a, b, p, _ in view:
            if a <= start and end <= b:
                return bool(p == port)
        return False

    def failover(self, replica: RedisServer, mode: str | None = None) -> None:
        """CLUSTER FAILOVER on ``replica``; returns once every node sees it as primary."""
        args: list[Any] = ["CLUSTER", "FAILOVER"] + ([mode] if mode else [])
        self.call(replica, *args)
        self._until(lambda: replica.port in {p.port for p in self._primaries_seen()},
                    "the replica to be promoted")
        self.wait_ready()

    def _primaries_seen(self) -> list[RedisServer]:
        ports: set[int] | None = None
        for s in self.live():
            view = self._view(s)
            if not view:
                return []
            mine = {e[2] for e in view}
            ports = mine if ports is None else ports & mine
        return [self.server(p) for p in sorted(ports or ())]

    def kill_primary(self, primary: RedisServer, wait: bool = True) -> RedisServer:
        """kill -9 ``primary``; with ``wait``, return the replica once it is promoted."""
        replicas = self.replicas_of(primary)
        primary.kill9()
        if not wait:
            return replicas[0] if replicas else primary
        self._until(lambda: any(r.port in {p.port for p in self._primaries_seen()} for r in replicas),
                    "a replica to be promoted after kill -9")
        return next(r for r in replicas if r.port in {p.port for p in self._primaries_seen()})

    def kill(self, server: RedisServer) -> None:
        server.kill9()

    def restart(self, server: RedisServer, wait: bool = True) -> None:
        """Start a killed node again on its port; it keeps its nodes.conf (identity)."""
        server.start()
        if wait:
            self.wait_ready()

    def __repr__(self) -> str:
        return f"<ClusterHarness {[s.port for s in self.servers]}>"


# ------------------------------------------------------------------ pytest plugin
try:
    import pytest as _pytest
except ImportError:  # pragma: no cover
    _pytest = None  # type: ignore[assignment]

if _pytest is not None:

    @_pytest.fixture(scope="session")
    def redis_cluster_harness():  # type: ignore[no-untyped-def]
        """A 3 primaries + 3 replicas cluster for the whole session."""
        from .testing import _missing

        if find_server() is None:
            _missing(f"{server_kind()}-server is not installed")
        with ClusterHarness() as h:
            yield h

    @_pytest.fixture
    def redis_cluster(redis_cluster_harness):  # type: ignore[no-untyped-def]
        """The session cluster, healthy and flushed before the test: a node a failed test
        left killed is started again (it keeps its identity). A cluster that does
        not come back to one agreed map (seen on Valkey 9.1 after a burst of slot
        migrations back and forth: two nodes' config epochs disagree for good) is replaced
        by a fresh one, logged, instead of failing every test after it."""
        h = redis_cluster_harness
        for s in h.servers:
            if not s.running:  # killed by a test that failed before it restarted the node
                get_logger("fastredis.testing").warning("cluster node %s was down: restarting it", s.port)
                s.start()
        h.ready_or_rebuilt(min(30.0, h.ready_timeout))
        h.flushall()
        return h


# ------------------------------------------------------------------ demo
async def _demo(h: ClusterHarness) -> None:  # pragma: no cover - `python -m` only
    import asyncio

    from .cluster import RedisCluster

    async with RedisCluster(**h.client_kwargs()) as rc:
        print("nodes:", ", ".join(f"{n.name} ({n.server_type})" for n in rc.get_nodes()))
        await rc.set("greeting", "hello")
        print("GET greeting ->", await rc.get("greeting"), "from", rc.get_node_from_key("greeting"))
        keys = [f"user:{i}" for i in range(10)]
        p = rc.pipeline()
        for i, k in enumerate(keys):
            p.set(k, i)
        p.mget(keys)
        print("pipeline across", len({rc.keyslot(k) for k in keys}), "slots ->", (await p.execute())[-1])
        slot = rc.keyslot("greeting")
        target = next(s for s in h.primaries() if s.port != h.owner(slot).port)
        stop = asyncio.Event()
        done = 0

        async def traffic() -> None:
            nonlocal done
            while not stop.is_set():
                assert await rc.incr("{greeting}:n")
                done += 1

        tasks = [asyncio.create_task(traffic()) for _ in range(10)]
        await asyncio.to_thread(h.migrate, slot, slot, target)
        stop.set()
        await asyncio.gather(*tasks)
        print(f"slot {slot} moved to {target.port} under {done} INCRs: counter =",
              await rc.get("{greeting}:n"), "| redirections:", dict(rc.stats))


if __name__ == "__main__":  # pragma: no cover - `python -m fastredis._testing_cluster`
    import asyncio

    with ClusterHarness() as harness:
        print("local cluster up:", harness)
        asyncio.run(_demo(harness))
