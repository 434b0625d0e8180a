"""``Document``: one document of a search result."""

from __future__ import annotations

from typing import Any

__all__ = ["Document"]


class Document:
    """One document of a :class:`~fastredis.commands.search.result.Result`: ``id``,
    ``payload`` (``None`` unless the query asked for payloads), ``score`` when the query
    asked for scores, and one attribute per returned field (``doc.title`` or
    ``doc["title"]``). A JSON document's ``$`` is under ``json``."""

    def __init__(self, id: Any, payload: Any = None, **fields: Any) -> None:
        self.id = id
        self.payload = payload
        for k, v in fields.items():
            setattr(self, k, v)

    def __repr__(self) -> str:
        return f"Document {self.__dict__}"

    def __getitem__(self, item: str) -> Any:
        return getattr(self, item)
