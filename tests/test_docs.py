"""The documentation tells the truth about the code, and only the user's truth:

- every public name (the package's ``__all__`` and the ``__all__`` of each public submodule)
  has an entry in the API reference of the built site, and the reference shows no internal
  name (a top-level entry of a module that is not in that module's ``__all__``);
- the overview page of the API reference links every page of it;
- no internal issue number or branch name appears in the docs, the README or mkdocs.yml.

The site is the one ``make docs`` built (``make test`` builds it before the suite) when it is
newer than the docs and the code; otherwise it is built here (needs the docs extra)."""

from __future__ import annotations

import html
import importlib
import pathlib
import re
import subprocess
import sys

import pytest

from fastredis.testing import _missing

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# The modules whose names users import: the package and its public submodules. (The other
# modules are layers of the implementation; their names carry no promise.)
PUBLIC_MODULES = [
    "fastredis", "fastredis.backoff", "fastredis.cache", "fastredis.cluster", "fastredis.credentials",
    "fastredis.exceptions", "fastredis.himport", "fastredis.keyspace_notifications", "fastredis.lock",
    "fastredis.monitor", "fastredis.pipeline",
    "fastredis.pool", "fastredis.pubsub", "fastredis.retry", "fastredis.sentinel",
    "fastredis.telemetry", "fastredis.testing", "fastredis.typing",
]

# Public classes that live in an implementation module: objects some commands return.
RETURNED = ["fastredis.commands.scripting.Script", "fastredis.commands.BitFieldOperation",
            "fastredis.commands.vectorset.VectorSet",
            "fastredis.commands.vectorset.QuantizationOptions",
            *(f"fastredis.commands.bf.{name}" for name in (
                "BFBloom", "CFBloom", "CMSBloom", "TOPKBloom", "TDigestBloom",
                "BFInfo", "CFInfo", "CMSInfo", "TopKInfo", "TDigestInfo")),
            "fastredis.commands.json.JSON", "fastredis.commands.json.path.Path",
            "fastredis.commands.json.commands.FPHAType", "fastredis.commands.search.Search",
            "fastredis.commands.timeseries.TimeSeries", "fastredis.commands.timeseries.TSInfo",
            "fastredis.commands.search.query.Query", "fastredis.commands.search.result.Result",
            "fastredis.commands.search.document.Document",
            *(f"fastredis.commands.search.field.{name}" for name in (
                "TextField", "TagField", "NumericField", "GeoField", "GeoShapeField",
                "VectorField")),
            "fastredis.commands.search.index_definition.IndexDefinition",
            "fastredis.commands.search.index_definition.IndexType",
            "fastredis.commands.search.aggregation.AggregateRequest",
            "fastredis.commands.search.aggregation.AggregateResult",
            "fastredis.commands.search.aggregation.Cursor",
            "fastredis.commands.search.suggestion.Suggestion"]


