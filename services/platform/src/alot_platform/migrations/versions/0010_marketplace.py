"""The marketplace: hosts, host lots (commission, review, private access), and the
fulfillment columns and statuses of reveals

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-21 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hosts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("logo_url", sa.String(length=500), nullable=True),
        sa.Column("website_url", sa.String(length=500), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("business_details", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.Uuid(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("commission_bps", sa.Integer(), nullable=False),
        sa.Column("stripe_connect_account_id", sa.String(length=255), nullable=True),
        sa.Column("payouts_enabled", sa.Boolean(), nullable=False),
        sa.Column("total_lots_created", sa.Integer(), nullable=False),
        sa.Column("total_lots_funded", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'suspended')",
            name=op.f("ck_hosts_status"),
        ),
        sa.CheckConstraint(
            "commission_bps BETWEEN 0 AND 10000", name=op.f("ck_hosts_commission_bps")
        ),
        sa.CheckConstraint(
            "total_lots_created >= 0 AND total_lots_funded >= 0", name=op.f("ck_hosts_totals")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_hosts_reviewed_by_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_hosts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hosts")),
        sa.UniqueConstraint("user_id", name=op.f("uq_hosts_user_id")),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("commission_bps", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("review_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("review_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("access_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("invite_code_hmac", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_lots_host_id"), ["host_id"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_lots_access_token"), ["access_token"])
        batch_op.create_foreign_key(
            batch_op.f("fk_lots_host_id_hosts"), "hosts", ["host_id"], ["id"]
        )
        batch_op.create_check_constraint(
            op.f("ck_lots_commission_bps"),
            "commission_bps IS NULL OR commission_bps BETWEEN 0 AND 10000",
        )
        batch_op.create_check_constraint(
            op.f("ck_lots_review_status"),
            "review_status IS NULL"
            " OR review_status IN ('draft', 'pending', 'rejected', 'approved')",
        )

    with op.batch_alter_table("product_classes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_product_classes_host_id"), ["host_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_product_classes_host_id_hosts"), "hosts", ["host_id"], ["id"]
        )

    with op.batch_alter_table("reveals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_deadline", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ship_deadline", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("shipping_carrier", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("delivery_confirmed_by", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dispute_reason", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("dispute_details", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("dispute_resolved_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("dispute_resolution", sa.String(length=20), nullable=True))
        batch_op.drop_constraint(op.f("ck_reveals_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_reveals_status"),
            "status IN ('pending', 'lost', 'won', 'claimed', 'shipped',"
            " 'delivered', 'disputed', 'refunded')",
        )


def downgrade() -> None:
    op.execute("UPDATE reveals SET status = 'shipped' WHERE status IN ('delivered', 'disputed')")
    with op.batch_alter_table("reveals", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_reveals_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_reveals_status"),
            "status IN ('pending', 'lost', 'won', 'claimed', 'shipped', 'refunded')",
        )
        batch_op.drop_column("dispute_resolution")
        batch_op.drop_column("dispute_resolved_at")
        batch_op.drop_column("dispute_details")
        batch_op.drop_column("dispute_reason")
        batch_op.drop_column("disputed_at")
        batch_op.drop_column("delivery_confirmed_by")
        batch_op.drop_column("shipping_carrier")
        batch_op.drop_column("ship_deadline")
        batch_op.drop_column("claim_deadline")

    with op.batch_alter_table("product_classes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_product_classes_host_id_hosts"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_product_classes_host_id"))
        batch_op.drop_column("host_id")

    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_lots_review_status"), type_="check")
        batch_op.drop_constraint(op.f("ck_lots_commission_bps"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_lots_host_id_hosts"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_lots_access_token"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_lots_host_id"))
        batch_op.drop_column("invite_code_hmac")
        batch_op.drop_column("access_token")
        batch_op.drop_column("review_reason")
        batch_op.drop_column("review_status")
        batch_op.drop_column("commission_bps")
        batch_op.drop_column("host_id")

    op.drop_table("hosts")
