"""What ``info()`` of the RedisBloom families returns over RESP2: redis-py's classes, with
the same attributes (``BFInfo(...).capacity``, ``TopKInfo(...).decay`` ...), ``info[name]``
and ``info.get(name)``.

Each accepts a RESP2 reply (a flat ``[name, value, ...]`` list) or a RESP3 map, so a
``protocol=3`` client, which gets the map (as from redis-py), can still write
``BFInfo(await r.bf().info(key))``. Values are kept as the server sent them (TOPK.INFO's
decay is a bulk string over RESP2, as in redis-py); they compare equal when their
attributes do."""

from __future__ import annotations

from typing import Any

from .._base import InfoRecord

__all__ = ["BFInfo", "CFInfo", "CMSInfo", "TDigestInfo", "TopKInfo"]


def _parse_info_args(args: Any) -> dict[str, Any]:
    """Field name (str, decoded as redis-py's ``nativestr``) -> value, from either protocol."""
    if isinstance(args, dict):
        pairs: Any = args.items()
    else:
        it = iter(args)
        pairs = zip(it, it)
    return {(k.decode("utf-8", "replace") if isinstance(k, bytes) else k): v for k, v in pairs}


class BFInfo(InfoRecord):
    """BF.INFO: ``capacity``, ``size`` (bytes), ``filterNum``, ``insertedNum``,
    ``expansionRate``."""

    capacity: Any = None
    size: Any = None
    filterNum: Any = None
    insertedNum: Any = None
    expansionRate: Any = None

    def __init__(self, args: Any) -> None:
        response = _parse_info_args(args)
        self.capacity = response["Capacity"]
        self.size = response["Size"]
        self.filterNum = response["Number of filters"]
        self.insertedNum = response["Number of items inserted"]
        self.expansionRate = response["Expansion rate"]


class CFInfo(InfoRecord):
    """CF.INFO: ``size``, ``bucketNum``, ``filterNum``, ``insertedNum``, ``deletedNum``,
    ``bucketSize``, ``expansionRate``, ``maxIteration``."""

    size: Any = None
    bucketNum: Any = None
    filterNum: Any = None
    insertedNum: Any = None
    deletedNum: Any = None
    bucketSize: Any = None
    expansionRate: Any = None
    maxIteration: Any = None

    def __init__(self, args: Any) -> None:
        response = _parse_info_args(args)
        self.size = response["Size"]
        self.bucketNum = response["Number of buckets"]
        self.filterNum = response["Number of filters"]
        self.insertedNum = response["Number of items inserted"]
        self.deletedNum = response["Number of items deleted"]
        self.bucketSize = response["Bucket size"]
        self.expansionRate = response["Expansion rate"]
        self.maxIteration = response["Max iterations"]


class CMSInfo(InfoRecord):
    """CMS.INFO: ``width``, ``depth``, ``count``, and ``cell_size`` on RedisBloom versions
    that report it (None on the others)."""

    width: Any = None
    depth: Any = None
    count: Any = None
    cell_size: Any = None

    def __init__(self, args: Any) -> None:
        response = _parse_info_args(args)
        self.width = response["width"]
        self.depth = response["depth"]
        self.count = response["count"]
        self.cell_size = response.get("cell_size")


class TopKInfo(InfoRecord):
    """TOPK.INFO: ``k``, ``width``, ``depth``, ``decay`` (as the server sent it: a bulk
    string over RESP2, a float over RESP3)."""

    k: Any = None
    width: Any = None
    depth: Any = None
    decay: Any = None

    def __init__(self, args: Any) -> None:
        response = _parse_info_args(args)
        self.k = response["k"]
        self.width = response["width"]
        self.depth = response["depth"]
        self.decay = response["decay"]


class TDigestInfo(InfoRecord):
    """TDIGEST.INFO: ``compression``, ``capacity``, ``merged_nodes``, ``unmerged_nodes``,
    ``merged_weight``, ``unmerged_weight``, ``total_compressions``, ``memory_usage``."""

    compression: Any = None
    capacity: Any = None
    merged_nodes: Any = None
    unmerged_nodes: Any = None
    merged_weight: Any = None
    unmerged_weight: Any = None
    total_compressions: Any = None
    memory_usage: Any = None

    def __init__(self, args: Any) -> None:
        response = _parse_info_args(args)
        self.compression = response["Compression"]
        self.capacity = response["Capacity"]
        self.merged_nodes = response["Merged nodes"]
        self.unmerged_nodes = response["Unmerged nodes"]
        self.merged_weight = response["Merged weight"]
        self.unmerged_weight = response["Unmerged weight"]
        self.total_compressions = response["Total compressions"]
        self.memory_usage = response["Memory usage"]
