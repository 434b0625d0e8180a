"""The RedisJSON commands (JSON.SET, JSON.GET ...), with redis-py 8.2's names, arguments
and results; see https://redis.io/docs/latest/develop/data-types/json/.

A method builds the arguments and hands them to ``_execute`` with its reply callback, like
every command mixin. What differs from the core mixins: values are JSON-encoded with the
encoder the ``JSON`` object was made with, replies decoded with its decoder, so the
callbacks are bound to that object (``self._json_decode``) rather than module functions.

Reply shapes are redis-py's, quirks included, because code written against redis-py reads
them: a legacy path (``.a``) answers a scalar, a JSONPath (``$.a``) a list with one item
per match; JSON.TYPE and the integer replies are the server's own; OBJKEYS's names are
decoded to ``str`` on RESP2 and left as the server sent them on RESP3 (the wire is the same:
only the protocol the client chose tells them apart).
"""

from __future__ import annotations

import copy
import os
import re
import warnings
from enum import Enum
from json import JSONDecodeError, loads
from typing import TYPE_CHECKING, Any, AnyStr, List, Mapping, Union

from ...exceptions import DataError
from .._base import CommandsBase, list_or_args
from .path import Path

if TYPE_CHECKING:
    from ...typing import KeyT, Number, Reply

__all__ = ["FPHAType", "JSONCommands", "JsonType"]

#: a JSON value as Python holds it (redis-py's ``JsonType``)
JsonType = Union[str, int, float, bool, None, Mapping[str, "JsonType"], List["JsonType"]]

#: a path: a string, ``Path`` (ours or redis-py's): ``str(path)`` is sent
PathT = Union[str, Path, Any]

_ROOT = Path.root_path()


def _path_arg(path: PathT | None) -> str:
    return _ROOT if path is None else str(path)


class FPHAType(str, Enum):
    """JSON.SET's ``FPHA``: the floating-point type a homogeneous array of floats is stored
    as (redis-py's enum; its members and case-insensitive strings are accepted too)."""

    BF16 = "BF16"
    FP16 = "FP16"
    FP32 = "FP32"
    FP64 = "FP64"

    @classmethod
    def from_value(cls, value: FPHAType | str) -> FPHAType:
        """``value`` as a member; a DataError names the valid ones."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str.upper(value))
        except (ValueError, TypeError):
            raise DataError(f"Invalid FPHA type: {value}. "
                            f"Must be one of {', '.join(t.value for t in cls)}") from None


# --- redis-py's decoding helpers (redis.commands.json.decoders, .helpers.nativestr), kept
# to the letter: they decide the shapes redis-py users see ("null" -> None in a list, a
# numeric-looking string -> a number when the reply is not JSON ...)
def _nativestr(x: Any) -> Any:
    r = x.decode("utf-8", "replace") if isinstance(x, bytes) else x
    return None if r == "null" else r


_FLOAT = re.compile(r"^\d+\.\d+$")
_INT = re.compile(r"^\d+$")


def _unstring(obj: str) -> Any:
    if _FLOAT.match(obj):
        return float(obj)
    if _INT.match(obj):
        return int(obj)
    return obj


def _unwrap_one(reply: Any) -> Any:
    return reply[0] if isinstance(reply, list) and len(reply) == 1 else reply


def _floats_to_str(obj: Any) -> Any:
    """redis-py's ``_resp_floats_to_str``: RESP3 doubles back to RESP2's strings."""
    if isinstance(obj, list):
        return [_floats_to_str(item) for item in obj]
    return str(obj) if isinstance(obj, float) else obj


def _decode_list(b: Any) -> Any:
    if isinstance(b, list):
        return [_nativestr(obj) for obj in b]
    if isinstance(b, bytes):
        return _unstring(_nativestr(b))
    if isinstance(b, str):
        return _unstring(b)
    return b


def _decode_dict_keys(obj: Any) -> Any:
    """JSON.SET / JSON.MERGE's ``decode_keys=True``: bytes keys of ``obj`` made str."""
    new = copy.copy(obj)
    for k in obj.keys():
        if isinstance(k, bytes):
            new[k.decode("utf-8")] = new[k]
            new.pop(k)
    return new


