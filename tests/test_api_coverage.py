"""fastredis.Redis has every public name of redis-py's asyncio Redis — the redis-py pinned in
requirements/test.txt (8.2.0), never "whatever is newest" — whose command exists in Redis 7.0
or Valkey 9.1. What it lacks is listed in EXCLUDED, each entry with the reason; a name
listed there that fastredis has, or that the pinned redis-py no longer has, is a stale entry
and fails too. Upgrading the reference is a deliberate change of the lock (`make lock`)."""

from __future__ import annotations

import fnmatch
import inspect
import pathlib
import re

import pytest

redis = pytest.importorskip("redis")  # redis-py is in the test extra
redis_asyncio = pytest.importorskip("redis.asyncio")

import fastredis  # noqa: E402

LOCK = pathlib.Path(__file__).resolve().parent.parent / "requirements" / "test.txt"


def _pinned_redis_py() -> str:
    match = re.search(r"^redis==([^\s;]+)", LOCK.read_text(), re.MULTILINE)
    assert match, f"{LOCK} pins no redis-py"
    return match.group(1)


REFERENCE = "8.2.0"  # the redis-py this file's lists were written against


def test_the_reference_is_the_pinned_redis_py():
    """The comparison below means something only against the redis-py the lock pins: a
    different installed version (an unlocked environment) fails here, by name, instead of
    turning into a list of missing methods."""
    assert _pinned_redis_py() == REFERENCE, (
        f"requirements/test.txt pins redis-py {_pinned_redis_py()}, this file was written "
        f"against {REFERENCE}: review EXCLUDED and SIGNATURE_GAPS, then update REFERENCE")
    assert redis.__version__ == REFERENCE, (
        f"redis-py {redis.__version__} is installed, the reference is {REFERENCE}: "
        "install the locked environment (make venv)")


