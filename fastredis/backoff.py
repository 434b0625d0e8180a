"""Backoff strategies for ``fastredis.retry.Retry``, with redis-py's names and meaning
(``redis.backoff``): ``compute(failures)`` is the delay in seconds before the next try."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod

__all__ = [
    "AbstractBackoff", "NoBackoff", "ConstantBackoff", "ExponentialBackoff",
    "FullJitterBackoff", "EqualJitterBackoff", "DecorrelatedJitterBackoff",
    "ExponentialWithJitterBackoff", "default_backoff",
]

DEFAULT_BASE = 0.008
DEFAULT_CAP = 0.512


class AbstractBackoff(ABC):
    def reset(self) -> None:  # noqa: B027 - optional hook, a no-op unless overridden
        """Called before a new sequence of retries."""

    @abstractmethod
    def compute(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures."""


class ConstantBackoff(AbstractBackoff):
    def __init__(self, backoff: float) -> None:
        self._backoff = backoff

    def compute(self, failures: int) -> float:
        return self._backoff


class NoBackoff(ConstantBackoff):
    def __init__(self) -> None:
        super().__init__(0)


class ExponentialBackoff(AbstractBackoff):
    """``min(cap, base * 2 ** failures)``."""

    def __init__(self, cap: float = DEFAULT_CAP, base: float = DEFAULT_BASE) -> None:
        self._cap = cap
        self._base = base

    def compute(self, failures: int) -> float:
        return float(min(self._cap, self._base * 2 ** failures))


class FullJitterBackoff(ExponentialBackoff):
    """A random delay in ``[0, min(cap, base * 2 ** failures)]``."""

    def compute(self, failures: int) -> float:
        return random.uniform(0, super().compute(failures))


class EqualJitterBackoff(ExponentialBackoff):
    """Half the exponential delay, plus a random part of the other half."""

    def compute(self, failures: int) -> float:
        temp = super().compute(failures) / 2
        return temp + random.uniform(0, temp)


class ExponentialWithJitterBackoff(ExponentialBackoff):
    """The exponential delay plus up to the same again at random, capped."""

    def compute(self, failures: int) -> float:
        exp = super().compute(failures)
        return min(self._cap, exp + random.random() * exp)


class DecorrelatedJitterBackoff(AbstractBackoff):
    def __init__(self, cap: float = DEFAULT_CAP, base: float = DEFAULT_BASE) -> None:
        self._cap = cap
        self._base = base
        self._previous = 0.0

    def reset(self) -> None:
        self._previous = 0.0

    def compute(self, failures: int) -> float:
        upper = max(self._base, self._previous * 3)
        self._previous = min(self._cap, random.uniform(self._base, upper))
        return self._previous


def default_backoff() -> AbstractBackoff:
    return EqualJitterBackoff()
