# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
HOST ?= 127.0.0.1
PORT ?= 8000
SEED := fixtures/hk-ai-ecosystem

.PHONY: run test lint format browser bench bench-tools clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

# Local development server with an embedded SQLite database and the seed briefing, and beside it
# the worker that runs background imports, stopped when the server stops.
run: export DJANGO_DEBUG ?= 1
run: $(RUN_STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_seed $(SEED)
	$(BIN)/python manage.py ensure_editor
	$(BIN)/python manage.py db_worker --no-reload --verbosity 0 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Installs Debian's Chromium for the browser tests where it is missing and we can.
browser:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      apt-get install -y -q chromium >/dev/null || \
	      { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; \
	    else echo "Chromium is missing: install Debian's chromium package for the browser tests."; fi; }
	@test -f .cache/axe/node_modules/axe-core/axe.min.js || npm install --no-save --silent --prefix .cache/axe axe-core@4.14.1 || echo "axe-core is missing: the browser tests need it."

test: export DJANGO_SECRET_KEY ?= make-test-only-secret-key-0123456789-abcdefghijklmnop
test: $(DEV_STAMP) browser lint
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# The load generator and the proxy the serve benchmark measures with, where missing and we can
# (without them it falls back to a Python load generator and skips nginx, and says so).
bench-tools:
	@{ command -v wrk >/dev/null 2>&1 && command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx -a -x /usr/bin/wrk; } || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      apt-get install -y -q wrk nginx-light >/dev/null || \
	      { apt-get update -q >/dev/null && apt-get install -y -q wrk nginx-light >/dev/null; } || \
	      echo "wrk or nginx could not be installed: the serve benchmark falls back."; \
	    else echo "wrk or nginx is missing: apt-get install wrk nginx-light for the serve benchmark."; fi; }

bench: $(DEV_STAMP) bench-tools
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
