"""Free entry (no purchase necessary): purchases of method 'free', the lot's free-entry
period and free-ticket count, and the record of each free entry (route, postal reference)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lot_entry_purchases") as batch_op:
        batch_op.drop_constraint(op.f("ck_lot_entry_purchases_method"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_lot_entry_purchases_method"), "method IN ('cash', 'credits', 'free')"
        )
        # A free entry pays nothing: no cash, no credits (one ticket).
        batch_op.create_check_constraint(
            op.f("ck_lot_entry_purchases_free_pays_nothing"),
            "method <> 'free' OR (amount_cents = 0 AND credits_spent = 0 AND tickets = 1)",
        )
    with op.batch_alter_table("lots") as batch_op:
        batch_op.add_column(sa.Column("free_entry_period_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("free_tickets", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_check_constraint(
            op.f("ck_lots_free_entry_period_positive"),
            "free_entry_period_days IS NULL OR free_entry_period_days >= 1",
        )
    op.create_table(
        "lot_free_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purchase_id", sa.Uuid(), nullable=False),
        sa.Column("route", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "route IN ('online', 'postal')", name=op.f("ck_lot_free_entries_route")
        ),
        sa.CheckConstraint(
            "route <> 'postal' OR (reference IS NOT NULL AND received_on IS NOT NULL)",
            name=op.f("ck_lot_free_entries_postal_has_reference"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name=op.f("fk_lot_free_entries_lot_id_lots")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_lot_free_entries_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["lot_entry_purchases.id"],
            name=op.f("fk_lot_free_entries_purchase_id_lot_entry_purchases"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_lot_free_entries_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_free_entries")),
        sa.UniqueConstraint("purchase_id", name=op.f("uq_lot_free_entries_purchase_id")),
        sa.UniqueConstraint("lot_id", "reference", name="uq_lot_free_entries_lot_reference"),
    )
    op.create_index(
        "ix_lot_free_entries_lot_user", "lot_free_entries", ["lot_id", "user_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_lot_free_entries_lot_user", table_name="lot_free_entries")
    op.drop_table("lot_free_entries")
    with op.batch_alter_table("lots") as batch_op:
        batch_op.drop_constraint(op.f("ck_lots_free_entry_period_positive"), type_="check")
        batch_op.drop_column("free_tickets")
        batch_op.drop_column("free_entry_period_days")
    op.execute(
        "DELETE FROM lot_entries WHERE purchase_id IN"
        " (SELECT id FROM lot_entry_purchases WHERE method = 'free')"
    )
    op.execute("DELETE FROM lot_entry_purchases WHERE method = 'free'")
    with op.batch_alter_table("lot_entry_purchases") as batch_op:
        batch_op.drop_constraint(op.f("ck_lot_entry_purchases_free_pays_nothing"), type_="check")
        batch_op.drop_constraint(op.f("ck_lot_entry_purchases_method"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_lot_entry_purchases_method"), "method IN ('cash', 'credits')"
        )
