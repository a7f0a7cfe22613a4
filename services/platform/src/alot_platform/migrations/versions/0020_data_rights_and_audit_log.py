"""Data rights and the audit log: the `deleted` account status, and the append-only,
hash-chained `audit_log` of admin and host actions (UPDATE, DELETE and TRUNCATE refused
by triggers, as the ledger's history tables are)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_OLD_STATUSES = "'active', 'suspended', 'banned'"

_PG_REJECT = """
CREATE FUNCTION audit_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log: % rejected: the audit log is append-only', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$
"""


def _triggers(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            _PG_REJECT,
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change()",
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change()",
        ]
    return [
        f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
        f"BEGIN SELECT RAISE(ABORT, 'audit_log: {event} rejected: the audit log is "
        "append-only'); END"
        for event in ("UPDATE", "DELETE")
    ]


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(op.f("ck_users_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_users_status"), f"status IN ({_OLD_STATUSES}, 'deleted')"
        )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_roles", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_audit_log_seq_positive")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_actor_id"), "audit_log", ["actor_id"])
    for statement in _triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_reject_change()")
    op.drop_index(op.f("ix_audit_log_actor_id"), table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(op.f("ck_users_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_users_status"), f"status IN ({_OLD_STATUSES})")
