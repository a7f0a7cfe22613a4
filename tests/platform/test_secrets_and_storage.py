"""Personal data encrypted at rest, key generation rules, and the migrations."""

from __future__ import annotations

import base64
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alot_platform.config import Settings
from alot_platform.keys import MissingSecretError, load_keys
from alot_platform.migrate import alembic_config, migrate
from alot_platform.models import Base
from alot_platform.security.crypto import FieldCipher, FieldDecryptionError
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect, text


def test_full_name_and_birth_date_are_encrypted_at_rest(client: TestClient, api: Any) -> None:
    account = api.account(full_name="Grace Brewster Hopper", date_of_birth="1966-12-09")
    engine = client.app.state.platform.database.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        row = (
            connection.execute(text("SELECT * FROM users WHERE email = :e"), {"e": account.email})
            .mappings()
            .one()
        )
    stored = " ".join(str(v) for v in row.values())
    assert "Grace" not in stored
    assert "1966" not in stored
    assert row["full_name_encrypted"].startswith("v1.")
    me = client.get("/api/users/me", headers=account.headers).json()
    assert (me["full_name"], me["date_of_birth"]) == ("Grace Brewster Hopper", "1966-12-09")


def test_ciphertext_is_bound_to_its_row_and_column() -> None:
    cipher = FieldCipher([os.urandom(32)])
    alice, bob = uuid.uuid4(), uuid.uuid4()
    sealed = cipher.encrypt("Alice", f"users.full_name:{alice}")
    assert cipher.decrypt(sealed, f"users.full_name:{alice}") == "Alice"
    with pytest.raises(FieldDecryptionError):
        cipher.decrypt(sealed, f"users.full_name:{bob}")
    with pytest.raises(FieldDecryptionError):
        cipher.decrypt(sealed, f"users.date_of_birth:{alice}")
    with pytest.raises(FieldDecryptionError):
        cipher.decrypt(sealed[:-4] + "AAAA", f"users.full_name:{alice}")


def test_key_rotation_keeps_old_ciphertexts_readable() -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    sealed_before = FieldCipher([old_key]).encrypt("x", "ctx")
    rotated = FieldCipher([new_key, old_key])
    assert rotated.decrypt(sealed_before, "ctx") == "x"
    sealed_after = rotated.encrypt("y", "ctx")
    assert FieldCipher([new_key]).decrypt(sealed_after, "ctx") == "y"
    with pytest.raises(FieldDecryptionError):
        FieldCipher([old_key]).decrypt(sealed_after, "ctx")


def test_dev_keys_are_generated_once_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(env="development", var_dir=tmp_path / "var")
    with caplog.at_level(logging.WARNING):
        first = load_keys(settings)
    # One warning, naming the keys, where they live and what production sets instead.
    [warning] = [r.getMessage() for r in caplog.records if "generated" in r.getMessage()]
    folder = str((tmp_path / "var" / "keys").resolve())
    for part in ("secret.key", "field_encryption.key", folder, "ALOT_SECRET_KEY"):
        assert part in warning, warning
    for path in (tmp_path / "var", tmp_path / "var" / "keys"):
        assert path.stat().st_mode & 0o777 == 0o700, path
    for path in (tmp_path / "var" / "keys").iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path
    assert sorted(p.name for p in (tmp_path / "var" / "keys").iterdir()) == [
        "field_encryption.key",
        "secret.key",
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert load_keys(settings) == first
    assert not caplog.records


def test_dev_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    var = tmp_path / "var"
    settings = Settings(env="development", var_dir=var)
    migrate(settings)
    database = var / "alot.db"
    engine = create_engine(settings.resolved_database_url)
    try:
        with engine.connect() as connection:  # WAL mode: -wal and -shm exist while open
            connection.execute(text("PRAGMA journal_mode=WAL"))
            connection.execute(text("CREATE TABLE scratch (x INTEGER)"))
            connection.commit()
            files = [database, var / "alot.db-wal", var / "alot.db-shm"]
            for path in files:
                assert path.exists(), path
                assert path.stat().st_mode & 0o777 == 0o600, (path, oct(path.stat().st_mode))
    finally:
        engine.dispose()
    assert var.stat().st_mode & 0o777 == 0o700


def test_a_world_readable_dev_database_is_narrowed(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    (var / "alot.db").touch(mode=0o644)
    (var / "alot.db").chmod(0o644)
    migrate(Settings(env="development", var_dir=var))
    assert (var / "alot.db").stat().st_mode & 0o777 == 0o600


def test_production_never_generates_keys(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="ALOT_SECRET_KEY"):
        Settings(env="production", var_dir=tmp_path, database_url="postgresql://x/y")
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    settings = Settings(
        env="production",
        var_dir=tmp_path,
        database_url="postgresql://x/y",
        secret_key="s" * 40,
        field_encryption_keys=key,
        smtp_host="smtp.example.com",
    )
    keys = load_keys(settings)
    assert keys.field_encryption == (base64.urlsafe_b64decode(key),)
    assert not (tmp_path / "keys").exists()
    with pytest.raises(MissingSecretError):
        load_keys(settings.model_copy(update={"secret_key": None}))


def test_production_refuses_weak_settings(tmp_path: Path) -> None:
    base = {
        "env": "production",
        "database_url": "postgresql://x/y",
        "secret_key": "s" * 40,
        "field_encryption_keys": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "smtp_host": "smtp.example.com",
    }
    for weak in ({"cookie_secure": False}, {"argon2_memory_kib": 4096}):
        with pytest.raises(ValidationError):
            Settings(**{**base, **weak})
    with pytest.raises(ValidationError, match="rate"):
        Settings(rate_limit_auth="lots")


def test_migrations_match_the_models_and_are_idempotent(
    make_settings: Callable[..., Settings], db_url: str
) -> None:
    settings = make_settings()
    migrate(settings)
    migrate(settings)  # a second run is a no-op
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            # Only the platform's tables: other services migrate theirs into the same database.
            context = MigrationContext.configure(
                connection,
                opts={
                    "include_name": lambda name, kind, _parent: (
                        kind != "table" or name in Base.metadata.tables
                    )
                },
            )
            assert compare_metadata(context, Base.metadata) == []
            version = connection.execute(
                text("SELECT version_num FROM alembic_version_platform")
            ).scalar_one()
        head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
        assert version == head
        tables = inspect(engine).get_table_names()
        assert "alembic_version" not in tables
        assert {"ledger_transactions", "alembic_version_ledger"} <= set(tables)
    finally:
        engine.dispose()


def test_database_refuses_what_the_rules_refuse(client: TestClient, api: Any) -> None:
    from sqlalchemy.exc import IntegrityError

    account = api.account()
    engine = client.app.state.platform.database.engine  # type: ignore[attr-defined]
    for statement in (
        "UPDATE users SET status = 'erased' WHERE email = :e",
        "UPDATE users SET email = (SELECT min(email) FROM users WHERE email <> :e) "
        "WHERE email = :e",
    ):
        api.account()
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(statement), {"e": account.email})
