"""Hash-field expiry (HEXPIRE, HTTL, HGETEX, HSETEX, HGETDEL ...): Valkey >= 9.0 and
Redis >= 7.4 / 8.0. Redis 7.0 answers these with an unknown-command ResponseError.

Per-field replies are lists of ints, one per field, as the server sends them
(redis-py's shape): for HEXPIRE -2 no such field, 0 condition not met, 1 set,
2 deleted (time in the past); for HTTL -2 no such field, -1 no expiry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr

from ..exceptions import DataError
from ._base import STRING_TYPES, CommandsBase, check_name, flatten_mapping

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ..typing import AbsExpiryT, EncodableT, ExpiryT, FieldT, KeyT, Reply


def expire_condition(nx: bool, xx: bool, gt: bool, lt: bool) -> tuple[Any, ...]:
    # redis-py raises ValueError here; DataError is our "refused before sending" error
    if nx + xx + gt + lt > 1:
        raise DataError("Only one of 'nx', 'xx', 'gt', 'lt' can be specified.")
    return ("NX",) if nx else ("XX",) if xx else ("GT",) if gt else ("LT",) if lt else ()


def _fields(fields: tuple[Any, ...], what: str) -> tuple[Any, ...]:
    if not fields:
        raise DataError(f"'{what}' should have at least one field provided")
    for f in fields:
        check_name(f, "field")
    return ("FIELDS", len(fields), *fields)


def int_or_delta(value: Any, scale: int, what: str) -> int:
    """Seconds (``scale`` 1) or milliseconds (1000) from an int or a timedelta, converted
    as redis-py converts them (milliseconds in integer arithmetic: through a float,
    ``timedelta(seconds=1.001)`` would come out 1 ms low)."""
    import datetime

    if isinstance(value, datetime.timedelta):
        if scale == 1:
            return int(value.total_seconds())
        ms = value // datetime.timedelta(milliseconds=1) if value >= datetime.timedelta(0) \
            else -(-value // datetime.timedelta(milliseconds=1))
        return int(ms)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataError(f"{what} must be an int or a datetime.timedelta")
    return value


def int_or_datetime(value: Any, scale: int, what: str) -> int:
    """A unix time in seconds (``scale`` 1) or milliseconds (1000) from an int or a
    datetime, as redis-py computes it (naive datetimes are local time)."""
    import datetime

    if isinstance(value, datetime.datetime):
        if scale == 1:
            return int(value.timestamp())
        if value.utcoffset() is None:
            seconds = int(value.replace(microsecond=0).timestamp())
            return int_or_delta(datetime.timedelta(seconds=seconds, microseconds=value.microsecond),
                                1000, what)
        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return int_or_delta(value - epoch, 1000, what)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataError(f"{what} must be an int or a datetime.datetime")
    return value


def expiry_flags(ex: Any, px: Any, exat: Any, pxat: Any, extra: tuple[Any, ...], what: str) -> tuple[Any, ...]:
    """EX/PX/EXAT/PXAT as redis-py's ``extract_expire_flags`` builds them; at most one of
    them (or of the flags in ``extra`` that are set) may be given."""
    given = [x is not None for x in (ex, px, exat, pxat)] + [bool(x) for x in extra]
    if sum(given) > 1:
        raise DataError(f"``ex``, ``px``, ``exat``, ``pxat``, and ``{what}`` are mutually exclusive.")
    # redis-py's extract_expire_flags also takes a digit-only string for ex / px
    if ex is not None:
        return ("EX", int_or_delta(int(ex) if isinstance(ex, str) and ex.isdecimal() else ex, 1, "ex"))
    if px is not None:
        return ("PX", int_or_delta(int(px) if isinstance(px, str) and px.isdecimal() else px, 1000, "px"))
    if exat is not None:
        return ("EXAT", int_or_datetime(exat, 1, "exat"))
    if pxat is not None:
        return ("PXAT", int_or_datetime(pxat, 1000, "pxat"))
    return ()


def persist_option(option: Any, allowed: tuple[str, ...]) -> tuple[Any, ...]:
    """redis-py's DataPersistOptions/HashDataPersistOptions enum, or its value as str."""
    if option is None:
        return ()
    value = getattr(option, "value", option)
    if not isinstance(value, str) or value.upper() not in allowed:
        raise DataError(f"data_persist_option must be one of {', '.join(allowed)}, got {option!r}")
    return (value.upper(),)


class HashFieldExpiryCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def hexpire(self, name: KeyT, seconds: ExpiryT, *fields: FieldT, nx: bool = False,
                xx: bool = False, gt: bool = False, lt: bool = False) -> Reply[list[int]]:
        """Set a time to live of ``seconds`` on hash fields; one int per field (see module)."""
        return self._execute(("HEXPIRE", name, int_or_delta(seconds, 1, "seconds"),
                              *expire_condition(nx, xx, gt, lt), *_fields(fields, "hexpire")))

    def hpexpire(self, name: KeyT, milliseconds: ExpiryT, *fields: FieldT, nx: bool = False,
                 xx: bool = False, gt: bool = False, lt: bool = False) -> Reply[list[int]]:
        """HEXPIRE in milliseconds; one int per field."""
        return self._execute(("HPEXPIRE", name, int_or_delta(milliseconds, 1000, "milliseconds"),
                              *expire_condition(nx, xx, gt, lt), *_fields(fields, "hpexpire")))

    def hexpireat(self, name: KeyT, unix_time_seconds: AbsExpiryT, *fields: FieldT,
                  nx: bool = False, xx: bool = False, gt: bool = False,
                  lt: bool = False) -> Reply[list[int]]:
        """Expire hash fields at a unix time (or datetime); one int per field."""
        return self._execute(("HEXPIREAT", name, int_or_datetime(unix_time_seconds, 1, "unix_time_seconds"),
                              *expire_condition(nx, xx, gt, lt), *_fields(fields, "hexpireat")))

    def hpexpireat(self, name: KeyT, unix_time_milliseconds: AbsExpiryT, *fields: FieldT,
                   nx: bool = False, xx: bool = False, gt: bool = False,
                   lt: bool = False) -> Reply[list[int]]:
        """Expire hash fields at a unix time in ms (or datetime); one int per field."""
        when = int_or_datetime(unix_time_milliseconds, 1000, "unix_time_milliseconds")
        return self._execute(("HPEXPIREAT", name, when, *expire_condition(nx, xx, gt, lt),
                              *_fields(fields, "hpexpireat")))

    def hpersist(self, name: KeyT, *fields: FieldT) -> Reply[list[int]]:
        """Remove the fields' expiry; per field -2 no such field, -1 no expiry, 1 removed."""
        return self._execute(("HPERSIST", name, *_fields(fields, "hpersist")))

    def hexpiretime(self, key: KeyT, *fields: FieldT) -> Reply[list[int]]:
        """Each field's expiry as a unix time in seconds (-1 none, -2 no such field)."""
        return self._execute(("HEXPIRETIME", key, *_fields(fields, "hexpiretime")))

    def hpexpiretime(self, key: KeyT, *fields: FieldT) -> Reply[list[int]]:
        """Each field's expiry as a unix time in ms (-1 none, -2 no such field)."""
        return self._execute(("HPEXPIRETIME", key, *_fields(fields, "hpexpiretime")))

    def httl(self, key: KeyT, *fields: FieldT) -> Reply[list[int]]:
        """Each field's remaining time to live in seconds (-1 none, -2 no such field)."""
        return self._execute(("HTTL", key, *_fields(fields, "httl")))

    def hpttl(self, key: KeyT, *fields: FieldT) -> Reply[list[int]]:
        """Each field's remaining time to live in ms (-1 none, -2 no such field)."""
        return self._execute(("HPTTL", key, *_fields(fields, "hpttl")))

    def hgetdel(self, name: KeyT, *keys: FieldT) -> Reply[list[AnyStr | None]]:
        """Get and delete hash fields (the key goes when its last field does); the values,
        None for missing fields."""
        return self._execute(("HGETDEL", name, *_fields(keys, "hgetdel")))

    def hgetex(self, name: KeyT, *keys: FieldT, ex: ExpiryT | None = None,
               px: ExpiryT | None = None, exat: AbsExpiryT | None = None,
               pxat: AbsExpiryT | None = None, persist: bool = False) -> Reply[list[AnyStr | None]]:
        """Get hash fields and set (or with ``persist`` remove) their expiry; the values,
        None for missing fields."""
        fields: tuple[Any, ...] = _fields(keys, "hgetex")
        flags: tuple[Any, ...] = expiry_flags(ex, px, exat, pxat, (persist,), "persist")
        return self._execute(("HGETEX", name, *flags, *(("PERSIST",) if persist else ()), *fields))

    def hsetex(self, name: KeyT, key: FieldT | None = None, value: EncodableT | None = None,
               mapping: Mapping[FieldT, EncodableT] | None = None,
               items: Sequence[EncodableT] | None = None, ex: ExpiryT | None = None,
               px: ExpiryT | None = None, exat: AbsExpiryT | None = None,
               pxat: AbsExpiryT | None = None, data_persist_option: Any = None,
               keepttl: bool = False) -> Reply[int]:
        """Set hash fields with an expiry (or ``keepttl``); ``data_persist_option`` FNX / FXX
        (redis-py's HashDataPersistOptions or the str) sets them only if none / all exist.
        Returns 1 if the fields were set, 0 if the condition prevented it."""
        if key is None and not mapping and not items:
            raise DataError("'hsetex' with no key value pairs")
        if items and (isinstance(items, STRING_TYPES) or len(items) % 2 != 0):
            raise DataError("'hsetex' with odd number of items. 'items' must contain a list of key/value pairs.")
        flags: tuple[Any, ...] = expiry_flags(ex, px, exat, pxat, (keepttl,), "keepttl")
        flags += persist_option(data_persist_option, ("FNX", "FXX"))
        if keepttl:
            flags += ("KEEPTTL",)
        pieces: list[Any] = []
        if items:
            for x in items:
                check_name(x, "hsetex item")
            pieces += items
        if key is not None:
            check_name(key, "hsetex field")
            check_name(value, "hsetex value")
            pieces += (key, value)
        if mapping:
            pieces += flatten_mapping(mapping, "hsetex mapping")
        return self._execute(("HSETEX", name, *flags, "FIELDS", len(pieces) // 2, *pieces))
