"""An index on the transactions' kind and time: one kind over a period (admin analytics).

Revision ID: 0002_ledger_kind_time_index
Revises: 0001_ledger_initial
"""

from __future__ import annotations

from alembic import op

revision = "0002_ledger_kind_time_index"
down_revision = "0001_ledger_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_ledger_transactions_kind_created_at"),
        "ledger_transactions",
        ["kind", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ledger_transactions_kind_created_at"), table_name="ledger_transactions")
