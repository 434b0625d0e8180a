"""Type aliases shared by every command module (the public names users annotate with).

The client is generic over its response type: ``Redis[bytes]`` by default, ``Redis[str]``
with ``decode_responses=True``. A command method is typed once, in its mixin, with
``AnyStr`` standing for that response type, and returns ``Reply[...]``: a coroutine on a
client. (On a pipeline the same method returns the pipeline itself; the pipeline's own
type declares that separately, so that chaining type-checks.)

The command modules import this module only under ``TYPE_CHECKING`` (their annotations are
strings, ``from __future__ import annotations``): ``import fastredis`` never pays for it.
"""

from __future__ import annotations

import datetime
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, AnyStr, TypedDict, TypeVar, Union

if TYPE_CHECKING:
    from .cluster.slots import ClusterNode

__all__ = [
    "KeyT", "KeysT", "EncodableT", "FieldT", "ChannelT", "PatternT", "ExpiryT", "AbsExpiryT",
    "Number", "StreamIdT", "ScoreT", "TimeoutSecT", "AnyKeyT", "StreamEntry", "PubSubMessage",
    "Reply", "TargetNodesT",
]

_T = TypeVar("_T")

#: What a command method of a client returns: a coroutine resolving to the reply, so that
#: ``await r.get(k)`` is ``bytes | None`` and ``asyncio.create_task(r.get(k))`` type-checks
#: (``create_task`` takes a coroutine, not any awaitable).
Reply = Coroutine[Any, Any, _T]

#: a key or a name: what hiredis packs as a bulk string
KeyT = Union[bytes, str, memoryview]
#: the key type of a mapping argument (``mset({...})``, ``hset(mapping={...})``): a TypeVar,
#: because Mapping is invariant in its keys and a ``dict[str, int]`` must be accepted
AnyKeyT = TypeVar("AnyKeyT", bytes, str, memoryview)
#: one key, or an iterable of keys (redis-py's ``f(['a', 'b'])`` == ``f('a', 'b')``)
KeysT = Union[KeyT, Iterable[KeyT]]
#: a value written to the server
EncodableT = Union[bytes, bytearray, memoryview, str, int, float]
FieldT = Union[bytes, str, memoryview]
ChannelT = Union[bytes, str, memoryview]
PatternT = Union[bytes, str, memoryview]
StreamIdT = Union[bytes, str, int]
Number = Union[int, float]
#: a sorted-set score or range bound: a number, or what Redis parses ('(1.5', '-inf', '[a')
ScoreT = Union[int, float, str, bytes]
#: the timeout of a blocking command, in seconds (0 or None: wait forever)
TimeoutSecT = Union[int, float, None]
#: a stream entry as XRANGE/XREAD return it: (id, {field: value})
StreamEntry = tuple[AnyStr, dict[AnyStr, AnyStr]]
#: a relative expiry: seconds (or ms for the p- variants) or a timedelta
ExpiryT = Union[int, datetime.timedelta]
#: an absolute expiry: a unix time or a datetime
AbsExpiryT = Union[int, datetime.datetime]
#: where a keyless command runs on a cluster (``rc.dbsize(target_nodes=...)``, as redis-py):
#: ``RedisCluster.PRIMARIES`` / ``REPLICAS`` / ``ALL_NODES`` / ``RANDOM`` / ``DEFAULT_NODE``,
#: one ``ClusterNode``, a list of them, or a dict whose values are ClusterNodes
TargetNodesT = Union[str, "ClusterNode", Sequence["ClusterNode"], Mapping[Any, "ClusterNode"]]


class PubSubMessage(TypedDict):
    """What ``PubSub.get_message()`` and ``PubSub.listen()`` yield.

    ``type`` is 'message', 'pmessage', 'smessage' or a confirmation ('subscribe',
    'unsubscribe', ...); ``pattern`` is set only for 'pmessage'; ``data`` is the payload
    (bytes, or str with ``decode_responses=True``), or for a confirmation the number of
    subscriptions the connection now has (int)."""

    type: str
    pattern: bytes | str | None
    channel: bytes | str
    data: bytes | str | int

