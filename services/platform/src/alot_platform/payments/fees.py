"""Stripe's processing fees, posted to the ledger once per paid purchase.

Stripe keeps a fee out of every payment it takes; the charge's balance transaction says
how much (``fee``, in minor units). The unit of work that applies a payment (tickets
allocated, or a late payment refunded) writes a ``payment_fees`` row ``due``; after its
commit the fee is read from Stripe (payment intent -> latest charge -> balance
transaction, expanded in one request) outside any lock, then posted and the row marked
``posted`` in one transaction (the ``processing_fee`` outbox task, written with the
row):

    payment_processing_fee   platform:cash +fee, platform:processing_fees -fee
    refs: lot, purchase, user, payment_intent, charge, balance_transaction

under the ledger idempotency key ``processing-fee:<purchase id>``, so it is posted once
whoever posts it. Stripe sometimes publishes the balance transaction later than the
payment: the fee then stays ``due`` (with ``attempts`` and why) and its task asks again
a minute later, as it does (with backoff) after Stripe was unreachable; the scheduler's
tick also posts every fee still due. The sandbox provider takes no fee
and writes no row.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from alot_ledger import Ledger, Posting
from sqlalchemy import select
from sqlalchemy.orm import Session

from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.entries.models import LotEntryPurchase
from alot_platform.ledger.accounts import PLATFORM_CASH, PROCESSING_FEES, USD
from alot_platform.outbox.service import enqueue_task
from alot_platform.payments.models import FeeStatus, PaymentFee
from alot_platform.payments.stripe_provider import ProcessingFee, StripeProvider

_log = logging.getLogger(__name__)

FeeOutcome = Literal["posted", "already_posted", "not_yet_available", "failed"]
_BATCH = 100


def record_fee_due(session: Session, purchase: LotEntryPurchase, now: datetime) -> None:
    """In the unit of work that applies a paid purchase: its fee is owed to the ledger."""
    if purchase.provider_payment_id is None or session.get(PaymentFee, purchase.id) is not None:
        return
    session.add(
        PaymentFee(
            purchase_id=purchase.id,
            provider=purchase.provider or "stripe",
            payment_intent=purchase.provider_payment_id,
            status=FeeStatus.DUE.value,
            attempts=0,
            created_at=now,
        )
    )
    # Read from Stripe and posted after this commits (alot_platform.outbox.handlers).
    enqueue_task(
        session,
        task="processing_fee",
        key=f"processing-fee:{purchase.id}",
        payload={"purchase_id": str(purchase.id)},
        now=now,
    )


def post_fee(platform: PlatformContext, purchase_id: uuid.UUID) -> FeeOutcome:
    """Read ``purchase_id``'s fee from Stripe and post it, unless it is posted already."""
    with contextmanager(unit_of_work)(platform.database) as session:
        fee = session.get(PaymentFee, purchase_id)
        if fee is None or fee.status == FeeStatus.POSTED.value:
            return "already_posted"
        payment_intent = fee.payment_intent
    provider = platform.payments
    if not isinstance(provider, StripeProvider):
        _note(platform, purchase_id, f"the provider is {provider.name!r}, not Stripe")
        return "failed"
    try:
        found = provider.processing_fee(payment_intent)  # no transaction, no lock held
    except Exception as error:
        _log.warning("payments: fee of purchase %s not read: %s", purchase_id, error)
        _note(platform, purchase_id, f"{type(error).__name__}: {error}")
        return "failed"
    if found is None:
        _note(platform, purchase_id, "Stripe has not published the balance transaction yet")
        return "not_yet_available"
    try:
        with contextmanager(unit_of_work)(platform.database) as session:
            return _post(session, platform, purchase_id, found)
    except Exception as error:
        _log.exception("payments: fee of purchase %s not posted", purchase_id)
        _note(platform, purchase_id, f"{type(error).__name__}: {error}")
        return "failed"


@dataclass(frozen=True)
class FeeReport:
    posted: int
    waiting: int
    """Fees still due: not published by Stripe yet, or Stripe unreachable."""


def post_due_fees(platform: PlatformContext, *, older_than_seconds: int = 0) -> FeeReport:
    """Post every fee still due (the tick): each read from Stripe, then posted once."""
    before = platform.clock() - timedelta(seconds=older_than_seconds)
    with contextmanager(unit_of_work)(platform.database) as session:
        due = list(
            session.scalars(
                select(PaymentFee.purchase_id)
                .where(PaymentFee.status == FeeStatus.DUE.value)
                .where(PaymentFee.created_at <= before)
                .order_by(PaymentFee.created_at)
                .limit(_BATCH)
            )
        )
    posted = waiting = 0
    for purchase_id in due:
        outcome = post_fee(platform, purchase_id)
        if outcome == "posted":
            posted += 1
        elif outcome != "already_posted":
            waiting += 1
    return FeeReport(posted, waiting)


def _post(
    session: Session, platform: PlatformContext, purchase_id: uuid.UUID, found: ProcessingFee
) -> FeeOutcome:
    fee = session.scalars(
        select(PaymentFee)
        .where(PaymentFee.purchase_id == purchase_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if fee.status == FeeStatus.POSTED.value:
        return "already_posted"
    if found.currency != USD:
        raise ValueError(
            f"Stripe's fee is in {found.currency}; the ledger holds platform cash in {USD}"
        )
    purchase = session.get(LotEntryPurchase, purchase_id)
    assert purchase is not None
    postings = []
    if found.fee_cents:
        postings = [
            Posting(PLATFORM_CASH, USD, found.fee_cents),
            Posting(PROCESSING_FEES, USD, -found.fee_cents),
        ]
    receipt = Ledger(session).post(
        "payment_processing_fee",
        postings,
        refs={
            "lot_id": str(purchase.lot_id),
            "purchase_id": str(purchase.id),
            "user_id": str(purchase.user_id),
            "payment_intent": fee.payment_intent,
            "charge": found.charge,
            "balance_transaction": found.balance_transaction,
        },
        metadata={
            "fee_cents": found.fee_cents,
            "fee_details": [{"type": kind, "amount": amount} for kind, amount in found.details],
        },
        idempotency_key=f"processing-fee:{purchase.id}",
    )
    fee.status = FeeStatus.POSTED.value
    fee.charge = found.charge
    fee.balance_transaction = found.balance_transaction
    fee.fee_cents = found.fee_cents
    fee.currency = found.currency
    fee.ledger_seq = receipt.seq
    fee.posted_at = platform.clock()
    fee.attempts += 1
    fee.last_error = None
    return "posted"


def _note(platform: PlatformContext, purchase_id: uuid.UUID, why: str) -> None:
    with contextmanager(unit_of_work)(platform.database) as session:
        fee = session.scalars(
            select(PaymentFee).where(PaymentFee.purchase_id == purchase_id).with_for_update()
        ).one_or_none()
        if fee is not None and fee.status == FeeStatus.DUE.value:
            fee.attempts += 1
            fee.last_error = why[:2000]
