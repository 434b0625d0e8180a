"""Vector sets (Redis 8): ``r.vset()``, with redis-py 8.2's names, arguments and results.

``r.vset()`` returns a small object bound to the client (or pipeline, or RedisCluster) whose
methods send VADD, VSIM, VEMB ... through that client's own ``_execute``: on a client they are
coroutines, on a pipeline they queue and return the pipeline, on a cluster they are routed
by their key like any command.

The reply callbacks give redis-py's shapes for each protocol, told apart by the reply
itself (a RESP3 map arrives as a dict, a RESP3 double as a float), so no callback needs
to know which protocol the connection speaks. Like redis-py, RESP3 keeps what the server
sends where redis-py keeps it: VEMB's components are floats on RESP3 but ints where
integral on RESP2, VADD/VREM/VSETATTR answer booleans on RESP3.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import TYPE_CHECKING, Any, AnyStr, Generic, Union

from ..exceptions import DataError
from ._base import CommandsBase, ReplyCallback, pairs_to_dict

if TYPE_CHECKING:
    from ..typing import FieldT, KeyT, Number, Reply

__all__ = ["QuantizationOptions", "VectorSet", "VectorSetCommands", "VectorSetFactory"]


class QuantizationOptions(Enum):
    """VADD's quantization (redis-py's enum; redis-py's own members are accepted too)."""

    NOQUANT = "NOQUANT"
    BIN = "BIN"
    Q8 = "Q8"


def _attributes_json(attributes: dict[str, Any] | str) -> str:
    return json.dumps(attributes) if isinstance(attributes, dict) else attributes


def _json_or_none(reply: Any) -> Any:
    # redis-py's ``r and json.loads(r) or None``: an empty object is None too
    return reply and json.loads(reply) or None


def _vinfo(reply: Any) -> dict[Any, Any] | None:
    return pairs_to_dict(reply) if reply else None


def _vemb(reply: Any) -> list[Any] | None:
    if reply is None:
        return None
    out: list[Any] = []
    for value in reply:
        if value.__class__ is float:  # RESP3 doubles: kept as the server sent them
            out.append(value)
            continue
        try:
            out.append(int(value))
        except ValueError:
            out.append(float(value))
    return out


def _vemb_raw(reply: Any) -> dict[str, Any] | None:
    if reply is None:
        return None
    result: dict[str, Any] = {"quantization": reply[0], "raw": reply[1], "l2": float(reply[2])}
    if len(reply) > 3:
        result["range"] = float(reply[3])
    return result


def _vlinks_scores(reply: Any) -> list[dict[Any, float]] | None:
    if reply is None:
        return None
    return [{k: float(v) for k, v in pairs_to_dict(level).items()} for level in reply]


def _vsim_scores(reply: Any) -> Any:
    if reply is None:
        return None
    return {k: float(v) for k, v in pairs_to_dict(reply).items()}


def _vsim_attribs(reply: Any) -> Any:
    if reply is None:
        return None
    return {k: (json.loads(v) if v else None) for k, v in pairs_to_dict(reply).items()}


def _vsim_both(reply: Any) -> Any:
    if reply is None:
        return None
    if reply.__class__ is dict:  # RESP3: {element: [score, attributes]}
        items = [(k, v[0], v[1]) for k, v in reply.items()]
    else:  # RESP2: [element, score, attributes, ...]
        it = iter(reply)
        items = [(k, float(s), a) for k, s, a in zip(it, it, it)]
    return {k: {"score": s, "attributes": json.loads(a) if a is not None else None}
            for k, s, a in items}


# VSIM's replies: element list; with scores and/or attributes a dict (redis-py)
_VSIM_CALLBACKS: dict[tuple[bool, bool], ReplyCallback | None] = {
    (False, False): None, (True, False): _vsim_scores,
    (False, True): _vsim_attribs, (True, True): _vsim_both,
}


