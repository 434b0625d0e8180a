"""The RediSearch commands (FT.CREATE, FT.SEARCH, FT.AGGREGATE ...), with redis-py 8.2's
names, arguments and results; see https://redis.io/docs/latest/commands/?group=search.

A method builds the arguments and hands them to ``_execute`` with its reply callback, like
every command mixin: on a client it is a coroutine, on a pipeline it queues (and the
pipeline gives the same parsed result). Requests are redis-py's objects or ours
(``Query``, ``AggregateRequest``, ``Cursor``, the fields, ``IndexDefinition``,
``Suggestion``), read the way redis-py reads them (``get_args()``, ``build_args()``,
``redis_args()``, ``args``).

Results are redis-py's for the protocol the client speaks. RESP2: ``Result``,
``AggregateResult``, ``(result, ProfileInformation)``, dicts for INFO, SPELLCHECK,
CONFIG GET and SYNDUMP. RESP3 (``protocol=3``), as redis-py with ``protocol=3``: the
server's map for FT.SEARCH with its structural keys, ids and field values decoded (the
other values left as the wire's bytes), and the server's own reply for FT.AGGREGATE,
FT.INFO, FT.SPELLCHECK, FT.CONFIG GET and FT.SYNDUMP; FT.PROFILE's map in a
``ProfileInformation``. FT.ALIASLIST is a set on both.
"""

from __future__ import annotations

import inspect
import itertools
import time
import warnings
from typing import TYPE_CHECKING, Any, AnyStr

from ...exceptions import DataError
from .._base import CommandsBase, ReplyCallback, wire_resp3_legacy
from . import _legacy3 as _legacy
from ._util import decode_field_value, str_if_bytes, to_string
from .aggregation import AggregateRequest, AggregateResult, Cursor
from .document import Document
from .profile_information import ProfileInformation
from .query import Query
from .result import Result
from .suggestion import Suggestion, SuggestionParser

if TYPE_CHECKING:
    from ...typing import KeyT, Reply

__all__ = ["AsyncSearchCommands", "SearchCommands"]

NUMERIC = "NUMERIC"

CREATE_CMD = "FT.CREATE"
ALTER_CMD = "FT.ALTER"
SEARCH_CMD = "FT.SEARCH"
ADD_CMD = "FT.ADD"
ADDHASH_CMD = "FT.ADDHASH"
DROPINDEX_CMD = "FT.DROPINDEX"
EXPLAIN_CMD = "FT.EXPLAIN"
EXPLAINCLI_CMD = "FT.EXPLAINCLI"
DEL_CMD = "FT.DEL"
AGGREGATE_CMD = "FT.AGGREGATE"
PROFILE_CMD = "FT.PROFILE"
CURSOR_CMD = "FT.CURSOR"
SPELLCHECK_CMD = "FT.SPELLCHECK"
DICT_ADD_CMD = "FT.DICTADD"
DICT_DEL_CMD = "FT.DICTDEL"
DICT_DUMP_CMD = "FT.DICTDUMP"
MGET_CMD = "FT.MGET"
CONFIG_CMD = "FT.CONFIG"
TAGVALS_CMD = "FT.TAGVALS"
ALIAS_ADD_CMD = "FT.ALIASADD"
ALIAS_UPDATE_CMD = "FT.ALIASUPDATE"
ALIAS_DEL_CMD = "FT.ALIASDEL"
ALIAS_LIST_CMD = "FT.ALIASLIST"
INFO_CMD = "FT.INFO"
SUGADD_COMMAND = "FT.SUGADD"
SUGDEL_COMMAND = "FT.SUGDEL"
SUGLEN_COMMAND = "FT.SUGLEN"
SUGGET_COMMAND = "FT.SUGGET"
SYNUPDATE_CMD = "FT.SYNUPDATE"
SYNDUMP_CMD = "FT.SYNDUMP"

NOOFFSETS = "NOOFFSETS"
NOFIELDS = "NOFIELDS"
NOHL = "NOHL"
NOFREQS = "NOFREQS"
MAXTEXTFIELDS = "MAXTEXTFIELDS"
TEMPORARY = "TEMPORARY"
STOPWORDS = "STOPWORDS"
SKIPINITIALSCAN = "SKIPINITIALSCAN"
WITHSCORES = "WITHSCORES"
FUZZY = "FUZZY"
WITHPAYLOADS = "WITHPAYLOADS"

ParamsT = dict[str, Any]
_MISSING = object()


