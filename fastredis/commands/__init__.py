"""One module per command group; ``CoreCommands`` is the union the client is built from."""

from .pubsub import PubSubCommands
from .server import ServerCommands
from .strings import StringCommands


class CoreCommands(StringCommands, ServerCommands, PubSubCommands):
    __slots__ = ()


__all__ = ["CoreCommands"]
