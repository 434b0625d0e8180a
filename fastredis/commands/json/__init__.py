"""RedisJSON: ``r.json()``, with redis-py 8.2's names, arguments and results.

``r.json(encoder=JSONEncoder(), decoder=JSONDecoder())`` returns a ``JSON`` object bound to
the client (or pipeline, or RedisCluster) whose methods send JSON.SET, JSON.GET ... through
that client's own ``_execute``: on a client they are coroutines, on a pipeline they queue
and return the pipeline, on a cluster they are routed by their key like any command.
Values are encoded with ``encoder.encode`` and replies decoded with ``decoder.decode``
(the json module's by default; any objects with those methods are accepted, as in
redis-py). ``json().pipeline()`` is redis-py's pipeline whose ``set``/``get``/``delete``/
``type``/``mget``/``mset`` are the JSON ones, every other command the core one.

``Path`` is in ``fastredis.commands.json.path`` and ``FPHAType`` in
``fastredis.commands.json.commands``, where redis-py has them.
"""

from __future__ import annotations

from json import JSONDecoder, JSONEncoder
from typing import Any, AnyStr, Generic

from ...exceptions import DataError
from .._base import CommandsBase, ReplyCallback, client_params, wire_resp3_legacy
from .._mixed import mixed_pipeline
from .commands import FPHAType, JSONCommands, JsonType, decode_reply
from .path import Path

__all__ = ["JSON", "JSONFactory", "JSONCommands", "FPHAType", "JsonType", "Path"]

# redis-py's defaults: one shared encoder and decoder (neither holds per-call state)
_ENCODER = JSONEncoder()
_DECODER = JSONDecoder()




class JSON(JSONCommands[AnyStr], Generic[AnyStr]):
    """What ``r.json()`` returns: the JSON commands, sent through ``client``."""

    __slots__ = ("client", "MODULE_VERSION", "_encoder", "_decoder", "_json_resp3", "_json_legacy3")

    def __init__(self, client: Any, version: Any = None, decoder: Any = _DECODER,
                 encoder: Any = _ENCODER) -> None:
        self.client = client
        self.MODULE_VERSION = version
        self._encoder = encoder
        self._decoder = decoder
        self._json_resp3 = client_params(client).reply_protocol == 3
        # the protocol not chosen: RESP3 on the wire, redis-py's legacy shapes
        self._json_legacy3 = wire_resp3_legacy(client)

    def _execute(self, args: tuple[Any, ...], callback: ReplyCallback | None = None) -> Any:
        return self.client._execute(args, callback)

    def _json_encode(self, obj: Any) -> str:
        return self._encoder.encode(obj)  # type: ignore[no-any-return]

    def _json_decode(self, obj: Any) -> Any:
        return decode_reply(self._decoder, obj)

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """The client's ``execute_command`` (redis-py's attribute): a raw command."""
        return self.client.execute_command(*args, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
        """A pipeline of the client whose ``set``, ``get``, ``delete``, ``type``, ``mget``
        and ``mset`` (and every other JSON method) are this object's JSON commands, with
        its encoder and decoder; the other core commands stay. On RedisCluster it is not a
        transaction, as in redis-py."""
        make = getattr(self.client, "pipeline", None)
        if make is None:
            raise DataError(f"json().pipeline() needs a client: this JSON object sends "
                            f"through {type(self.client).__name__}")
        if hasattr(self.client, "get_node_from_key"):  # RedisCluster
            pipe = make(shard_hint=shard_hint)
        else:
            pipe = make(transaction=transaction, shard_hint=shard_hint)
        return _json_pipeline(pipe, self)

    def __repr__(self) -> str:
        return f"<JSON of {self.client!r}>"


class _JSONPipeline(JSONCommands[Any]):
    """Mixed into a pipeline's own class by ``json().pipeline()``: the JSON commands first
    in the MRO (so ``set`` is JSON.SET, as in redis-py's JSON pipeline), with the encoder
    and decoder of the JSON object that made it."""

    __slots__ = ()

    _json: JSON[Any]

    def _json_encode(self, obj: Any) -> str:
        return self._json._json_encode(obj)

    def _json_decode(self, obj: Any) -> Any:
        return self._json._json_decode(obj)


def _json_pipeline(pipe: Any, json: JSON[Any]) -> Any:
    out = mixed_pipeline(pipe, _JSONPipeline, "JSON")
    out._json = json
    out._json_resp3 = json._json_resp3
    out._json_legacy3 = json._json_legacy3
    return out


class JSONFactory(CommandsBase[AnyStr]):
    """The ``json()`` of clients, pipelines and RedisCluster (redis-py's name)."""

    __slots__ = ()

    def json(self, encoder: Any = _ENCODER, decoder: Any = _DECODER) -> JSON[AnyStr]:
        """The JSON commands (JSON.SET, JSON.GET ...), sent through this client/pipeline;
        values encoded with ``encoder.encode``, replies decoded with ``decoder.decode``."""
        return JSON(self, encoder=encoder, decoder=decoder)
