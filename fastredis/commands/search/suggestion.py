"""``Suggestion`` (FT.SUGADD's input, FT.SUGGET's output) and its reply parser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._util import to_string

__all__ = ["Suggestion", "SuggestionParser"]


class Suggestion:
    """One auto-complete suggestion: ``string``, ``score`` and an optional ``payload``."""

    def __init__(self, string: str, score: float = 1.0, payload: str | None = None) -> None:
        self.string: str = to_string(string)
        self.payload: str | None = to_string(payload)
        self.score = score

    def __repr__(self) -> str:
        return self.string


class SuggestionParser:
    """FT.SUGGET's flat reply as :class:`Suggestion` objects: 1, 2 or 3 items each,
    as the call asked for scores and payloads."""

    def __init__(self, with_scores: bool, with_payloads: bool, ret: Any) -> None:
        self.with_scores = with_scores
        self.with_payloads = with_payloads
        self._scoreidx = 1
        self._payloadidx = 2 if with_scores else 1
        self.sugsize = 1 + with_scores + with_payloads
        self._sugs = ret

    def __iter__(self) -> Iterator[Suggestion]:
        sugs = self._sugs
        for i in range(0, len(sugs), self.sugsize):
            score = float(sugs[i + self._scoreidx]) if self.with_scores else 1.0
            payload = sugs[i + self._payloadidx] if self.with_payloads else None
            yield Suggestion(sugs[i], score, payload)
