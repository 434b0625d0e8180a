"""``ProfileInformation``: the profile part of FT.PROFILE's answer."""

from __future__ import annotations

from typing import Any

__all__ = ["ProfileInformation"]


class ProfileInformation:
    """The server's profile of a search or aggregation, in ``info`` (as redis-py shapes
    it: a list on RESP2, the server's map on RESP3)."""

    def __init__(self, info: Any) -> None:
        self._info: Any = info

    @property
    def info(self) -> Any:
        return self._info
