# The two commands a newcomer needs: `make run` and `make test`. Everything else is
# installed by these files: uv is bootstrapped from pip into ./var/bootstrap if it is
# not on PATH, and uv installs the locked workspace into ./.venv.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
BOOTSTRAP := var/bootstrap
UV := $(shell command -v uv 2>/dev/null || echo $(BOOTSTRAP)/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export NO_MKDOCS_2_WARNING := 1
# Where `make run` listens: `make run PORT=8300`, `make run HOST=::1`.
HOST ?= 127.0.0.1
PORT ?= 8000

# The web client (web/) needs Node.js 20+; without it the API runs alone.
NODE_OK := $(shell node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null && echo yes)
NO_NODE := Node.js 20 or newer was not found, so the web client is not built or tested
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
	web/vite.config.ts web/tsconfig.json web/package.json
CHROMIUM ?= $(or $(ALOT_CHROMIUM),/usr/bin/chromium)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: help bootstrap sync sync-run run test test-web test-services lint format docs bench clean \
	web web-deps web-types check-ops

help:
	@echo "make run     start the platform on its embedded defaults (http://127.0.0.1:8000;"
	@echo "             PORT=8300 HOST=... to move it)"
	@echo "make test    install everything and run the whole test suite (with the web"
	@echo "             client's unit and browser tests when Node.js and Chromium are here)"
	@echo "make lint    ruff + mypy"
	@echo "make docs    build the documentation site (strict)"
	@echo "make bench   run the benchmarks and print their figures"

$(BOOTSTRAP)/bin/uv:
	@install -d -m 0700 var
	@echo "uv not found on PATH: installing uv $(UV_VERSION) into $(BOOTSTRAP) with pip"
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet "uv==$(UV_VERSION)"

bootstrap: $(if $(filter $(BOOTSTRAP)/bin/uv,$(UV)),$(BOOTSTRAP)/bin/uv)

sync: bootstrap
	$(UV) sync --all-packages --locked

# Only what running needs (the platform, the ledger, alot-verify, and alot-witness for the
# local witness `alot run` starts): no test, lint or docs tools. --inexact keeps what
# `make test` installed.
sync-run: bootstrap
	@install -d -m 0700 var
	$(UV) sync --package alot-platform --package alot-witness --no-default-groups --inexact --locked

# Not `uv run`, which would sync the default (dev) groups first.
run: sync-run web
	.venv/bin/alot run --host $(HOST) --port $(PORT)

test: sync web-deps
	$(UV) run pytest
	@$(MAKE) --no-print-directory test-web

# The web client: installed from its lock file, rebuilt only when a source changed.
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

web-deps:
ifeq ($(NODE_OK),yes)
	@$(MAKE) --no-print-directory web/node_modules/.package-lock.json
else
	@echo "make: $(NO_NODE); the API works alone"
endif

web:
ifeq ($(NODE_OK),yes)
	@$(MAKE) --no-print-directory web/dist/index.html
else
	@echo "make: $(NO_NODE); the API runs alone (install Node.js 20+, then make run again)"
endif

# Regenerate the client's API types after an API change (CI fails when they drift).
web-types: sync web-deps
	cd web && node scripts/gen-api.mjs

# Type check, unit tests, the API-types drift check, then the browser tests against a
# real `alot run` (skipped with a plain message without Chromium, unless
# ALOT_REQUIRE_BROWSER=1, as in CI).
test-web: web-deps
ifeq ($(NODE_OK),yes)
	cd web && npm run typecheck && npm test && node scripts/gen-api.mjs --check
	@$(MAKE) --no-print-directory web
	@if [ -x "$(CHROMIUM)" ]; then \
		cd web && ALOT_CHROMIUM="$(CHROMIUM)" npx playwright test; \
	elif [ "$$ALOT_REQUIRE_BROWSER" = 1 ]; then \
		echo "make: no Chromium at $(CHROMIUM) and ALOT_REQUIRE_BROWSER=1" >&2; exit 1; \
	else \
		echo "make: browser tests SKIPPED: no Chromium at $(CHROMIUM) (apt-get install chromium)"; \
	fi
else
	@if [ "$$ALOT_REQUIRE_BROWSER" = 1 ]; then echo "make: $(NO_NODE)" >&2; exit 1; fi
	@echo "make: web tests SKIPPED: $(NO_NODE)"
endif

# The suites that need the real PostgreSQL and Redis (.ci/run sets the URLs).
test-services: sync
	ALOT_REQUIRE_SERVICES=1 $(UV) run pytest -m services

lint: sync
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

format: sync
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

docs: sync
	$(UV) run mkdocs build --strict

bench: sync
	@for b in bench/*.py; do echo "== $$b"; $(UV) run python $$b || exit 1; done

# The Prometheus rules and configuration (promtool: Debian's prometheus package). The
# configuration is checked in a copy with a stand-in for the metrics token file it names.
check-ops:
	@command -v promtool >/dev/null || { echo "make: promtool not found (apt-get install prometheus)" >&2; exit 1; }
	promtool check rules deploy/prometheus/alerts.yml deploy/prometheus/recording.yml
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		cp deploy/prometheus/*.yml "$$tmp"/ && echo stand-in > "$$tmp"/metrics_token && \
		sed -i "s|/run/secrets/metrics_token|$$tmp/metrics_token|" "$$tmp"/prometheus.yml && \
		echo "promtool check config deploy/prometheus/prometheus.yml" && \
		promtool check config "$$tmp"/prometheus.yml
	promtool test rules deploy/prometheus/tests/*.yml

clean:
	rm -rf .venv site .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist
