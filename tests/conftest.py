"""Shared fixtures: paths, and the real PostgreSQL/Redis the service suites need.

Tests that need PostgreSQL or Redis read ALOT_TEST_POSTGRES_URL / ALOT_TEST_REDIS_URL,
make their own uniquely named database (or Redis key prefix) and clean up after. They
skip when the variable is unset, and fail instead under ALOT_REQUIRE_SERVICES=1 (CI).
Any test using these fixtures is marked `services` so that CI can select them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC_VECTORS = REPO_ROOT / "docs" / "spec" / "vectors"

_SERVICE_FIXTURES = {"postgres_url", "redis_url", "db_url"}


def _service_url(variable: str) -> str:
    url = os.environ.get(variable)
    if url:
        return url
    if os.environ.get("ALOT_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{variable} is not set but ALOT_REQUIRE_SERVICES=1")
    pytest.skip(f"{variable} not set")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("db_url") if callspec is not None else None
        if fixtures & (_SERVICE_FIXTURES - {"db_url"}) or backend == "postgresql":
            item.add_marker(pytest.mark.services)


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def spec_vectors() -> Path:
    """docs/spec/vectors: the published test vectors every implementation must reproduce."""
    return SPEC_VECTORS


def _create_database(admin_url: str) -> tuple[str, str]:
    """Create a uniquely named database next to admin_url; return (url, name)."""
    import psycopg

    name = f"alot_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}", name


def _drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (libpq URL), dropped after the test."""
    admin_url = _service_url("ALOT_TEST_POSTGRES_URL")
    url, name = _create_database(admin_url)
    try:
        yield url
    finally:
        _drop_database(admin_url, name)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test Redis, with a unique key prefix in ALOT_TEST_REDIS_PREFIX; keys removed after."""
    url = _service_url("ALOT_TEST_REDIS_URL")
    prefix = f"alot-test:{uuid.uuid4().hex[:12]}:"
    os.environ["ALOT_TEST_REDIS_PREFIX"] = prefix
    try:
        yield url
    finally:
        import redis

        client = redis.Redis.from_url(url)
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
        client.close()
        os.environ.pop("ALOT_TEST_REDIS_PREFIX", None)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL (SQLAlchemy form): SQLite always, PostgreSQL when configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'alot.db'}"
        return
    admin_url = _service_url("ALOT_TEST_POSTGRES_URL")
    url, name = _create_database(admin_url)
    try:
        yield url.replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        _drop_database(admin_url, name)
