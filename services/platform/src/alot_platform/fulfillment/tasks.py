"""The deadlines of prize fulfillment, run by the scheduler's tick (scheduler.py).

Each job lists what is due a batch at a time (its own unit of work), then handles each
reveal in a unit of work of its own, locking the row and checking its state again: a
job run twice at once, or a reveal changed in between, does nothing twice. Reminders
are stamped on the reveal (``details["reminders"]``) and keyed per reveal in the
notifications, so each is sent once.

- the winner is reminded ``CLAIM_REMINDERS`` days before the claim deadline;
- the shipper ``SHIP_REMINDER`` days before the ship deadline;
- a claim deadline passed: the prize is paid as its cash value (``expire_claim``);
- a ship deadline passed with nothing shipped: disputed, not received (``dispute_unshipped``);
- shipped ALOT_DELIVERY_CONFIRM_DAYS ago and not disputed: delivered (``confirm_undisputed``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.fulfillment.repository import FulfillmentRepository
from alot_platform.fulfillment.service import FulfillmentService
from alot_platform.reveals.models import Reveal, RevealStatus

_log = logging.getLogger(__name__)
BATCH = 100
CLAIM_REMINDERS = (7, 1)
"""Days before the claim deadline the winner is reminded (each once)."""
SHIP_REMINDER = 2
"""Days before the ship deadline the shipper is reminded."""


@dataclass
class DeadlineReport:
    reminders: int = 0
    claims_expired: int = 0
    shipments_overdue: int = 0
    deliveries_confirmed: int = 0
    failures: list[str] = field(default_factory=list)


def run_deadlines(platform: PlatformContext) -> DeadlineReport:
    report = DeadlineReport()
    now = platform.clock()
    day = timedelta(days=1)
    # Reminders: the nearer one only when the tick first sees a deadline that near.
    windows = [*zip(CLAIM_REMINDERS, [*CLAIM_REMINDERS[1:], 0], strict=True)]
    for days, nearer in windows:
        report.reminders += _each(
            platform,
            report,
            RevealStatus.WON,
            Reveal.claim_deadline,
            after_moment=now + nearer * day,
            through=now + days * day,
            handle=partial(_remind_claim, days=days),
        )
    report.reminders += _each(
        platform,
        report,
        RevealStatus.CLAIMED,
        Reveal.ship_deadline,
        after_moment=now,
        through=now + SHIP_REMINDER * day,
        handle=lambda s, i: s.remind_ship(i, SHIP_REMINDER),
    )
    report.claims_expired += _each(
        platform,
        report,
        RevealStatus.WON,
        Reveal.claim_deadline,
        after_moment=None,
        through=now,
        handle=lambda s, i: s.expire_claim(i),
    )
    report.shipments_overdue += _each(
        platform,
        report,
        RevealStatus.CLAIMED,
        Reveal.ship_deadline,
        after_moment=None,
        through=now,
        handle=lambda s, i: s.dispute_unshipped(i),
    )
    wait = timedelta(days=platform.settings.delivery_confirm_days)
    report.deliveries_confirmed += _each(
        platform,
        report,
        RevealStatus.SHIPPED,
        Reveal.shipped_at,
        after_moment=None,
        through=now - wait,
        handle=lambda s, i: s.confirm_undisputed(i),
    )
    return report


def _remind_claim(service: FulfillmentService, reveal_id: uuid.UUID, *, days: int) -> bool:
    return service.remind_claim(reveal_id, days)


def _each(
    platform: PlatformContext,
    report: DeadlineReport,
    status: RevealStatus,
    column: Any,
    *,
    after_moment: datetime | None,
    through: datetime,
    handle: Callable[[FulfillmentService, uuid.UUID], bool],
) -> int:
    """Handle every reveal due, a batch at a time; return how many changed."""
    changed = 0
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        with contextmanager(unit_of_work)(platform.database) as session:
            due = FulfillmentRepository(session).due(
                status,
                column,
                after_moment=after_moment,
                through=through,
                after=after,
                limit=BATCH,
            )
        for _moment, reveal_id in due:
            try:
                with contextmanager(unit_of_work)(platform.database) as session:
                    if handle(FulfillmentService(session, platform), reveal_id):
                        changed += 1
            except Exception:
                _log.exception("fulfillment: %s of reveal %s failed", status.value, reveal_id)
                report.failures.append(f"fulfillment ({status.value}) of reveal {reveal_id}")
        if len(due) < BATCH:
            return changed
        after = due[-1]
