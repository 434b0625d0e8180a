"""Keyword arguments -> connection parameters, pool options and client options.

One place that knows every option name ``Redis()``, ``ConnectionPool()`` and URLs accept,
so ``client.py``, ``pool.py`` and ``pipeline.py`` need not import each other for it.
Every redis-py / aredis option is either used or refused with an error that names it:
nothing is dropped without a word."""

from __future__ import annotations

from typing import Any

from .connection import ConnectionParams

__all__ = ["split_params", "POOL_OPTIONS", "CLIENT_OPTIONS", "UNSUPPORTED"]

_PARAM_NAMES = frozenset(ConnectionParams.__slots__) - {"ssl_params", "path", "keepalive", "connect_timeout", "negotiated"}
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
    "idle_check_interval", "timeout",  # (timeout: BlockingConnectionPool's wait)
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
    "redis_connect_func": "the handshake is built from the options (AUTH/HELLO/SELECT/SETNAME)",
    "cache": "the client-side cache belongs to the client: Redis(cache=fastredis.CacheConfig(...))",
    "cache_config": "the client-side cache belongs to the client: give cache_config to Redis()",
    "encoder_class": "arguments are encoded with encoding= / encoding_errors=",
    "queue_class": "idle connections are reused newest first, waiters served first come first served",
    "ssl_min_version": "pass an ssl.SSLContext as ssl=",
    "ssl_ciphers": "pass an ssl.SSLContext as ssl=",
    "ssl_include_verify_flags": "pass an ssl.SSLContext as ssl=",
    "ssl_exclude_verify_flags": "pass an ssl.SSLContext as ssl=",
}
# redis-py's internal state of its maintenance notifications (Redis Enterprise / Cloud push
# MOVING / MIGRATING notices; open-source servers never send them): accepted at their
# default values only.
_MAINT_INTERNAL = (
    "maint_notifications_pool_handler", "maintenance_state", "maintenance_notification_hash",
    "orig_host_address", "orig_socket_timeout", "orig_socket_connect_timeout",
    "oss_cluster_maint_notifications_handler", "himport_registry",
)
# redis-py's names of the default listeners of its EventDispatcher: they re-authenticate
# connections when a streaming credential provider pushes, which fastredis does itself
_DEFAULT_LISTENERS = frozenset((
    "ReAuthConnectionListener", "RegisterReAuthForPooledConnections",
    "RegisterReAuthForSingleConnection", "RegisterReAuthForPubSub",
    "RegisterReAuthForAsyncClusterNodes", "AsyncReAuthConnectionListener",
))


def redis_py8_option(k: str, v: Any, owner: str, p: dict[str, Any]) -> bool:
    """redis-py 8's newer keywords: True when ``k`` is one of them and was taken in (its
    effect, if any, written into the connection params ``p``); a value fastredis cannot
    honour raises TypeError saying which and why."""
    if k == "event_dispatcher":
        listeners = getattr(v, "_event_listeners_mapping", None)
        if v is None or (isinstance(listeners, dict) and all(
                type(x).__name__ in _DEFAULT_LISTENERS for xs in listeners.values() for x in xs)):
            return True  # the default behaviour: re-authentication, built in here
        raise TypeError(
            f"{owner} option 'event_dispatcher': fastredis does not emit redis-py's events, so listeners "
            "registered on it would never be called (re-authentication on a streaming credential "
            "provider is built in; see docs/connections.md)"
        )
    if k == "maint_notifications_config":
        enabled = getattr(v, "enabled", False) if v is not None else False
        if enabled is False or enabled == "auto":
            return True  # open-source servers never send them: "auto" finds none
        raise TypeError(
            f"{owner} option 'maint_notifications_config' with enabled={enabled!r}: fastredis does not "
            "handle maintenance notifications (pushed by Redis Enterprise / Redis Cloud only; open-source "
            "Redis and Valkey never send them): use enabled='auto' or False"
        )
    if k == "driver_info":
        if v is None:
            return True
        name = getattr(v, "formatted_name", None)
        version = getattr(v, "lib_version", None)
        if not (name is None or isinstance(name, str)) or not (version is None or isinstance(version, str)):
            raise TypeError(f"{owner} option 'driver_info' takes redis-py's DriverInfo, got {type(v).__name__}")
        p["lib_name"], p["lib_version"] = name, version  # CLIENT SETINFO LIB-NAME / LIB-VER
        return True
    if k == "legacy_responses":
        if v is True or v is None:
            return True
        raise TypeError(
            f"{owner} option 'legacy_responses=False' (redis-py's unified RESP2/RESP3 reply shapes) "
            "is not implemented: fastredis returns redis-py's legacy shapes"
        )
    if k in _MAINT_INTERNAL:
        if v is None or getattr(v, "value", v) == "none":
            return True
        raise TypeError(f"{owner} option {k!r} is internal to redis-py (its maintenance notifications "
                        "and HIMPORT state): fastredis has no such state")
    return False


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
        elif redis_py8_option(k, v, owner, p):
            continue
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