# name (or a family pattern, fnmatch style) -> why fastredis does not have it
EXCLUDED: dict[str, str] = {
    # --- new in redis-py 8.2: commands of Redis releases after 8.2 (no server here runs
    # them: Redis 7.0, Valkey 9.1 and Redis 8.2.3 all answer "unknown command") ---
    # --- removed from Redis before 7.0 ---
    "stralgo": "STRALGO was removed in Redis 7.0 (LCS replaces it: r.lcs)",
    # --- module commands: need Redis Stack / Redis 8 modules ---
    "load_external_module": "redis-py's hook to attach module API objects",
    # --- redis-py connection internals, not commands (fastredis's own layers differ) ---
    "get_connection_kwargs": "redis-py internals: fastredis exposes pool.connection_kwargs",
    "get_encoder": "redis-py internals: fastredis encodes in hiredis.pack_command",
    "parse_response": "redis-py internals: replies are parsed in the protocol's reader",
    "get_retry": "redis-py retry object accessor (retry policy: connection options)",
    "set_retry": "redis-py retry object setter (retry policy: connection options)",
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
    assert len(EXCLUDED) <= 45
    assert all(reason.strip() for reason in EXCLUDED.values())
    ours = _public(fastredis.Redis)
    stale = sorted(n for n in ours if _excluded(n))
    assert stale == [], f"fastredis has these now: remove them from EXCLUDED: {stale}"
    theirs = _public(redis_asyncio.Redis)
    unused = sorted(p for p in EXCLUDED if not any(fnmatch.fnmatchcase(n, p) for n in theirs))
    assert unused == [], f"redis-py no longer has these: remove them from EXCLUDED: {unused}"


# RedisCluster: redis-py's asyncio RedisCluster name -> why fastredis's has no such name
CLUSTER_EXCLUDED: dict[str, str] = {
    "stralgo": "STRALGO was removed in Redis 7.0 (LCS replaces it: rc.lcs)",
    "CLUSTER_COMMANDS_RESPONSE_CALLBACKS": "redis-py's reply-callback table: each command "
                                           "method shapes its own reply (set_response_callback "
                                           "exists)",
    "RESULT_CALLBACKS": "redis-py's table merging the replies of several nodes: fastredis's "
                        "fan-out commands merge their own (cluster/fanout.py)",
    "result_callbacks": "the instance copy of RESULT_CALLBACKS",
    "COMMAND_FLAGS": "redis-py's static routing table: fastredis routes from the server's "
                     "COMMAND table (cluster/routing.py)",
    "command_flags": "the instance copy of COMMAND_FLAGS",
    "SEARCH_COMMANDS": "redis-py's list of FT.* commands routed to a random primary: routing "
                       "comes from COMMAND here too",
    "commands_parser": "redis-py's key-extraction object: cluster/routing.py finds the keys",
    "get_special_nodes": "redis-py's memory of the nodes of the last FT.AGGREGATE, for its "
                         "FT.CURSOR: here FT.CURSOR is routed by the server's COMMAND table, "
                         "as every command",
    "encoder": "redis-py internals: fastredis encodes in hiredis.pack_command",
    "get_encoder": "redis-py internals: fastredis encodes in hiredis.pack_command",
    "get_connection_kwargs": "redis-py internals: rc.connection_kwargs is the same dict",
    "nodes_manager": "redis-py's NodesManager: rc.get_nodes(), get_node(), get_primaries() "
                     "and rc.topology here",
    "maint_notifications_config": "maintenance notifications (Redis Enterprise/Cloud "
                                  "hitless upgrades): refused when enabled, as on Redis",
}


def test_every_redis_py_cluster_name_is_present_or_excluded_with_a_reason():
    from redis.asyncio.cluster import RedisCluster as Theirs

    from fastredis.cluster import RedisCluster as Ours

    theirs, ours = _public(Theirs), _public(Ours)
    missing = sorted(theirs - ours - set(CLUSTER_EXCLUDED))
    assert missing == [], f"redis-py RedisCluster names fastredis lacks: {missing}"
    stale = sorted(n for n in CLUSTER_EXCLUDED if n in ours or n not in theirs)
    assert stale == [], f"remove from CLUSTER_EXCLUDED (present here, or gone from redis-py): {stale}"
    assert all(reason.strip() for reason in CLUSTER_EXCLUDED.values())


# Every method both clients have takes redis-py's parameters: each of redis-py's named
# parameters exists here with its default, positional ones in redis-py's order (fastredis
# may take more: ping(message), failover(host, port, ...)). Known gaps, each with why:
SIGNATURE_GAPS: dict[str, str] = {
    "zrank": "score_cast_func with withscore=True: to add (typed overloads on main)",
    "zrevrank": "score_cast_func with withscore=True: to add (typed overloads on main)",
    "zunion": "score_cast_func: to add (typed overloads on main)",
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


def _same_instance_default(ours: object, theirs: object) -> bool:
    """Default objects of one class and one configuration (``json(encoder=JSONEncoder(),
    decoder=JSONDecoder())``: redis-py's instances and ours are never identical; what the
    instances derive themselves, a decoder's scanner, is not configuration)."""
    def config(obj: object) -> dict:
        return {k: v for k, v in vars(obj).items() if k != "scan_once"}

    return (type(ours) is type(theirs) and hasattr(theirs, "__dict__")
            and config(ours) == config(theirs))


def _takes_redis_py_parameters(ours: list, theirs: list) -> bool:
    by_name = {name: (kind, default) for name, kind, default in ours}
    for name, _kind, default in theirs:
        mine = by_name.get(name)
        if mine is None:
            return False
        if mine[1] != default and not (default in ((), None) and mine[1] in ((), None)) \
                and not _same_instance_default(mine[1], default):
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
    stale = []
    for name in sorted(SIGNATURE_GAPS):
        theirs, ours = getattr(redis_asyncio.Redis, name), getattr(fastredis.Redis, name, None)
        t, o = _named(theirs), _named(ours) if ours is not None else None
        if t is not None and o is not None and _takes_redis_py_parameters(o, t):
            stale.append(name)
    assert stale == [], f"these take redis-py's parameters now: remove them from SIGNATURE_GAPS: {stale}"
