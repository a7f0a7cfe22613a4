"""Background work of notifications: queue the emails left due, and remind players.

Both drain everything there is to do, in batches that are each their own unit of work,
and are safe to run twice at once (two ticks, two beats): emails are claimed with row
locks (others' rows skipped) and each notification's email is decided once; reminders
are keyed per lot and player, so a second run writes none of the first's again.

``run_notification_emails`` and ``run_reminders`` take the task shape of the outbox
(``platform, payload``): the scheduler's tick calls the plain functions.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select

from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.draws.models import LotteryDraw
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.notifications.models import NotificationKind
from alot_platform.notifications.repository import NotificationRepository
from alot_platform.notifications.service import Notice, notify_credits, notify_many, queue_email

_log = logging.getLogger(__name__)

EMAIL_BATCH = 200
LOT_BATCH = 100
PLAYER_BATCH = 500
REMIND_BEFORE = timedelta(hours=24)
"""A lot closing within this is "about to close"."""
NEARLY_FUNDED_PERCENT = 90


def send_due_emails(platform: PlatformContext) -> int:
    """Queue in the outbox (or skip, per preference) every notification email still
    due; return how many were decided."""
    decided = 0
    while True:
        with contextmanager(unit_of_work)(platform.database) as session:
            repository = NotificationRepository(session)
            batch = repository.lock_email_due(limit=EMAIL_BATCH)
            preferences = repository.preferences_of([row.user_id for row in batch])
            now = platform.clock()
            for row in batch:
                queue_email(session, platform, row, preferences.get(row.user_id), now)
        decided += len(batch)
        if len(batch) < EMAIL_BATCH:
            return decided


def send_reminders(platform: PlatformContext) -> int:
    """Remind every entrant of every open lot that is 90% funded or closes within 24
    hours, once per lot and player; return how many reminders were written."""
    written = 0
    after_lot: uuid.UUID | None = None
    while True:
        now = platform.clock()
        with contextmanager(unit_of_work)(platform.database) as session:
            lots = NotificationRepository(session).lots_to_remind(
                closing_before=now + REMIND_BEFORE, now=now, after=after_lot, limit=LOT_BATCH
            )
            due = [
                (
                    lot.id,
                    {
                        "lot_id": str(lot.id),
                        "lot_title": lot.title,
                        "deadline": lot.deadline.isoformat(),
                        "funded_percent": min(
                            lot.funded_cents * 100 // lot.funding_target_cents, 100
                        ),
                        "reason": "nearly_funded"
                        if lot.funded_cents * 100
                        >= lot.funding_target_cents * NEARLY_FUNDED_PERCENT
                        else "closing_soon",
                    },
                )
                for lot in lots
            ]
        for lot_id, facts in due:
            written += _remind_entrants(platform, lot_id, facts)
        if len(lots) < LOT_BATCH:
            return written
        after_lot = lots[-1].id


def _remind_entrants(platform: PlatformContext, lot_id: uuid.UUID, facts: dict[str, object]) -> int:
    key = f"reminder:{lot_id}"
    written = 0
    after: uuid.UUID | None = None
    while True:
        with contextmanager(unit_of_work)(platform.database) as session:
            players = NotificationRepository(session).entrants_not_notified(
                lot_id, key, after=after, limit=PLAYER_BATCH
            )
            written += len(
                notify_many(
                    session,
                    NotificationKind.LOT_CLOSING,
                    [Notice(player, key, dict(facts)) for player in players],
                    platform.clock(),
                )
            )
        if len(players) < PLAYER_BATCH:
            return written
        after = players[-1]


def run_credits_notifications(platform: PlatformContext, payload: dict[str, str]) -> None:
    """Task: tell every non-winner of a settled lot their credits, ``PLAYER_BATCH`` per
    committed unit of work (resumable: a batch done twice notifies nobody twice), then
    queue the emails that are due."""
    lot_id = uuid.UUID(payload["lot_id"])
    after: uuid.UUID | None = None
    while True:
        with contextmanager(unit_of_work)(platform.database) as session:
            lot = session.get(Lot, lot_id)
            draw = session.scalars(
                select(LotteryDraw).where(LotteryDraw.lot_id == lot_id)
            ).one_or_none()
            if lot is None or draw is None or lot.status != LotStatus.SETTLED.value:
                raise LookupError(f"no settled lot {lot_id}")
            after = notify_credits(session, platform, lot, draw, after=after, limit=PLAYER_BATCH)
        if after is None:
            break
    send_due_emails(platform)


def run_notification_emails(platform: PlatformContext, payload: dict[str, str]) -> None:
    """Task: queue the notification emails that are due (payload unused)."""
    count = send_due_emails(platform)
    if count:
        _log.info("notifications: %d email(s) decided", count)


def run_reminders(platform: PlatformContext, payload: dict[str, str]) -> None:
    """Task: write the reminders that are due, then queue their emails (payload unused)."""
    count = send_reminders(platform)
    if count:
        _log.info("notifications: %d reminder(s) written", count)
    send_due_emails(platform)
