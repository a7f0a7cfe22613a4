"""outbox.traceparent: the W3C trace context of the span that wrote a row, so that its
runs are spans of the same trace

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("traceparent", sa.String(length=55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("traceparent")
