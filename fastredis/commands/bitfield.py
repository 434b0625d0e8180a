"""BITFIELD and BITFIELD_RO, with redis-py's ``BitFieldOperation`` builder.

``r.bitfield(key).set("u8", 0, 255).incrby("u8", "#1", 3).get("u8", 0)`` queues
sub-operations; ``await op.execute()`` sends them as one BITFIELD command and returns the
list of their results (None for an INCRBY that hit OVERFLOW FAIL)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr, Union

from ..exceptions import DataError
from ._base import CommandsBase

if TYPE_CHECKING:
    from ..typing import KeyT, Reply

#: a bit offset: an int, or ``"#N"`` (N times the type's width)
BitfieldOffsetT = Union[int, str]

_OVERFLOWS = ("WRAP", "SAT", "FAIL")


def _overflow(value: Any) -> str:
    if not isinstance(value, str) or value.upper() not in _OVERFLOWS:
        raise DataError(f"overflow must be one of WRAP, SAT, FAIL, got {value!r}")
    return value.upper()


def _check(fmt: Any, offset: Any) -> None:
    # checked here so a wrong type is a DataError when queued, not at execute()
    if not isinstance(fmt, (str, bytes)):
        raise DataError(f"bitfield type must be like 'u8' or 'i16', got {type(fmt).__name__!r}")
    if isinstance(offset, bool) or not isinstance(offset, (int, str, bytes)):
        raise DataError(f"bitfield offset must be an int or '#N', got {type(offset).__name__!r}")


class BitFieldOperation:
    """Sub-operations of one BITFIELD command, built by chaining (redis-py's API)."""

    __slots__ = ("client", "key", "_default_overflow", "operations", "_last_overflow")

    def __init__(self, client: Any, key: KeyT, default_overflow: str | None = None) -> None:
        self.client = client
        self.key = key
        self._default_overflow = None if default_overflow is None else _overflow(default_overflow)
        self.operations: list[tuple[Any, ...]] = []
        self._last_overflow = "WRAP"
        self.reset()

    def reset(self) -> None:
        """Forget the queued operations (the default overflow applies again)."""
        self.operations = []
        self._last_overflow = "WRAP"
        self.overflow(self._default_overflow or self._last_overflow)

    def overflow(self, overflow: str) -> BitFieldOperation:
        """Overflow policy (WRAP, SAT, FAIL) for the INCRBY/SET operations that follow."""
        overflow = _overflow(overflow)
        if overflow != self._last_overflow:
            self._last_overflow = overflow
            self.operations.append(("OVERFLOW", overflow))
        return self

    def incrby(self, fmt: str, offset: BitfieldOffsetT, increment: int,
               overflow: str | None = None) -> BitFieldOperation:
        """Add ``increment`` to the field; its result is the new value."""
        _check(fmt, offset)
        if overflow is not None:
            self.overflow(overflow)
        self.operations.append(("INCRBY", fmt, offset, increment))
        return self

    def get(self, fmt: str, offset: BitfieldOffsetT) -> BitFieldOperation:
        """Read the field; its result is the value."""
        _check(fmt, offset)
        self.operations.append(("GET", fmt, offset))
        return self

    def set(self, fmt: str, offset: BitfieldOffsetT, value: int) -> BitFieldOperation:
        """Write the field; its result is the previous value."""
        _check(fmt, offset)
        self.operations.append(("SET", fmt, offset, value))
        return self

    @property
    def command(self) -> list[Any]:
        """The command as it will be sent."""
        cmd: list[Any] = ["BITFIELD", self.key]
        for op in self.operations:
            cmd.extend(op)
        return cmd

    def execute(self) -> Reply[list[int | None]]:
        """Send the queued operations as one BITFIELD (then forget them); the list of
        their results."""
        command = self.command
        self.reset()
        result: Reply[list[int | None]] = self.client._execute(tuple(command))
        return result

    def __repr__(self) -> str:
        return f"<BitFieldOperation key={self.key!r} operations={len(self.operations)}>"


class BitFieldCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def bitfield(self, key: KeyT, default_overflow: str | None = None) -> BitFieldOperation:
        """A ``BitFieldOperation`` on ``key`` to chain ``set``/``get``/``incrby``/``overflow``
        on, then ``await op.execute()``."""
        return BitFieldOperation(self, key, default_overflow=default_overflow)

    def bitfield_ro(self, key: KeyT, encoding: str, offset: BitfieldOffsetT,
                    items: list[tuple[str, BitfieldOffsetT]] | None = None) -> Reply[list[int]]:
        """Read-only BITFIELD: GET ``encoding`` at ``offset``, then each ``(encoding, offset)``
        of ``items``; the list of values."""
        _check(encoding, offset)
        args: tuple[Any, ...] = ("BITFIELD_RO", key, "GET", encoding, offset)
        for enc, off in items or ():
            _check(enc, off)
            args += ("GET", enc, off)
        return self._execute(args)
