"""What each outbox task does: a name, and a function of the platform and the row's
payload. The same functions run in a Celery worker (production) and in-process
(embedded, tests): there is no second code path for the logic.

Every handler is idempotent, keyed by what its row is about (a lot, a payment event):
it locks the rows it changes and does nothing unless they are in the state it moves
from, so a row run twice (a redelivery, a lease that ended, two sweeps) has its effect
once. A handler raises to be retried with backoff (``Later`` when it merely has to
wait), and its row goes dead after ALOT_TASK_MAX_ATTEMPTS failures.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from alot_platform.context import PlatformContext

Handler = Callable[[PlatformContext, dict[str, Any]], None]

_BEACON_RETRY = timedelta(seconds=10)
"""How soon a draw waiting for its drand round looks again."""
_FEE_RETRY = timedelta(minutes=1)
"""How soon a fee Stripe has not published yet is asked for again."""


def _draw(platform: PlatformContext, payload: dict[str, Any]) -> None:
    """Draw a funded lot, then settle it (every chunk); wait for an unpublished round."""
    from alot_platform.draws.tasks import run_draw_and_settle
    from alot_platform.lots.models import LotStatus
    from alot_platform.outbox.service import Later

    outcome = run_draw_and_settle(platform, uuid.UUID(payload["lot_id"]))
    if outcome.status is None:
        raise LookupError(f"no lot {payload['lot_id']}")
    if outcome.status == LotStatus.FUNDED.value:
        raise Later(platform.clock() + _BEACON_RETRY, "the drand round is not published yet")


def _payment_event(platform: PlatformContext, payload: dict[str, Any]) -> None:
    """Apply a stored payment provider event (a Stripe webhook's)."""
    from alot_platform.payments.tasks import process_payment_event

    event_id = payload["event_id"]
    if process_payment_event(platform, event_id) is None:
        raise RuntimeError(f"payment event {event_id} not applied (its error is on the event)")


def _processing_fee(platform: PlatformContext, payload: dict[str, Any]) -> None:
    """Read a paid purchase's processing fee from Stripe and post it (once)."""
    from alot_platform.outbox.service import Later
    from alot_platform.payments.fees import post_fee

    outcome = post_fee(platform, uuid.UUID(payload["purchase_id"]))
    if outcome == "not_yet_available":
        raise Later(platform.clock() + _FEE_RETRY, "Stripe has not published the fee yet")
    if outcome == "failed":
        raise RuntimeError("the fee was not read or posted (the reason is on payment_fees)")


def _credits_notifications(platform: PlatformContext, payload: dict[str, Any]) -> None:
    """Tell a settled lot's non-winners their credits, a batch at a time."""
    from alot_platform.notifications.tasks import run_credits_notifications

    run_credits_notifications(platform, payload)


def _notification_emails(platform: PlatformContext, payload: dict[str, Any]) -> None:
    """Decide the notification emails left due (an event that reached every entrant)."""
    from alot_platform.notifications.tasks import run_notification_emails

    run_notification_emails(platform, payload)


def _cash_refund(platform: PlatformContext, payload: dict[str, Any]) -> None:
    """Ask the provider for a cash refund recorded as requested, and record its answer."""
    from alot_platform.refunds.tasks import run_cash_refund

    run_cash_refund(platform, payload)


def _return_spent_credits(platform: PlatformContext, payload: dict[str, Any]) -> None:
    """Give back the credits spent in a refunding lot, chunk by chunk."""
    from alot_platform.refunds.tasks import run_return_spent_credits

    run_return_spent_credits(platform, payload)


def _host_payout(platform: PlatformContext, payload: dict[str, Any]) -> None:
    """Ask the provider for a pending host payout's transfer, and record its answer."""
    from alot_platform.payouts.tasks import run_host_payout

    run_host_payout(platform, payload)


HANDLERS: dict[str, Handler] = {
    "cash_refund": _cash_refund,
    "credits_notifications": _credits_notifications,
    "draw": _draw,
    "host_payout": _host_payout,
    "notification_emails": _notification_emails,
    "payment_event": _payment_event,
    "processing_fee": _processing_fee,
    "return_spent_credits": _return_spent_credits,
}
