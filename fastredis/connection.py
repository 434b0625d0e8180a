"""Opening connections: TCP, unix sockets, TLS; the handshake; URL parsing.

Secrets (password) live only in ``ConnectionParams.password`` which is excluded from
every repr; errors name the server, never the credentials."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable

from ._connect_log import connect_failed, connected
from ._log import get_logger
from .exceptions import (
    AuthenticationError,
    ConnectionError,
    DataError,
    RedisError,
    ResponseError,
    TimeoutError,
)

if TYPE_CHECKING:  # asyncio is imported on first connect, not by `import fastredis`
    import asyncio

    from ._protocol import Connection

__all__ = ["ConnectionParams", "connect", "parse_url", "deadline", "expire"]


def _logger() -> Any:
    # logging is imported with asyncio at the first connect, not by `import fastredis`

    return get_logger("fastredis.connection")


class Negotiated:
    """What the handshake learnt of the servers behind one set of params: mutable, and
    shared by the copies made per node/address (copy.copy keeps the reference)."""

    __slots__ = ("resp2_only",)

    def __init__(self) -> None:
        #: a server refused HELLO while the protocol was not chosen: later connections go
        #: straight to RESP2 (one warning, not one per connection)
        self.resp2_only = False


class ConnectionParams:
    """Everything needed to open one connection. The password never shows in repr()."""

    __slots__ = (
        "host", "port", "path", "username", "password", "db", "client_name",
        "connect_timeout", "socket_timeout", "ssl", "ssl_params", "encoding",
        "encoding_errors", "decode_responses", "protocol", "keepalive",
        "max_reply_size", "buffered", "keepalive_options", "lib_name", "lib_version",
        "credential_provider", "negotiated",
    )

    def __init__(
        self,
        host: str = "localhost",
        port: int = 6379,
        path: str | None = None,
        username: str | None = None,
        password: str | None = None,
        db: int = 0,
        client_name: str | None = None,
        connect_timeout: float | None = 10.0,
        socket_timeout: float | None = None,
        ssl: Any = None,
        ssl_params: dict[str, Any] | None = None,
        encoding: str = "utf-8",
        encoding_errors: str = "strict",
        decode_responses: bool = False,
        protocol: int | None = None,
        keepalive: bool = True,
        max_reply_size: int | None = None,
        buffered: bool | None = None,
        keepalive_options: dict[int, int] | None = None,
        lib_name: str | None = None,
        lib_version: str | None = None,
        credential_provider: Any = None,
    ) -> None:
        if protocol is not None:
            try:
                protocol = int(protocol)  # redis-py takes "3" too (and URLs give text)
            except (TypeError, ValueError):
                raise DataError(f"protocol must be 2, 3 or None (not chosen), got {protocol!r}") from None
            if protocol not in (2, 3):
                raise DataError(f"protocol must be 2, 3 or None (not chosen), got {protocol!r}")
        if keepalive_options is not None and not isinstance(keepalive_options, dict):
            raise DataError("socket_keepalive_options must be a dict {socket option: value}")
        self.host = host
        self.port = int(port)
        self.path = path
        self.username = username
        self.password = password
        self.db = int(db or 0)
        self.client_name = client_name
        self.connect_timeout = connect_timeout
        self.socket_timeout = socket_timeout
        self.ssl = ssl
        self.ssl_params = ssl_params or {}
        self.encoding = encoding
        self.encoding_errors = encoding_errors
        self.decode_responses = decode_responses
        #: what the caller chose: 2, 3, or None (not chosen: RESP3, and RESP2 on a server
        #: without HELLO). Reply shapes follow the choice (see ``reply_protocol``); the
        #: wire follows ``resp``.
        self.protocol = protocol
        #: what the servers answered, shared with every copy of these params (a cluster's
        #: nodes, a Sentinel's masters, Pub/Sub): the fallback is found and told once
        self.negotiated = Negotiated()
        self.keepalive = keepalive
        self.max_reply_size = max_reply_size
        self.buffered = buffered
        self.keepalive_options = keepalive_options
        self.lib_name = lib_name
        self.lib_version = lib_version
        if credential_provider is not None:
            from .credentials import check

            if username is not None or password is not None:
                # redis-py's rule: which of the two would win is not obvious
                raise DataError("'username' and 'password' cannot be passed along with 'credential_provider'")
            check(credential_provider)
        #: asked for the credentials of every new connection (see fastredis.credentials)
        self.credential_provider = credential_provider

    @property
    def resp(self) -> int:
        """The RESP version new connections speak: 3 unless ``protocol=2`` was chosen or
        this endpoint's server refused HELLO (not chosen: automatic fallback)."""
        return 2 if self.protocol == 2 or self.negotiated.resp2_only else 3

    @property
    def reply_protocol(self) -> int:
        """The protocol whose reply shapes results take (redis-py 8's rule, with its
        default ``legacy_responses=True``): RESP3's own shapes only when ``protocol=3``
        was chosen; otherwise RESP2's, whatever the wire speaks."""
        return 3 if self.protocol == 3 else 2

    @property
    def address(self) -> str:
        if self.path:
            return f"unix:{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def __repr__(self) -> str:
        user = f" username={self.username!r}" if self.username else ""
        pw = " password=<hidden>" if self.password else ""
        if self.credential_provider is not None:
            pw = f" credential_provider={type(self.credential_provider).__name__}"
        tls = " tls" if self.ssl else ""
        return f"<ConnectionParams {self.address} db={self.db}{user}{pw}{tls}>"


