"""Purchases against the payment provider's own records: every disagreement, listed.

The platform's purchases say what it believes was paid and refunded; Stripe's payment
intents and refunds say what happened to the money. ``alot payments reconcile`` reads
both and lists where they differ (a payment applied nowhere, a refund made outside the
platform, an amount that does not match, a processing fee not posted or not the one
Stripe took), the cash refunds not finished, and the stored events a human must look
at (not applied, matching no purchase, disputes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from alot_platform.entries.models import LotEntryPurchase, PurchaseStatus
from alot_platform.payments.models import FeeStatus, PaymentFee
from alot_platform.payments.repository import PaymentRepository
from alot_platform.payments.stripe_provider import ProviderPayment, StripeProvider
from alot_platform.refunds.models import OPEN_REFUND_STATUSES, RefundRequest


@dataclass(frozen=True)
class Disagreement:
    subject: str
    """``purchase:<id>`` or ``event:<id>``."""
    problem: str
    """A stable code: paid_not_applied, amount_differs, refund_differs, ..."""
    ours: str
    theirs: str


def reconcile_payments(session: Session, provider: StripeProvider) -> list[Disagreement]:
    """Compare every Stripe purchase with Stripe's records, then list events to look at."""
    repository = PaymentRepository(session)
    found: list[Disagreement] = []
    for purchase in repository.provider_purchases(provider.name):
        fee = session.get(PaymentFee, purchase.id)
        refund = session.get(RefundRequest, purchase.id)
        found.extend(_compare(purchase, fee, refund, provider))
    for event in repository.events_needing_attention():
        if event.processed_at is None:
            found.append(
                Disagreement(
                    f"event:{event.id}",
                    "event_not_applied",
                    f"{event.type}, {event.attempts} attempt(s)",
                    event.last_error or "not tried yet",
                )
            )
        else:
            found.append(
                Disagreement(
                    f"event:{event.id}",
                    f"event_{event.outcome}",
                    f"purchase {event.purchase_id}" if event.purchase_id else "no purchase",
                    event.detail or event.type,
                )
            )
    return found


def _compare(
    purchase: LotEntryPurchase,
    fee: PaymentFee | None,
    refund: RefundRequest | None,
    provider: StripeProvider,
) -> Iterable[Disagreement]:
    subject = f"purchase:{purchase.id}"
    if purchase.provider_payment_id is None:
        yield Disagreement(subject, "no_provider_payment", purchase.status, "nothing recorded")
        return
    try:
        theirs = provider.payment(purchase.provider_payment_id)
    except Exception as error:  # Stripe unreachable or the id unknown: say so, go on
        yield Disagreement(subject, "provider_unreadable", purchase.status, str(error))
        return
    ours = _ours(purchase)
    paid = theirs.status == "succeeded"
    if purchase.status in (PurchaseStatus.PENDING.value, PurchaseStatus.FAILED.value):
        if paid:
            yield Disagreement(subject, "paid_not_applied", ours, _theirs(theirs))
        elif purchase.status == PurchaseStatus.PENDING.value and theirs.status == "session_expired":
            yield Disagreement(subject, "expiry_not_applied", ours, _theirs(theirs))
        return
    if not paid:
        yield Disagreement(subject, "not_paid_at_provider", ours, _theirs(theirs))
        return
    if theirs.amount_cents != purchase.amount_cents or theirs.currency != purchase.currency:
        yield Disagreement(subject, "amount_differs", ours, _theirs(theirs))
    refunded = purchase.refunded_cents or 0
    if purchase.status == PurchaseStatus.SUCCEEDED.value:
        refunded = 0
    if refund is not None and refund.status != "succeeded":
        # A cash refund in flight: Stripe may or may not have made it yet.
        in_flight = refund.status in OPEN_REFUND_STATUSES
        yield Disagreement(
            subject,
            "refund_unfinished" if in_flight else "refund_failed",
            f"{refund.status} {refund.amount_cents}, {refund.attempts} attempt(s)",
            refund.last_error or _theirs(theirs),
        )
        if theirs.refunded_cents in (0, refund.amount_cents):
            refunded = theirs.refunded_cents
    if theirs.refunded_cents != refunded:
        yield Disagreement(subject, "refund_differs", ours, _theirs(theirs))
    yield from _compare_fee(subject, fee, theirs)


def _compare_fee(
    subject: str, fee: PaymentFee | None, theirs: ProviderPayment
) -> Iterable[Disagreement]:
    """The fee posted for a paid purchase against the one on Stripe's balance transaction."""
    if theirs.fee_cents is None:
        return  # not published by Stripe yet: nothing to compare
    posted = fee is not None and fee.status == FeeStatus.POSTED.value
    if not posted:
        why = "no fee owed" if fee is None else f"due, {fee.attempts} attempt(s)"
        yield Disagreement(subject, "fee_not_posted", why, f"fee {theirs.fee_cents}")
    elif fee is not None and fee.fee_cents != theirs.fee_cents:
        yield Disagreement(
            subject, "fee_differs", f"fee {fee.fee_cents} posted", f"fee {theirs.fee_cents}"
        )


def _ours(purchase: LotEntryPurchase) -> str:
    refunded = f", refunded {purchase.refunded_cents}" if purchase.refunded_cents else ""
    return f"{purchase.status} {purchase.amount_cents} {purchase.currency}{refunded}"


def _theirs(payment: ProviderPayment) -> str:
    refunded = f", refunded {payment.refunded_cents}" if payment.refunded_cents else ""
    return (
        f"{payment.status} {payment.amount_cents} {payment.currency}{refunded}"
        f" ({payment.payment_intent_id or 'no payment intent'})"
    )