def _newest_source() -> float:
    files = [ROOT / "mkdocs.yml", ROOT / "docs_hooks.py", *DOCS.rglob("*"),
             *(ROOT / "fastredis").rglob("*.py")]
    return max(f.stat().st_mtime for f in files if f.is_file())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    built = ROOT / "site"
    index = built / "api" / "index.html"
    if index.exists() and index.stat().st_mtime >= _newest_source():
        return built
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        _missing("mkdocs is not installed (the docs extra: make docs)")
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, env={"NO_MKDOCS_2_WARNING": "1",
                                                      "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def _api_ids(site: pathlib.Path) -> set[str]:
    ids: set[str] = set()
    for page in (site / "api").rglob("index.html"):
        ids.update(html.unescape(i) for i in re.findall(r'id="(fastredis[\w.]*)"', page.read_text()))
    return ids


def _entry_names(module: str, name: str) -> set[str]:
    """The ids under which ``module.name`` may be documented: any public module that exports
    the same object, and where it is defined."""
    obj = getattr(importlib.import_module(module), name)
    names = {f"{module}.{name}"} | {f"{m}.{name}" for m in PUBLIC_MODULES
                                    if getattr(importlib.import_module(m), name, None) is obj}
    defined = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(defined, str) and isinstance(qualname, str):
        names.add(f"{defined}.{qualname}")
    return names


def test_every_public_name_has_an_api_reference_entry(site: pathlib.Path) -> None:
    ids = _api_ids(site)
    missing = []
    for module in PUBLIC_MODULES:
        mod = importlib.import_module(module)
        for name in mod.__all__:
            if not _entry_names(module, name) & ids:
                missing.append(f"{module}.{name}")
    for path in RETURNED:
        module, _, name = path.rpartition(".")
        if not _entry_names(module, name) & ids:
            missing.append(path)
    assert missing == [], f"public names without an API reference entry: {missing}"


def test_every_command_of_the_client_is_on_the_reference(site: pathlib.Path) -> None:
    """Redis's page lists every public method, the inherited commands included (an option
    lost in a merge once left only the client's own dozen)."""
    import fastredis

    ids = _api_ids(site)
    missing = sorted(n for n in dir(fastredis.Redis)
                     if not n.startswith("_") and f"fastredis.Redis.{n}" not in ids)
    assert missing == [], f"Redis methods without a reference entry: {missing}"


def test_the_api_reference_shows_no_internal_name(site: pathlib.Path) -> None:
    """A top-level entry of a module page (fastredis.mod.Name) is a name of that module's
    ``__all__``: an internal helper on the reference would read as a promise."""
    internal = []
    for entry in _api_ids(site):
        module, _, name = entry.rpartition(".")
        if not module:
            continue
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue  # a class member (fastredis.Redis.get): not a module-level entry
        exported = getattr(mod, "__all__", None)
        if exported is not None and name not in exported and not name.startswith("_"):
            obj = getattr(mod, name, None)
            if isinstance(obj, type(re)):
                continue  # a submodule's page
            if type(obj).__name__ == "FixtureFunctionDefinition":
                continue  # fastredis.testing's pytest fixtures, documented by name
            internal.append(entry)
    assert sorted(internal) == [], f"internal names on the API reference: {sorted(internal)}"


def test_the_api_overview_links_every_page() -> None:
    overview = (DOCS / "api" / "index.md").read_text()
    pages = sorted(p.name for p in (DOCS / "api").glob("*.md") if p.name != "index.md")
    unlinked = [p for p in pages if f"]({p})" not in overview]
    assert unlinked == [], f"API pages the overview does not list: {unlinked}"


# Words that only mean something inside the project: "issue 8", "(issue 10)", and the names
# of the branches work was done on (a word and a number glued: lock9, cluster10 ...).
_INTERNAL = re.compile(r"\bissues?\s*#?\d+|\b[a-z]{4,}(?:[89]|[1-9]\d)\b(?![.\d])", re.IGNORECASE)
# glued words that are not branch names
_ALLOWED = {"utf8", "utf16", "int16", "uint16", "int32", "uint32", "sha256", "crc16", "crc64",
            "x86", "aarch64", "amd64", "x86_64", "latin1", "py310", "py311", "py312", "py313",
            "cp311", "cp312", "cp313", "ipv6", "base64", "float32", "float64", "int64", "uint64", "md5",
            "redis8", "valkey9", "tasks50", "kill9"}


_OTHER_PROJECTS = re.compile(r"(redis-py|coredis|ioredis|go-redis|lettuce|glide|jedis|uvloop|"
                             r"hiredis|pytest-asyncio|cpython|python|redis|valkey)\W{0,3}$",
                             re.IGNORECASE)


def _internal_references(text: str) -> list[str]:
    found = []
    for m in _INTERNAL.finditer(text):
        word = m.group(0)
        if word.lower() in _ALLOWED:
            continue
        if _OTHER_PROJECTS.search(text[max(0, m.start() - 20):m.start()]):
            continue  # another project's tracker: "redis-py issue #3867"
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        found.append(f"{word!r} in: {text[start:end if end != -1 else None].strip()[:120]}")
    return found


def _user_texts() -> list[pathlib.Path]:
    return [*sorted(DOCS.rglob("*.md")), ROOT / "README.md", ROOT / "mkdocs.yml"]


def test_no_internal_issue_numbers_or_branch_names_in_the_docs() -> None:
    problems = {}
    for path in _user_texts():
        found = _internal_references(path.read_text())
        if found:
            problems[str(path.relative_to(ROOT))] = found
    assert problems == {}


def test_no_internal_issue_numbers_or_branch_names_in_the_api_reference(site: pathlib.Path) -> None:
    """The reference is made of the code's docstrings: they are user text too."""
    problems = {}
    for page in sorted((site / "api").rglob("index.html")):
        text = html.unescape(re.sub(r"<[^>]+>", " ", page.read_text()))
        found = _internal_references(text)
        if found:
            problems[str(page.relative_to(site))] = found
    assert problems == {}


def test_no_internal_issue_numbers_or_branch_names_in_the_package() -> None:
    """Comments and docstrings of the package are read by its users too (an installed wheel,
    an IDE's hover): the same rule as the docs."""
    problems = {}
    for path in sorted((ROOT / "fastredis").rglob("*.py")):
        found = _internal_references(path.read_text())
        if found:
            problems[str(path.relative_to(ROOT))] = found
    assert problems == {}


def test_the_internal_reference_check_finds_them() -> None:
    """The check above must be able to fail (the shapes it once let through)."""
    for text in ("### Pub/Sub flow control (issue 8)", "see issue 9 with redis-py's",
                 "<!-- Filled by lock9 (fastredis/lock.py) until merged -->", "cluster10 work"):
        assert _internal_references(text), text
    for text in ("redis-py #3867 reconnects", "redis-py issue #3560", "utf8 keys", "Redis 8.2 and Valkey 9.1",
                 "sha256 hashes", "IPv6 addresses", "port 6379"):
        assert not _internal_references(text), text