# ---------------------------------------------------------------------------- URLs
def _url_bool(v: str) -> bool:
    s = v.strip().lower()
    if s in ("1", "true", "yes", "on", "y"):
        return True
    if s in ("0", "false", "no", "off", "n", ""):
        return False
    raise ValueError(f"{v!r} is not a boolean (true/false, yes/no, on/off, 1/0)")


def _url_float_or_none(v: str) -> float | None:
    return None if v.strip().lower() in ("", "none") else float(v)


def _url_errors(v: str) -> list[type[BaseException]]:
    from . import exceptions

    out: list[type[BaseException]] = []
    for name in filter(None, (n.strip() for n in v.split(","))):
        cls = getattr(exceptions, name, None)
        if not (isinstance(cls, type) and issubclass(cls, exceptions.RedisError)):
            raise ValueError(f"{name!r} is not a fastredis exception class")
        out.append(cls)
    return out


def _url_protocol(v: str) -> int | None:
    if v.strip().lower() in ("", "none"):
        return None  # not chosen: RESP3 with fallback, as without the option
    n = int(v)
    if n not in (2, 3):
        raise ValueError("must be 2 or 3")
    return n


def _url_cert_reqs(v: str) -> str:
    if v.lower() not in ("none", "optional", "required"):
        raise ValueError("must be none, optional or required")
    return v.lower()


# Every query option a URL may carry: name -> parser (the value's type). The keyword the
# option becomes is its own name (redis-py's names); unknown options are a DataError
# (redis-py silently passed them on as strings: ?max_connections=10 then failed later).
URL_OPTIONS: dict[str, Callable[[str], Any]] = {
    "db": int,
    "protocol": _url_protocol,
    "legacy_responses": _url_bool,  # False is refused with the keyword (see _params)
    "username": str,
    "password": str,
    "client_name": str,
    "lib_name": str,
    "lib_version": str,
    "socket_timeout": _url_float_or_none,
    "socket_connect_timeout": _url_float_or_none,
    "socket_keepalive": _url_bool,
    "decode_responses": _url_bool,
    "encoding": str,
    "encoding_errors": str,
    "max_reply_size": int,
    "health_check_interval": float,
    "max_connections": int,
    "max_shared": int,
    "max_idle": int,
    "max_idle_time": _url_float_or_none,
    "idle_check_interval": float,
    "single_connection_client": _url_bool,
    "retry_on_timeout": _url_bool,
    "retry_on_error": _url_errors,
    "ssl_cert_reqs": _url_cert_reqs,
    "ssl_check_hostname": _url_bool,
    "ssl_ca_certs": str,
    "ssl_ca_path": str,
    "ssl_certfile": str,
    "ssl_keyfile": str,
    "ssl_server_hostname": str,
    "timeout": _url_float_or_none,
}


