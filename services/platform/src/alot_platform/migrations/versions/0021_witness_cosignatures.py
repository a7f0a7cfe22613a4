"""witness_cosignatures: witnesses' cosignatures on the ledger's checkpoints

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "witness_cosignatures",
        sa.Column("witness_key", sa.String(length=200), nullable=False),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.Column("witness_name", sa.String(length=150), nullable=False),
        sa.Column("cosignature", sa.Text(), nullable=False),
        sa.Column("cosigned_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "witness_key", "checkpoint_size", name=op.f("pk_witness_cosignatures")
        ),
    )


def downgrade() -> None:
    op.drop_table("witness_cosignatures")
