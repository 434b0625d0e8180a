"""Keyspace notifications with redis-py 8.2's names: ``redis.asyncio.keyspace_notifications``
and the types of ``redis.keyspace_notifications`` in one module.

```python
from fastredis.keyspace_notifications import AsyncKeyspaceNotifications, EventType

async with r.keyspace_notifications() as ksn:       # or AsyncKeyspaceNotifications(r)
    await ksn.subscribe_keyevent(EventType.SET)
    async for n in ksn.listen():
        print(n.key, n.event_type)
```

On a cluster, :class:`AsyncClusterKeyspaceNotifications` subscribes on every primary and
follows failovers (see its docstring). The servers publish notifications only as their
``notify-keyspace-events`` setting says (``CONFIG SET notify-keyspace-events KEA``, on
every node of a cluster): configuring it is the operator's decision, never done here.

fastredis is asynchronous only: the names of redis-py's synchronous classes
(``KeyspaceNotifications``, ``ClusterKeyspaceNotifications``) are the asynchronous ones.
"""

from __future__ import annotations

from ._keyspace import (
    AbstractAsyncKeyspaceNotifications,
    AsyncHandlerT,
    AsyncKeyspaceNotifications,
    AsyncKeyspaceNotificationsInterface,
    ChannelT,
    ChannelType,
    EventType,
    KeyeventChannel,
    KeyNotification,
    KeyspaceChannel,
    SubkeyeventChannel,
    SubkeyspaceChannel,
    SubkeyspaceeventChannel,
    SubkeyspaceitemChannel,
    get_channel_type,
)
from .cluster.keyspace_notifications import AsyncClusterKeyspaceNotifications
from .cluster.pubsub import GapEvent

#: redis-py's synchronous names, for code written against them: the asynchronous classes
KeyspaceNotifications = AsyncKeyspaceNotifications
ClusterKeyspaceNotifications = AsyncClusterKeyspaceNotifications

__all__ = [
    "AbstractAsyncKeyspaceNotifications", "AsyncClusterKeyspaceNotifications", "AsyncHandlerT",
    "AsyncKeyspaceNotifications", "AsyncKeyspaceNotificationsInterface", "ChannelT",
    "ChannelType", "ClusterKeyspaceNotifications", "EventType", "GapEvent", "KeyNotification",
    "KeyeventChannel", "KeyspaceChannel", "KeyspaceNotifications", "SubkeyeventChannel",
    "SubkeyspaceChannel", "SubkeyspaceeventChannel", "SubkeyspaceitemChannel",
    "get_channel_type",
]
