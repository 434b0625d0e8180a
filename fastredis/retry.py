"""The retry policy (redis-py's ``redis.asyncio.retry.Retry``, same constructor).

Where fastredis applies it (docs/reliability.md section 3): to opening a connection,
and to a command that was never written (its connection failed first) - and, once
written, only to the read-only commands in ``READ_ONLY``: a command that may have run on
the server is never sent twice."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Iterable, TypeVar

from .backoff import AbstractBackoff
from .exceptions import ConnectionError, TimeoutError

__all__ = ["Retry", "READ_ONLY", "as_retry"]

T = TypeVar("T")


class Retry:
    """``Retry(backoff, retries, supported_errors=(ConnectionError, TimeoutError))``:
    up to ``retries`` more attempts (``-1``: without limit) after a supported error,
    waiting ``backoff.compute(failures)`` seconds before each."""

    __slots__ = ("_backoff", "_retries", "_supported_errors")

    def __init__(
        self,
        backoff: Any,  # fastredis.backoff or redis.backoff (duck-typed)
        retries: int,
        supported_errors: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError),
    ) -> None:
        if not isinstance(backoff, AbstractBackoff):
            if not callable(getattr(backoff, "compute", None)):
                raise TypeError("Retry(backoff, ...) takes a backoff object with compute(failures) "
                                f"(fastredis.backoff or redis.backoff), got {type(backoff).__name__}")
            backoff = _Borrowed(backoff)  # redis-py's own backoff classes, duck-typed
        self._backoff: AbstractBackoff = backoff
        self._retries = int(retries)
        self._supported_errors = tuple(supported_errors)

    def update_supported_errors(self, specified_errors: Iterable[type[BaseException]]) -> None:
        self._supported_errors = tuple(set(self._supported_errors + tuple(specified_errors)))

    def get_retries(self) -> int:
        return self._retries

    def update_retries(self, value: int) -> None:
        self._retries = int(value)

    @property
    def backoff(self) -> AbstractBackoff:
        return self._backoff

    @property
    def supported_errors(self) -> tuple[type[BaseException], ...]:
        return self._supported_errors

    def may_retry(self, failures: int) -> bool:
        return self._retries < 0 or failures <= self._retries

    async def call_with_retry(
        self, do: Callable[[], Awaitable[T]], fail: Callable[[BaseException], Any] | None = None
    ) -> T:
        """Run ``do()`` until it succeeds or the retries are spent (redis-py's helper,
        for application code: it retries whatever ``do`` does)."""
        import asyncio

        self._backoff.reset()
        failures = 0
        while True:
            try:
                return await do()
            except self._supported_errors as error:
                failures += 1
                if fail is not None:
                    res = fail(error)
                    if asyncio.iscoroutine(res):
                        await res
                if not self.may_retry(failures):
                    raise
                delay = self._backoff.compute(failures)
                if delay > 0:
                    await asyncio.sleep(delay)

    def __repr__(self) -> str:
        return f"<fastredis.Retry retries={self._retries} backoff={type(self._backoff).__name__}>"


class _Borrowed(AbstractBackoff):
    """A backoff of another library (``redis.backoff.*``): its ``compute`` and, when it
    has one, its ``reset``."""

    __slots__ = ("inner",)

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def reset(self) -> None:
        reset = getattr(self.inner, "reset", None)
        if callable(reset):
            reset()

    def compute(self, failures: int) -> float:
        return float(self.inner.compute(failures))

    def __repr__(self) -> str:
        return f"<{type(self.inner).__name__}>"


def as_retry(retry: Any, owner: str) -> Retry:
    """``retry=`` as a fastredis Retry: ours as it is; redis-py's ``Retry`` (duck-typed:
    ``get_retries()`` and a backoff) with its backoff and retries, and its supported errors
    mapped by name onto fastredis's exception classes (ConnectionError, TimeoutError ...)."""
    if isinstance(retry, Retry):
        return retry
    get_retries = getattr(retry, "get_retries", None)
    backoff = getattr(retry, "_backoff", None) or getattr(retry, "backoff", None)
    if not callable(get_retries) or backoff is None:
        raise TypeError(f"{owner} option 'retry' takes a fastredis.retry.Retry (or redis-py's), "
                        f"got {type(retry).__name__}")
    from . import exceptions

    errors: list[type[BaseException]] = []
    for e in getattr(retry, "_supported_errors", None) or (ConnectionError, TimeoutError):
        ours = getattr(exceptions, getattr(e, "__name__", ""), None)
        if isinstance(ours, type) and issubclass(ours, BaseException):
            errors.append(ours)
        elif isinstance(e, type) and issubclass(e, BaseException):
            errors.append(e)
    return Retry(backoff, get_retries(), tuple(dict.fromkeys(errors)))


# Commands that only read: safe to send again after the connection broke with the reply
# unread (the first copy may have run; running it twice changes nothing).
READ_ONLY = frozenset(
    n for c in (
        "GET", "MGET", "GETRANGE", "STRLEN", "SUBSTR", "EXISTS", "TYPE", "TTL", "PTTL",
        "EXPIRETIME", "PEXPIRETIME", "KEYS", "SCAN", "RANDOMKEY", "DBSIZE", "DUMP", "TOUCH",
        "OBJECT", "LCS", "HGET", "HMGET", "HGETALL", "HKEYS", "HVALS", "HLEN", "HEXISTS",
        "HSTRLEN", "HSCAN", "HRANDFIELD", "LRANGE", "LLEN", "LINDEX", "LPOS", "SMEMBERS",
        "SISMEMBER", "SMISMEMBER", "SCARD", "SRANDMEMBER", "SSCAN", "SINTER", "SUNION",
        "SDIFF", "SINTERCARD", "ZRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX",
        "ZREVRANGEBYLEX", "ZREVRANGE", "ZSCORE", "ZMSCORE", "ZCARD", "ZCOUNT", "ZLEXCOUNT",
        "ZRANK", "ZREVRANK", "ZSCAN", "ZRANDMEMBER", "ZINTER", "ZUNION", "ZDIFF",
        "ZINTERCARD", "XRANGE", "XREVRANGE", "XLEN", "XINFO", "XPENDING", "PFCOUNT",
        "GETBIT", "BITCOUNT", "BITPOS", "GEOPOS", "GEODIST", "GEOHASH", "GEOSEARCH",
        "PING", "ECHO", "TIME", "INFO", "LASTSAVE", "PUBSUB", "EVALSHA_RO",
        "EVAL_RO", "FCALL_RO", "SORT_RO", "STRALGO",
    )
    for n in (c, c.lower(), c.encode(), c.lower().encode())
)
