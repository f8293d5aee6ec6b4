# The two commands of the README: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
# Every machine installs the same versions: pinned, hashed lock files compiled from
# pyproject.toml by `make lock` (prod for the Docker image, prod+dev here and in CI).
LOCK := requirements/lock.txt
DEV_LOCK := requirements/dev-lock.txt
LOCK_COMPILE := $(UV) pip compile pyproject.toml --universal --python-version 3.12 --generate-hashes -q \
  --custom-compile-command "make lock"
# Test mode is explicit (mtss/settings_test.py): management commands run for the tests use it too.
TEST_MANAGE := DJANGO_SETTINGS_MODULE=mtss.settings_test $(PY) manage.py
# Models against migrations, on no real database: an empty PostgreSQL has no app role yet.
MIGRATIONS_CHECK := DATABASE_URL=sqlite://:memory: $(TEST_MANAGE) makemigrations --check --dry-run

# uv does not read pip's configuration: follow a package index configured for pip, if any.
PIP_INDEX := $(or $(PIP_INDEX_URL),$(shell pip3 config get global.index-url 2>/dev/null))
ifneq ($(strip $(PIP_INDEX)),)
export UV_INDEX_URL ?= $(PIP_INDEX)
endif

.PHONY: demo test bench bench-quick venv services services-stop lint lock messages

$(UV):
	@PYTHON_BIN=$$(scripts/find_python.sh) || exit 1; \
	  if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYTHON_BIN"; "$$PYTHON_BIN" -m venv $(VENV); fi
	@$(PY) -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled once at install (--compile-bytecode) and for the project's own
# modules before each run (incremental): with PYTHONDONTWRITEBYTECODE set, as on many
# machines and in the image, every process would otherwise compile ~1,500 modules from
# source at start-up (2-3 s of CPU for each `manage.py` command and test worker).
$(STAMP): pyproject.toml $(LOCK) $(DEV_LOCK) | $(UV)
	@$(PY) scripts/check_lock.py pyproject.toml $(LOCK) $(DEV_LOCK)
	@$(UV) pip install -q --python $(PY) --require-hashes --compile-bytecode -r $(DEV_LOCK)
	@touch $(STAMP)

APPS := mtss students screening interventions notifications reports demo benchmarks tests scripts
COMPILE := $(PY) -m compileall -q -j 0 manage.py $(APPS) >/dev/null

# Recompile the lock files after changing pyproject.toml. Versions already locked are
# kept; `make lock LOCK_ARGS=--upgrade` moves every unpinned dependency to its newest.
lock: | $(UV)
	$(LOCK_COMPILE) $(LOCK_ARGS) -o $(LOCK)
	$(LOCK_COMPILE) $(LOCK_ARGS) --extra dev -o $(DEV_LOCK)

venv: $(STAMP)

# Embedded demo: SQLite, jobs in-process, mail written to var/mail. Safe to re-run.
demo: $(STAMP)
	@$(COMPILE)
	@env -u DATABASE_URL -u REDIS_URL DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input -v 0
	@env -u DATABASE_URL -u REDIS_URL DJANGO_DEBUG=1 $(PY) manage.py compilemessages -v 0 --ignore '.venv/*' 2>/dev/null || true
	@env -u DATABASE_URL -u REDIS_URL DJANGO_DEBUG=1 $(PY) manage.py seed_demo
	@echo "Serving on http://127.0.0.1:8000  (Ctrl-C stops it)"
	@env -u DATABASE_URL -u REDIS_URL DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# The whole suite. Uses DATABASE_URL / REDIS_URL when reachable, else falls back
# (and says so); REQUIRE_SERVICES=1 turns a missing service into an error.
# With PGBOUNCER_URL (scripts/services.sh prints it) the tenancy and row-level-security
# tests run a second time through PgBouncer in transaction mode (README, Pooling);
# not when PYTEST_ARGS names test files (a focused run).
PGBOUNCER_TESTS ?= tests/tenancy tests/test_rls.py tests/test_tenancy_urls.py
test: $(STAMP)
	@$(COMPILE)
	@exports=$$($(PY) scripts/check_services.py) || exit 1; eval "$$exports"; \
	  $(TEST_MANAGE) compilemessages -v 0 --ignore '.venv/*' >/dev/null 2>&1 || true; \
	  $(MIGRATIONS_CHECK) || { echo "makemigrations --check failed: a model changed without its migration?" >&2; exit 1; }; \
	  $(PY) -m pytest $(PYTEST_ARGS) || exit 1; \
	  if [ -n "$${PGBOUNCER_URL:-}" ] && [ -n "$${DATABASE_URL:-}" ] && [ -n "$(PGBOUNCER_TESTS)" ] \
	     && ! grep -q "tests/" <<<"$(PYTEST_ARGS)"; then \
	    echo "== tenancy tests through PgBouncer (transaction mode): $(PGBOUNCER_TESTS)"; \
	    DATABASE_URL=$$PGBOUNCER_URL DB_DISABLE_SERVER_SIDE_CURSORS=1 $(PY) -m pytest -q $(PGBOUNCER_TESTS); \
	  fi

# Every benchmark runs even when one misses its target; the list of misses comes last. The load
# test (benchmarks/load_test.py) runs last; it needs PGBOUNCER_URL (scripts/services.sh).
# `make bench-quick` (small sizes, targets not assessed) is what CI runs so they cannot rot.
bench: $(STAMP)
	@$(COMPILE)
	@exports=$$($(PY) scripts/check_services.py) || exit 1; eval "$$exports"; failed=""; \
	  for b in benchmarks/bench_*.py; do echo "== $$b"; \
	    $(PY) -m benchmarks.$$(basename $$b .py) $(BENCH_ARGS) || failed="$$failed $$b"; done; \
	  echo "== benchmarks/load_test.py (locust against gunicorn behind PgBouncer)"; \
	  $(PY) -m benchmarks.load_test $(BENCH_ARGS) || failed="$$failed benchmarks/load_test.py"; \
	  if [ -n "$$failed" ]; then echo "benchmarks that missed a target or failed:$$failed"; exit 1; fi

bench-quick:
	@$(MAKE) --no-print-directory bench BENCH_ARGS=--quick

# A throwaway PostgreSQL and Redis on loopback (as root; see scripts/services.sh).
services:
	@scripts/services.sh start

services-stop:
	@scripts/services.sh stop

# Style and migrations: ruff's checks and formatting (configured in pyproject.toml), and
# no model change without its migration.
lint: $(STAMP)
	@status=0; \
	  $(VENV)/bin/ruff check . || status=1; \
	  $(VENV)/bin/ruff format --check . || status=1; \
	  $(MIGRATIONS_CHECK) || status=1; \
	  exit $$status

messages: $(STAMP)
	$(PY) manage.py makemessages -l es --ignore '.venv/*' --ignore 'var/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'
