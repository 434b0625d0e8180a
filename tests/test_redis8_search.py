"""RediSearch (``r.ft()``) against Redis 8.2.3 with the search module, compared with
redis-py 8.2 on the same server: the same scenario (create_index on HASH and JSON, search
with Query options, KNN and range vector queries, aggregate with reducers and cursors,
explain, tagvals, alter, aliases, suggestions, spellcheck and dictionaries, synonyms,
config, profile, dropindex) run by both clients, each with the request objects of its own
library and with the other's, RESP2 and RESP3, bytes and decoded replies. Skipped with the
reason without the module (``FASTREDIS_TEST_SERVER=redis8`` loads it)."""

from __future__ import annotations

import struct
import warnings
from types import SimpleNamespace

import pytest
import redis.commands.search.aggregation as rp_aggregation
import redis.commands.search.field as rp_field
import redis.commands.search.index_definition as rp_index_definition
import redis.commands.search.query as rp_query
import redis.commands.search.reducers as rp_reducers
import redis.commands.search.suggestion as rp_suggestion
from redis.exceptions import ResponseError as RedisPyResponseError

import fastredis
import fastredis.commands.search.aggregation as aggregation
import fastredis.commands.search.field as field
import fastredis.commands.search.index_definition as index_definition
import fastredis.commands.search.query as query
import fastredis.commands.search.reducers as reducers
import fastredis.commands.search.suggestion as suggestion
from fastredis import DataError, ResponseError
from fastredis.commands.search import Search
from fastredis.commands.search.aggregation import AggregateResult
from fastredis.commands.search.result import Result

search_module = pytest.mark.requires_modules("search")

OURS = SimpleNamespace(aggregation=aggregation, field=field, index_definition=index_definition,
                       query=query, reducers=reducers, suggestion=suggestion)
THEIRS = SimpleNamespace(aggregation=rp_aggregation, field=rp_field,
                         index_definition=rp_index_definition, query=rp_query,
                         reducers=rp_reducers, suggestion=rp_suggestion)


def vec(*xs: float) -> bytes:
    return struct.pack(f"{len(xs)}f", *xs)


DOCS = {
    "d:1": {"t": "hello world", "g": "red,blue", "n": 10, "v": vec(0.0, 1.0)},
    "d:2": {"t": "hello there friend", "g": "red", "n": 20, "v": vec(1.0, 0.0)},
    "d:3": {"t": "goodbye world", "g": "green", "n": 30, "v": vec(1.0, 1.0)},
    "d:4": {"t": "helo wrld typo", "g": "blue", "n": 40, "v": vec(0.5, 0.5)},
}


def _norm(x):
    """A comparable picture of a result: the classes and every value (durations and
    cursor ids, which differ between two runs, left out)."""
    if isinstance(x, Exception):
        return ("error", str(x).removeprefix("ERR "))
    name = type(x).__name__
    if name == "Result":
        return ("Result", x.total, [_norm(d) for d in x.docs], x.warnings)
    if name == "Document":
        return ("Document", {k: _norm(v) for k, v in x.__dict__.items()})
    if name == "AggregateResult":
        return ("AggregateResult", _norm(x.rows), x.cursor is not None and x.cursor.cid != 0,
                _norm(x.schema), x.total, x.warnings)
    if name == "ProfileInformation":
        return ("ProfileInformation", _shape(x.info))
    if name == "_Profile":
        return x
    if name == "Suggestion":
        return ("Suggestion", x.string, x.score, x.payload)
    if isinstance(x, tuple):
        return tuple(_norm(v) for v in x)
    if isinstance(x, list):
        return [_norm(v) for v in x]
    if isinstance(x, dict):
        return {k: _norm(v) for k, v in x.items()}
    return x


def _shape(x):
    # profile figures (times, counters, even iterator details) differ run to run: the
    # container, its top-level names and their types do not
    if isinstance(x, dict):
        return ("dict", [(k, type(v).__name__) for k, v in x.items()])
    if isinstance(x, list):
        return ("list", [type(v).__name__ if not isinstance(v, list) or not v else
                         (v[0], type(v).__name__) for v in x][:1])
    return type(x).__name__


