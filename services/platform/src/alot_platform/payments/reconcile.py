"""Purchases against the payment provider's own records: every disagreement, listed.

The platform's purchases say what it believes was paid and refunded; Stripe's payment
intents and refunds say what happened to the money. ``alot payments reconcile`` reads
both and lists where they differ (a payment applied nowhere, a refund made outside the
platform, an amount that does not match, a processing fee not posted or not the one
Stripe took), the cash refunds not finished, and the stored events a human must look
at (not applied, matching no purchase, disputes).

Host payouts too (payouts/): every paid payout has its transfer at Stripe, to the same
account, for the same amount, not reversed, and its ``host_payout`` in the ledger; every
transfer Stripe lists (since ``transfers_since``, or all) is a paid payout's; every
``host_payout`` in the ledger is a paid payout's; payouts still pending or failed are
listed for a human.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from alot_ledger.tables import transactions as ledger_transactions
from sqlalchemy import select
from sqlalchemy.orm import Session

from alot_platform.entries.models import LotEntryPurchase, PurchaseStatus
from alot_platform.observability import business
from alot_platform.payments.models import FeeStatus, PaymentFee
from alot_platform.payments.repository import PaymentRepository
from alot_platform.payments.stripe_provider import ProviderPayment, StripeProvider
from alot_platform.payouts.models import HostPayout, PayoutStatus
from alot_platform.payouts.service import HOST_PAYOUT
from alot_platform.refunds.models import OPEN_REFUND_STATUSES, RefundRequest


@dataclass(frozen=True)
class Disagreement:
    subject: str
    """``purchase:<id>``, ``event:<id>``, ``payout:<id>`` or ``transfer:<id>``."""
    problem: str
    """A stable code: paid_not_applied, amount_differs, refund_differs, ..."""
    ours: str
    theirs: str


def reconcile_payments(
    session: Session, provider: StripeProvider, *, transfers_since: int | None = None
) -> list[Disagreement]:
    """Compare every Stripe purchase with Stripe's records, list events to look at, then
    compare host payouts with Stripe's transfers (``reconcile_transfers``)."""
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
    found.extend(reconcile_transfers(session, provider, since=transfers_since))
    business.reconciled("payments", len(found))  # the gauge the reconciliation alert reads
    return found


def reconcile_transfers(
    session: Session, provider: StripeProvider, *, since: int | None = None
) -> list[Disagreement]:
    """Host payouts against Stripe's transfers and the ledger (see the module docstring)."""
    found: list[Disagreement] = []
    payouts = list(session.scalars(select(HostPayout).order_by(HostPayout.created_at)))
    by_transfer = {p.stripe_transfer_id: p for p in payouts if p.stripe_transfer_id}
    posted: dict[str, str] = {}  # payout id -> transfer id, from the ledger's host_payout
    for (refs_json,) in session.execute(
        select(ledger_transactions.c.refs_json).where(ledger_transactions.c.kind == HOST_PAYOUT)
    ):
        refs = json.loads(refs_json)
        posted[str(refs.get("payout_id"))] = str(refs.get("stripe_transfer_id"))
    for payout in payouts:
        subject = f"payout:{payout.id}"
        ours = f"{payout.status} {payout.amount_cents} {payout.currency} to {payout.destination}"
        if payout.status == PayoutStatus.PENDING.value:
            found.append(
                Disagreement(
                    subject,
                    "payout_unfinished",
                    f"{ours}, {payout.attempts} attempt(s)",
                    payout.last_error or "not asked yet",
                )
            )
            continue
        if payout.status == PayoutStatus.FAILED.value:
            found.append(Disagreement(subject, "payout_failed", ours, payout.last_error or ""))
            continue
        assert payout.stripe_transfer_id is not None
        if posted.get(str(payout.id)) != payout.stripe_transfer_id:
            found.append(
                Disagreement(subject, "payout_not_in_ledger", ours, payout.stripe_transfer_id)
            )
        try:
            theirs = provider.transfer_record(payout.stripe_transfer_id)
        except Exception as error:  # unknown at Stripe, or Stripe unreachable: say so
            found.append(Disagreement(subject, "transfer_unreadable", ours, str(error)))
            continue
        seen = (
            f"{theirs.amount_cents} {theirs.currency} to {theirs.destination}"
            f" ({theirs.transfer_id}"
            + (f", reversed {theirs.reversed_cents})" if theirs.reversed_cents else ")")
        )
        if (
            theirs.amount_cents != payout.amount_cents
            or theirs.currency != payout.currency
            or theirs.destination != payout.destination
        ):
            found.append(Disagreement(subject, "transfer_differs", ours, seen))
        if theirs.reversed_cents:
            found.append(Disagreement(subject, "transfer_reversed", ours, seen))
    paid = {str(p.id) for p in payouts if p.status == PayoutStatus.PAID.value}
    for payout_id, transfer_id in posted.items():
        if payout_id not in paid:
            found.append(
                Disagreement(
                    f"payout:{payout_id}",
                    "ledger_without_payout",
                    "host_payout posted",
                    transfer_id,
                )
            )
    try:
        transfers = provider.transfers(created_from=since)
    except Exception as error:
        found.append(Disagreement("transfers", "transfers_unreadable", "", str(error)))
        return found
    for transfer in transfers:
        if transfer.transfer_id in by_transfer:
            continue
        claimed = transfer.metadata.get("payout_id")
        found.append(
            Disagreement(
                f"transfer:{transfer.transfer_id}",
                "transfer_not_recorded" if claimed else "transfer_without_payout",
                f"payout {claimed} has no such transfer" if claimed else "no payout",
                f"{transfer.amount_cents} {transfer.currency} to {transfer.destination}",
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
