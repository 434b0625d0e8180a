"""``TSInfo``: what ``ts().info(key)`` returns over RESP2, redis-py's class with the same
attributes. It reads a RESP2 reply (a flat ``[name, value, ...]`` list) or the RESP3 map, so
a ``protocol=3`` client, which gets the map (as from redis-py), can write
``TSInfo(await r.ts().info(key))``."""

from __future__ import annotations

from typing import Any

from .._base import InfoRecord
from .utils import _nativestr, list_to_dict

__all__ = ["TSInfo"]

# RESP3's camelCase names -> the attributes, so ``info[name]`` works with either spelling
_FIELD_ALIASES = {
    "sourceKey": "source_key",
    "chunkCount": "chunk_count",
    "memoryUsage": "memory_usage",
    "totalSamples": "total_samples",
    "retentionTime": "retention_msecs",
    "lastTimestamp": "last_timestamp",
    "firstTimestamp": "first_timestamp",
    "maxSamplesPerChunk": "max_samples_per_chunk",
    "chunkSize": "chunk_size",
    "duplicatePolicy": "duplicate_policy",
}


def _str_if_bytes(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class TSInfo(InfoRecord):
    """TS.INFO: ``rules``, ``labels`` (a dict of str), ``source_key``, ``chunk_count``,
    ``memory_usage``, ``total_samples``, ``retention_msecs``, ``last_timestamp``,
    ``first_timestamp``, ``max_samples_per_chunk``, ``chunk_size``, ``duplicate_policy``
    (a str, or None). ``rules`` is RESP2's list of ``[dest_key, bucket, aggregator,
    alignment]`` (from a RESP3 map as well); with ``unified=True`` a dict
    ``{dest_key: [bucket, aggregator, alignment]}`` instead. ``info["chunkSize"]``,
    ``info["chunk_size"]`` and ``info.get(name)`` (None for an unknown name) as in redis-py.
    """

    rules: Any = []
    labels: Any = []
    sourceKey: Any = None
    chunk_count: Any = None
    memory_usage: Any = None
    total_samples: Any = None
    retention_msecs: Any = None
    last_time_stamp: Any = None
    first_time_stamp: Any = None
    max_samples_per_chunk: Any = None
    chunk_size: Any = None
    duplicate_policy: Any = None

    def __init__(self, args: Any, unified: bool = False) -> None:
        if isinstance(args, dict):  # RESP3: a map (bytes keys unless decoded)
            response = {_nativestr(k): v for k, v in args.items()}
            rules = response.get("rules") or {}
            self.rules = rules if unified else [[key, *rule] for key, rule in rules.items()]
            labels = response.get("labels") or {}
            self.labels = {_str_if_bytes(k): _str_if_bytes(v) for k, v in labels.items()}
        else:  # RESP2: flat name, value pairs
            response = dict(zip(map(_nativestr, args[::2]), args[1::2]))
            rules = response.get("rules")
            self.rules = {rule[0]: rule[1:] for rule in rules or []} if unified else rules
            self.labels = list_to_dict(response.get("labels") or [])
        self.source_key = response.get("sourceKey")
        self.chunk_count = response.get("chunkCount")
        self.memory_usage = response.get("memoryUsage")
        self.total_samples = response.get("totalSamples")
        self.retention_msecs = response.get("retentionTime")
        self.last_timestamp = response.get("lastTimestamp")
        self.first_timestamp = response.get("firstTimestamp")
        if "maxSamplesPerChunk" in response:
            self.max_samples_per_chunk = response["maxSamplesPerChunk"]
            self.chunk_size = self.max_samples_per_chunk * 16  # older modules' field
        if "chunkSize" in response:
            self.chunk_size = response["chunkSize"]
        if "duplicatePolicy" in response:
            self.duplicate_policy = _str_if_bytes(response["duplicatePolicy"])

    def __getitem__(self, item: str) -> Any:
        """The attribute ``item``, in either spelling (``info["chunkSize"]``,
        ``info["chunk_size"]``); ``get(item)`` is None when there is none."""
        return getattr(self, _FIELD_ALIASES.get(item, item))