class VectorSetCommands(CommandsBase[AnyStr]):
    """VADD, VSIM, VDIM, VCARD, VREM, VEMB, VLINKS, VINFO, VSETATTR, VGETATTR, VRANDMEMBER,
    VRANGE; see https://redis.io/docs/latest/develop/data-types/vector-sets/."""

    __slots__ = ()

    def vadd(self, key: KeyT, vector: list[float] | bytes, element: FieldT,
             reduce_dim: int | None = None, cas: bool | None = False,
             quantization: QuantizationOptions | None = None, ef: Number | None = None,
             attributes: dict[str, Any] | str | None = None,
             numlinks: int | None = None) -> Reply[int]:
        """VADD: add ``vector`` (floats, or FP32 ``bytes``) for ``element``; 1 if added, 0
        if it was there (RESP3: True/False). ``attributes``: a dict (sent as JSON) or a JSON
        string; ``{}`` replaces them with an empty object, ``""`` removes them, None leaves
        them. ``quantization``: NOQUANT, BIN or Q8 (default int8)."""
        if not vector or element is None:
            raise DataError("Both vector and element must be provided")
        args: tuple[Any, ...] = ("VADD", key)
        if reduce_dim:
            args += ("REDUCE", reduce_dim)
        if isinstance(vector, bytes):
            args += ("FP32", vector)
        else:
            args += ("VALUES", len(vector), *vector)
        args += (element,)
        if cas:
            args += ("CAS",)
        if quantization:
            args += (quantization.value,)
        if ef:
            args += ("EF", ef)
        if attributes is not None:
            args += ("SETATTR", _attributes_json(attributes))
        if numlinks:
            args += ("M", numlinks)
        return self._execute(args)

    def vsim(self, key: KeyT, input: list[float] | bytes | str,
             with_scores: bool | None = False, with_attribs: bool | None = False,
             count: int | None = None, ef: Number | None = None, filter: str | None = None,
             filter_ef: str | None = None, truth: bool | None = False,
             no_thread: bool | None = False, epsilon: Number | None = None,
             ) -> Reply[list[AnyStr] | dict[AnyStr, Any] | None]:
        """VSIM: the elements most similar to ``input`` (a vector, FP32 ``bytes``, or the
        name of an element). With ``with_scores`` a dict element -> score, with
        ``with_attribs`` element -> attributes (None when it has none), with both element ->
        ``{"score": ..., "attributes": ...}``. ``filter``: an expression on the attributes."""
        if not input and not isinstance(input, str):
            raise DataError("'input' should be provided")
        args: tuple[Any, ...] = ("VSIM", key)
        if isinstance(input, bytes):
            args += ("FP32", input)
        elif isinstance(input, list):
            args += ("VALUES", len(input), *input)
        else:
            args += ("ELE", input)
        if with_scores:
            args += ("WITHSCORES",)
        if with_attribs:
            args += ("WITHATTRIBS",)
        if count:
            args += ("COUNT", count)
        if epsilon:
            args += ("EPSILON", epsilon)
        if ef:
            args += ("EF", ef)
        if filter:
            args += ("FILTER", filter)
        if filter_ef:
            args += ("FILTER-EF", filter_ef)
        if truth:
            args += ("TRUTH",)
        if no_thread:
            args += ("NOTHREAD",)
        return self._execute(args, _VSIM_CALLBACKS[bool(with_scores), bool(with_attribs)])

    def vdim(self, key: KeyT) -> Reply[int]:
        """VDIM: the vectors' dimension (after REDUCE, the reduced one); an error if the
        set does not exist."""
        return self._execute(("VDIM", key))

    def vcard(self, key: KeyT) -> Reply[int]:
        """VCARD: the number of elements (0 for a missing key)."""
        return self._execute(("VCARD", key))

    def vrem(self, key: KeyT, element: FieldT) -> Reply[int]:
        """VREM: 1 if ``element`` was removed, else 0 (RESP3: True/False)."""
        return self._execute(("VREM", key, element))

    def vemb(self, key: KeyT, element: FieldT, raw: bool | None = False
             ) -> Reply[list[Number] | dict[str, Any] | None]:
        """VEMB: the (approximated) vector of ``element``, None if missing. ``raw=True``:
        ``{"quantization", "raw", "l2"[, "range"]}``, the internal representation (binary:
        a client with ``decode_responses=True`` decodes it too, and raises DataError when
        it is not text)."""
        if raw:
            return self._execute(("VEMB", key, element, "RAW"), _vemb_raw)
        return self._execute(("VEMB", key, element), _vemb)

    def vlinks(self, key: KeyT, element: FieldT, with_scores: bool | None = False
               ) -> Reply[list[list[AnyStr]] | list[dict[AnyStr, float]] | None]:
        """VLINKS: the neighbours of ``element`` on each level of the graph (with
        ``with_scores``, one dict neighbour -> score per level); None if missing."""
        if with_scores:
            return self._execute(("VLINKS", key, element, "WITHSCORES"), _vlinks_scores)
        return self._execute(("VLINKS", key, element))

    def vinfo(self, key: KeyT) -> Reply[dict[AnyStr, Any] | None]:
        """VINFO: a dict about the set (quant-type, vector-dim, size ...); None if missing."""
        return self._execute(("VINFO", key), _vinfo)

    def vsetattr(self, key: KeyT, element: FieldT,
                 attributes: dict[str, Any] | str | None = None) -> Reply[int]:
        """VSETATTR: set ``element``'s JSON attributes (a dict or a JSON string; None or ""
        removes them); 1 if the element exists, else 0 (RESP3: True/False)."""
        value = "{}" if attributes is None else _attributes_json(attributes)
        return self._execute(("VSETATTR", key, element, value))

    def vgetattr(self, key: KeyT, element: FieldT) -> Reply[dict[str, Any] | None]:
        """VGETATTR: ``element``'s attributes, parsed; None if it or they are missing."""
        return self._execute(("VGETATTR", key, element), _json_or_none)

    def vrandmember(self, key: KeyT, count: int | None = None
                    ) -> Reply[AnyStr | list[AnyStr] | None]:
        """VRANDMEMBER: one random element, or with ``count`` a list (negative: repeats
        allowed); None for a missing key."""
        args: tuple[Any, ...] = ("VRANDMEMBER", key) if count is None else ("VRANDMEMBER", key, count)
        return self._execute(args)

    def vrange(self, key: KeyT, start: str, end: str, count: int | None = None
               ) -> Reply[list[AnyStr]]:
        """VRANGE (Redis 8.4): elements in lexicographical order from ``start`` to ``end``
        (``[a`` inclusive, ``(a`` exclusive, ``-`` / ``+`` the ends), at most ``count``."""
        args: tuple[Any, ...] = ("VRANGE", key, start, end)
        if count is not None:
            args += (count,)
        return self._execute(args)


_Host = Union[CommandsBase[Any], Any]


class VectorSet(VectorSetCommands[AnyStr], Generic[AnyStr]):
    """What ``r.vset()`` returns: the vector set commands, sent through ``client``."""

    __slots__ = ("client",)

    def __init__(self, client: _Host) -> None:
        self.client = client

    def _execute(self, args: tuple[Any, ...], callback: ReplyCallback | None = None) -> Any:
        return self.client._execute(args, callback)

    def __repr__(self) -> str:
        return f"<VectorSet of {self.client!r}>"


class VectorSetFactory(CommandsBase[AnyStr]):
    """The ``vset()`` of clients, pipelines and RedisCluster (redis-py's name)."""

    __slots__ = ()

    def vset(self) -> VectorSet[AnyStr]:
        """The vector set commands (VADD, VSIM ...), sent through this client/pipeline."""
        return VectorSet(self)
