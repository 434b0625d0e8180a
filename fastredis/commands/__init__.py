"""One module per command group; ``CoreCommands`` is the union the client is built from."""

from typing import AnyStr

from .hashes import HashCommands
from .hll import HyperLogLogCommands
from .keys import KeyCommands
from .lists import ListCommands
from .pubsub import PubSubCommands
from .scripting import ScriptingCommands
from .server import ServerCommands
from .sets import SetCommands
from .streams import StreamCommands
from .strings import StringCommands
from .zsets import SortedSetCommands


class CoreCommands(
    StringCommands[AnyStr], ServerCommands[AnyStr], PubSubCommands[AnyStr], KeyCommands[AnyStr],
    HashCommands[AnyStr], ListCommands[AnyStr], SetCommands[AnyStr], SortedSetCommands[AnyStr],
    StreamCommands[AnyStr], HyperLogLogCommands[AnyStr], ScriptingCommands[AnyStr],
):
    __slots__ = ()


__all__ = ["CoreCommands"]
