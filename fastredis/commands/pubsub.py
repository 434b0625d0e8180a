"""Pub/Sub commands of the client (PUBLISH, PUBSUB ...). Subscribing lives in
fastredis/pubsub.py, on a connection of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr

from ._base import CommandsBase

if TYPE_CHECKING:
    from ..typing import ChannelT, EncodableT, PatternT, Reply, TargetNodesT


def _numsub(reply: list[Any]) -> list[tuple[Any, int]]:
    it = iter(reply)
    return list(zip(it, it))  # noqa: B905 - pairs from one iterator


class PubSubCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def publish(self, channel: ChannelT, message: EncodableT,
                *, target_nodes: TargetNodesT | None = None) -> Reply[int]:
        """PUBLISH: returns the number of subscriptions that received it."""
        return self._execute_on(target_nodes, ("PUBLISH", channel, message))

    def spublish(self, shard_channel: ChannelT, message: EncodableT) -> Reply[int]:
        """SPUBLISH: publish to a shard channel (Redis 7); the number of receivers."""
        return self._execute(("SPUBLISH", shard_channel, message))

    def pubsub_channels(self, pattern: PatternT = "*",
                        *, target_nodes: TargetNodesT | None = None) -> Reply[list[AnyStr]]:
        """PUBSUB CHANNELS: the channels with at least one subscriber matching ``pattern``."""
        return self._execute_on(target_nodes, ("PUBSUB", "CHANNELS", pattern))

    def pubsub_numsub(self, *channels: ChannelT,
                      target_nodes: TargetNodesT | None = None) -> Reply[list[tuple[AnyStr, int]]]:
        """PUBSUB NUMSUB: list of (channel, count), in argument order."""
        return self._execute_on(target_nodes, ("PUBSUB", "NUMSUB", *channels), _numsub)

    def pubsub_numpat(self, *, target_nodes: TargetNodesT | None = None) -> Reply[int]:
        """PUBSUB NUMPAT: the number of pattern subscriptions on the server."""
        return self._execute_on(target_nodes, ("PUBSUB", "NUMPAT"))

    def pubsub_shardchannels(self, pattern: PatternT = "*",
                             *, target_nodes: TargetNodesT | None = None) -> Reply[list[AnyStr]]:
        """PUBSUB SHARDCHANNELS: the active shard channels matching ``pattern``."""
        return self._execute_on(target_nodes, ("PUBSUB", "SHARDCHANNELS", pattern))

    def pubsub_shardnumsub(self, *channels: ChannelT,
                           target_nodes: TargetNodesT | None = None) -> Reply[list[tuple[AnyStr, int]]]:
        """PUBSUB SHARDNUMSUB: (shard channel, subscriber count) pairs, in argument order."""
        return self._execute_on(target_nodes, ("PUBSUB", "SHARDNUMSUB", *channels), _numsub)
