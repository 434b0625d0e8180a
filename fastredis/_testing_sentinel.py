"""A real Redis Sentinel set-up for tests (ours and users'): a primary, replicas and three
``redis-server --sentinel`` processes with short timeouts, on free loopback ports, in temp
dirs, all stopped at teardown.

    from fastredis._testing_sentinel import SentinelSetup
    with SentinelSetup() as setup:                 # returns once the sentinels agree
        sentinel = fastredis.Sentinel(setup.sentinel_addresses)
        master = sentinel.master_for(setup.service)
        old = setup.failover()                     # SENTINEL FAILOVER
        new = setup.wait_for_new_master(old)       # polls the sentinels and ROLE

Helpers are synchronous (they poll server state over plain sockets); from async code wrap
them with ``asyncio.to_thread``. pytest: ``pytest_plugins = ["fastredis._testing_sentinel"]``
gives the module-scoped fixture ``sentinel_setup`` (or import ``sentinel_setup_fixture``
into a test module).

Sentinel failovers take seconds: ``down_after_ms`` (default 800) before a dead primary is
subjectively down, then agreement, election and promotion.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any

from .testing import RedisServer, find_server, free_port, mark_owner, server_kind, stop_process

__all__ = ["SentinelSetup", "SentinelProcess", "command"]

Address = tuple[str, int]


def command(host: str, port: int, *args: Any, timeout: float = 5.0) -> Any:
    """One command over a plain blocking socket (out-of-band checks, no client under test).
    An error reply is returned as a ``hiredis.ReplyError`` value, not raised."""
    import hiredis

    with socket.create_connection((host, port), timeout) as s:
        s.sendall(hiredis.pack_command(tuple(args)))
        reader = hiredis.Reader(encoding="utf-8")
        while True:
            data = s.recv(65536)
            if not data:
                raise ConnectionError(f"{host}:{port} closed the connection")
            reader.feed(data)
            reply = reader.gets()
            if reply is not False:
                return reply


def _pairs(reply: Any) -> dict[str, str]:
    it = iter(reply)
    return dict(zip(it, it))


class SentinelProcess:
    """One ``redis-server --sentinel`` monitoring ``service`` at ``master``."""

    def __init__(self, service: str, master: Address, *, quorum: int = 2, down_after_ms: int = 800,
                 failover_timeout_ms: int = 2000, host: str = "127.0.0.1",
                 binary: str | None = None, server: str | None = None,
                 startup_timeout: float = 20.0) -> None:
        self.service = service
        self.master = master
        self.quorum = quorum
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.host = host
        self.port: int | None = None
        # the kind's own server binary in sentinel mode (redis-server, valkey-server and
        # Redis 8.2's all have it): the sentinels are as new as the nodes they watch
        self.kind = server or server_kind()
        self.binary = binary or find_server(self.kind)
        self.startup_timeout = startup_timeout
        self.dir: str | None = None
        self.proc: subprocess.Popen[str] | None = None
        self.log: list[str] = []

    def _write_config(self) -> str:
        assert self.dir is not None
        s = self.service
        lines = [
            f"bind {self.host}",
            f"port {self.port}",
            f"dir {self.dir}",
            'logfile ""',
            "protected-mode no",
            f"sentinel monitor {s} {self.master[0]} {self.master[1]} {self.quorum}",
            f"sentinel down-after-milliseconds {s} {self.down_after_ms}",
            f"sentinel failover-timeout {s} {self.failover_timeout_ms}",
            f"sentinel parallel-syncs {s} 1",
        ]
        path = os.path.join(self.dir, "sentinel.conf")  # the sentinel rewrites it: its own dir
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start(self) -> SentinelProcess:
        if self.binary is None:
            from .testing import RedisServerMissing

            raise RedisServerMissing(f"{self.kind}-server not found (needed with --sentinel)")
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="fastredis-sentinel-")
        last = ""
        fixed = self.port is not None  # a restart keeps its port and its rewritten config
        for _attempt in range(5):
            if not fixed:
                self.port = free_port(self.host)
            conf = os.path.join(self.dir, "sentinel.conf") if fixed else self._write_config()
            self.log = []
            self.proc = subprocess.Popen(
                [self.binary, conf, "--sentinel"], stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, errors="replace",
            )
            mark_owner(self.dir, self.proc)
            if self._wait_ready():
                return self
            last = "\n".join(self.log[-15:])
            self._kill()
        raise RuntimeError(f"redis-server --sentinel did not start:\n{last}")

    def _wait_ready(self) -> bool:
        # a sentinel never logs "Ready to accept connections"; "+monitor" comes after its
        # sockets are listening
        assert self.proc is not None and self.proc.stdout is not None
        proc, log, ready = self.proc, self.log, threading.Event()

        def pump() -> None:
            try:
                for line in proc.stdout:  # type: ignore[union-attr]
                    if len(log) < 5000:
                        log.append(line.rstrip())
                    if "+monitor master" in line:
                        ready.set()
            except ValueError:  # stop_process() closed the pipe while we read it: done
                pass
            ready.set()

        threading.Thread(target=pump, daemon=True, name="redis-sentinel-log").start()
        ready.wait(self.startup_timeout)
        return proc.poll() is None and any("+monitor master" in ln for ln in log)

    def _kill(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def kill9(self) -> None:
        """``kill -9``; ``start()`` brings it back on the same port with its state."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._kill()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        self._kill()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    @property
    def address(self) -> Address:
        assert self.port is not None
        return self.host, self.port

    def command(self, *args: Any, timeout: float = 5.0) -> Any:
        return command(self.host, self.port or 0, *args, timeout=timeout)

    def __repr__(self) -> str:
        return f"<SentinelProcess {self.host}:{self.port}>"


