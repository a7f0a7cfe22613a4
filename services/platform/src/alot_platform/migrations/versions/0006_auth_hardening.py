"""refresh_tokens remember their rotation (a reuse grace window), outbox_emails may be
addressed to an email address resolved when sending (no enumeration by timing),
reserved_usernames (registering spends the username whether or not the email was taken)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reserved_usernames",
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_reserved_usernames")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rotated_to_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("rotated_access_id", sa.Uuid(), nullable=True))
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
        batch_op.alter_column("user_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_outbox_emails_has_recipient"),
            "user_id IS NOT NULL OR address IS NOT NULL OR status = 'dropped'",
        )


def downgrade() -> None:
    # Messages to an unresolved address have no user to keep them for.
    op.execute("DELETE FROM outbox_emails WHERE user_id IS NULL")
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_emails_has_recipient"), type_="check")
        batch_op.alter_column("user_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("kind")
        batch_op.drop_column("address")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_column("rotated_access_id")
        batch_op.drop_column("rotated_to_id")
    op.drop_table("reserved_usernames")
