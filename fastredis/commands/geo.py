"""Geospatial commands (GEOADD, GEOSEARCH, GEORADIUS ...), redis-py's arguments and shapes.

Every argument combination redis-py refuses client-side is a DataError here too, raised
before anything is sent. Distances are floats, hashes ints, coordinates ``(lon, lat)``
float tuples, as redis-py's default (RESP2, legacy) callbacks give them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr, Callable

from ..exceptions import DataError
from ._base import STRING_TYPES, CommandsBase, to_float, to_str

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..typing import EncodableT, FieldT, KeyT, Number, Reply

_UNITS = ("m", "km", "mi", "ft")

def _coord(pair: Any) -> tuple[float, float] | None:
    return None if pair is None else (float(pair[0]), float(pair[1]))


def _geopos(reply: Any) -> list[tuple[float, float] | None]:
    return [_coord(p) for p in reply]


def _geohash(reply: Any) -> list[str | None]:
    return [None if h is None else to_str(h) for h in reply]


def _unit(unit: Any, what: str) -> Any:
    # redis-py compares case-sensitively for GEODIST/GEORADIUS, case-insensitively for
    # GEOSEARCH; we accept both cases everywhere (the server does) and refuse the rest
    if not isinstance(unit, str) or unit.lower() not in _UNITS:
        raise DataError(f"{what} invalid unit")
    return unit


def _search_callback(withdist: Any, withhash: Any, withcoord: Any) -> Callable[[Any], Any] | None:
    """GEORADIUS/GEOSEARCH reply -> redis-py's shape: the plain member list when no WITH*
    flag was given, else one list per place in the order member, dist, hash, coord."""
    if not (withdist or withhash or withcoord):
        return None
    casts: list[Callable[[Any], Any]] = [lambda x: x]
    if withdist:
        casts.append(float)
    if withhash:
        casts.append(int)
    if withcoord:
        casts.append(lambda ll: (float(ll[0]), float(ll[1])))

    def parse(reply: Any) -> list[list[Any]]:
        return [[f(v) for f, v in zip(casts, place, strict=False)] for place in reply]

    return parse


class GeoCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def geoadd(self, name: KeyT, values: Sequence[EncodableT], nx: bool = False,
               xx: bool = False, ch: bool = False) -> Reply[int]:
        """Add places given as a flat ``[lon1, lat1, member1, lon2, ...]`` sequence; returns
        the number of new members (of changed ones with ``ch=True``)."""
        if nx and xx:
            raise DataError("GEOADD allows either 'nx' or 'xx', not both")
        if isinstance(values, STRING_TYPES) or len(values) % 3 != 0:
            raise DataError("GEOADD requires places with lon, lat and name values")
        args: tuple[Any, ...] = ("GEOADD", name)
        if nx:
            args += ("NX",)
        if xx:
            args += ("XX",)
        if ch:
            args += ("CH",)
        return self._execute((*args, *values))

    def geodist(self, name: KeyT, place1: FieldT, place2: FieldT,
                unit: str | None = None) -> Reply[float | None]:
        """Distance between two members in ``unit`` (m, km, mi, ft; default m); None when
        either member is missing."""
        if unit:
            return self._execute(("GEODIST", name, place1, place2, _unit(unit, "GEODIST")), to_float)
        return self._execute(("GEODIST", name, place1, place2), to_float)

    def geohash(self, name: KeyT, *values: FieldT) -> Reply[list[str | None]]:
        """The 11-character geohash of each member (str, as in redis-py), None for a missing one."""
        return self._execute(("GEOHASH", name, *values), _geohash)

    def geopos(self, name: KeyT, *values: FieldT) -> Reply[list[tuple[float, float] | None]]:
        """``(longitude, latitude)`` of each member, None for a missing one."""
        return self._execute(("GEOPOS", name, *values), _geopos)

    def georadius(self, name: KeyT, longitude: Number, latitude: Number, radius: Number,
                  unit: str | None = None, withdist: bool = False, withcoord: bool = False,
                  withhash: bool = False, count: int | None = None, sort: str | None = None,
                  store: KeyT | None = None, store_dist: KeyT | None = None,
                  any: bool = False) -> Reply[Any]:
        """Members within ``radius`` of a point (deprecated by Redis in favour of GEOSEARCH):
        a list of members, or of ``[member, dist?, hash?, (lon, lat)?]`` with the WITH* flags;
        the number stored with ``store``/``store_dist``."""
        return self._georadius("GEORADIUS", (name, longitude, latitude, radius), unit, withdist,
                               withcoord, withhash, count, sort, store, store_dist, any)

    def georadiusbymember(self, name: KeyT, member: FieldT, radius: Number,
                          unit: str | None = None, withdist: bool = False,
                          withcoord: bool = False, withhash: bool = False,
                          count: int | None = None, sort: str | None = None,
                          store: KeyT | None = None, store_dist: KeyT | None = None,
                          any: bool = False) -> Reply[Any]:
        """As ``georadius``, centred on an existing member."""
        return self._georadius("GEORADIUSBYMEMBER", (name, member, radius), unit, withdist,
                               withcoord, withhash, count, sort, store, store_dist, any)

    def _georadius(self, cmd: str, head: tuple[Any, ...], unit: str | None, withdist: bool,
                   withcoord: bool, withhash: bool, count: int | None, sort: str | None,
                   store: KeyT | None, store_dist: KeyT | None, any: bool) -> Reply[Any]:
        args: tuple[Any, ...] = (cmd, *head, _unit(unit, "GEORADIUS") if unit else "m")
        if any and count is None:
            raise DataError("``any`` can't be provided without ``count``")
        if withdist:
            args += ("WITHDIST",)
        if withcoord:
            args += ("WITHCOORD",)
        if withhash:
            args += ("WITHHASH",)
        if count is not None:
            args += ("COUNT", count, "ANY") if any else ("COUNT", count)
        if sort:
            if sort not in ("ASC", "DESC"):
                raise DataError("GEORADIUS invalid sort")
            args += (sort,)
        if store and store_dist:
            raise DataError("GEORADIUS store and store_dist can't be set together")
        if store:
            return self._execute((*args, "STORE", store))
        if store_dist:
            return self._execute((*args, "STOREDIST", store_dist))
        return self._execute(args, _search_callback(withdist, withhash, withcoord))

    def geosearch(self, name: KeyT, member: FieldT | None = None, longitude: Number | None = None,
                  latitude: Number | None = None, unit: str = "m", radius: Number | None = None,
                  width: Number | None = None, height: Number | None = None,
                  sort: str | None = None, count: int | None = None, any: bool = False,
                  withcoord: bool = False, withdist: bool = False,
                  withhash: bool = False) -> Reply[Any]:
        """Members within a circle (``radius``) or box (``width``/``height``) around a member
        or a point: a list of members, or of ``[member, dist?, hash?, (lon, lat)?]``."""
        args: tuple[Any, ...] = _geosearch_args(("GEOSEARCH", name), member, longitude, latitude, unit, radius,
                               width, height, sort, count, any)
        if withdist:
            args += ("WITHDIST",)
        if withcoord:
            args += ("WITHCOORD",)
        if withhash:
            args += ("WITHHASH",)
        return self._execute(args, _search_callback(withdist, withhash, withcoord))

    def geosearchstore(self, dest: KeyT, name: KeyT, member: FieldT | None = None,
                       longitude: Number | None = None, latitude: Number | None = None,
                       unit: str = "m", radius: Number | None = None, width: Number | None = None,
                       height: Number | None = None, sort: str | None = None,
                       count: int | None = None, any: bool = False,
                       storedist: bool = False) -> Reply[int]:
        """GEOSEARCH into the sorted set ``dest`` (scores are distances with ``storedist``);
        returns the number of members stored."""
        args: tuple[Any, ...] = _geosearch_args(("GEOSEARCHSTORE", dest, name), member, longitude, latitude, unit,
                               radius, width, height, sort, count, any)
        return self._execute((*args, "STOREDIST") if storedist else args)


def _geosearch_args(args: tuple[Any, ...], member: Any, longitude: Any, latitude: Any, unit: Any,
                    radius: Any, width: Any, height: Any, sort: Any, count: Any,
                    any: bool) -> tuple[Any, ...]:
    if member is None:
        if longitude is None or latitude is None:
            raise DataError("GEOSEARCH must have member or longitude and latitude")
        args += ("FROMLONLAT", longitude, latitude)
    else:
        if longitude is not None or latitude is not None:
            raise DataError("GEOSEARCH member and longitude or latitude can't be set together")
        args += ("FROMMEMBER", member)
    if unit is None:
        raise DataError("GEOSEARCH must have unit")
    _unit(unit, "GEOSEARCH")
    if radius is not None:
        if width is not None or height is not None:
            raise DataError("GEOSEARCH radius and width or height can't be set together")
        args += ("BYRADIUS", radius, unit)
    elif width is None or height is None:
        raise DataError("GEOSEARCH must have radius or width and height")
    else:
        args += ("BYBOX", width, height, unit)
    if sort:
        if not isinstance(sort, str) or sort.upper() not in ("ASC", "DESC"):
            raise DataError("GEOSEARCH invalid sort")
        args += (sort.upper(),)
    if count:
        args += ("COUNT", count, "ANY") if any else ("COUNT", count)
    elif any:
        raise DataError("GEOSEARCH ``any`` can't be provided without count")
    return args
