"""RedisBloom (Redis 8, or Redis Stack): ``r.bf()``, ``r.cf()``, ``r.cms()``, ``r.topk()``
and ``r.tdigest()``, with redis-py 8.2's names, arguments and results; the info classes
(``BFInfo`` ...) importable from here as from ``redis.commands.bf``.

Each factory returns a small object bound to the client (or pipeline, or RedisCluster)
whose methods send their command through that client's own ``_execute``: on a client they
are coroutines, on a pipeline they queue and return the pipeline, on a cluster they are
routed by their key like any command. See ``commands.py`` for the reply shapes.
"""

from __future__ import annotations

from typing import Any, AnyStr, Generic

from .._base import CommandsBase, ReplyCallback
from .commands import (
    AbstractBloom,
    BFCommands,
    CFCommands,
    CMSCommands,
    TDigestCommands,
    TOPKCommands,
    parse_to_list,
)
from .info import BFInfo, CFInfo, CMSInfo, TDigestInfo, TopKInfo

__all__ = [
    "AbstractBloom", "BFBloom", "BFCommands", "BFInfo", "BloomFactory", "CFBloom",
    "CFCommands", "CFInfo", "CMSBloom", "CMSCommands", "CMSInfo", "TDigestBloom",
    "TDigestCommands", "TDigestInfo", "TOPKBloom", "TOPKCommands", "TopKInfo",
    "parse_to_list",
]


class _Bound(CommandsBase[AnyStr]):
    """A family's commands sent through ``client`` (a client, pipeline or RedisCluster)."""

    __slots__ = ("client",)

    def __init__(self, client: CommandsBase[Any]) -> None:
        self.client = client

    def _execute(self, args: tuple[Any, ...], callback: ReplyCallback | None = None) -> Any:
        return self.client._execute(args, callback)

    def _reply_protocol(self) -> int:
        return self.client._reply_protocol()

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Any command, through the client (redis-py's attribute of these objects)."""
        return self.client.execute_command(*args, **options)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.client!r}>"


class BFBloom(BFCommands[AnyStr], _Bound[AnyStr], Generic[AnyStr]):
    """What ``r.bf()`` returns: the Bloom filter commands."""

    __slots__ = ()
    commandmixin = BFCommands


class CFBloom(CFCommands[AnyStr], _Bound[AnyStr], Generic[AnyStr]):
    """What ``r.cf()`` returns: the Cuckoo filter commands."""

    __slots__ = ()
    commandmixin = CFCommands


class CMSBloom(CMSCommands[AnyStr], _Bound[AnyStr], Generic[AnyStr]):
    """What ``r.cms()`` returns: the Count-min sketch commands."""

    __slots__ = ()
    commandmixin = CMSCommands


class TOPKBloom(TOPKCommands[AnyStr], _Bound[AnyStr], Generic[AnyStr]):
    """What ``r.topk()`` returns: the Top-K commands."""

    __slots__ = ()
    commandmixin = TOPKCommands


class TDigestBloom(TDigestCommands[AnyStr], _Bound[AnyStr], Generic[AnyStr]):
    """What ``r.tdigest()`` returns: the t-digest commands."""

    __slots__ = ()
    commandmixin = TDigestCommands


class BloomFactory(CommandsBase[AnyStr]):
    """``bf()``, ``cf()``, ``cms()``, ``topk()`` and ``tdigest()`` of clients, pipelines
    and RedisCluster (redis-py's names)."""

    __slots__ = ()

    def bf(self) -> BFBloom[AnyStr]:
        """The Bloom filter commands (BF.*), sent through this client/pipeline."""
        return BFBloom(self)

    def cf(self) -> CFBloom[AnyStr]:
        """The Cuckoo filter commands (CF.*), sent through this client/pipeline."""
        return CFBloom(self)

    def cms(self) -> CMSBloom[AnyStr]:
        """The Count-min sketch commands (CMS.*), sent through this client/pipeline."""
        return CMSBloom(self)

    def topk(self) -> TOPKBloom[AnyStr]:
        """The Top-K commands (TOPK.*), sent through this client/pipeline."""
        return TOPKBloom(self)

    def tdigest(self) -> TDigestBloom[AnyStr]:
        """The t-digest commands (TDIGEST.*), sent through this client/pipeline."""
        return TDigestBloom(self)
