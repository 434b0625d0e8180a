"""``IndexDefinition`` and ``IndexType``: FT.CREATE's ``ON HASH|JSON``, ``PREFIX``,
``FILTER``, ``LANGUAGE``, ``SCORE`` and ``PAYLOAD_FIELD`` (redis-py's classes)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from .._base import list_or_args

__all__ = ["IndexDefinition", "IndexType"]


class IndexType(Enum):
    """What the index follows: hashes or JSON documents."""

    HASH = 1
    JSON = 2


class IndexDefinition:
    """Which keys the index follows and how; ``args`` are the words it adds to FT.CREATE."""

    def __init__(
        self,
        prefix: Sequence[str] | str = (),
        filter: str | None = None,
        language_field: str | None = None,
        language: str | None = None,
        score_field: str | None = None,
        score: float = 1.0,
        payload_field: str | None = None,
        index_type: IndexType | None = None,
    ) -> None:
        self.args: list[Any] = []
        # redis-py's IndexType members are accepted too (same names)
        kind = index_type.name if isinstance(index_type, Enum) else None
        if kind in ("HASH", "JSON"):
            self.args.extend(["ON", kind])
        elif index_type is not None:
            raise RuntimeError(f"index_type must be one of {list(IndexType)}")
        if prefix is None:
            raise TypeError("prefix must be provided")
        if len(prefix) > 0:
            prefixes = list_or_args(prefix, ())
            self.args += ["PREFIX", len(prefixes), *prefixes]
        if filter is not None:
            self.args += ["FILTER", filter]
        if language_field is not None:
            self.args += ["LANGUAGE_FIELD", language_field]
        if language is not None:
            self.args += ["LANGUAGE", language]
        if score_field is not None:
            self.args += ["SCORE_FIELD", score_field]
        if score is not None:
            self.args += ["SCORE", score]
        if payload_field is not None:
            self.args += ["PAYLOAD_FIELD", payload_field]
