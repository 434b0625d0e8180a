"""Type aliases shared by every command module (the public names users annotate with).

The client is generic over its response type: ``Redis[bytes]`` by default, ``Redis[str]``
with ``decode_responses=True``. A command method is typed once, in its mixin, with
``AnyStr`` standing for that response type, and returns ``Awaitable[...]``: on a client it
is a coroutine, on a pipeline the (awaitable) pipeline itself, which the pipeline's own
type declares separately so that chaining type-checks.
"""

from __future__ import annotations

import datetime
from typing import Union

__all__ = [
    "KeyT", "EncodableT", "FieldT", "ChannelT", "PatternT", "ExpiryT", "AbsExpiryT",
    "Number", "StreamIdT",
]

#: a key or a name: what hiredis packs as a bulk string
KeyT = Union[bytes, str, memoryview]
#: a value written to the server
EncodableT = Union[bytes, bytearray, memoryview, str, int, float]
FieldT = Union[bytes, str, memoryview]
ChannelT = Union[bytes, str, memoryview]
PatternT = Union[bytes, str, memoryview]
StreamIdT = Union[bytes, str, int]
Number = Union[int, float]
#: a relative expiry: seconds (or ms for the p- variants) or a timedelta
ExpiryT = Union[int, datetime.timedelta]
#: an absolute expiry: a unix time or a datetime
AbsExpiryT = Union[int, datetime.datetime]
