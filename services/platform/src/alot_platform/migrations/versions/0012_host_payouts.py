"""Host payouts: transfers of a host's payable balance to its Stripe connected account

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-22 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "host_payouts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("destination", sa.String(length=255), nullable=False),
        sa.Column("stripe_transfer_id", sa.String(length=255), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'failed')", name=op.f("ck_host_payouts_status")
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_host_payouts_amount_positive")),
        sa.ForeignKeyConstraint(
            ["host_id"], ["hosts.id"], name=op.f("fk_host_payouts_host_id_hosts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_payouts")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_host_payouts_idempotency_key")),
        sa.UniqueConstraint("stripe_transfer_id", name=op.f("uq_host_payouts_stripe_transfer_id")),
    )
    op.create_index(
        "ix_host_payouts_host_id_created_at",
        "host_payouts",
        ["host_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_host_payouts_status_created_at",
        "host_payouts",
        ["status", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_host_payouts_status_created_at", table_name="host_payouts")
    op.drop_index("ix_host_payouts_host_id_created_at", table_name="host_payouts")
    op.drop_table("host_payouts")
