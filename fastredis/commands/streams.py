"""Stream commands (XADD, XREAD, consumer groups, XPENDING, XCLAIM ...).

Shapes follow redis-py over RESP2: an entry is ``(id, {field: value})``; XREAD and
XREADGROUP return ``[[stream, [entry, ...]], ...]`` (``[]`` when nothing came), also
when the connection speaks RESP3, so code does not change with the protocol.
XREAD/XREADGROUP with ``block`` go through ``_execute_blocking`` (a connection of their
own): a long BLOCK never stalls the shared connection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, AnyStr, Literal, overload

from ..exceptions import DataError
from ._base import CommandsBase, check_name, flatten_mapping, ok, pairs_to_dict, to_str

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..typing import AnyKeyT, EncodableT, KeyT, Reply, StreamEntry, StreamIdT


def _entries(reply: Any) -> Any:
    """[[id, [f1, v1, ...]], ...] -> [(id, {f1: v1, ...}), ...]. A deleted entry still
    pending in a group comes back as [id, nil] -> (id, {}) as in redis-py."""
    if reply is None:
        return None
    out: list[Any] = []
    for e in reply:
        if e is None:
            out.append((None, None))
        else:
            out.append((e[0], pairs_to_dict(e[1])))
    return out


def _xread(reply: Any) -> list[Any]:
    if not reply:
        return []
    if reply.__class__ is dict:  # RESP3: {stream: entries}
        return [[k, _entries(v)] for k, v in reply.items()]
    return [[s, _entries(e)] for s, e in reply]


def _claimed_entries(reply: Any) -> Any:
    """XREADGROUP ... CLAIM (Redis 8.4): each entry carries more than (id, fields) (its idle
    time and delivery count), kept after them as redis-py does: (id, {f: v}, extra...)."""
    if reply is None:
        return None
    return [(None, None) if e is None else (e[0], pairs_to_dict(e[1]), *e[2:]) for e in reply]


def _xread_claimed(reply: Any) -> list[Any]:
    if not reply:
        return []
    if reply.__class__ is dict:
        return [[k, _claimed_entries(v)] for k, v in reply.items()]
    return [[s, _claimed_entries(e)] for s, e in reply]


_REF_POLICIES = ("KEEPREF", "DELREF", "ACKED")


def _ref_policy(value: Any, command: str) -> Any:
    """Redis 8.2's KEEPREF / DELREF / ACKED (what deleting an entry does to the consumer
    groups' pending lists), refused before sending as redis-py does."""
    if value not in _REF_POLICIES:
        raise DataError(f"{command} ref_policy must be one of: KEEPREF, DELREF, ACKED")
    return value


def _read_limits(args: list[Any], count: Any, max_count: Any, max_size: Any, command: str) -> None:
    """COUNT, then Redis 8.6's MAXCOUNT / MAXSIZE, checked as redis-py checks them."""
    if count is not None:
        args += ("COUNT", _count(count, "count", 1))
    if max_count is not None:
        _count(max_count, f"{command} max_count", 1)
        if count is not None and max_count < count:
            raise DataError(f"{command} max_count must be greater than or equal to count")
        args += ("MAXCOUNT", max_count)
    if max_size is not None:
        args += ("MAXSIZE", _count(max_size, f"{command} max_size", 1))


def _str_keys(reply: Any) -> dict[str, Any]:
    if reply.__class__ is dict:
        return {to_str(k): v for k, v in reply.items()}
    it = iter(reply)
    return {to_str(k): v for k, v in zip(it, it, strict=False)}


def _list_of_dicts(reply: Any) -> list[dict[str, Any]]:
    return [_str_keys(x) for x in reply]


def _entry(e: Any) -> Any:
    return None if e is None or e[0] is None else (e[0], pairs_to_dict(e[1]))


def _xinfo_stream(reply: Any) -> dict[str, Any]:
    data = _str_keys(reply)
    for k in ("first-entry", "last-entry"):
        if k in data:
            data[k] = _entry(data[k])
    return data


