"""The package's layers look down only (DESIGN.md "Layout"; STYLE.md 13).

Read from the source with ``ast`` (nothing is imported), every import counts: top-level
ones, those under ``if TYPE_CHECKING:`` and those inside functions (lazy imports). A
type-only circle is still a circle a reader must untangle, and a lazy import still ties
two modules together.

Definitions the checks use:

* **module**: every ``.py`` file of ``fastredis``; a package's ``__init__`` is the module
  named like the package (``fastredis.cluster``). ``from pkg import name`` depends on the
  submodule ``pkg.name`` when there is one, else on ``pkg`` itself. A submodule's implicit
  import of its parent package is not an edge (Python runs ``__init__`` first, but that is
  how packages work, not a dependency written by anyone).
* **layer** (unit): a subpackage is one layer (``fastredis.cluster``,
  ``fastredis.commands``); the test harness (``testing``, ``_testing_cluster``,
  ``_testing_sentinel``) is one layer; every other top-level module is a layer of its own
  (``client``, ``pool``, ``pubsub``, ``pipeline``, ``cache``, ``sentinel`` ...).
* **private name**: a name that starts with ``_``. Inside a layer modules share them
  freely. Across layers a private name may be imported only from a **private top-level
  module** (``fastredis._protocol``, ``_pack``, ``_params``, ``_log``, ``_execution`` ...):
  such a module is the package's shared floor, private to the package as a whole. So the
  cluster may import the core's public names and anything of the floor modules, but never
  ``client._is_blocking`` or ``pubsub._Deadline``.
"""

from __future__ import annotations

import ast
import pathlib

import fastredis

HARNESS = {"testing", "_testing_cluster", "_testing_sentinel"}


def _modules(root: pathlib.Path) -> dict[str, pathlib.Path]:
    mods = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _imports(mod: str, path: pathlib.Path, mods: dict[str, pathlib.Path]) -> list[tuple[str, str, int]]:
    """(target module, imported name or "", line) for every fastredis import in ``mod``."""
    is_pkg = path.name == "__init__.py"
    pkg = mod.split(".") if is_pkg else mod.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(pkg[: len(pkg) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != "fastredis":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub, "", node.lineno) if sub in mods else (base, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((a.name, "", node.lineno) for a in node.names if a.name.split(".")[0] == "fastredis")
    return found


def _layer(mod: str, mods: dict[str, pathlib.Path]) -> str:
    parts = mod.split(".")
    if len(parts) == 1:
        return mod
    if parts[1] in HARNESS:
        return "fastredis.<harness>"
    top = ".".join(parts[:2])
    return top  # a top-level module, or the subpackage a module belongs to


def _is_floor(mod: str, mods: dict[str, pathlib.Path]) -> bool:
    """A private top-level module (``fastredis._x``), not a package, not the harness."""
    parts = mod.split(".")
    return len(parts) == 2 and parts[1].startswith("_") and parts[1] not in HARNESS \
        and mods[mod].name != "__init__.py"


def layer_problems(root: pathlib.Path) -> list[str]:
    """Every import circle and every private name imported across layers under ``root``
    (a ``fastredis`` package directory)."""
    mods = _modules(root)
    graph: dict[str, dict[str, int]] = {m: {} for m in mods}
    problems = []
    for mod, path in mods.items():
        for target, name, line in _imports(mod, path, mods):
            if target not in mods:
                continue
            graph[mod].setdefault(target, line)
            if (name.startswith("_") and not name.startswith("__")
                    and _layer(target, mods) != _layer(mod, mods) and not _is_floor(target, mods)):
                problems.append(f"{mod}:{line} imports the private {target}.{name} across layers")
    # circles: a depth-first walk; each back edge closes one
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycle = stack[stack.index(d):] + [d]
                problems.append("import circle: " + " -> ".join(
                    f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {d}")
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return problems


def test_layers_look_down_only():
    """No import circle in fastredis (type-only and lazy imports included) and no private
    name imported from another layer (the definitions are in this module's docstring)."""
    problems = layer_problems(pathlib.Path(fastredis.__file__).parent)
    assert not problems, "\n".join(problems)


def test_the_walk_sees_every_kind_of_import(tmp_path):
    """The checker itself: a circle closed only by a TYPE_CHECKING import, one closed by a
    function-level import, and a private name taken from a sibling layer are all reported;
    the same names taken from a private floor module, or inside a subpackage, are not."""
    pkg = tmp_path / "fastredis"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "_floor.py": "_shared = 1\n",
        "a.py": "from typing import TYPE_CHECKING\nfrom . import b\nif TYPE_CHECKING:\n    from .c import C\n",
        "b.py": "from ._floor import _shared\n",
        "c.py": "def f():\n    from .a import thing\n_private = 1\nC = 1\n",
        "d.py": "from .c import _private\n",
        "sub/__init__.py": "",
        "sub/x.py": "from ._y import _z\n",
        "sub/_y.py": "_z = 1\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    problems = layer_problems(pkg)
    assert any(p.startswith("import circle: fastredis.a") and "fastredis.c" in p for p in problems), problems
    assert any("fastredis.d:1 imports the private fastredis.c._private" in p for p in problems), problems
    assert len(problems) == 2, problems