async def _scenario(client, m) -> list:
    """Every call, its result (or the server's error) in order; ``m``: the library whose
    request objects are used."""
    ft = client.ft("idx")
    out: list = []

    async def call(coro_or_fn):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = await coro_or_fn()
            except (ResponseError, RedisPyResponseError) as exc:
                res = exc
            except (DataError, UnicodeDecodeError):
                # a vector among the fields read by a decoding client (HGETALL,
                # FT.AGGREGATE LOAD *): redis-py fails to decode it, fastredis too
                res = "undecodable"
        out.append((_norm(res), [str(w.message) for w in caught]))
        return res

    F, Q = m.field, m.query
    schema = [F.TextField("t", weight=2.0), F.TagField("g"), F.NumericField("n", sortable=True),
              F.VectorField("v", "FLAT", {"TYPE": "FLOAT32", "DIM": 2, "DISTANCE_METRIC": "L2"})]
    definition = m.index_definition.IndexDefinition(
        prefix=["d:"], index_type=m.index_definition.IndexType.HASH)
    await call(lambda: ft.create_index(schema, definition=definition))
    await call(lambda: ft.create_index(schema, definition=definition))  # exists: an error
    for key, mapping in DOCS.items():
        await client.hset(key, mapping=mapping)
    knn = Q.Query("*=>[KNN 3 @v $vec AS dist]").sort_by("dist").return_fields("t", "dist")
    queries = [
        "hello", Q.Query("hello").with_scores(), Q.Query("hello").paging(1, 1),
        Q.Query("*").sort_by("n", asc=False).return_fields("t", "n"),
        Q.Query("hello").no_content(), Q.Query("@g:{red}").return_field("t", as_field="title"),
        Q.Query("*").add_filter(Q.NumericFilter("n", 15, 35)).sort_by("n"),
        Q.Query("hello world").verbatim().in_order().slop(1).dialect(2),
        Q.Query("hello").highlight(fields=["t"], tags=["<b>", "</b>"]).summarize(["t"]),
        Q.Query("*").limit_ids("d:1", "d:3").sort_by("n"), Q.Query("nomatch"),
        Q.Query("*").return_field("v", decode_field=False).sort_by("n").paging(0, 2),
        Q.Query("*").paging(0, 0),
    ]
    for q in queries:
        await call(lambda q=q: ft.search(q))
    await call(lambda: ft.search(knn, query_params={"vec": vec(0.0, 0.9)}))
    rng = (Q.Query("@v:[VECTOR_RANGE $r $vec]=>{$YIELD_DISTANCE_AS: d}").sort_by("d")
           .return_fields("d", "n"))
    await call(lambda: ft.search(rng, query_params={"r": 0.6, "vec": vec(1.0, 0.9)}))
    await call(lambda: ft.search(Q.Query("@n:[$lo $hi]").sort_by("n"),
                                 query_params={"lo": 15, "hi": 45}))
    await call(lambda: ft.search(Q.Query("@nofield:x")))  # a server error
    # aggregations
    A, R = m.aggregation, m.reducers
    requests = [
        A.AggregateRequest("*").group_by("@g", R.count().alias("c")).sort_by(A.Desc("@c"), A.Asc("@g")),
        A.AggregateRequest("*").load("@n").group_by(
            [], R.sum("@n").alias("s"), R.avg("@n").alias("a"), R.max("@n").alias("mx"),
            R.min("@n"), R.count_distinct("@g").alias("cd"), R.quantile("@n", 0.5).alias("q"),
            R.stddev("@n").alias("sd")),
        A.AggregateRequest("hello").load("@t", "@n").apply(n2="@n*2").filter("@n2 > 25")
        .sort_by("@n", max=5).limit(0, 3),
        A.AggregateRequest("*").load("@n", "@g").group_by(
            "@g", R.tolist("@n").alias("ns"), R.first_value("@n", A.Desc).alias("fv"))
        .sort_by("@g"),
        A.AggregateRequest("*").load("@n").sort_by(A.Asc("@n")).with_schema().limit(0, 2),
        A.AggregateRequest("*").load().sort_by("@n").limit(0, 1).dialect(2),
    ]
    for req in requests:
        await call(lambda req=req: ft.aggregate(req))
    await call(lambda: ft.aggregate(A.AggregateRequest("@n:[$lo inf]").load("@n").sort_by("@n"),
                                    query_params={"lo": 25}))
    # a cursor read to the end, two rows at a time
    first = await call(lambda: ft.aggregate(
        A.AggregateRequest("*").load("@n").sort_by("@n").cursor(count=2)))
    if isinstance(first, AggregateResult) or type(first).__name__ == "AggregateResult":
        cursor = first.cursor
        while cursor is not None and cursor.cid:
            res = await call(lambda cursor=cursor: ft.aggregate(cursor))
            cursor = res.cursor
    # the rest of the commands
    await call(lambda: ft.explain("hello @n:[1 2]"))
    await call(lambda: ft.explain(Q.Query("@g:{$t}"), query_params={"t": "red"}))
    await call(lambda: ft.tagvals("g"))
    await call(lambda: ft.alter_schema_add([F.TextField("extra")]))
    await call(lambda: ft.alter_schema_add(F.NumericField("extra2")))
    await call(lambda: ft.aliasadd("al1"))
    await call(lambda: ft.aliaslist())
    await call(lambda: ft.aliasupdate("al2"))
    await call(lambda: ft.aliaslist())
    await call(lambda: ft.aliasdel("al1"))
    await call(lambda: ft.aliasdel("al1"))  # gone: an error
    await call(lambda: ft.aliaslist())
    S = m.suggestion.Suggestion
    await call(lambda: ft.sugadd("ac", S("hello", 2.0), S("help", 1.0, payload="pl"), S("world")))
    await call(lambda: ft.sugadd("ac", S("hello", 1.0), increment=True))
    await call(lambda: ft.suglen("ac"))
    await call(lambda: ft.sugget("ac", "hel"))
    await call(lambda: ft.sugget("ac", "hel", with_scores=True, with_payloads=True, num=1))
    await call(lambda: ft.sugget("ac", "hlp", fuzzy=True, with_payloads=True))
    await call(lambda: ft.sugget("ac", "zzz"))
    await call(lambda: ft.sugdel("ac", "world"))
    await call(lambda: ft.sugdel("ac", "world"))
    await call(lambda: ft.dict_add("dct", "helo", "wrld", "extra"))
    await call(lambda: ft.dict_del("dct", "extra"))
    await call(lambda: ft.dict_dump("dct"))
    await call(lambda: ft.spellcheck("helo wrld"))
    await call(lambda: ft.spellcheck("helo wrld", distance=2, exclude="dct"))
    await call(lambda: ft.spellcheck("helo", include="dct"))
    await call(lambda: ft.synupdate("grp1", False, "hello", "hi"))
    await call(lambda: ft.synupdate("grp2", True, "world"))
    await call(lambda: ft.syndump())
    await call(lambda: ft.config_get("TIMEOUT"))
    await call(lambda: ft.config_set("TIMEOUT", "500"))
    await call(lambda: ft.profile(Q.Query("hello").sort_by("n")))
    await call(lambda: ft.profile(A.AggregateRequest("*").group_by("@g", R.count())))
    await call(lambda: ft.load_document("d:2"))
    await call(lambda: ft.load_document("d:2", field_encodings={"v": None}))
    # a JSON index
    jt = client.ft("jidx")
    await call(lambda: jt.create_index(
        [F.TextField("$.name", as_name="name"), F.NumericField("$.age", as_name="age"),
         F.TagField("$.tags[*]", as_name="tags")],
        definition=m.index_definition.IndexDefinition(
            prefix=["j:"], index_type=m.index_definition.IndexType.JSON)))
    await client.json().set("j:1", "$", {"name": "alice smith", "age": 30, "tags": ["a", "b"]})
    await client.json().set("j:2", "$", {"name": "bob", "age": 25, "tags": ["b"]})
    await call(lambda: jt.search(Q.Query("@tags:{b}").sort_by("age")))
    await call(lambda: jt.search(Q.Query("alice").return_fields("name", "age")))
    await call(lambda: jt.aggregate(A.AggregateRequest("*").load("@age").group_by(
        "@tags", R.count().alias("c")).sort_by("@tags")))
    await call(lambda: jt.dropindex())
    await call(lambda: ft.info())
    await call(lambda: ft.dropindex(delete_documents=True))
    await call(lambda: ft.dropindex())  # gone: an error
    out.append(await client.dbsize())
    return out


