"""The RedisTimeSeries command mixin (TS.*), with redis-py 8.2's method names, parameters,
argument order and reply shapes (see ``utils.py`` for the shapes per protocol).

What redis-py would send as something else than the caller meant is refused with
``DataError`` before anything is sent: a string where a list is expected (``filters``,
``filter_by_ts``, ``select_labels``, ``keys``: redis-py sends it one character per
argument), ``labels`` that are not a dict, a ``madd`` entry that is not a (key, timestamp,
value) triple, ``groupby`` without ``reduce`` or the reverse (redis-py drops both and returns
ungrouped series), ``aggregation_type`` without a bucket size. ``ignore_max_time_diff``
without ``ignore_max_val_diff`` (or the reverse) is a DataError here, a ValueError in
redis-py. TS.READ with ``block_milliseconds`` blocks server-side: it takes a connection of
its own, like XREAD BLOCK.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, AnyStr, Union

from ...exceptions import DataError
from .._base import STRING_TYPES, CommandsBase, ReplyCallback, flatten_mapping, ok, sequence_arg
from ..bf.commands import parse_to_list
from .info import TSInfo
from .utils import (
    parse_get,
    parse_m_get,
    parse_m_range,
    parse_n_range,
    parse_query_labels,
    parse_range,
    parse_range_unified,
)

if TYPE_CHECKING:
    from ...typing import KeyT, Number, Reply

__all__ = ["TimeSeriesCommands"]

ADD_CMD = "TS.ADD"
ALTER_CMD = "TS.ALTER"
CREATERULE_CMD = "TS.CREATERULE"
CREATE_CMD = "TS.CREATE"
DECRBY_CMD = "TS.DECRBY"
DELETERULE_CMD = "TS.DELETERULE"
DEL_CMD = "TS.DEL"
GET_CMD = "TS.GET"
INCRBY_CMD = "TS.INCRBY"
INFO_CMD = "TS.INFO"
MADD_CMD = "TS.MADD"
MGET_CMD = "TS.MGET"
MRANGE_CMD = "TS.MRANGE"
MREVRANGE_CMD = "TS.MREVRANGE"
NRANGE_CMD = "TS.NRANGE"
NREVRANGE_CMD = "TS.NREVRANGE"
QUERYINDEX_CMD = "TS.QUERYINDEX"
QUERYLABELS_CMD = "TS.QUERYLABELS"
RANGE_CMD = "TS.RANGE"
READ_CMD = "TS.READ"
REVRANGE_CMD = "TS.REVRANGE"

#: a sample: ``(timestamp, value)`` over RESP2, ``[timestamp, value]`` over RESP3
Sample = Union[tuple[int, float], list[Any]]
#: TS.RANGE's result: samples (with several aggregators, one value per aggregator)
RangeResult = list[Any]
#: TS.MGET / TS.MRANGE: a list of one-key dicts over RESP2, the server's map over RESP3
MultiResult = Union[list[dict[str, list[Any]]], dict[Any, list[Any]]]


def _info(reply: Any) -> Any:
    return TSInfo(reply)


def _ok(reply: Any) -> bool:
    return ok(reply)


class TimeSeriesCommands(CommandsBase[AnyStr]):
    """RedisTimeSeries commands (``r.ts()``)."""

    __slots__ = ()

    def _resp2(self, callback: ReplyCallback) -> ReplyCallback | None:
        # redis-py shapes these over RESP2 only (RESP3: the server's reply), and the reply
        # does not always show its protocol (TS.GET, TS.RANGE: arrays on both)
        return callback if self._reply_protocol() == 2 else None

    def create(self, key: KeyT, retention_msecs: int | None = None,
               uncompressed: bool | None = False, labels: dict[str, str] | None = None,
               chunk_size: int | None = None, duplicate_policy: str | None = None,
               ignore_max_time_diff: int | None = None,
               ignore_max_val_diff: Number | None = None) -> Reply[bool]:
        """TS.CREATE: a new series (RETENTION, ENCODING UNCOMPRESSED, CHUNK_SIZE,
        DUPLICATE_POLICY, IGNORE, LABELS when given). True."""
        params: list[Any] = [CREATE_CMD, key]
        self._append_retention(params, retention_msecs)
        self._append_uncompressed(params, uncompressed)
        self._append_chunk_size(params, chunk_size)
        self._append_duplicate_policy(params, duplicate_policy)
        self._append_insertion_filters(params, ignore_max_time_diff, ignore_max_val_diff)
        self._append_labels(params, labels)
        return self._execute(tuple(params), _ok)

    def alter(self, key: KeyT, retention_msecs: int | None = None,
              labels: dict[str, str] | None = None, chunk_size: int | None = None,
              duplicate_policy: str | None = None, ignore_max_time_diff: int | None = None,
              ignore_max_val_diff: Number | None = None) -> Reply[bool]:
        """TS.ALTER: change a series' options; ``labels`` replaces all its labels. True."""
        params: list[Any] = [ALTER_CMD, key]
        self._append_retention(params, retention_msecs)
        self._append_chunk_size(params, chunk_size)
        self._append_duplicate_policy(params, duplicate_policy)
        self._append_insertion_filters(params, ignore_max_time_diff, ignore_max_val_diff)
        self._append_labels(params, labels)
        return self._execute(tuple(params), _ok)

    def add(self, key: KeyT, timestamp: int | str, value: Number | str,
            retention_msecs: int | None = None, uncompressed: bool | None = False,
            labels: dict[str, str] | None = None, chunk_size: int | None = None,
            duplicate_policy: str | None = None, ignore_max_time_diff: int | None = None,
            ignore_max_val_diff: Number | None = None, on_duplicate: str | None = None
            ) -> Reply[int]:
        """TS.ADD: append a sample (``timestamp`` ``"*"``: the server's clock), creating
        the series with the options if missing; the sample's timestamp."""
        params: list[Any] = [ADD_CMD, key, timestamp, value]
        self._append_retention(params, retention_msecs)
        self._append_uncompressed(params, uncompressed)
        self._append_chunk_size(params, chunk_size)
        self._append_duplicate_policy(params, duplicate_policy)
        self._append_insertion_filters(params, ignore_max_time_diff, ignore_max_val_diff)
        self._append_on_duplicate(params, on_duplicate)
        self._append_labels(params, labels)
        return self._execute(tuple(params))

    def madd(self, ktv_tuples: list[tuple[KeyT, int | str, Number | str]]) -> Reply[list[Any]]:
        """TS.MADD: ``[(key, timestamp, value), ...]``; each sample's timestamp (or the
        error for that sample)."""
        params: list[Any] = [MADD_CMD]
        for ktv in sequence_arg(ktv_tuples, "ktv_tuples"):
            if isinstance(ktv, STRING_TYPES) or not isinstance(ktv, Sequence) or len(ktv) != 3:
                raise DataError(f"ktv_tuples takes (key, timestamp, value) triples, got {ktv!r}")
            params.extend(ktv)
        return self._execute(tuple(params))

    def incrby(self, key: KeyT, value: Number, timestamp: int | str | None = None,
               retention_msecs: int | None = None, uncompressed: bool | None = False,
               labels: dict[str, str] | None = None, chunk_size: int | None = None,
               duplicate_policy: str | None = None, ignore_max_time_diff: int | None = None,
               ignore_max_val_diff: Number | None = None) -> Reply[int]:
        """TS.INCRBY: a sample of the latest value plus ``value``; its timestamp."""
        return self._incr_decr(INCRBY_CMD, key, value, timestamp, retention_msecs,
                               uncompressed, labels, chunk_size, duplicate_policy,
                               ignore_max_time_diff, ignore_max_val_diff)

    def decrby(self, key: KeyT, value: Number, timestamp: int | str | None = None,
               retention_msecs: int | None = None, uncompressed: bool | None = False,
               labels: dict[str, str] | None = None, chunk_size: int | None = None,
               duplicate_policy: str | None = None, ignore_max_time_diff: int | None = None,
               ignore_max_val_diff: Number | None = None) -> Reply[int]:
        """TS.DECRBY: a sample of the latest value minus ``value``; its timestamp."""
        return self._incr_decr(DECRBY_CMD, key, value, timestamp, retention_msecs,
                               uncompressed, labels, chunk_size, duplicate_policy,
                               ignore_max_time_diff, ignore_max_val_diff)

    def _incr_decr(self, command: str, key: KeyT, value: Number, timestamp: Any,
                   retention_msecs: Any, uncompressed: Any, labels: Any, chunk_size: Any,
                   duplicate_policy: Any, ignore_max_time_diff: Any,
                   ignore_max_val_diff: Any) -> Reply[int]:
        params: list[Any] = [command, key, value]
        self._append_timestamp(params, timestamp)
        self._append_retention(params, retention_msecs)
        self._append_uncompressed(params, uncompressed)
        self._append_chunk_size(params, chunk_size)
        self._append_duplicate_policy(params, duplicate_policy)
        self._append_insertion_filters(params, ignore_max_time_diff, ignore_max_val_diff)
        self._append_labels(params, labels)
        return self._execute(tuple(params))

    def delete(self, key: KeyT, from_time: int, to_time: int) -> Reply[int]:
        """TS.DEL: remove the samples between the two timestamps (inclusive); how many."""
        return self._execute((DEL_CMD, key, from_time, to_time))

    def createrule(self, source_key: KeyT, dest_key: KeyT, aggregation_type: str,
                   bucket_size_msec: int, align_timestamp: int | None = None) -> Reply[bool]:
        """TS.CREATERULE: compact ``source_key`` into ``dest_key`` (which must exist) with
        ``aggregation_type`` per bucket (buckets aligned to ``align_timestamp``). True."""
        params: list[Any] = [CREATERULE_CMD, source_key, dest_key]
        self._append_aggregation(params, aggregation_type, bucket_size_msec)
        if align_timestamp is not None:
            params.append(align_timestamp)
        return self._execute(tuple(params), _ok)

    def deleterule(self, source_key: KeyT, dest_key: KeyT) -> Reply[bool]:
        """TS.DELETERULE: remove the compaction rule. True."""
        return self._execute((DELETERULE_CMD, source_key, dest_key), _ok)

    def _range_params(self, command: str, key: KeyT, from_time: Any, to_time: Any,
                      count: Any, aggregation_type: Any, bucket_size_msec: Any,
                      filter_by_ts: Any, filter_by_min_value: Any, filter_by_max_value: Any,
                      align: Any, latest: Any, bucket_timestamp: Any, empty: Any
                      ) -> tuple[Any, ...]:
        params: list[Any] = [command, key, from_time, to_time]
        self._append_latest(params, latest)
        self._append_filer_by_ts(params, filter_by_ts)
        self._append_filer_by_value(params, filter_by_min_value, filter_by_max_value)
        self._append_count(params, count)
        self._append_align(params, align)
        self._append_aggregation(params, aggregation_type, bucket_size_msec)
        self._append_bucket_timestamp(params, bucket_timestamp)
        self._append_empty(params, empty)
        return tuple(params)

    def range(self, key: KeyT, from_time: int | str, to_time: int | str,
              count: int | None = None, aggregation_type: str | list[str] | None = None,
              bucket_size_msec: int | None = 0, filter_by_ts: list[int] | None = None,
              filter_by_min_value: int | None = None, filter_by_max_value: int | None = None,
              align: int | str | None = None, latest: bool | None = False,
              bucket_timestamp: str | None = None, empty: bool | None = False
              ) -> Reply[RangeResult]:
        """TS.RANGE: the samples from ``from_time`` to ``to_time`` (``"-"``/``"+"``:
        the first/last), filtered, counted, aggregated per ``bucket_size_msec`` (a list of
        aggregators: one value each, Redis 8.8+); ``[(timestamp, value), ...]``."""
        args = self._range_params(RANGE_CMD, key, from_time, to_time, count,
                                  aggregation_type, bucket_size_msec, filter_by_ts,
                                  filter_by_min_value, filter_by_max_value, align, latest,
                                  bucket_timestamp, empty)
        return self._execute(args, self._resp2(parse_range))

    def revrange(self, key: KeyT, from_time: int | str, to_time: int | str,
                 count: int | None = None, aggregation_type: str | list[str] | None = None,
                 bucket_size_msec: int | None = 0, filter_by_ts: list[int] | None = None,
                 filter_by_min_value: int | None = None,
                 filter_by_max_value: int | None = None, align: int | str | None = None,
                 latest: bool | None = False, bucket_timestamp: str | None = None,
                 empty: bool | None = False) -> Reply[RangeResult]:
        """TS.REVRANGE: ``range``, newest first."""
        args = self._range_params(REVRANGE_CMD, key, from_time, to_time, count,
                                  aggregation_type, bucket_size_msec, filter_by_ts,
                                  filter_by_min_value, filter_by_max_value, align, latest,
                                  bucket_timestamp, empty)
        return self._execute(args, self._resp2(parse_range))

    def read(self, key: KeyT, timestamp: int | str, block_milliseconds: int | None = None,
             block_min_count: int | None = None, max_count: int | None = None
             ) -> Reply[list[list[Any]]]:
        """TS.READ (a Redis release after 8.2): the samples after ``timestamp``, waiting up to
        ``block_milliseconds`` for ``block_min_count`` (default 1) of them (on a connection
        of its own); ``[[timestamp, value], ...]`` on both protocols."""
        params: list[Any] = [READ_CMD, key, timestamp]
        self._append_block(params, block_milliseconds, block_min_count)
        self._append_max_count(params, max_count)
        if block_milliseconds is not None:
            return self._execute_blocking(tuple(params), parse_range_unified)
        return self._execute(tuple(params), parse_range_unified)

    def _n_range_params(self, command: str, keys: Any, from_time: Any, to_time: Any,
                        count: Any, aggregators: Any, bucket_size_msec: Any,
                        filter_by_ts: Any, filter_by_min_value: Any,
                        filter_by_max_value: Any, align: Any, latest: Any,
                        bucket_timestamp: Any, empty: Any) -> tuple[Any, ...]:
        keys = sequence_arg(keys, "keys")
        if not keys:
            raise DataError("At least one key must be provided.")
        params: list[Any] = [command, len(keys), *keys, from_time, to_time]
        self._append_latest(params, latest)
        self._append_filer_by_ts(params, filter_by_ts)
        self._append_filer_by_value(params, filter_by_min_value, filter_by_max_value)
        self._append_count(params, count)
        self._append_align(params, align)
        self._append_n_aggregation(params, aggregators, bucket_size_msec, len(keys))
        self._append_bucket_timestamp(params, bucket_timestamp)
        self._append_empty(params, empty)
        return tuple(params)

    def nrange(self, keys: list[KeyT], from_time: int | str, to_time: int | str,
               count: int | None = None, aggregators: str | list[str] | None = None,
               bucket_size_msec: int | None = 0, filter_by_ts: list[int] | None = None,
               filter_by_min_value: int | None = None, filter_by_max_value: int | None = None,
               align: int | str | None = None, latest: bool | None = False,
               bucket_timestamp: str | None = None, empty: bool | None = False
               ) -> Reply[list[list[Any]]]:
        """TS.NRANGE (a Redis release after 8.2): the samples of several series joined by timestamp,
        ``[[timestamp, [value per key ...]], ...]`` (NaN where a series has none);
        ``aggregators``: one spec per key."""
        args = self._n_range_params(NRANGE_CMD, keys, from_time, to_time, count, aggregators,
                                    bucket_size_msec, filter_by_ts, filter_by_min_value,
                                    filter_by_max_value, align, latest, bucket_timestamp, empty)
        return self._execute(args, parse_n_range)

    def nrevrange(self, keys: list[KeyT], from_time: int | str, to_time: int | str,
                  count: int | None = None, aggregators: str | list[str] | None = None,
                  bucket_size_msec: int | None = 0, filter_by_ts: list[int] | None = None,
                  filter_by_min_value: int | None = None,
                  filter_by_max_value: int | None = None, align: int | str | None = None,
                  latest: bool | None = False, bucket_timestamp: str | None = None,
                  empty: bool | None = False) -> Reply[list[list[Any]]]:
        """TS.NREVRANGE (a Redis release after 8.2): ``nrange``, newest first."""
        args = self._n_range_params(NREVRANGE_CMD, keys, from_time, to_time, count,
                                    aggregators, bucket_size_msec, filter_by_ts,
                                    filter_by_min_value, filter_by_max_value, align, latest,
                                    bucket_timestamp, empty)
        return self._execute(args, parse_n_range)

    def _mrange_params(self, command: str, aggregation_type: Any, bucket_size_msec: Any,
                       count: Any, filters: Any, from_time: Any, to_time: Any,
                       with_labels: Any, filter_by_ts: Any, filter_by_min_value: Any,
                       filter_by_max_value: Any, groupby: Any, reduce: Any,
                       select_labels: Any, align: Any, latest: Any, bucket_timestamp: Any,
                       empty: Any, exclude_empty: Any) -> tuple[Any, ...]:
        if groupby is not None and isinstance(aggregation_type, list) and len(aggregation_type) > 1:
            raise DataError("GROUPBY is not allowed when multiple aggregators are specified")
        if exclude_empty and groupby is not None:
            raise DataError("EXCLUDEEMPTY is not allowed with GROUPBY")
        params: list[Any] = [command, from_time, to_time]
        self._append_latest(params, latest)
        self._append_filer_by_ts(params, filter_by_ts)
        self._append_filer_by_value(params, filter_by_min_value, filter_by_max_value)
        self._append_with_labels(params, with_labels, select_labels)
        self._append_count(params, count)
        self._append_align(params, align)
        self._append_aggregation(params, aggregation_type, bucket_size_msec)
        self._append_bucket_timestamp(params, bucket_timestamp)
        self._append_empty(params, empty)
        self._append_exclude_empty(params, exclude_empty)
        self._append_filters(params, filters)
        self._append_groupby_reduce(params, groupby, reduce)
        return tuple(params)

    def mrange(self, from_time: int | str, to_time: int | str, filters: list[str],
               count: int | None = None, aggregation_type: str | list[str] | None = None,
               bucket_size_msec: int | None = 0, with_labels: bool | None = False,
               filter_by_ts: list[int] | None = None, filter_by_min_value: int | None = None,
               filter_by_max_value: int | None = None, groupby: str | None = None,
               reduce: str | None = None, select_labels: list[str] | None = None,
               align: int | str | None = None, latest: bool | None = False,
               bucket_timestamp: str | None = None, empty: bool | None = False,
               exclude_empty: bool | None = False) -> Reply[MultiResult]:
        """TS.MRANGE: ``range`` over every series matching ``filters`` (label
        expressions), optionally grouped (``groupby`` label, ``reduce`` reducer);
        ``[{key: [labels, samples]}, ...]`` sorted by key (RESP3: the server's map)."""
        args = self._mrange_params(MRANGE_CMD, aggregation_type, bucket_size_msec, count,
                                   filters, from_time, to_time, with_labels, filter_by_ts,
                                   filter_by_min_value, filter_by_max_value, groupby, reduce,
                                   select_labels, align, latest, bucket_timestamp, empty,
                                   exclude_empty)
        return self._execute(args, self._resp2(parse_m_range))

    def mrevrange(self, from_time: int | str, to_time: int | str, filters: list[str],
                  count: int | None = None, aggregation_type: str | list[str] | None = None,
                  bucket_size_msec: int | None = 0, with_labels: bool | None = False,
                  filter_by_ts: list[int] | None = None,
                  filter_by_min_value: int | None = None,
                  filter_by_max_value: int | None = None, groupby: str | None = None,
                  reduce: str | None = None, select_labels: list[str] | None = None,
                  align: int | str | None = None, latest: bool | None = False,
                  bucket_timestamp: str | None = None, empty: bool | None = False,
                  exclude_empty: bool | None = False) -> Reply[MultiResult]:
        """TS.MREVRANGE: ``mrange``, newest first."""
        args = self._mrange_params(MREVRANGE_CMD, aggregation_type, bucket_size_msec, count,
                                   filters, from_time, to_time, with_labels, filter_by_ts,
                                   filter_by_min_value, filter_by_max_value, groupby, reduce,
                                   select_labels, align, latest, bucket_timestamp, empty,
                                   exclude_empty)
        return self._execute(args, self._resp2(parse_m_range))

    def get(self, key: KeyT, latest: bool | None = False) -> Reply[Sample | None]:
        """TS.GET: the last sample ``(timestamp, value)``, None for an empty series
        (RESP3: ``[timestamp, value]`` or ``[]``)."""
        if latest:
            return self._execute((GET_CMD, key, "LATEST"), self._resp2(parse_get))
        return self._execute((GET_CMD, key), self._resp2(parse_get))

    def mget(self, filters: list[str], with_labels: bool | None = False,
             select_labels: list[str] | None = None, latest: bool | None = False
             ) -> Reply[MultiResult]:
        """TS.MGET: the last sample of every series matching ``filters``;
        ``[{key: [labels, timestamp, value]}, ...]`` sorted by key (RESP3: the map)."""
        params: list[Any] = [MGET_CMD]
        self._append_latest(params, latest)
        self._append_with_labels(params, with_labels, select_labels)
        self._append_filters(params, filters)
        return self._execute(tuple(params), self._resp2(parse_m_get))

    def info(self, key: KeyT) -> Reply[TSInfo | dict[AnyStr, Any]]:
        """TS.INFO: a ``TSInfo`` (RESP3: the server's map)."""
        return self._execute((INFO_CMD, key), self._resp2(_info))

    def queryindex(self, filters: list[str]) -> Reply[list[Any]]:
        """TS.QUERYINDEX: the keys of the series matching ``filters`` (RESP2 through
        redis-py's ``parse_to_list``: a key named like a number becomes that number)."""
        params: list[Any] = [QUERYINDEX_CMD, *sequence_arg(filters, "filters")]
        return self._execute(tuple(params), self._resp2(parse_to_list))

    def querylabels(self, label: str | None = None, filters: Iterable[str] | None = None
                    ) -> Reply[set[Any]]:
        """TS.QUERYLABELS (a Redis release after 8.2): the label names in use (``label``: that label's
        values), of the series matching ``filters`` (None: all); a set."""
        params: list[Any] = [QUERYLABELS_CMD, "LABELS"] if label is None else [QUERYLABELS_CMD, "VALUES", label]
        self._append_filter_expressions(params, filters)
        return self._execute(tuple(params), parse_query_labels)

    # ---------------------------------------------------- redis-py's argument helpers
    @staticmethod
    def _append_filters(params: list[Any], filters: Any) -> None:
        params.append("FILTER")
        params += sequence_arg(filters, "filters")

    @staticmethod
    def _append_filter_expressions(params: list[Any], filters: Any) -> None:
        if filters is None:
            return
        filters = sequence_arg(filters, "filters")
        if not filters:
            raise DataError("filters cannot be an empty collection; pass None to query all "
                            "indexed series.")
        params.append("FILTER")
        params.extend(filters)

    @staticmethod
    def _append_uncompressed(params: list[Any], uncompressed: Any) -> None:
        if uncompressed:
            params.extend(("ENCODING", "UNCOMPRESSED"))

    @staticmethod
    def _append_with_labels(params: list[Any], with_labels: Any, select_labels: Any) -> None:
        if with_labels and select_labels:
            raise DataError("with_labels and select_labels cannot be provided together.")
        if with_labels:
            params.append("WITHLABELS")
        if select_labels:
            params.extend(("SELECTED_LABELS", *sequence_arg(select_labels, "select_labels")))

    @staticmethod
    def _append_groupby_reduce(params: list[Any], groupby: Any, reduce: Any) -> None:
        if (groupby is None) != (reduce is None):
            # redis-py sends neither and returns the series ungrouped
            raise DataError("groupby and reduce go together (GROUPBY label REDUCE reducer)")
        if groupby is not None:
            if not isinstance(reduce, str):
                raise DataError(f"reduce must be a str, got {type(reduce).__name__!r}")
            params.extend(("GROUPBY", groupby, "REDUCE", reduce.upper()))

    @staticmethod
    def _append_retention(params: list[Any], retention: Any) -> None:
        if retention is not None:
            params.extend(("RETENTION", retention))

    @staticmethod
    def _append_labels(params: list[Any], labels: Any) -> None:
        if labels is not None:
            params.append("LABELS")
            params += flatten_mapping(labels, "labels")

    @staticmethod
    def _append_count(params: list[Any], count: Any) -> None:
        if count is not None:
            params.extend(("COUNT", count))

    @staticmethod
    def _append_block(params: list[Any], block_milliseconds: Any, block_min_count: Any) -> None:
        if block_milliseconds is None:
            if block_min_count is not None:
                raise DataError("block_min_count requires block_milliseconds to be set; the "
                                "BLOCK group is all-or-nothing.")
            return
        params.extend(("BLOCK", block_milliseconds, 1 if block_min_count is None else block_min_count))

    @staticmethod
    def _append_max_count(params: list[Any], max_count: Any) -> None:
        if max_count is not None:
            params.extend(("MAX_COUNT", max_count))

    @staticmethod
    def _append_timestamp(params: list[Any], timestamp: Any) -> None:
        if timestamp is not None:
            params.extend(("TIMESTAMP", timestamp))

    @staticmethod
    def _append_align(params: list[Any], align: Any) -> None:
        if align is not None:
            params.extend(("ALIGN", align))

    @staticmethod
    def _append_aggregation(params: list[Any], aggregation_type: Any, bucket_size_msec: Any) -> None:
        if aggregation_type is None:
            return
        if bucket_size_msec is None:
            raise DataError("aggregation_type needs bucket_size_msec (the bucket duration)")
        if isinstance(aggregation_type, list):
            if not aggregation_type:
                raise DataError("aggregation_type: an empty list of aggregators")
            params.extend(("AGGREGATION", ",".join(aggregation_type), bucket_size_msec))
        else:
            params.extend(("AGGREGATION", aggregation_type, bucket_size_msec))

    @staticmethod
    def _append_n_aggregation(params: list[Any], aggregators: Any, bucket_size_msec: Any,
                              numkeys: int) -> None:
        if aggregators is None:
            return
        specs: list[Any] = ([aggregators] if isinstance(aggregators, str)
                            else sequence_arg(aggregators, "aggregators"))
        if len(specs) != numkeys:
            raise DataError(
                f"AGGREGATION requires exactly one aggregation spec per key (expected "
                f"{numkeys}, got {len(specs)}); a spec may list multiple comma-separated "
                "aggregators.")
        params.extend(("AGGREGATION", *specs, bucket_size_msec))

    @staticmethod
    def _append_chunk_size(params: list[Any], chunk_size: Any) -> None:
        if chunk_size is not None:
            params.extend(("CHUNK_SIZE", chunk_size))

    @staticmethod
    def _append_duplicate_policy(params: list[Any], duplicate_policy: Any) -> None:
        if duplicate_policy is not None:
            params.extend(("DUPLICATE_POLICY", duplicate_policy))

    @staticmethod
    def _append_on_duplicate(params: list[Any], on_duplicate: Any) -> None:
        if on_duplicate is not None:
            params.extend(("ON_DUPLICATE", on_duplicate))

    @staticmethod
    def _append_filer_by_ts(params: list[Any], ts_list: Any) -> None:
        if ts_list is not None:
            params.extend(("FILTER_BY_TS", *sequence_arg(ts_list, "filter_by_ts")))

    @staticmethod
    def _append_filer_by_value(params: list[Any], min_value: Any, max_value: Any) -> None:
        if (min_value is None) != (max_value is None):
            raise DataError("filter_by_min_value and filter_by_max_value must be set together; "
                            "the FILTER_BY_VALUE group is all-or-nothing.")
        if min_value is not None:
            params.extend(("FILTER_BY_VALUE", min_value, max_value))

    @staticmethod
    def _append_latest(params: list[Any], latest: Any) -> None:
        if latest:
            params.append("LATEST")

    @staticmethod
    def _append_bucket_timestamp(params: list[Any], bucket_timestamp: Any) -> None:
        if bucket_timestamp is not None:
            params.extend(("BUCKETTIMESTAMP", bucket_timestamp))

    @staticmethod
    def _append_empty(params: list[Any], empty: Any) -> None:
        if empty:
            params.append("EMPTY")

    @staticmethod
    def _append_exclude_empty(params: list[Any], exclude_empty: Any) -> None:
        if exclude_empty:
            params.append("EXCLUDEEMPTY")

    @staticmethod
    def _append_insertion_filters(params: list[Any], ignore_max_time_diff: Any = None,
                                  ignore_max_val_diff: Any = None) -> None:
        if (ignore_max_time_diff is None) != (ignore_max_val_diff is None):
            raise DataError("Both ignore_max_time_diff and ignore_max_val_diff must be set.")
        if ignore_max_time_diff is not None:
            params.extend(("IGNORE", str(ignore_max_time_diff), str(ignore_max_val_diff)))
