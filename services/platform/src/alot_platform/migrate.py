"""Bring a database to the current schema: the ledger's and the platform's Alembic
migrations (each with its own version table). Safe to run any number of times."""

from __future__ import annotations

import os
import stat
from importlib import resources
from pathlib import Path

import alot_ledger
from alembic import command
from alembic.config import Config
from sqlalchemy import make_url

from alot_platform.config import Settings

VERSION_TABLE = "alembic_version_platform"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("alot_platform") / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(settings: Settings) -> None:
    url = settings.resolved_database_url
    database = make_url(url).database
    if url.startswith("sqlite") and database and database != ":memory:":
        _private_sqlite_file(Path(database))
    # The ledger first: platform tables record ledger seqs, never the other way round.
    alot_ledger.migrate(url)
    config = alembic_config(url)
    # Migrations that seal data (0005) use the keys these settings name.
    config.attributes["settings"] = settings
    command.upgrade(config, "head")


def _private_sqlite_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (or take the others' access
    away): it holds password hashes, sessions and the ledger. SQLite gives its journal
    and WAL files the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(mode & 0o700)