def parse_url(url: str) -> dict[str, Any]:
    """``redis://[[user]:password@]host[:port][/db][?option=value&...]``, ``rediss://``
    (TLS) and ``unix://[[user]:password@]/path/to.sock[?db=N&...]`` into keyword arguments
    for ``Redis()`` / ``ConnectionPool()``. Query options: see ``URL_OPTIONS`` and
    docs/connections.md. A bad value or an unknown option raises DataError naming it."""
    from urllib.parse import parse_qs, unquote, urlsplit  # only when a URL is used

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss", "unix"):
        raise DataError(
            "Redis URL must start with redis://, rediss:// or unix:// "
            f"(got {scheme + '://' if scheme else 'no scheme'})"
        )
    kw: dict[str, Any] = {}
    for name, values in parse_qs(parts.query, keep_blank_values=True).items():
        parser = URL_OPTIONS.get(name)
        if parser is None:
            raise DataError(f"unknown option {name!r} in the Redis URL (known: {', '.join(sorted(URL_OPTIONS))})")
        try:
            kw[name] = parser(values[-1])
        except ValueError as exc:
            # the value may be a secret (password=): never echo it
            shown = "" if name == "password" else f" {values[-1]!r}"
            raise DataError(f"invalid value{shown} for URL option {name!r}: {exc if shown else 'bad value'}") from None
    if parts.username:
        kw["username"] = unquote(parts.username)
    if parts.password is not None:
        kw["password"] = unquote(parts.password)
    if scheme == "unix":
        kw["path"] = unquote(parts.path)
        return kw
    if parts.hostname:
        kw["host"] = unquote(parts.hostname)
    try:
        port = parts.port
    except ValueError:
        raise DataError("the URL port must be a number from 0 to 65535") from None
    if port:
        kw["port"] = port
    path = parts.path.strip("/")
    if path and "db" not in kw:
        try:
            kw["db"] = int(path)
        except ValueError:
            raise DataError("the URL path must be a database number") from None
    if scheme == "rediss":
        kw["ssl"] = True
    return kw


# ---------------------------------------------------------------------------- timeouts
def expire(fut: asyncio.Future[Any], timeout: float, conn: Connection | None = None) -> None:
    """``socket_timeout`` reached for ``fut`` (a loop.call_later callback): fail it; its
    place in the connection's FIFO stays (see Connection.timed_out)."""
    if not fut.done():
        fut.set_exception(TimeoutError(f"Timeout reading reply after {timeout}s"))
        if conn is not None:
            conn.timed_out(fut, timeout)


async def wait_reply(conn: Connection, fut: asyncio.Future[Any], timeout: float | None) -> Any:
    """``fut``'s reply, failed with TimeoutError after ``timeout`` s (socket_timeout). The
    one-key hot paths (``Redis._execute``, ``RedisCluster._execute``) inline this to save
    a coroutine frame per command; everything else calls it."""
    if timeout is None:
        return await fut
    handle = conn._loop.call_later(timeout, expire, fut, timeout, conn)
    try:
        return await fut
    finally:
        handle.cancel()


if sys.version_info >= (3, 11):

    def deadline(seconds: float | None) -> Any:
        """A cancellation-safe timeout block. ``asyncio.wait_for`` on 3.10/3.11 returns the
        inner result when an outer cancel races its completion, swallowing the cancel:
        a connection opened for a caller that was cancelled (or a pool being closed) then
        lived on past ``aclose()``."""
        import asyncio

        return asyncio.timeout(seconds)

else:  # pragma: no cover - Python 3.10

    def deadline(seconds: float | None) -> Any:
        return _Deadline310(seconds)


class _Deadline310:
    """``asyncio.timeout`` for Python 3.10: the block's own task is cancelled when the
    time is up, and that cancellation (only that one) becomes TimeoutError on the way
    out. The timer can only fire while the task is suspended inside the block, so the
    cancel is always delivered there. (3.10 has no ``Task.uncancel``: an outside cancel
    landing in the very same step as the timer is reported as the timeout.)"""

    __slots__ = ("_seconds", "_handle", "_fired", "_task")

    def __init__(self, seconds: float | None) -> None:
        self._seconds = seconds
        self._handle: Any = None
        self._fired = False
        self._task: Any = None

    async def __aenter__(self) -> _Deadline310:
        import asyncio

        if self._seconds is not None:
            self._task = asyncio.current_task()
            self._handle = asyncio.get_running_loop().call_later(self._seconds, self._fire)
        return self

    def _fire(self) -> None:
        self._fired = True
        self._task.cancel()

    async def __aexit__(self, et: Any, exc: Any, tb: Any) -> bool:
        import asyncio

        if self._handle is not None:
            self._handle.cancel()
        if self._fired and et is asyncio.CancelledError:
            raise asyncio.TimeoutError() from exc
        return False


