"""One module per command group; ``CoreCommands`` is the union the client is built from."""

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
    StringCommands, ServerCommands, PubSubCommands, KeyCommands, HashCommands, ListCommands,
    SetCommands, SortedSetCommands, StreamCommands, HyperLogLogCommands, ScriptingCommands,
):
    __slots__ = ()


__all__ = ["CoreCommands"]
