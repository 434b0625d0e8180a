"""How the TS.* replies become redis-py 8.2's results (its default, "legacy" shapes).

Over RESP2 a client gets what redis-py's RESP2 callbacks make: samples as ``(timestamp,
value)`` tuples with float values, TS.GET as one such tuple (None when the series is empty),
TS.MGET / TS.MRANGE as a list of one-key dicts sorted by key, labels as a dict of ``str``
(redis-py's ``nativestr``: decoded even without ``decode_responses``; the label value
``"null"`` reads as None). Each parser here also reads the RESP3 form of its reply (a map
where RESP2 has an array of triples, doubles where it has strings) into the same shape, as
redis-py does when it speaks RESP3 but was asked for its legacy shapes.

Over RESP3 (``protocol=3``) redis-py applies none of these: the server's reply is the result,
except where redis-py shapes it whatever the protocol (``parse_n_range``, ``parse_query_labels``
and TS.READ's ``parse_range_unified``)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "list_to_dict", "parse_get", "parse_m_get", "parse_m_range", "parse_n_range",
    "parse_query_labels", "parse_range", "parse_range_unified",
]


def _nativestr(x: Any) -> Any:
    """redis-py's ``nativestr``: bytes decoded (invalid UTF-8 replaced), ``"null"`` -> None."""
    r = x.decode("utf-8", "replace") if isinstance(x, bytes) else x
    return None if r == "null" else r


def list_to_dict(aList: Any) -> dict[Any, Any]:
    """``[[label, value], ...]`` -> ``{label: value}``, both through ``nativestr``."""
    return {_nativestr(pair[0]): _nativestr(pair[1]) for pair in aList}


def _labels(raw: Any) -> dict[Any, Any]:
    """The labels of one series: RESP2's list of pairs or RESP3's map (None, empty: {})."""
    if not raw:
        return {}
    if isinstance(raw, dict):
        return {_nativestr(k): _nativestr(v) if isinstance(v, (bytes, str)) else v
                for k, v in raw.items()}
    return list_to_dict(raw)


def parse_range(response: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
    """TS.RANGE / TS.REVRANGE: ``[(timestamp, value), ...]``; with several aggregators
    ``[(timestamp, value1, value2, ...), ...]`` (values floats)."""
    if not response:
        return []
    if len(response[0]) > 2:
        return [(r[0], *(float(v) for v in r[1:])) for r in response]
    return [(r[0], float(r[1])) for r in response]


def parse_range_unified(response: Any, **kwargs: Any) -> list[list[Any]]:
    """TS.READ: ``[[timestamp, value], ...]`` (lists, on both protocols)."""
    if not response:
        return []
    if len(response[0]) > 2:
        return [[r[0], *(float(v) for v in r[1:])] for r in response]
    return [[r[0], float(r[1])] for r in response]


def parse_n_range(response: Any, **kwargs: Any) -> list[list[Any]]:
    """TS.NRANGE / TS.NREVRANGE: ``[[timestamp, [value per key ...]], ...]`` in the server's
    order, a missing sample kept as NaN."""
    if not response:
        return []
    return [[int(row[0]), [float(v) for v in row[1]]] for row in response]


def parse_query_labels(response: Any, **kwargs: Any) -> set[Any]:
    """TS.QUERYLABELS: a set of the label names (or values), as sent (None: empty)."""
    if response is None:
        return set()
    return set(response)


def parse_get(response: Any) -> tuple[int, float] | None:
    """TS.GET: ``(timestamp, value)``, None for an empty series."""
    if not response:
        return None
    return int(response[0]), float(response[1])


def _by_key(res: list[dict[Any, Any]]) -> list[dict[Any, Any]]:
    return sorted(res, key=lambda d: list(d.keys()))


def parse_m_get(response: Any) -> list[dict[Any, list[Any]]]:
    """TS.MGET: ``[{key: [labels, timestamp, value]}, ...]`` sorted by key; ``None, None``
    for a series without samples."""
    if isinstance(response, dict):
        items: Any = ((key, item[0], item[1] if len(item) > 1 else None)
                      for key, item in response.items())
    else:
        items = ((item[0], item[1], item[2]) for item in response)
    res: list[dict[Any, list[Any]]] = []
    for key, labels, sample in items:
        if not sample:
            res.append({_nativestr(key): [_labels(labels), None, None]})
        else:
            res.append({_nativestr(key): [_labels(labels), int(sample[0]), float(sample[1])]})
    return _by_key(res)


def parse_m_range(response: Any, **kwargs: Any) -> list[dict[Any, list[Any]]]:
    """TS.MRANGE / TS.MREVRANGE: ``[{key: [labels, [(timestamp, value), ...]]}, ...]``
    sorted by key (a GROUPBY group's key is ``label=value``)."""
    if isinstance(response, dict):  # RESP3: key -> [labels, metadata..., samples]
        return _by_key([{_nativestr(key): [_labels(item[0]), parse_range(item[-1])]}
                        for key, item in response.items()])
    return _by_key([{_nativestr(item[0]): [_labels(item[1]), parse_range(item[2])]}
                    for item in response])