# ---------------------------------------------------------------------------- TLS
def make_ssl_context(ssl_opt: Any, params: dict[str, Any]) -> Any:
    """Certificate and hostname verification are ON unless turned off explicitly with
    ``ssl_cert_reqs="none"`` (or a context the caller built that way)."""
    import ssl as _ssl  # imported only when TLS is used: keeps `import fastredis` light

    if isinstance(ssl_opt, _ssl.SSLContext):
        return ssl_opt
    ctx = _ssl.create_default_context(cafile=params.get("ssl_ca_certs"), capath=params.get("ssl_ca_path"))
    if params.get("ssl_ca_data"):
        ctx.load_verify_locations(cadata=params["ssl_ca_data"])
    reqs = params.get("ssl_cert_reqs", "required")
    if isinstance(reqs, str):
        reqs = {
            "none": _ssl.CERT_NONE, "optional": _ssl.CERT_OPTIONAL, "required": _ssl.CERT_REQUIRED,
        }[reqs.lower()]
    check_hostname = params.get("ssl_check_hostname", True)
    if reqs == _ssl.CERT_NONE:
        check_hostname = False
    ctx.check_hostname = bool(check_hostname)
    ctx.verify_mode = reqs
    if params.get("ssl_certfile"):
        ctx.load_cert_chain(
            params["ssl_certfile"], params.get("ssl_keyfile"), params.get("ssl_password")
        )
    return ctx


# ---------------------------------------------------------------------------- connect
def _connection_class(loop: asyncio.AbstractEventLoop, buffered: bool | None) -> type[Connection]:
    from ._protocol import BufferedConnection, Connection

    if buffered is None:
        # Measured (bench/): on the default loop BufferedProtocol avoids one
        # bytes allocation per read; uvloop has its own fast path for both.
        buffered = type(loop).__module__.split(".")[0] != "uvloop"
    return BufferedConnection if buffered else Connection


async def connect(params: ConnectionParams, *, pubsub: bool = False, client_id: bool = False,
                  **conn_kw: Any) -> Connection:
    """Open, secure and hand-shake one connection; raise ConnectionError (chained) or
    AuthenticationError. A failure after the socket opened closes it."""
    import asyncio

    loop = asyncio.get_running_loop()
    cls = _connection_class(loop, params.buffered)

    def factory() -> Connection:
        c = cls(
            loop,
            encoding=params.encoding,
            errors=params.encoding_errors,
            decode=params.decode_responses,
            max_reply_size=params.max_reply_size,
            **conn_kw,
        )
        c.description = params.address
        return c

    ssl_ctx = None
    if params.ssl:
        ssl_ctx = make_ssl_context(params.ssl, params.ssl_params)
    try:
        if params.path:
            coro = loop.create_unix_connection(factory, params.path)
        else:
            coro = loop.create_connection(
                factory,
                params.host,
                params.port,
                ssl=ssl_ctx,
                server_hostname=params.ssl_params.get("ssl_server_hostname") or params.host if ssl_ctx else None,
            )
        # not asyncio.wait_for: it can swallow a cancel and hand back a socket nobody
        # owns (see deadline()); a cancel here closes the half-made socket
        async with deadline(params.connect_timeout or None):
            transport, conn = await coro
    except asyncio.TimeoutError as exc:
        connect_failed(_logger(), params.address, f"timeout after {params.connect_timeout}s")
        raise TimeoutError(f"Timeout connecting to {params.address}") from exc
    except OSError as exc:
        where = params.address
        connect_failed(_logger(), where, str(exc.strerror or exc))
        if params.path and isinstance(exc, (FileNotFoundError,)):
            raise ConnectionError(f"Unix socket {params.path} does not exist") from exc
        raise ConnectionError(f"Error connecting to {where}: {exc.strerror or exc}") from exc
    try:
        _set_socket_options(transport, params)
        await _handshake(conn, params, client_id, pubsub)
    except BaseException as exc:
        conn.abort("closed after a failed handshake")
        if not isinstance(exc, asyncio.CancelledError):
            connect_failed(_logger(), params.address, f"handshake failed: {exc}")
        raise
    if pubsub:
        conn.set_pubsub(True)
    conn.last_used = loop.time()
    connected(_logger(), params.address)
    _logger().debug("connected to %s%s", params.address, " (pubsub)" if pubsub else "")
    return conn


