"""Sorted-set commands (ZADD, ZRANGE, BZPOPMIN ...).

Scores come back as floats and ``withscores`` results as lists of ``(member, score)``
tuples, as in redis-py; ``score_cast_func`` replaces ``float`` where redis-py offers it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, AnyStr, AsyncIterator, Callable, Literal, overload

from ..exceptions import DataError
from ._base import (
    CommandsBase,
    ReplyCallback,
    block_timeout,
    check_name,
    flat_scores,
    list_or_args,
    to_float,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..typing import AnyKeyT, EncodableT, KeyT, Number, PatternT, Reply, ScoreT, TimeoutSecT

    #: the keys of ZUNION/ZINTER(STORE): names, or {name: weight}
    ZKeys = KeyT | Iterable[KeyT] | Mapping[str, Number] | Mapping[bytes, Number]

#: ``score_cast_func``: turns each score (bytes/str over RESP2, float over RESP3) into the
#: value returned. Typed results say ``float`` (the default); a custom cast is the caller's.
ScoreCast = Callable[[Any], Any]

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..typing import KeyT, Number, Reply


def _safe_cast(cast: ScoreCast) -> ScoreCast:
    # RESP2 scores are strings such as b'1.5' or b'1e+20': int(b'1.5') fails where
    # int(float(b'1.5')) works (redis-py does the same fallback).
    if cast is float:
        return float

    def run(x: Any) -> Any:
        try:
            return cast(x)
        except (ValueError, TypeError):
            return cast(float(x))

    return run


def _pairs(reply: Any, cast: ScoreCast = float) -> Any:
    """``[m1, s1, m2, s2]`` (RESP2) or ``[[m1, s1], ...]`` (RESP3) -> [(m1, s1), ...]."""
    if not reply:
        return reply if reply is not None else []
    if reply[0].__class__ is list:
        return [(m, cast(s)) for m, s in reply]
    it = iter(reply)
    return list(zip(it, map(cast, it), strict=False))


def _pairs_with(cast: ScoreCast) -> ReplyCallback:
    if cast is float:
        return _pairs
    cast = _safe_cast(cast)
    return lambda reply: _pairs(reply, cast)


def _zpop(reply: Any) -> Any:
    # RESP3 ZPOPMIN without COUNT is a flat [member, score]: normalise to one pair
    if reply and reply[0].__class__ is not list and len(reply) == 2 and reply[1].__class__ is float:
        return [(reply[0], reply[1])]
    return _pairs(reply)


def _bzpop(reply: Any) -> Any:
    return (reply[0], reply[1], float(reply[2])) if reply else None


def _rank_with_score(reply: Any) -> Any:
    return [reply[0], float(reply[1])] if reply else reply


def _zmscore(reply: Any) -> list[float | None]:
    return [None if s is None else float(s) for s in reply]


def _zscan_with(cast: ScoreCast) -> ReplyCallback:
    pairs = _pairs_with(cast)
    return lambda reply: (int(reply[0]), pairs(reply[1]))


_zscan = _zscan_with(float)


def _score(value: Any, what: str) -> Any:
    # numbers, or the strings Redis accepts ('+inf', '(1.5' ...); never None/bool/containers
    check_name(value, what)
    return value



def _range_flags(byscore: bool, bylex: bool, desc: bool, offset: Any,
                 num: Any) -> tuple[Any, ...]:
    """The options ZRANGE and ZRANGESTORE share (Redis 6.2 syntax)."""
    args: tuple[Any, ...] = ()
    if byscore:
        args += ("BYSCORE",)
    if bylex:
        args += ("BYLEX",)
    if desc:
        args += ("REV",)
    if offset is not None:
        args += ("LIMIT", offset, num)
    return args

class SortedSetCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    @overload
    def zadd(self, name: KeyT, mapping: Mapping[AnyKeyT, ScoreT], nx: bool = ...,
             xx: bool = ..., ch: bool = ..., incr: Literal[False] = ..., gt: bool = ...,
             lt: bool = ...) -> Reply[int]: ...
    @overload
    def zadd(self, name: KeyT, mapping: Mapping[AnyKeyT, ScoreT], nx: bool = ...,
             xx: bool = ..., ch: bool = ..., *, incr: Literal[True], gt: bool = ...,
             lt: bool = ...) -> Reply[float | None]: ...
    @overload
    def zadd(self, name: KeyT, mapping: Mapping[AnyKeyT, ScoreT], nx: bool = ...,
             xx: bool = ..., ch: bool = ..., incr: bool = ..., gt: bool = ...,
             lt: bool = ...) -> Reply[int | float | None]: ...
    def zadd(self, name: KeyT, mapping: Mapping[AnyKeyT, ScoreT], nx: bool = False,
             xx: bool = False, ch: bool = False, incr: bool = False, gt: bool = False,
             lt: bool = False) -> Reply[Any]:
        """ZADD: ``mapping`` is {member: score}. Returns the number of members added (changed,
        with ``ch``); with ``incr`` the new score as a float, or None if NX/XX/GT/LT
        prevented the update."""
        if not isinstance(mapping, Mapping):
            raise DataError(f"zadd mapping must be a dict of member -> score, got {type(mapping).__name__!r}")
        if not mapping:
            raise DataError("ZADD requires at least one element/score pair")
        if nx and xx:
            raise DataError("ZADD allows either 'nx' or 'xx', not both")
        if gt and lt:
            raise DataError("ZADD allows either 'gt' or 'lt', not both")
        if nx and (gt or lt):
            raise DataError("Only one of 'nx', 'lt', or 'gt' may be defined")
        if incr and len(mapping) != 1:
            raise DataError("ZADD option 'incr' only works when passing a single element/score pair")
        args: list[Any] = ["ZADD", name]
        if nx:
            args.append("NX")
        if xx:
            args.append("XX")
        if gt:
            args.append("GT")
        if lt:
            args.append("LT")
        if ch:
            args.append("CH")
        if incr:
            args.append("INCR")
        for member, score in mapping.items():
            check_name(member, "zadd member")
            args.append(_score(score, "zadd score"))
            args.append(member)
        return self._execute(tuple(args), to_float if incr else None)

    def zrem(self, name: KeyT, *values: EncodableT) -> Reply[int]:
        """ZREM: remove members; returns the number removed."""
        return self._execute(("ZREM", name, *values))

    def zscore(self, name: KeyT, value: EncodableT) -> Reply[float | None]:
        """ZSCORE: the score of a member, or None."""
        return self._execute(("ZSCORE", name, value), to_float)

    def zmscore(self, key: KeyT,
                members: EncodableT | Iterable[EncodableT]) -> Reply[list[float | None]]:
        """ZMSCORE: one float (or None for a missing member) per member."""
        if not members:
            raise DataError("ZMSCORE members must be a non-empty list")
        return self._execute(("ZMSCORE", key, *list_or_args(members, ())), _zmscore)

    def zincrby(self, name: KeyT, amount: float, value: EncodableT) -> Reply[float]:
        """ZINCRBY: add ``amount`` to a member's score; returns the new score."""
        return self._execute(("ZINCRBY", name, amount, value), to_float)

    def zcard(self, name: KeyT) -> Reply[int]:
        """ZCARD: the number of members (0 when missing)."""
        return self._execute(("ZCARD", name))

    def zcount(self, name: KeyT, min: ScoreT, max: ScoreT) -> Reply[int]:
        """ZCOUNT: the number of members with a score between ``min`` and ``max``."""
        return self._execute(("ZCOUNT", name, min, max))

    def zlexcount(self, name: KeyT, min: EncodableT, max: EncodableT) -> Reply[int]:
        """ZLEXCOUNT: the number of members between two lexical bounds ('[a', '(b', '-', '+')."""
        return self._execute(("ZLEXCOUNT", name, min, max))

    @overload
    def zrank(self, name: KeyT, value: EncodableT,
              withscore: Literal[False] = ...) -> Reply[int | None]: ...
    @overload
    def zrank(self, name: KeyT, value: EncodableT,
              withscore: Literal[True]) -> Reply[list[Any] | None]: ...
    def zrank(self, name: KeyT, value: EncodableT, withscore: bool = False) -> Reply[Any]:
        """ZRANK: the rank (or None); with ``withscore`` (Redis 7.2) ``[rank, score]``."""
        if withscore:
            return self._execute(("ZRANK", name, value, "WITHSCORE"), _rank_with_score)
        return self._execute(("ZRANK", name, value))

    @overload
    def zrevrank(self, name: KeyT, value: EncodableT,
                 withscore: Literal[False] = ...) -> Reply[int | None]: ...
    @overload
    def zrevrank(self, name: KeyT, value: EncodableT,
                 withscore: Literal[True]) -> Reply[list[Any] | None]: ...
    def zrevrank(self, name: KeyT, value: EncodableT, withscore: bool = False) -> Reply[Any]:
        """ZREVRANK: the rank counted from the highest score (or None); with
        ``withscore`` ``[rank, score]``."""
        if withscore:
            return self._execute(("ZREVRANK", name, value, "WITHSCORE"), _rank_with_score)
        return self._execute(("ZREVRANK", name, value))

    # ------------------------------------------------------------------ ranges
    @overload
    def zrange(self, name: KeyT, start: ScoreT, end: ScoreT, desc: bool = ...,
               withscores: Literal[False] = ..., score_cast_func: ScoreCast = ...,
               byscore: bool = ..., bylex: bool = ..., offset: int | None = ...,
               num: int | None = ..., use_rev: bool = ...) -> Reply[list[AnyStr]]: ...
    @overload
    def zrange(self, name: KeyT, start: ScoreT, end: ScoreT, desc: bool = ..., *,
               withscores: Literal[True], score_cast_func: ScoreCast = ...,
               byscore: bool = ..., bylex: bool = ..., offset: int | None = ...,
               num: int | None = ..., use_rev: bool = ...) -> Reply[list[tuple[AnyStr, float]]]: ...
    @overload
    def zrange(self, name: KeyT, start: ScoreT, end: ScoreT, desc: bool = ...,
               withscores: bool = ..., score_cast_func: ScoreCast = ...,
               byscore: bool = ..., bylex: bool = ..., offset: int | None = ...,
               num: int | None = ..., use_rev: bool = ...) -> Reply[list[AnyStr] | list[tuple[AnyStr, float]]]: ...
    def zrange(self, name: KeyT, start: ScoreT, end: ScoreT, desc: bool = False,
               withscores: bool = False, score_cast_func: ScoreCast = float,
               byscore: bool = False, bylex: bool = False, offset: int | None = None,
               num: int | None = None, use_rev: bool = False) -> Reply[Any]:
        """ZRANGE: members from ``start`` to ``end`` (ranks; scores with ``byscore``, lex
        bounds with ``bylex``), reversed with ``desc``; with ``withscores`` a list of
        (member, score) tuples. A reversed rank range is sent as ZREVRANGE (every server
        has it), or as ``ZRANGE ... REV`` (Redis 6.2+) with ``use_rev=True``."""
        if byscore and bylex:
            raise DataError("byscore and bylex can not be specified together")
        if (offset is None) != (num is None):
            raise DataError("offset and num must both be specified")
        if bylex and withscores:
            raise DataError("withscores is not supported in combination with bylex")
        if desc and not (byscore or bylex or offset is not None or use_rev):
            # ZREVRANGE works on every server (ZRANGE ... REV needs 6.2), as in redis-py
            return self.zrevrange(name, start, end, withscores, score_cast_func)
        args = ("ZRANGE", name, start, end) + _range_flags(byscore, bylex, desc, offset, num)
        if withscores:
            return self._execute(args + ("WITHSCORES",), _pairs_with(score_cast_func))
        return self._execute(args)

    @overload
    def zrevrange(self, name: KeyT, start: ScoreT, end: ScoreT, withscores: Literal[False] = ...,
                  score_cast_func: ScoreCast = ...) -> Reply[list[AnyStr]]: ...
    @overload
    def zrevrange(self, name: KeyT, start: ScoreT, end: ScoreT, withscores: Literal[True],
                  score_cast_func: ScoreCast = ...) -> Reply[list[tuple[AnyStr, float]]]: ...
    @overload
    def zrevrange(self, name: KeyT, start: ScoreT, end: ScoreT, withscores: bool = ...,
                  score_cast_func: ScoreCast = ...
                  ) -> Reply[list[AnyStr] | list[tuple[AnyStr, float]]]: ...
    def zrevrange(self, name: KeyT, start: ScoreT, end: ScoreT, withscores: bool = False,
                  score_cast_func: ScoreCast = float) -> Reply[Any]:
        """ZREVRANGE: members by rank from the highest score; with ``withscores``
        (member, score) tuples."""
        if withscores:
            return self._execute(("ZREVRANGE", name, start, end, "WITHSCORES"),
                                 _pairs_with(score_cast_func))
        return self._execute(("ZREVRANGE", name, start, end))

    def zrangestore(self, dest: KeyT, name: KeyT, start: ScoreT, end: ScoreT,
                    byscore: bool = False, bylex: bool = False, desc: bool = False,
                    offset: int | None = None, num: int | None = None) -> Reply[int]:
        """ZRANGESTORE: store a ZRANGE result in ``dest``; returns its size."""
        if (offset is None) != (num is None):
            raise DataError("offset and num must both be specified")
        args = ("ZRANGESTORE", dest, name, start, end)
        return self._execute(args + _range_flags(byscore, bylex, desc, offset, num))

    def _by(self, cmd: str, name: Any, lo: Any, hi: Any, start: Any, num: Any,
            withscores: bool, score_cast_func: ScoreCast) -> Reply[Any]:
        if (start is None) != (num is None):
            raise DataError("start and num must both be specified")
        args: tuple[Any, ...] = (cmd, name, lo, hi)
        if withscores:
            args += ("WITHSCORES",)
        if start is not None:
            args += ("LIMIT", start, num)
        return self._execute(args, _pairs_with(score_cast_func) if withscores else None)

    @overload
    def zrangebyscore(self, name: KeyT, min: ScoreT, max: ScoreT, start: int | None = ...,
                      num: int | None = ..., withscores: Literal[False] = ...,
                      score_cast_func: ScoreCast = ...) -> Reply[list[AnyStr]]: ...
    @overload
    def zrangebyscore(self, name: KeyT, min: ScoreT, max: ScoreT, start: int | None = ...,
                      num: int | None = ..., *, withscores: Literal[True],
                      score_cast_func: ScoreCast = ...
                      ) -> Reply[list[tuple[AnyStr, float]]]: ...
    @overload
    def zrangebyscore(self, name: KeyT, min: ScoreT, max: ScoreT, start: int | None = ...,
                      num: int | None = ..., withscores: bool = ...,
                      score_cast_func: ScoreCast = ...
                      ) -> Reply[list[AnyStr] | list[tuple[AnyStr, float]]]: ...
    def zrangebyscore(self, name: KeyT, min: ScoreT, max: ScoreT, start: int | None = None,
                      num: int | None = None, withscores: bool = False,
                      score_cast_func: ScoreCast = float) -> Reply[Any]:
        """ZRANGEBYSCORE: members with a score in [``min``, ``max``] ('(' excludes,
        '-inf'/'+inf'), ``start``/``num`` as LIMIT; with ``withscores`` tuples."""
        return self._by("ZRANGEBYSCORE", name, min, max, start, num, withscores, score_cast_func)

    @overload
    def zrevrangebyscore(self, name: KeyT, max: ScoreT, min: ScoreT, start: int | None = ...,
                         num: int | None = ..., withscores: Literal[False] = ...,
                         score_cast_func: ScoreCast = ...) -> Reply[list[AnyStr]]: ...
    @overload
    def zrevrangebyscore(self, name: KeyT, max: ScoreT, min: ScoreT, start: int | None = ...,
                         num: int | None = ..., *, withscores: Literal[True],
                         score_cast_func: ScoreCast = ...
                         ) -> Reply[list[tuple[AnyStr, float]]]: ...
    @overload
    def zrevrangebyscore(self, name: KeyT, max: ScoreT, min: ScoreT, start: int | None = ...,
                         num: int | None = ..., withscores: bool = ...,
                         score_cast_func: ScoreCast = ...
                         ) -> Reply[list[AnyStr] | list[tuple[AnyStr, float]]]: ...
    def zrevrangebyscore(self, name: KeyT, max: ScoreT, min: ScoreT, start: int | None = None,
                         num: int | None = None, withscores: bool = False,
                         score_cast_func: ScoreCast = float) -> Reply[Any]:
        """ZREVRANGEBYSCORE: ZRANGEBYSCORE from the highest score (note: ``max`` first)."""
        return self._by("ZREVRANGEBYSCORE", name, max, min, start, num, withscores, score_cast_func)

    def zrangebylex(self, name: KeyT, min: EncodableT, max: EncodableT, start: int | None = None,
                    num: int | None = None) -> Reply[list[AnyStr]]:
        """ZRANGEBYLEX: members between two lexical bounds ('[a', '(b', '-', '+')."""
        return self._by("ZRANGEBYLEX", name, min, max, start, num, False, float)

    def zrevrangebylex(self, name: KeyT, max: EncodableT, min: EncodableT,
                       start: int | None = None, num: int | None = None) -> Reply[list[AnyStr]]:
        """ZREVRANGEBYLEX: ZRANGEBYLEX in reverse order (note: ``max`` first)."""
        return self._by("ZREVRANGEBYLEX", name, max, min, start, num, False, float)

    def zremrangebyrank(self, name: KeyT, min: int, max: int) -> Reply[int]:
        """ZREMRANGEBYRANK: remove members by rank range; returns the number removed."""
        return self._execute(("ZREMRANGEBYRANK", name, min, max))

    def zremrangebyscore(self, name: KeyT, min: ScoreT, max: ScoreT) -> Reply[int]:
        """ZREMRANGEBYSCORE: remove members by score range; returns the number removed."""
        return self._execute(("ZREMRANGEBYSCORE", name, min, max))

    def zremrangebylex(self, name: KeyT, min: EncodableT, max: EncodableT) -> Reply[int]:
        """ZREMRANGEBYLEX: remove members by lexical range; returns the number removed."""
        return self._execute(("ZREMRANGEBYLEX", name, min, max))

    # ------------------------------------------------------------------ pops
    def zpopmin(self, name: KeyT,
                count: int | None = None) -> Reply[list[tuple[AnyStr, float]]]:
        """ZPOPMIN: remove the lowest-scored members: [(member, score), ...] (empty when
        the key is missing)."""
        if count is None:
            return self._execute(("ZPOPMIN", name), _zpop)
        return self._execute(("ZPOPMIN", name, count), _zpop)

    def zpopmax(self, name: KeyT,
                count: int | None = None) -> Reply[list[tuple[AnyStr, float]]]:
        """ZPOPMAX: remove the highest-scored members: [(member, score), ...]."""
        if count is None:
            return self._execute(("ZPOPMAX", name), _zpop)
        return self._execute(("ZPOPMAX", name, count), _zpop)

    def bzpopmin(self, keys: KeyT | Iterable[KeyT],
                 timeout: TimeoutSecT = 0) -> Reply[tuple[AnyStr, AnyStr, float] | None]:
        """BZPOPMIN: (key, member, score), or None after ``timeout`` seconds (0: forever)."""
        return self._execute_blocking(("BZPOPMIN", *list_or_args(keys, ()), block_timeout(timeout)), _bzpop)

    def bzpopmax(self, keys: KeyT | Iterable[KeyT],
                 timeout: TimeoutSecT = 0) -> Reply[tuple[AnyStr, AnyStr, float] | None]:
        """BZPOPMAX: (key, member, score) of the highest score, or None after ``timeout``."""
        return self._execute_blocking(("BZPOPMAX", *list_or_args(keys, ()), block_timeout(timeout)), _bzpop)

    @overload
    def zrandmember(self, key: KeyT, count: None = ...,
                    withscores: Literal[False] = ...) -> Reply[AnyStr | None]: ...
    @overload
    def zrandmember(self, key: KeyT, count: int,
                    withscores: bool = ...) -> Reply[list[AnyStr]]: ...
    def zrandmember(self, key: KeyT, count: int | None = None,
                    withscores: bool = False) -> Reply[Any]:
        """ZRANDMEMBER: one member, or ``count`` members; with ``withscores`` the flat
        ``[member, score, ...]`` list redis-py returns over RESP2."""
        args: tuple[Any, ...] = ("ZRANDMEMBER", key)
        if count is not None:
            args += (count,)
            if withscores:
                args += ("WITHSCORES",)
        elif withscores:
            raise DataError("zrandmember: withscores needs count")
        if withscores and self._reply_protocol() == 2:
            return self._execute(args, flat_scores)  # (RESP3 wire: RESP2's flat text scores)
        return self._execute(args)

    # ------------------------------------------------------------------ aggregates
    def _aggregate(self, cmd: str, dest: Any, keys: Any, aggregate: Any,
                   withscores: bool = False) -> Reply[Any]:
        args: list[Any] = [cmd] if dest is None else [cmd, dest]
        if isinstance(keys, Mapping):
            names = list(keys)
            weights = list(keys.values())
            for w in weights:
                check_name(w, f"{cmd.lower()} weight")
        else:
            names = list_or_args(keys, ())
            weights = []
        args.append(len(names))
        args.extend(names)
        if weights:
            args.append("WEIGHTS")
            args.extend(weights)
        if aggregate:
            if not isinstance(aggregate, (str, bytes)) or aggregate.upper() not in (
                    "SUM", "MIN", "MAX", b"SUM", b"MIN", b"MAX"):
                raise DataError("aggregate can be sum, min or max")
            args += ("AGGREGATE", aggregate)
        if withscores:
            args.append("WITHSCORES")
            return self._execute(tuple(args), _pairs)
        return self._execute(tuple(args))

    def zunionstore(self, dest: KeyT, keys: ZKeys,
                    aggregate: str | None = None) -> Reply[int]:
        """ZUNIONSTORE: store the union in ``dest``, returns its size; ``keys`` is a list
        of names or a dict {name: weight}."""
        return self._aggregate("ZUNIONSTORE", dest, keys, aggregate)

    def zinterstore(self, dest: KeyT, keys: ZKeys,
                    aggregate: str | None = None) -> Reply[int]:
        """ZINTERSTORE: store the intersection in ``dest``, returns its size; ``keys`` as
        in zunionstore, ``aggregate`` 'SUM', 'MIN' or 'MAX'."""
        return self._aggregate("ZINTERSTORE", dest, keys, aggregate)

    @overload
    def zunion(self, keys: ZKeys, aggregate: str | None = ...,
               withscores: Literal[False] = ...) -> Reply[list[AnyStr]]: ...
    @overload
    def zunion(self, keys: ZKeys, aggregate: str | None = ..., *,
               withscores: Literal[True]) -> Reply[list[tuple[AnyStr, float]]]: ...
    @overload
    def zunion(self, keys: ZKeys, aggregate: str | None,
               withscores: Literal[True]) -> Reply[list[tuple[AnyStr, float]]]: ...
    def zunion(self, keys: ZKeys, aggregate: str | None = None,
               withscores: bool = False) -> Reply[Any]:
        """ZUNION: the union of the sorted sets (Redis 6.2); with ``withscores`` tuples."""
        return self._aggregate("ZUNION", None, keys, aggregate, withscores)

    @overload
    def zinter(self, keys: ZKeys, aggregate: str | None = ...,
               withscores: Literal[False] = ...) -> Reply[list[AnyStr]]: ...
    @overload
    def zinter(self, keys: ZKeys, aggregate: str | None = ..., *,
               withscores: Literal[True]) -> Reply[list[tuple[AnyStr, float]]]: ...
    @overload
    def zinter(self, keys: ZKeys, aggregate: str | None,
               withscores: Literal[True]) -> Reply[list[tuple[AnyStr, float]]]: ...
    def zinter(self, keys: ZKeys, aggregate: str | None = None,
               withscores: bool = False) -> Reply[Any]:
        """ZINTER: the intersection of the sorted sets (Redis 6.2); with ``withscores``
        tuples."""
        return self._aggregate("ZINTER", None, keys, aggregate, withscores)

    # ------------------------------------------------------------------ scan
    def zscan(self, name: KeyT, cursor: int = 0, match: PatternT | None = None,
              count: int | None = None, score_cast_func: ScoreCast = float
              ) -> Reply[tuple[int, list[tuple[AnyStr, float]]]]:
        """ZSCAN: (next cursor as int, [(member, score), ...]); 0 ends the scan."""
        args: tuple[Any, ...] = ("ZSCAN", name, cursor)
        if match is not None:
            args += ("MATCH", match)
        if count is not None:
            args += ("COUNT", count)
        return self._execute(args, _zscan if score_cast_func is float else _zscan_with(score_cast_func))

    async def zscan_iter(self, name: KeyT, match: PatternT | None = None,
                         count: int | None = None, score_cast_func: ScoreCast = float
                         ) -> AsyncIterator[tuple[AnyStr, float]]:
        """ZSCAN to the end: ``async for member, score in r.zscan_iter(name)``."""
        cursor = None
        while cursor != 0:
            cursor, pairs = await self.zscan(name, cursor or 0, match, count, score_cast_func)
            for pair in pairs:
                yield pair

    # ------------------------------------------------------------------ Redis 6.2 / 7.0
    # ZDIFF, ZDIFFSTORE, ZINTERCARD, ZMPOP, BZMPOP
    def zdiff(self, keys: Sequence[KeyT], withscores: bool = False) -> Reply[Any]:
        """Members of the first sorted set absent from the others. With ``withscores``,
        redis-py's shape, which is the server's reply (redis-py applies no callback to
        ZDIFF): a flat ``[member, score, ...]`` list with the scores as bytes (str when
        decoding) over RESP2, ``[[member, score], ...]`` with float scores over RESP3."""
        keys = list_or_args(keys, ())
        args: tuple[Any, ...] = ("ZDIFF", len(keys), *keys)
        if withscores and self._reply_protocol() == 2:
            return self._execute((*args, "WITHSCORES"), flat_scores)
        return self._execute((*args, "WITHSCORES") if withscores else args)

    def zdiffstore(self, dest: KeyT, keys: Sequence[KeyT]) -> Reply[int]:
        """Store ZDIFF of ``keys`` in ``dest``; returns its number of members."""
        keys = list_or_args(keys, ())
        return self._execute(("ZDIFFSTORE", dest, len(keys), *keys))

    def zintercard(self, numkeys: int, keys: Sequence[KeyT], limit: int = 0) -> Reply[int]:
        """Cardinality of the intersection of ``keys``; counting stops at ``limit`` (0: no limit)."""
        keys = list_or_args(keys, ())
        return self._execute(("ZINTERCARD", _numkeys(numkeys, keys), *keys, "LIMIT", limit))

    def zmpop(self, num_keys: int, keys: Sequence[KeyT], min: bool | None = False,
              max: bool | None = False, count: int | None = 1) -> Reply[Any]:
        """Pop up to ``count`` lowest (``min``) or highest (``max``) members from the first
        non-empty of ``keys``: ``[key, [[member, score], ...]]`` with float scores, or None."""
        keys = list_or_args(keys, ())
        args: tuple[Any, ...] = ("ZMPOP", _numkeys(num_keys, keys), *keys, _min_max(min, max))
        return self._execute((*args, "COUNT", count) if count != 1 else args, _zmpop)

    def bzmpop(self, timeout: Number, numkeys: int, keys: Sequence[KeyT], min: bool | None = False,
               max: bool | None = False, count: int | None = 1) -> Reply[Any]:
        """ZMPOP that waits up to ``timeout`` seconds (0: forever), on a connection of its
        own; None on timeout."""
        keys = list_or_args(keys, ())
        return self._execute_blocking(("BZMPOP", block_timeout(timeout), _numkeys(numkeys, keys), *keys,
                                       _min_max(min, max), "COUNT", count), _zmpop)

    def zmove(self, source: KeyT, destination: KeyT, min: bool | None = False,
              max: bool | None = False, byscore: tuple[ScoreT, ScoreT] | None = None,
              count: int | None = None) -> Reply[list[list[Any]] | None]:
        """ZMOVE (newer than Redis 8.2): move members with their scores to ``destination``,
        exactly one selection: the lowest (``min``), the highest (``max``) or a ``byscore``
        (min, max) range; ``count`` caps them. [[member, score], ...], or None."""
        if bool(min) + bool(max) + (byscore is not None) != 1:
            raise DataError("ZMOVE requires exactly one of 'min', 'max' or 'byscore'")
        args: tuple[Any, ...] = ("ZMOVE", source, destination)
        if byscore is not None:
            low, high = byscore
            args += ("BYSCORE", low, high)
        else:
            args += ("MIN" if min else "MAX",)
        if count is not None:
            args += ("COUNT", count)
        return self._execute(args, _zmove)

    def bzmove(self, source: KeyT, destination: KeyT, timeout: Number,
               min: bool | None = False, max: bool | None = False,
               count: int | None = None) -> Reply[list[list[Any]] | None]:
        """ZMOVE of the lowest or highest members that waits up to ``timeout`` seconds (0:
        forever) for ``source`` to have some, on a connection of its own; None on timeout."""
        if bool(min) == bool(max):
            raise DataError("BZMOVE requires exactly one of 'min' or 'max'")
        args: tuple[Any, ...] = ("BZMOVE", source, destination, "MIN" if min else "MAX",
                                 block_timeout(timeout))
        if count is not None:
            args += ("COUNT", count)
        return self._execute_blocking(args, _zmove)

    def zmovemember(self, source: KeyT, destination: KeyT,
                    members: EncodableT | Iterable[EncodableT], nx: bool = False,
                    xx: bool = False) -> Reply[list[list[Any]] | None]:
        """ZMOVE of the given ``members`` (one or an iterable), in order; ``nx`` / ``xx``:
        only those ``destination`` lacks / has. [[member, score], ...] moved, or None."""
        if nx and xx:
            raise DataError("ZMOVEMEMBER allows either 'nx' or 'xx', not both")
        names: list[Any] = list_or_args(members, ())
        return self._execute(("ZMOVEMEMBER", source, destination,
                              *(("NX",) if nx else ("XX",) if xx else ()),
                              "MEMBERS", len(names), *names), _zmove)


def _zmove(reply: Any) -> Any:
    # [[member, score], ...]: the score a bulk string over RESP2, a double over RESP3
    if reply is None:
        return None
    return [[member, float(score)] for member, score in reply]


def _numkeys(numkeys: Any, keys: list[Any]) -> int:
    # a numkeys that disagrees with the keys given makes the server read keys as options
    # (or options as keys): refuse before sending
    if isinstance(numkeys, bool) or not isinstance(numkeys, int) or numkeys != len(keys):
        raise DataError(f"numkeys ({numkeys!r}) must be the number of keys given ({len(keys)})")
    return numkeys


def _min_max(min: Any, max: Any) -> str:
    if bool(min) == bool(max):
        raise DataError("Either min or max, but not both must be set")
    return "MIN" if min else "MAX"


def _zmpop(reply: Any) -> Any:
    if not reply:
        return None
    return [reply[0], [[m, float(s)] for m, s in reply[1]]]
