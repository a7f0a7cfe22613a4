"""payment_fees, refund_requests, outbox_emails: provider fees posted once, cash refunds
in recorded phases, emails that survive a crash after the commit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_fees",
        sa.Column("purchase_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("payment_intent", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("charge", sa.String(length=255), nullable=True),
        sa.Column("balance_transaction", sa.String(length=255), nullable=True),
        sa.Column("fee_cents", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('due', 'posted')", name=op.f("ck_payment_fees_status")),
        sa.CheckConstraint(
            "fee_cents IS NULL OR fee_cents >= 0", name=op.f("ck_payment_fees_fee_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["lot_entry_purchases.id"],
            name=op.f("fk_payment_fees_purchase_id_lot_entry_purchases"),
        ),
        sa.PrimaryKeyConstraint("purchase_id", name=op.f("pk_payment_fees")),
    )
    with op.batch_alter_table("payment_fees", schema=None) as batch_op:
        batch_op.create_index("ix_payment_fees_due", ["status", "created_at"], unique=False)

    op.create_table(
        "refund_requests",
        sa.Column("purchase_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=255), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("provider_refund_id", sa.String(length=255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'pending', 'succeeded', 'failed')",
            name=op.f("ck_refund_requests_status"),
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_refund_requests_amount_positive")),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["lot_entry_purchases.id"],
            name=op.f("fk_refund_requests_purchase_id_lot_entry_purchases"),
        ),
        sa.PrimaryKeyConstraint("purchase_id", name=op.f("pk_refund_requests")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refund_requests_idempotency_key")),
    )
    with op.batch_alter_table("refund_requests", schema=None) as batch_op:
        batch_op.create_index("ix_refund_requests_open", ["status", "requested_at"], unique=False)

    op.create_table(
        "outbox_emails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'dropped')", name=op.f("ck_outbox_emails_status")
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


def downgrade() -> None:
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_emails_user_id"))
        batch_op.drop_index("ix_outbox_emails_due")
    op.drop_table("outbox_emails")
    with op.batch_alter_table("refund_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_refund_requests_open")
    op.drop_table("refund_requests")
    with op.batch_alter_table("payment_fees", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_fees_due")
    op.drop_table("payment_fees")
