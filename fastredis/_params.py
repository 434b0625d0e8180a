"""Keyword arguments -> connection parameters, pool options and client options.

One place that knows every option name ``Redis()``, ``ConnectionPool()`` and URLs accept,
so ``client.py``, ``pool.py`` and ``pipeline.py`` need not import each other for it.
Every redis-py / aredis option is either used or refused with an error that names it:
nothing is dropped without a word."""

from __future__ import annotations

from typing import Any

from .connection import ConnectionParams

__all__ = ["split_params", "POOL_OPTIONS", "CLIENT_OPTIONS", "UNSUPPORTED"]

_PARAM_NAMES = frozenset(ConnectionParams.__slots__) - {"ssl_params", "path", "keepalive", "connect_timeout"}
_SSL_NAMES = frozenset((
    "ssl_ca_certs", "ssl_ca_path", "ssl_ca_data", "ssl_cert_reqs", "ssl_check_hostname",
    "ssl_certfile", "ssl_keyfile", "ssl_password", "ssl_server_hostname",
))
# redis-py / aredis names of ConnectionParams fields
_ALIASES = {
    "unix_socket_path": "path",
    "path": "path",
    "socket_connect_timeout": "connect_timeout",
    "connect_timeout": "connect_timeout",
    "socket_keepalive": "keepalive",
    "socket_keepalive_options": "keepalive_options",
    "stream_timeout": "socket_timeout",  # aredis' name for the per-command read timeout
}
POOL_OPTIONS = frozenset((
    "max_shared", "max_connections", "max_idle", "health_check_interval", "max_idle_time",
    "idle_check_interval",
))
CLIENT_OPTIONS = frozenset((
    "retry", "retry_on_timeout", "retry_on_error", "single_connection_client",
    "auto_close_connection_pool",
))
# Options of redis-py that swap its internals: they have no meaning on this data path.
UNSUPPORTED = {
    "connection_class": "fastredis has one connection class (asyncio Protocol + hiredis)",
    "reader_class": "replies are always parsed by hiredis",
    "parser_class": "replies are always parsed by hiredis",
    "socket_type": "the socket type follows from host/port or unix_socket_path",
    "socket_read_size": "the read size is chosen per event loop (see connection.py)",
    "credential_provider": "pass username= and password=",
    "redis_connect_func": "the handshake is built from the options (AUTH/HELLO/SELECT/SETNAME)",
    "cache": "the client-side cache belongs to the client: Redis(cache=fastredis.CacheConfig(...))",
    "cache_config": "redis-py's cache_config: use Redis(cache=fastredis.CacheConfig(...))",
    "event_dispatcher": "not supported",
    "ssl_min_version": "pass an ssl.SSLContext as ssl=",
    "ssl_ciphers": "pass an ssl.SSLContext as ssl=",
    "ssl_include_verify_flags": "pass an ssl.SSLContext as ssl=",
    "ssl_exclude_verify_flags": "pass an ssl.SSLContext as ssl=",
}


def split_params(kw: dict[str, Any], owner: str = "Redis()") -> tuple[ConnectionParams, dict[str, Any], dict[str, Any]]:
    """Sort keyword arguments into connection params, pool options and client options.

    An option this library cannot honour raises TypeError naming it; an unknown name
    raises TypeError too (a typo must not pass unnoticed)."""
    p: dict[str, Any] = {}
    ssl_params: dict[str, Any] = {}
    pool: dict[str, Any] = {}
    client: dict[str, Any] = {}
    unknown = []
    for k, v in kw.items():
        alias = _ALIASES.get(k)
        if alias is not None:
            p[alias] = bool(v) if alias == "keepalive" else v
        elif k in _PARAM_NAMES:
            p[k] = v
        elif k in _SSL_NAMES:
            ssl_params[k] = v
        elif k in POOL_OPTIONS:
            pool[k] = v
        elif k in CLIENT_OPTIONS:
            client[k] = v
        elif k in UNSUPPORTED:
            if v is None:  # redis-py's default value: nothing asked for
                continue
            raise TypeError(f"{owner} option {k!r} is not supported: {UNSUPPORTED[k]}")
        else:
            unknown.append(k)
    if unknown:
        raise TypeError(f"{owner} got unexpected keyword arguments: {sorted(unknown)}")
    if ssl_params and not p.get("ssl"):
        p["ssl"] = True
    return ConnectionParams(ssl_params=ssl_params, **p), pool, client
