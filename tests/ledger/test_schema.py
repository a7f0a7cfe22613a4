"""Migrations and the database-level append-only guarantees, tried with raw SQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alot_ledger import Ledger, migrate
from alot_ledger.tables import metadata
from sqlalchemy.engine import Engine


def _seed(engine: Engine) -> None:
    with engine.begin() as connection:
        ledger = Ledger(connection)
        for _ in range(3):
            ledger.transfer("credit_grant", "platform:credits_issued", "user:1:credits", "CRD", 50)


def test_migrate_is_repeatable_and_uses_its_own_version_table(engine: Engine) -> None:
    migrate(engine)  # second run: nothing to do, nothing breaks
    with engine.connect() as connection:
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version_ledger"))
        assert version.scalar_one() == "0001_ledger_initial"
        assert not sa.inspect(connection).has_table("alembic_version")


def test_migrated_schema_matches_the_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"include_object": lambda o, n, t, *_: t != "table" or n.startswith("ledger_")},
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_migrate_accepts_a_url(db_url: str) -> None:
    migrate(db_url)
    engine = sa.create_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT size FROM ledger_head")).scalar_one() == 0
    engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_transactions SET kind = 'forged' WHERE seq = 2",
        "DELETE FROM ledger_transactions WHERE seq = 3",
        "UPDATE ledger_postings SET amount = amount + 1 WHERE seq = 1",
        "DELETE FROM ledger_postings WHERE seq = 1",
        "UPDATE ledger_merkle_nodes SET idx = idx + 100",
        "DELETE FROM ledger_merkle_nodes",
        "UPDATE ledger_head SET size = 1",
        "DELETE FROM ledger_head",
        "UPDATE ledger_accounts SET name = 'user:2:credits' WHERE name = 'user:1:credits'",
        "UPDATE ledger_accounts SET version = 0",
        "DELETE FROM ledger_accounts",
    ],
)
def test_history_cannot_be_changed_with_raw_sql(engine: Engine, statement: str) -> None:
    _seed(engine)
    with engine.connect() as connection:
        before = connection.execute(
            sa.text("SELECT seq, kind, hash FROM ledger_transactions")
        ).all()
    with pytest.raises(sa.exc.DBAPIError, match="rejected"), engine.begin() as connection:
        connection.execute(sa.text(statement))
    with engine.connect() as connection:
        after = connection.execute(sa.text("SELECT seq, kind, hash FROM ledger_transactions")).all()
    assert after == before


def test_checkpoints_cannot_be_changed(engine: Engine, checkpointer) -> None:  # type: ignore[no-untyped-def]
    _seed(engine)
    checkpointer.checkpoint(engine)
    for statement in ("UPDATE ledger_checkpoints SET size = 99", "DELETE FROM ledger_checkpoints"):
        with pytest.raises(sa.exc.DBAPIError, match="rejected"), engine.begin() as connection:
            connection.execute(sa.text(statement))


def test_truncate_is_rejected_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _seed(engine)
    with pytest.raises(sa.exc.DBAPIError, match="rejected"), engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE ledger_postings, ledger_transactions CASCADE"))


def test_balances_may_move_forward(engine: Engine) -> None:
    # The one in-place change the ledger itself makes: a balance and its version growing.
    _seed(engine)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE ledger_accounts SET version = version + 1 WHERE name = 'user:1:credits'"
            )
        )


def test_constraint_names_follow_the_convention(engine: Engine) -> None:
    # Autogenerate does not compare CHECK constraints: compare their names here.
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        expected = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert found == expected, table.name