def _deprecated(name: str, reason: str, version: str) -> None:
    # redis-py's @deprecated_function warning, word for word
    warnings.warn(f"Call to deprecated {name}. ({reason}) -- Deprecated since version {version}.",
                  DeprecationWarning, stacklevel=3)


def _is_cursor(query: Any) -> bool:
    return isinstance(query, Cursor) or (hasattr(query, "cid") and hasattr(query, "build_args"))


def _is_aggregate(query: Any) -> bool:
    return isinstance(query, AggregateRequest) or hasattr(query, "_aggregateplan")


def _wire(value: Any) -> Any:
    """A value redis-py reads with decoding off (FT.SEARCH is sent NEVER_DECODE): what a
    decoding client made str goes back to the bytes the server sent."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _raw_field(value: Any) -> Any:
    # a field asked for raw (decode_field=False) that a decoding client made str
    return value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value


def _raw_encodings(field_encodings: dict[str, str | None] | None, flat: Any) -> Any:
    """The fields of a RESP2 document with the raw ones (encoding None) back to bytes."""
    if not field_encodings or not isinstance(flat, list):
        return flat
    out = list(flat)
    for i in range(0, len(out) - 1, 2):
        if field_encodings.get(to_string(out[i]), "") is None:
            out[i + 1] = _raw_field(out[i + 1])
    return out


# --- RESP2 parsers (redis-py's legacy ones) -------------------------------------------
def _parse_search(res: Any, query: Any, st: float) -> Result:
    encodings = query._return_fields_decode_as
    hascontent = not query._no_content
    if hascontent and encodings and None in encodings.values():
        step = 1 + hascontent + query._with_payloads + query._with_scores
        res = list(res)
        for i in range(step, len(res), step):
            res[i] = _raw_encodings(encodings, res[i])
    return Result(res, hascontent, duration=(time.monotonic() - st) * 1000.0,
                  has_payload=query._with_payloads, with_scores=query._with_scores,
                  field_encodings=encodings)


def _parse_search_resp3(res: Any, query: Any) -> Any:
    """redis-py's ``_parse_search_resp3_native``: keys, ids and field values decoded, the
    rest as the wire's bytes."""
    if not isinstance(res, dict):
        return res
    encodings = query._return_fields_decode_as
    out = {str_if_bytes(k): v for k, v in res.items()}
    for key, value in out.items():
        if key not in ("results", "warning", "total_results"):
            out[key] = _wire(value)
    if "results" in out:
        results = []
        for item in out["results"]:
            if not isinstance(item, dict):
                results.append(item)
                continue
            item = {str_if_bytes(k): v for k, v in item.items()}
            for key, value in item.items():
                if key not in ("id", "extra_attributes"):
                    item[key] = _wire(value)
            if "id" in item:
                item["id"] = str_if_bytes(item["id"])
            extra = item.get("extra_attributes")
            if isinstance(extra, dict):
                decoded = {}
                for k, v in extra.items():
                    k = str_if_bytes(k)
                    if encodings and k in encodings and encodings[k] is None:
                        v = _raw_field(v)
                    decoded[k] = decode_field_value(v, k, encodings)
                item["extra_attributes"] = decoded
            results.append(item)
        out["results"] = results
    if "warning" in out:
        out["warning"] = [str_if_bytes(w) for w in out["warning"]]
    return out


def _aggregate_result(raw: Any, query: Any, has_cursor: bool) -> AggregateResult:
    cursor: Any = None
    if has_cursor:
        if _is_cursor(query):
            query.cid = raw[1]
            cursor = query
        else:
            cursor = Cursor(raw[1])
        raw = raw[0]
    if _is_aggregate(query) and query._with_schema:
        return AggregateResult(raw[2:], cursor, raw[0])
    return AggregateResult(raw[1:], cursor, None)


def _parse_info(res: Any) -> dict[str, Any]:
    it = map(str_if_bytes, res)
    return dict(zip(it, it))


def _parse_spellcheck(res: Any) -> dict[Any, Any]:
    corrections: dict[Any, Any] = {}
    if res == 0:
        return corrections
    for correction in res:
        if isinstance(correction, int) and correction == 0:
            continue
        if len(correction) != 3 or not correction[2] or not correction[2][0]:
            continue
        corrections[correction[1]] = [{"score": item[0], "suggestion": item[1]}
                                      for item in correction[2]]
    return corrections


