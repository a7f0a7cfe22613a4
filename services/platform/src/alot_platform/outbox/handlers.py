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


HANDLERS: dict[str, Handler] = {
    "draw": _draw,
    "payment_event": _payment_event,
}
