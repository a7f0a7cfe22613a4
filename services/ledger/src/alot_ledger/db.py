"""Engines and migrations: how the ledger gets a database it can use.

``migrate`` runs the ledger's own Alembic history (version table
``alembic_version_ledger``) on PostgreSQL or SQLite; the platform calls it next to its
own migrations. ``create_engine`` adds what SQLite needs to be a safe, concurrent ledger
store (WAL, full sync, a busy timeout, foreign keys); an engine made elsewhere works too
if it sets the same pragmas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed number: serializes concurrent `migrate` calls on one PostgreSQL database.
_MIGRATION_LOCK = 0x4C45_4447


def normalize_url(url: str) -> str:
    """Accept libpq-style ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # a receipt means the transaction is on disk
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the ledger (SQLite pragmas set on every connection)."""
    engine = sa.create_engine(normalize_url(url), **kwargs)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def migrate(bind: Engine | str) -> None:
    """Bring the ledger's tables to the latest revision (safe to call on every start)."""
    engine = create_engine(bind) if isinstance(bind, str) else bind
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
    finally:
        if isinstance(bind, str):
            engine.dispose()
