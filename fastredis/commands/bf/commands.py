"""The RedisBloom command mixins: Bloom filter (BF.*), Cuckoo filter (CF.*), Count-min
sketch (CMS.*), Top-K (TOPK.*) and t-digest (TDIGEST.*), with redis-py 8.2's method names,
parameters, argument order and reply shapes.

Shapes per protocol, as redis-py 8.2 gives them (compared with it on a Redis 8.2.3 server
with RedisBloom in tests/test_redis8_bloom.py):

- ``create``/``reserve``, ``initbydim``/``initbyprob``, ``cms().merge``: True.
- ``info()``: over RESP2 the info object (``BFInfo`` ...), over RESP3 the server's map.
- TOPK's ``add``, ``incrby`` and ``list`` over RESP2 go through redis-py's
  ``parse_to_list``: item names become ``str`` (and an item named like a number becomes that
  number), counts ints; over RESP3 the reply as the server sent it. The reply itself cannot
  tell the two apart, so these ask the client which protocol it speaks.
- TDIGEST's ``min``/``max``/``trimmed_mean`` are floats; ``quantile``/``cdf``/``byrank``/
  ``byrevrank`` over RESP2 are ``parse_to_list``'s (ints where integral, NaN as the string
  ``"nan"``), over RESP3 floats.
- Everything else: the server's reply (over RESP3, booleans where RedisBloom sends them).

``scandump`` returns ``[iterator, chunk]``; the chunk is binary: a client with
``decode_responses=True`` decodes it like any reply (``DataError`` when it is not text,
the connection stays usable), where redis-py leaves it bytes. Use a client without decoding
for SCANDUMP/LOADCHUNK.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, AnyStr, Union

from ...exceptions import DataError
from .._base import CommandsBase, ReplyCallback, ok, sequence_arg
from .info import BFInfo, CFInfo, CMSInfo, TDigestInfo, TopKInfo

if TYPE_CHECKING:
    from ...typing import EncodableT, KeyT, Number, Reply

__all__ = [
    "AbstractBloom", "BFCommands", "CFCommands", "CMSCommands", "TDigestCommands",
    "TOPKCommands", "parse_to_list",
]

BF_RESERVE = "BF.RESERVE"
BF_ADD = "BF.ADD"
BF_MADD = "BF.MADD"
BF_INSERT = "BF.INSERT"
BF_EXISTS = "BF.EXISTS"
BF_MEXISTS = "BF.MEXISTS"
BF_SCANDUMP = "BF.SCANDUMP"
BF_LOADCHUNK = "BF.LOADCHUNK"
BF_INFO = "BF.INFO"
BF_CARD = "BF.CARD"

CF_RESERVE = "CF.RESERVE"
CF_ADD = "CF.ADD"
CF_ADDNX = "CF.ADDNX"
CF_INSERT = "CF.INSERT"
CF_INSERTNX = "CF.INSERTNX"
CF_EXISTS = "CF.EXISTS"
CF_MEXISTS = "CF.MEXISTS"
CF_DEL = "CF.DEL"
CF_COUNT = "CF.COUNT"
CF_SCANDUMP = "CF.SCANDUMP"
CF_LOADCHUNK = "CF.LOADCHUNK"
CF_INFO = "CF.INFO"

CMS_INITBYDIM = "CMS.INITBYDIM"
CMS_INITBYPROB = "CMS.INITBYPROB"
CMS_INCRBY = "CMS.INCRBY"
CMS_QUERY = "CMS.QUERY"
CMS_MERGE = "CMS.MERGE"
CMS_INFO = "CMS.INFO"

TOPK_RESERVE = "TOPK.RESERVE"
TOPK_ADD = "TOPK.ADD"
TOPK_INCRBY = "TOPK.INCRBY"
TOPK_QUERY = "TOPK.QUERY"
TOPK_COUNT = "TOPK.COUNT"
TOPK_LIST = "TOPK.LIST"
TOPK_INFO = "TOPK.INFO"

TDIGEST_CREATE = "TDIGEST.CREATE"
TDIGEST_RESET = "TDIGEST.RESET"
TDIGEST_ADD = "TDIGEST.ADD"
TDIGEST_MERGE = "TDIGEST.MERGE"
TDIGEST_CDF = "TDIGEST.CDF"
TDIGEST_QUANTILE = "TDIGEST.QUANTILE"
TDIGEST_MIN = "TDIGEST.MIN"
TDIGEST_MAX = "TDIGEST.MAX"
TDIGEST_INFO = "TDIGEST.INFO"
TDIGEST_TRIMMED_MEAN = "TDIGEST.TRIMMED_MEAN"
TDIGEST_RANK = "TDIGEST.RANK"
TDIGEST_REVRANK = "TDIGEST.REVRANK"
TDIGEST_BYRANK = "TDIGEST.BYRANK"
TDIGEST_BYREVRANK = "TDIGEST.BYREVRANK"

#: redis-py's ModuleListResponse (TOPK and TDIGEST lists): what ``parse_to_list`` makes
ModuleList = list[Union[bytes, int, float, str, None]]
#: redis-py's BloomScanDumpResponse, as the server's two-element array
ScanDump = list[Any]

_SPECIAL = frozenset(("infinity", "nan", "-infinity"))


def parse_to_list(response: Any) -> ModuleList:
    """redis-py's ``parse_to_list``, to the letter: None stays None, floats stay floats,
    ``nan``/``infinity``/``-infinity`` stay strings, the rest becomes an int, else a float,
    else the (decoded) string (``"null"``: None)."""
    res: ModuleList = []
    if response is None:
        return res
    for item in response:
        if item is None or item.__class__ is float:
            res.append(item)
            continue
        text = item.decode("utf-8", "replace") if isinstance(item, bytes) else item
        if text == "null":  # redis-py's nativestr: an item named "null" is None
            text = None
        if isinstance(text, str) and text.lower() in _SPECIAL:
            res.append(text)
            continue
        try:
            res.append(int(item))
        except (ValueError, OverflowError, TypeError):
            try:
                res.append(float(item))
            except (ValueError, TypeError):
                res.append(text)
    return res


def _info(cls: type[Any]) -> ReplyCallback:
    """RESP2's flat list -> the info object; RESP3's map stays a dict (redis-py 8.2 with
    ``protocol=3``; without a protocol chosen the info object is made of the map too)."""
    def parse(reply: Any) -> Any:
        return reply if reply.__class__ is dict else cls(reply)
    return parse


_BF_INFO, _CF_INFO, _CMS_INFO = _info(BFInfo), _info(CFInfo), _info(CMSInfo)
_TOPK_INFO, _TDIGEST_INFO = _info(TopKInfo), _info(TDigestInfo)


class AbstractBloom:
    """redis-py's helpers that append the optional arguments to a command's parameter list,
    in the order the commands take them (the methods use them, so the wire is redis-py's)."""

    __slots__ = ()

    @staticmethod
    def append_items(params: list[Any], items: Iterable[Any]) -> None:
        """Append ITEMS and the items."""
        params.append("ITEMS")
        params += sequence_arg(items, "items")

    @staticmethod
    def append_error(params: list[Any], error: Number | None) -> None:
        """Append ERROR (when given)."""
        if error is not None:
            params.extend(("ERROR", error))

    @staticmethod
    def append_capacity(params: list[Any], capacity: int | None) -> None:
        """Append CAPACITY (when given)."""
        if capacity is not None:
            params.extend(("CAPACITY", capacity))

    @staticmethod
    def append_expansion(params: list[Any], expansion: int | None) -> None:
        """Append EXPANSION (when given)."""
        if expansion is not None:
            params.extend(("EXPANSION", expansion))

    @staticmethod
    def append_no_scale(params: list[Any], noScale: bool | None) -> None:
        """Append NONSCALING (when true)."""
        if noScale:
            params.append("NONSCALING")

    @staticmethod
    def append_weights(params: list[Any], weights: Iterable[Number]) -> None:
        """Append WEIGHTS and the weights (when there are any)."""
        weights = sequence_arg(weights, "weights")
        if weights:
            params.append("WEIGHTS")
            params += weights

    @staticmethod
    def append_no_create(params: list[Any], noCreate: bool | None) -> None:
        """Append NOCREATE (when true)."""
        if noCreate:
            params.append("NOCREATE")

    @staticmethod
    def append_items_and_increments(params: list[Any], items: Iterable[Any],
                                    increments: Iterable[int]) -> None:
        """Append item, increment pairs; both lists must have the same length."""
        _append_pairs(params, items, increments, "increments")

    @staticmethod
    def append_values_and_weights(params: list[Any], items: Iterable[Any],
                                  weights: Iterable[Number]) -> None:
        """Append value, weight pairs; both lists must have the same length."""
        _append_pairs(params, items, weights, "weights")

    @staticmethod
    def append_max_iterations(params: list[Any], max_iterations: int | None) -> None:
        """Append MAXITERATIONS (when given)."""
        if max_iterations is not None:
            params.extend(("MAXITERATIONS", max_iterations))

    @staticmethod
    def append_bucket_size(params: list[Any], bucket_size: int | None) -> None:
        """Append BUCKETSIZE (when given)."""
        if bucket_size is not None:
            params.extend(("BUCKETSIZE", bucket_size))

    @staticmethod
    def append_cell_size(params: list[Any], cell_size: int | None) -> None:
        """Append CELL_SIZE (when given)."""
        if cell_size is not None:
            params.extend(("CELL_SIZE", cell_size))


def _append_pairs(params: list[Any], items: Iterable[Any], values: Iterable[Any],
                  what: str) -> None:
    items, values = sequence_arg(items, "items"), sequence_arg(values, what)
    if len(items) != len(values):
        # redis-py indexes one list by the other: an IndexError, or extra values dropped
        raise DataError(f"items and {what} must have the same length "
                        f"({len(items)} and {len(values)})")
    for pair in zip(items, values):
        params += pair


class _BloomBase(AbstractBloom, CommandsBase[AnyStr]):
    __slots__ = ()

    def _send(self, command: str, params: list[Any] | tuple[Any, ...],
              callback: ReplyCallback | None = None) -> Reply[Any]:
        return self._execute((command, *params), callback)


class BFCommands(_BloomBase[AnyStr]):
    """Bloom filter commands (``r.bf()``)."""

    __slots__ = ()

    def create(self, key: KeyT, errorRate: Number, capacity: int,
               expansion: int | None = None, noScale: bool | None = None) -> Reply[bool]:
        """BF.RESERVE: a Bloom filter for ``capacity`` items with false-positive rate
        ``errorRate``; ``expansion`` (default 2) sizes the sub-filters added when full,
        ``noScale`` makes it refuse items instead. True."""
        params: list[Any] = [key, errorRate, capacity]
        self.append_expansion(params, expansion)
        self.append_no_scale(params, noScale)
        return self._send(BF_RESERVE, params, ok)

    reserve = create

    def add(self, key: KeyT, item: EncodableT) -> Reply[int]:
        """BF.ADD: 1 if ``item`` was added, 0 if it may have been there (RESP3: booleans);
        the filter is created with the default parameters if missing."""
        return self._execute((BF_ADD, key, item))

    def madd(self, key: KeyT, *items: EncodableT) -> Reply[list[int]]:
        """BF.MADD: ``add`` for each item, one answer per item."""
        return self._execute((BF_MADD, key, *items))

    def insert(self, key: KeyT, items: Iterable[EncodableT], capacity: int | None = None,
               error: Number | None = None, noCreate: bool | None = None,
               expansion: int | None = None, noScale: bool | None = None
               ) -> Reply[list[int]]:
        """BF.INSERT: add the ``items`` (a list), creating the filter with ``capacity`` /
        ``error`` / ``expansion`` / ``noScale`` if missing (``noCreate``: an error instead)."""
        params: list[Any] = [key]
        self.append_capacity(params, capacity)
        self.append_error(params, error)
        self.append_expansion(params, expansion)
        self.append_no_create(params, noCreate)
        self.append_no_scale(params, noScale)
        self.append_items(params, items)
        return self._send(BF_INSERT, params)

    def exists(self, key: KeyT, item: EncodableT) -> Reply[int]:
        """BF.EXISTS: 1 if ``item`` may be in the filter, 0 if it certainly is not."""
        return self._execute((BF_EXISTS, key, item))

    def mexists(self, key: KeyT, *items: EncodableT) -> Reply[list[int]]:
        """BF.MEXISTS: ``exists`` for each item."""
        return self._execute((BF_MEXISTS, key, *items))

    def scandump(self, key: KeyT, iter: int) -> Reply[ScanDump]:
        """BF.SCANDUMP: ``[next_iter, chunk]`` from ``iter`` (0 to start); ``[0, None]``
        when done. Feed each chunk to ``loadchunk`` (see the module's note on decoding)."""
        return self._execute((BF_SCANDUMP, key, iter))

    def loadchunk(self, key: KeyT, iter: int, data: bytes) -> Reply[AnyStr]:
        """BF.LOADCHUNK: restore a chunk ``scandump`` gave (overwrites the key's filter)."""
        return self._execute((BF_LOADCHUNK, key, iter, data))

    def info(self, key: KeyT) -> Reply[BFInfo | dict[AnyStr, Any]]:
        """BF.INFO: a ``BFInfo`` (RESP3: the server's map)."""
        return self._execute((BF_INFO, key), _BF_INFO if self._reply_protocol() == 3 else BFInfo)

    def card(self, key: KeyT) -> Reply[int]:
        """BF.CARD: the number of items added (0 for a missing key)."""
        return self._execute((BF_CARD, key))


class CFCommands(_BloomBase[AnyStr]):
    """Cuckoo filter commands (``r.cf()``)."""

    __slots__ = ()

    def create(self, key: KeyT, capacity: int, expansion: int | None = None,
               bucket_size: int | None = None, max_iterations: int | None = None
               ) -> Reply[bool]:
        """CF.RESERVE: a Cuckoo filter for about ``capacity`` items. True."""
        params: list[Any] = [key, capacity]
        self.append_expansion(params, expansion)
        self.append_bucket_size(params, bucket_size)
        self.append_max_iterations(params, max_iterations)
        return self._send(CF_RESERVE, params, ok)

    reserve = create

    def add(self, key: KeyT, item: EncodableT) -> Reply[int]:
        """CF.ADD: add ``item`` (again, if there); 1 (RESP3: True)."""
        return self._execute((CF_ADD, key, item))

    def addnx(self, key: KeyT, item: EncodableT) -> Reply[int]:
        """CF.ADDNX: add ``item`` unless it may be there; 1 if added, else 0."""
        return self._execute((CF_ADDNX, key, item))

    def insert(self, key: KeyT, items: Iterable[EncodableT], capacity: int | None = None,
               nocreate: bool | None = None) -> Reply[list[int]]:
        """CF.INSERT: add the ``items`` (a list), creating the filter with ``capacity`` if
        missing (``nocreate``: an error instead)."""
        params: list[Any] = [key]
        self.append_capacity(params, capacity)
        self.append_no_create(params, nocreate)
        self.append_items(params, items)
        return self._send(CF_INSERT, params)

    def insertnx(self, key: KeyT, items: Iterable[EncodableT], capacity: int | None = None,
                 nocreate: bool | None = None) -> Reply[list[int]]:
        """CF.INSERTNX: ``insert``, each item only if it may not be there yet."""
        params: list[Any] = [key]
        self.append_capacity(params, capacity)
        self.append_no_create(params, nocreate)
        self.append_items(params, items)
        return self._send(CF_INSERTNX, params)

    def exists(self, key: KeyT, item: EncodableT) -> Reply[int]:
        """CF.EXISTS: 1 if ``item`` may be in the filter, 0 if it certainly is not."""
        return self._execute((CF_EXISTS, key, item))

    def mexists(self, key: KeyT, *items: EncodableT) -> Reply[list[int]]:
        """CF.MEXISTS: ``exists`` for each item."""
        return self._execute((CF_MEXISTS, key, *items))

    def delete(self, key: KeyT, item: EncodableT) -> Reply[int]:
        """CF.DEL: remove one copy of ``item``; 1 if one was found, else 0."""
        return self._execute((CF_DEL, key, item))

    def count(self, key: KeyT, item: EncodableT) -> Reply[int]:
        """CF.COUNT: how many times ``item`` may be in the filter."""
        return self._execute((CF_COUNT, key, item))

    def scandump(self, key: KeyT, iter: int) -> Reply[ScanDump]:
        """CF.SCANDUMP: ``[next_iter, chunk]`` from ``iter`` (0 to start); ``[0, None]``
        when done."""
        return self._execute((CF_SCANDUMP, key, iter))

    def loadchunk(self, key: KeyT, iter: int, data: bytes) -> Reply[AnyStr]:
        """CF.LOADCHUNK: restore a chunk ``scandump`` gave."""
        return self._execute((CF_LOADCHUNK, key, iter, data))

    def info(self, key: KeyT) -> Reply[CFInfo | dict[AnyStr, Any]]:
        """CF.INFO: a ``CFInfo`` (RESP3: the server's map)."""
        return self._execute((CF_INFO, key), _CF_INFO if self._reply_protocol() == 3 else CFInfo)


class CMSCommands(_BloomBase[AnyStr]):
    """Count-min sketch commands (``r.cms()``)."""

    __slots__ = ()

    def initbydim(self, key: KeyT, width: int, depth: int, cell_size: int | None = None
                  ) -> Reply[bool]:
        """CMS.INITBYDIM: a sketch ``width`` counters wide and ``depth`` deep; ``cell_size``
        (1, 2, 4 or 8 bytes per counter) needs a RedisBloom newer than Redis 8.2's. True."""
        params: list[Any] = [key, width, depth]
        self.append_cell_size(params, cell_size)
        return self._send(CMS_INITBYDIM, params, ok)

    def initbyprob(self, key: KeyT, error: Number, probability: Number,
                   cell_size: int | None = None) -> Reply[bool]:
        """CMS.INITBYPROB: a sketch sized for over-count ``error`` with ``probability``.
        True."""
        params: list[Any] = [key, error, probability]
        self.append_cell_size(params, cell_size)
        return self._send(CMS_INITBYPROB, params, ok)

    def incrby(self, key: KeyT, items: Iterable[EncodableT], increments: Iterable[int]
               ) -> Reply[list[int]]:
        """CMS.INCRBY: add ``increments[i]`` to ``items[i]``; the new counts."""
        params: list[Any] = [key]
        self.append_items_and_increments(params, items, increments)
        return self._send(CMS_INCRBY, params)

    def query(self, key: KeyT, *items: EncodableT) -> Reply[list[int]]:
        """CMS.QUERY: the (over-)estimated count of each item."""
        return self._execute((CMS_QUERY, key, *items))

    def merge(self, destKey: KeyT, numKeys: int, srcKeys: Iterable[KeyT],
              weights: Iterable[Number] = ()) -> Reply[bool]:
        """CMS.MERGE: ``destKey`` (which must exist, with the same dimensions) becomes the
        sum of the ``srcKeys`` sketches, each times its weight (default 1). True."""
        params: list[Any] = [destKey, numKeys, *sequence_arg(srcKeys, "srcKeys")]
        self.append_weights(params, weights)
        return self._send(CMS_MERGE, params, ok)

    def info(self, key: KeyT) -> Reply[CMSInfo | dict[AnyStr, Any]]:
        """CMS.INFO: a ``CMSInfo`` (RESP3: the server's map)."""
        return self._execute((CMS_INFO, key), _CMS_INFO if self._reply_protocol() == 3 else CMSInfo)


class TOPKCommands(_BloomBase[AnyStr]):
    """Top-K commands (``r.topk()``)."""

    __slots__ = ()

    def _listing(self) -> ReplyCallback | None:
        # redis-py parses these over RESP2 only, and the reply does not show its protocol
        return parse_to_list if self._reply_protocol() == 2 else None

    def reserve(self, key: KeyT, k: int, width: int, depth: int, decay: Number
                ) -> Reply[bool]:
        """TOPK.RESERVE: keep the ``k`` most frequent items (sketch ``width`` x ``depth``,
        ``decay`` of the counters of items that lose a slot). True."""
        return self._execute((TOPK_RESERVE, key, k, width, depth, decay), ok)

    def add(self, key: KeyT, *items: EncodableT) -> Reply[ModuleList]:
        """TOPK.ADD: for each item, the item it pushed out of the top k, or None."""
        return self._execute((TOPK_ADD, key, *items), self._listing())

    def incrby(self, key: KeyT, items: Iterable[EncodableT], increments: Iterable[int]
               ) -> Reply[ModuleList]:
        """TOPK.INCRBY: add ``increments[i]`` to ``items[i]``; what each pushed out, or None."""
        params: list[Any] = [key]
        self.append_items_and_increments(params, items, increments)
        return self._send(TOPK_INCRBY, params, self._listing())

    def query(self, key: KeyT, *items: EncodableT) -> Reply[list[int]]:
        """TOPK.QUERY: 1 for each item in the top k, else 0 (RESP3: booleans)."""
        return self._execute((TOPK_QUERY, key, *items))

    def count(self, key: KeyT, *items: EncodableT) -> Reply[list[int]]:
        """TOPK.COUNT: the estimated count of each item. Deprecated by RedisBloom 2.4
        (a DeprecationWarning, as redis-py): use ``list(key, withcount=True)``."""
        warnings.warn("Call to deprecated method count. (deprecated since redisbloom 2.4.0)"
                      " -- Deprecated since version 4.4.0.", DeprecationWarning, stacklevel=2)
        return self._execute((TOPK_COUNT, key, *items))

    def info(self, key: KeyT) -> Reply[TopKInfo | dict[AnyStr, Any]]:
        """TOPK.INFO: a ``TopKInfo`` (RESP3: the server's map)."""
        return self._execute((TOPK_INFO, key), _TOPK_INFO if self._reply_protocol() == 3 else TopKInfo)

    def list(self, key: KeyT, withcount: bool = False) -> Reply[ModuleList]:
        """TOPK.LIST: the top k items; ``withcount``: ``[item, count, item, count ...]``."""
        if withcount:
            return self._execute((TOPK_LIST, key, "WITHCOUNT"), self._listing())
        return self._execute((TOPK_LIST, key), self._listing())


class TDigestCommands(_BloomBase[AnyStr]):
    """t-digest commands (``r.tdigest()``)."""

    __slots__ = ()

    def create(self, key: KeyT, compression: int = 100) -> Reply[bool]:
        """TDIGEST.CREATE: an empty sketch with ``compression``. True."""
        return self._execute((TDIGEST_CREATE, key, "COMPRESSION", compression), ok)

    def reset(self, key: KeyT) -> Reply[AnyStr]:
        """TDIGEST.RESET: empty the sketch; the server's ``OK``."""
        return self._execute((TDIGEST_RESET, key))

    def add(self, key: KeyT, values: Iterable[Number]) -> Reply[AnyStr]:
        """TDIGEST.ADD: add the observations ``values`` (a list); the server's ``OK``."""
        return self._send(TDIGEST_ADD, [key, *sequence_arg(values, "values")])

    def merge(self, destination_key: KeyT, num_keys: int, *keys: KeyT,
              compression: int | None = None, override: bool = False) -> Reply[AnyStr]:
        """TDIGEST.MERGE: merge the ``num_keys`` sketches ``keys`` into
        ``destination_key`` (into what it holds unless ``override``); the server's ``OK``."""
        params: list[Any] = [destination_key, num_keys, *keys]
        if compression is not None:
            params.extend(("COMPRESSION", compression))
        if override:
            params.append("OVERRIDE")
        return self._send(TDIGEST_MERGE, params)

    def min(self, key: KeyT) -> Reply[float]:
        """TDIGEST.MIN: the smallest observation (nan when empty)."""
        return self._execute((TDIGEST_MIN, key), float)

    def max(self, key: KeyT) -> Reply[float]:
        """TDIGEST.MAX: the largest observation (nan when empty)."""
        return self._execute((TDIGEST_MAX, key), float)

    def quantile(self, key: KeyT, quantile: Number, *quantiles: Number) -> Reply[ModuleList]:
        """TDIGEST.QUANTILE: the estimated value at each quantile."""
        return self._execute((TDIGEST_QUANTILE, key, quantile, *quantiles), parse_to_list)

    def cdf(self, key: KeyT, value: Number, *values: Number) -> Reply[ModuleList]:
        """TDIGEST.CDF: the estimated fraction of observations <= each value."""
        return self._execute((TDIGEST_CDF, key, value, *values), parse_to_list)

    def info(self, key: KeyT) -> Reply[TDigestInfo | dict[AnyStr, Any]]:
        """TDIGEST.INFO: a ``TDigestInfo`` (RESP3: the server's map)."""
        return self._execute((TDIGEST_INFO, key), _TDIGEST_INFO if self._reply_protocol() == 3 else TDigestInfo)

    def trimmed_mean(self, key: KeyT, low_cut_quantile: Number, high_cut_quantile: Number
                     ) -> Reply[float]:
        """TDIGEST.TRIMMED_MEAN: the mean of the observations between the two quantiles."""
        return self._execute((TDIGEST_TRIMMED_MEAN, key, low_cut_quantile, high_cut_quantile),
                             float)

    def rank(self, key: KeyT, value: Number, *values: Number) -> Reply[list[int]]:
        """TDIGEST.RANK: the estimated rank of each value (-1 below the minimum)."""
        return self._execute((TDIGEST_RANK, key, value, *values))

    def revrank(self, key: KeyT, value: Number, *values: Number) -> Reply[list[int]]:
        """TDIGEST.REVRANK: the estimated reverse rank of each value."""
        return self._execute((TDIGEST_REVRANK, key, value, *values))

    def byrank(self, key: KeyT, rank: int, *ranks: int) -> Reply[ModuleList]:
        """TDIGEST.BYRANK: the estimated value with each rank (``inf`` past the end)."""
        return self._execute((TDIGEST_BYRANK, key, rank, *ranks), parse_to_list)

    def byrevrank(self, key: KeyT, rank: int, *ranks: int) -> Reply[ModuleList]:
        """TDIGEST.BYREVRANK: the estimated value with each reverse rank."""
        return self._execute((TDIGEST_BYREVRANK, key, rank, *ranks), parse_to_list)
