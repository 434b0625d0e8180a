"""Opening connections: TCP, unix sockets, TLS; the handshake; URL parsing.

Secrets (password) live only in ``ConnectionParams.password`` which is excluded from
every repr; errors name the server, never the credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

__all__ = ["ConnectionParams", "connect", "parse_url"]


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "on", "y")
    return bool(v)


class ConnectionParams:
    """Everything needed to open one connection. The password never shows in repr()."""

    __slots__ = (
        "host", "port", "path", "username", "password", "db", "client_name",
        "connect_timeout", "socket_timeout", "ssl", "ssl_params", "encoding",
        "encoding_errors", "decode_responses", "protocol", "keepalive",
        "max_reply_size", "buffered",
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
        protocol: int = 2,
        keepalive: bool = True,
        max_reply_size: int | None = None,
        buffered: bool | None = None,
    ) -> None:
        if protocol not in (2, 3):
            raise DataError("protocol must be 2 or 3")
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
        self.protocol = protocol
        self.keepalive = keepalive
        self.max_reply_size = max_reply_size
        self.buffered = buffered

    @property
    def address(self) -> str:
        if self.path:
            return f"unix:{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def __repr__(self) -> str:
        user = f" username={self.username!r}" if self.username else ""
        pw = " password=<hidden>" if self.password else ""
        tls = " tls" if self.ssl else ""
        return f"<ConnectionParams {self.address} db={self.db}{user}{pw}{tls}>"


# ---------------------------------------------------------------------------- URLs
_INT_OPTS = ("db", "port")
_FLOAT_OPTS = ("socket_timeout", "socket_connect_timeout", "connect_timeout", "health_check_interval")
_BOOL_OPTS = ("decode_responses", "ssl_check_hostname")


def parse_url(url: str) -> dict[str, Any]:
    """``redis://[[user]:password@]host[:port][/db][?opt=v]``, ``rediss://`` (TLS) and
    ``unix://[[user]:password@]/path/to.sock[?db=N]`` into keyword arguments."""
    from urllib.parse import parse_qs, unquote, urlsplit  # only when a URL is used

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss", "unix"):
        raise DataError(
            "Redis URL must start with redis://, rediss:// or unix:// "
            f"(got {scheme + '://' if scheme else 'no scheme'})"
        )
    kw: dict[str, Any] = {}
    for name, values in parse_qs(parts.query).items():
        value = values[0]
        if name in _INT_OPTS:
            kw[name] = int(value)
        elif name in _FLOAT_OPTS:
            kw["connect_timeout" if name == "socket_connect_timeout" else name] = float(value)
        elif name in _BOOL_OPTS:
            kw[name] = _truthy(value)
        elif name == "ssl_cert_reqs":
            kw[name] = value
        else:
            kw[name] = value
    if parts.username:
        kw["username"] = unquote(parts.username)
    if parts.password is not None:
        kw["password"] = unquote(parts.password)
    if scheme == "unix":
        kw["path"] = unquote(parts.path)
        return kw
    if parts.hostname:
        kw["host"] = unquote(parts.hostname)
    if parts.port:
        kw["port"] = parts.port
    path = parts.path.strip("/")
    if path and "db" not in kw:
        try:
            kw["db"] = int(path)
        except ValueError:
            raise DataError("the URL path must be a database number") from None
    if scheme == "rediss":
        kw["ssl"] = True
    return kw


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
        # Measured (bench/, issue 2): on the default loop BufferedProtocol avoids one
        # bytes allocation per read; uvloop has its own fast path for both.
        buffered = type(loop).__module__.split(".")[0] != "uvloop"
    return BufferedConnection if buffered else Connection


async def connect(params: ConnectionParams, *, pubsub: bool = False, client_id: bool = False,
                  **conn_kw: Any) -> Connection:
    """Open, secure and hand-shake one connection; raise ConnectionError (chained) or
    AuthenticationError. A failure after the socket opened closes it."""
    import asyncio
    import socket

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
        if params.connect_timeout:
            transport, conn = await asyncio.wait_for(coro, params.connect_timeout)
        else:
            transport, conn = await coro
    except asyncio.TimeoutError as exc:
        raise TimeoutError(f"Timeout connecting to {params.address}") from exc
    except OSError as exc:
        where = params.address
        if params.path and isinstance(exc, (FileNotFoundError,)):
            raise ConnectionError(f"Unix socket {params.path} does not exist") from exc
        raise ConnectionError(f"Error connecting to {where}: {exc.strerror or exc}") from exc
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if params.keepalive:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        except OSError:  # pragma: no cover - platform without these options
            pass
    try:
        await _handshake(conn, params, client_id)
    except BaseException:
        conn.abort("closed after a failed handshake")
        raise
    if pubsub:
        conn.set_pubsub(True)
    return conn


async def _handshake(conn: Connection, params: ConnectionParams, client_id: bool = False) -> None:
    import asyncio

    cmds: list[tuple[Any, ...]] = []
    if params.protocol == 3:
        hello: tuple[Any, ...] = ("HELLO", 3)
        if params.password is not None:
            hello += ("AUTH", params.username or "default", params.password)
        cmds.append(hello)
    elif params.password is not None:
        if params.username:
            cmds.append(("AUTH", params.username, params.password))
        else:
            cmds.append(("AUTH", params.password))
    if params.db:
        cmds.append(("SELECT", params.db))
    if params.client_name:
        cmds.append(("CLIENT", "SETNAME", params.client_name))
    if client_id:
        # exclusive connections remember their id: a cancelled blocking command is then
        # CLIENT UNBLOCKed from the shared connection (see Redis._execute_blocking)
        cmds.append(("CLIENT", "ID"))
    if not cmds:
        return
    # One write, N futures; the first failure wins.
    futs = [conn.execute(c) for c in cmds]
    try:
        if params.socket_timeout or params.connect_timeout:
            done = asyncio.gather(*futs, return_exceptions=True)
            results = await asyncio.wait_for(done, params.connect_timeout or params.socket_timeout)
        else:
            results = await asyncio.gather(*futs, return_exceptions=True)
    except asyncio.TimeoutError as exc:
        raise TimeoutError(f"Timeout during the handshake with {params.address}") from exc
    if client_id and isinstance(results[-1], int):
        conn.client_id = results[-1]
    for cmd, res in zip(cmds, results):
        if isinstance(res, BaseException):
            name = cmd[0]
            if isinstance(res, AuthenticationError):
                raise AuthenticationError(_auth_text(res)) from None
            if name in ("AUTH", "HELLO") and isinstance(res, ResponseError):
                raise AuthenticationError(_auth_text(res)) from None
            if isinstance(res, RedisError):
                raise res
            raise ConnectionError(f"Handshake with {params.address} failed") from res


def _auth_text(exc: BaseException) -> str:
    # The server's text never contains the password; keep it for the reason it gives.
    return str(exc) or "authentication failed"
