"""SQL for notifications and email preferences."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alot_platform.entries.models import LotEntry, LotEntryPurchase, PaymentMethod, PurchaseStatus
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.notifications.models import EmailStatus, Notification, NotificationPreferences
from alot_platform.pagination import keyset_after

_INSERT_CHUNK = 1000
"""Rows per INSERT: well under SQLite's bound-parameter limit at 9 columns a row."""


class NotificationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- writing ----------------------------------------------------------------------

    def insert_new(self, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
        """Insert ``rows`` (column values), skipping any whose (user, key) exists, even
        one a concurrent transaction is inserting; return the ids actually inserted."""
        inserted: list[uuid.UUID] = []
        for start in range(0, len(rows), _INSERT_CHUNK):
            chunk = rows[start : start + _INSERT_CHUNK]
            statement = (
                self._insert()
                .values(list(chunk))
                .on_conflict_do_nothing(index_elements=["user_id", "key"])
                .returning(Notification.id)
            )
            inserted += self.session.scalars(statement).all()
        return inserted

    def _insert(self) -> postgresql.Insert | sqlite.Insert:
        dialect = self.session.get_bind().dialect.name
        return (
            postgresql.insert(Notification)
            if dialect == "postgresql"
            else sqlite.insert(Notification)
        )

    def get_many(self, ids: Sequence[uuid.UUID]) -> list[Notification]:
        if not ids:
            return []
        return list(self.session.scalars(select(Notification).where(Notification.id.in_(ids))))

    def lock_email_due(self, *, limit: int) -> list[Notification]:
        """Notifications whose email is to be decided, oldest first, locked; rows another
        sender holds are skipped (they are that sender's batch)."""
        return list(
            self.session.scalars(
                select(Notification)
                .where(Notification.email_status == EmailStatus.DUE.value)
                .order_by(Notification.created_at, Notification.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
        )

    def mark_read(
        self,
        user_id: uuid.UUID,
        now: datetime,
        *,
        ids: Sequence[uuid.UUID] | None = None,
        up_to: tuple[datetime, uuid.UUID] | None = None,
    ) -> int:
        """Mark the user's unread notifications read: those in ``ids``, or every one
        at or before the ``up_to`` (created_at, id) key. Returns how many changed."""
        statement = update(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
        if ids is not None:
            statement = statement.where(Notification.id.in_(ids))
        if up_to is not None:
            created_at, last_id = up_to
            statement = statement.where(
                (Notification.created_at < created_at)
                | ((Notification.created_at == created_at) & (Notification.id <= last_id))
            )
        result = self.session.execute(
            statement.values(read_at=now).execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    # -- reading ----------------------------------------------------------------------

    def owned(self, user_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Notification]:
        return list(
            self.session.scalars(
                select(Notification).where(
                    Notification.user_id == user_id, Notification.id.in_(ids)
                )
            )
        )

    def page(
        self,
        user_id: uuid.UUID,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        unread_only: bool,
        limit: int,
    ) -> list[Notification]:
        """The user's notifications, newest first, strictly after the ``after`` key."""
        keys = (Notification.created_at, Notification.id)
        query = select(Notification).where(Notification.user_id == user_id)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        if after is not None:
            query = query.where(keyset_after(keys, after, descending=(True, True)))
        query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
        return list(self.session.scalars(query.limit(limit)))

    def unread_count(self, user_id: uuid.UUID) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            )
            or 0
        )

    # -- preferences ------------------------------------------------------------------

    def preferences(self, user_id: uuid.UUID) -> NotificationPreferences | None:
        return self.session.get(NotificationPreferences, user_id)

    def preferences_for_update(self, user_id: uuid.UUID) -> NotificationPreferences | None:
        return self.session.scalars(
            select(NotificationPreferences)
            .where(NotificationPreferences.user_id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()

    def preferences_of(
        self, user_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, NotificationPreferences]:
        if not user_ids:
            return {}
        rows = self.session.scalars(
            select(NotificationPreferences).where(
                NotificationPreferences.user_id.in_(set(user_ids))
            )
        )
        return {row.user_id: row for row in rows}

    def add_preferences(self, row: NotificationPreferences) -> None:
        self.session.add(row)
        self.session.flush()

    # -- the events' facts ------------------------------------------------------------

    def entrants_credits(
        self, lot_id: uuid.UUID, *, after: uuid.UUID | None = None, limit: int | None = None
    ) -> list[tuple[uuid.UUID, int, int]]:
        """Each entrant of the lot after user ``after``: (user id, credits awarded,
        tickets), by user id, at most ``limit``."""
        query = (
            select(
                LotEntry.user_id,
                func.sum(LotEntry.credits_awarded),
                func.sum(LotEntry.ticket_count),
            )
            .where(LotEntry.lot_id == lot_id)
            .group_by(LotEntry.user_id)
            .order_by(LotEntry.user_id)
        )
        if after is not None:
            query = query.where(LotEntry.user_id > after)
        rows = self.session.execute(query.limit(limit))
        return [(row[0], int(row[1] or 0), int(row[2] or 0)) for row in rows]

    def cash_purchases_waiting(self, lot_id: uuid.UUID) -> dict[uuid.UUID, list[uuid.UUID]]:
        """The lot's cash purchases not refunded yet, grouped by buyer (oldest first)."""
        rows = self.session.execute(
            select(LotEntryPurchase.user_id, LotEntryPurchase.id)
            .where(
                LotEntryPurchase.lot_id == lot_id,
                LotEntryPurchase.status == PurchaseStatus.SUCCEEDED.value,
                LotEntryPurchase.method == PaymentMethod.CASH.value,
            )
            .order_by(LotEntryPurchase.created_at, LotEntryPurchase.id)
        )
        buyers: dict[uuid.UUID, list[uuid.UUID]] = {}
        for user_id, purchase_id in rows:
            buyers.setdefault(user_id, []).append(purchase_id)
        return buyers

    def lots_to_remind(
        self, *, closing_before: datetime, now: datetime, after: uuid.UUID | None, limit: int
    ) -> list[Lot]:
        """Open lots (by id, after ``after``) that are 90% funded or close before
        ``closing_before``: the lots whose entrants get a reminder."""
        funded = Lot.cash_cents + Lot.credits_spent
        query = (
            select(Lot)
            .where(
                Lot.status == LotStatus.OPEN.value,
                Lot.deadline > now,
                (funded * 10 >= Lot.funding_target_cents * 9) | (Lot.deadline <= closing_before),
            )
            .order_by(Lot.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(Lot.id > after)
        return list(self.session.scalars(query))

    def entrants_not_notified(
        self, lot_id: uuid.UUID, key: str, *, after: uuid.UUID | None, limit: int
    ) -> list[uuid.UUID]:
        """Users with an entry in the lot (by id, after ``after``) who have no
        notification ``key`` yet."""
        notified = select(Notification.id).where(
            Notification.user_id == LotEntry.user_id, Notification.key == key
        )
        query = (
            select(LotEntry.user_id)
            .where(LotEntry.lot_id == lot_id, ~notified.exists())
            .group_by(LotEntry.user_id)
            .order_by(LotEntry.user_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(LotEntry.user_id > after)
        return list(self.session.scalars(query))
