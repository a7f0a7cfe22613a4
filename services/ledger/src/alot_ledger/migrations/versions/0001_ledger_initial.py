"""Ledger tables, the chain head row, and the append-only triggers.

Revision ID: 0001_ledger_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_ledger_initial"
down_revision = None
branch_labels = ("ledger",)
depends_on = None

_HISTORY = ("ledger_transactions", "ledger_postings", "ledger_merkle_nodes", "ledger_checkpoints")

_PG_REJECT = """
CREATE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % on % rejected: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$
"""

_PG_ACCOUNT_GUARD = """
CREATE FUNCTION ledger_account_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.id <> OLD.id OR NEW.name <> OLD.name OR NEW.asset <> OLD.asset
       OR NEW.must_not_go_negative <> OLD.must_not_go_negative OR NEW.version < OLD.version THEN
        RAISE EXCEPTION 'ledger: % on ledger_accounts rejected: accounts are never removed or renamed and versions only grow', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$
"""

_PG_HEAD_GUARD = """
CREATE FUNCTION ledger_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.size < OLD.size THEN
        RAISE EXCEPTION 'ledger: % on ledger_head rejected: the chain only grows', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$
"""


def _postgresql_triggers() -> list[str]:
    statements = [_PG_REJECT, _PG_ACCOUNT_GUARD, _PG_HEAD_GUARD]
    for table in _HISTORY:
        statements += [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()",
        ]
    for table, guard in (("ledger_accounts", "account"), ("ledger_head", "head")):
        statements += [
            f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ledger_{guard}_guard()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()",
        ]
    return statements


def _sqlite_trigger(name: str, event: str, table: str, message: str, when: str = "") -> str:
    condition = f" WHEN {when}" if when else ""
    return (
        f"CREATE TRIGGER {name} BEFORE {event} ON {table}{condition} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def _sqlite_triggers() -> list[str]:
    statements = []
    for table in _HISTORY:
        for event in ("UPDATE", "DELETE"):
            statements.append(
                _sqlite_trigger(
                    f"{table}_no_{event.lower()}",
                    event,
                    table,
                    f"ledger: {event} on {table} rejected: the table is append-only",
                )
            )
    statements += [
        _sqlite_trigger(
            "ledger_accounts_guard",
            "UPDATE",
            "ledger_accounts",
            "ledger: UPDATE on ledger_accounts rejected: accounts are never renamed"
            " and versions only grow",
            when="NEW.id <> OLD.id OR NEW.name <> OLD.name OR NEW.asset <> OLD.asset"
            " OR NEW.must_not_go_negative <> OLD.must_not_go_negative"
            " OR NEW.version < OLD.version",
        ),
        _sqlite_trigger(
            "ledger_accounts_no_delete",
            "DELETE",
            "ledger_accounts",
            "ledger: DELETE on ledger_accounts rejected: accounts are never removed",
        ),
        _sqlite_trigger(
            "ledger_head_guard",
            "UPDATE",
            "ledger_head",
            "ledger: UPDATE on ledger_head rejected: the chain only grows",
            when="NEW.size < OLD.size OR NEW.id <> OLD.id",
        ),
        _sqlite_trigger(
            "ledger_head_no_delete",
            "DELETE",
            "ledger_head",
            "ledger: DELETE on ledger_head rejected: the chain only grows",
        ),
    ]
    return statements


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("asset", sa.String(3), nullable=False),
        sa.Column("must_not_go_negative", sa.Boolean(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_accounts"),
        sa.UniqueConstraint("name", "asset", name="uq_ledger_accounts_name_asset"),
        sa.CheckConstraint("asset IN ('USD', 'CRD')", name=op.f("ck_ledger_accounts_asset")),
        sa.CheckConstraint("version >= 0", name=op.f("ck_ledger_accounts_version")),
        sa.CheckConstraint(
            "NOT must_not_go_negative OR balance >= 0", name=op.f("ck_ledger_accounts_not_negative")
        ),
    )
    op.create_table(
        "ledger_transactions",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.Column("refs_json", sa.Text(), nullable=False),
        sa.Column("metadata_json", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_ledger_transactions"),
        sa.UniqueConstraint("id", name="uq_ledger_transactions_id"),
        sa.UniqueConstraint("idempotency_key", name="uq_ledger_transactions_idempotency_key"),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_ledger_transactions_seq")),
        sa.CheckConstraint(
            "(idempotency_key IS NULL) = (request_hash IS NULL)",
            name=op.f("ck_ledger_transactions_request_hash"),
        ),
    )
    op.create_table(
        "ledger_postings",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_before", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("account_version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", "position", name="pk_ledger_postings"),
        sa.ForeignKeyConstraint(
            ["seq"],
            ["ledger_transactions.seq"],
            name="fk_ledger_postings_seq_ledger_transactions",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name="fk_ledger_postings_account_id_ledger_accounts",
        ),
        sa.UniqueConstraint("account_id", "seq", name="uq_ledger_postings_account_id_seq"),
        sa.UniqueConstraint(
            "account_id", "account_version", name="uq_ledger_postings_account_id_account_version"
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_postings_amount")),
        sa.CheckConstraint(
            "balance_after = balance_before + amount", name=op.f("ck_ledger_postings_balance")
        ),
        sa.CheckConstraint("account_version >= 1", name=op.f("ck_ledger_postings_account_version")),
    )
    op.create_table(
        "ledger_merkle_nodes",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_ledger_merkle_nodes"),
        sa.CheckConstraint("level >= 1", name=op.f("ck_ledger_merkle_nodes_level")),
    )
    head = op.create_table(
        "ledger_head",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("peaks", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_head"),
        sa.CheckConstraint("id = 1", name=op.f("ck_ledger_head_single_row")),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.PrimaryKeyConstraint("size", name="pk_ledger_checkpoints"),
    )
    op.bulk_insert(head, [{"id": 1, "size": 0, "last_hash": "0" * 64, "peaks": b""}])
    dialect = op.get_bind().dialect.name
    triggers = _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers()
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    for table in (
        "ledger_checkpoints",
        "ledger_head",
        "ledger_merkle_nodes",
        "ledger_postings",
        "ledger_transactions",
        "ledger_accounts",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        for function in ("ledger_reject_change", "ledger_account_guard", "ledger_head_guard"):
            op.execute(f"DROP FUNCTION {function}()")
