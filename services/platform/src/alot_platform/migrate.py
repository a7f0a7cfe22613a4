"""Bring a database to the current schema: the platform's Alembic migrations (and the
ledger's, wired below by the lead). Safe to run any number of times."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

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
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
    # ---- LEDGER WIRING (the lead wires it here) --------------------------------------
    # The ledger ships its own migrations (own version table) and a function to run
    # them, e.g.: from alot_ledger... import migrate as migrate_ledger; migrate_ledger(url)
    # -----------------------------------------------------------------------------------
