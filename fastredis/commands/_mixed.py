"""A client's pipeline with a module family's commands first: redis-py's ``json().pipeline()``
and ``ts().pipeline()``, whose ``set``/``get``/``delete`` ... are the family's commands and
every other command the core one."""

from __future__ import annotations

from typing import Any

__all__ = ["mixed_pipeline"]

_CLASSES: dict[tuple[type, type], type] = {}


def mixed_pipeline(pipe: Any, mixin: type, prefix: str) -> Any:
    """``pipe`` (a pipeline the client made, with its checks and state) as an instance of
    its class with ``mixin`` first in the MRO; the class is made once per (mixin, pipeline
    class). A pipeline keeps its state in its ``__dict__`` only: ``__class__`` cannot be
    reassigned (CPython's layout check refuses the mixin first), so the state is copied."""
    base = type(pipe)
    cls = _CLASSES.get((mixin, base))
    if cls is None:
        cls = type(prefix + base.__name__, (mixin, base),
                   {"__module__": mixin.__module__, "__doc__": base.__doc__, "__slots__": ()})
        _CLASSES[(mixin, base)] = cls
    out: Any = object.__new__(cls)
    out.__dict__.update(vars(pipe))
    return out
