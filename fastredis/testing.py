"""Throw-away real redis-server processes for tests, and an opt-in pytest plugin.

    from fastredis.testing import RedisServer
    with RedisServer() as server:          # free loopback port, temp dir
        r = fastredis.Redis(**server.client_kwargs())

pytest: enable with ``-p fastredis.testing`` or ``pytest_plugins = ["fastredis.testing"]``
(it never loads itself into other pytest runs). Fixtures: ``redis_server`` (one per
session) and ``redis`` (a client on it, database flushed before each test).

When ``CI`` is true a missing redis-server is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from typing import Any

__all__ = ["RedisServer", "RedisServerMissing", "find_redis_server", "free_port"]


class RedisServerMissing(RuntimeError):
    pass


def find_redis_server() -> str | None:
    return os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """One redis-server on loopback. ``start()`` returns once the server logged
    "Ready to accept connections" (read from its stdout, no polling sleeps).

    Options: ``password`` (requirepass), ``unix_socket`` (True -> a socket in the temp dir),
    ``tls`` (dict with ``cert``, ``key``, ``ca`` paths; ``tls_auth_clients``), ``acl``
    (list of ACL lines, e.g. ``"user app on >pw ~app:* &chan:* +@all"``), ``config``
    (extra ``name value`` directives), ``port`` (fixed port; reused by ``restart``)."""

    def __init__(
        self,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        password: str | None = None,
        unix_socket: bool = False,
        tls: dict[str, Any] | None = None,
        acl: list[str] | None = None,
        config: dict[str, Any] | None = None,
        binary: str | None = None,
        startup_timeout: float = 20.0,
    ) -> None:
        self.host = host
        self.port = port
        self.tls_port: int | None = None
        self.password = password
        self.want_unix = unix_socket
        self.tls = tls
        self.acl = acl
        self.config = dict(config or {})
        self.binary = binary or find_redis_server()
        self.startup_timeout = startup_timeout
        self.dir: str | None = None
        self.unix_path: str | None = None
        self.proc: subprocess.Popen[str] | None = None
        self._log: list[str] = []

    # -------------------------------------------------------------- lifecycle
    def _write_config(self) -> str:
        assert self.dir is not None
        lines = [
            f"bind {self.host}",
            f"port {self.port if not self.tls else 0}",
            f"dir {self.dir}",
            'save ""',
            "appendonly no",
            "daemonize no",
            "protected-mode no",
            'logfile ""',
            "loglevel notice",
            "databases 16",
            "enable-debug-command yes",  # tests use DEBUG SLEEP; loopback-only servers
        ]
        if self.tls:
            lines += [
                f"tls-port {self.tls_port}",
                f"tls-cert-file {self.tls['cert']}",
                f"tls-key-file {self.tls['key']}",
                f"tls-ca-cert-file {self.tls['ca']}",
                f"tls-auth-clients {self.tls.get('auth_clients', 'no')}",
            ]
        if self.password:
            lines.append(f"requirepass {self.password}")
        if self.want_unix:
            lines += [f"unixsocket {self.unix_path}", "unixsocketperm 700"]
        if self.acl:
            acl_path = os.path.join(self.dir, "users.acl")
            with open(acl_path, "w") as f:
                f.write("\n".join(self.acl) + "\n")
            lines.append(f"aclfile {acl_path}")
        for k, v in self.config.items():
            lines.append(f"{k} {v}")
        path = os.path.join(self.dir, "redis.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start(self) -> RedisServer:
        if self.binary is None:
            raise RedisServerMissing(
                "redis-server not found: install Debian's redis-server package "
                "(`make test` does it when run as root) or set REDIS_SERVER_BIN"
            )
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="fastredis-test-")
            if self.want_unix:
                self.unix_path = os.path.join(self.dir, "redis.sock")
        last_error = ""
        for _attempt in range(5):
            fixed = self.port is not None
            if self.port is None:
                self.port = free_port(self.host)
            if self.tls and self.tls_port is None:
                self.tls_port = free_port(self.host)
            conf = self._write_config()
            self.proc = subprocess.Popen(
                [self.binary, conf],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
            )
            if self._wait_ready():
                return self
            last_error = "\n".join(self._log[-15:])
            self._kill()
            if fixed and "Address already in use" not in last_error:
                break
            if not fixed:
                self.port = None
                self.tls_port = None
        raise RuntimeError(f"redis-server did not start:\n{last_error}")

    def _wait_ready(self) -> bool:
        assert self.proc is not None and self.proc.stdout is not None
        ready = threading.Event()
        proc = self.proc
        log = self._log

        def pump() -> None:
            for line in proc.stdout:  # type: ignore[union-attr]
                if len(log) < 2000:
                    log.append(line.rstrip())
                if "Ready to accept connections" in line:
                    ready.set()
            ready.set()  # EOF: the process ended

        threading.Thread(target=pump, daemon=True, name="redis-server-log").start()
        ready.wait(self.startup_timeout)
        return proc.poll() is None and any("Ready to accept" in ln for ln in log)

    def _kill(self, sig: int = signal.SIGTERM) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
        self.proc = None

    def stop(self) -> None:
        """Stop the server and remove its temp dir."""
        self._kill(signal.SIGTERM)
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def kill9(self) -> None:
        """Kill -9, keeping port and dir for ``start()`` (a restart on the same port)."""
        self._kill(signal.SIGKILL)

    def restart(self) -> RedisServer:
        self.kill9()
        return self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -------------------------------------------------------------- clients
    @property
    def url(self) -> str:
        auth = ":<password>@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/0"

    def client_kwargs(self, **extra: Any) -> dict[str, Any]:
        kw: dict[str, Any] = {"host": self.host, "port": self.port}
        if self.tls:
            kw["port"] = self.tls_port
        if self.password:
            kw["password"] = self.password
        kw.update(extra)
        return kw

    def client(self, **extra: Any) -> Any:
        import fastredis

        return fastredis.Redis(**self.client_kwargs(**extra))

    def cli(self, *args: str) -> str:
        """Run redis-cli against the server (for out-of-band checks in tests)."""
        cmd = ["redis-cli", "-h", self.host, "-p", str(self.port)]
        env = dict(os.environ)
        if self.password:
            env["REDISCLI_AUTH"] = self.password
        return subprocess.run(cmd + list(args), capture_output=True, text=True, env=env, timeout=30).stdout

    def __repr__(self) -> str:
        return f"<RedisServer {self.host}:{self.port} running={self.running}>"


# ------------------------------------------------------------------ pytest plugin
def _missing(msg: str) -> None:
    import pytest

    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(msg + " (CI=true: a missing redis-server is a failure)", pytrace=False)
    pytest.skip(msg)


try:
    import pytest as _pytest
except ImportError:  # pragma: no cover - the plugin needs pytest, the harness does not
    _pytest = None  # type: ignore[assignment]

if _pytest is not None:

    @_pytest.fixture(scope="session")
    def redis_server():  # type: ignore[no-untyped-def]
        """A real redis-server for the whole session (stopped at the end)."""
        if find_redis_server() is None:
            _missing("redis-server is not installed")
        server = RedisServer()
        server.start()
        try:
            yield server
        finally:
            server.stop()

    try:
        import pytest_asyncio

        _async_fixture = pytest_asyncio.fixture  # works in strict and auto mode
    except ImportError:  # pragma: no cover
        _async_fixture = _pytest.fixture  # type: ignore[assignment]

    @_async_fixture
    async def redis(redis_server):  # type: ignore[no-untyped-def]
        """A fastredis client on ``redis_server``; the server is flushed before each test."""
        import fastredis

        client = fastredis.Redis(**redis_server.client_kwargs())
        await client.flushall()
        try:
            yield client
        finally:
            await client.aclose()
