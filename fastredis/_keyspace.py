"""Keyspace notifications on one server: redis-py 8.2's types and ``AsyncKeyspaceNotifications``.

The public module is :mod:`fastredis.keyspace_notifications`; this one is the part that
``Redis.keyspace_notifications()`` needs, kept below the cluster layer so that the client
can build one without importing the cluster (whose variant, in
``fastredis.cluster.keyspace_notifications``, builds on the same base class).

A notification is an ordinary Pub/Sub message on a ``__keyspace@<db>__:<key>`` (data: the
event) or ``__keyevent@<db>__:<event>`` (data: the key) channel, and the four ``__subkey*``
families of Redis 8. The server publishes them only when ``notify-keyspace-events`` says so
(https://redis.io/docs/latest/develop/pubsub/keyspace-notifications/); nothing here changes
a server's configuration. The reading is :class:`fastredis.pubsub.PubSub`'s (its reconnect,
flow control and handlers); this module subscribes, parses and filters.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, Union

from ._log import get_logger

if TYPE_CHECKING:
    from .pubsub import PubSub
    from .typing import PubSubMessage

__all__ = [
    "AbstractAsyncKeyspaceNotifications", "AsyncHandlerT", "AsyncKeyspaceNotifications",
    "AsyncKeyspaceNotificationsInterface", "ChannelT", "ChannelType", "EventType",
    "KeyNotification", "KeyeventChannel", "KeyspaceChannel", "SubkeyeventChannel",
    "SubkeyspaceChannel", "SubkeyspaceeventChannel", "SubkeyspaceitemChannel",
    "get_channel_type",
]

logger = get_logger("fastredis.keyspace_notifications")


def _str(value: Any) -> str:
    """redis-py's ``safe_str``: bytes decoded as UTF-8 (undecodable bytes replaced)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


class EventType:
    """Common event names (redis-py's constants): any string works as an event, these are
    for convenience and autocompletion."""

    SET = "set"
    SETEX = "setex"
    SETNX = "setnx"
    SETRANGE = "setrange"
    INCR = "incr"
    INCRBY = "incrby"
    INCRBYFLOAT = "incrbyfloat"
    DECR = "decr"
    DECRBY = "decrby"
    APPEND = "append"
    DEL = "del"
    UNLINK = "unlink"
    RENAME = "rename"
    RENAME_FROM = "rename_from"
    RENAME_TO = "rename_to"
    COPY_TO = "copy_to"
    MOVE = "move"
    RESTORE = "restore"
    EXPIRE = "expire"
    EXPIREAT = "expireat"
    PEXPIRE = "pexpire"
    PEXPIREAT = "pexpireat"
    EXPIRED = "expired"
    PERSIST = "persist"
    EVICTED = "evicted"
    LPUSH = "lpush"
    RPUSH = "rpush"
    LPOP = "lpop"
    RPOP = "rpop"
    LINSERT = "linsert"
    LSET = "lset"
    LTRIM = "ltrim"
    LMOVE = "lmove"
    BLPOP = "blpop"
    BRPOP = "brpop"
    BLMOVE = "blmove"
    SADD = "sadd"
    SREM = "srem"
    SPOP = "spop"
    SMOVE = "smove"
    SINTERSTORE = "sinterstore"
    SUNIONSTORE = "sunionstore"
    SDIFFSTORE = "sdiffstore"
    ZADD = "zadd"
    ZINCRBY = "zincrby"
    ZREM = "zrem"
    ZREMRANGEBYRANK = "zremrangebyrank"
    ZREMRANGEBYSCORE = "zremrangebyscore"
    ZREMRANGEBYLEX = "zremrangebylex"
    ZPOPMIN = "zpopmin"
    ZPOPMAX = "zpopmax"
    BZPOPMIN = "bzpopmin"
    BZPOPMAX = "bzpopmax"
    ZINTERSTORE = "zinterstore"
    ZUNIONSTORE = "zunionstore"
    ZDIFFSTORE = "zdiffstore"
    ZRANGESTORE = "zrangestore"
    HSET = "hset"
    HSETNX = "hsetnx"
    HDEL = "hdel"
    HINCRBY = "hincrby"
    HINCRBYFLOAT = "hincrbyfloat"
    XADD = "xadd"
    XTRIM = "xtrim"
    XDEL = "xdel"
    XGROUP_CREATE = "xgroup-create"
    XGROUP_CREATECONSUMER = "xgroup-createconsumer"
    XGROUP_DELCONSUMER = "xgroup-delconsumer"
    XGROUP_DESTROY = "xgroup-destroy"
    XGROUP_SETID = "xgroup-setid"
    XSETID = "xsetid"
    XCLAIM = "xclaim"
    XAUTOCLAIM = "xautoclaim"
    XREADGROUP = "xreadgroup"
    NEW = "new"
    SORTSTORE = "sortstore"
    GETEX = "getex"
    GETDEL = "getdel"
    SETIFGT = "setifgt"
    SETIFLT = "setiflt"
    SETIFEQ = "setifeq"
    SETIFNE = "setifne"


