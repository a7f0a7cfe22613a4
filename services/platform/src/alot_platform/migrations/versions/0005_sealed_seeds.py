"""lots.server_seed -> lots.server_seed_sealed: undrawn server seeds sealed at rest

A dump, replica or backup of the database showed every open lot's server seed, and
with it the lot's outcome. The column is renamed and widened for the sealed form and
every seed stored in the clear is sealed (security.crypto.SeedSealer) with the keys
the platform runs with: `alot migrate` hands its settings to this migration; a bare
`alembic upgrade` reads them from the ALOT_* environment. Drawn lots' seeds are public
already and are sealed too, so the column holds one form. Sealing looks at each value
and seals only plaintext ones, so the step can run again without harm.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 22:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import context, op

if TYPE_CHECKING:
    from alot_platform.security.crypto import SeedSealer

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_lots = sa.table(
    "lots",
    sa.column("id", sa.Uuid()),
    sa.column("server_seed_sealed", sa.String(255)),
)


def _sealer() -> SeedSealer:
    # Imported here: the platform's key handling, as the running app uses it.
    from alot_platform.config import Settings
    from alot_platform.keys import load_keys
    from alot_platform.security.crypto import SeedSealer

    settings = context.config.attributes.get("settings") or Settings()
    return SeedSealer(load_keys(settings).seed_sealing)


def upgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.alter_column(
            "server_seed",
            new_column_name="server_seed_sealed",
            existing_type=sa.String(length=64),
            type_=sa.String(length=255),
            existing_nullable=True,
        )
    seal_plaintext_seeds(op.get_bind())


def seal_plaintext_seeds(connection: sa.Connection) -> int:
    """Seal every server seed still stored in the clear; return how many were sealed."""
    from alot_platform.security.crypto import is_plaintext_seed

    rows = connection.execute(
        sa.select(_lots.c.id, _lots.c.server_seed_sealed).where(
            _lots.c.server_seed_sealed.is_not(None)
        )
    ).all()
    plaintext = [(lot_id, stored) for lot_id, stored in rows if is_plaintext_seed(stored)]
    if not plaintext:
        return 0
    sealer = _sealer()
    for lot_id, seed in plaintext:
        connection.execute(
            _lots.update()
            .where(_lots.c.id == lot_id)
            .values(server_seed_sealed=sealer.seal(seed, lot_id))
        )
    return len(plaintext)


def downgrade() -> None:
    from alot_platform.security.crypto import is_plaintext_seed

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_lots.c.id, _lots.c.server_seed_sealed).where(
            _lots.c.server_seed_sealed.is_not(None)
        )
    ).all()
    sealed = [(lot_id, stored) for lot_id, stored in rows if not is_plaintext_seed(stored)]
    if sealed:
        sealer = _sealer()
        for lot_id, stored in sealed:
            connection.execute(
                _lots.update()
                .where(_lots.c.id == lot_id)
                .values(server_seed_sealed=sealer.unseal(stored, lot_id))
            )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.alter_column(
            "server_seed_sealed",
            new_column_name="server_seed",
            existing_type=sa.String(length=255),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
