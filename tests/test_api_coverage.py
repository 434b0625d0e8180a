"""fastredis.Redis has every public name of redis-py's asyncio Redis whose command exists in
Redis 7.0 or Valkey 9.1 (issue 9). What it lacks is listed in EXCLUDED, each entry with
the reason; a name listed there that fastredis has is a stale entry, and fails too."""

from __future__ import annotations

import fnmatch
import inspect

import pytest

redis_asyncio = pytest.importorskip("redis.asyncio")  # redis-py is in the test extra

import fastredis  # noqa: E402

# name (or a family pattern, fnmatch style) -> why fastredis does not have it
EXCLUDED: dict[str, str] = {
    # --- Redis 8.x commands: in neither Redis 7.0 nor Valkey 9.1 (checked with COMMAND) ---
    "ar*": "Redis 8.x array type (ARSET, ARGET, ARSCAN ... 18 methods)",
    "himport_*": "Redis 8.x HIMPORT (bulk hash import) and redis-py's registry for it",
    "hotkeys_*": "Redis 8.x HOTKEYS START/STOP/GET/RESET",
    "blmovem": "Redis 8.x BLMOVEM",
    "lmovem": "Redis 8.x LMOVEM",
    "delex": "Redis 8.x DELEX (Valkey has DELIFEQ, a different command)",
    "digest": "Redis 8.x DIGEST",
    "digest_local": "client-side twin of Redis 8.x DIGEST",
    "increx": "Redis 8.x INCREX",
    "sdiffcard": "Redis 8.x SDIFFCARD",
    "sunioncard": "Redis 8.x SUNIONCARD",
    "xcfgset": "Redis 8.x XCFGSET",
    "xnack": "Redis 8.x XNACK",
    # --- removed from Redis before 7.0 ---
    "stralgo": "STRALGO was removed in Redis 7.0 (LCS replaces it: r.lcs)",
    # --- module commands: need Redis Stack / Redis 8 modules ---
    "json": "RedisJSON module",
    "ft": "RediSearch module",
    "ts": "RedisTimeSeries module",
    "bf": "RedisBloom: Bloom filter",
    "cf": "RedisBloom: Cuckoo filter",
    "cms": "RedisBloom: Count-min sketch",
    "tdigest": "RedisBloom: t-digest",
    "topk": "RedisBloom: Top-K",
    "load_external_module": "redis-py's hook to attach module API objects",
    # --- redis-py connection internals, not commands (fastredis's own layers differ) ---
    "get_connection_kwargs": "redis-py internals: fastredis exposes pool.connection_kwargs",
    "get_encoder": "redis-py internals: fastredis encodes in hiredis.pack_command",
    "parse_response": "redis-py internals: replies are parsed in the protocol's reader",
    "get_retry": "redis-py retry object accessor (retry policy: connection options)",
    "set_retry": "redis-py retry object setter (retry policy: connection options)",
    "keyspace_notifications": "redis-py 8 Pub/Sub helper; fastredis: r.pubsub() + psubscribe",
}

def _public(cls: type) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_")}


def _excluded(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in EXCLUDED)


def test_every_redis_py_name_is_present_or_excluded_with_a_reason():
    missing = sorted(
        n for n in _public(redis_asyncio.Redis) - _public(fastredis.Redis)
        if not _excluded(n)
    )
    assert missing == [], f"redis-py names fastredis lacks (implement or add to EXCLUDED): {missing}"


def test_exclusions_are_short_and_not_stale():
    assert len(EXCLUDED) <= 40
    assert all(reason.strip() for reason in EXCLUDED.values())
    ours = _public(fastredis.Redis)
    stale = sorted(n for n in ours if _excluded(n))
    assert stale == [], f"fastredis has these now: remove them from EXCLUDED: {stale}"
    theirs = _public(redis_asyncio.Redis)
    unused = sorted(p for p in EXCLUDED if not any(fnmatch.fnmatchcase(n, p) for n in theirs))
    assert unused == [], f"redis-py no longer has these: remove them from EXCLUDED: {unused}"


# Every method both clients have takes redis-py's parameters: each of redis-py's named
# parameters exists here with its default, positional ones in redis-py's order (fastredis
# may take more: ping(message), failover(host, port, ...)). Known gaps, each with why:
SIGNATURE_GAPS: dict[str, str] = {
    "set": "ifeq/ifne/ifdeq/ifdne: Redis 8.4 (Valkey's SET IFEQ differs)",
    "xadd": "ref_policy/idmpauto/idmp: Redis 8.2+ stream arguments",
    "xtrim": "ref_policy: Redis 8.2+",
    "xread": "max_count/max_size: Redis 8.x",
    "xreadgroup": "claim_min_idle_time/max_count/max_size: Redis 8.x",
    "zrank": "score_cast_func with withscore=True: to add (typed overloads on main)",
    "zrevrank": "score_cast_func with withscore=True: to add (typed overloads on main)",
    "zunion": "score_cast_func: to add (typed overloads on main)",
    "transaction": "shard_hint: a cluster-pipeline argument, meaningless on one server",
    "from_url": "single_connection_client / auto_close_connection_pool: client options (core8)",
    "sentinel_get_master_addr_by_name": "return_responses: redis-py's Sentinel-internal switch",
    "sentinel_master": "return_responses: redis-py's Sentinel-internal switch",
    "sentinel_sentinels": "return_responses: redis-py's Sentinel-internal switch",
}


def _named(func: object) -> list[tuple[str, str, object]] | None:
    try:
        sig = inspect.signature(func)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    out = []
    for p in list(sig.parameters.values())[1:]:
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue  # redis-py's **kwargs carry per-call options; *args names do not matter
        default = p.default
        if isinstance(default, list) and not default:
            default = ()  # redis-py's mutable [] defaults; () here
        out.append((p.name, p.kind.name, default))
    return out


def _takes_redis_py_parameters(ours: list, theirs: list) -> bool:
    by_name = {name: (kind, default) for name, kind, default in ours}
    for name, _kind, default in theirs:
        mine = by_name.get(name)
        if mine is None:
            return False
        if mine[1] != default and not (default in ((), None) and mine[1] in ((), None)):
            return False
    positional = [n for n, k, _ in theirs if k == "POSITIONAL_OR_KEYWORD"]
    return [n for n, k, _ in ours if k == "POSITIONAL_OR_KEYWORD"][:len(positional)] == positional


def test_methods_take_redis_py_parameters():
    shared = _public(redis_asyncio.Redis) & _public(fastredis.Redis)
    wrong = {}
    for name in sorted(shared - SIGNATURE_GAPS.keys()):
        theirs = getattr(redis_asyncio.Redis, name)
        ours = getattr(fastredis.Redis, name)
        if not callable(theirs) or isinstance(theirs, type):
            continue
        t, o = _named(theirs), _named(ours)
        if t is not None and o is not None and not _takes_redis_py_parameters(o, t):
            wrong[name] = {"fastredis": o, "redis-py": t}
    assert wrong == {}
    assert len(SIGNATURE_GAPS) <= 15
