"""`alot doctor`: each check passes on a healthy deployment and fails, with its fix, on
the fault it is there to find (real SQLite/PostgreSQL, Redis, and Stripe's API served by
the suite's local fake of it)."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alot_platform.cli import main
from alot_platform.config import Settings
from alot_platform.migrate import alembic_config, migrate
from alot_verify.checkpoint import generate_signer_key
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from .conftest import Api, LotDesk, Services
from .live_server import free_port
from .payments.conftest import fake_stripe_module


@pytest.fixture
def doctor_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "ALOT_ENV": "development",
        "ALOT_DATABASE_URL": db_url,
        "ALOT_VAR_DIR": str(tmp_path / "var"),
    }


@pytest.fixture
def doctor(doctor_env: dict[str, str]) -> Callable[..., Result]:
    def run(*args: str, **env: str | None) -> Result:
        # Only the variables given: nothing from the environment the tests run in.
        clean = {name: None for name in os.environ if name.startswith("ALOT_")}
        return CliRunner().invoke(main, ["doctor", *args], env={**clean, **doctor_env, **env})

    return run


@pytest.fixture
def migrated(doctor_env: dict[str, str]) -> None:
    migrate(_settings(doctor_env))


def _settings(env: dict[str, str]) -> Settings:
    return Settings(
        env=env["ALOT_ENV"], database_url=env["ALOT_DATABASE_URL"], var_dir=env["ALOT_VAR_DIR"]
    )


def _checks(result: Result) -> dict[str, dict[str, Any]]:
    report = json.loads(result.output)
    assert report["ok"] == (result.exit_code == 0)
    return {check["name"]: check for check in report["checks"]}


def _field_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_a_healthy_deployment_passes_every_check(
    doctor: Callable[..., Result], migrated: None
) -> None:
    result = doctor()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok    configuration",
        "ok    database",
        "ok    migrations",
        "ok    keys",
        "ok    ledger signing key",
        "ok    reconciliation",
    ]
    assert "FAIL" not in result.output


def test_no_database_fails_and_says_to_migrate_without_creating_one(
    doctor: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "nowhere" / "alot.db"
    result = doctor(ALOT_DATABASE_URL=f"sqlite:///{path}")
    assert result.exit_code == 1
    assert f"FAIL  database: no database at {path}" in result.output
    assert "fix: run `alot migrate`" in result.output
    assert not path.exists()
    assert not path.parent.exists()


def test_an_unreachable_database_fails_without_showing_its_password(
    doctor: Callable[..., Result],
) -> None:
    port = free_port()
    result = doctor(ALOT_DATABASE_URL=f"postgresql+psycopg://alot:hunter22@127.0.0.1:{port}/alot")
    assert result.exit_code == 1
    assert f"FAIL  database: cannot reach postgresql+psycopg://alot:***@127.0.0.1:{port}/alot" in (
        result.output
    )
    assert "fix: start the database or correct ALOT_DATABASE_URL" in result.output
    assert "hunter22" not in result.output
    assert "migrations" not in result.output  # nothing to read them from


def test_an_unmigrated_database_fails_with_the_fix(
    doctor: Callable[..., Result], doctor_env: dict[str, str], db_url: str
) -> None:
    if db_url.startswith("sqlite"):
        sqlite3.connect(db_url.removeprefix("sqlite:///")).close()  # an empty database
    result = doctor()
    assert result.exit_code == 1
    assert "ok    database" in result.output
    assert "FAIL  migrations: not at head: platform at no revision (empty)" in result.output
    assert "ledger at no revision (empty)" in result.output
    assert "fix: run `alot migrate`" in result.output
    # The doctor migrated nothing.
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            tables = connection.dialect.get_table_names(connection)
    finally:
        engine.dispose()
    assert tables == []


def test_a_database_one_migration_behind_fails(
    doctor: Callable[..., Result], doctor_env: dict[str, str], migrated: None
) -> None:
    config = alembic_config(doctor_env["ALOT_DATABASE_URL"])
    config.attributes["settings"] = _settings(doctor_env)
    command.downgrade(config, "-1")
    checks = _checks(doctor("--json"))
    assert checks["migrations"]["ok"] is False
    assert checks["migrations"]["detail"].startswith("not at head: platform at ")
    assert "ledger" not in checks["migrations"]["detail"]
    assert checks["migrations"]["fix"] == "run `alot migrate`"
    assert "reconciliation" not in checks  # not run on a schema it does not know


def test_unreachable_redis_fails(doctor: Callable[..., Result], migrated: None) -> None:
    port = free_port()
    result = doctor(ALOT_REDIS_URL=f"redis://127.0.0.1:{port}/0")
    assert result.exit_code == 1
    assert f"FAIL  redis: cannot reach redis://127.0.0.1:{port}/0" in result.output
    assert "fix: start Redis or correct ALOT_REDIS_URL" in result.output


def test_reachable_redis_passes(
    doctor: Callable[..., Result], migrated: None, redis_url: str
) -> None:
    result = doctor(ALOT_REDIS_URL=redis_url)
    assert result.exit_code == 0, result.output
    assert "ok    redis: reachable" in result.output


@pytest.mark.parametrize(
    "env",
    [
        {"ALOT_FIELD_ENCRYPTION_KEYS": "not*base64url"},
        {"ALOT_FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(b"short").decode()},
        {"ALOT_SECRET_KEY": "too-short"},
    ],
    ids=["field-key-not-base64", "field-key-wrong-length", "secret-too-short"],
)
def test_a_corrupt_configured_key_fails(
    doctor: Callable[..., Result], migrated: None, env: dict[str, str]
) -> None:
    full = {"ALOT_SECRET_KEY": "s" * 40, "ALOT_FIELD_ENCRYPTION_KEYS": _field_key(), **env}
    result = doctor(**full)
    assert result.exit_code == 1
    assert "FAIL  keys: cannot load:" in result.output
    assert "fix: set ALOT_SECRET_KEY" in result.output


def test_a_corrupt_generated_key_file_fails(
    doctor: Callable[..., Result], migrated: None, tmp_path: Path
) -> None:
    keys = tmp_path / "var" / "keys"
    keys.mkdir(parents=True)
    (keys / "secret.key").write_text("x" * 64 + "\n")
    (keys / "field_encryption.key").write_text("garbage\n")
    result = doctor()
    assert result.exit_code == 1
    assert "FAIL  keys: cannot load: a field encryption key must be 32 bytes" in result.output


def test_keys_that_no_longer_open_the_sealed_seeds_fail(
    doctor: Callable[..., Result],
    make_lot_desk: Callable[..., LotDesk],
    tmp_path: Path,
) -> None:
    make_lot_desk().open_lot()  # the app made the dev keys under var/keys and sealed a seed
    healthy = _checks(doctor("--json"))
    assert healthy["keys"]["ok"] is True
    assert healthy["seed sealing"] == {
        "name": "seed sealing",
        "ok": True,
        "detail": "the newest sealed seed opens with the configured keys",
        "fix": None,
    }
    # The field key replaced by a new one instead of put first beside it.
    (tmp_path / "var" / "keys" / "field_encryption.key").write_text(_field_key() + "\n")
    result = doctor()
    assert result.exit_code == 1
    assert "FAIL  seed sealing: the newest sealed seed does not open" in result.output
    assert "put the old key back in ALOT_FIELD_ENCRYPTION_KEYS" in result.output


@pytest.fixture
def ledger_key(tmp_path: Path) -> Path:
    signer, _ = generate_signer_key("alot.local/ledger")
    path = tmp_path / "ledger.key"
    path.write_text(signer + "\n")
    return path


def test_the_ledger_signing_key_loads_or_fails(
    doctor: Callable[..., Result], migrated: None, ledger_key: Path, tmp_path: Path
) -> None:
    good = doctor(ALOT_LEDGER_SIGNING_KEY_FILE=str(ledger_key))
    assert good.exit_code == 0, good.output
    assert f"ok    ledger signing key: loads from {ledger_key}" in good.output

    missing = doctor(ALOT_LEDGER_SIGNING_KEY_FILE=str(tmp_path / "absent.key"))
    assert missing.exit_code == 1
    assert "FAIL  ledger signing key: cannot read ALOT_LEDGER_SIGNING_KEY_FILE" in missing.output

    other_origin = doctor(
        ALOT_LEDGER_SIGNING_KEY_FILE=str(ledger_key), ALOT_LEDGER_ORIGIN="elsewhere/ledger"
    )
    assert other_origin.exit_code == 1
    assert "is not the origin 'elsewhere/ledger'" in other_origin.output
    assert "fix: point ALOT_LEDGER_SIGNING_KEY_FILE" in other_origin.output


@pytest.fixture
def fake_stripe() -> Iterator[Any]:
    with fake_stripe_module.running_fake_stripe() as fake:
        yield fake


def _stripe_env(api_base: str, key: str | None = None) -> dict[str, str]:
    return {
        "ALOT_PAYMENT_PROVIDER": "stripe",
        "ALOT_STRIPE_SECRET_KEY": key or fake_stripe_module.API_KEY,
        "ALOT_STRIPE_WEBHOOK_SECRET": "whsec_test_doctor",
        "ALOT_STRIPE_API_BASE": api_base,
    }


def test_stripe_reachable_with_the_key_passes(
    doctor: Callable[..., Result], migrated: None, fake_stripe: Any
) -> None:
    result = doctor(**_stripe_env(fake_stripe.url))
    assert result.exit_code == 0, result.output
    assert f"ok    stripe: reachable with the configured key ({fake_stripe.url})" in result.output
    assert ("GET", "/v1/refunds", None) in fake_stripe.requests


def test_stripe_refusing_the_key_fails(
    doctor: Callable[..., Result], migrated: None, fake_stripe: Any
) -> None:
    result = doctor(**_stripe_env(fake_stripe.url, key="sk_test_not_this_account"))
    assert result.exit_code == 1
    assert f"FAIL  stripe: {fake_stripe.url} refused the key" in result.output


def test_stripe_unreachable_fails(doctor: Callable[..., Result], migrated: None) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    result = doctor(**_stripe_env(closed))
    assert result.exit_code == 1
    assert f"FAIL  stripe: cannot reach {closed}" in result.output
    assert "fix: check outbound HTTPS to Stripe" in result.output


def test_a_credit_balance_that_differs_from_the_ledger_fails(
    doctor: Callable[..., Result], api: Api, services: Services
) -> None:
    user_id = api.account().id  # the app's database, migrated by its fixture
    services.grant_credits(user_id, 50)
    assert doctor().exit_code == 0
    engine = services.platform.database.engine
    stored = uuid.UUID(user_id).hex if engine.dialect.name == "sqlite" else user_id
    with engine.begin() as connection:
        # A balance nudged without its ledger transaction.
        connection.execute(
            text("UPDATE user_universal_credits SET balance = balance + 7 WHERE user_id = :u"),
            {"u": stored},
        )
    checks = _checks(doctor("--json"))
    assert checks["reconciliation"] == {
        "name": "reconciliation",
        "ok": False,
        "detail": "1 credit balance(s) differ from the ledger",
        "fix": "run `alot reconcile` for the accounts, and investigate (never edit balances)",
    }


def test_production_with_unsafe_defaults_fails(doctor: Callable[..., Result], db_url: str) -> None:
    production = {
        "ALOT_ENV": "production",
        "ALOT_SECRET_KEY": "s" * 40,
        "ALOT_FIELD_ENCRYPTION_KEYS": _field_key(),
        "ALOT_SMTP_HOST": "smtp.example.com",
    }
    checks = _checks(doctor("--json", **production))
    configuration = checks["configuration"]
    assert configuration["ok"] is False
    detail = configuration["detail"]
    assert detail.startswith("unsafe in production: the sandbox payment provider")
    assert ("SQLite serves one machine's processes only" in detail) == db_url.startswith("sqlite")
    assert "ALOT_PUBLIC_URL http://127.0.0.1:8000 is not https" in detail
    assert "a key generated under ALOT_VAR_DIR" in detail
    assert "set ALOT_PAYMENT_PROVIDER=stripe" in configuration["fix"]


def test_settings_that_do_not_load_fail_alone(doctor: Callable[..., Result]) -> None:
    result = doctor("--json", ALOT_ENV="production")
    assert result.exit_code == 1
    checks = _checks(result)
    assert list(checks) == ["configuration"]
    assert checks["configuration"]["detail"].startswith("the ALOT_* settings do not load")
    assert "ALOT_SECRET_KEY" in checks["configuration"]["detail"]
