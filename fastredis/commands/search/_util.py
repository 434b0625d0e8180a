"""Decoding helpers shared by the search result classes (redis-py's ``_util`` and
``redis.utils`` helpers, with their exact error handling: the shapes users read depend
on it)."""

from __future__ import annotations

from typing import Any


def to_string(s: Any, encoding: str = "utf-8") -> Any:
    """bytes decoded (undecodable bytes dropped, as redis-py); anything else as it is."""
    if isinstance(s, bytes):
        return s.decode(encoding, "ignore")
    return s


def str_if_bytes(value: Any) -> Any:
    """bytes decoded with replacement characters (redis-py's ``str_if_bytes``)."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def decode_field_value(value: Any, key: Any = None,
                       field_encodings: dict[str, str | None] | None = None) -> Any:
    """A field value decoded with the encoding ``Query.return_field`` recorded for it
    (``None``: the raw bytes are kept), else with :func:`str_if_bytes`."""
    if not isinstance(value, bytes):
        return value
    if field_encodings and key is not None and key in field_encodings:
        encoding = field_encodings[key]
        if encoding is None:
            return value
        return value.decode(encoding, "replace")
    return str_if_bytes(value)
