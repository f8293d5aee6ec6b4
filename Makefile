# The two commands of the README: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench venv services services-stop lint messages

$(STAMP): pyproject.toml
	@PYTHON_BIN=$$(scripts/find_python.sh) || exit 1; \
	  if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYTHON_BIN"; "$$PYTHON_BIN" -m venv $(VENV); fi
	@$(PY) -m pip install -q --disable-pip-version-check uv
	@$(VENV)/bin/uv pip install -q --python $(PY) -r pyproject.toml --extra dev
	@touch $(STAMP)

venv: $(STAMP)

# Embedded demo: SQLite, jobs in-process, mail written to var/mail. Safe to re-run.
demo: $(STAMP)
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
	@exports=$$($(PY) scripts/check_services.py) || exit 1; eval "$$exports"; \
	  $(PY) manage.py compilemessages -v 0 --ignore '.venv/*' >/dev/null 2>&1 || true; \
	  $(PY) -m pytest $(PYTEST_ARGS) || exit 1; \
	  if [ -n "$${PGBOUNCER_URL:-}" ] && [ -n "$${DATABASE_URL:-}" ] && [ -n "$(PGBOUNCER_TESTS)" ] \
	     && ! grep -q "tests/" <<<"$(PYTEST_ARGS)"; then \
	    echo "== tenancy tests through PgBouncer (transaction mode): $(PGBOUNCER_TESTS)"; \
	    DATABASE_URL=$$PGBOUNCER_URL DB_DISABLE_SERVER_SIDE_CURSORS=1 $(PY) -m pytest -q $(PGBOUNCER_TESTS); \
	  fi

bench: $(STAMP)
	@exports=$$($(PY) scripts/check_services.py) || exit 1; eval "$$exports"; \
	  for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) -m benchmarks.$$(basename $$b .py) || exit 1; done

# A throwaway PostgreSQL and Redis on loopback (as root; see scripts/services.sh).
services:
	@scripts/services.sh start

services-stop:
	@scripts/services.sh stop

messages: $(STAMP)
	$(PY) manage.py makemessages -l es --ignore '.venv/*' --ignore 'var/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'
