"""``RedisCluster``'s options, each checked at construction: a wrong type or value raises
there, with the option's name (redis-py's names; docs/cluster.md, "Options")."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

from .._params import split_params
from ..exceptions import ConnectionError, DataError
from ..retry import Retry
from .errors import ClusterError
from .slots import LoadBalancingStrategy

if TYPE_CHECKING:
    from ..connection import ConnectionParams
    from .slots import ClusterNode

__all__ = ["flag", "count", "seconds", "error_classes", "seed_addresses", "connection_params",
           "read_strategy", "RetryBudget", "retry_budget"]


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"RedisCluster option {name!r} takes True or False, got {type(value).__name__}")
    return value


def count(name: str, value: Any, none_ok: bool = False) -> int | None:
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"RedisCluster option {name!r} takes an int, got {type(value).__name__}")
    if value < 0:
        raise DataError(f"RedisCluster option {name!r} must be >= 0, got {value}")
    return value


def seconds(name: str, value: Any) -> float | None:
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"RedisCluster option {name!r} takes seconds (a number), got {type(value).__name__}")
    if value < 0:
        raise DataError(f"RedisCluster option {name!r} must be >= 0, got {value}")
    return float(value)


def error_classes(value: Any) -> tuple[type[BaseException], ...]:
    if value is None:
        return ()
    if isinstance(value, type) or isinstance(value, (str, bytes)):
        raise TypeError("retry_on_error takes a list of exception classes")
    out = tuple(value)
    for e in out:
        if not (isinstance(e, type) and issubclass(e, BaseException)):
            raise TypeError(f"retry_on_error takes exception classes, got {e!r}")
    return out


def seed_addresses(host: str | None, port: int, startup_nodes: Iterable[ClusterNode] | None) -> list[tuple[str, int]]:
    seeds = [(n.host, n.port) for n in startup_nodes or ()]
    if host is not None:
        seeds.append((host, int(port)))
    if not seeds:
        raise ClusterError("RedisCluster requires at least one node to discover the cluster: "
                           "give host= or startup_nodes=")
    return seeds


def connection_params(kwargs: dict[str, Any]) -> tuple[ConnectionParams, int | None]:
    """The connection options every node connection is opened with, and ``max_connections``
    (redis-py's per-node bound: the shared connection plus the exclusive ones, blocking
    commands and WATCH, open at once; one more raises MaxConnectionsError)."""
    params, pool_kw, rest = split_params(kwargs)
    max_connections = pool_kw.pop("max_connections", None)
    if pool_kw:
        # the pool's other options: each node's pool is the cluster's to size, so say so
        # rather than drop them
        raise TypeError(
            f"RedisCluster does not take the connection pool options {sorted(pool_kw)}: it keeps "
            "one multiplexed connection per node (plus one per blocking command or WATCH in "
            "flight, which max_connections bounds)")
    if rest:
        raise TypeError(f"RedisCluster() got unexpected keyword arguments: {sorted(rest)}")
    if params.db:
        raise DataError("Redis Cluster has only database 0 (db= must be 0)")
    if params.path:
        raise DataError("Redis Cluster nodes are reached over TCP, not a unix socket")
    max_connections = count("max_connections", max_connections, none_ok=True)
    if max_connections is not None and max_connections < 1:
        raise DataError("RedisCluster option 'max_connections' must be >= 1 (the shared connection)")
    return params, max_connections


def read_strategy(strategy: Any, read_from_replicas: Any) -> LoadBalancingStrategy | None:
    """How reads pick a node of their shard (None: the primary)."""
    chosen = LoadBalancingStrategy.of(strategy)
    if flag("read_from_replicas", read_from_replicas) and chosen is None:
        chosen = LoadBalancingStrategy.ROUND_ROBIN  # as redis-py
    return chosen


class RetryBudget(NamedTuple):
    max_redirects: int
    #: retries after CLUSTERDOWN, TRYAGAIN, READONLY, LOADING, a slot nobody serves and the
    #: retry_on_error errors (retry.get_retries() when retry= is given, as in redis-py,
    #: where it replaces cluster_error_retry_attempts)
    retries: int
    #: ... and after connection failures (a node that cannot be reached, a read-only
    #: command whose connection was lost): connection_error_retry_attempts, or the same
    connection_retries: int
    #: errors retried besides the cluster's own: retry_on_error, and retry's
    #: supported_errors (TimeoutError: only for read-only commands, never run twice)
    errors: tuple[type[BaseException], ...]


def retry_budget(max_redirects: Any, retry: Retry | None, cluster_error_retry_attempts: Any,
                 connection_error_retry_attempts: Any, retry_on_error: Any) -> RetryBudget:
    redirects = count("max_redirects", max_redirects) or 0
    if retry is not None and not isinstance(retry, Retry):
        raise TypeError(f"RedisCluster(retry=...) takes a fastredis.retry.Retry, got {type(retry).__name__}")
    attempts = count("cluster_error_retry_attempts", cluster_error_retry_attempts) or 0
    retries = retry.get_retries() if retry is not None else attempts
    if retries < 0:  # Retry(..., -1): without limit
        retries = sys.maxsize
    conn_attempts = count("connection_error_retry_attempts", connection_error_retry_attempts, True)
    extra = error_classes(retry_on_error)
    if retry is not None:
        extra = retry.supported_errors + extra
    errors = tuple(dict.fromkeys(e for e in extra if not issubclass(e, ConnectionError)))
    return RetryBudget(redirects, retries, retries if conn_attempts is None else conn_attempts, errors)
