"""analytics_ledger_days (the ledger's postings summed per day, kind, account class and
asset), analytics_settlements (each lot settlement's sums) and analytics_rollup (the seq
both are summed through), for admin analytics

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_ledger_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("account_class", sa.String(length=40), nullable=False),
        sa.Column("asset", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("postings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "kind", "account_class", "asset", name=op.f("pk_analytics_ledger_days")
        ),
    )
    op.create_table(
        "analytics_settlements",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.Column("lot_id", sa.String(length=36), nullable=False),
        sa.Column("host_id", sa.String(length=36), nullable=True),
        sa.Column("revenue_cents", sa.BigInteger(), nullable=False),
        sa.Column("host_held_cents", sa.BigInteger(), nullable=False),
        sa.Column("escrow_cash_cents", sa.BigInteger(), nullable=False),
        sa.Column("credits_redeemed", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_analytics_settlements")),
    )
    with op.batch_alter_table("analytics_settlements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_analytics_settlements_day"), ["day"], unique=False)
    rollup = op.create_table(
        "analytics_rollup",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("through_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_analytics_rollup_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_rollup")),
    )
    op.bulk_insert(rollup, [{"id": 1, "through_seq": 0, "updated_at": None}])


def downgrade() -> None:
    op.drop_table("analytics_rollup")
    op.drop_table("analytics_settlements")
    op.drop_table("analytics_ledger_days")
