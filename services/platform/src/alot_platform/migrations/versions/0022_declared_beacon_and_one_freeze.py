"""The beacon a lot declares when it opens, and one freeze memo per lot

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 21:00:00

`lots.beacon_chain_hash` / `lots.beacon_declared`: an alot-v2 lot declares at opening
the drand chain its draw will use, or that it has none (declared beacon-less); lots
opened before this revision stay undeclared (`beacon_declared` false).

`ux_ledger_transactions_one_draw_inputs_per_lot`: a partial unique index on the
ledger's transactions over `refs_json`'s `lot_id` where `kind = 'draw_inputs'`, so the
database refuses a second freeze memo for a lot whatever its idempotency key: the
operator cannot freeze several input sets and publish the one it likes. The ledger's
own migrations create `ledger_transactions` (alot_platform.migrate runs them first);
the ledger library knows nothing of draws, so the rule lives here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

ONE_FREEZE_INDEX = "ux_ledger_transactions_one_draw_inputs_per_lot"


def upgrade() -> None:
    with op.batch_alter_table("lots") as batch_op:
        batch_op.add_column(sa.Column("beacon_chain_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("beacon_declared", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    if op.get_bind().dialect.name == "postgresql":
        lot_id = "((refs_json::json ->> 'lot_id'))"
    else:
        lot_id = "(json_extract(refs_json, '$.lot_id'))"
    op.execute(
        f"CREATE UNIQUE INDEX {ONE_FREEZE_INDEX} ON ledger_transactions {lot_id}"
        " WHERE kind = 'draw_inputs'"
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX {ONE_FREEZE_INDEX}")
    with op.batch_alter_table("lots") as batch_op:
        batch_op.drop_column("beacon_declared")
        batch_op.drop_column("beacon_chain_hash")
