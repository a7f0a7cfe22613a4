"""Notifying players of what happened to them, and what they read and choose.

Writing (in the caller's unit of work, beside the event):

- ``notify`` writes one notification; one per user and ``key``, so an event handled
  twice (a retried task, two ticks) notifies once. It returns None when the key was
  notified already.
- ``notify_settled``, ``notify_refunds_started``, ``notify_refund_done`` are the hooks
  the draw and refund services call where their events happen.

Email: a notification of an emailed kind is written ``due``. The hook of a one-player
event (a win, a refund made) queues its email in the outbox at once, in the same
transaction (``queue_email``). Events that reach every buyer of a lot (credits
awarded, refunds to choose) and reminders leave them ``due``: ``send_due_emails``
(notifications/tasks.py, the scheduler's tick) queues them in batches, each batch its
own transaction, so a lot of 50,000 buyers does not write 50,000 emails inside its
settlement. Credits and reminder emails follow the player's preference, read when the
email is queued; the important ones are always sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from alot_platform.context import PlatformContext
from alot_platform.draws.models import LotteryDraw
from alot_platform.entries.models import LotEntryPurchase
from alot_platform.errors import NotFound
from alot_platform.lots.models import Lot
from alot_platform.notifications.messages import render
from alot_platform.notifications.models import (
    EmailStatus,
    Notification,
    NotificationKind,
    NotificationPreferences,
)
from alot_platform.notifications.repository import NotificationRepository
from alot_platform.notifications.schemas import (
    MarkedRead,
    MarkRead,
    NotificationPage,
    NotificationRead,
    PreferencesRead,
    PreferencesUpdate,
)
from alot_platform.outbox.service import enqueue, enqueue_task
from alot_platform.pagination import decode_cursor, encode_cursor, page_of
from alot_platform.play.service import is_excluded, require_may_play
from alot_platform.realtime.events import Event, EventType, emit
from alot_platform.users.models import User

ALWAYS_EMAILED = frozenset({NotificationKind.WON, NotificationKind.PRIZE})
"""Transactional: sent whatever the preferences say. A refund's emails (the choice with
its deadline, the refund made) are transactional too, but are the refund's own
(alot_platform.refunds.emails), written with it: its notifications are in-app only, so
nobody is emailed twice about one refund."""
EMAILED_BY_PREFERENCE = {
    NotificationKind.CREDITS_AWARDED: "credits_emails",
    NotificationKind.LOT_CLOSING: "reminder_emails",
}
"""Kind -> the preference (a NotificationPreferences column) that turns its email off."""


@dataclass(frozen=True)
class _Defaults:
    """A player's choices until they change one (marketing is off unless turned on)."""

    reminder_emails: bool = True
    credits_emails: bool = True
    marketing_emails: bool = False


DEFAULTS = _Defaults()
_CURSOR = "notifications"


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    title = "No such notification"


@dataclass(frozen=True)
class Notice:
    """One notification to write: to whom, about what, with which facts."""

    user_id: uuid.UUID
    key: str
    data: dict[str, Any]


# -- writing ------------------------------------------------------------------------------


def notify(
    session: Session,
    *,
    user_id: uuid.UUID,
    kind: NotificationKind,
    key: str,
    data: dict[str, Any],
    now: datetime,
) -> Notification | None:
    """Write one notification in the caller's unit of work; None if ``user_id`` has
    one with ``key`` already (its email is not repeated either)."""
    inserted = notify_many(session, kind, [Notice(user_id, key, data)], now)
    if not inserted:
        return None
    return NotificationRepository(session).get_many(inserted)[0]


