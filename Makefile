# ShopAgent: `make run` serves the site, `make test` proves it. Nothing else needs installing by hand.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

# A production-like environment for `check --deploy`: DEBUG off, a strong throwaway key, real hosts.
DEPLOY_ENV := DJANGO_SETTINGS_MODULE=shopagent.settings.base DEBUG=false ENV_FILE=/dev/null \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	ALLOWED_HOSTS=shopagent.example SITE_URL=https://shopagent.example \
	EMAIL_URL=smtp+tls://mail.shopagent.example:587
TEST_ENV := DJANGO_SETTINGS_MODULE=shopagent.settings.test ENV_FILE=/dev/null

.PHONY: help install run serve test lint format bench screenshots chromium clean

help:
	@echo "make run    - install, migrate, load the catalog and listings, serve on http://$(HOST):$(PORT) (PORT=, HOST= to change)"
	@echo "make test   - lint, migration and deploy checks, the test suite on SQLite and PostgreSQL"
	@echo "make serve  - production server (gunicorn + whitenoise), settings from the environment"
	@echo "make lint   - ruff lint and format check;  make format - apply ruff's formatting"
	@echo "make bench  - performance figures at scale"
	@echo "make screenshots - PNGs of every page type at 1280 and 375 px wide, the main ones in dark mode too"

install: $(STAMP) .env
	@$(PY) manage.py migrate --no-input --verbosity 0
	@$(PY) manage.py load_catalog --verbosity 0 >/dev/null

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Local development settings; real environment variables (production, CI's checks) override them.
.env:
	@{ echo "# Local development, written by make install. Production sets real environment variables."; \
	   echo "DEBUG=true"; \
	   echo "SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')"; } > .env

# Seed data: the catalog always; demo listings only while no eBay credentials are configured.
# Links (canonical, sitemap, robots.txt, feeds, JSON documents) point at the address served, so
# `make run PORT=8811` links to :8811, unless SITE_URL is set in the environment or in .env.
LINK_HOST = $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
run: install
	DEBUG=true $(PY) manage.py seed_demo_listings --skip-if-live
	@if [ -z "$${SITE_URL:-}" ] && ! grep -qs '^SITE_URL=' "$${ENV_FILE:-.env}"; then \
		export SITE_URL="http://$(LINK_HOST):$(PORT)"; fi; \
	echo "== serving http://$(HOST):$(PORT)/ (links: $${SITE_URL:-SITE_URL from $${ENV_FILE:-.env}})"; \
	DEBUG=true exec $(PY) manage.py runserver $(HOST):$(PORT)

# Production: settings (DATABASE_URL, CACHE_URL, ...) from the environment. On every machine but one,
# SKIP_MIGRATE=1 leaves migrating and loading the catalog to that one.
serve: $(STAMP) .env
	DEBUG=false $(PY) manage.py collectstatic --no-input --verbosity 0
	@if [ "$${SKIP_MIGRATE:-}" != "1" ]; then \
		DEBUG=false $(PY) manage.py migrate --no-input; \
		DEBUG=false $(PY) manage.py load_catalog --verbosity 0 >/dev/null; \
		DEBUG=false $(PY) manage.py record_price_history --verbosity 0 >/dev/null; fi
	DEBUG=false $(VENV)/bin/gunicorn shopagent.wsgi --bind $(HOST):$(PORT) --workers $${WEB_CONCURRENCY:-2} \
		--access-logfile - --max-requests 2000 --max-requests-jitter 200

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Browser tests drive Debian's Chromium: install the package when it is missing, never a downloaded browser.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "== installing Debian's chromium for the browser tests"; \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi

# One pytest process per core (pytest-xdist), each test file on one of them; TEST_WORKERS=0 runs
# in this process.
TEST_WORKERS ?= auto
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# Two passes (markers set in tests/conftest.py): everything on SQLite and the local-memory cache
# (the embedded default), browser and multi-process tests included; then, on production's
# engines, a real PostgreSQL and a real Redis, every test that uses the database but the browser
# tests and the multi-process tests, which run the site on one SQLite file. SKIP_POSTGRES=1 runs
# the second pass's cache-dependent tests on Redis and SQLite instead.
test: lint chromium
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	@echo "== pytest on SQLite"
	$(TEST_ENV) $(PYTEST)
	@if [ "$${SKIP_POSTGRES:-}" = "1" ]; then echo "== SKIP_POSTGRES=1: cache-dependent tests on Redis"; \
	$(TEST_ENV) .ci/with-redis $(PYTEST) -q -m "cache and not workers"; \
	else echo "== pytest on PostgreSQL and Redis"; \
	$(TEST_ENV) .ci/with-redis .ci/with-postgres $(PYTEST) -q -m "database and not browser and not workers"; fi

# BENCH_DB=postgres runs the same bench on a throwaway PostgreSQL; DATABASE_URL=... on your own server.
bench: install
	@if [ "$${BENCH_DB:-}" = "postgres" ]; then .ci/with-postgres $(PY) tests/bench/run_bench.py $(BENCH_ARGS); \
	else $(PY) tests/bench/run_bench.py $(BENCH_ARGS); fi

# PNGs of every page type at desktop and phone widths (main ones in dark mode too), from a demo-data server.
screenshots: install chromium
	$(PY) tests/browser/screenshots.py screenshots

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache *.egg-info