def _set_socket_options(transport: Any, params: ConnectionParams) -> None:
    import socket

    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # pragma: no cover - platform without this option
        pass
    if params.keepalive:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        # redis-py's socket_keepalive_options: {socket.TCP_KEEPIDLE: 60, ...}; an
        # option the platform refuses is an error, not silently dropped
        for opt, value in (params.keepalive_options or {}).items():
            try:
                sock.setsockopt(socket.IPPROTO_TCP, opt, value)
            except OSError as exc:
                raise ConnectionError(f"socket_keepalive_options: cannot set option {opt}={value}: {exc}") from exc


def pubsub_resp(params: ConnectionParams) -> int:
    """The RESP version a Pub/Sub connection speaks: ``params.resp``, except that with the
    protocol not chosen it is RESP2 unless the credential provider streams. Over RESP3
    every message is a push frame, which hiredis builds about 0.1 µs slower than an array
    (a 10-30% lower drain rate, measured); the message dicts are the same either way. A
    streaming provider keeps RESP3: only a RESP3 subscriber can be re-authenticated in
    place (RESP2 refuses AUTH in subscribed mode), so rotating credentials never cut it.
    ``protocol=3`` chosen: RESP3 for Pub/Sub too."""
    resp = params.resp
    if resp == 3 and params.protocol is None:
        from .credentials import streams

        if not streams(params.credential_provider):
            return 2
    return resp


async def _handshake(conn: Connection, params: ConnectionParams, client_id: bool = False,
                     pubsub: bool = False) -> None:
    import asyncio

    username, password = params.username, params.password
    provider = params.credential_provider
    if provider is not None:
        from .credentials import fanout, fetch

        # the epoch first: credentials pushed while these are fetched or sent are
        # re-sent when the pool takes the connection in (ConnectionPool._catch_up)
        f = fanout(provider)
        conn.auth_epoch = f.epoch if f is not None else 0
        try:
            async with deadline(params.connect_timeout or None):
                username, password = await fetch(provider)
        except asyncio.TimeoutError as exc:
            raise TimeoutError(f"Timeout asking the credential provider for {params.address}") from exc
    if password is None and username:
        # a username without a password authenticates as that user with an empty
        # password (redis-py's rule: a `nopass` user gets in, any other is refused);
        # connecting as the default user instead would be a silent change of identity
        password = ""
    resp3 = (pubsub_resp(params) if pubsub else params.resp) == 3
    try:
        await _send_handshake(conn, params, client_id, username, password, resp3)
    except _NoHello as exc:
        # protocol not chosen and a server without RESP3 (Redis < 6, a proxy): the same
        # connection goes on in RESP2, AUTH sent by itself (HELLO carried it); SELECT and
        # SETNAME sent again are harmless where they already succeeded
        _fall_back(params, exc.reply)
        await _send_handshake(conn, params, client_id, username, password, False)


class _NoHello(Exception):
    """The server refused HELLO as a command it does not know (or NOPROTO, or Valkey's NOAUTH
    for an unknown command)."""

    def __init__(self, reply: BaseException) -> None:
        super().__init__("HELLO refused")  # (an old server's text may echo the password)
        self.reply = reply


def _refuses_hello(exc: BaseException, with_auth: bool) -> bool:
    """``exc`` says the server does not know HELLO or RESP3 (redis-py's test: "unknown
    command" — Redis < 6, some proxies — or NOPROTO), not that the credentials are bad.
    ``NOAUTH`` in answer to a HELLO that carried AUTH says the same: a server that knows
    HELLO runs it before authentication (bad credentials are WRONGPASS), while Valkey
    answers an unknown command of a client not yet authenticated with NOAUTH."""
    text = str(exc).lower().removeprefix("err ")
    if isinstance(exc, AuthenticationError):
        return with_auth and text.startswith("noauth")
    return isinstance(exc, ResponseError) and text.startswith(("unknown command", "noproto"))