def notify_many(
    session: Session, kind: NotificationKind, notices: Sequence[Notice], now: datetime
) -> list[uuid.UUID]:
    """Write many notifications of one kind at once (one INSERT per thousand); the
    keys a user already has are skipped. Returns the ids written."""
    emailed = kind in ALWAYS_EMAILED or kind in EMAILED_BY_PREFERENCE
    rows = [
        {
            "id": uuid.uuid4(),
            "user_id": notice.user_id,
            "kind": kind.value,
            "key": notice.key,
            "lot_id": _uuid_or_none(notice.data.get("lot_id")),
            "data": notice.data,
            "email_status": EmailStatus.DUE.value if emailed else None,
            "created_at": now,
            "read_at": None,
        }
        for notice in notices
    ]
    inserted = NotificationRepository(session).insert_new(rows)
    live = _LIVE.get(kind)
    if live is not None and inserted:
        written = set(inserted)
        emit(
            session,
            *(
                Event(
                    live,
                    now,
                    _uuid_or_none(notice.data.get("lot_id")),
                    user_id=notice.user_id,
                    data={**notice.data, "notification_id": str(row["id"])},
                )
                for row, notice in zip(rows, notices, strict=True)
                if row["id"] in written
            ),
        )
    return inserted


# The personal live event each kind of notification sends as it is written.
_LIVE: dict[NotificationKind, EventType] = {
    NotificationKind.WON: EventType.WON,
    NotificationKind.CREDITS_AWARDED: EventType.CREDITS_AWARDED,
    NotificationKind.REFUND_AVAILABLE: EventType.REFUND_AVAILABLE,
    NotificationKind.REFUND_DONE: EventType.REFUND_DONE,
    NotificationKind.PRIZE: EventType.PRIZE,
}


def queue_email(
    session: Session,
    platform: PlatformContext,
    notification: Notification,
    preferences: NotificationPreferences | None,
    now: datetime,
) -> None:
    """Decide a ``due`` notification's email: into the outbox (same transaction), or
    not sent because the player turned this kind off."""
    if notification.email_status != EmailStatus.DUE.value:
        return
    kind = NotificationKind(notification.kind)
    preference = EMAILED_BY_PREFERENCE.get(kind)
    if preference is not None and not getattr(preferences or DEFAULTS, preference):
        notification.email_status = EmailStatus.OPTED_OUT.value
        return
    message = render(notification.kind, notification.data)
    base = platform.settings.public_url.rstrip("/")
    body = f"{message.body}\n\n{base}{message.link}\n"
    if preference is not None:
        body += (
            "\nYou can turn these emails off in your account settings: "
            f"{base}/account#email-preferences\n"
        )
    enqueue(
        session,
        key=f"notification:{notification.id}",
        user_id=notification.user_id,
        subject=message.title,
        body=body,
        now=now,
    )
    notification.email_status = EmailStatus.QUEUED.value


def _queue_now(
    session: Session, platform: PlatformContext, inserted: list[uuid.UUID], now: datetime
) -> None:
    """The emails of notifications just written, queued in this transaction."""
    repository = NotificationRepository(session)
    rows = repository.get_many(inserted)
    preferences = repository.preferences_of([row.user_id for row in rows])
    for row in rows:
        queue_email(session, platform, row, preferences.get(row.user_id), now)


# -- the events ----------------------------------------------------------------------------


def notify_now(
    session: Session,
    platform: PlatformContext,
    kind: NotificationKind,
    notices: Sequence[Notice],
    now: datetime,
) -> list[uuid.UUID]:
    """Write one-player notifications (a few) and queue their emails in this
    transaction; keys already notified are skipped. Returns the ids written."""
    inserted = notify_many(session, kind, notices, now)
    _queue_now(session, platform, inserted, now)
    return inserted


