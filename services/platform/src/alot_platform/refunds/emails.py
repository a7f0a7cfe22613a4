"""The emails of an expired lot's refunds, written to the outbox in the refund's own
transaction (alot_platform/outbox): one exists exactly when the change it reports was
committed, and each has a key so that it is written once however often the work runs.

- ``refund-choice:<lot id>:<user id>``: when refunds start, one email per buyer of the
  lot: each cash purchase with both offers (98% in cash, 1.5x in credits), the date to
  choose by, and a link to the purchase's refund page; credits spent coming back.
- ``refund-done:<purchase id>``: a purchase refunded in cash (chosen, or sent after the
  date) or converted to credits. Credits spent come back when refunds start, which the
  first email already says: they get no second one.

Times are written in UTC (``2026-03-16 12:00 UTC``), as the refund page shows them too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from alot_platform.context import PlatformContext
from alot_platform.entries.models import LotEntryPurchase, PaymentMethod, RefundChoice
from alot_platform.lots.models import Lot
from alot_platform.money import format_cents, percent_of
from alot_platform.outbox.service import enqueue

CASH_REFUND_PERCENT = 98
"""A cash refund returns 98% of what was paid; the rest covers the payment fees."""
CREDIT_CONVERSION_PERCENT = 150
"""Choosing credits instead returns 1.5x the amount paid (in cents) as credits."""


def choice_key(lot_id: uuid.UUID, user_id: uuid.UUID) -> str:
    return f"refund-choice:{lot_id}:{user_id}"


def done_key(purchase_id: uuid.UUID) -> str:
    return f"refund-done:{purchase_id}"


def utc_minute(moment: datetime) -> str:
    """``2026-03-16 12:00 UTC``: the form the emails and the refund page share."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def refund_page(platform: PlatformContext, purchase_id: uuid.UUID) -> str:
    """The web client's refund page of a purchase (where the buyer chooses)."""
    return f"{platform.settings.public_url.rstrip('/')}/purchases/{purchase_id}/refund"


def enqueue_choice(
    session: Session,
    platform: PlatformContext,
    lot: Lot,
    user_id: uuid.UUID,
    purchases: Sequence[LotEntryPurchase],
    now: datetime,
) -> None:
    """Tell one buyer that ``lot``'s refunds started: what to choose for each cash
    purchase, by when, and the credits spent that come back by themselves."""
    assert lot.refund_choice_deadline is not None
    deadline = utc_minute(lot.refund_choice_deadline)
    cash = [p for p in purchases if p.method == PaymentMethod.CASH.value]
    spent = sum(p.credits_spent for p in purchases if p.method == PaymentMethod.CREDITS.value)
    lines = [
        f"{lot.title!r} did not reach its target by its deadline, so it will not be drawn:"
        " what you paid comes back to you.",
        "",
    ]
    if cash:
        lines += [
            f"Choose how to be refunded by {deadline}, for each purchase below: 98% back in"
            " cash to your card, or 1.5 x what you paid as credits. Without a choice by then,"
            " you get the cash refund automatically. A choice is final.",
            "",
        ]
        for purchase in cash:
            offer_cash = percent_of(purchase.amount_cents, CASH_REFUND_PERCENT)
            offer_credits = percent_of(purchase.amount_cents, CREDIT_CONVERSION_PERCENT)
            lines += [
                f"- {purchase.tickets} ticket(s) for ${format_cents(purchase.amount_cents)}:"
                f" ${format_cents(offer_cash)} in cash, or {offer_credits} credits",
                f"  choose here: {refund_page(platform, purchase.id)}",
            ]
        lines.append("")
    if spent:
        lines += [
            f"The {spent} credits you spent on it come back to your balance (1:1), with"
            " nothing to choose.",
            "",
        ]
    lines.append(f"Lot: {lot.id}")
    subject = (
        f"Choose your refund for {lot.title} by {deadline}"
        if cash
        else f"Your credits for {lot.title} are coming back"
    )
    enqueue(
        session,
        key=choice_key(lot.id, user_id),
        user_id=user_id,
        subject=subject[:255],
        body="\n".join(lines) + "\n",
        now=now,
    )


def enqueue_done(
    session: Session,
    platform: PlatformContext,
    lot: Lot,
    purchase: LotEntryPurchase,
    now: datetime,
) -> None:
    """Tell the buyer that ``purchase`` is refunded, and how."""
    paid = format_cents(purchase.amount_cents)
    if purchase.refund_choice == RefundChoice.CREDITS.value:
        what = (
            f"{purchase.refunded_credits or 0} credits were added to your balance (1.5 x ${paid})"
        )
    else:
        back = format_cents(purchase.refunded_cents or 0)
        what = (
            f"${back} was refunded to your card (98% of ${paid}); it can take a few days to"
            " show on your statement"
        )
    enqueue(
        session,
        key=done_key(purchase.id),
        user_id=purchase.user_id,
        subject=f"Your refund for {lot.title} is done"[:255],
        body=(
            f"Your purchase of {purchase.tickets} ticket(s) in {lot.title!r} is refunded: {what}.\n"
            f"Details: {refund_page(platform, purchase.id)}\n"
            f"Purchase: {purchase.id}\n"
        ),
        now=now,
    )
