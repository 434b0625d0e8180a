"""Shared pieces of the command mixins: the ``_execute`` contract and common callbacks.

Every command method is one or two lines: build the argument tuple, call
``self._execute(args, callback)`` (or ``self._execute_blocking`` for commands that block
server-side) and return what it returns. On a client that is a coroutine; on a pipeline it
is the pipeline itself (queued). Callbacks turn raw hiredis replies into redis-py shapes and
must accept both bytes and str (``decode_responses=True``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, AnyStr, Callable, Generic

from ..exceptions import DataError

if TYPE_CHECKING:
    from ..connection import ConnectionParams
    from ..typing import Reply

#: a reply callback: the raw hiredis reply in, the redis-py shape out
ReplyCallback = Callable[[Any], Any]


class CommandsBase(Generic[AnyStr]):
    """Generic over the response type: ``AnyStr`` is ``bytes`` for a default client and
    ``str`` for ``decode_responses=True``. Command methods are typed
    ``def get(self, name: KeyT) -> Reply[AnyStr | None]`` (see ``fastredis.typing``)."""

    __slots__ = ()

    def _execute(self, args: tuple[Any, ...],
                 callback: ReplyCallback | None = None) -> Reply[Any]:  # pragma: no cover
        raise NotImplementedError

    def _execute_blocking(self, args: tuple[Any, ...], callback: ReplyCallback | None = None
                          ) -> Reply[Any]:  # pragma: no cover
        raise NotImplementedError

    #: True where ``set(name, value)`` without options goes to ``_execute_set`` (the
    #: pipelines: packed by hand, cheaper than the general packer); a class attribute,
    #: so a client's SET pays a lookup, not a call
    _packs_set = False

    def _execute_set(self, name: Any, value: Any) -> Reply[Any]:
        """``SET name value`` without options, the commonest write (see ``_packs_set``)."""
        return self._execute(("SET", name, value), ok_or_none)

    def _reply_protocol(self) -> int:
        """The RESP version replies to this object's commands come in (2 or 3), for the
        few results redis-py shapes per protocol where the reply itself cannot tell which
        (TOPK.LIST's items: strings over RESP2, as sent over RESP3)."""
        return 2

    def _execute_targeted(self, args: tuple[Any, ...], callback: ReplyCallback | None,
                          target_nodes: Any) -> Reply[Any]:
        """A keyless command on nodes the caller chose (``target_nodes=``, redis-py's
        RedisCluster argument). Only the cluster client and its pipeline route to chosen
        nodes; everything else refuses, at the call, before anything is sent: an option
        accepted works or raises."""
        raise DataError(
            f"target_nodes= is for RedisCluster: {type(self).__name__} talks to one server "
            f"(got target_nodes={target_nodes!r} for {args[0]!s})"
        )

    def _execute_on(self, target_nodes: Any, args: tuple[Any, ...],
                    callback: ReplyCallback | None = None) -> Reply[Any]:
        """What a keyless command method that takes ``target_nodes=`` calls: the plain
        ``_execute`` unless nodes were chosen. (The one-key hot path never comes here.)"""
        if target_nodes is None:
            return self._execute(args, callback)
        return self._execute_targeted(args, callback, target_nodes)

    def _local_reply(self, args: tuple[Any, ...], value: Any) -> Any:
        """A command redis-py answers without asking the server (``mget([])`` -> ``[]``):
        the client returns ``value``; by default (a pipeline) ``args`` is queued like any
        command and the pipeline answers it in its place."""
        return self._execute(args)


def client_params(obj: Any) -> ConnectionParams:
    """The connection parameters (encoding, decode_responses, protocol ...) ``obj`` was made
    with, for a client or a pipeline (its client's): Redis keeps them on its pool,
    RedisCluster on itself."""
    host = getattr(obj, "_client", obj)
    params = getattr(host, "_params", None)
    if params is None:
        params = host.connection_pool.params
    return params  # type: ignore[no-any-return]


#: what a single name/value may be, never iterated as a sequence: bytearray and memoryview
#: are accepted wherever bytes are (hiredis packs them; redis-py accepts them too)
STRING_TYPES = (str, bytes, bytearray, memoryview)


def to_bool(reply: Any) -> bool:
    return bool(reply)


def ok(reply: object) -> bool:
    """``+OK`` -> True (redis-py's shape for SET, MSET, RENAME ...)."""
    return reply == b"OK" or reply == "OK"


def ok_or_none(reply: object) -> bool | None:
    # SET's callback, on every reply of a pipeline of SETs: ok() inlined, one frame less
    if reply is None:
        return None
    return reply == b"OK" or reply == "OK"


def to_float(reply: Any) -> float | None:
    return None if reply is None else float(reply)


def to_int(reply: Any) -> int | None:
    return None if reply is None else int(reply)


def pairs_to_dict(reply: Any) -> dict[Any, Any]:
    """``[k1, v1, k2, v2]`` -> dict (RESP3 already sends a map; nil -> {})."""
    if reply.__class__ is dict:
        return reply
    if reply is None:
        return {}
    it = iter(reply)
    return dict(zip(it, it, strict=False))


def to_str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def check_name(value: Any, what: str = "key") -> None:
    """Keys / names must be str, bytes, int or float (hiredis would refuse the rest
    anyway; this gives the clearer message before anything is sent)."""
    t = type(value)
    if t is bytes or t is str:
        return
    if value is None or isinstance(value, bool) or not isinstance(value, (bytes, str, int, float, memoryview, bytearray)):
        raise DataError(f"Invalid {what} of type {t.__name__!r}: use bytes, str, int or float")


class InfoRecord:
    """The base of the module families' ``info()`` objects (RedisBloom's, TimeSeries'):
    attribute access by name, as redis-py's info classes: ``info["capacity"]`` and
    ``info.get("capacity")`` (None for a name that is not an attribute); equal when their
    attributes are."""

    def get(self, item: str) -> Any:
        try:
            return self[item]
        except AttributeError:
            return None

    def __getitem__(self, item: str) -> Any:
        return getattr(self, item)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


def sequence_arg(value: Any, what: str) -> list[Any]:
    """A list argument of a module command (``items``, ``filters``, ``keys`` ...) as a
    list; a single string is refused (redis-py would send it one character per item) and
    so are a mapping and a non-iterable."""
    if isinstance(value, STRING_TYPES) or isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise DataError(f"{what} must be a list, got {type(value).__name__!r}")
    return list(value)


def list_or_args(keys: Any, args: tuple[Any, ...]) -> list[Any]:
    """redis-py's helper: ``f(['a', 'b'])`` and ``f('a', 'b')`` mean the same.

    A dict is refused: ``list(d)`` would silently send its keys and drop its values,
    which is never what a caller passing a mapping where keys are expected meant."""
    out: list[Any]
    cls = keys.__class__
    if cls is list or cls is tuple:  # the usual call, without the ABC checks below
        out = list(keys)
        if args:
            out.extend(args)
        return out
    if isinstance(keys, bytearray):  # one key, not a sequence of ints
        keys = bytes(keys)
    if isinstance(keys, Mapping):
        raise DataError(f"Expected a key or a list of keys, got {type(keys).__name__!r}")
    try:
        if isinstance(keys, (bytes, str, memoryview)):
            out = [keys]
        else:
            out = list(keys)
    except TypeError:
        out = [keys]
    if args:
        out.extend(args)
    return out


def flatten_mapping(mapping: Any, what: str = "mapping") -> list[Any]:
    """``{k: v}`` -> ``[k, v, ...]`` with every key and value checked first, so a bad item
    (None, bool, a nested container) is a DataError naming the command's argument, and
    nothing is sent."""
    if not isinstance(mapping, Mapping):
        raise DataError(f"{what} must be a dict, got {type(mapping).__name__!r}")
    out: list[Any] = []
    for k, v in mapping.items():
        check_name(k, what + " key")
        check_name(v, what + " value")
        out.append(k)
        out.append(v)
    return out


def block_timeout(timeout: Any) -> Any:
    """The timeout argument of BLPOP, BZPOPMIN ...: seconds, int or float (Redis >= 6.0);
    None means wait forever (0), as in redis-py."""
    if timeout is None:
        return 0
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise DataError(f"timeout must be a number of seconds, got {type(timeout).__name__!r}")
    return timeout


# ------------------------------------------------------------------ RESP3 wire, RESP2 shapes
# With the protocol not chosen the wire is RESP3 but results take redis-py's default
# (legacy, RESP2) shapes: the few replies whose raw RESP2 form is what redis-py returns
# (no callback of its own) are laid back out flat. Used only where the caller did not
# choose protocol=3 (``_reply_protocol() == 2``); a RESP2 reply passes through.
def resp2_double(value: Any, decode: bool) -> Any:
    """A RESP3 double as Redis writes it over RESP2 (``d2string``: integral values as
    integers, others in their shortest round-trip digits), bytes or str as decoded."""
    if not isinstance(value, float):
        return value
    if value != value:
        text = "nan"
    elif value in (float("inf"), float("-inf")):
        text = "inf" if value > 0 else "-inf"
    elif value.is_integer() and -(2**62) <= value <= 2**62:
        text = str(int(value)) if value or str(value)[0] != "-" else "-0"
    else:
        text = repr(value)
    return text if decode else text.encode()


def flat_pairs(reply: Any, doubles: bool = False) -> Any:
    """``[[a, b], ...]`` (RESP3) -> ``[a, b, ...]`` (RESP2), a double ``b`` written as
    RESP2 text when ``doubles``; anything else unchanged."""
    if not isinstance(reply, list) or not reply or not isinstance(reply[0], list):
        return reply
    decode = isinstance(reply[0][0], str)
    out: list[Any] = []
    for a, b in reply:
        out.append(a)
        out.append(resp2_double(b, decode) if doubles else b)
    return out


def flat_scores(reply: Any) -> Any:
    return flat_pairs(reply, True)


def flat_map(reply: Any) -> Any:
    """A RESP3 map -> RESP2's flat ``[key, value, ...]``; anything else unchanged."""
    if not isinstance(reply, dict):
        return reply
    return [x for kv in reply.items() for x in kv]


def wire_resp3_legacy(client: Any) -> bool:
    """The protocol not chosen and RESP3 on the wire: redis-py's default shapes are to be
    made from RESP3 replies (a server found to lack RESP3 speaks RESP2: its shapes)."""
    params = client_params(client)
    return params.protocol is None and params.resp == 3