def _info_stable(info):
    # FT.INFO's counters (memory, times, documents: FT.ALTER rescans in the background)
    # differ between two runs; the description of the index does not
    keep = ("index_name", "index_options", "index_definition", "attributes")
    assert isinstance(info, dict) and len(info) > 20
    return {k: v for k, v in info.items() if (k.decode() if isinstance(k, bytes) else k) in keep}


def _compare(ours: list, theirs: list) -> None:
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if i == len(ours) - 4:  # ft.info()
            a, b = ((_info_stable(x[0]), x[1]) for x in (a, b))
        assert a == b, (i, a, b)


@search_module
@pytest.mark.parametrize("objects", ["own", "redis-py's"])
async def test_every_method_answers_as_redis_py(pair, objects):
    """redis-py with its request objects; fastredis with its own, then with redis-py's
    (Query, fields, IndexDefinition, AggregateRequest, Cursor, Suggestion: redis-py
    itself refuses objects of another library, by isinstance)."""
    r, rp = pair
    mine, theirs_ = (OURS, THEIRS) if objects == "own" else (THEIRS, THEIRS)
    ours = await _scenario(r, mine)
    await r.flushdb()
    theirs = await _scenario(rp, theirs_)
    _compare(ours, theirs)
    # the calls reached the server and did something
    assert ours[0][0] in (b"OK", "OK") and ours[1][0][0] == "error"
    # dropindex(delete_documents=True) deleted the documents: the suggestions and the
    # JSON documents (their index dropped without DD) remain
    assert ours[-1] == 3


