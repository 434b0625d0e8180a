"""Errors of the cluster layer (server errors such as MOVED keep their classes in
``fastredis.exceptions``)."""

from __future__ import annotations

from ..exceptions import DataError, RedisError

__all__ = ["ClusterError", "CrossSlotError", "TooManyRedirections", "RedisClusterException",
           "SlotNotCoveredError"]


class ClusterError(RedisError):
    """The cluster could not serve a command (no node answers, a slot nobody serves)."""


RedisClusterException = ClusterError  # redis-py's name


class CrossSlotError(ClusterError, DataError):
    """A multi-key command whose keys are in several slots and which cannot be split
    (raised before anything is sent). Use a hash tag: ``{user1}:a``, ``{user1}:b``."""


class TooManyRedirections(ClusterError):
    """More MOVED/ASK redirections than ``max_redirects`` for one command: the map keeps
    changing under it (a migration stuck half-way?)."""


class SlotNotCoveredError(ClusterError):
    """No node serves the command's slot (redis-py's name): the cluster does not cover
    every slot (``require_full_coverage=False``), or it is down, and the retries are spent."""
