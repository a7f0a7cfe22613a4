"""Pseudonymous holders: a secret per user, a per-lot pseudonym per entry

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 01:30:00

`users.holder_secret`: 32 random bytes per user, the key of their holder pseudonyms
(`alot_verify.draw.holder_pseudonym(secret, lot_id)`, one per user and lot). Existing
users get theirs here, one `os.urandom(32)` per row, before the column becomes NOT
NULL; the model gives every new user one. The secret is never shown to anyone: it only
keeps a player's pseudonyms in different lots unlinkable.

`lots.pseudonymous_holders`: whether the lot's ticket map names holders by pseudonym.
Lots that exist now keep naming them by user id (false: their frozen inputs and proofs
stay byte-for-byte as they are); LotService sets it for every lot created from now on.

`lot_entries.holder`: the entry's holder pseudonym on such a lot (null on a lot with
named holders).
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

HOLDER_SECRET_BYTES = 32


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("holder_secret", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Uuid()), sa.column("holder_secret"))
    ids = connection.execute(sa.select(users.c.id)).scalars().all()
    if ids:
        # One secret per user, each its own random draw (a shared one would link lots).
        connection.execute(
            sa.update(users)
            .where(users.c.id == sa.bindparam("user_id"))
            .values(holder_secret=sa.bindparam("secret")),
            [{"user_id": i, "secret": os.urandom(HOLDER_SECRET_BYTES)} for i in ids],
        )
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("holder_secret", existing_type=sa.LargeBinary(), nullable=False)

    with op.batch_alter_table("lots") as batch_op:
        batch_op.add_column(
            sa.Column(
                "pseudonymous_holders", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("lot_entries") as batch_op:
        batch_op.add_column(sa.Column("holder", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lot_entries") as batch_op:
        batch_op.drop_column("holder")
    with op.batch_alter_table("lots") as batch_op:
        batch_op.drop_column("pseudonymous_holders")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("holder_secret")