def _xinfo_stream_full(reply: Any) -> dict[str, Any]:
    data = _str_keys(reply)
    data["entries"] = {e[0]: pairs_to_dict(e[1]) for e in data.get("entries") or ()}
    groups = []
    for g in data.get("groups") or ():
        g = _str_keys(g)
        if g.get("consumers"):
            g["consumers"] = [_str_keys(c) for c in g["consumers"]]
        groups.append(g)
    data["groups"] = groups
    return data


def _xpending(reply: Any) -> dict[str, Any]:
    consumers = [{"name": n, "pending": int(p)} for n, p in reply[3] or ()]
    return {"pending": reply[0], "min": reply[1], "max": reply[2], "consumers": consumers}


_PENDING_KEYS = ("message_id", "consumer", "time_since_delivered", "times_delivered")


def _xpending_range(reply: Any) -> list[dict[str, Any]]:
    return [dict(zip(_PENDING_KEYS, r, strict=False)) for r in reply]


def _xautoclaim(reply: Any) -> list[Any]:
    # [next start id, entries, deleted ids (Redis >= 7)]
    return [reply[0], _entries(reply[1]), *reply[2:]]


def _xautoclaim_justid(reply: Any) -> Any:
    return reply[1]


def _count(value: Any, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DataError(f"{what} must be an integer >= {minimum}")
    return value


def _trim(args: list[Any], maxlen: Any, approximate: bool, minid: Any, limit: Any) -> None:
    if maxlen is not None and minid is not None:
        raise DataError("Only one of maxlen or minid may be specified")
    if maxlen is not None:
        args.append("MAXLEN")
        if approximate:
            args.append("~")
        args.append(_count(maxlen, "maxlen"))
    elif minid is not None:
        args.append("MINID")
        if approximate:
            args.append("~")
        args.append(minid)
    if limit is not None:
        args += ("LIMIT", _count(limit, "limit"))


def _streams(streams: Any, args: list[Any]) -> None:
    if not isinstance(streams, Mapping) or not streams:
        raise DataError("streams must be a non-empty dict of stream name -> last id")
    names = []
    ids = []
    for k, v in streams.items():
        check_name(k, "stream name")
        check_name(v, "stream id")
        names.append(k)
        ids.append(v)
    args.append("STREAMS")
    args += names
    args += ids


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


class StreamCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def xadd(self, name: KeyT, fields: Mapping[AnyKeyT, EncodableT], id: StreamIdT = "*",
             maxlen: int | None = None, approximate: bool = True, nomkstream: bool = False,
             minid: StreamIdT | None = None, limit: int | None = None,
             ref_policy: Literal["KEEPREF", "DELREF", "ACKED"] | None = None,
             idmpauto: str | None = None,
             idmp: tuple[str, bytes] | None = None) -> Reply[AnyStr]:
        """XADD: append ``fields`` (a non-empty dict); returns the entry id. ``ref_policy``
        (Redis 8.2): what trimming does to the groups' references (KEEPREF, DELREF, ACKED);
        ``idmpauto=producer`` or ``idmp=(producer, idempotent id)`` (Redis 8.6): at-most-once
        adds, with ``id="*"`` only."""
        if not isinstance(fields, Mapping) or not fields:
            raise DataError("XADD fields must be a non-empty dict")
        if idmpauto is not None and idmp is not None:
            raise DataError("Only one of ``idmpauto`` or ``idmp`` may be specified")
        if (idmpauto is not None or idmp is not None) and id != "*":
            raise DataError("IDMPAUTO and IDMP can only be used with id='*'")
        args: list[Any] = ["XADD", name]
        if nomkstream:
            args.append("NOMKSTREAM")
        if ref_policy is not None:
            args.append(_ref_policy(ref_policy, "XADD"))
        if idmpauto is not None:
            args += ("IDMPAUTO", idmpauto)
        if idmp is not None:
            if not isinstance(idmp, tuple) or len(idmp) != 2:
                raise DataError("XADD idmp must be a tuple of (producer_id, idempotent_id)")
            args += ("IDMP", idmp[0], idmp[1])
        _trim(args, maxlen, approximate, minid, limit)
        args.append(id)
        args += flatten_mapping(fields, "xadd fields")
        return self._execute(tuple(args))

    def xlen(self, name: KeyT) -> Reply[int]:
        """XLEN: the number of entries in the stream."""
        return self._execute(("XLEN", name))

    def xrange(self, name: KeyT, min: StreamIdT = "-", max: StreamIdT = "+",
               count: int | None = None) -> Reply[list[StreamEntry[AnyStr]]]:
        """XRANGE: [(id, {field: value}), ...] from ``min`` to ``max``."""
        if count is None:
            return self._execute(("XRANGE", name, min, max), _entries)
        return self._execute(("XRANGE", name, min, max, "COUNT", _count(count, "count", 1)), _entries)

    def xrevrange(self, name: KeyT, max: StreamIdT = "+", min: StreamIdT = "-",
                  count: int | None = None) -> Reply[list[StreamEntry[AnyStr]]]:
        """XREVRANGE: [(id, {field: value}), ...] from ``max`` down to ``min``."""
        if count is None:
            return self._execute(("XREVRANGE", name, max, min), _entries)
        return self._execute(("XREVRANGE", name, max, min, "COUNT", _count(count, "count", 1)), _entries)

    def xread(self, streams: Mapping[AnyKeyT, StreamIdT], count: int | None = None,
              block: int | None = None, max_count: int | None = None,
              max_size: int | None = None) -> Reply[list[list[Any]]]:
        """XREAD: ``[[stream, [(id, fields), ...]], ...]`` (``[]`` when nothing came);
        ``streams`` is {name: last id seen}, ``block`` in ms (0: forever). ``max_count`` /
        ``max_size`` (Redis 8.6): caps on the entries / bytes of the whole reply."""
        args: list[Any] = ["XREAD"]
        if block is not None:  # (redis-py's order: BLOCK before COUNT)
            args += ("BLOCK", _count(block, "block"))
        _read_limits(args, count, max_count, max_size, "XREAD")
        _streams(streams, args)
        if block is None:
            return self._execute(tuple(args), _xread)
        return self._execute_blocking(tuple(args), _xread)

    def xreadgroup(self, groupname: str | bytes, consumername: str | bytes,
                   streams: Mapping[AnyKeyT, StreamIdT], count: int | None = None,
                   block: int | None = None, noack: bool = False,
                   claim_min_idle_time: int | None = None, max_count: int | None = None,
                   max_size: int | None = None) -> Reply[list[list[Any]]]:
        """XREADGROUP: XREAD as consumer ``consumername`` of group ``groupname`` ('>' as
        the id reads new entries); same shape as xread. ``claim_min_idle_time`` (Redis
        8.4): also claim entries pending for at least that many ms, each then returned as
        ``(id, fields, *extra)`` (the server's idle time and delivery count, as redis-py);
        ``max_count`` / ``max_size`` (Redis 8.6) as in xread."""
        args: list[Any] = ["XREADGROUP", "GROUP", groupname, consumername]
        _read_limits(args, count, max_count, max_size, "XREADGROUP")
        if block is not None:
            args += ("BLOCK", _count(block, "block"))
        if noack:
            args.append("NOACK")
        callback = _xread
        if claim_min_idle_time is not None:
            args += ("CLAIM", _count(claim_min_idle_time, "XREADGROUP claim_min_idle_time"))
            callback = _xread_claimed
        _streams(streams, args)
        if block is None:
            return self._execute(tuple(args), callback)
        return self._execute_blocking(tuple(args), callback)

    # ------------------------------------------------------------------ groups
    def xgroup_create(self, name: KeyT, groupname: str | bytes, id: StreamIdT = "$",
                      mkstream: bool = False, entries_read: int | None = None) -> Reply[bool]:
        """XGROUP CREATE: create a consumer group starting at ``id``; returns True."""
        args: tuple[Any, ...] = ("XGROUP", "CREATE", name, groupname, id)
        if mkstream:
            args += ("MKSTREAM",)
        if entries_read is not None:
            args += ("ENTRIESREAD", entries_read)
        return self._execute(args, ok)

    def xgroup_destroy(self, name: KeyT, groupname: str | bytes) -> Reply[bool]:
        """XGROUP DESTROY: delete a consumer group; True if it existed."""
        return self._execute(("XGROUP", "DESTROY", name, groupname), bool)

    def xgroup_createconsumer(self, name: KeyT, groupname: str | bytes,
                              consumername: str | bytes) -> Reply[int]:
        """XGROUP CREATECONSUMER: 1 if the consumer was created, 0 if it existed."""
        return self._execute(("XGROUP", "CREATECONSUMER", name, groupname, consumername))

    def xgroup_delconsumer(self, name: KeyT, groupname: str | bytes,
                           consumername: str | bytes) -> Reply[int]:
        """XGROUP DELCONSUMER: the number of messages the consumer had pending."""
        return self._execute(("XGROUP", "DELCONSUMER", name, groupname, consumername))

    def xgroup_setid(self, name: KeyT, groupname: str | bytes, id: StreamIdT,
                     entries_read: int | None = None) -> Reply[bool]:
        """XGROUP SETID: move the group's last-delivered id; returns True."""
        args: tuple[Any, ...] = ("XGROUP", "SETID", name, groupname, id)
        if entries_read is not None:
            args += ("ENTRIESREAD", entries_read)
        return self._execute(args, ok)

    def xack(self, name: KeyT, groupname: str | bytes, *ids: StreamIdT) -> Reply[int]:
        """XACK: acknowledge entries of a group; returns the number acknowledged."""
        return self._execute(("XACK", name, groupname, *ids))

    def xdel(self, name: KeyT, *ids: StreamIdT) -> Reply[int]:
        """XDEL: delete entries; returns the number deleted."""
        return self._execute(("XDEL", name, *ids))

    def xdelex(self, name: KeyT, *ids: StreamIdT,
               ref_policy: Literal["KEEPREF", "DELREF", "ACKED"] = "KEEPREF") -> Reply[list[int]]:
        """XDELEX (Redis 8.2): delete entries, choosing what happens to the consumer groups'
        references (``ref_policy``); one code per id: -1 no such id, 1 deleted, 2 kept
        (ACKED: still unacknowledged somewhere)."""
        if not ids:
            raise DataError("XDELEX requires at least one message ID")
        return self._execute(("XDELEX", name, _ref_policy(ref_policy, "XDELEX"), "IDS",
                              len(ids), *ids))

    def xackdel(self, name: KeyT, groupname: str | bytes, *ids: StreamIdT,
                ref_policy: Literal["KEEPREF", "DELREF", "ACKED"] = "KEEPREF") -> Reply[list[int]]:
        """XACKDEL (Redis 8.2): acknowledge entries for ``groupname`` and delete them, with
        ``ref_policy`` as in xdelex; one code per id (-1 not found, 1 deleted, 2 kept)."""
        if not ids:
            raise DataError("XACKDEL requires at least one message ID")
        return self._execute(("XACKDEL", name, groupname, _ref_policy(ref_policy, "XACKDEL"),
                              "IDS", len(ids), *ids))

    def xcfgset(self, name: KeyT, idmp_duration: int | None = None,
                idmp_maxsize: int | None = None) -> Reply[AnyStr]:
        """XCFGSET (newer than Redis 8.2): how long (1..300 s) and how many (1..1,000,000
        per producer) idempotent ids the stream remembers; a change clears them. OK."""
        if idmp_duration is None and idmp_maxsize is None:
            raise DataError("XCFGSET requires at least one of idmp_duration or idmp_maxsize")
        args: tuple[Any, ...] = ("XCFGSET", name)
        if idmp_duration is not None:
            if not _int_in(idmp_duration, 1, 300):
                raise DataError("XCFGSET idmp_duration must be an integer between 1 and 300")
            args += (b"IDMP-DURATION", idmp_duration)
        if idmp_maxsize is not None:
            if not _int_in(idmp_maxsize, 1, 1_000_000):
                raise DataError("XCFGSET idmp_maxsize must be an integer between 1 and 1,000,000")
            args += (b"IDMP-MAXSIZE", idmp_maxsize)
        return self._execute(args)

    def xnack(self, name: KeyT, groupname: str | bytes, mode: Literal["SILENT", "FAIL", "FATAL"],
              *ids: StreamIdT, retrycount: int | None = None, force: bool = False) -> Reply[int]:
        """XNACK (newer than Redis 8.2): give pending entries back to the group: SILENT (the
        consumer stops; delivery count decremented), FAIL (unchanged) or FATAL (set to the
        maximum); ``retrycount`` sets the count, ``force`` adds unknown ids to the pending
        list. The number of entries nacked."""
        if not ids:
            raise DataError("XNACK requires at least one message ID")
        if mode not in ("SILENT", "FAIL", "FATAL"):
            raise DataError("XNACK mode must be one of: SILENT, FAIL, FATAL")
        args: tuple[Any, ...] = ("XNACK", name, groupname, mode, "IDS", len(ids), *ids)
        if retrycount is not None:
            if isinstance(retrycount, bool) or not isinstance(retrycount, int) or retrycount < 0:
                raise DataError("XNACK retrycount must be >= 0")
            args += (b"RETRYCOUNT", retrycount)
        if force:
            args += (b"FORCE",)
        return self._execute(args)

    def xtrim(self, name: KeyT, maxlen: int | None = None, approximate: bool = True,
              minid: StreamIdT | None = None, limit: int | None = None,
              ref_policy: Literal["KEEPREF", "DELREF", "ACKED"] | None = None) -> Reply[int]:
        """XTRIM: trim to ``maxlen`` entries or drop ids below ``minid``; returns the
        number of entries removed. ``ref_policy`` (Redis 8.2) as in xadd."""
        if maxlen is None and minid is None:
            raise DataError("One of maxlen or minid must be specified")
        args: list[Any] = ["XTRIM", name]
        _trim(args, maxlen, approximate, minid, limit)
        if ref_policy is not None:
            args.append(_ref_policy(ref_policy, "XTRIM"))
        return self._execute(tuple(args))

    # ------------------------------------------------------------------ pending / claim
    def xpending(self, name: KeyT, groupname: str | bytes) -> Reply[dict[str, Any]]:
        """XPENDING summary: {'pending': n, 'min': id, 'max': id,
        'consumers': [{'name', 'pending'}]}."""
        return self._execute(("XPENDING", name, groupname), _xpending)

    def xpending_range(self, name: KeyT, groupname: str | bytes, min: StreamIdT,
                       max: StreamIdT, count: int, consumername: str | bytes | None = None,
                       idle: int | None = None) -> Reply[list[dict[str, Any]]]:
        """XPENDING with a range: [{'message_id', 'consumer', 'time_since_delivered',
        'times_delivered'}]."""
        args: tuple[Any, ...] = ("XPENDING", name, groupname)
        if idle is not None:
            args += ("IDLE", _count(idle, "idle"))
        args += (min, max, _count(count, "count"))
        if consumername is not None:
            args += (consumername,)
        return self._execute(args, _xpending_range)

    @overload
    def xclaim(self, name: KeyT, groupname: str | bytes, consumername: str | bytes,
               min_idle_time: int, message_ids: Sequence[StreamIdT], idle: int | None = ...,
               time: int | None = ..., retrycount: int | None = ..., force: bool = ...,
               justid: Literal[False] = ...) -> Reply[list[StreamEntry[AnyStr]]]: ...
    @overload
    def xclaim(self, name: KeyT, groupname: str | bytes, consumername: str | bytes,
               min_idle_time: int, message_ids: Sequence[StreamIdT], idle: int | None = ...,
               time: int | None = ..., retrycount: int | None = ..., force: bool = ..., *,
               justid: Literal[True]) -> Reply[list[AnyStr]]: ...
    @overload
    def xclaim(self, name: KeyT, groupname: str | bytes, consumername: str | bytes,
               min_idle_time: int, message_ids: Sequence[StreamIdT], idle: int | None = ...,
               time: int | None = ..., retrycount: int | None = ..., force: bool = ...,
               justid: bool = ...) -> Reply[list[StreamEntry[AnyStr]] | list[AnyStr]]: ...
    def xclaim(self, name: KeyT, groupname: str | bytes, consumername: str | bytes,
               min_idle_time: int, message_ids: Sequence[StreamIdT], idle: int | None = None,
               time: int | None = None, retrycount: int | None = None, force: bool = False,
               justid: bool = False) -> Reply[Any]:
        """XCLAIM: the claimed entries ``[(id, fields)]``, or their ids with ``justid``."""
        if isinstance(message_ids, (str, bytes)) or not isinstance(message_ids, (list, tuple)) \
                or not message_ids:
            raise DataError("XCLAIM message_ids must be a non-empty list or tuple of ids")
        args: tuple[Any, ...] = ("XCLAIM", name, groupname, consumername,
                       _count(min_idle_time, "min_idle_time"), *message_ids)
        if idle is not None:
            args += ("IDLE", _count(idle, "idle"))
        if time is not None:
            args += ("TIME", _count(time, "time"))
        if retrycount is not None:
            args += ("RETRYCOUNT", _count(retrycount, "retrycount"))
        if force:
            args += ("FORCE",)
        if justid:
            return self._execute(args + ("JUSTID",))
        return self._execute(args, _entries)

    @overload
    def xautoclaim(self, name: KeyT, groupname: str | bytes, consumername: str | bytes,
                   min_idle_time: int, start_id: StreamIdT = ..., count: int | None = ...,
                   justid: Literal[False] = ...) -> Reply[list[Any]]: ...
    @overload
    def xautoclaim(self, name: KeyT, groupname: str | bytes, consumername: str | bytes,
                   min_idle_time: int, start_id: StreamIdT = ..., count: int | None = ..., *,
                   justid: Literal[True]) -> Reply[list[AnyStr]]: ...
    @overload
    def xautoclaim(self, name: KeyT, groupname: str | bytes, consumername: str | bytes,
                   min_idle_time: int, start_id: StreamIdT = ..., count: int | None = ...,
                   justid: bool = ...) -> Reply[list[Any]]: ...
    def xautoclaim(self, name: KeyT, groupname: str | bytes, consumername: str | bytes,
                   min_idle_time: int, start_id: StreamIdT = "0-0", count: int | None = None,
                   justid: bool = False) -> Reply[Any]:
        """XAUTOCLAIM: [next start id, [(id, fields)], deleted ids]; with ``justid`` only the
        claimed ids (redis-py's shapes)."""
        args: tuple[Any, ...] = ("XAUTOCLAIM", name, groupname, consumername,
                       _count(min_idle_time, "min_idle_time"), start_id)
        if count is not None:
            args += ("COUNT", _count(count, "count", 1))
        if justid:
            return self._execute(args + ("JUSTID",), _xautoclaim_justid)
        return self._execute(args, _xautoclaim)

    # ------------------------------------------------------------------ info
    def xinfo_stream(self, name: KeyT, full: bool = False) -> Reply[dict[str, Any]]:
        """XINFO STREAM: a dict with str keys; 'first-entry'/'last-entry' as (id, fields)."""
        if full:
            return self._execute(("XINFO", "STREAM", name, "FULL"), _xinfo_stream_full)
        return self._execute(("XINFO", "STREAM", name), _xinfo_stream)

    def xinfo_groups(self, name: KeyT) -> Reply[list[dict[str, Any]]]:
        """XINFO GROUPS: one dict (str keys) per consumer group."""
        return self._execute(("XINFO", "GROUPS", name), _list_of_dicts)

    def xinfo_consumers(self, name: KeyT,
                        groupname: str | bytes) -> Reply[list[dict[str, Any]]]:
        """XINFO CONSUMERS: one dict (str keys) per consumer of the group."""
        return self._execute(("XINFO", "CONSUMERS", name, groupname), _list_of_dicts)
