"""SQL of compliance: terms acceptances, and what a purchase is checked against."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from alot_platform.compliance.models import Document, TermsAcceptance
from alot_platform.entries.models import LotEntryPurchase, PaymentMethod, PurchaseStatus
from alot_platform.users.models import User


@dataclass(frozen=True)
class BuyerStanding:
    """What the compliance rules need to know of a buyer, read at once."""

    terms_current: bool
    """Accepted the current terms and the current privacy notice."""
    verified_identity: bool
    cash_spent_cents: int
    """Lifetime cash of the buyer's succeeded purchases (0 unless asked for)."""


class ComplianceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_acceptance(
        self, user_id: uuid.UUID, document: Document, version: str, source: str, now: datetime
    ) -> bool:
        """Record an acceptance unless this version of the document is already accepted
        (the first acceptance's time stands). True when a row was added."""
        if self._accepted(user_id, document, version):
            return False
        self.session.add(
            TermsAcceptance(
                id=uuid.uuid4(),
                user_id=user_id,
                document=document.value,
                version=version,
                source=source,
                accepted_at=now,
            )
        )
        self.session.flush()
        return True

    def _accepted(self, user_id: uuid.UUID, document: Document, version: str) -> bool:
        return (
            self.session.scalar(
                select(TermsAcceptance.id).where(
                    TermsAcceptance.user_id == user_id,
                    TermsAcceptance.document == document.value,
                    TermsAcceptance.version == version,
                )
            )
            is not None
        )

    def acceptances(self, user_id: uuid.UUID) -> list[TermsAcceptance]:
        """The user's acceptances, oldest first."""
        return list(
            self.session.scalars(
                select(TermsAcceptance)
                .where(TermsAcceptance.user_id == user_id)
                .order_by(TermsAcceptance.accepted_at, TermsAcceptance.document)
            )
        )

    def standings(
        self,
        user_ids: Collection[uuid.UUID],
        *,
        terms_version: str,
        privacy_version: str,
        with_cash_spent: bool,
    ) -> dict[uuid.UUID, BuyerStanding]:
        """Each user's standing, in one query (the lifetime cash only when asked: it
        sums the user's purchases)."""
        if not user_ids:
            return {}

        def accepted(document: Document, version: str) -> object:
            return exists().where(
                and_(
                    TermsAcceptance.user_id == User.id,
                    TermsAcceptance.document == document.value,
                    TermsAcceptance.version == version,
                )
            )

        columns: list[object] = [
            User.id,
            User.verified_identity,
            accepted(Document.TERMS, terms_version),
            accepted(Document.PRIVACY, privacy_version),
        ]
        if with_cash_spent:
            columns.append(
                select(func.coalesce(func.sum(LotEntryPurchase.amount_cents), 0))
                .where(
                    LotEntryPurchase.user_id == User.id,
                    LotEntryPurchase.method == PaymentMethod.CASH.value,
                    LotEntryPurchase.status == PurchaseStatus.SUCCEEDED.value,
                )
                .scalar_subquery()
            )
        rows = self.session.execute(
            select(*columns).where(User.id.in_(list(user_ids)))  # type: ignore[call-overload]
        )
        return {
            row[0]: BuyerStanding(
                terms_current=bool(row[2]) and bool(row[3]),
                verified_identity=bool(row[1]),
                cash_spent_cents=int(row[4]) if with_cash_spent else 0,
            )
            for row in rows
        }

    def set_verified_identity(self, user_id: uuid.UUID, now: datetime) -> bool:
        """Mark the user's identity verified; False when there is no such user."""
        user = self.session.get(User, user_id)
        if user is None:
            return False
        if not user.verified_identity:
            user.verified_identity = True
            user.updated_at = now
            self.session.flush()
        return True
