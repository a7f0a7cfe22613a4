"""lottery_draws.settled_through_ticket (settlement in committed chunks, resumable),
and the indexes the cleanup job reads by (token expiry, session age)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-20 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lottery_draws", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("settled_through_ticket", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_sessions_created_at"), ["created_at"])
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refresh_tokens_expires_at"), ["expires_at"])
    with op.batch_alter_table("one_time_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_one_time_tokens_expires_at"), ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("one_time_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_one_time_tokens_expires_at"))
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_expires_at"))
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_created_at"))
    with op.batch_alter_table("lottery_draws", schema=None) as batch_op:
        batch_op.drop_column("settled_through_ticket")
