"""Run redis-py's own asyncio cluster suite, unchanged, against fastredis.RedisCluster.

    python tools/redispy_cluster_suite.py --redis-py PATH [--rev REV] [--impl both|fastredis|redis-py]
                                          [-k EXPR] [--out DIR]

``--redis-py`` is a clone (or a bare git directory) of redis-py; ``tests/`` is read from it
at ``--rev`` (default HEAD) with ``git archive`` into a temporary directory, never into this
repository. A local cluster (3 primaries, 1 replica each, loopback) is started with
fastredis's test harness, and ``tests/test_asyncio/test_cluster.py`` runs under pytest:

* ``redis-py``: as redis-py's CI runs it, for the baseline;
* ``fastredis``: through an import shim loaded before the suite is collected, which puts
  ``fastredis.RedisCluster``, ``ClusterNode``, ``ClusterPipeline`` and fastredis's exception
  classes where the suite imports redis-py's (``redis.asyncio.RedisCluster``,
  ``redis.asyncio.cluster.*``; the suite's own ``redis.exceptions``, ``Retry`` and backoff
  names), as a user switching libraries would.
  redis-py's own modules keep the classes they bound at import time.

For each run it prints ``passed/total`` and writes the failing test ids to ``--out``
(default: a temporary directory). Nothing is installed; pytest, pytest-asyncio and redis-py
come from the running interpreter's environment (the project's test extra)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

SUITE = "tests/test_asyncio/test_cluster.py"

PYTEST_INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
timeout = 60
markers =
    fixed_client: fixed client
    redismod: modules
    pipeline: pipeline
    onlycluster: cluster only
    onlynoncluster: standalone only
    ssl: ssl
    asyncio: asyncio
    replica: replica
    experimental: experimental
    cp_integration: credential provider
    no_mock_connections: no mock connections
    multidb_integration: multidb
filterwarnings =
    ignore
"""

SHIM = '''\
"""pytest plugin: redis-py's cluster names -> fastredis's (loaded with -p before collection).

The client classes are swapped where the fixtures look them up (``redis.asyncio``); the
exception, ``Retry`` and backoff classes only in the suite module's own names, since
redis-py's conftest talks to the server with redis-py's sync client and catches redis-py's
errors."""
import fastredis
import fastredis.backoff
import fastredis.cluster
import fastredis.cluster.pipeline
import fastredis.exceptions
import fastredis.retry
import redis.asyncio
import redis.asyncio.cluster

_SWAP = {
    "Retry": fastredis.retry.Retry,
    **{n: getattr(fastredis.backoff, n) for n in dir(fastredis.backoff) if n.endswith("Backoff")},
    "RedisCluster": fastredis.RedisCluster,
    "ClusterNode": fastredis.cluster.ClusterNode,
    "ClusterPipeline": fastredis.cluster.pipeline.ClusterPipeline,
}
for _mod in (redis.asyncio, redis.asyncio.cluster):
    for _name, _obj in _SWAP.items():
        if hasattr(_mod, _name) and _name in ("RedisCluster", "ClusterNode", "ClusterPipeline"):
            setattr(_mod, _name, _obj)


def pytest_collection_modifyitems(session, config, items):
    done = set()
    for item in items:
        mod = getattr(item, "module", None)
        if mod is None or id(mod) in done:
            continue
        done.add(id(mod))
        for name, value in list(vars(mod).items()):
            if name in _SWAP:
                setattr(mod, name, _SWAP[name])
            elif isinstance(value, type) and issubclass(value, BaseException):
                ours = getattr(fastredis.exceptions, name, None)
                if isinstance(ours, type):
                    setattr(mod, name, ours)
'''


def extract(repo: Path, rev: str, dest: Path) -> None:
    git_dir = repo / ".git" if (repo / ".git").exists() else repo
    data = subprocess.run(["git", f"--git-dir={git_dir}", "archive", "--format=tar", rev, "tests"],
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")


def tally(xml: Path, failing_out: Path) -> tuple[int, int, str]:
    """(passed, total, note) from pytest's JUnit XML; the failing tests go to ``failing_out``."""
    # one verdict per test: a test whose call passed but whose teardown failed has two
    # <testcase> entries, and fails
    verdict: dict[str, str] = {}
    why: dict[str, str] = {}
    for case in ElementTree.parse(xml).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        bad = [c for c in case if c.tag in ("failure", "error")]
        if bad:
            verdict[name] = "failed"
            why.setdefault(name, (bad[0].get("message") or "").split("\n")[0][:160])
        elif any(c.tag == "skipped" for c in case):
            verdict.setdefault(name, "skipped")
        else:
            verdict.setdefault(name, "passed")
    passed = sum(v == "passed" for v in verdict.values())
    skipped = sum(v == "skipped" for v in verdict.values())
    failing = [f"{n}  {why[n]}" for n, v in verdict.items() if v == "failed"]
    failing_out.write_text("\n".join(sorted(failing)) + "\n")
    return passed, passed + len(failing), f"{skipped} skipped"


def run(work: Path, impl: str, url: str, nodes: int, k: str | None, out: Path) -> tuple[int, int, str]:
    report = out / f"{impl}.txt"
    xml = out / f"{impl}.xml"
    cmd = [sys.executable, "-m", "pytest", SUITE, "-q", "--tb=native", "-p", "no:cacheprovider",
           "-p", "no:randomly", f"--junitxml={xml}", f"--redis-url={url}",
           f"--redis-cluster-nodes={nodes}"]
    if impl == "fastredis":
        cmd[3:3] = ["-p", "_fastredis_shim"]
    if k:
        cmd += ["-k", k]
    # the shim's directory first; a PYTHONPATH given to this tool is kept after it (to
    # run another copy of fastredis, e.g. an older commit exported with git archive)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(work), os.environ.get("PYTHONPATH")))))
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    report.write_text(proc.stdout + proc.stderr)
    if not xml.exists():
        return 0, 0, (proc.stdout + proc.stderr)[-2000:]
    return tally(xml, out / f"{impl}-failing.txt")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--redis-py", required=True, type=Path, help="a redis-py clone or git directory")
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--impl", choices=("both", "fastredis", "redis-py"), default="both")
    ap.add_argument("-k", default=None, help="pytest -k expression")
    ap.add_argument("--out", type=Path, default=None, help="where the reports go")
    args = ap.parse_args()

    from fastredis._testing_cluster import ClusterHarness

    with tempfile.TemporaryDirectory(prefix="redispy-suite-") as tmp:
        work = Path(tmp)
        out = args.out or work
        out.mkdir(parents=True, exist_ok=True)
        extract(args.redis_py, args.rev, work)
        (work / "pytest.ini").write_text(PYTEST_INI)
        (work / "_fastredis_shim.py").write_text(SHIM)
        with ClusterHarness(primaries=3, replicas=1) as h:
            seed = h.primaries()[0]
            url = f"redis://{seed.host}:{seed.port}/0"
            impls = ("redis-py", "fastredis") if args.impl == "both" else (args.impl,)
            for impl in impls:
                h.wait_ready()
                h.flushall()
                passed, total, tail = run(work, impl, url, len(h.servers), args.k, out)
                print(f"{impl}: {passed}/{total} passed  ({tail})  report: {out / (impl + '.txt')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
