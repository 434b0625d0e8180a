#!/usr/bin/env bash
# Regenerates the lock files in requirements/ (`make lock`, `make upgrade-deps`).
#
# all.txt resolves every extra of pyproject.toml together with tools.in; each environment's
# file (test.txt, lint.txt ...) is then resolved for its own extras *constrained by all.txt*,
# so that one .venv can hold several of them without two versions of anything.
# Exact versions with their hashes (pip installs them with --require-hashes), resolved
# --universal for every platform, for Python 3.11+ (the development toolchain; the library
# itself supports 3.10 and its runtime dependencies stay ranges in pyproject.toml).
#
# Usage: compile.sh UV [--upgrade]   (UV: the uv binary; the lock pins uv itself)
set -euo pipefail
cd "$(dirname "$0")"
UV="$1"; shift
common=(--universal --python-version 3.11 --generate-hashes --quiet --no-header)
header() {
  printf '# Locked by `make lock` (requirements/compile.sh): do not edit by hand.\n# %s\n' "$1"
}
compile() {  # compile.sh OUT DESCRIPTION ARGS...
  local out="$1" what="$2"; shift 2
  [ -f "$out" ] && grep -v '^#' "$out" > "$out.tmp"   # uv keeps the pins it finds there
  "$UV" pip compile "${common[@]}" "$@" -o "$out.tmp"
  { header "$what"; cat "$out.tmp"; } > "$out"; rm -f "$out.tmp"
}
# The current pins are kept unless --upgrade is given: only a changed pyproject.toml or
# tools.in moves anything.
compile all.txt "every extra of pyproject.toml and the tools, resolved together" \
  ../pyproject.toml tools.in --all-extras "$@"
compile tools.txt "pip, setuptools, wheel, uv: in every environment" tools.in -c all.txt
compile test.txt  "make test's environment: .[test]"                ../pyproject.toml tools.in --extra test -c all.txt
compile lint.txt  "make lint: .[lint,test]"                         ../pyproject.toml tools.in --extra lint --extra test -c all.txt
compile docs.txt  "make docs: .[docs]"                              ../pyproject.toml tools.in --extra docs -c all.txt
compile dist.txt  "make dist: .[dist]"                              ../pyproject.toml tools.in --extra dist -c all.txt
compile bench.txt "make bench: .[bench,uvloop]"                     ../pyproject.toml tools.in --extra bench --extra uvloop -c all.txt
