"""RediSearch (Redis 8, or Redis Stack): ``r.ft(index_name="idx")``, with redis-py 8.2's
names, arguments and results.

``r.ft("idx")`` returns a ``Search`` object bound to the client (or pipeline, or
RedisCluster) and to one index, whose methods send FT.* commands through that client's
own ``_execute``: on a client they are coroutines, on a pipeline they queue and return the
pipeline. The request and result classes live where redis-py has them:
``fastredis.commands.search.query.Query``, ``.field.TextField`` ...,
``.index_definition.IndexDefinition``, ``.aggregation.AggregateRequest``, ``.reducers``,
``.querystring``, ``.suggestion.Suggestion``, ``.result.Result``, ``.document.Document``.
redis-py's own objects of those classes are accepted as well.
"""

from __future__ import annotations

from typing import Any, AnyStr, Generic

from ...exceptions import DataError
from .._base import CommandsBase, ReplyCallback
from .commands import AsyncSearchCommands, SearchCommands

__all__ = ["AsyncSearch", "AsyncSearchCommands", "Search", "SearchCommands", "SearchFactory"]


class Search(SearchCommands[AnyStr], Generic[AnyStr]):
    """What ``r.ft(index_name)`` returns: the FT.* commands of one index, sent through
    ``client``."""

    __slots__ = ("client", "index_name")

    def __init__(self, client: Any, index_name: str = "idx") -> None:
        self.client = client
        self.index_name = index_name

    def _execute(self, args: tuple[Any, ...], callback: ReplyCallback | None = None) -> Any:
        return self.client._execute(args, callback)

    def _reply_protocol(self) -> int:
        return self.client._reply_protocol()  # type: ignore[no-any-return]

    def _host(self) -> Any:
        return self.client

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Any command, through the client (redis-py's attribute of this object)."""
        return self.client.execute_command(*args, **options)

    def __repr__(self) -> str:
        return f"<Search {self.index_name!r} of {self.client!r}>"


#: redis-py's name of the asyncio variant: the same class here
AsyncSearch = Search


class SearchFactory(CommandsBase[AnyStr]):
    """The ``ft()`` of clients, pipelines and RedisCluster (redis-py's name)."""

    __slots__ = ()

    def ft(self, index_name: str = "idx") -> Search[AnyStr]:
        """The RediSearch commands of the index ``index_name`` (FT.CREATE, FT.SEARCH ...),
        sent through this client/pipeline."""
        if not isinstance(index_name, (str, bytes)):
            raise DataError(f"index_name must be a str, got {type(index_name).__name__!r}")
        return Search(self, index_name)