def _subkeys(raw: bytes) -> list[str]:
    """``<len>:<subkey>[,<len>:<subkey>...]``: the lengths are in bytes (the server writes
    ``sdslen``), so the list is split before decoding."""
    out: list[str] = []
    pos = 0
    while pos < len(raw):
        colon = raw.find(b":", pos)
        if colon < 0 or not raw[pos:colon].isdigit():
            raise ValueError("Invalid subkey length prefix")
        end = colon + 1 + int(raw[pos:colon])
        if end > len(raw):
            raise ValueError("Truncated subkey")
        out.append(raw[colon + 1:end].decode("utf-8", "replace"))
        pos = end
        if pos < len(raw):
            if raw[pos] != ord(",") or pos + 1 == len(raw):
                raise ValueError("Invalid subkey separator")
            pos += 1
    return out


def _db(s: str) -> int:
    return int(s) if s != "*" else -1


@dataclass
class KeyNotification:
    """One parsed notification, redis-py's shape: ``key``, ``event_type`` (a plain str:
    compare with :class:`EventType` or any string), ``database`` (-1 for a ``*`` db),
    ``channel``, ``is_keyspace`` (False for keyevent channels), ``data`` (the payload as
    str) and ``subkeys`` (the fields of a ``__subkey*`` notification, else empty)."""

    _KEYSPACE: ClassVar[re.Pattern[str]] = re.compile(r"^__keyspace@(\d+|\*)__:(.*)$", re.DOTALL)
    _KEYEVENT: ClassVar[re.Pattern[str]] = re.compile(r"^__keyevent@(\d+|\*)__:(.+)$")
    _SUBKEYSPACE: ClassVar[re.Pattern[str]] = re.compile(r"^__subkeyspace@(\d+|\*)__:(.*)$", re.DOTALL)
    _SUBKEYEVENT: ClassVar[re.Pattern[str]] = re.compile(r"^__subkeyevent@(\d+|\*)__:(.+)$")
    _SUBKEYSPACEITEM: ClassVar[re.Pattern[str]] = re.compile(
        r"^__subkeyspaceitem@(\d+|\*)__:(.+)$", re.DOTALL)
    _SUBKEYSPACEEVENT: ClassVar[re.Pattern[str]] = re.compile(
        r"^__subkeyspaceevent@(\d+|\*)__:(.+)$", re.DOTALL)

    key: str
    event_type: str
    database: int
    channel: str
    is_keyspace: bool
    data: str
    subkeys: list[str] = field(default_factory=list)

    @classmethod
    def from_message(cls, message: PubSubMessage | dict[str, Any] | None,
                     key_prefix: str | bytes | None = None) -> KeyNotification | None:
        """The notification a ``message``/``pmessage`` dict carries, or None (another
        message type, another channel, or a key outside ``key_prefix``, which is stripped
        from the key when given)."""
        if message is None or message.get("type") not in ("message", "pmessage"):
            return None
        channel = message.get("channel")
        data = message.get("data")
        if channel is None or not isinstance(data, (bytes, str)):
            return None
        return cls.try_parse(channel, data, key_prefix)

    @classmethod
    def try_parse(cls, channel: str | bytes, data: str | bytes,
                  key_prefix: str | bytes | None = None) -> KeyNotification | None:
        """Parse a channel and its data (what a handler gets); None when they are not a
        notification (or the key is outside ``key_prefix``)."""
        raw = bytes(data) if isinstance(data, (bytes, bytearray)) else _str(data).encode("utf-8")
        try:
            return cls._parse(_str(channel), _str(data), raw,
                              _str(key_prefix) if key_prefix else None)
        except ValueError:
            return None

    @classmethod
    def _parse(cls, channel: str, data: str, raw: bytes, prefix: str | None) -> KeyNotification | None:
        subkeys: list[str] = []
        m = cls._KEYSPACE.match(channel)
        if m:
            db, key, event, keyspace = m[1], m[2], data, True
        elif m := cls._KEYEVENT.match(channel):
            db, event, key, keyspace = m[1], m[2], data, False
        elif m := cls._SUBKEYSPACE.match(channel):
            # data: <event>|<len>:<subkey>[,...]
            pipe = raw.index(b"|")
            db, key, keyspace = m[1], m[2], True
            event = raw[:pipe].decode("utf-8", "replace")
            subkeys = _subkeys(raw[pipe + 1:])
        elif m := cls._SUBKEYEVENT.match(channel):
            # data: <keylen>:<key>|<len>:<subkey>[,...]
            colon = raw.index(b":")
            n = int(raw[:colon])
            sep = colon + 1 + n
            if n < 0 or sep >= len(raw) or raw[sep] != ord("|"):
                raise ValueError("Invalid subkeyevent key separator")
            db, event, keyspace = m[1], m[2], False
            key = raw[colon + 1:sep].decode("utf-8", "replace")
            subkeys = _subkeys(raw[sep + 1:])
        elif m := cls._SUBKEYSPACEITEM.match(channel):
            # channel: ...:<key>\n<subkey>; data: <event>
            key, _, sub = m[2].partition("\n")
            if not _:
                raise ValueError("No subkey in the channel")
            db, event, keyspace, subkeys = m[1], data, True, [sub]
        elif m := cls._SUBKEYSPACEEVENT.match(channel):
            # channel: ...:<event>|<key>; data: <len>:<subkey>[,...]
            event, _, key = m[2].partition("|")
            if not _:
                raise ValueError("No key in the channel")
            db, keyspace, subkeys = m[1], False, _subkeys(raw)
        else:
            return None
        if prefix:
            if not key.startswith(prefix):
                return None
            key = key[len(prefix):]
        return cls(key=key, event_type=event, database=_db(db), channel=channel,
                   is_keyspace=keyspace, data=data, subkeys=subkeys)

    def key_starts_with(self, prefix: str | bytes) -> bool:
        return self.key.startswith(_str(prefix))


