"""Credit balances as a projection of the ledger.

Whoever moves credits writes the ledger transaction first and then calls
``CreditsService.apply`` with the same changes and the ledger's seq, in the same DB
transaction: the projection can never hold what the ledger does not.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alot_ledger import Difference, reconcile
from sqlalchemy.orm import Session

from alot_platform.credits.models import (
    CreditTransaction,
    CreditTransactionType,
    UserUniversalCredits,
)
from alot_platform.credits.repository import CreditsRepository
from alot_platform.errors import Conflict
from alot_platform.ledger.accounts import CRD, user_credits
from alot_platform.observability import business
from alot_platform.pagination import decode_cursor, encode_cursor, page_of
from alot_platform.realtime.events import Event, EventType, emit


class InsufficientCredits(Conflict):
    code = "insufficient_credits"
    title = "Not enough credits"


@dataclass(frozen=True)
class CreditChange:
    """One movement on one user's credit balance (positive earns, negative spends)."""

    user_id: uuid.UUID
    amount: int
    transaction_type: CreditTransactionType
    lot_id: uuid.UUID | None = None
    lot_entry_id: uuid.UUID | None = None
    purchase_id: uuid.UUID | None = None
    details: dict[str, Any] = field(default_factory=dict)


class CreditsService:
    def __init__(self, session: Session, now: datetime) -> None:
        self._credits = CreditsRepository(session)
        self._session = session
        self._now = now

    def account(self, user_id: uuid.UUID) -> UserUniversalCredits | None:
        """The user's balance row; None for a user who never held credits."""
        return self._credits.get(user_id)

    def history(
        self, user_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[list[CreditTransaction], str | None]:
        """A page of the user's credit movements, newest first, and the next cursor."""
        kind = "credit_transactions"
        after = decode_cursor(cursor, kind, datetime, uuid.UUID) if cursor else None
        rows = self._credits.history(user_id, after=after, limit=limit + 1)
        return page_of(rows, limit, lambda row: encode_cursor(kind, row.created_at, row.id))

    def balance(self, user_id: uuid.UUID) -> int:
        row = self._credits.get(user_id)
        return row.balance if row is not None else 0

    def require_balance(self, user_id: uuid.UUID, needed: int) -> None:
        """Refuse early, with a clear 409, a spend the balance cannot cover."""
        balance = self.balance(user_id)
        if balance < needed:
            raise InsufficientCredits(
                f"needs {needed} credits, balance is {balance}",
                balance_credits=balance,
                needed_credits=needed,
            )

    def apply(self, changes: Sequence[CreditChange], *, ledger_seq: int) -> None:
        """Mirror ledger transaction ``ledger_seq``'s credit movements in the projection.

        Users with no balance row yet get one, inserted with its final figures; the new
        rows and the movements are written with one statement each (a settlement
        credits a thousand players at once: ORM objects for each would cost more than
        the database does).
        """
        if not changes:
            return
        user_ids = [change.user_id for change in changes]
        rows: dict[uuid.UUID, UserUniversalCredits | _NewBalance] = {
            **self._credits.lock_many(user_ids)
        }
        new = {user_id: _NewBalance() for user_id in sorted(set(user_ids) - rows.keys())}
        rows.update(new)
        movements: list[dict[str, Any]] = []
        for change in changes:
            row = rows[change.user_id]
            if row.balance + change.amount < 0:
                raise InsufficientCredits(
                    f"needs {-change.amount} credits, balance is {row.balance}",
                    balance_credits=row.balance,
                    needed_credits=-change.amount,
                )
            row.balance += change.amount
            if change.transaction_type == CreditTransactionType.CREDIT_REFUND:
                row.total_spent -= change.amount  # a spend undone, not credits earned
            elif change.amount > 0:
                row.total_earned += change.amount
            else:
                row.total_spent -= change.amount
            row.updated_at = self._now
            movements.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": change.user_id,
                    "amount": change.amount,
                    "balance_after": row.balance,
                    "transaction_type": change.transaction_type.value,
                    "lot_id": change.lot_id,
                    "lot_entry_id": change.lot_entry_id,
                    "purchase_id": change.purchase_id,
                    "ledger_seq": ledger_seq,
                    "details": change.details,
                    "created_at": self._now,
                }
            )
        self._credits.insert_balances(
            [
                {
                    "user_id": user_id,
                    "balance": row.balance,
                    "total_earned": row.total_earned,
                    "total_spent": row.total_spent,
                    "created_at": self._now,
                    "updated_at": self._now,
                }
                for user_id, row in new.items()
            ]
        )
        self._credits.insert_movements(movements)
        business.credits_moved(self._session, changes, ledger_seq=ledger_seq)
        emit(
            self._session,
            *(
                Event(EventType.CREDITS_CHANGED, self._now, user_id=user_id, internal=True)
                for user_id in rows
            ),
        )


@dataclass
class _NewBalance:
    """The figures of a balance row not written yet."""

    balance: int = 0
    total_earned: int = 0
    total_spent: int = 0
    updated_at: datetime | None = None


def reconcile_credits(session: Session) -> list[Difference]:
    """Every user whose projected credit balance differs from the ledger's.

    The ledger's ``user:<id>:credits`` accounts are the truth; a difference means the
    projection (``user_universal_credits``) was written without its ledger transaction
    or the other way round, and is a bug to investigate, never to paper over.
    """
    projection = {
        (user_credits(user_id), CRD): balance
        for user_id, balance in CreditsRepository(session).all_balances().items()
    }
    differences = reconcile(session, projection, accounts="user:*:credits", asset=CRD)
    business.reconciled("credits", len(differences))  # the gauge the reconciliation alert reads
    return differences
