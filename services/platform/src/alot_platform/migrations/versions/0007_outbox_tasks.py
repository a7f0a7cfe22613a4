"""One transactional outbox: outbox_emails becomes outbox, whose rows are emails or
tasks (a handler's name and JSON payload), with a dead-letter state

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COPIED = (
    "id, key, user_id, address, kind, subject, body, attempts, last_error, created_at,"
    " next_attempt_at"
)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("task", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'dropped', 'dead')", name=op.f("ck_outbox_status")
        ),
        sa.CheckConstraint(
            "task <> 'email' OR user_id IS NOT NULL OR address IS NOT NULL OR status = 'dropped'",
            name=op.f("ck_outbox_has_recipient"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_outbox_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_user_id"), ["user_id"], unique=False)
    op.execute(
        f"INSERT INTO outbox ({_COPIED}, task, status, done_at)"
        f" SELECT {_COPIED}, 'email',"
        " CASE status WHEN 'sent' THEN 'done' ELSE status END, sent_at FROM outbox_emails"
    )
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_emails_user_id"))
        batch_op.drop_index("ix_outbox_emails_due")
    op.drop_table("outbox_emails")


def downgrade() -> None:
    op.create_table(
        "outbox_emails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'dropped')", name=op.f("ck_outbox_emails_status")
        ),
        sa.CheckConstraint(
            "user_id IS NOT NULL OR address IS NOT NULL OR status = 'dropped'",
            name=op.f("ck_outbox_emails_has_recipient"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_outbox_emails_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_emails")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_emails_key")),
    )
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_emails_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_emails_user_id"), ["user_id"], unique=False)
    # Tasks have no place in an email outbox; a dead email goes back to pending.
    op.execute(
        "INSERT INTO outbox_emails (id, key, user_id, address, kind, subject, body, status,"
        " attempts, last_error, created_at, next_attempt_at, sent_at)"
        " SELECT id, key, user_id, address, kind, subject, body,"
        " CASE status WHEN 'done' THEN 'sent' WHEN 'dead' THEN 'pending' ELSE status END,"
        " attempts, last_error, created_at, next_attempt_at, done_at"
        " FROM outbox WHERE task = 'email'"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_user_id"))
        batch_op.drop_index("ix_outbox_due")
    op.drop_table("outbox")