@search_module
async def test_pipelines_give_the_parsed_results(redis_server, redis):
    """``r.pipeline().ft()`` queues FT.* commands whose results are parsed as the direct
    calls' (redis-py's pipelines hand back the raw replies instead)."""
    for protocol in (2, 3):
        async with fastredis.Redis(**redis_server.client_kwargs(protocol=protocol)) as r:
            await r.flushdb()
            await r.ft().create_index([field.TextField("t"), field.NumericField("n")])
            await r.hset("a", mapping={"t": "hello", "n": 1})
            q = query.Query("hello").with_scores()
            req = aggregation.AggregateRequest("*").group_by("@n", reducers.count().alias("c"))
            direct = [await r.ft().search(q), await r.ft().aggregate(req)]
            pipe = r.pipeline(transaction=False)
            pipe.ft().search(q).ft().aggregate(req)
            pipe.ft().explain("hello").ft().sugadd("s", suggestion.Suggestion("x"),
                                               suggestion.Suggestion("y"))
            got = await pipe.execute()
            assert _norm(got[0]) == _norm(direct[0]) and _norm(got[1]) == _norm(direct[1])
            assert got[2] == await r.ft().explain("hello") and got[3:] == [1, 2]
            assert isinstance(got[0], dict if protocol == 3 else Result)