class SentinelSetup:
    """A primary, ``replicas`` replicas and ``sentinels`` sentinels (quorum 2)."""

    def __init__(self, service: str = "mymaster", *, replicas: int = 1, sentinels: int = 3,
                 quorum: int = 2, down_after_ms: int = 800, failover_timeout_ms: int = 2000,
                 host: str = "127.0.0.1", ready_timeout: float = 30.0,
                 server: str | None = None) -> None:
        self.service = service
        self.server = server  # "redis", "valkey" or "redis8"; default $FASTREDIS_TEST_SERVER
        self.n_replicas = replicas
        self.n_sentinels = sentinels
        self.quorum = quorum
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.host = host
        self.ready_timeout = ready_timeout
        self.nodes: list[RedisServer] = []
        self.sentinels: list[SentinelProcess] = []

    # -------------------------------------------------------------- lifecycle
    def start(self) -> SentinelSetup:
        try:
            # a replica's first sync starts at once, not after the default 5 s
            fast = {"repl-diskless-sync-delay": "0"}
            primary = RedisServer(host=self.host, config=fast, server=self.server).start()
            self.nodes.append(primary)
            for _ in range(self.n_replicas):
                cfg = {**fast, "replicaof": f"{self.host} {primary.port}"}
                self.nodes.append(RedisServer(host=self.host, config=cfg, server=self.server).start())
            for node in self.nodes[1:]:
                self._poll(lambda n=node: "master_link_status:up" in self._cmd(n.port, "INFO", "replication"),
                           "replication link up")
            for _ in range(self.n_sentinels):
                self.sentinels.append(SentinelProcess(
                    self.service, (self.host, primary.port or 0), quorum=self.quorum,
                    down_after_ms=self.down_after_ms, failover_timeout_ms=self.failover_timeout_ms,
                    host=self.host, server=self.server,
                ).start())
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for s in self.sentinels:
            s.stop()
        for n in self.nodes:
            n.stop()
        self.sentinels = []
        self.nodes = []

    def __enter__(self) -> SentinelSetup:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -------------------------------------------------------------- state
    @property
    def sentinel_addresses(self) -> list[Address]:
        return [s.address for s in self.sentinels]

    @property
    def live_sentinels(self) -> list[SentinelProcess]:
        return [s for s in self.sentinels if s.running]

    def _cmd(self, port: int | None, *args: Any) -> Any:
        try:
            return command(self.host, port or 0, *args, timeout=2.0)
        except OSError:
            return None

    def _poll(self, check: Any, what: str, timeout: float | None = None) -> Any:
        """Poll server state every 50 ms until ``check()`` is truthy (returned)."""
        deadline = time.monotonic() + (timeout or self.ready_timeout)
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"Sentinel set-up: timed out waiting for {what}")
            time.sleep(0.05)

    def node(self, address: Address) -> RedisServer:
        for n in self.nodes:
            if n.port == address[1]:
                return n
        raise KeyError(address)

    def role(self, address: Address) -> str | None:
        reply = self._cmd(address[1], "ROLE")
        return reply[0] if isinstance(reply, list) else None

    def master_address(self) -> Address:
        """The master as the sentinels see it (the highest config-epoch among them)."""
        best: tuple[int, Address] | None = None
        for s in self.live_sentinels:
            reply = self._cmd(s.port, "SENTINEL", "MASTER", self.service)
            if isinstance(reply, list):
                st = _pairs(reply)
                epoch = int(st.get("config-epoch", 0))
                if best is None or epoch > best[0]:
                    best = (epoch, (st["ip"], int(st["port"])))
        if best is None:
            raise RuntimeError("no sentinel answered")
        return best[1]

    def _healthy(self) -> bool:
        want_others = self.n_sentinels - 1
        addresses = set()
        for s in self.sentinels:
            m = self._cmd(s.port, "SENTINEL", "MASTER", self.service)
            if not isinstance(m, list):
                return False
            st = _pairs(m)
            if st.get("flags") != "master" or int(st.get("num-other-sentinels", -1)) != want_others:
                return False
            addresses.add((st["ip"], int(st["port"])))
            reps = self._cmd(s.port, "SENTINEL", "REPLICAS", self.service)
            if not isinstance(reps, list):
                return False
            # the sentinels' copy of a replica's link status is refreshed only every 10 s;
            # the link itself is checked on the node below
            ok = [r for r in map(_pairs, reps) if r.get("flags") == "slave"]
            if len(ok) < len(self.nodes) - 1:
                return False
        if len(addresses) != 1:
            return False
        (master,) = addresses
        if self.role(master) != "master":
            return False
        for n in self.nodes:
            if n.port != master[1]:
                info = self._cmd(n.port, "INFO", "replication") or ""
                if ("master_link_status:up" not in info
                        or f"master_port:{master[1]}" not in info):
                    return False
        return True

    def wait_healthy(self, timeout: float | None = None) -> Address:
        """Wait until every sentinel agrees on one master, sees the other sentinels and
        every other node as a replica with its link up, and ROLE confirms it; the master's
        address is returned."""
        self._poll(self._healthy, "a healthy, agreed Sentinel set-up", timeout)
        return self.master_address()

    def converge(self, timeout: float | None = None) -> Address:
        """Make the set-up healthy again after a failover, quickly: a demoted node that
        still answers as a master (the sentinels reconfigure it only at their next 10 s
        INFO round) is told ``REPLICAOF`` the sentinels' master now, as they would do.
        Returns the master's address once ``wait_healthy()`` holds."""
        master = self._poll(self._agreed_master, "the sentinels to agree on a master", timeout)
        for n in self.nodes:
            if n.running and n.port != master[1] and self.role((self.host, n.port or 0)) == "master":
                self._cmd(n.port, "REPLICAOF", master[0], str(master[1]))
        return self.wait_healthy(timeout)

    def _agreed_master(self) -> Address | None:
        seen = set()
        for s in self.live_sentinels:
            reply = self._cmd(s.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service)
            if not isinstance(reply, list):
                return None
            seen.add((reply[0], int(reply[1])))
        if len(seen) != 1:
            return None
        (addr,) = seen
        return addr if self.role(addr) == "master" else None

    # -------------------------------------------------------------- faults
    def failover(self, timeout: float | None = None) -> Address:
        """``SENTINEL FAILOVER``; returns the old master's address (retries while a
        previous failover is still settling)."""
        old = self.master_address()

        def ask() -> bool:
            reply = self._cmd(self.live_sentinels[0].port, "SENTINEL", "FAILOVER", self.service)
            return bool(reply == "OK")

        self._poll(ask, "SENTINEL FAILOVER to be accepted", timeout)
        return old

    def kill_master(self) -> RedisServer:
        """``kill -9`` of the current master; returns its RedisServer (``start()`` brings it
        back on the same port, as a master with an empty data set)."""
        node = self.node(self.master_address())
        node.kill9()
        return node

    def wait_for_new_master(self, old: Address, timeout: float | None = None) -> Address:
        """Wait until every sentinel names a master other than ``old`` (the same one) and
        that node's ROLE is master; returns its address."""

        def check() -> Address | None:
            addr = self._agreed_master()
            return addr if addr is not None and addr != old else None

        found: Address = self._poll(check, f"a new master (not {old})", timeout)
        return found

    def __repr__(self) -> str:
        return f"<SentinelSetup {self.service} nodes={len(self.nodes)} sentinels={len(self.sentinels)}>"


try:
    import pytest as _pytest
except ImportError:  # pragma: no cover
    _pytest = None  # type: ignore[assignment]

if _pytest is not None:

    @_pytest.fixture(scope="module", name="sentinel_setup")
    def sentinel_setup_fixture():  # type: ignore[no-untyped-def]
        """A running SentinelSetup for the module (stopped at its end). Tests that fail
        over leave it healthy again (``wait_healthy()``), with the master possibly moved."""
        from .testing import _missing

        if find_server() is None:
            _missing(f"{server_kind()}-server is not installed")
        setup = SentinelSetup()
        setup.start()
        try:
            yield setup
        finally:
            setup.stop()
