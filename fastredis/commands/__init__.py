"""One module per command group; ``CoreCommands`` is the union the client is built from."""

from typing import AnyStr

from .acl import ACLCommands
from .arrays import ArrayCommands
from .bf import BloomFactory
from .bitfield import BitFieldCommands, BitFieldOperation
from .cluster import ClusterNodeCommands
from .functions import FunctionCommands
from .geo import GeoCommands
from .hash_expiry import HashFieldExpiryCommands
from .hashes import HashCommands
from .himport import HImportCommands
from .hll import HyperLogLogCommands
from .json import JSONFactory
from .keys import KeyCommands
from .lists import ListCommands
from .management import ManagementCommands
from .pubsub import PubSubCommands
from .scripting import ScriptingCommands
from .search import SearchFactory
from .sentinel import SentinelCommands
from .server import ServerCommands
from .sets import SetCommands
from .streams import StreamCommands
from .strings import StringCommands
from .timeseries import TimeSeriesFactory
from .vectorset import VectorSetFactory
from .zsets import SortedSetCommands


class CoreCommands(
    StringCommands[AnyStr], ServerCommands[AnyStr], PubSubCommands[AnyStr], KeyCommands[AnyStr],
    HashCommands[AnyStr], ListCommands[AnyStr], SetCommands[AnyStr], SortedSetCommands[AnyStr],
    StreamCommands[AnyStr], HyperLogLogCommands[AnyStr], ScriptingCommands[AnyStr],
    GeoCommands[AnyStr], ACLCommands[AnyStr], FunctionCommands[AnyStr], BitFieldCommands[AnyStr],
    HashFieldExpiryCommands[AnyStr], ManagementCommands[AnyStr], ClusterNodeCommands[AnyStr],
    SentinelCommands[AnyStr], VectorSetFactory[AnyStr], BloomFactory[AnyStr],
    JSONFactory[AnyStr], ArrayCommands[AnyStr], SearchFactory[AnyStr], TimeSeriesFactory[AnyStr],
    HImportCommands[AnyStr],
):
    __slots__ = ()


__all__ = ["CoreCommands", "BitFieldOperation"]
