"""SQL for the cleanup job: each method removes at most ``limit`` rows that are due.

Every statement selects by an indexed time column, so a batch costs the rows it
removes, not the size of the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.orm import Session

from alot_platform.auth.models import AuthSession, OneTimeToken, RefreshToken
from alot_platform.payments.models import PaymentEvent, PaymentOutcome

SPENT_EVENT_OUTCOMES = tuple(
    outcome.value
    for outcome in (
        PaymentOutcome.ALLOCATED,
        PaymentOutcome.ALREADY_DONE,
        PaymentOutcome.CHECKOUT_EXPIRED,
        PaymentOutcome.NOTED,
        PaymentOutcome.REFUND_CONFIRMED,
    )
)
"""Outcomes of payment events whose work is done and that nothing reads again: not the
events a human must look at (unmatched, refund_mismatch, disputed), not an event still
carrying a refund (late_refund_due, refund_in_flight), not the record that a late
payment was refunded (late_refund), which the refunds consult."""


@dataclass(frozen=True)
class Batch:
    found: int
    """Rows due that the batch picked (fewer than its limit: nothing more is due)."""
    removed: int
    """Rows it deleted (fewer than found when a concurrent run deleted some first)."""


class CleanupRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def delete_ended_sessions(self, ended_before: datetime, limit: int) -> Batch:
        """Login sessions over before ``ended_before``, with their refresh tokens: revoked
        then, or never revoked but with no refresh token valid after then."""
        still_refreshable = exists().where(
            RefreshToken.session_id == AuthSession.id, RefreshToken.expires_at >= ended_before
        )
        ids = self._ids(
            select(AuthSession.id)
            .where(
                or_(
                    AuthSession.revoked_at < ended_before,
                    and_(
                        AuthSession.revoked_at.is_(None),
                        AuthSession.created_at < ended_before,
                        ~still_refreshable,
                    ),
                )
            )
            .limit(limit)
        )
        if not ids:
            return Batch(0, 0)
        self._delete(delete(RefreshToken).where(RefreshToken.session_id.in_(ids)))
        return Batch(len(ids), self._delete(delete(AuthSession).where(AuthSession.id.in_(ids))))

    def delete_expired_refresh_tokens(self, expired_before: datetime, limit: int) -> Batch:
        ids = self._ids(
            select(RefreshToken.id).where(RefreshToken.expires_at < expired_before).limit(limit)
        )
        return self._delete_ids(RefreshToken, ids)

    def delete_expired_one_time_tokens(self, expired_before: datetime, limit: int) -> Batch:
        ids = self._ids(
            select(OneTimeToken.id).where(OneTimeToken.expires_at < expired_before).limit(limit)
        )
        return self._delete_ids(OneTimeToken, ids)

    def delete_spent_payment_events(self, processed_before: datetime, limit: int) -> Batch:
        ids = self._ids(
            select(PaymentEvent.id)
            .where(
                PaymentEvent.processed_at < processed_before,
                PaymentEvent.outcome.in_(SPENT_EVENT_OUTCOMES),
            )
            .limit(limit)
        )
        return self._delete_ids(PaymentEvent, ids)

    def _ids(self, query: Any) -> Sequence[Any]:
        return list(self.session.scalars(query))

    def _delete_ids(self, model: Any, ids: Sequence[Any]) -> Batch:
        if not ids:
            return Batch(0, 0)
        return Batch(len(ids), self._delete(delete(model).where(model.id.in_(ids))))

    def _delete(self, statement: Any) -> int:
        result = self.session.execute(statement.execution_options(synchronize_session=False))
        return int(result.rowcount)  # type: ignore[attr-defined]
