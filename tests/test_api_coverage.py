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
    "xackdel": "Redis 8.2 XACKDEL",
    "xdelex": "Redis 8.2 XDELEX",
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
    "vset": "Redis 8 vector sets (module-style API)",
    "load_external_module": "redis-py's hook to attach module API objects",
    # --- redis-py connection internals, not commands (fastredis's own layers differ) ---
    "get_connection_kwargs": "redis-py internals: fastredis exposes pool.connection_kwargs",
    "get_encoder": "redis-py internals: fastredis encodes in hiredis.pack_command",
    "parse_response": "redis-py internals: replies are parsed in the protocol's reader",
    "get_retry": "redis-py retry object accessor (retry policy: connection options)",
    "set_retry": "redis-py retry object setter (retry policy: connection options)",
    "keyspace_notifications": "redis-py 8 Pub/Sub helper; fastredis: r.pubsub() + psubscribe",
}

# Client plumbing other engineers implement on their branches (lock9: lock, monitor,
# from_pool, set_response_callback; core8: client). They are NOT excluded: the lead
# deletes this set once those branches are merged, and the test then requires them.
PROVIDED_BY_OTHER_BRANCHES = {"lock", "monitor", "from_pool", "set_response_callback", "client"}


def _public(cls: type) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_")}


def _excluded(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in EXCLUDED)


def test_every_redis_py_name_is_present_or_excluded_with_a_reason():
    missing = sorted(
        n for n in _public(redis_asyncio.Redis) - _public(fastredis.Redis)
        if not _excluded(n) and n not in PROVIDED_BY_OTHER_BRANCHES
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
    arrived = sorted(PROVIDED_BY_OTHER_BRANCHES & ours)
    assert arrived == [], f"merged: remove them from PROVIDED_BY_OTHER_BRANCHES: {arrived}"


# The methods added for issue 9 take redis-py's parameters, names, order and defaults.
# Deliberate differences: redis-py refuses to implement these (NotImplementedError), we
# implement them with the server's arguments; sentinel_* take no ``return_responses``
# (a redis-py Sentinel-internal switch); ``prefix`` defaults to () not a mutable [].
_DIFFERENT_ON_PURPOSE = {"failover", "command_info", "command_docs", "latency_graph",
                         "latency_histogram", "memory_doctor", "memory_help", "latency_doctor"}
_ISSUE9_MODULES = ("acl", "geo", "functions", "bitfield", "hash_expiry", "management",
                   "cluster", "sentinel")


def _params(func: object) -> list[tuple[str, str, object]]:
    sig = inspect.signature(func)  # type: ignore[arg-type]
    out = []
    for p in list(sig.parameters.values())[1:]:
        if p.kind is p.VAR_KEYWORD:
            continue  # redis-py's **kwargs carry its per-call options
        default = p.default
        if isinstance(default, list) and not default:
            default = ()
        out.append((p.name, p.kind.name, default))
    return out


def test_new_methods_take_redis_py_parameters():
    names = set()
    for module in _ISSUE9_MODULES:
        mod = __import__(f"fastredis.commands.{module}", fromlist=["_"])
        for obj in vars(mod).values():
            if inspect.isclass(obj) and obj.__module__ == mod.__name__ and obj.__name__.endswith("Commands"):
                names |= {n for n in vars(obj) if not n.startswith("_")}
    names |= {"zdiff", "zdiffstore", "zintercard", "zmpop", "bzmpop", "sort_ro", "msetex"}
    names &= _public(redis_asyncio.Redis)
    assert len(names) > 100
    wrong = {}
    for name in sorted(names - _DIFFERENT_ON_PURPOSE):
        theirs = _params(getattr(redis_asyncio.Redis, name))
        ours = _params(getattr(fastredis.Redis, name))
        if name.startswith("sentinel_"):
            theirs = [p for p in theirs if p[0] != "return_responses"]
        if ours != theirs:
            wrong[name] = (ours, theirs)
    assert wrong == {}
