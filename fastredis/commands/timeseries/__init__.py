"""RedisTimeSeries (Redis 8, or Redis Stack): ``r.ts()``, with redis-py 8.2's names,
arguments and results; ``TSInfo`` importable from here as from
``redis.commands.timeseries``.

``r.ts()`` returns a ``TimeSeries`` bound to the client (or pipeline, or RedisCluster)
whose methods send their TS.* command through that client's own ``_execute``: on a client
they are coroutines, on a pipeline they queue and return the pipeline, on a cluster they are
routed like any command. ``ts().pipeline()`` is redis-py's pipeline whose ``add``, ``get``,
``delete``, ``info`` ... are the TS.* ones, every other command the core one. See
``commands.py`` for what is refused before sending and ``utils.py`` for the reply shapes.
"""

from __future__ import annotations

from typing import Any, AnyStr, Generic

from ...exceptions import DataError
from .._base import CommandsBase, ReplyCallback
from .._mixed import mixed_pipeline
from .commands import TimeSeriesCommands
from .info import TSInfo

__all__ = ["AsyncTimeSeries", "TSInfo", "TimeSeries", "TimeSeriesCommands", "TimeSeriesFactory"]


class TimeSeries(TimeSeriesCommands[AnyStr], Generic[AnyStr]):
    """What ``r.ts()`` returns: the TS.* commands, sent through ``client``."""

    __slots__ = ("client",)

    def __init__(self, client: Any) -> None:
        self.client = client

    def _execute(self, args: tuple[Any, ...], callback: ReplyCallback | None = None) -> Any:
        return self.client._execute(args, callback)

    def _execute_blocking(self, args: tuple[Any, ...], callback: ReplyCallback | None = None
                          ) -> Any:
        return self.client._execute_blocking(args, callback)

    def _reply_protocol(self) -> int:
        return self.client._reply_protocol()  # type: ignore[no-any-return]

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Any command, through the client (redis-py's attribute of this object)."""
        return self.client.execute_command(*args, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
        """A pipeline of the client whose ``add``, ``get``, ``delete``, ``info``, ``range``
        ... are the TS.* commands (redis-py's TimeSeries pipeline); the other core commands
        stay. On RedisCluster it is not a transaction, as in redis-py."""
        make = getattr(self.client, "pipeline", None)
        if make is None:
            raise DataError(f"ts().pipeline() needs a client: this TimeSeries sends through "
                            f"{type(self.client).__name__}")
        if hasattr(self.client, "get_node_from_key"):  # RedisCluster
            pipe = make(shard_hint=shard_hint)
        else:
            pipe = make(transaction=transaction, shard_hint=shard_hint)
        return mixed_pipeline(pipe, TimeSeriesCommands, "TimeSeries")

    def __repr__(self) -> str:
        return f"<TimeSeries of {self.client!r}>"


#: redis-py's name of the asyncio variant: the same class here
AsyncTimeSeries = TimeSeries

class TimeSeriesFactory(CommandsBase[AnyStr]):
    """The ``ts()`` of clients, pipelines and RedisCluster (redis-py's name)."""

    __slots__ = ()

    def ts(self) -> TimeSeries[AnyStr]:
        """The RedisTimeSeries commands (TS.ADD, TS.RANGE, TS.MRANGE ...), sent through
        this client/pipeline."""
        return TimeSeries(self)
