"""``Result``: what ``search()`` answers over RESP2 (``total``, ``docs``, ``duration``,
``warnings``), built as redis-py builds it: ids and field values decoded (undecodable
bytes dropped), except fields ``Query.return_field(..., decode_field=False)`` keeps
raw; a JSON document's ``$`` under ``json``."""

from __future__ import annotations

from typing import Any

from ._util import decode_field_value, str_if_bytes, to_string
from .document import Document

__all__ = ["Result"]


def _make_document(doc_id: Any, fields: dict[str, Any], score: Any, with_scores: bool,
                   payload: Any, has_payload: bool) -> Document:
    # a field named "payload" or "score" comes in **fields; the reply's own score and
    # payload win when they were asked for, as the id does
    doc = Document(doc_id, **fields)
    if with_scores:
        doc.score = score  # type: ignore[attr-defined]
    if has_payload:
        doc.payload = payload
    return doc


def _tidy(fields: dict[str, Any]) -> dict[str, Any]:
    fields.pop("id", None)
    if "$" in fields:
        fields["json"] = fields.pop("$")
    return fields


class Result:
    """A search's documents: ``total`` matches, ``docs`` (:class:`Document` objects of
    this page), ``duration`` (client-side milliseconds) and the server's ``warnings``."""

    def __init__(self, res: Any, hascontent: bool, duration: float = 0,
                 has_payload: bool = False, with_scores: bool = False,
                 field_encodings: dict[str, str | None] | None = None,
                 warnings: list[Any] | None = None) -> None:
        self.total: int = res[0]
        self.duration = duration
        self.docs: list[Document] = []
        self.warnings: list[Any] = warnings or []
        step = 1 + hascontent + has_payload + with_scores
        offset = 2 if with_scores else 1
        fields_offset = offset + 1 if has_payload else offset
        for i in range(1, len(res), step):
            payload = to_string(res[i + offset]) if has_payload else None
            score = float(res[i + 1]) if with_scores else None
            fields: dict[str, Any] = {}
            if hascontent and res[i + fields_offset] is not None:
                flat = res[i + fields_offset]
                for key, value in zip(map(to_string, flat[::2]), flat[1::2]):
                    if field_encodings is None or key not in field_encodings:
                        fields[key] = to_string(value)
                    elif (encoding := field_encodings[key]) is None:
                        fields[key] = value
                    else:
                        fields[key] = to_string(value, encoding=encoding)
            self.docs.append(_make_document(to_string(res[i]), _tidy(fields), score,
                                            with_scores, payload, has_payload))

    @classmethod
    def from_resp3(cls, res: Any, duration: float = 0, with_scores: bool = False,
                   field_encodings: dict[str, str | None] | None = None,
                   with_payloads: bool = False) -> Result:
        """A Result from FT.SEARCH's RESP3 map (``total_results``, ``results``,
        ``warning``)."""
        instance = cls.__new__(cls)
        res = {str_if_bytes(k): v for k, v in (res or {}).items()}
        instance.total = res.get("total_results", 0)
        instance.duration = duration
        instance.docs = []
        instance.warnings = [str_if_bytes(w) for w in res.get("warning", [])]
        for item in res.get("results", []):
            item = {str_if_bytes(k): v for k, v in item.items()}
            score = float(item["score"]) if with_scores and "score" in item else None
            payload = to_string(item.get("payload")) if with_payloads else None
            fields = {}
            for key, value in (item.get("extra_attributes") or {}).items():
                key = str_if_bytes(key)
                fields[key] = decode_field_value(value, key, field_encodings)
            instance.docs.append(_make_document(str_if_bytes(item.get("id", "")), _tidy(fields),
                                                score, with_scores, payload, with_payloads))
        return instance

    def __repr__(self) -> str:
        return f"Result{{{self.total} total, docs: {self.docs}}}"