def _ok(reply: Any) -> Any:
    # redis-py's ``r and nativestr(r) == "OK"``: None (NX/XX not met) stays None
    return reply and _nativestr(reply) == "OK"


def _deprecated(name: str, reason: str, version: str) -> None:
    warnings.warn(f"Call to deprecated {name}. ({reason}) -- Deprecated since version {version}.",
                  DeprecationWarning, stacklevel=3)


class JSONCommands(CommandsBase[AnyStr]):
    """JSON.* commands. What provides them (``JSON``, the pipeline of ``json().pipeline()``)
    gives ``_json_encode``, ``_json_decode`` and ``_json_resp3``."""

    __slots__ = ()

    # --- provided by the host: the JSON object's encoder / decoder and the protocol
    def _json_encode(self, obj: Any) -> str:  # pragma: no cover
        raise NotImplementedError

    def _json_decode(self, obj: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    _json_resp3 = False
    _json_legacy3 = False  # RESP3 wire, redis-py's default (legacy) shapes

    def _json_mget(self, reply: Any) -> Any:
        # a new list (redis-py decodes in place): a reply object is never altered
        decode = self._json_decode
        return [None if item is None else decode(item) for item in reply]

    def _json_numop(self, reply: Any) -> Any:
        # RESP2 answers a JSON text (a scalar for a legacy path, a list for JSONPath) that
        # redis-py decodes; RESP3 an array of numbers, which it keeps
        return self._json_decode(reply) if isinstance(reply, (bytes, str)) else reply

    def _json_numop_for(self, path: Any) -> Any:
        if not self._json_legacy3 or str(path).startswith("$"):
            return self._json_numop
        # redis-py's default over RESP3: a legacy path's one-item array is its scalar
        return lambda reply: _unwrap_one(self._json_numop(reply))

    # --- arrays
    def arrappend(self, name: KeyT, path: PathT | None = _ROOT, *args: JsonType
                  ) -> Reply[int | list[int | None] | None]:
        """JSON.ARRAPPEND: append ``args`` to the array at ``path``; its new length (a
        list, one per match, for a JSONPath)."""
        values: list[str] = [self._json_encode(o) for o in args]
        return self._execute(("JSON.ARRAPPEND", name, _path_arg(path), *values))

    def arrindex(self, name: KeyT, path: PathT, scalar: JsonType, start: int | None = None,
                 stop: int | None = None) -> Reply[int | list[int | None] | None]:
        """JSON.ARRINDEX: the index of ``scalar`` in the array at ``path`` (-1 if absent),
        searched from ``start`` (inclusive) to ``stop`` (exclusive)."""
        args: tuple[Any, ...] = ("JSON.ARRINDEX", name, str(path), self._json_encode(scalar))
        if start is not None or stop is not None:
            # STOP is positional: a stop without a start needs the server's default start
            args += (0 if start is None else start,)
            if stop is not None:
                args += (stop,)
        return self._execute(args)

    def arrinsert(self, name: KeyT, path: PathT, index: int, *args: JsonType
                  ) -> Reply[int | list[int | None] | None]:
        """JSON.ARRINSERT: insert ``args`` before ``index``; the array's new length."""
        values: list[str] = [self._json_encode(o) for o in args]
        return self._execute(("JSON.ARRINSERT", name, str(path), index, *values))

    def arrlen(self, name: KeyT, path: PathT | None = _ROOT
               ) -> Reply[int | list[int | None] | None]:
        """JSON.ARRLEN: the length of the array at ``path`` (None for a missing key)."""
        return self._execute(("JSON.ARRLEN", name, _path_arg(path)))

    def arrpop(self, name: KeyT, path: PathT | None = _ROOT, index: int | None = -1
               ) -> Reply[JsonType | list[Any] | None]:
        """JSON.ARRPOP: remove and return the element at ``index`` (default the last;
        None omits it, which the server also reads as the last)."""
        args: tuple[Any, ...] = ("JSON.ARRPOP", name, _path_arg(path))
        if index is not None:
            args += (index,)
        return self._execute(args, self._json_decode)

    def arrtrim(self, name: KeyT, path: PathT, start: int, stop: int
                ) -> Reply[int | list[int | None] | None]:
        """JSON.ARRTRIM: keep the elements from ``start`` to ``stop`` (inclusive); the new
        length."""
        return self._execute(("JSON.ARRTRIM", name, str(path), start, stop))

    # --- inspection
    def type(self, name: KeyT, path: PathT | None = _ROOT
             ) -> Reply[AnyStr | list[Any] | None]:
        """JSON.TYPE: the type's name at ``path``, as the server answers it (RESP2: a
        string, or a list for a JSONPath; RESP3: always a list)."""
        if self._json_legacy3:  # redis-py's default: one type unwrapped, as over RESP2
            return self._execute(("JSON.TYPE", name, _path_arg(path)), _unwrap_one)
        return self._execute(("JSON.TYPE", name, _path_arg(path)))

    def resp(self, name: KeyT, path: PathT | None = _ROOT) -> Reply[Any]:
        """JSON.RESP: the value at ``path`` in Redis's own reply form (``[b'{', key,
        value ...]`` for an object, ``[b'[', ...]`` for an array)."""
        if self._json_legacy3:  # redis-py's default: RESP3's doubles as RESP2's strings
            return self._execute(("JSON.RESP", name, _path_arg(path)),
                                 lambda reply: _floats_to_str(self._json_decode(reply)))
        return self._execute(("JSON.RESP", name, _path_arg(path)), self._json_decode)

    def objkeys(self, name: KeyT, path: PathT | None = _ROOT
                ) -> Reply[list[Any] | None]:
        """JSON.OBJKEYS: the keys of the object at ``path`` (RESP2: decoded to str, as
        redis-py does; RESP3: as the server sent them)."""
        return self._execute(("JSON.OBJKEYS", name, _path_arg(path)),
                             None if self._json_resp3 else self._json_decode)

    def objlen(self, name: KeyT, path: PathT | None = _ROOT
               ) -> Reply[int | list[int | None] | None]:
        """JSON.OBJLEN: the number of keys of the object at ``path``."""
        return self._execute(("JSON.OBJLEN", name, _path_arg(path)))

    def strlen(self, name: KeyT, path: PathT | None = None
               ) -> Reply[int | list[int | None] | None]:
        """JSON.STRLEN: the length of the string at ``path`` (no path: the server's root)."""
        args: tuple[Any, ...] = ("JSON.STRLEN", name) if path is None else ("JSON.STRLEN", name, str(path))
        return self._execute(args)

    def debug(self, subcommand: str, key: KeyT | None = None, path: PathT | None = _ROOT
              ) -> Reply[int | list[Any]]:
        """JSON.DEBUG: ``"MEMORY"`` (the bytes ``key``'s value at ``path`` uses) or
        ``"HELP"``."""
        valid = ["MEMORY", "HELP"]
        if subcommand not in valid:
            raise DataError(f"The only valid subcommands are {valid}, got {subcommand!r}")
        args: tuple[Any, ...] = ("JSON.DEBUG", subcommand)
        if subcommand == "MEMORY":
            if key is None:
                raise DataError("No key specified")
            args += (key, _path_arg(path))
        return self._execute(args, self._json_decode)

    # --- numbers, strings, booleans
    def numincrby(self, name: KeyT, path: PathT, number: Number
                  ) -> Reply[Number | list[Number | None] | None]:
        """JSON.NUMINCRBY: add ``number`` to the number at ``path``; the new value (RESP3:
        a list, one per match, as the server answers)."""
        return self._execute(("JSON.NUMINCRBY", name, str(path), self._json_encode(number)),
                             self._json_numop_for(path))

    def nummultby(self, name: KeyT, path: PathT, number: Number
                  ) -> Reply[Number | list[Number | None] | None]:
        """JSON.NUMMULTBY (deprecated by RedisJSON, as in redis-py): multiply the number at
        ``path`` by ``number``."""
        _deprecated("nummultby", "deprecated since redisjson 1.0.0", "4.0.0")
        return self._execute(("JSON.NUMMULTBY", name, str(path), self._json_encode(number)),
                             self._json_numop_for(path))

    def strappend(self, name: KeyT, value: str, path: PathT | None = _ROOT
                  ) -> Reply[int | list[int | None] | None]:
        """JSON.STRAPPEND: append ``value`` to the string at ``path``; its new length."""
        return self._execute(("JSON.STRAPPEND", name, _path_arg(path), self._json_encode(value)))

    def toggle(self, name: KeyT, path: PathT | None = _ROOT
               ) -> Reply[bool | list[int | None] | None]:
        """JSON.TOGGLE: flip the boolean at ``path``; the new value (a list of 0/1 for a
        JSONPath)."""
        return self._execute(("JSON.TOGGLE", name, _path_arg(path)), self._json_decode)

    # --- whole values
    def clear(self, name: KeyT, path: PathT | None = _ROOT) -> Reply[int]:
        """JSON.CLEAR: empty the arrays and objects (and zero the numbers) at ``path``; how
        many values were cleared."""
        return self._execute(("JSON.CLEAR", name, _path_arg(path)))

    def delete(self, key: KeyT, path: PathT | None = _ROOT) -> Reply[int]:
        """JSON.DEL: delete the value at ``path`` (the root: the key); how many were."""
        return self._execute(("JSON.DEL", key, _path_arg(path)))

    forget = delete  # redis-py's alias (JSON.FORGET is JSON.DEL's alias on the server)

    def get(self, name: KeyT, *args: PathT, no_escape: bool | None = False
            ) -> Reply[JsonType | None]:
        """JSON.GET: the value at the paths ``args`` (none: the root), decoded; with several
        paths a dict path -> value. ``no_escape``: non-ASCII characters unescaped."""
        cmd: tuple[Any, ...] = ("JSON.GET", name, "noescape") if no_escape else ("JSON.GET", name)
        cmd += tuple(str(p) for p in args) if args else (_ROOT,)
        return self._execute(cmd, self._json_decode)

    def mget(self, keys: list[KeyT], path: PathT) -> Reply[list[JsonType | None]]:
        """JSON.MGET: the value at ``path`` of each key, None where a key is missing. On
        RedisCluster the keys are asked of their slots' nodes, the answers put back in
        order (the module declares one key only: sent as one command, the keys another
        node holds would read as missing)."""
        names: list[Any] = list_or_args(keys, ())
        if not names:
            raise DataError("JSON.MGET needs at least one key")
        return self._execute(("JSON.MGET", *names, str(path)), self._json_mget)

    def set(self, name: KeyT, path: PathT, obj: JsonType, nx: bool | None = False,
            xx: bool | None = False, decode_keys: bool | None = False,
            fpha: FPHAType | str | None = None) -> Reply[bool | None]:
        """JSON.SET ``obj`` at ``path``: True, or None when ``nx`` (only if absent) / ``xx``
        (only if present) was not met. ``decode_keys``: bytes keys of ``obj`` made str;
        ``fpha``: the float type homogeneous float arrays are stored as (RedisJSON 8.2+)."""
        if nx and xx:
            raise DataError("nx and xx are mutually exclusive: use one, the other or neither "
                            "- but not both")
        if decode_keys:
            obj = _decode_dict_keys(obj)
        args: tuple[Any, ...] = ("JSON.SET", name, str(path), self._json_encode(obj))
        if nx:
            args += ("NX",)
        elif xx:
            args += ("XX",)
        if fpha is not None:
            args += ("FPHA", FPHAType.from_value(fpha).value)
        return self._execute(args, _ok)

    def mset(self, triplets: list[tuple[KeyT, PathT, JsonType]]) -> Reply[bool]:
        """JSON.MSET: set several ``(key, path, value)`` at once, atomically (keys of one
        slot on a cluster)."""
        if not triplets:
            raise DataError("JSON.MSET needs at least one (key, path, value) triplet")
        args: list[Any] = ["JSON.MSET"]
        for key, path, value in triplets:
            args += (key, str(path), self._json_encode(value))
        return self._execute(tuple(args), _ok)

    def merge(self, name: KeyT, path: PathT, obj: JsonType, decode_keys: bool | None = False
              ) -> Reply[bool]:
        """JSON.MERGE ``obj`` into the value at ``path`` (RFC 7396: a null deletes)."""
        if decode_keys:
            obj = _decode_dict_keys(obj)
        return self._execute(("JSON.MERGE", name, str(path), self._json_encode(obj)), _ok)

    async def set_file(self, name: KeyT, path: PathT, file_name: str, nx: bool | None = False,
                       xx: bool | None = False, decode_keys: bool | None = False,
                       fpha: FPHAType | str | None = None) -> bool | None:
        """Set ``path`` of ``name`` to the JSON in the file ``file_name`` (read in a thread,
        as redis-py's asyncio client does)."""
        import asyncio  # (not at import: ``import fastredis`` leaves asyncio to the first connect)

        content = await asyncio.to_thread(_read_json, file_name)
        return await self.set(name, path, content, nx=nx, xx=xx, decode_keys=decode_keys,
                              fpha=fpha)

    async def set_path(self, json_path: PathT, root_folder: str, nx: bool | None = False,
                       xx: bool | None = False, decode_keys: bool | None = False,
                       fpha: FPHAType | str | None = None) -> dict[str, bool]:
        """Set each JSON file under ``root_folder`` at ``json_path`` of the key named after
        the file (its path without the extension); file path -> True, or False when the
        file is not valid JSON."""
        done: dict[str, bool] = {}
        import asyncio

        for file_path in await asyncio.to_thread(_walk, root_folder):
            try:
                await self.set_file(os.path.splitext(file_path)[0], json_path, file_path,
                                    nx=nx, xx=xx, decode_keys=decode_keys, fpha=fpha)
                done[file_path] = True
            except JSONDecodeError:
                done[file_path] = False
        return done

    # --- redisjson-py's names, deprecated in redis-py 4.0 (kept there, so kept here)
    def jsonget(self, *args: Any, **kwargs: Any) -> Reply[JsonType | None]:
        """Deprecated: ``get``."""
        _deprecated("jsonget", "redisjson-py supported this, call get directly.", "4.0.0")
        return self.get(*args, **kwargs)

    def jsonmget(self, *args: Any, **kwargs: Any) -> Reply[list[JsonType | None]]:
        """Deprecated: ``mget``."""
        _deprecated("jsonmget", "redisjson-py supported this, call get directly.", "4.0.0")
        return self.mget(*args, **kwargs)

    def jsonset(self, *args: Any, **kwargs: Any) -> Reply[bool | None]:
        """Deprecated: ``set``."""
        _deprecated("jsonset", "redisjson-py supported this, call get directly.", "4.0.0")
        return self.set(*args, **kwargs)


def _read_json(file_name: str) -> Any:
    with open(file_name) as f:
        return loads(f.read())


def _walk(folder: str) -> list[str]:
    return [os.path.join(root, f) for root, _dirs, files in os.walk(folder) for f in files]


def decode_reply(decoder: Any, obj: Any) -> Any:
    """redis-py's ``JSON._decode``, to the letter: JSON text -> value with ``decoder``;
    what is not JSON (a list, a plain string) through redis-py's best-effort helpers."""
    if obj is None:
        return obj
    try:
        x = decoder.decode(obj)
        if x is None:
            raise TypeError
        return x
    except TypeError:
        try:
            return decoder.decode(obj.decode())
        except AttributeError:
            return _decode_list(obj)
    except (AttributeError, JSONDecodeError):
        return _decode_list(obj)
