"""Fixtures for the ledger suite: a migrated database on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from alot_ledger import create_engine, migrate
from alot_ledger.checkpoints import Checkpointer
from alot_ledger.tables import metadata
from sqlalchemy.engine import Engine

LEDGER_TABLES = tuple(sorted(metadata.tables))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated ledger database (SQLite file or a fresh PostgreSQL database)."""
    engine = create_engine(db_url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def row_counts(engine: Engine) -> Callable[[], dict[str, int]]:
    """Counts every ledger table, and the head's size: to prove a rejection left no trace."""

    def count() -> dict[str, int]:
        with engine.connect() as connection:
            counts = {
                table: connection.execute(
                    sa.select(sa.func.count()).select_from(metadata.tables[table])
                ).scalar_one()
                for table in LEDGER_TABLES
            }
            counts["head.size"] = connection.execute(
                sa.text("SELECT size FROM ledger_head")
            ).scalar_one()
        return counts

    return count


@pytest.fixture
def checkpointer() -> Checkpointer:
    from alot_verify.checkpoint import generate_signer_key

    signer, _ = generate_signer_key("alot.local/ledger")
    return Checkpointer(signer)
