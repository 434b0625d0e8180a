"""Pub/Sub commands of the client (PUBLISH, PUBSUB ...). Subscribing lives in
fastredis/pubsub.py, on a connection of its own."""

from __future__ import annotations

from typing import Any, AnyStr

from ._base import CommandsBase


def _numsub(reply: list) -> list:
    it = iter(reply)
    return list(zip(it, it))  # noqa: B905 - pairs from one iterator


class PubSubCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def publish(self, channel: Any, message: Any) -> Any:
        """Publish; returns the number of subscriptions that received it."""
        return self._execute(("PUBLISH", channel, message))

    def spublish(self, shard_channel: Any, message: Any) -> Any:
        return self._execute(("SPUBLISH", shard_channel, message))

    def pubsub_channels(self, pattern: Any = "*") -> Any:
        return self._execute(("PUBSUB", "CHANNELS", pattern))

    def pubsub_numsub(self, *channels: Any) -> Any:
        """-> list of (channel, count), in argument order."""
        return self._execute(("PUBSUB", "NUMSUB", *channels), _numsub)

    def pubsub_numpat(self) -> Any:
        return self._execute(("PUBSUB", "NUMPAT"))

    def pubsub_shardchannels(self, pattern: Any = "*") -> Any:
        return self._execute(("PUBSUB", "SHARDCHANNELS", pattern))

    def pubsub_shardnumsub(self, *channels: Any) -> Any:
        return self._execute(("PUBSUB", "SHARDNUMSUB", *channels), _numsub)
