"""Prize fulfillment: the notification kind of a won prize's claim, shipment, delivery,
disputes and deadlines; a prize paid in cash instead (reveals.compensated_at, cents,
reason); the index the deadline jobs read by; prizes won before it get 30 days to claim
from the upgrade

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-22 12:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_KINDS = "'won', 'credits_awarded', 'refund_available', 'refund_done', 'lot_closing'"


def upgrade() -> None:
    # Prizes won before fulfillment existed get the full claim window from now.
    # (Bound as a DateTime, so SQLite stores it in the format the models write.)
    op.get_bind().execute(
        sa.text(
            "UPDATE reveals SET claim_deadline = :deadline"
            " WHERE status = 'won' AND claim_deadline IS NULL"
        ).bindparams(sa.bindparam("deadline", type_=sa.DateTime(timezone=True))),
        {"deadline": datetime.now(UTC) + timedelta(days=30)},
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_notifications_kind"), f"kind IN ({_KINDS}, 'prize')"
        )
    with op.batch_alter_table("reveals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compensated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("compensation_cents", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("compensation_reason", sa.String(length=30), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_reveals_status_claim_deadline"), ["status", "claim_deadline"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind = 'prize'")
    with op.batch_alter_table("reveals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reveals_status_claim_deadline"))
        batch_op.drop_column("compensation_reason")
        batch_op.drop_column("compensation_cents")
        batch_op.drop_column("compensated_at")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notifications_kind"), f"kind IN ({_KINDS})")
