"""Background work of the payments area: apply a stored provider event, in its own
units of work, after the webhook has answered (the outbox's ``payment_event`` task). A
late refund's email, the processing fee and a funded lot's draw are outbox rows of their
own, committed with the event's changes.

Safe to run any number of times, at once too: ``PaymentEventService.process`` applies
an event once.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.observability import business
from alot_platform.payments.models import PaymentOutcome
from alot_platform.payments.service import PaymentEventService, Processed
from alot_platform.refunds.tasks import finish_cash_refund

_log = logging.getLogger(__name__)


def process_payment_event(platform: PlatformContext, event_id: str) -> Processed | None:
    """Apply one stored event; on failure keep the error on the event and return None."""
    try:
        with contextmanager(unit_of_work)(platform.database) as session:
            processed = PaymentEventService(session, platform).process(event_id)
        if processed.outcome is PaymentOutcome.LATE_REFUND_DUE:
            # The decision is committed: the recovery point before calling Stripe.
            processed = refund_late(platform, event_id)
        elif processed.refund_in_flight is not None:
            # Stripe reports a refund of ours not recorded yet: finish it (its own
            # phases, no lock held while Stripe is asked), then apply the event.
            finish_cash_refund(platform, processed.refund_in_flight)
            with contextmanager(unit_of_work)(platform.database) as session:
                processed = PaymentEventService(session, platform).process(event_id)
    except Exception as error:  # the task's boundary: recorded, retried on redelivery
        _log.exception("payments: event %s not applied", event_id)
        business.webhook_failed(platform.payments.name, event_id, error)
        with contextmanager(unit_of_work)(platform.database) as session:
            PaymentEventService(session, platform).note_failure(event_id, error)
        return None
    if processed.outcome is not None:
        _log.info("payments: event %s -> %s", event_id, processed.outcome.value)
    # A late refund's email, the processing fee and a funded lot's draw are outbox rows
    # committed with the event: the relay runs them.
    return processed


def refund_late(platform: PlatformContext, event_id: str) -> Processed:
    """Refund a late payment in full: the request noted and committed, Stripe called with
    no transaction open and no row locked, its answer recorded in a unit of work of its
    own (payments/service.py). Raises when Stripe does not answer: the event keeps the
    error and stays due, and the next try asks Stripe again with the same key."""
    with contextmanager(unit_of_work)(platform.database) as session:
        call = PaymentEventService(session, platform).late_refund_call(event_id)
    if isinstance(call, Processed):
        return call
    provider = platform.payments
    refund = provider.refund(call.payment_id, call.amount_cents, call.idempotency_key)
    if refund.status == "pending":
        # A retried key is answered with the first answer: ask for the refund itself.
        refund = provider.refund_status(refund.refund_id)
    with contextmanager(unit_of_work)(platform.database) as session:
        return PaymentEventService(session, platform).record_late_refund(event_id, refund)


@dataclass(frozen=True)
class RetryReport:
    applied: int
    failed: int
    waiting: int = 0
    """Events waiting on Stripe (a refund of ours still pending there)."""


def retry_unprocessed_events(
    platform: PlatformContext, *, older_than_seconds: int = 60
) -> RetryReport:
    """Apply events stored but not applied (a crash, Stripe down during a late refund)."""
    before = platform.clock() - timedelta(seconds=older_than_seconds)
    with contextmanager(unit_of_work)(platform.database) as session:
        event_ids = PaymentEventService(session, platform).unprocessed(received_before=before)
    applied = failed = waiting = 0
    for event_id in event_ids:
        processed = process_payment_event(platform, event_id)
        if processed is None:
            failed += 1
        elif processed.outcome is PaymentOutcome.REFUND_IN_FLIGHT:
            waiting += 1
        elif processed.outcome is not None:
            applied += 1
    return RetryReport(applied, failed, waiting)