def notify_settled(
    session: Session, platform: PlatformContext, lot: Lot, draw: LotteryDraw
) -> None:
    """A lot just settled: the winner is told (and emailed now), in the settlement's
    last transaction; every other entrant learns their credits from the
    ``credits_notifications`` task written with it, which notifies them a batch at a
    time after the commit (``notify_credits``), so a lot of 50,000 buyers does not
    write 50,000 rows in one transaction."""
    assert draw.winner_user_id is not None
    assert draw.winning_ticket is not None
    now = platform.clock()
    won = notify_many(
        session,
        NotificationKind.WON,
        [Notice(draw.winner_user_id, f"won:{lot.id}", _settled_facts(lot, draw))],
        now,
    )
    _queue_now(session, platform, won, now)
    enqueue_task(
        session,
        task="credits_notifications",
        key=f"credits-notifications:{lot.id}",
        payload={"lot_id": str(lot.id)},
        now=now,
    )


def notify_credits(
    session: Session,
    platform: PlatformContext,
    lot: Lot,
    draw: LotteryDraw,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> uuid.UUID | None:
    """Tell the non-winners of a settled lot after user ``after`` (at most ``limit``
    entrants) what they earned; return the last entrant read, None at the end. Keys a
    user already has are skipped, so a batch done twice notifies nobody twice."""
    entrants = NotificationRepository(session).entrants_credits(lot.id, after=after, limit=limit)
    facts = _settled_facts(lot, draw)
    notify_many(
        session,
        NotificationKind.CREDITS_AWARDED,
        [
            Notice(user_id, f"credits:{lot.id}", {**facts, "credits": credits})
            for user_id, credits, _tickets in entrants
            if user_id != draw.winner_user_id
        ],
        platform.clock(),
    )
    return entrants[-1][0] if len(entrants) == limit else None


def _settled_facts(lot: Lot, draw: LotteryDraw) -> dict[str, object]:
    return {
        "lot_id": str(lot.id),
        "lot_title": lot.title,
        "winning_ticket": draw.winning_ticket,
        "total_tickets": draw.total_tickets,
    }


def notify_refunds_started(session: Session, lot: Lot, now: datetime) -> None:
    """Refunds of an expired lot started: each cash buyer is told to choose by the
    deadline (emailed by ``send_due_emails``). Credits spent come back at once and
    are told by ``notify_refund_done``."""
    # Imported here: the refund service imports this module to call these hooks.
    from alot_platform.refunds.service import CASH_REFUND_PERCENT, CREDIT_CONVERSION_PERCENT

    assert lot.refund_choice_deadline is not None
    buyers = NotificationRepository(session).cash_purchases_waiting(lot.id)
    notify_many(
        session,
        NotificationKind.REFUND_AVAILABLE,
        [
            Notice(
                user_id,
                f"refund-available:{lot.id}",
                {
                    "lot_id": str(lot.id),
                    "lot_title": lot.title,
                    "refund_choice_deadline": lot.refund_choice_deadline.isoformat(),
                    "purchase_ids": [str(p) for p in purchases],
                    "cash_percent": CASH_REFUND_PERCENT,
                    "credits_percent": CREDIT_CONVERSION_PERCENT,
                },
            )
            for user_id, purchases in buyers.items()
        ],
        now,
    )
    _send_due_emails_after_commit(session, f"refunds-started:{lot.id}", now)


def _send_due_emails_after_commit(session: Session, event: str, now: datetime) -> None:
    """The emails of an event that reaches every entrant are decided in batches after
    its commit (a task), not one by one inside a settlement's transaction."""
    enqueue_task(
        session,
        task="notification_emails",
        key=f"notification-emails:{event}",
        payload={"event": event},
        now=now,
    )


def notify_refund_done(
    session: Session,
    platform: PlatformContext,
    lot: Lot,
    purchase: LotEntryPurchase,
    now: datetime,
) -> None:
    """One purchase was refunded (cash, or credits): its buyer is told, and emailed now."""
    data: dict[str, Any] = {
        "lot_id": str(lot.id),
        "lot_title": lot.title,
        "purchase_id": str(purchase.id),
        "refund_choice": purchase.refund_choice,
        "tickets": purchase.tickets,
    }
    if purchase.refund_choice == "cash":
        data["refunded_cents"] = purchase.refunded_cents or 0
    else:
        data["refunded_credits"] = purchase.refunded_credits or 0
    inserted = notify_many(
        session,
        NotificationKind.REFUND_DONE,
        [Notice(purchase.user_id, f"refund-done:{purchase.id}", data)],
        now,
    )
    _queue_now(session, platform, inserted, now)


# -- reading, marking read, preferences (the endpoints) ------------------------------------


class NotificationService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._notifications = NotificationRepository(session)

    def mine(
        self, user: User, *, cursor: str | None, limit: int, unread_only: bool
    ) -> NotificationPage:
        after = decode_cursor(cursor, _CURSOR, datetime, uuid.UUID) if cursor else None
        rows, next_cursor = page_of(
            self._notifications.page(
                user.id, after=after, unread_only=unread_only, limit=limit + 1
            ),
            limit,
            lambda row: encode_cursor(_CURSOR, row.created_at, row.id),
        )
        return NotificationPage(
            items=[NotificationRead.of(row) for row in rows],
            next_cursor=next_cursor,
            unread_count=self._notifications.unread_count(user.id),
        )

    def mark_read(self, user: User, request: MarkRead) -> MarkedRead:
        """Mark the caller's notifications read; an id that is not theirs refuses the
        whole request (404), changing nothing."""
        now = self._platform.clock()
        wanted = set(request.ids or ()) | ({request.up_to} if request.up_to else set())
        found = {row.id: row for row in self._notifications.owned(user.id, list(wanted))}
        missing = sorted(str(i) for i in wanted - found.keys())
        if missing:
            raise NotificationNotFound(
                f"you have no notification {', '.join(missing)}", ids=missing
            )
        if request.up_to is not None:
            last = found[request.up_to]
            marked = self._notifications.mark_read(user.id, now, up_to=(last.created_at, last.id))
        else:
            marked = self._notifications.mark_read(user.id, now, ids=list(found))
        return MarkedRead(marked=marked, unread_count=self._notifications.unread_count(user.id))

    def preferences(self, user: User) -> PreferencesRead:
        row = self._notifications.preferences(user.id)
        return self._marketing_paused(user, _preferences_read(row))

    def update_preferences(self, user: User, changes: PreferencesUpdate) -> PreferencesRead:
        fields = changes.model_dump(exclude_unset=True)
        now = self._platform.clock()
        if fields.get("marketing_emails"):
            # No marketing to a player taking a break (responsible play).
            require_may_play(self._session, user.id, now)
        row = self._notifications.preferences_for_update(user.id)
        if not fields:
            return self._marketing_paused(user, _preferences_read(row))
        if row is None:
            row = NotificationPreferences(
                user_id=user.id,
                reminder_emails=DEFAULTS.reminder_emails,
                credits_emails=DEFAULTS.credits_emails,
                marketing_emails=DEFAULTS.marketing_emails,
                updated_at=now,
            )
            self._notifications.add_preferences(row)
        for name, value in fields.items():
            setattr(row, name, value)
        row.updated_at = now
        return self._marketing_paused(user, _preferences_read(row))

    def _marketing_paused(self, user: User, chosen: PreferencesRead) -> PreferencesRead:
        """The choices as they apply: marketing is off during a time-out or
        self-exclusion, whatever was chosen (the choice returns when it ends). Whatever
        sends marketing email reads it here."""
        if chosen.marketing_emails and is_excluded(self._session, user.id, self._platform.clock()):
            return chosen.model_copy(update={"marketing_emails": False})
        return chosen


def _preferences_read(row: NotificationPreferences | None) -> PreferencesRead:
    chosen: NotificationPreferences | _Defaults = row or DEFAULTS
    return PreferencesRead(
        reminder_emails=chosen.reminder_emails,
        credits_emails=chosen.credits_emails,
        marketing_emails=chosen.marketing_emails,
        updated_at=row.updated_at if row is not None else None,
    )


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None
