"""play_settings: spend limits, time-out and self-exclusion, reality checks

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "play_settings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("daily_limit_cents", sa.BigInteger(), nullable=True),
        sa.Column("weekly_limit_cents", sa.BigInteger(), nullable=True),
        sa.Column("monthly_limit_cents", sa.BigInteger(), nullable=True),
        sa.Column("pending_daily_cents", sa.BigInteger(), nullable=True),
        sa.Column("pending_daily_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_weekly_cents", sa.BigInteger(), nullable=True),
        sa.Column("pending_weekly_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_monthly_cents", sa.BigInteger(), nullable=True),
        sa.Column("pending_monthly_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("excluded_kind", sa.String(length=20), nullable=True),
        sa.Column("excluded_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("excluded_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reality_check_minutes", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "excluded_kind IS NULL OR excluded_kind IN ('time_out', 'self_exclusion')",
            name=op.f("ck_play_settings_excluded_kind"),
        ),
        sa.CheckConstraint(
            "(daily_limit_cents IS NULL OR daily_limit_cents > 0)"
            " AND (weekly_limit_cents IS NULL OR weekly_limit_cents > 0)"
            " AND (monthly_limit_cents IS NULL OR monthly_limit_cents > 0)",
            name=op.f("ck_play_settings_limits_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_play_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_play_settings")),
    )


def downgrade() -> None:
    op.drop_table("play_settings")
