# syntax=docker/dockerfile:1
# The ALOT! platform image: the API (`alot serve`), the Celery worker and beat (`alot
# worker`, `alot beat`) and the one-shot commands (`alot migrate`, `alot reconcile`, ...)
# all run from it; `alot-verify` is in it too. See docs/operations/deploy.md.
#
#   docker build -t alot-platform .
#
# Three stages: the web client built with Node, the Python environment installed by uv
# from the lock file, and a slim runtime holding only those two results.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- the web client: web/dist -------------------------------------------------------
FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
# Playwright (a dev dependency, for the browser tests) must not fetch browsers here.
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# The lock file first, so the dependencies' layer survives source changes.
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# ---- the Python environment: /app/.venv ---------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
# uv's version is the Makefile's (UV_VERSION); it comes from PyPI like there.
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Third-party dependencies alone first (the lock file is all uv needs for them), so
# that layer is rebuilt only when uv.lock changes. --no-default-groups: no test, lint or
# docs tools (the workspace's default groups) in the image.
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --frozen --no-default-groups --no-install-workspace --package alot-platform
# Then the three workspace packages the platform is made of, installed as wheels
# (--no-editable), so the runtime needs no source tree.
COPY packages/alot-verify packages/alot-verify
COPY services/ledger services/ledger
COPY services/platform services/platform
RUN uv sync --frozen --no-default-groups --no-editable --package alot-platform

# ---- the runtime ----------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# A system user with a fixed uid (volumes and mounted key files are owned by it); no
# login shell, no home beyond the data folder.
RUN groupadd --system --gid 10001 alot \
    && useradd --system --uid 10001 --gid alot --home-dir /var/lib/alot \
        --shell /usr/sbin/nologin alot \
    && install -d -o alot -g alot -m 0700 /var/lib/alot
COPY --from=builder /app/.venv /app/.venv
COPY --from=web /src/web/dist /app/web/dist
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ALOT_ENV=production \
    ALOT_VAR_DIR=/var/lib/alot \
    ALOT_WEB_DIR=/app/web/dist
WORKDIR /var/lib/alot
USER alot:alot
EXPOSE 8000
# The process answers (GET /healthz). The worker and beat containers, which serve no
# HTTP, replace this check in deploy/compose.yaml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["alot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
