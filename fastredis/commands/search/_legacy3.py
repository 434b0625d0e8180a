"""RediSearch replies read over RESP3 into redis-py's default (legacy, RESP2) results.

A client whose ``protocol`` is not chosen speaks RESP3 (redis-py 8's default) and gets the
results redis-py 8.2 gives then (its ``_RESP3_TO_RESP2_LEGACY_MODULE_CALLBACKS``): a
``Result`` for FT.SEARCH, an ``AggregateResult`` for FT.AGGREGATE, ``(result,
ProfileInformation)`` for FT.PROFILE and dicts for FT.INFO, FT.SPELLCHECK, FT.CONFIG GET
and FT.SYNDUMP, made from the server's maps. Compared with redis-py on Redis 8.2.3 in
tests/test_redis8_search.py (the ``default`` legs)."""

from __future__ import annotations

import time
from typing import Any

from ._util import str_if_bytes
from .aggregation import AggregateResult, Cursor
from .profile_information import ProfileInformation
from .result import Result

__all__ = ["search", "aggregate", "profile", "info", "spellcheck", "config_get", "syndump"]


def _strings(obj: Any) -> Any:
    """Bytes keys and values to str, recursively (redis-py's ``_to_string_recursive``)."""
    if isinstance(obj, bytes):
        return str_if_bytes(obj)
    if isinstance(obj, dict):
        return {str_if_bytes(k) if isinstance(k, bytes) else k: _strings(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strings(item) for item in obj]
    return obj


def search(res: Any, query: Any, st: float) -> Result:
    return Result.from_resp3(res, duration=(time.monotonic() - st) * 1000.0,
                             with_scores=query._with_scores,
                             field_encodings=query._return_fields_decode_as,
                             with_payloads=query._with_payloads)


def aggregate(res: Any, query: Any, has_cursor: bool) -> AggregateResult:
    cursor_id = 0
    if has_cursor and isinstance(res, list):
        data = res[0]
        cursor_id = res[1] if len(res) > 1 else 0
    else:
        data = res
    data = {str_if_bytes(k): v for k, v in (data or {}).items()}
    rows = []
    for item in data.get("results", []):
        item = {str_if_bytes(k): v for k, v in item.items()}
        rows.append([x for kv in (item.get("extra_attributes") or {}).items() for x in kv])
    cursor: Any = None
    if has_cursor:
        if isinstance(query, Cursor) or hasattr(query, "cid"):
            query.cid = cursor_id
            cursor = query
        else:
            cursor = Cursor(cursor_id)
    return AggregateResult(rows, cursor, None, total=data.get("total_results", 0),
                           warnings=[str_if_bytes(w) for w in data.get("warning", [])])


def _get(res: dict[Any, Any], *names: Any) -> Any:
    for name in names:
        value = res.get(name)
        if value is not None:
            return value
    return None


def _profile_to_list(data: Any, flat_top: bool) -> Any:
    """redis-py's ``_resp3_profile_dict_to_list``: the RESP2 wire shape of the profile (a
    list of dicts as a value becomes sibling elements)."""

    def many(obj: Any) -> bool:
        return isinstance(obj, list) and bool(obj) and isinstance(obj[0], dict)

    def convert(obj: Any, top: bool = False) -> Any:
        if isinstance(obj, dict):
            out: list[Any] = []
            for k, v in obj.items():
                entry: list[Any] = [k] if top and not flat_top else out
                if entry is out:
                    out.append(k)
                if many(v):
                    entry.extend(convert(item) for item in v)
                else:
                    entry.append(convert(v))
                if entry is not out:
                    out.append(entry)
            return out
        if isinstance(obj, list):
            return [convert(item) for item in obj]
        return obj

    return convert(data, top=True)


def profile(res: Any, query: Any, st: float, is_aggregate: bool,
            resp2_parse: Any) -> tuple[Any, ProfileInformation]:
    if isinstance(res, list):  # older RediSearch: the RESP2 shape over RESP3 too
        return resp2_parse(res)  # type: ignore[no-any-return]
    results = _get(res, "Results", b"Results", "results", b"results", 0)
    data = _get(res, "Profile", b"Profile", "profile", b"profile", 1)
    if isinstance(results, list):
        results = {"total_results": len(results), "results": results}
    result: Any
    if is_aggregate:
        result = aggregate(results, query, bool(query._cursor))
    else:
        result = search(results, query, st)
    data = _strings(data)
    if isinstance(data, dict):
        data = _profile_to_list(data, flat_top="Shards" in data or "Coordinator" in data)
    return result, ProfileInformation(data)


def info(res: Any) -> Any:
    out = _strings(res)
    attrs = out.get("attributes") if isinstance(out, dict) else None
    if isinstance(attrs, list):
        flat_attrs = []
        for attr in attrs:
            if isinstance(attr, dict):
                flat = [x for k, v in attr.items() if k != "flags" for x in (k, v)]
                flat.extend(attr.get("flags") or [])
                attr = flat
            flat_attrs.append(attr)
        out["attributes"] = flat_attrs
    return out


def spellcheck(res: Any, resp2_parse: Any) -> Any:
    if not isinstance(res, dict):
        return resp2_parse(res)
    res = {str_if_bytes(k): v for k, v in res.items()}
    corrections: dict[Any, Any] = {}
    for term, suggestions in (res.get("results") or {}).items():
        found = []
        for suggestion in suggestions or ():
            for text, score in suggestion.items():
                shown = str(score)
                found.append({"score": shown[:-2] if shown.endswith(".0") else shown,
                              "suggestion": text})
        if found:
            corrections[term] = found
    return corrections


def config_get(res: Any) -> Any:
    return dict(res) if res else {}


def syndump(res: Any) -> Any:
    return _strings(res) if res else {}
