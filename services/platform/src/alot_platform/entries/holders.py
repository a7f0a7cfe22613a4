"""Holder pseudonyms: how a lot's public ticket map names the holder of each entry.

On a lot with pseudonymous holders, an entry's holder is
``alot_verify.draw.holder_pseudonym(user.holder_secret, lot_id)`` (docs/spec/draw.md):
the same for every entry of one player in one lot, so a player finds all their tickets
in the proof under the pseudonym their receipt shows, and unrelated between lots, so
nobody links a player across lots from the proofs. Only the platform, which holds the
secret, and an auditor with the ledger export (``refs.holder`` next to ``refs.user_id``)
can tie a pseudonym to an account.
"""

from __future__ import annotations

from alot_verify.draw import holder_pseudonym

from alot_platform.lots.models import Lot


def entry_holder(lot: Lot, holder_secret: bytes) -> str | None:
    """The holder pseudonym of an entry in ``lot`` by the user with ``holder_secret``;
    None on a lot that names holders by user id (created before pseudonyms)."""
    if not lot.pseudonymous_holders:
        return None
    return holder_pseudonym(holder_secret, str(lot.id))


def holder_refs(holder: str | None) -> dict[str, str]:
    """The ledger refs naming an entry's holder: ``refs.holder`` on a pseudonymous lot
    (next to ``refs.user_id``, so an auditor with the export ties the two), none else."""
    return {} if holder is None else {"holder": holder}
