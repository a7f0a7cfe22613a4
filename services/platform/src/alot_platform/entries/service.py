"""Buying tickets: the rules of a purchase, ticket allocation and funding.

A purchase is accepted in one unit of work under the lot's row lock:

1. Checks without the lock (refusals cost nothing): the lot exists, the bundle or
   ticket count is valid, the buyer passed the trivia, the lot is open and before its
   deadline, the per-user cap, the credit balance.
2. Cash: the payment provider charges the buyer under a key derived from this attempt.
   A ``pending`` answer (a checkout to finish) records a pending purchase that owns no
   tickets yet.
3. Under the lock, everything is checked again, then tickets ``tickets_sold + 1 ..``
   are allocated (the lock makes the ranges tile ``1..N``), the purchase, its entry and
   the buyer's reveal row are written and the lot's totals move. The purchase that
   reaches the target is accepted whole and funds the lot: the draw inputs are frozen
   in the same transaction. The ledger transaction comes last (it takes the ledger's
   chain-head lock until commit), then the credit projection.

A charge whose purchase is refused under the lock, or which another request with the
same idempotency key beat, is refunded at once: no charge is left without a purchase
that owns it.

Idempotency: a purchase is stored with the buyer's ``Idempotency-Key`` and a hash of
what was asked. The same key and request return the first purchase; the same key with
another request is a 409 ``idempotency_conflict``.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from alot_ledger import InsufficientFunds, Ledger, Posting, Receipt
from alot_verify.canonical import canonical_json
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alot_platform.context import PlatformContext
from alot_platform.credits.models import CreditTransactionType
from alot_platform.credits.service import CreditChange, CreditsService, InsufficientCredits
from alot_platform.draws.service import DrawService
from alot_platform.entries.models import (
    LotEntry,
    LotEntryPurchase,
    PaymentMethod,
    PurchaseStatus,
)
from alot_platform.entries.repository import EntryRepository
from alot_platform.errors import AlotError, Conflict, InvalidInput, NotFound
from alot_platform.ledger.accounts import CRD, PLATFORM_CASH, USD, lot_escrow, user_credits
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.lots.repository import LotRepository
from alot_platform.lots.state import LotStateConflict, transition
from alot_platform.money import CREDITS_PER_TICKET
from alot_platform.payments.provider import ChargeResult
from alot_platform.reveals.models import Reveal, RevealStatus
from alot_platform.trivia.service import TriviaService
from alot_platform.users.models import User

MAX_TICKETS_PER_PURCHASE = 10_000


class LotNotFound(NotFound):
    code = "lot_not_found"
    title = "No such lot"


class UnknownBundle(InvalidInput):
    code = "unknown_bundle"
    title = "No such entry bundle"


class DeadlinePassed(Conflict):
    """The lot's deadline has passed, even if the expiry tick has not run yet."""

    code = "lot_deadline_passed"
    title = "The lot's deadline has passed"


class TicketCapExceeded(Conflict):
    code = "ticket_cap_exceeded"
    title = "Per-player ticket cap reached"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    title = "Idempotency key reused for another request"


@dataclass(frozen=True)
class Order:
    """What a buyer asks for: a cash bundle, or a number of tickets paid in credits."""

    method: PaymentMethod
    bundle_index: int | None = None
    tickets: int | None = None

    def request_hash(self, lot_id: uuid.UUID) -> str:
        body = {
            "lot_id": str(lot_id),
            "method": self.method.value,
            "bundle_index": self.bundle_index,
            "tickets": self.tickets,
        }
        return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True)
class _Price:
    tickets: int
    cash_cents: int
    credits: int


@dataclass(frozen=True)
class PurchaseOutcome:
    purchase: LotEntryPurchase
    entry: LotEntry | None
    lot: Lot
    replayed: bool
    """True when the idempotency key named an earlier purchase, returned as it stands."""
    funded_now: bool
    """True when this purchase reached the target: the draw can be scheduled."""
    checkout_url: str | None = None


class EntryService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._lots = LotRepository(session)
        self._entries = EntryRepository(session)

    # -- reading --------------------------------------------------------------------

    def entries_of(
        self, user: User, *, before: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[tuple[LotEntry, LotEntryPurchase, Lot]]:
        """``user``'s entries across lots, newest first."""
        return self._entries.entries_of_user(user.id, before=before, limit=limit)

    # -- buying ---------------------------------------------------------------------

    def buy(
        self, lot_id: uuid.UUID, user: User, order: Order, idempotency_key: str
    ) -> PurchaseOutcome:
        """Buy tickets in ``lot_id`` (see the module docstring for the steps)."""
        request_hash = order.request_hash(lot_id)
        earlier = self._entries.purchase_by_key(user.id, idempotency_key)
        if earlier is not None:
            return self._replay(earlier, lot_id, request_hash)

        lot = self._lots.get(lot_id)
        if lot is None:
            raise LotNotFound(f"no lot {lot_id}")
        now = self._platform.clock()
        _check_selling(lot, now)
        price = _price(lot, order)
        TriviaService(self._session, self._platform).require_passed(lot, user)
        self._check(lot, user, price, now)

        purchase_id = uuid.uuid4()
        charge = None
        if price.cash_cents:
            charge = self._platform.payments.charge(
                amount_cents=price.cash_cents,
                currency=lot.currency,
                idempotency_key=f"purchase:{purchase_id}",
                description=f"{price.tickets} ticket(s) in lot {lot.id}",
                metadata={
                    "purchase_id": str(purchase_id),
                    "lot_id": str(lot.id),
                    "user_id": str(user.id),
                },
            )
            if charge.status == "pending":
                return self._record_pending(
                    purchase_id, lot, user, order, price, charge, idempotency_key, request_hash
                )
        try:
            outcome = self._accept(
                purchase_id, lot_id, user, order, price, charge, idempotency_key, request_hash
            )
        except AlotError:
            self._refund_unowned(charge, price, purchase_id)
            raise
        if outcome.replayed:
            self._refund_unowned(charge, price, purchase_id)
        return outcome

    def _accept(
        self,
        purchase_id: uuid.UUID,
        lot_id: uuid.UUID,
        user: User,
        order: Order,
        price: _Price,
        charge: ChargeResult | None,
        idempotency_key: str,
        request_hash: str,
    ) -> PurchaseOutcome:
        lot = self._lots.get_for_update(lot_id)
        if lot is None:
            raise LotNotFound(f"no lot {lot_id}")
        # A request with the same key may have committed while this one waited.
        earlier = self._entries.purchase_by_key(user.id, idempotency_key)
        if earlier is not None:
            return self._replay(earlier, lot_id, request_hash)
        now = self._platform.clock()
        self._check(lot, user, price, now)

        first = lot.tickets_sold + 1
        purchase = LotEntryPurchase(
            id=purchase_id,
            lot_id=lot.id,
            user_id=user.id,
            method=order.method.value,
            bundle_index=order.bundle_index,
            tickets=price.tickets,
            amount_cents=price.cash_cents,
            credits_spent=price.credits,
            currency=lot.currency,
            status=PurchaseStatus.SUCCEEDED.value,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            provider=self._platform.payments.name if charge else None,
            provider_payment_id=charge.payment_id if charge else None,
            created_at=now,
            completed_at=now,
        )
        entry = LotEntry(
            id=uuid.uuid4(),
            lot_id=lot.id,
            user_id=user.id,
            purchase_id=purchase_id,
            tickets_start=first,
            tickets_end=first + price.tickets - 1,
            ticket_count=price.tickets,
            amount_paid_cents=price.cash_cents,
            credits_spent=price.credits,
            is_winner=False,
            credits_awarded=0,
            created_at=now,
        )
        self._entries.add(purchase)
        self._flush_purchase()
        self._entries.add(entry)
        if not self._entries.has_reveal(user.id, lot.id):
            self._entries.add(
                Reveal(
                    user_id=user.id,
                    lot_id=lot.id,
                    status=RevealStatus.PENDING.value,
                    details={},
                    created_at=now,
                )
            )
        lot.tickets_sold += price.tickets
        lot.cash_cents += price.cash_cents
        lot.credits_spent += price.credits
        lot.updated_at = now
        user.total_entries += 1
        self._session.flush()

        funded_now = lot.funded_cents >= lot.funding_target_cents
        if funded_now:
            transition(lot, LotStatus.FUNDED, now, action="fund the lot")
            DrawService(self._session, self._platform).freeze(lot)

        receipt = self._post(lot, user, purchase, entry)
        purchase.ledger_seq = receipt.seq
        if price.credits:
            CreditsService(self._session, now).apply(
                [
                    CreditChange(
                        user_id=user.id,
                        amount=-price.credits,
                        transaction_type=CreditTransactionType.ENTRY_PURCHASE,
                        lot_id=lot.id,
                        lot_entry_id=entry.id,
                        purchase_id=purchase.id,
                        details={"tickets": price.tickets},
                    )
                ],
                ledger_seq=receipt.seq,
            )
        return PurchaseOutcome(purchase, entry, lot, replayed=False, funded_now=funded_now)

    def _post(self, lot: Lot, user: User, purchase: LotEntryPurchase, entry: LotEntry) -> Receipt:
        escrow = lot_escrow(lot.id)
        if purchase.method == PaymentMethod.CASH.value:
            postings = [
                Posting(PLATFORM_CASH, USD, -purchase.amount_cents),
                Posting(escrow, USD, purchase.amount_cents),
            ]
        else:
            postings = [
                Posting(user_credits(user.id), CRD, -purchase.credits_spent),
                Posting(escrow, CRD, purchase.credits_spent),
            ]
        try:
            return Ledger(self._session).post(
                "entry_purchase",
                postings,
                refs={
                    "lot_id": str(lot.id),
                    "purchase_id": str(purchase.id),
                    "user_id": str(user.id),
                },
                metadata={
                    "method": purchase.method,
                    "tickets": purchase.tickets,
                    "tickets_start": entry.tickets_start,
                    "tickets_end": entry.tickets_end,
                },
            )
        except InsufficientFunds as error:
            # The ledger refuses to take a user's credits below zero even if a
            # concurrent spend elsewhere got past the projection's check.
            balance = error.extra["balance"]
            raise InsufficientCredits(
                f"needs {purchase.credits_spent} credits, balance is {balance}",
                balance=balance,
                needed=purchase.credits_spent,
            ) from None

    def _flush_purchase(self) -> None:
        try:
            self._session.flush()
        except IntegrityError as error:
            # The same key, used at once for another lot (hence another request), won.
            if "idempotency" in str(error.orig):
                raise IdempotencyConflict(
                    "this Idempotency-Key is in use by another purchase request"
                ) from None
            raise

    def _record_pending(
        self,
        purchase_id: uuid.UUID,
        lot: Lot,
        user: User,
        order: Order,
        price: _Price,
        charge: ChargeResult,
        idempotency_key: str,
        request_hash: str,
    ) -> PurchaseOutcome:
        """A payment the buyer must still complete: recorded, owning no tickets yet."""
        purchase = LotEntryPurchase(
            id=purchase_id,
            lot_id=lot.id,
            user_id=user.id,
            method=order.method.value,
            bundle_index=order.bundle_index,
            tickets=price.tickets,
            amount_cents=price.cash_cents,
            credits_spent=0,
            currency=lot.currency,
            status=PurchaseStatus.PENDING.value,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            provider=self._platform.payments.name,
            provider_payment_id=charge.payment_id,
            created_at=self._platform.clock(),
        )
        self._entries.add(purchase)
        self._flush_purchase()
        return PurchaseOutcome(
            purchase,
            None,
            lot,
            replayed=False,
            funded_now=False,
            checkout_url=charge.checkout_url,
        )

    def _replay(
        self, earlier: LotEntryPurchase, lot_id: uuid.UUID, request_hash: str
    ) -> PurchaseOutcome:
        if earlier.lot_id != lot_id or earlier.request_hash != request_hash:
            raise IdempotencyConflict(
                "this Idempotency-Key was used for a different purchase request",
                purchase_id=str(earlier.id),
            )
        lot = self._lots.get(earlier.lot_id)
        assert lot is not None
        return PurchaseOutcome(
            earlier, self._entries.entry_of(earlier.id), lot, replayed=True, funded_now=False
        )

    def _refund_unowned(
        self, charge: ChargeResult | None, price: _Price, purchase_id: uuid.UUID
    ) -> None:
        if charge is None or charge.status != "succeeded":
            return
        self._platform.payments.refund(
            charge.payment_id, price.cash_cents, idempotency_key=f"purchase-refused:{purchase_id}"
        )

    def _check(self, lot: Lot, user: User, price: _Price, now: datetime) -> None:
        _check_selling(lot, now)
        cap = lot.max_tickets_per_user
        if cap is not None:
            held = self._entries.tickets_held(lot.id, user.id)
            if held + price.tickets > cap:
                raise TicketCapExceeded(
                    f"lot {lot.id} allows {cap} tickets per player; you hold {held}",
                    cap=cap,
                    held=held,
                )
        if price.credits:
            CreditsService(self._session, now).require_balance(user.id, price.credits)


def _check_selling(lot: Lot, now: datetime) -> None:
    if lot.status != LotStatus.OPEN.value:
        raise LotStateConflict(lot, "buy tickets")
    if now >= lot.deadline:
        raise DeadlinePassed(
            f"lot {lot.id} stopped selling at {lot.deadline.isoformat()}",
            lot_id=str(lot.id),
            deadline=lot.deadline.isoformat(),
        )


def _price(lot: Lot, order: Order) -> _Price:
    if order.method is PaymentMethod.CASH:
        bundles = lot.entry_bundles
        index = order.bundle_index
        if index is None or not 0 <= index < len(bundles):
            raise UnknownBundle(
                f"lot {lot.id} has bundles 0..{len(bundles) - 1}; got {index}",
                bundles=len(bundles),
            )
        bundle = bundles[index]
        return _Price(
            tickets=int(bundle["tickets"]), cash_cents=int(bundle["price_cents"]), credits=0
        )
    tickets = order.tickets or 0
    if not 1 <= tickets <= MAX_TICKETS_PER_PURCHASE:
        raise InvalidInput(f"buy 1..{MAX_TICKETS_PER_PURCHASE} tickets at a time")
    return _Price(tickets=tickets, cash_cents=0, credits=tickets * CREDITS_PER_TICKET)