def _is_pattern(channel: Any) -> bool:
    """Whether Redis would read ``channel`` as a glob (``*``, ``?``, or a ``[...]`` that
    closes; ``\\`` escapes): patterns go to PSUBSCRIBE, names to SUBSCRIBE."""
    s = _str(getattr(channel, "_channel_str", channel))
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c in "*?":
            return True
        if c == "[":
            j = i + 1
            while j < len(s):
                if s[j] == "\\":
                    j += 2
                    continue
                if s[j] == "]":
                    return True
                j += 1
        i += 1
    return False


class _Channel:
    """A notification channel: ``str()`` is its name, equal to that string."""

    PREFIX: ClassVar[str] = ""
    _channel_str: str
    db: int

    def _parts(self) -> tuple[str, ...]:
        raise NotImplementedError

    def _set(self) -> None:
        self._channel_str = f"{self.PREFIX}{self.db}__:{self._body()}"

    def _body(self) -> str:
        return self._parts()[0]

    @property
    def is_pattern(self) -> bool:
        """Contains wildcards: subscribed with PSUBSCRIBE."""
        return any(_is_pattern(p) for p in self._parts())

    def __str__(self) -> str:
        return self._channel_str

    def __repr__(self) -> str:
        args = ", ".join(repr(p) for p in self._parts())
        return f"{type(self).__name__}({args}, db={self.db})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, type(self)):
            return self._channel_str == other._channel_str
        if isinstance(other, str):
            return self._channel_str == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._channel_str)


_E = TypeVar("_E", bound="_EventChannel")


class _KeyChannel(_Channel):
    """A channel named by a key (or a pattern of keys)."""

    def __init__(self, key_or_pattern: str, db: int = 0) -> None:
        self.key_or_pattern = key_or_pattern
        self.db = db
        self._set()

    def _parts(self) -> tuple[str, ...]:
        return (self.key_or_pattern,)


