"""terms_acceptances (who accepted which terms and privacy notice version, when) and
users.country (the country a player declared at registration)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "terms_acceptances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("document", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "document IN ('terms', 'privacy')", name=op.f("ck_terms_acceptances_document")
        ),
        sa.CheckConstraint(
            "source IN ('registration', 'player', 'operator')",
            name=op.f("ck_terms_acceptances_source"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_terms_acceptances_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_acceptances")),
        sa.UniqueConstraint(
            "user_id", "document", "version", name=op.f("uq_terms_acceptances_user_id")
        ),
    )
    op.create_index(
        op.f("ix_terms_acceptances_user_id"), "terms_acceptances", ["user_id"], unique=False
    )
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("country")
    op.drop_index(op.f("ix_terms_acceptances_user_id"), table_name="terms_acceptances")
    op.drop_table("terms_acceptances")
