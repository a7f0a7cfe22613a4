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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import py_ecc  # noqa: F401  (see below)
import pytest

# py_ecc raises the interpreter's recursion limit when it is first imported. The verifier
# imports it lazily, on the first BLS check; if that happens inside a Hypothesis test,
# Hypothesis sees the limit change under it and fails the test with a HypothesisWarning
# (so a module run alone failed where the whole suite passed). Importing it here, before
# any test runs, makes the limit the same whatever order the tests run in.

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


# -- one local witness for the run ----------------------------------------------------
# A real `alot-witness serve` process, started once per session by the first test that
# asks for it. Each test has a fresh ledger, and a witness remembers each log's latest
# checkpoint (and refuses one inconsistent with it): so the witness trusts a pool of
# ledger keys, one origin each, and every test takes a log of its own from the pool.

LOCAL_WITNESS_NAME = "witness.test/local"
LOCAL_WITNESS_LOGS = 32


@dataclass
class LocalWitness:
    url: str
    verifier_key: str
    log_signer_keys: list[str]
    taken: int = 0

    def take_log(self) -> str:
        """A ledger signer key no other test of the run has used."""
        if self.taken == len(self.log_signer_keys):
            raise RuntimeError("every log of the local witness is taken: raise LOCAL_WITNESS_LOGS")
        self.taken += 1
        return self.log_signer_keys[self.taken - 1]


@pytest.fixture(scope="session")
def local_witness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWitness]:
    from alot_verify.checkpoint import generate_signer_key
    from alot_witness._testing import running_witness

    logs = [generate_signer_key(f"alot.test/ledger-{i}") for i in range(LOCAL_WITNESS_LOGS)]
    data_dir = tmp_path_factory.mktemp("local-witness")
    with running_witness(data_dir, LOCAL_WITNESS_NAME, [key for _, key in logs]) as witness:
        yield LocalWitness(witness.url, witness.verifier_key, [signer for signer, _ in logs])


@pytest.fixture
def witnessed(
    local_witness: LocalWitness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, Any]:
    """Settings overrides for a platform whose ledger the local witness cosigns: this
    test's own ledger key (ALOT_LEDGER_ORIGIN and ALOT_LEDGER_SIGNING_KEY_FILE, read by
    alot_ledger) and the witness in ALOT_WITNESSES."""
    signer = local_witness.take_log()
    key_file = tmp_path / "witnessed-ledger.key"
    key_file.write_text(signer + "\n", encoding="utf-8")
    monkeypatch.setenv("ALOT_LEDGER_ORIGIN", signer.split("+")[2])
    monkeypatch.setenv("ALOT_LEDGER_SIGNING_KEY_FILE", str(key_file))
    return {"witnesses": [{"url": local_witness.url, "key": local_witness.verifier_key}]}
