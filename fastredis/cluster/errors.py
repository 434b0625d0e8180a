"""Errors of the cluster layer (server errors such as MOVED keep their classes in
``fastredis.exceptions``)."""

from __future__ import annotations

from ..exceptions import (
    ClusterError,
    CrossSlotError,
    CrossSlotTransactionError,
    RedisClusterException,
)

__all__ = ["ClusterError", "CrossSlotError", "CrossSlotTransactionError", "TooManyRedirections",
           "RedisClusterException", "SlotNotCoveredError"]


class TooManyRedirections(ClusterError):
    """More MOVED/ASK redirections than ``max_redirects`` for one command: the map keeps
    changing under it (a migration stuck half-way?)."""


class SlotNotCoveredError(ClusterError):
    """No node serves the command's slot (redis-py's name): the cluster does not cover
    every slot (``require_full_coverage=False``), or it is down, and the retries are spent."""
