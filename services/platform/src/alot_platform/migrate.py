"""Bring a database to the current schema: the ledger's and the platform's Alembic
migrations (each with its own version table). Safe to run any number of times."""

from __future__ import annotations

from importlib import resources

import alot_ledger
from alembic import command
from alembic.config import Config

from alot_platform.config import Settings
from alot_platform.db import prepare_sqlite_file

VERSION_TABLE = "alembic_version_platform"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("alot_platform") / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(settings: Settings) -> None:
    url = settings.resolved_database_url
    prepare_sqlite_file(url)  # owner-only folder and file, before the first connection
    # The ledger first: platform tables record ledger seqs, never the other way round.
    alot_ledger.migrate(url)
    config = alembic_config(url)
    # Migrations that seal data (0005) use the keys these settings name.
    config.attributes["settings"] = settings
    command.upgrade(config, "head")