def _fall_back(params: ConnectionParams, reply: BaseException) -> None:
    """Remember that this endpoint speaks RESP2 only; say so once (the first connection
    that finds out), never with a secret (the server's text names the command only)."""
    if params.negotiated.resp2_only:
        return
    params.negotiated.resp2_only = True
    _logger().warning(
        "%s does not support HELLO (RESP3): its connections fall back to RESP2 (server said: %s); "
        "set protocol=2 to choose RESP2 and silence this warning, or upgrade the server",
        params.address, _server_said(reply),
    )


async def _send_handshake(conn: Connection, params: ConnectionParams, client_id: bool,
                          username: str | None, password: str | None, resp3: bool) -> None:
    """AUTH/HELLO, SELECT, SETNAME, CLIENT ID, SETINFO: one write, N futures; the first
    failure wins. Raises _NoHello when HELLO was refused and the protocol not chosen."""
    import asyncio

    cmds: list[tuple[Any, ...]] = []
    if resp3:
        hello: tuple[Any, ...] = ("HELLO", 3)
        if password is not None:
            hello += ("AUTH", username or "default", password)
        cmds.append(hello)
    elif password is not None:
        if username:
            cmds.append(("AUTH", username, password))
        else:
            cmds.append(("AUTH", password))
    if params.db:
        cmds.append(("SELECT", params.db))
    if params.client_name:
        cmds.append(("CLIENT", "SETNAME", params.client_name))
    if client_id:
        # exclusive connections remember their id: a cancelled blocking command is then
        # CLIENT UNBLOCKed from the shared connection (see Redis._execute_blocking)
        cmds.append(("CLIENT", "ID"))
    # CLIENT SETINFO (Redis >= 7.2) only when asked for; an older server's "unknown
    # subcommand" is ignored, as redis-py does
    optional = len(cmds)
    if params.lib_name:
        cmds.append(("CLIENT", "SETINFO", "LIB-NAME", params.lib_name))
    if params.lib_version:
        cmds.append(("CLIENT", "SETINFO", "LIB-VER", params.lib_version))
    if not cmds:
        return
    futs = [conn.execute(c) for c in cmds]
    try:
        async with deadline(params.connect_timeout or params.socket_timeout or None):
            results = await asyncio.gather(*futs, return_exceptions=True)
    except asyncio.TimeoutError as exc:
        raise TimeoutError(f"Timeout during the handshake with {params.address}") from exc
    first = results[0]
    if resp3 and isinstance(first, BaseException) and _refuses_hello(first, password is not None):
        if params.protocol is None:
            raise _NoHello(first)
        raise ResponseError(
            f"{params.address} does not support RESP3 (HELLO refused: {_server_said(first)}); "
            "protocol=3 was chosen: use protocol=2, or leave protocol unset to fall back automatically"
        ) from None
    cid = results[optional - 1]
    if client_id and isinstance(cid, int):
        conn.client_id = cid
    for i, (cmd, res) in enumerate(zip(cmds, results)):
        if isinstance(res, BaseException):
            name = cmd[0]
            if i >= optional and isinstance(res, ResponseError):
                continue
            if isinstance(res, AuthenticationError) or (
                name in ("AUTH", "HELLO") and isinstance(res, ResponseError)
            ):
                err: BaseException = AuthenticationError(_auth_text(res))
                provider = params.credential_provider
                if provider is not None:
                    from .credentials import failed_auth

                    err = failed_auth(provider, err)
                raise err from err.__cause__
            if isinstance(res, RedisError):
                raise res
            raise ConnectionError(f"Handshake with {params.address} failed") from res


def _server_said(exc: BaseException) -> str:
    """The server's error text without the arguments it may echo: Redis < 6.2 answers an
    unknown command with "..., with args beginning with: `3`, `AUTH`, `user`, `secret`"."""
    return str(exc).split(", with args", 1)[0][:200]


def _auth_text(exc: BaseException) -> str:
    # The server's text names no password once its echo of the arguments is cut off
    return _server_said(exc) or "authentication failed"
