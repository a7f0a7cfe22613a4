"""SQL of the payments area: provider events and the purchases they name."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alot_platform.entries.models import LotEntryPurchase
from alot_platform.pagination import keyset_after
from alot_platform.payments.models import PaymentEvent


class PaymentRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # -- events -------------------------------------------------------------------------

    def insert_event_once(self, values: dict[str, Any]) -> bool:
        """Insert the event unless its id is stored already; True when this call stored it.

        On PostgreSQL a concurrent insert of the same id waits for the first to commit
        and then does nothing, so exactly one delivery stores the event.
        """
        dialect = self._session.get_bind().dialect.name
        if dialect == "postgresql":
            statement: Any = postgresql.insert(PaymentEvent).values(**values)
        elif dialect == "sqlite":
            statement = sqlite.insert(PaymentEvent).values(**values)
        else:  # pragma: no cover - the platform runs on the two above
            raise RuntimeError(f"no insert-or-ignore for {dialect}")
        statement = statement.on_conflict_do_nothing().returning(PaymentEvent.id)
        return self._session.execute(statement).first() is not None

    def event(self, event_id: str) -> PaymentEvent | None:
        return self._session.get(PaymentEvent, event_id)

    def event_for_update(self, event_id: str) -> PaymentEvent | None:
        return self._session.scalars(
            select(PaymentEvent)
            .where(PaymentEvent.id == event_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()

    def unprocessed_event_ids(self, *, received_before: datetime, limit: int) -> list[str]:
        return list(
            self._session.scalars(
                select(PaymentEvent.id)
                .where(PaymentEvent.processed_at.is_(None))
                .where(PaymentEvent.received_at <= received_before)
                .order_by(PaymentEvent.received_at)
                .limit(limit)
            )
        )

    def events_of_type(self, event_type: str, *, limit: int) -> Sequence[PaymentEvent]:
        return self._session.scalars(
            select(PaymentEvent)
            .where(PaymentEvent.type == event_type)
            .order_by(PaymentEvent.received_at.desc())
            .limit(limit)
        ).all()

    def events_needing_attention(
        self,
        *,
        outcome: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> Sequence[PaymentEvent]:
        """Unprocessed events and those whose outcome a human must look at, oldest first
        (ties by id), strictly after the ``after`` (received_at, id) key."""
        keys = (PaymentEvent.received_at, PaymentEvent.id)
        query = select(PaymentEvent).where(_needs_attention()).order_by(*keys)
        if outcome is not None:
            query = query.where(PaymentEvent.outcome == outcome)
        if after is not None:
            query = query.where(keyset_after(keys, after, descending=(False, False)))
        if limit is not None:
            query = query.limit(limit)
        return self._session.scalars(query).all()

    def count_events_needing_attention(self) -> int:
        """How many events `events_needing_attention` lists (the admin desk's count)."""
        query = select(func.count()).select_from(PaymentEvent).where(_needs_attention())
        return self._session.scalar(query) or 0

    def late_refund_decided(self, purchase_id: uuid.UUID) -> PaymentEvent | None:
        """The event that decided to refund ``purchase_id``'s payment, if one did."""
        return self._session.scalars(
            select(PaymentEvent)
            .where(PaymentEvent.purchase_id == purchase_id)
            .where(PaymentEvent.outcome.in_(("late_refund_due", "late_refund")))
            .order_by(PaymentEvent.received_at)
            .limit(1)
        ).first()

    # -- purchases ----------------------------------------------------------------------

    def purchase(self, purchase_id: uuid.UUID) -> LotEntryPurchase | None:
        return self._session.get(LotEntryPurchase, purchase_id)

    def purchase_for_update(self, purchase_id: uuid.UUID) -> LotEntryPurchase | None:
        """The purchase as committed now (read after the lot lock), locked on PostgreSQL."""
        return self._session.scalars(
            select(LotEntryPurchase)
            .where(LotEntryPurchase.id == purchase_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()

    def purchase_by_provider_id(self, provider_id: str) -> LotEntryPurchase | None:
        """The purchase that stores ``provider_id`` as its payment or its Checkout Session."""
        return self._session.scalars(
            select(LotEntryPurchase).where(
                or_(
                    LotEntryPurchase.provider_payment_id == provider_id,
                    LotEntryPurchase.provider_checkout_session_id == provider_id,
                )
            )
        ).first()

    def provider_purchases(self, provider: str) -> Sequence[LotEntryPurchase]:
        return self._session.scalars(
            select(LotEntryPurchase)
            .where(LotEntryPurchase.provider == provider)
            .order_by(LotEntryPurchase.created_at, LotEntryPurchase.id)
        ).all()


def _needs_attention() -> ColumnElement[bool]:
    """Unprocessed events, and those whose outcome a human must look at."""
    return or_(
        PaymentEvent.processed_at.is_(None),
        PaymentEvent.outcome.in_(("unmatched", "refund_mismatch", "disputed")),
    )
