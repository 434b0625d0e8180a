"""`make dist-check`: build the sdist and the wheel as a release would, and check what a
user gets: no deprecation warning from the build, a wheel with only the package and its
metadata (License-Expression, Project-URL), an sdist whose tests collect without errors."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _version() -> str:
    with open(os.path.join(ROOT, "fastredis", "__init__.py")) as f:
        for line in f:
            if line.startswith("__version__"):
                return line.split("=")[1].strip().strip('"')
    raise SystemExit("fastredis/__init__.py has no __version__")


def main() -> int:
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fastredis-dist-") as out:
        build = subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT],
            capture_output=True, text=True,
            env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        )
        log = build.stdout + build.stderr
        if build.returncode != 0:
            print(log)
            return 1
        if "deprecat" in log.lower():
            problems.append("the build printed a deprecation warning:\n" + log)
        (wheel,) = [f for f in os.listdir(out) if f.endswith(".whl")]
        (sdist,) = [f for f in os.listdir(out) if f.endswith(".tar.gz")]
        with zipfile.ZipFile(os.path.join(out, wheel)) as z:
            names = z.namelist()
            stray = [n for n in names if not n.startswith(("fastredis/", "fastredis_aio-"))]
            if stray:
                problems.append(f"the wheel holds more than the package: {stray}")
            if "fastredis/py.typed" not in names:
                problems.append("the wheel has no fastredis/py.typed")
            (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
            metadata = z.read(meta).decode()
        for field in ("Name: fastredis-aio", f"Version: {_version()}", "License-Expression: MIT", "Project-URL: ", "License-File: LICENSE"):
            if field not in metadata:
                problems.append(f"the wheel's METADATA lacks {field!r}")
        with tarfile.open(os.path.join(out, sdist)) as t:
            t.extractall(out, filter="data")
        src = os.path.join(out, sdist[: -len(".tar.gz")])
        collect = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
            cwd=src, capture_output=True, text=True,
        )
        if collect.returncode != 0 or "error" in collect.stdout.splitlines()[-1].lower():
            problems.append("the sdist's tests do not collect:\n" + collect.stdout[-3000:])
        else:
            print(f"{wheel}: {len(names)} files; {sdist}: {collect.stdout.splitlines()[-1]}")
    for p in problems:
        print("dist-check:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