class _EventChannel(_Channel):
    """A channel named by an event (or a pattern of events)."""

    def __init__(self, event: str, db: int = 0) -> None:
        self.event = event
        self.db = db
        self._set()

    def _parts(self) -> tuple[str, ...]:
        return (self.event,)

    @classmethod
    def all_events(cls: type[_E], db: int = 0) -> _E:
        """The channel of every event: ``cls("*", db)``."""
        return cls("*", db=db)


class KeyspaceChannel(_KeyChannel):
    """``__keyspace@<db>__:<key or pattern>``: the data of each message is the event.
    ``str(KeyspaceChannel("user:*"))`` is ``'__keyspace@0__:user:*'``."""

    PREFIX: ClassVar[str] = "__keyspace@"


class KeyeventChannel(_EventChannel):
    """``__keyevent@<db>__:<event or pattern>``: the data of each message is the key."""

    PREFIX: ClassVar[str] = "__keyevent@"


class SubkeyspaceChannel(_KeyChannel):
    """``__subkeyspace@<db>__:<key>`` (Redis 8): data ``<event>|<len>:<subkey>[,...]``."""

    PREFIX: ClassVar[str] = "__subkeyspace@"


class SubkeyeventChannel(_EventChannel):
    """``__subkeyevent@<db>__:<event>`` (Redis 8): data ``<len>:<key>|<len>:<subkey>[,...]``."""

    PREFIX: ClassVar[str] = "__subkeyevent@"


class SubkeyspaceitemChannel(_Channel):
    """``__subkeyspaceitem@<db>__:<key>\\n<subkey>`` (Redis 8): data is the event."""

    PREFIX: ClassVar[str] = "__subkeyspaceitem@"

    def __init__(self, key_or_pattern: str, subkey_or_pattern: str, db: int = 0) -> None:
        self.key_or_pattern = key_or_pattern
        self.subkey_or_pattern = subkey_or_pattern
        self.db = db
        self._set()

    def _parts(self) -> tuple[str, ...]:
        return (self.key_or_pattern, self.subkey_or_pattern)

    def _body(self) -> str:
        return f"{self.key_or_pattern}\n{self.subkey_or_pattern}"


class SubkeyspaceeventChannel(_Channel):
    """``__subkeyspaceevent@<db>__:<event>|<key>`` (Redis 8): data ``<len>:<subkey>[,...]``."""

    PREFIX: ClassVar[str] = "__subkeyspaceevent@"

    def __init__(self, event: str, key_or_pattern: str, db: int = 0) -> None:
        self.event = event
        self.key_or_pattern = key_or_pattern
        self.db = db
        self._set()

    def _parts(self) -> tuple[str, ...]:
        return (self.event, self.key_or_pattern)

    def _body(self) -> str:
        return f"{self.event}|{self.key_or_pattern}"


class ChannelType(Enum):
    """The family of a notification channel (:func:`get_channel_type`)."""

    KEYSPACE = "keyspace"
    KEYEVENT = "keyevent"
    SUBKEYSPACE = "subkeyspace"
    SUBKEYEVENT = "subkeyevent"
    SUBKEYSPACEITEM = "subkeyspaceitem"
    SUBKEYSPACEEVENT = "subkeyspaceevent"


# longest prefixes first: "__subkeyspace@" is a prefix of the two after it
_TYPES = [(SubkeyspaceitemChannel.PREFIX, ChannelType.SUBKEYSPACEITEM),
          (SubkeyspaceeventChannel.PREFIX, ChannelType.SUBKEYSPACEEVENT),
          (SubkeyspaceChannel.PREFIX, ChannelType.SUBKEYSPACE),
          (SubkeyeventChannel.PREFIX, ChannelType.SUBKEYEVENT),
          (KeyspaceChannel.PREFIX, ChannelType.KEYSPACE),
          (KeyeventChannel.PREFIX, ChannelType.KEYEVENT)]


def get_channel_type(channel: str | bytes) -> ChannelType | None:
    """The :class:`ChannelType` of a channel name, or None for any other channel."""
    s = _str(channel)
    return next((t for prefix, t in _TYPES if s.startswith(prefix)), None)


