"""Connect failures, logged once per endpoint and then summarised.

A client that cannot reach its server retries (a PubSub's reconnect loop, the pool for each
command, a cluster refreshing its map): logging every failed attempt at WARNING turns one
outage into a screenful. Per endpoint, the first failure is a WARNING; the ones after it are
DEBUG, with a WARNING summary every ``SUMMARY_EVERY`` seconds while they go on; the first
success after failures is an INFO line saying how long and how many. Thread-safe (clients
on several loops share it); nothing here runs on the reply path."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging

__all__ = ["connect_failed", "connected"]

SUMMARY_EVERY = 30.0  # seconds between "still cannot connect" summaries of one endpoint

_lock = None  # a threading.Lock, made at the first failure (import fastredis stays light)


class _Run:
    """One endpoint's run of failed connects (times: time.monotonic())."""

    __slots__ = ("first", "failures", "warned")

    def __init__(self, now: float) -> None:
        self.first = self.warned = now
        self.failures = 1


_failing: dict[str, _Run] = {}


def connect_failed(logger: logging.Logger, endpoint: str, error: str) -> None:
    """Record a failed connect to ``endpoint`` (``error``: its text, no secret in it)."""
    global _lock
    if _lock is None:
        import threading

        _lock = threading.Lock()
    now = time.monotonic()
    with _lock:
        run = _failing.get(endpoint)
        if run is None:
            _failing[endpoint] = _Run(now)
            warn, summary = True, None
        else:
            run.failures += 1
            warn = now - run.warned >= SUMMARY_EVERY
            if warn:
                run.warned = now
            summary = (run.failures, now - run.first)
    if summary is None:
        logger.warning("cannot connect to %s: %s", endpoint, error)
    elif warn:
        logger.warning("still cannot connect to %s: %d failed attempts in %.1fs; last: %s",
                       endpoint, summary[0], summary[1], error)
    elif logger.isEnabledFor(10):  # logging.DEBUG
        logger.debug("cannot connect to %s (attempt %d, failing for %.1fs): %s",
                     endpoint, summary[0], summary[1], error)


def connected(logger: logging.Logger, endpoint: str) -> None:
    """A connect to ``endpoint`` succeeded: close its run of failures, if any."""
    if not _failing or _lock is None:  # the common case: nothing to do, no lock taken
        return
    with _lock:
        run = _failing.pop(endpoint, None)
    if run is not None:
        logger.info("connected to %s again after %d failed attempt(s) in %.1fs", endpoint,
                    run.failures, time.monotonic() - run.first)
