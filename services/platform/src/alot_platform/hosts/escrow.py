"""A host lot's money in the ledger: the split at settlement, then escrow until delivery.

The rule (docs/platform/marketplace.md):

- A host lot's *funded value* is its cash plus the credits spent on it (1 credit = 1
  cent, as for funding). ALOT!'s commission is ``funded * commission_bps // 10000``
  (rounded down, in the host's favour); the host's share is the rest.
- At settlement the share moves to ``host:<id>:held`` and the commission stays with the
  platform (``platform:revenue``). The escrow's cash pays the share first; when credits
  paid for more of the lot than the commission covers, the platform pays the difference
  from its revenue, because a credit is the platform's promise, not the host's.
- The credits that non-winners earn are issued by the platform and funded from its
  commission: a host lot is refused at creation unless its commission is at least its
  credit rate (``commission_bps >= non_winner_credit_rate_percent * 100``), so the
  credits issued (at most the rate times the funded value) never exceed the commission.
- Delivery releases the share: ``host:<id>:held`` -> ``host:<id>:payable``, which payouts
  (Stripe Connect transfers) draw down.
- A prize that never arrives (a dispute resolved for the winner, or a host that does not
  ship) compensates the winner with the prize's stated retail value in cash, owed on
  ``user:<id>:payable``: from the held share first, from platform revenue for any
  shortfall; any part of the share left over goes to platform revenue. The host is not
  paid.

Every function here posts in the caller's unit of work and is idempotent per lot.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from alot_ledger import Ledger, Posting, Receipt
from sqlalchemy.orm import Session

from alot_platform.ledger.accounts import (
    PLATFORM_REVENUE,
    USD,
    host_held,
    host_payable,
    lot_escrow,
    user_payable,
)
from alot_platform.lots.models import Lot

HOST_RELEASE = "host_release"
WINNER_COMPENSATION = "winner_compensation"
BPS = 10_000


@dataclass(frozen=True, slots=True)
class Split:
    """A host lot's funded value divided between ALOT! and the host, in cents."""

    funded_cents: int
    commission_cents: int
    host_share_cents: int


def split(funded_cents: int, commission_bps: int) -> Split:
    if funded_cents < 0 or not 0 <= commission_bps <= BPS:
        raise ValueError("funded value and commission must be in range")
    commission = funded_cents * commission_bps // BPS
    return Split(funded_cents, commission, funded_cents - commission)


def lot_split(lot: Lot) -> Split:
    if lot.host_id is None or lot.commission_bps is None:
        raise ValueError(f"lot {lot.id} is not a host lot")
    return split(lot.funded_cents, lot.commission_bps)


def commission_funds_credits(commission_bps: int, credit_rate_percent: int) -> bool:
    """True when the commission can fund the credits non-winners earn at this rate."""
    return commission_bps >= credit_rate_percent * 100


def settlement_postings(lot: Lot) -> list[Posting]:
    """The USD postings that settle a lot's cash: all to revenue, or split for a host."""
    escrow = lot_escrow(lot.id)
    if lot.host_id is None:
        return _move(escrow, PLATFORM_REVENUE, lot.cash_cents)
    share = lot_split(lot).host_share_cents
    held = host_held(lot.host_id)
    from_escrow = min(share, lot.cash_cents)
    return _net(
        [
            *_move(escrow, held, from_escrow),
            *_move(PLATFORM_REVENUE, held, share - from_escrow),
            *_move(escrow, PLATFORM_REVENUE, lot.cash_cents - from_escrow),
        ]
    )


def release_to_host(session: Session, lot: Lot, *, reason: str) -> Receipt | None:
    """The prize arrived (or a dispute went the host's way): held -> payable."""
    share = lot_split(lot).host_share_cents
    assert lot.host_id is not None
    if share == 0:
        return None
    return Ledger(session).post(
        HOST_RELEASE,
        _move(host_held(lot.host_id), host_payable(lot.host_id), share),
        refs={"lot_id": str(lot.id), "host_id": str(lot.host_id)},
        metadata={"host_share_cents": share, "reason": reason},
        idempotency_key=f"{HOST_RELEASE}:{lot.id}",
    )


def compensate_winner(session: Session, lot: Lot, winner_id: uuid.UUID, *, reason: str) -> Receipt:
    """The prize never came: the winner is owed its retail value, the host nothing.

    For a host lot the held share pays first and the platform's revenue any shortfall;
    for a platform lot the platform pays it all from revenue."""
    value = lot.product_class.retail_value_cents
    refs = {"lot_id": str(lot.id), "user_id": str(winner_id)}
    share = from_held = 0
    if lot.host_id is None:
        postings = _move(PLATFORM_REVENUE, user_payable(winner_id), value)
    else:
        refs["host_id"] = str(lot.host_id)
        share = lot_split(lot).host_share_cents
        held = host_held(lot.host_id)
        from_held = min(share, value)
        postings = _net(
            [
                *_move(held, user_payable(winner_id), from_held),
                *_move(PLATFORM_REVENUE, user_payable(winner_id), value - from_held),
                *_move(held, PLATFORM_REVENUE, share - from_held),
            ]
        )
    return Ledger(session).post(
        WINNER_COMPENSATION,
        postings,
        refs=refs,
        metadata={
            "compensation_cents": value,
            "from_held_cents": from_held,
            "host_share_cents": share,
            "reason": reason,
        },
        idempotency_key=f"{WINNER_COMPENSATION}:{lot.id}",
    )


def _move(source: str, destination: str, amount: int) -> list[Posting]:
    """A USD transfer's two postings, or none for zero (the ledger refuses zeros)."""
    if amount == 0:
        return []
    return [Posting(source, USD, -amount), Posting(destination, USD, amount)]


def _net(postings: list[Posting]) -> list[Posting]:
    """One posting per account (the ledger refuses two on one account and asset)."""
    totals: dict[tuple[str, str], int] = {}
    for p in postings:
        totals[(p.account, p.asset)] = totals.get((p.account, p.asset), 0) + p.amount
    return [Posting(a, asset, n) for (a, asset), n in sorted(totals.items()) if n != 0]