async def test_the_search_object():
    async with fastredis.Redis() as r:
        ft = r.ft("books")
        assert isinstance(ft, Search) and ft.client is r and ft.index_name == "books"
        assert r.ft().index_name == "idx" and repr(ft).startswith("<Search 'books' of")
        with pytest.raises(fastredis.DataError):
            r.ft(None)
        with pytest.raises(ValueError, match="Bad query"):
            ft.search(object())
        with pytest.raises(ValueError, match="Bad query"):
            ft.aggregate(object())
        with pytest.raises(NotImplementedError):
            ft.explain_cli("x")
        # the request objects write redis-py's words
        q = query.Query("@t:x").return_field("v", decode_field=False).paging(5, 2).timeout(9)
        assert q.get_args() == rp_query.Query("@t:x").return_field(
            "v", decode_field=False).paging(5, 2).timeout(9).get_args()


def test_every_redis_py_search_method_with_its_parameters():
    """redis-py's AsyncSearch (``redis.asyncio.Redis.ft()``): its public names here, with
    redis-py's parameters, except those listed with the reason."""
    from redis.commands.search import AsyncSearch
    from test_api_coverage import _named, _takes_redis_py_parameters

    absent = {
        "hybrid_search": "FT.HYBRID: Redis 8.4+ (no server here runs it)",
        "batch_indexer": "FT.ADD batches: the command is gone from Redis 8",
        "add_document": "FT.ADD: gone from Redis 8 (deprecated in redis-py)",
        "add_document_hash": "FT.ADDHASH: gone from Redis 8 (deprecated in redis-py)",
        "BatchIndexer": "see batch_indexer",
        "pipeline": "ft().pipeline(): use r.pipeline() and its .ft()",
    }
    theirs = {n for n in dir(AsyncSearch) if not n.startswith("_")}
    ours = {n for n in dir(Search) if not n.startswith("_")}
    assert theirs - ours == set(absent)
    wrong = {}
    for name in sorted(theirs & ours):
        if callable(getattr(AsyncSearch, name)) and not _takes_redis_py_parameters(
                _named(getattr(Search, name)), _named(getattr(AsyncSearch, name))):
            wrong[name] = True
    assert wrong == {}


@search_module
async def test_cluster(rc, redis_cluster):
    """On a 3-primary cluster FT.* commands go where redis-py sends them: the module's
    COMMAND entry declares the index name as the key, so both route by its slot. The
    index is created, filled from the keys that node holds and searched there; the same
    answers as redis-py's."""
    from redis.asyncio.cluster import RedisCluster as RedisPyCluster

    from fastredis.cluster import RedisCluster

    await rc.ft("cidx").create_index([field.TextField("t"), field.NumericField("n", sortable=True)])
    try:
        for protocol in (2, 3):
            rp = RedisPyCluster(**redis_cluster.client_kwargs(), protocol=protocol)
            ours = RedisCluster(**redis_cluster.client_kwargs(), protocol=protocol)
            try:
                await ours.initialize()
                await rp.initialize()
                home = ours.get_node_from_key("cidx")
                # documents on every shard; those on the index's node are found
                keys = [f"doc:{i}" for i in range(12)]
                for i, key in enumerate(keys):
                    await ours.hset(key, mapping={"t": "hello", "n": i})
                q = query.Query("hello").sort_by("n").paging(0, 20)
                a = await ours.ft("cidx").search(q)
                b = await rp.ft("cidx").search(rp_query.Query("hello").sort_by("n").paging(0, 20))
                assert _norm(a) == _norm(b)
                held = {k for k in keys if ours.get_node_from_key(k).name == home.name} \
                    if protocol == 2 else None
                if held is not None:
                    assert {d.id for d in a.docs} == held
                req = aggregation.AggregateRequest("*").group_by([], reducers.count().alias("c"))
                assert _norm(await ours.ft("cidx").aggregate(req)) == _norm(
                    await rp.ft("cidx").aggregate(rp_aggregation.AggregateRequest("*").group_by(
                        [], rp_reducers.count().alias("c"))))
            finally:
                await ours.aclose()
                await rp.aclose()
    finally:
        await rc.ft("cidx").dropindex()
