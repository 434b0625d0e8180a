"""A distributed lock on one Redis key, with redis-py's ``Lock`` API and without its hazards.

What differs from redis-py's asyncio ``Lock`` (see docs/lock.md and the peers research):

* The token lives in a ``contextvars`` slot, i.e. per asyncio task: redis-py keeps it in
  ``threading.local``, which every task of a loop shares, so task A could release task B's
  lock after A's own had expired (aredis #119, aioredis #1040; still open in redis-py).
* Tokens come from ``secrets`` (redis-py uses ``uuid1``: MAC address and time, guessable).
* An ``acquire`` that is cancelled, times out or loses its connection while ``SET NX`` may
  have landed releases that token in a task of its own: a lost reply never leaves a lock
  held until its TTL (or forever without one).
* Release, extend, reacquire and renewal compare the token and act in one Lua script run by
  EVALSHA (EVAL on NOSCRIPT, which also caches it again after a restart or failover).
* Waiting polls with jitter, so waiters started together do not stampede in step.
* ``auto_renew=True`` runs a watchdog that renews the TTL every third of it and tells the
  owner when it cannot (``renewal_failed`` event, ``on_renewal_failed`` callback, a warning
  on the ``fastredis.lock`` logger). All deadlines use the loop's monotonic clock.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import random
import secrets
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Callable

from ._log import get_logger
from .exceptions import ConnectionError, DataError, LockError, LockNotOwnedError, NoScriptError
from .exceptions import TimeoutError as RedisTimeoutError

if TYPE_CHECKING:
    from .typing import KeyT, Number

__all__ = ["Lock"]

logger = get_logger("fastredis.lock")


class _Lua:
    """A script and its SHA1 (what SCRIPT LOAD would answer), computed once per process."""

    __slots__ = ("source", "sha")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()


# KEYS[1] lock name, ARGV[1] token -> 1 if deleted, 0 if not ours (or gone)
_RELEASE = _Lua("""
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('del', KEYS[1])
return 1
""")

# ARGV[2] milliseconds, ARGV[3] "1": replace the TTL, "0": add to it. A key without a TTL
# is not extended (it would gain one): redis-py's rule, kept.
_EXTEND = _Lua("""
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = redis.call('pttl', KEYS[1])
if ttl < 0 then return 0 end
local new = tonumber(ARGV[2])
if ARGV[3] == '0' then new = new + ttl end
if new <= 0 then return 0 end
redis.call('pexpire', KEYS[1], new)
return 1
""")

# ARGV[2] milliseconds: the TTL becomes exactly that (reacquire)
_REACQUIRE = _Lua("""
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('pexpire', KEYS[1], ARGV[2])
return 1
""")

# The watchdog's renewal: the TTL becomes at least ARGV[2] ms; never shortens a TTL the
# owner lengthened with extend().
_RENEW = _Lua("""
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('pttl', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('pexpire', KEYS[1], ARGV[2])
end
return 1
""")

# One context variable for every lock: {lock: token} of the locks the current task holds.
# (A ContextVar per Lock would be kept alive by every context that ever saw it.) The dict
# is copied on write, so a task's change never shows in another task's context.
_TOKENS: contextvars.ContextVar[dict[Lock, bytes]] = contextvars.ContextVar("fastredis_lock_tokens")

# Cleanup and callback tasks: referenced until done (the loop keeps only weak references).
_BACKGROUND: set[asyncio.Future[Any]] = set()


def _keep(fut: asyncio.Future[Any]) -> None:
    _BACKGROUND.add(fut)
    fut.add_done_callback(_BACKGROUND.discard)


class _Local:
    """redis-py compatibility: ``lock.local.token`` reads and sets the caller's token."""

    __slots__ = ("_lock",)

    def __init__(self, lock: Lock) -> None:
        self._lock = lock

    @property
    def token(self) -> bytes | None:
        return self._lock.token

    @token.setter
    def token(self, value: str | bytes | None) -> None:
        self._lock.token = value


class Lock:
    """A shared, distributed lock named ``name``; usually made by ``r.lock(name, ...)``.

    ``timeout``: the lock's life in seconds (None: until released; a crashed owner then
    holds it forever, so prefer a timeout, with ``auto_renew`` for long work).
    ``sleep``: mean seconds between attempts while waiting (jittered by +-50 %).
    ``blocking`` / ``blocking_timeout``: whether ``acquire`` waits, and for how long.
    ``thread_local``: True (default) keeps the token per asyncio task (contextvars): only
    the task that acquired (and tasks it starts afterwards) can release, extend or renew.
    False shares one token among every user of this ``Lock`` object (redis-py's hand-off).
    ``raise_on_release_error``: whether leaving ``async with`` raises when the lock was no
    longer owned (otherwise a warning is logged).
    ``auto_renew``: keep renewing the TTL (every ``timeout / 3``) while held; needs a
    ``timeout``. ``on_renewal_failed(lock, exc)`` is called (a coroutine function too) when
    renewal fails; ``renewal_failed`` is set and ``renewal_error`` holds the reason.
    """

    # redis-py exposes its scripts as class attributes; kept for code that reads them
    LUA_RELEASE_SCRIPT = _RELEASE.source
    LUA_EXTEND_SCRIPT = _EXTEND.source
    LUA_REACQUIRE_SCRIPT = _REACQUIRE.source

    def __init__(
        self,
        redis: Any,
        name: KeyT,
        timeout: Number | None = None,
        sleep: Number = 0.1,
        blocking: bool = True,
        blocking_timeout: Number | None = None,
        thread_local: bool = True,
        raise_on_release_error: bool = True,
        *,
        auto_renew: bool = False,
        on_renewal_failed: Callable[[Lock, BaseException], Any] | None = None,
    ) -> None:
        if timeout is not None and not timeout > 0:
            raise DataError(f"Lock timeout must be a positive number of seconds, got {timeout!r}")
        if auto_renew and timeout is None:
            raise DataError("auto_renew needs a timeout: the TTL the watchdog keeps renewing")
        if not sleep >= 0:
            raise DataError(f"Lock sleep must be >= 0, got {sleep!r}")
        self.redis = redis
        self.name = name
        self.timeout = timeout
        self.sleep = sleep
        self.blocking = blocking
        self.blocking_timeout = blocking_timeout
        self.thread_local = bool(thread_local)
        self.raise_on_release_error = raise_on_release_error
        self.auto_renew = auto_renew
        self.on_renewal_failed = on_renewal_failed
        self.local = _Local(self)
        #: set when the watchdog could not renew the lock (cleared by the next acquire)
        self.renewal_failed = asyncio.Event()
        #: why the last renewal failed (LockNotOwnedError, a connection error ...)
        self.renewal_error: BaseException | None = None
        self._shared_token: bytes | None = None  # thread_local=False
        self._watchdogs: dict[bytes, asyncio.Task[None]] = {}
        # token -> acquiring task, for tokens acquired through this object and not released
        # (see _require_token)
        self._owners: dict[bytes, asyncio.Task[Any] | None] = {}
        self._encoding: str = getattr(redis, "_encoding", None) or "utf-8"

    def __repr__(self) -> str:
        return f"<fastredis.Lock name={self.name!r} timeout={self.timeout}>"

    # ------------------------------------------------------------------ the caller's token
    @property
    def token(self) -> bytes | None:
        """The token this task holds the lock with (None: not acquired here).

        Setting it hands a lock over: ``lock.token = t`` in another task (with ``t`` from
        ``acquire(token=t)`` or read from ``lock.token`` in the acquiring task) lets that task
        release, extend or reacquire it."""
        if not self.thread_local:
            return self._shared_token
        tokens = _TOKENS.get(None)
        return None if tokens is None else tokens.get(self)

    @token.setter
    def token(self, value: str | bytes | None) -> None:
        self._set_token(None if value is None else self._encode(value))

    def _set_token(self, token: bytes | None) -> None:
        if not self.thread_local:
            self._shared_token = token
            return
        tokens = dict(_TOKENS.get(None) or ())
        if token is None:
            tokens.pop(self, None)
        else:
            tokens[self] = token
        _TOKENS.set(tokens)

    def _encode(self, value: str | bytes | bytearray | memoryview) -> bytes:
        if isinstance(value, str):
            return value.encode(self._encoding)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        raise DataError(f"A lock token must be str or bytes, not {type(value).__name__!r}")

    def _require_token(self, action: str) -> bytes:
        token = self.token
        if token is not None:
            return token
        # Acquired in a helper task that has finished (``asyncio.wait_for(lock.acquire(), t)``
        # on Python < 3.12, ``create_task(lock.acquire())``): its context is gone, so the
        # token goes to the task that asks for it - but only when it is the only token
        # outstanding on this object, so it can never be another live task's.
        owners = self._owners
        if len(owners) == 1:
            ((tok, task),) = owners.items()
            if task is None or task.done():
                self._set_token(tok)
                owners[tok] = asyncio.current_task()
                return tok
        if owners:
            raise LockError(
                f"Cannot {action} a lock acquired by another task: the token is kept per "
                "task. Acquire in the task that releases, or hand the token over with "
                "lock.token = token.",
                lock_name=self.name,
            )
        raise LockError(f"Cannot {action} an unlocked lock", lock_name=self.name)

    # ------------------------------------------------------------------ Lua
    async def _run(self, script: _Lua, *args: Any) -> Any:
        redis = self.redis
        try:
            return await redis.evalsha(script.sha, 1, self.name, *args)
        except NoScriptError:
            # EVAL runs it and caches it again (script cache flushed, restart, failover)
            return await redis.eval(script.source, 1, self.name, *args)

    # ------------------------------------------------------------------ acquire
    async def acquire(
        self,
        blocking: bool | None = None,
        blocking_timeout: Number | None = None,
        token: str | bytes | None = None,
    ) -> bool:
        """Take the lock; True once held. With ``blocking`` False, one attempt: True or
        False. ``blocking_timeout`` bounds the wait in seconds (None: forever). ``token``
        sets the token (default: 128 random bits from ``secrets``)."""
        tok = secrets.token_hex(16).encode() if token is None else self._encode(token)
        if blocking is None:
            blocking = self.blocking
        if blocking_timeout is None:
            blocking_timeout = self.blocking_timeout
        loop = asyncio.get_running_loop()
        deadline = None if blocking_timeout is None else loop.time() + blocking_timeout
        while True:
            if await self._do_acquire(tok):
                self._acquired(tok)
                return True
            if not blocking:
                return False
            # jitter: waiters that started together spread out instead of polling in step
            delay = self.sleep * (0.5 + random.random())
            if deadline is not None:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                delay = min(delay, remaining)  # one last attempt at the deadline
            await asyncio.sleep(delay)

    async def do_acquire(self, token: str | bytes) -> bool:
        """One ``SET name token NX [PX timeout]`` attempt (redis-py's hook)."""
        return await self._do_acquire(self._encode(token))

    async def _do_acquire(self, token: bytes) -> bool:
        px = None if self.timeout is None else max(1, int(self.timeout * 1000))
        try:
            return bool(await self.redis.set(self.name, token, nx=True, px=px))
        except BaseException:
            # Cancelled, timed out or disconnected: SET NX may have landed with nobody
            # knowing the token. Delete it by token (compare-and-delete, so a lock some other
            # owner holds is untouched); on the same connection this runs after the SET.
            self._abandon(token)
            raise

    def _abandon(self, token: bytes) -> None:
        fut = asyncio.ensure_future(self._run(_RELEASE, token))
        _keep(fut)
        fut.add_done_callback(self._abandoned)

    def _abandoned(self, fut: asyncio.Future[Any]) -> None:
        if fut.cancelled():
            return
        exc = fut.exception()
        if exc is not None:
            logger.warning(
                "lock %r: could not clean up after an interrupted acquire (%s); it is "
                "released when its timeout (%s s) runs out", self.name, exc, self.timeout,
            )

    def _acquired(self, token: bytes) -> None:
        self._set_token(token)
        self._owners[token] = asyncio.current_task()
        if self.auto_renew:
            self.renewal_failed.clear()
            self.renewal_error = None
            old = self._watchdogs.pop(token, None)
            if old is not None:
                old.cancel()
            self._watchdogs[token] = asyncio.ensure_future(self._watchdog(token))

    # ------------------------------------------------------------------ state
    async def locked(self) -> bool:
        """True if anyone holds the lock (the key exists)."""
        return await self.redis.get(self.name) is not None

    async def owned(self) -> bool:
        """True if this task holds the lock (the key holds this task's token)."""
        token = self.token
        if token is None:
            return False
        stored = await self.redis.get(self.name)
        if stored is None:
            return False
        return self._encode(stored) == token

    # ------------------------------------------------------------------ release
    async def release(self) -> None:
        """Release the lock; LockNotOwnedError if it was no longer ours (expired, taken
        over). Survives cancellation: once called, the release runs to its end."""
        token = self._require_token("release")
        self._forget(token)
        fut = asyncio.ensure_future(self._do_release(token))
        _keep(fut)
        try:
            await asyncio.shield(fut)
        except asyncio.CancelledError:
            fut.add_done_callback(self._released_late)
            raise

    def _released_late(self, fut: asyncio.Future[Any]) -> None:
        if not fut.cancelled() and fut.exception() is not None:
            logger.warning("lock %r: release after cancellation failed: %s", self.name, fut.exception())

    async def do_release(self, expected_token: str | bytes) -> None:
        """Delete the key if it holds ``expected_token`` (redis-py's hook)."""
        await self._do_release(self._encode(expected_token))

    async def _do_release(self, token: bytes) -> None:
        if not await self._run(_RELEASE, token):
            raise LockNotOwnedError("Cannot release a lock that's no longer owned", lock_name=self.name)

    def _forget(self, token: bytes) -> None:
        self._set_token(None)
        self._owners.pop(token, None)
        dog = self._watchdogs.pop(token, None)
        if dog is not None:
            dog.cancel()

    # ------------------------------------------------------------------ extend
    def extend(self, additional_time: Number, replace_ttl: bool = False) -> Awaitable[bool]:
        """Add ``additional_time`` seconds to the lock's TTL (``replace_ttl``: set the TTL
        to it). True, or LockNotOwnedError if the lock is no longer ours."""
        token = self._require_token("extend")
        if isinstance(additional_time, bool) or not isinstance(additional_time, (int, float)):
            raise DataError(f"additional_time must be a number of seconds, not {type(additional_time).__name__!r}")
        if replace_ttl and additional_time <= 0:
            # PEXPIRE with a TTL <= 0 deletes the key: that is release(), not extend()
            raise DataError(f"extend(replace_ttl=True) needs a positive time, got {additional_time!r}")
        if self.timeout is None:
            raise LockError("Cannot extend a lock with no timeout", lock_name=self.name)
        return self._do_extend(token, additional_time, replace_ttl)

    async def _do_extend(self, token: bytes, additional_time: Number, replace_ttl: bool) -> bool:
        ms = int(additional_time * 1000)
        if not await self._run(_EXTEND, token, ms, "1" if replace_ttl else "0"):
            raise LockNotOwnedError("Cannot extend a lock that's no longer owned", lock_name=self.name)
        return True

    def reacquire(self) -> Awaitable[bool]:
        """Reset the lock's TTL to ``timeout``. True, or LockNotOwnedError."""
        token = self._require_token("reacquire")
        if self.timeout is None:
            raise LockError("Cannot reacquire a lock with no timeout", lock_name=self.name)
        return self._do_reacquire(token)

    async def _do_reacquire(self, token: bytes) -> bool:
        assert self.timeout is not None
        if not await self._run(_REACQUIRE, token, max(1, int(self.timeout * 1000))):
            raise LockNotOwnedError("Cannot reacquire a lock that's no longer owned", lock_name=self.name)
        return True

    # ------------------------------------------------------------------ watchdog
    async def _watchdog(self, token: bytes) -> None:
        """Renew every third of the TTL. A renewal that fails to reach the server (an
        error, or no answer: each attempt is bounded by the time left) is retried every
        tenth of the TTL until only a tenth is left - too late to be sure the lock is still
        ours - and then reported. A token mismatch (expired, deleted, taken over) is
        reported at once."""
        assert self.timeout is not None
        loop = asyncio.get_running_loop()
        ttl = self.timeout
        ms = max(1, int(ttl * 1000))
        interval = ttl / 3
        last_ok = loop.time()
        while True:
            await asyncio.sleep(interval)
            left = last_ok + ttl - loop.time()
            try:
                ok = await asyncio.wait_for(self._run(_RENEW, token, ms), max(left, ttl / 10))
            except (ConnectionError, RedisTimeoutError, OSError, asyncio.TimeoutError) as exc:
                left = last_ok + ttl - loop.time()
                if left <= ttl / 10:
                    why = str(exc) or type(exc).__name__
                    err = LockNotOwnedError(
                        f"Lock {self.name!r} could not be renewed before its TTL ran out: {why}",
                        lock_name=self.name,
                    )
                    err.__cause__ = exc
                    self._renewal_failed(token, err)
                    return
                logger.warning("lock %r: renewal failed, retrying: %s", self.name, exc)
                interval = ttl / 10
                continue
            except Exception as exc:
                self._renewal_failed(token, exc)
                return
            if not ok:
                self._renewal_failed(token, LockNotOwnedError(
                    f"Lock {self.name!r} is no longer owned: it expired or was taken over",
                    lock_name=self.name,
                ))
                return
            last_ok = loop.time()
            interval = ttl / 3

    def _renewal_failed(self, token: bytes, exc: BaseException) -> None:
        self._watchdogs.pop(token, None)
        self.renewal_error = exc
        self.renewal_failed.set()
        logger.warning("lock %r: renewal failed, the lock may be held by someone else: %s", self.name, exc)
        cb = self.on_renewal_failed
        if cb is None:
            return
        try:
            res = cb(self, exc)
            if asyncio.iscoroutine(res) or isinstance(res, asyncio.Future):
                fut = asyncio.ensure_future(res)
                _keep(fut)
                fut.add_done_callback(self._callback_done)
        except Exception:
            logger.exception("lock %r: the on_renewal_failed callback raised", self.name)

    def _callback_done(self, fut: asyncio.Future[Any]) -> None:
        if not fut.cancelled() and fut.exception() is not None:
            logger.error("lock %r: the on_renewal_failed callback raised", self.name,
                         exc_info=fut.exception())

    # ------------------------------------------------------------------ async with
    async def __aenter__(self) -> Lock:
        if await self.acquire():
            return self
        raise LockError("Unable to acquire lock within the time specified", lock_name=self.name)

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.release()
        except LockError:
            if self.raise_on_release_error:
                raise
            logger.warning("lock %r: was unlocked or no longer owned when leaving the context manager",
                           self.name)
