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

.PHONY: help bootstrap sync sync-run run test test-services lint format docs bench clean

help:
	@echo "make run     start the platform on its embedded defaults (http://127.0.0.1:8000;"
	@echo "             PORT=8300 HOST=... to move it)"
	@echo "make test    install everything and run the whole test suite"
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

# Only what running needs (the platform, the ledger, alot-verify): no test, lint or docs
# tools. --inexact keeps what `make test` installed.
sync-run: bootstrap
	@install -d -m 0700 var
	$(UV) sync --package alot-platform --no-default-groups --inexact --locked

# Not `uv run`, which would sync the default (dev) groups first.
run: sync-run
	.venv/bin/alot run --host $(HOST) --port $(PORT)

test: sync
	$(UV) run pytest

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

clean:
	rm -rf .venv site .pytest_cache .mypy_cache .ruff_cache