def _parse_config_get(res: Any) -> dict[Any, Any]:
    return {kvs[0]: kvs[1] for kvs in res} if res else {}


def _parse_syndump(res: Any) -> dict[Any, Any]:
    return {res[i]: res[i + 1] for i in range(0, len(res), 2)}


def _parse_aliaslist(res: Any) -> set[Any]:
    return set(res) if res else set()


def _params_args(query_params: ParamsT | None) -> list[Any]:
    if not query_params:
        return []
    args: list[Any] = ["PARAMS", len(query_params) * 2]
    for key, value in query_params.items():
        args += [key, value]
    return args


class SearchCommands(CommandsBase[AnyStr]):
    """FT.* commands of one index; the host (``Search``) gives ``index_name`` and
    ``_execute``."""

    __slots__ = ()

    index_name: str

    def _resp3(self) -> bool:
        return self._reply_protocol() == 3

    def _legacy3(self) -> bool:
        """RESP3 on the wire, redis-py's default (legacy) results (see ``_legacy3``)."""
        return wire_resp3_legacy(self._host())

    def _send(self, args: tuple[Any, ...], callback: ReplyCallback | None = None) -> Reply[Any]:
        return self._execute(args, callback)

    def _send_undecoded(self, args: tuple[Any, ...], callback: ReplyCallback) -> Reply[Any]:
        """FT.SEARCH: redis-py reads it undecoded (NEVER_DECODE) and decodes each field
        itself, so a vector among the fields never fails the reply. A decoding client
        here fails a reply with undecodable strings; the error carries the reply with
        those strings as the bytes sent, which the callback then reads as redis-py does.
        (A pipeline gets the DataError: its replies are not re-read.)"""
        sent = self._execute(args, callback)
        if not inspect.iscoroutine(sent):
            return sent

        async def lenient() -> Any:
            try:
                return await sent
            except DataError as exc:
                raw = getattr(exc, "_undecoded", _MISSING)
                if raw is _MISSING:
                    raise
                return callback(raw)

        return lenient()

    # ------------------------------------------------------------ index
    def create_index(
        self,
        fields: Any,
        no_term_offsets: bool = False,
        no_field_flags: bool = False,
        stopwords: list[str] | None = None,
        definition: Any = None,
        max_text_fields: bool = False,
        temporary: int | None = None,
        no_highlight: bool = False,
        no_term_frequencies: bool = False,
        skip_initial_scan: bool = False,
    ) -> Reply[Any]:
        """FT.CREATE the index with ``fields`` (``TextField``, ``TagField``,
        ``NumericField``, ``VectorField`` ... or one of them) and an ``IndexDefinition``
        (``ON HASH|JSON``, ``PREFIX`` ...). Answers the server's ``OK``."""
        args: list[Any] = [CREATE_CMD, self.index_name]
        if definition is not None:
            args += definition.args
        if max_text_fields:
            args.append(MAXTEXTFIELDS)
        if temporary is not None and isinstance(temporary, int):
            args += [TEMPORARY, temporary]
        if no_term_offsets:
            args.append(NOOFFSETS)
        if no_highlight:
            args.append(NOHL)
        if no_field_flags:
            args.append(NOFIELDS)
        if no_term_frequencies:
            args.append(NOFREQS)
        if skip_initial_scan:
            args.append(SKIPINITIALSCAN)
        words: Any = stopwords
        if isinstance(words, (list, tuple, set)):  # anything else ignored, as redis-py
            args += [STOPWORDS, len(words), *words]
        args.append("SCHEMA")
        args += self._schema_args(fields)
        return self._send(tuple(args))

    @staticmethod
    def _schema_args(fields: Any) -> list[Any]:
        if hasattr(fields, "redis_args"):
            return list(fields.redis_args())
        return list(itertools.chain.from_iterable(f.redis_args() for f in fields))

    def alter_schema_add(self, fields: Any) -> Reply[Any]:
        """FT.ALTER ... SCHEMA ADD these fields (a field or a list of them)."""
        return self._send((ALTER_CMD, self.index_name, "SCHEMA", "ADD",
                           *self._schema_args(fields)))

    def dropindex(self, delete_documents: bool = False) -> Reply[Any]:
        """FT.DROPINDEX; ``delete_documents=True`` deletes the documents too (``DD``)."""
        if delete_documents is True:
            return self._send((DROPINDEX_CMD, self.index_name, "DD"))
        return self._send((DROPINDEX_CMD, self.index_name))

    def info(self) -> Reply[Any]:
        """FT.INFO: a dict (RESP2: top-level names and values decoded; RESP3: the
        server's map)."""
        if self._legacy3():
            return self._send((INFO_CMD, self.index_name), _legacy.info)
        return self._send((INFO_CMD, self.index_name), None if self._resp3() else _parse_info)

    # ------------------------------------------------------------ search
    def get_params_args(self, query_params: ParamsT | None) -> list[Any]:
        """``PARAMS n name value ...`` for ``query_params`` (empty: nothing)."""
        return _params_args(query_params)

    def _mk_query_args(self, query: Any, query_params: ParamsT | None) -> tuple[list[Any], Any]:
        if isinstance(query, str):
            query = Query(query)
        if not hasattr(query, "get_args"):
            raise ValueError(f"Bad query type {type(query)}")
        return [self.index_name, *query.get_args(), *_params_args(query_params)], query

    def search(self, query: str | Query, query_params: ParamsT | None = None) -> Reply[Any]:
        """FT.SEARCH ``query`` (a string or a ``Query``), with ``$name`` parameters from
        ``query_params`` (a KNN query's vector as bytes, for instance). RESP2: a
        :class:`Result`; RESP3: the server's map (see the module)."""
        parsed: Any
        args: list[Any]
        args, parsed = self._mk_query_args(query, query_params)
        if self._resp3():
            return self._send_undecoded((SEARCH_CMD, *args),
                                        lambda res: _parse_search_resp3(res, parsed))
        st = time.monotonic()
        if self._legacy3():
            return self._send_undecoded((SEARCH_CMD, *args), lambda res: _legacy.search(res, parsed, st))
        return self._send_undecoded((SEARCH_CMD, *args), lambda res: _parse_search(res, parsed, st))

    def explain(self, query: str | Query, query_params: ParamsT | None = None) -> Reply[Any]:
        """FT.EXPLAIN: the execution plan of ``query``, as the server writes it."""
        args: list[Any] = self._mk_query_args(query, query_params)[0]
        return self._send((EXPLAIN_CMD, *args))

    def explain_cli(self, query: str | Query) -> Any:
        """Not implemented (as in redis-py)."""
        raise NotImplementedError("EXPLAINCLI will not be implemented.")

    def aggregate(self, query: AggregateRequest | Cursor,
                  query_params: ParamsT | None = None) -> Reply[Any]:
        """FT.AGGREGATE an ``AggregateRequest``, or FT.CURSOR READ a ``Cursor``. RESP2:
        an :class:`AggregateResult` (a request with ``cursor()``: its ``cursor`` to read
        on with); RESP3: the server's reply."""
        if _is_cursor(query):
            has_cursor = True
            cmd: list[Any] = [CURSOR_CMD, "READ", self.index_name, *query.build_args()]
        elif _is_aggregate(query):
            has_cursor = bool(query._cursor)  # type: ignore[union-attr]
            cmd = [AGGREGATE_CMD, self.index_name, *query.build_args()]
        else:
            raise ValueError("Bad query", query)
        cmd += _params_args(query_params)
        if self._resp3():
            return self._send(tuple(cmd))
        if self._legacy3():
            return self._send(tuple(cmd), lambda raw: _legacy.aggregate(raw, query, has_cursor))
        return self._send(tuple(cmd), lambda raw: _aggregate_result(raw, query, has_cursor))

    def profile(self, query: Query | AggregateRequest, limited: bool = False,
                query_params: ParamsT | None = None) -> Reply[Any]:
        """FT.PROFILE a search or an aggregation. RESP2: ``(Result or AggregateResult,
        ProfileInformation)``; RESP3: a ``ProfileInformation`` of the server's map."""
        cmd: list[Any] = [PROFILE_CMD, self.index_name, ""]
        if limited:
            cmd.append("LIMITED")
        cmd.append("QUERY")
        if _is_aggregate(query):
            cmd[2] = "AGGREGATE"
            cmd += query.build_args()  # type: ignore[union-attr]
        elif hasattr(query, "get_args"):
            cmd[2] = "SEARCH"
            cmd += query.get_args()
            cmd += _params_args(query_params)
        else:
            raise ValueError("Must provide AggregateRequest object or Query object.")
        if self._resp3():
            return self._send(tuple(cmd), ProfileInformation)
        st = time.monotonic()

        def parse(res: Any) -> tuple[Any, ProfileInformation]:
            if _is_aggregate(query):
                result: Any = _aggregate_result(res[0], query, bool(query._cursor))  # type: ignore[union-attr]
            else:
                result = _parse_search(res[0], query, st)
            return result, ProfileInformation(res[1])

        if self._legacy3():
            return self._send(tuple(cmd), lambda res: _legacy.profile(
                res, query, st, _is_aggregate(query), parse))
        return self._send(tuple(cmd), parse)

    def spellcheck(self, query: str, distance: int | None = None, include: str | None = None,
                   exclude: str | None = None) -> Reply[Any]:
        """FT.SPELLCHECK: RESP2 ``{term: [{"score": ..., "suggestion": ...}, ...]}``;
        RESP3 the server's map."""
        cmd: list[Any] = [SPELLCHECK_CMD, self.index_name, query]
        if distance:
            cmd += ["DISTANCE", distance]
        if include:
            cmd += ["TERMS", "INCLUDE", include]
        if exclude:
            cmd += ["TERMS", "EXCLUDE", exclude]
        if self._legacy3():
            return self._send(tuple(cmd), lambda res: _legacy.spellcheck(res, _parse_spellcheck))
        return self._send(tuple(cmd), None if self._resp3() else _parse_spellcheck)

    # ------------------------------------------------------------ dictionaries, config
    def dict_add(self, name: str, *terms: str) -> Reply[int]:
        """FT.DICTADD: how many terms were new."""
        return self._send((DICT_ADD_CMD, name, *terms))

    def dict_del(self, name: str, *terms: str) -> Reply[int]:
        """FT.DICTDEL: how many terms were removed."""
        return self._send((DICT_DEL_CMD, name, *terms))

    def dict_dump(self, name: str) -> Reply[Any]:
        """FT.DICTDUMP: the dictionary's terms."""
        return self._send((DICT_DUMP_CMD, name))

    def config_set(self, option: str, value: str) -> Reply[bool]:
        """FT.CONFIG SET (deprecated by redis-py since Redis 8.0: ``config_set`` of the
        client). True when the server answered ``OK`` as a str (redis-py's test: False on
        a client that does not decode)."""
        _deprecated("config_set", "deprecated since Redis 8.0, call config_set from core "
                    "module instead", "8.0.0")
        return self._send((CONFIG_CMD, "SET", option, value), lambda raw: raw == "OK")

    def config_get(self, option: str) -> Reply[Any]:
        """FT.CONFIG GET (deprecated by redis-py since Redis 8.0): RESP2 ``{name:
        value}``; RESP3 the server's map."""
        _deprecated("config_get", "deprecated since Redis 8.0, call config_get from core "
                    "module instead", "8.0.0")
        if self._legacy3():
            return self._send((CONFIG_CMD, "GET", option), _legacy.config_get)
        return self._send((CONFIG_CMD, "GET", option),
                          None if self._resp3() else _parse_config_get)

    def tagvals(self, tagfield: str) -> Reply[Any]:
        """FT.TAGVALS: the values of a tag field (a list on RESP2, a set on RESP3)."""
        return self._send((TAGVALS_CMD, self.index_name, tagfield))

    # ------------------------------------------------------------ aliases
    def aliasadd(self, alias: KeyT) -> Reply[Any]:
        """FT.ALIASADD ``alias`` to this index."""
        return self._send((ALIAS_ADD_CMD, alias, self.index_name))

    def aliasupdate(self, alias: KeyT) -> Reply[Any]:
        """FT.ALIASUPDATE: ``alias`` now names this index."""
        return self._send((ALIAS_UPDATE_CMD, alias, self.index_name))

    def aliasdel(self, alias: KeyT) -> Reply[Any]:
        """FT.ALIASDEL ``alias``."""
        return self._send((ALIAS_DEL_CMD, alias))

    def aliaslist(self) -> Reply[set[AnyStr]]:
        """FT.ALIASLIST: this index's aliases, as a set."""
        return self._send((ALIAS_LIST_CMD, self.index_name), _parse_aliaslist)

    # ------------------------------------------------------------ suggestions
    def sugadd(self, key: str, *suggestions: Suggestion, **kwargs: Any) -> Reply[int]:
        """FT.SUGADD each ``Suggestion`` (``increment=True``: ``INCR``); answers the
        last one's reply (the dictionary's size). Sent as one pipeline, not a
        transaction."""
        cmds = []
        for sug in suggestions:
            args: list[Any] = [SUGADD_COMMAND, key, sug.string, sug.score]
            if kwargs.get("increment"):
                args.append("INCR")
            if sug.payload:
                args += ["PAYLOAD", sug.payload]
            cmds.append(tuple(args))
        make = getattr(self._host(), "pipeline", None)
        if make is None:  # a pipeline already: queue them there
            out: Any = None
            for args_ in cmds:
                out = self._send(args_)
            return out  # type: ignore[no-any-return]
        pipe = make(transaction=False)
        for args_ in cmds:
            pipe.execute_command(*args_)

        async def run() -> int:
            return (await pipe.execute())[-1]  # type: ignore[no-any-return]

        return run()

    def _host(self) -> Any:
        return self

    def suglen(self, key: str) -> Reply[int]:
        """FT.SUGLEN: the number of suggestions under ``key``."""
        return self._send((SUGLEN_COMMAND, key))

    def sugdel(self, key: str, string: str) -> Reply[int]:
        """FT.SUGDEL: 1 if ``string`` was there, else 0."""
        return self._send((SUGDEL_COMMAND, key, string))

    def sugget(self, key: str, prefix: str, fuzzy: bool = False, num: int = 10,
               with_scores: bool = False, with_payloads: bool = False) -> Reply[list[Suggestion]]:
        """FT.SUGGET: the suggestions for ``prefix``, as ``Suggestion`` objects (score 1.0
        unless ``with_scores``)."""
        args: list[Any] = [SUGGET_COMMAND, key, prefix, "MAX", num]
        if fuzzy:
            args.append(FUZZY)
        if with_scores:
            args.append(WITHSCORES)
        if with_payloads:
            args.append(WITHPAYLOADS)

        def parse(res: Any) -> list[Suggestion]:
            return list(SuggestionParser(with_scores, with_payloads, res)) if res else []

        return self._send(tuple(args), parse)

    # ------------------------------------------------------------ synonyms
    def synupdate(self, groupid: str, skipinitial: bool = False, *terms: str) -> Reply[Any]:
        """FT.SYNUPDATE the synonym group ``groupid`` with ``terms``."""
        cmd: list[Any] = [SYNUPDATE_CMD, self.index_name, groupid]
        if skipinitial:
            cmd.append(SKIPINITIALSCAN)
        return self._send((*cmd, *terms))

    def syndump(self) -> Reply[Any]:
        """FT.SYNDUMP: RESP2 ``{term: [group ids]}``; RESP3 the server's map."""
        if self._legacy3():
            return self._send((SYNDUMP_CMD, self.index_name), _legacy.syndump)
        return self._send((SYNDUMP_CMD, self.index_name),
                          None if self._resp3() else _parse_syndump)

    # ------------------------------------------------------------ documents
    def load_document(self, id: KeyT, field_encodings: dict[str, str | None] | None = None
                      ) -> Reply[Document]:
        """The hash ``id`` as a :class:`Document` (HGETALL); ``field_encodings`` as in
        ``Query.return_field`` (``None``: keep the raw bytes)."""
        def parse(res: Any) -> Document:
            fields = {}
            for k, v in (res or {}).items() if isinstance(res, dict) else _pairs(res):
                k = str_if_bytes(k)
                if field_encodings and field_encodings.get(k, "") is None:
                    v = _raw_field(v)
                fields[k] = decode_field_value(v, k, field_encodings)
            fields.pop("id", None)
            return Document(id=id, **fields)

        return self._send(("HGETALL", id), parse)

    def get(self, *ids: str) -> Reply[Any]:
        """FT.MGET (deprecated since RediSearch 2.0; Redis 8 has no such command)."""
        _deprecated("get", "deprecated since redisearch 2.0", "2.0.0")
        return self._send((MGET_CMD, self.index_name, *ids))

    def delete_document(self, doc_id: str, conn: Any = None,
                        delete_actual_document: bool = False) -> Reply[Any]:
        """FT.DEL (deprecated since RediSearch 2.0: delete the key instead)."""
        _deprecated("delete_document", "deprecated since redisearch 2.0", "2.0.0")
        args: list[Any] = [DEL_CMD, self.index_name, doc_id]
        if delete_actual_document:
            args.append("DD")
        if conn is not None:
            return conn.execute_command(*args)  # type: ignore[no-any-return]
        return self._send(tuple(args))


def _pairs(res: Any) -> Any:
    it = iter(res or ())
    return zip(it, it)


#: redis-py's name of the asyncio variant: the same class here (every method is async)
AsyncSearchCommands = SearchCommands