#: a channel to subscribe: a name (str or bytes) or one of the channel classes
ChannelT = Union[str, bytes, KeyspaceChannel, KeyeventChannel, SubkeyspaceChannel,
                 SubkeyeventChannel, SubkeyspaceitemChannel, SubkeyspaceeventChannel]
#: a handler: gets each :class:`KeyNotification`; plain or ``async def``
AsyncHandlerT = Callable[[KeyNotification], Union[None, Awaitable[None]]]


class AsyncKeyspaceNotificationsInterface(ABC):
    """What both managers offer (redis-py's interface class)."""

    @abstractmethod
    async def subscribe(self, *channels: ChannelT, handler: AsyncHandlerT | None = None) -> None: ...

    @abstractmethod
    async def unsubscribe(self, *channels: ChannelT) -> None: ...

    @abstractmethod
    async def get_message(self, ignore_subscribe_messages: bool | None = None,
                          timeout: float = 0.0) -> KeyNotification | None: ...

    @abstractmethod
    def listen(self) -> AsyncIterator[KeyNotification]: ...

    @abstractmethod
    async def aclose(self) -> None: ...

    @property
    @abstractmethod
    def subscribed(self) -> bool: ...


class AbstractAsyncKeyspaceNotifications(AsyncKeyspaceNotificationsInterface):
    """The shared part: channel objects to (P)SUBSCRIBE, handlers wrapped to receive
    :class:`KeyNotification`, the ``subscribe_*`` helpers, ``listen`` and ``run``. A
    subclass gives the :class:`~fastredis.pubsub.PubSub` that carries them
    (``self._pubsub``); one server and the cluster differ only in that object."""

    _pubsub: PubSub

    def __init__(self, key_prefix: str | bytes | None = None,
                 ignore_subscribe_messages: bool = True) -> None:
        self.key_prefix = key_prefix
        self.ignore_subscribe_messages = ignore_subscribe_messages
        self._closed = False

    def _wrap(self, handler: AsyncHandlerT) -> Callable[[PubSubMessage], Any]:
        prefix = self.key_prefix

        def on_message(message: PubSubMessage) -> Any:
            n = KeyNotification.from_message(message, key_prefix=prefix)
            # a coroutine is awaited by the PubSub's reader, never inside data_received
            return handler(n) if n is not None else None

        return on_message

    @staticmethod
    def _split(channels: tuple[ChannelT, ...]) -> tuple[list[str], list[str]]:
        patterns: list[str] = []
        names: list[str] = []
        for c in channels:
            (patterns if _is_pattern(c) else names).append(_str(c))
        return patterns, names

    async def subscribe(self, *channels: ChannelT, handler: AsyncHandlerT | None = None) -> None:
        """Subscribe to notification channels (channel objects or names): those with
        wildcards with PSUBSCRIBE, the others with SUBSCRIBE. Returns once the server(s)
        confirmed. ``handler`` (plain or ``async def``) then receives their
        :class:`KeyNotification` instead of the reader; a plain one runs on the event
        loop, so it must not block."""
        patterns, names = self._split(channels)
        h = self._wrap(handler) if handler is not None else None
        if patterns:
            await self._pubsub.psubscribe(**{p: h for p in patterns})  # type: ignore[arg-type]
        if names:
            await self._pubsub.subscribe(**{n: h for n in names})  # type: ignore[arg-type]

    async def unsubscribe(self, *channels: ChannelT) -> None:
        """Unsubscribe from these channels (no argument: nothing, as redis-py)."""
        patterns, names = self._split(channels)
        if patterns:
            await self._pubsub.punsubscribe(*patterns)
        if names:
            await self._pubsub.unsubscribe(*names)

    async def subscribe_keyspace(self, key_or_pattern: str, db: int = 0,
                                 handler: AsyncHandlerT | None = None) -> None:
        """Events on keys: :class:`KeyspaceChannel` (``notify-keyspace-events`` needs ``K``)."""
        await self.subscribe(KeyspaceChannel(key_or_pattern, db=db), handler=handler)

    async def subscribe_keyevent(self, event: str, db: int = 0,
                                 handler: AsyncHandlerT | None = None) -> None:
        """Keys an event happened to: :class:`KeyeventChannel` (needs ``E``)."""
        await self.subscribe(KeyeventChannel(event, db=db), handler=handler)

    async def subscribe_subkeyspace(self, key_or_pattern: str, db: int = 0,
                                    handler: AsyncHandlerT | None = None) -> None:
        await self.subscribe(SubkeyspaceChannel(key_or_pattern, db=db), handler=handler)

    async def subscribe_subkeyevent(self, event: str, db: int = 0,
                                    handler: AsyncHandlerT | None = None) -> None:
        await self.subscribe(SubkeyeventChannel(event, db=db), handler=handler)

    async def subscribe_subkeyspaceitem(self, key_or_pattern: str, subkey_or_pattern: str,
                                        db: int = 0, handler: AsyncHandlerT | None = None) -> None:
        await self.subscribe(SubkeyspaceitemChannel(key_or_pattern, subkey_or_pattern, db=db),
                             handler=handler)

    async def subscribe_subkeyspaceevent(self, event: str, key_or_pattern: str, db: int = 0,
                                         handler: AsyncHandlerT | None = None) -> None:
        await self.subscribe(SubkeyspaceeventChannel(event, key_or_pattern, db=db),
                             handler=handler)

    @property
    def subscribed(self) -> bool:
        """Something is subscribed and this manager is not closed."""
        return not self._closed and self._pubsub.subscribed

    async def get_message(self, ignore_subscribe_messages: bool | None = None,
                          timeout: float = 0.0) -> KeyNotification | None:
        """The next notification, waiting up to ``timeout`` seconds (0: do not wait);
        None when nothing came, when a handler took it, when the message was not a
        notification or its key is outside ``key_prefix``, and once closed.
        Subscription confirmations are never notifications
        (``ignore_subscribe_messages`` is accepted for redis-py's signature)."""
        if self._closed:
            return None
        message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        return KeyNotification.from_message(message, key_prefix=self.key_prefix)

    async def listen(self) -> AsyncIterator[KeyNotification]:
        """``async for n in ksn.listen()``: notifications until nothing is subscribed."""
        while self.subscribed:
            n = await self.get_message(timeout=1.0)
            if n is not None:
                yield n

    async def run(self, poll_timeout: float = 1.0,
                  exception_handler: Callable[[BaseException, AsyncKeyspaceNotificationsInterface],
                                              None | Awaitable[None]] | None = None) -> None:
        """Read until nothing is subscribed, handlers doing the work (run it as a task).
        An exception goes to ``exception_handler(exc, self)`` (plain or ``async def``)
        and the loop goes on; without one it propagates."""
        while self.subscribed:
            try:
                await self.get_message(timeout=poll_timeout)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if exception_handler is None:
                    raise
                res = exception_handler(exc, self)
                if asyncio.iscoroutine(res):
                    await res

    def stats(self) -> dict[str, Any]:
        """The underlying PubSub's counters (reconnects, messages, dropped ...)."""
        return self._pubsub.stats()

    async def aclose(self) -> None:
        """Unsubscribe everything and close the connection(s); safe twice."""
        self._closed = True
        await self._pubsub.aclose()

    async def __aenter__(self) -> AbstractAsyncKeyspaceNotifications:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


class _PubSubSource(Protocol):
    def pubsub(self, **kwargs: Any) -> PubSub: ...


class AsyncKeyspaceNotifications(AbstractAsyncKeyspaceNotifications):
    """Keyspace notifications of one server: ``AsyncKeyspaceNotifications(r,
    key_prefix=None, ignore_subscribe_messages=True, **pubsub_options)`` or
    ``r.keyspace_notifications()``. One :class:`~fastredis.pubsub.PubSub` carries them,
    with its reconnect and resubscribe (``pubsub_options``: ``on_reconnect``,
    ``health_check_interval``, ``max_queued`` ...: see ``r.pubsub()``)."""

    def __init__(self, redis_client: _PubSubSource, key_prefix: str | bytes | None = None,
                 ignore_subscribe_messages: bool = True, **pubsub_options: Any) -> None:
        super().__init__(key_prefix, ignore_subscribe_messages)
        self.redis = redis_client
        # confirmations are never notifications: dropped at the connection
        pubsub_options["ignore_subscribe_messages"] = True
        self._pubsub = redis_client.pubsub(**pubsub_options)

    async def __aenter__(self) -> AsyncKeyspaceNotifications:
        return self
