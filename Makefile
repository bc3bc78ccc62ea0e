# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

SERVE_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/portal
SERVE_REDIS_URL ?= redis://127.0.0.1:6379/0
SERVE_WORKERS ?= 4

.PHONY: run serve test lint install install-dev translations extract-messages db-upgrade clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

# Compiled catalogues (.mo) are build output, not committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d portal/translations

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k N_ -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations

# Development server: SQLite database, uploads, mail and search index under instance/.
# The first run also writes instance/config.py with a generated secret key (never overwriting
# one), so the README's `.venv/bin/flask --app wsgi ...` commands work afterwards as written.
run: install
	@$(BIN)/python -c 'from portal.config import write_development_config as write; path = write(); path and print(f"Wrote {path} (development secret key).")'
	PORTAL_ENV=development $(FLASK) db upgrade
	PORTAL_ENV=development $(FLASK) portal seed-if-empty
	PORTAL_ENV=development $(FLASK) run --host $(HOST) --port $(PORT)

# Production-like, locally: gunicorn (--preload, gunicorn.conf.py) on PostgreSQL with Redis for
# rate limits and view counts; creates the database if missing and loads the demo data when it
# is empty. Cookies are not Secure here (plain http on 127.0.0.1); everything else as in production.
serve: install
	@$(BIN)/python -c 'from portal.config import write_development_config as write; path = write(); path and print(f"Wrote {path} (development secret key).")'
	@$(BIN)/python -c 'import sys, psycopg; from urllib.parse import urlsplit, urlunsplit; u = urlsplit(sys.argv[1]); name = u.path.lstrip("/"); c = psycopg.connect(urlunsplit(u._replace(path="/postgres")), autocommit=True); c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() or (c.execute(f"CREATE DATABASE \"{name}\""), print(f"Created database {name}."))' "$(SERVE_DATABASE_URL)"
	PORTAL_DATABASE_URL=$(SERVE_DATABASE_URL) PORTAL_RATELIMIT_STORAGE=$(SERVE_REDIS_URL) $(FLASK) db upgrade
	PORTAL_DATABASE_URL=$(SERVE_DATABASE_URL) PORTAL_RATELIMIT_STORAGE=$(SERVE_REDIS_URL) $(FLASK) portal seed-if-empty
	PORTAL_DATABASE_URL=$(SERVE_DATABASE_URL) PORTAL_RATELIMIT_STORAGE=$(SERVE_REDIS_URL) PORTAL_COOKIE_SECURE=false \
		$(BIN)/gunicorn -c gunicorn.conf.py --preload -w $(SERVE_WORKERS) -b $(HOST):$(PORT) wsgi:app

db-upgrade: install
	$(FLASK) db upgrade

# The whole suite on SQLite; PostgreSQL too when TEST_DATABASE_URL is set. Runs on three
# processes (pytest-xdist, one test module per process at a time), measures line and branch
# coverage of portal/, then lints with ruff. TEST_WORKERS=0 runs in one process.
# Three on a 2-core machine: while one process waits on PostgreSQL the others use the CPU
# (the PostgreSQL-heavy modules alone: 216 s with three, 241 s with two, 259 s with four; the
# whole CI run took 954 s with either two or three).
TEST_WORKERS ?= 3
# Test databases, indexes and uploads on a RAM disk when there is one: commits then skip fsync.
TEST_TMPDIR ?= $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo $${TMPDIR:-/tmp})
# --no-loadscope-reorder: the modules go out longest first, in the order tests/conftest.py gives
# them (measured seconds, tests/module_seconds.json), not by their number of tests.
test: install-dev
	TMPDIR=$(TEST_TMPDIR) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder \
		--cov=portal --cov-report=term:skip-covered $(PYTEST_ARGS)
	$(BIN)/ruff check .

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache
