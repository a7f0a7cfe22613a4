"""Background work of the payments area: apply stored provider events, each in its own
unit of work, after the webhook has answered.

In-process (FastAPI background tasks) by default; the functions take only the platform
and an event id, so a task queue can run them later. Safe to run any number of times,
at once too: ``PaymentEventService.process`` applies an event once.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.draws.tasks import run_draw_and_settle
from alot_platform.mail import OutgoingEmail
from alot_platform.money import format_cents
from alot_platform.payments.models import PaymentOutcome
from alot_platform.payments.service import LateRefundNotice, PaymentEventService, Processed
from alot_platform.users.models import User

_log = logging.getLogger(__name__)


def process_payment_event(platform: PlatformContext, event_id: str) -> Processed | None:
    """Apply one stored event; on failure keep the error on the event and return None."""
    try:
        with contextmanager(unit_of_work)(platform.database) as session:
            processed = PaymentEventService(session, platform).process(event_id)
        if processed.outcome is PaymentOutcome.LATE_REFUND_DUE:
            # The decision is committed: the recovery point before calling Stripe.
            with contextmanager(unit_of_work)(platform.database) as session:
                processed = PaymentEventService(session, platform).refund_late(event_id)
    except Exception as error:  # the task's boundary: recorded, retried on redelivery
        _log.exception("payments: event %s not applied", event_id)
        with contextmanager(unit_of_work)(platform.database) as session:
            PaymentEventService(session, platform).note_failure(event_id, error)
        return None
    if processed.outcome is not None:
        _log.info("payments: event %s -> %s", event_id, processed.outcome.value)
    if processed.late_refund is not None:
        _tell_buyer(platform, processed.late_refund)
    if processed.funded_lot_id is not None:
        run_draw_and_settle(platform, processed.funded_lot_id)
    return processed


@dataclass(frozen=True)
class RetryReport:
    applied: int
    failed: int


def retry_unprocessed_events(
    platform: PlatformContext, *, older_than_seconds: int = 60
) -> RetryReport:
    """Apply events stored but not applied (a crash, Stripe down during a late refund)."""
    before = platform.clock() - timedelta(seconds=older_than_seconds)
    with contextmanager(unit_of_work)(platform.database) as session:
        event_ids = PaymentEventService(session, platform).unprocessed(received_before=before)
    applied = failed = 0
    for event_id in event_ids:
        processed = process_payment_event(platform, event_id)
        if processed is None:
            failed += 1
        elif processed.outcome is not None:
            applied += 1
    return RetryReport(applied, failed)


def _tell_buyer(platform: PlatformContext, notice: LateRefundNotice) -> None:
    with contextmanager(unit_of_work)(platform.database) as session:
        user = session.get(User, notice.user_id)
        email = user.email if user is not None else None
    if email is None:
        return
    message = OutgoingEmail(
        to=email,
        subject="Your ALOT! payment was refunded",
        body=(
            f"Your payment of ${format_cents(notice.amount_cents)} for {notice.lot_title!r}"
            f" was refunded in full: {notice.reason}.\n"
            f"Purchase: {notice.purchase_id}\n"
        ),
    )
    try:
        platform.mailer.send(message)
    except Exception:  # the refund stands; only the courtesy email is lost
        _log.exception("payments: late-refund email for %s not sent", notice.purchase_id)
