"""Buying tickets: the rules of a purchase, ticket allocation and funding.

A purchase is accepted in one unit of work under the lot's row lock, in a batch with
the other purchases of the same lot that arrived meanwhile in this process (see
``line.py``): one lock, one ledger append and one commit for the batch.

1. The endpoint only verifies the access token's signature (``current_caller``).
   Everything else is read in the batch, once for all its purchases, after the lot's
   lock and then the ledger's chain-head lock: the lot, the callers' login sessions
   and accounts (an ended session is 401, an unverified email 403), earlier uses of
   their idempotency keys, who passed the lot's trivia, tickets held (for a capped
   lot), credit balances, and the ledger's head with the balances the batch posts to.
2. Each purchase is then checked against the lot as the purchases before it in the
   batch left it: the lot is open and before its deadline, the bundle or ticket count
   is valid, the trivia was passed, the buyer is not on a time-out or self-exclusion
   and a cash purchase stays within their spend limits (alot_platform.play: their
   settings rows are read locked after the ledger's head lock), the per-user cap, the
   credit balance. A refused purchase writes nothing and charges nothing.
3. An accepted cash purchase is charged (the sandbox provider completes at once) and
   gets tickets ``tickets_sold + 1 ..`` (the lock makes the ranges tile ``1..N``).
   The batch's ledger transactions are built in memory on the head read in step 1,
   then written with the purchases, entries, the buyers' reveal rows and the lot's
   totals (on PostgreSQL in one round trip, with the commit), then the credit
   projection. The purchase that reaches the target is accepted whole and funds the
   lot: the draw inputs are frozen in the same transaction.

A provider whose buyers pay on its own page (Stripe Checkout) is charged before any of
this, per request: the purchase is checked outside the lock and recorded ``pending``,
owning no tickets until the payment's webhook allocates them (payments). If such a
charge succeeds at once, the purchase joins the line with its payment.

A charge whose purchase is refused under the lock, or which another request with the
same idempotency key beat, is refunded at once: no charge is left without a purchase
that owns it.

Idempotency: a purchase is stored with the buyer's ``Idempotency-Key`` and a hash of
what was asked. The same key and request return the first purchase; the same key with
another request is a 409 ``idempotency_conflict``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alot_ledger import InsufficientFunds, Posting
from alot_ledger.appender import prepare_append
from alot_ledger.rules import TransactionRequest, build_request
from alot_verify.canonical import canonical_json
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from alot_platform.auth.service import AuthService, check_signed_in, require_verified
from alot_platform.auth.tokens import Claims
from alot_platform.compliance.service import (
    BuyerChecks,
    require_country_allowed,
    require_may_buy,
)
from alot_platform.context import PlatformContext
from alot_platform.credits.models import CreditTransactionType
from alot_platform.credits.service import CreditChange, CreditsService, InsufficientCredits
from alot_platform.db import unit_of_work
from alot_platform.draws.service import DrawService
from alot_platform.entries.holders import entry_holder, holder_refs
from alot_platform.entries.line import PurchaseLine
from alot_platform.entries.models import (
    LotEntry,
    LotEntryPurchase,
    PaymentMethod,
    PurchaseStatus,
)
from alot_platform.entries.repository import BatchReads, EntryRepository
from alot_platform.errors import AlotError, Conflict, InvalidInput, NotFound
from alot_platform.hosts.selling import count_funded_host_lot, require_host_selling
from alot_platform.ledger.accounts import CRD, PLATFORM_CASH, USD, lot_escrow, user_credits
from alot_platform.logs import request_id_var
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.lots.repository import LotRepository
from alot_platform.lots.state import LotStateConflict, transition
from alot_platform.money import CREDITS_PER_TICKET
from alot_platform.observability import business
from alot_platform.pagination import decode_cursor, encode_cursor, page_of
from alot_platform.payments.provider import ChargeResult
from alot_platform.play.service import PlayGuard, check_purchase
from alot_platform.realtime.events import Event, EventType, emit, lot_snapshot
from alot_platform.trivia.service import require_passed_trivia
from alot_platform.users.models import User

_log = logging.getLogger(__name__)

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


def buy(
    platform: PlatformContext,
    lot_id: uuid.UUID,
    caller: Claims,
    order: Order,
    idempotency_key: str,
    *,
    country: str | None = None,
) -> PurchaseOutcome:
    """``EntryService.buy`` for callers that hold no session: a purchase through the
    line opens only its batch's; a checkout provider's path opens its own. ``country``:
    the buyer's, as a trusted proxy's header named it (compliance)."""
    require_country_allowed(country, platform.settings)
    if not _through_checkout(platform, order):
        return _join_line(platform, lot_id, _wanted(lot_id, caller, order, idempotency_key))
    with contextmanager(unit_of_work)(platform.database) as session:
        return EntryService(session, platform).buy(lot_id, caller, order, idempotency_key)


async def buy_async(
    platform: PlatformContext,
    lot_id: uuid.UUID,
    caller: Claims,
    order: Order,
    idempotency_key: str,
    *,
    country: str | None = None,
) -> PurchaseOutcome:
    """``buy`` for the purchase endpoints: a purchase through the line is awaited on the
    event loop, holding no thread while it waits; a checkout provider's path runs in a
    worker thread."""
    require_country_allowed(country, platform.settings)
    if joins_the_line(platform, order):
        wanted = _wanted(lot_id, caller, order, idempotency_key)
        return await _LINE.submit_async(
            _line_key(platform, lot_id), wanted, lambda batch: _run_batch(platform, lot_id, batch)
        )
    return await run_in_threadpool(buy, platform, lot_id, caller, order, idempotency_key)


def _through_checkout(platform: PlatformContext, order: Order) -> bool:
    return order.method is PaymentMethod.CASH and not platform.payments.completes_at_once


def joins_the_line(platform: PlatformContext, order: Order) -> bool:
    """Whether ``buy`` of ``order`` goes straight to the lot's line, opening no session
    of its own (a checkout provider's cash purchase is checked in one first)."""
    return not _through_checkout(platform, order)


def _wanted(lot_id: uuid.UUID, caller: Claims, order: Order, idempotency_key: str) -> _Wanted:
    return _Wanted(
        purchase_id=uuid.uuid4(),
        caller=caller,
        order=order,
        idempotency_key=idempotency_key,
        request_hash=order.request_hash(lot_id),
        payment_id=None,
    )


class EntryService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._lots = LotRepository(session)
        self._entries = EntryRepository(session)

    # -- reading --------------------------------------------------------------------

    def entries_of(
        self, user: User, *, cursor: str | None, limit: int
    ) -> tuple[list[tuple[LotEntry, LotEntryPurchase, Lot]], str | None]:
        """A page of ``user``'s entries across lots, newest first, and the next cursor."""
        before = decode_cursor(cursor, "entries", datetime, uuid.UUID) if cursor else None
        rows = self._entries.entries_of_user(user.id, before=before, limit=limit + 1)
        return page_of(
            rows, limit, lambda row: encode_cursor("entries", row[0].created_at, row[0].id)
        )

    # -- buying ---------------------------------------------------------------------

    def buy(
        self, lot_id: uuid.UUID, caller: Claims, order: Order, idempotency_key: str
    ) -> PurchaseOutcome:
        """Buy tickets in ``lot_id`` for the access token's ``caller`` (see the module
        docstring for the steps)."""
        wanted = _wanted(lot_id, caller, order, idempotency_key)
        if _through_checkout(self._platform, order):
            return self._buy_through_checkout(lot_id, wanted)
        return _join_line(self._platform, lot_id, wanted)

    def _buy_through_checkout(self, lot_id: uuid.UUID, wanted: _Wanted) -> PurchaseOutcome:
        """A cash purchase with a provider whose buyers pay on its own page: checked
        here, then recorded pending with the provider's checkout."""
        user = AuthService(self._session, self._platform).signed_in(wanted.caller)
        require_verified(user)
        found = self._entries.before_purchase(lot_id, user.id, wanted.idempotency_key)
        if found is None or found[1]:
            # A repeated key (or no such lot): the rare path reads the earlier purchase.
            earlier = self._entries.purchase_by_key(user.id, wanted.idempotency_key)
            if earlier is not None:
                return self._replay(earlier, lot_id, wanted.request_hash)
        if found is None:
            raise LotNotFound(f"no lot {lot_id}")
        lot, _, passed_trivia = found
        now = self._platform.clock()
        check_selling(lot, now)
        require_host_selling(self._session, lot)
        price = _price(lot, wanted.order)
        require_passed_trivia(lot, passed_trivia)
        self._check(lot, user, price, now)
        # Before the buyer is sent to pay: checked again under the lock once paid.
        check_purchase(self._session, user.id, price.cash_cents, now, lock=False)
        # Terms and identity (compliance), before a checkout session is created.
        require_may_buy(self._session, user.id, self._platform.settings, price.cash_cents)
        charge = self._platform.payments.charge(**_charge_request(lot, wanted, price))
        if charge.status == "pending":
            return self._record_pending(
                wanted.purchase_id,
                lot,
                user,
                wanted.order,
                price,
                charge,
                wanted.idempotency_key,
                wanted.request_hash,
            )
        # Paid at once after all: the purchase joins the line with its payment. The
        # checks above only read; end that read transaction first (on SQLite it would
        # hold the database write lock the batch needs).
        if self._session.new or self._session.dirty or self._session.deleted:
            raise RuntimeError("a purchase must be the only writer of its unit of work")
        self._session.rollback()
        paid = dataclasses.replace(wanted, payment_id=charge.payment_id)
        try:
            outcome = _join_line(self._platform, lot_id, paid)
        except AlotError:
            self._refund_unowned(charge, price, wanted.purchase_id)
            raise
        if outcome.replayed:
            self._refund_unowned(charge, price, wanted.purchase_id)
        return outcome

    def _flush_purchase(self) -> None:
        try:
            self._session.flush()
        except IntegrityError as error:
            # The same key, used at once for another lot (hence another request), won.
            if _is_idempotency_clash(error):
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
        checkout_url = None
        if earlier.status == PurchaseStatus.PENDING.value and earlier.provider_payment_id:
            checkout_url = self._platform.payments.checkout_url(earlier.provider_payment_id)
        return PurchaseOutcome(
            earlier,
            self._entries.entry_of(earlier.id),
            lot,
            replayed=True,
            funded_now=False,
            checkout_url=checkout_url,
        )

    def _refund_unowned(
        self, charge: ChargeResult | None, price: _Price, purchase_id: uuid.UUID
    ) -> None:
        if charge is None or charge.status != "succeeded":
            return
        _refund_unowned(self._platform, charge.payment_id, price.cash_cents, purchase_id)

    def _check(self, lot: Lot, user: User, price: _Price, now: datetime) -> None:
        check_selling(lot, now)
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


def check_selling(lot: Lot, now: datetime) -> None:
    """Refuse unless ``lot`` sells tickets at ``now`` (open, before its deadline)."""
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


# -- the batch: purchases of one lot in one transaction ------------------------------------


@dataclass(frozen=True)
class _Wanted:
    """A purchase as asked for, before anything was read: checked in its batch."""

    purchase_id: uuid.UUID
    caller: Claims
    order: Order
    idempotency_key: str
    request_hash: str
    payment_id: str | None
    """Set when the buyer paid before joining the line (a checkout provider that took the
    money at once); otherwise a cash purchase is charged in its batch once accepted."""
    request_id: str | None = dataclasses.field(default_factory=request_id_var.get)
    """The request that asked for it: its batch runs on the purchase line's thread."""

    @property
    def user_id(self) -> uuid.UUID:
        return self.caller.subject


def _charge_request(lot: Lot, wanted: _Wanted, price: _Price) -> dict[str, Any]:
    return {
        "amount_cents": price.cash_cents,
        "currency": lot.currency,
        "idempotency_key": f"purchase:{wanted.purchase_id}",
        "description": f"{price.tickets} ticket(s) in lot {lot.id}",
        "metadata": {
            "purchase_id": str(wanted.purchase_id),
            "lot_id": str(lot.id),
            "user_id": str(wanted.user_id),
        },
    }


def _refund_unowned(
    platform: PlatformContext, payment_id: str, amount_cents: int, purchase_id: uuid.UUID
) -> None:
    """Give back a charge whose purchase was refused or lost to an earlier one."""
    platform.payments.refund(
        payment_id, amount_cents, idempotency_key=f"purchase-refused:{purchase_id}"
    )


_LINE: PurchaseLine[_Wanted, PurchaseOutcome] = PurchaseLine()


def _join_line(platform: PlatformContext, lot_id: uuid.UUID, wanted: _Wanted) -> PurchaseOutcome:
    return _LINE.submit(
        _line_key(platform, lot_id), wanted, lambda batch: _run_batch(platform, lot_id, batch)
    )


def purchases_waiting(platform: PlatformContext, lot_id: uuid.UUID) -> int:
    """Purchases of ``lot_id`` in this process waiting for the batch running now."""
    return _LINE.waiting(_line_key(platform, lot_id))


def _line_key(platform: PlatformContext, lot_id: uuid.UUID) -> tuple[int, uuid.UUID]:
    return (id(platform.database), lot_id)


# A batch is redone without a purchase refused late (by the ledger or a unique index);
# each redo removes at least one purchase, so a batch of n needs at most n redos.
_MAX_REDOS_FOR_CLASHES = 3


class _LateRefusal(Exception):
    """Purchases refused only once written: the batch is rolled back and redone without."""

    def __init__(self, refusals: dict[int, BaseException]) -> None:
        super().__init__(f"{len(refusals)} purchase(s) refused late")
        self.refusals = refusals


def _run_batch(
    platform: PlatformContext, lot_id: uuid.UUID, batch: Sequence[_Wanted]
) -> list[PurchaseOutcome | BaseException]:
    """Run ``batch`` (purchases of ``lot_id``) in one unit of work with one commit.

    Charges taken in the batch (by index; kept across redos, the provider's key makes a
    redone charge the same charge) are given back for every purchase that does not end
    accepted, and for all of them if the batch fails as a whole.
    """
    refused: dict[int, BaseException] = {}
    charges: dict[int, _Charge] = {}
    clashes = 0
    try:
        while True:
            try:
                with platform.database.sessions() as session:
                    try:
                        results = _Batch(session, platform, lot_id, batch, refused, charges).run()
                    except BaseException:
                        session.rollback()
                        raise
                    session.commit()
                    break
            except _LateRefusal as late:
                refused.update(late.refusals)
            except IntegrityError as error:
                # Another lot's batch committed a purchase under the same (user, key) after
                # this one looked: redone, the look-up finds it and answers the conflict.
                clashes += 1
                if not _is_idempotency_clash(error) or clashes > _MAX_REDOS_FOR_CLASHES:
                    raise
    except BaseException:
        _give_back(platform, batch, charges, charges.keys())
        raise
    _give_back(platform, batch, charges, [i for i in charges if not _owns(results[i])])
    return results


def _owns(result: PurchaseOutcome | BaseException) -> bool:
    """Whether a purchase's result owns the charge taken for it: a new purchase does."""
    return isinstance(result, PurchaseOutcome) and not result.replayed


@dataclass(frozen=True)
class _Charge:
    payment_id: str
    amount_cents: int


def _give_back(
    platform: PlatformContext,
    batch: Sequence[_Wanted],
    charges: Mapping[int, _Charge],
    indexes: Iterable[int],
) -> None:
    for index in list(indexes):
        charge = charges[index]
        try:
            _refund_unowned(
                platform, charge.payment_id, charge.amount_cents, batch[index].purchase_id
            )
        except Exception:  # the others' answers must not be lost to one failed refund
            _log.exception(
                "could not give back payment %s of refused purchase %s; "
                "`alot payments reconcile` lists it",
                charge.payment_id,
                batch[index].purchase_id,
            )


def _is_idempotency_clash(error: IntegrityError) -> bool:
    return "idempotency" in str(error.orig)


@dataclass
class _Accepted:
    index: int
    wanted: _Wanted
    purchase: LotEntryPurchase
    entry: LotEntry
    funds: bool = False


class _Batch:
    """One pass over a batch under the lot's row lock.

    Everything a purchase is checked against is read once for the whole batch, after
    the lot's lock and the ledger's head lock (taken in that order, as settlement takes
    them): the lot, the callers' sessions and accounts, earlier uses of their
    idempotency keys, who passed the trivia, tickets held (when the lot has a cap),
    credit balances and the ledger's head. Every purchase is then checked against the
    lot as the purchases before it in the batch left it, and refused (writing nothing)
    or accepted with the next tickets (a cash purchase is charged once accepted); then
    all accepted purchases are written together: their ledger transactions (built on
    the head already read), the rows with their ledger seqs, the reveals, the buyers'
    counts, the lot's totals, and, if one of them reached the target, the funding with
    its frozen draw inputs. The purchase reaching the target is accepted whole; the ones
    after it in the batch are refused like any later one.
    """

    def __init__(
        self,
        session: Session,
        platform: PlatformContext,
        lot_id: uuid.UUID,
        batch: Sequence[_Wanted],
        refused: dict[int, BaseException],
        charges: dict[int, _Charge],
    ) -> None:
        self._session = session
        self._platform = platform
        self._lot_id = lot_id
        self._batch = batch
        self._refused = refused
        self._charges = charges
        self._entries = EntryRepository(session)
        self._play: PlayGuard  # read in `run`, after the locks

    def run(self) -> list[PurchaseOutcome | BaseException]:
        batch = self._batch
        reads = self._entries.read_for_batch(
            self._lot_id,
            {wanted.caller.session_id for wanted in batch if wanted.caller.session_id},
            {(wanted.user_id, wanted.idempotency_key) for wanted in batch},
            {w.user_id for w in batch if w.order.method is PaymentMethod.CREDITS},
            _ledger_accounts(self._lot_id, batch),
        )
        results: list[PurchaseOutcome | BaseException | None] = [None] * len(batch)
        self._check_callers(reads, results)
        # The buyers' exclusions and spend limits, their settings rows locked after the
        # lot's and the ledger head's locks: a player's purchases in other lots wait.
        self._play = PlayGuard.read(
            self._session,
            {w.user_id for i, w in enumerate(batch) if results[i] is None},
            self._platform.clock(),
        )
        lot = reads.lot
        if lot is None:
            missing = LotNotFound(f"no lot {self._lot_id}")
            return [missing if result is None else result for result in results]
        now = self._platform.clock()
        accepted = self._decide(lot, now, reads, results)
        if accepted:
            self._write(lot, accepted, now, reads)
        for item in accepted:
            results[item.index] = PurchaseOutcome(
                item.purchase, item.entry, lot, replayed=False, funded_now=item.funds
            )
        self._answer_repeats(lot, accepted, results)
        assert all(result is not None for result in results)
        return [result for result in results if result is not None]

    # -- deciding (reads only) ----------------------------------------------------------

    def _check_callers(
        self, reads: BatchReads, results: list[PurchaseOutcome | BaseException | None]
    ) -> None:
        """Refuse the purchases whose session ended, or whose buyer may not buy: the
        check ``current_principal`` makes per request, here read once per batch."""
        for index, wanted in enumerate(self._batch):
            session_id = wanted.caller.session_id
            state = reads.sessions.get(session_id) if session_id else None
            try:
                check_signed_in(wanted.caller, state)
                assert state is not None
                require_verified(state)
            except AlotError as error:
                results[index] = error

    def _decide(
        self,
        lot: Lot,
        now: datetime,
        reads: BatchReads,
        results: list[PurchaseOutcome | BaseException | None],
    ) -> list[_Accepted]:
        batch = [(i, w) for i, w in enumerate(self._batch) if results[i] is None]
        found = self._entries.purchases_by_ids(set(reads.earlier.values()))
        earlier = {key: found[purchase_id] for key, purchase_id in reads.earlier.items()}
        passed = reads.passed_trivia
        cap = lot.max_tickets_per_user
        host_refusal: AlotError | None = None
        try:
            require_host_selling(self._session, lot)  # no read for a platform lot
        except AlotError as error:
            host_refusal = error
        held = dict(reads.tickets_held)
        balances = dict(reads.credit_balances)
        accepted: list[_Accepted] = []
        taken: set[tuple[uuid.UUID, str]] = set()
        compliance = _buyer_checks(self._session, self._platform, batch)
        for index, wanted in batch:
            if index in self._refused:
                results[index] = self._refused[index]
                continue
            key = (wanted.user_id, wanted.idempotency_key)
            if key in earlier:
                results[index] = self._replay_or_conflict(earlier[key], lot, wanted.request_hash)
                continue
            if key in taken:
                continue  # a repeat within the batch: answered once the first is written
            try:
                check_selling(lot, now)
                if host_refusal is not None:
                    raise host_refusal
                price = _price(lot, wanted.order)
                compliance.check(wanted.user_id, price.cash_cents)  # terms, identity
                require_passed_trivia(lot, wanted.user_id in passed)
                self._play.check(wanted.user_id, price.cash_cents)
                if cap is not None:
                    mine = held.get(wanted.user_id, 0)
                    if mine + price.tickets > cap:
                        raise TicketCapExceeded(
                            f"lot {lot.id} allows {cap} tickets per player; you hold {mine}",
                            cap=cap,
                            held=mine,
                        )
                if price.credits:
                    balance = balances.get(wanted.user_id, 0)
                    if balance < price.credits:
                        raise InsufficientCredits(
                            f"needs {price.credits} credits, balance is {balance}",
                            balance_credits=balance,
                            needed_credits=price.credits,
                        )
                payment_id = self._paid(lot, index, wanted, price)
            except AlotError as error:
                results[index] = error
                continue
            secret = reads.holder_secrets[wanted.user_id]
            item = self._allocate(lot, index, wanted, price, payment_id, now, secret)
            accepted.append(item)
            taken.add(key)
            compliance.accepted(wanted.user_id, price.cash_cents)
            held[wanted.user_id] = held.get(wanted.user_id, 0) + price.tickets
            self._play.spend(wanted.user_id, price.cash_cents)
            if price.credits:
                balances[wanted.user_id] -= price.credits
            if lot.funded_cents >= lot.funding_target_cents:
                # The batch announces itself once written (its lot may not be in a session).
                transition(lot, LotStatus.FUNDED, now, action="fund the lot", announce=False)
                item.funds = True
        return accepted

    def _paid(self, lot: Lot, index: int, wanted: _Wanted, price: _Price) -> str | None:
        """The payment of an accepted cash purchase: taken now unless taken before."""
        if not price.cash_cents:
            return None
        if wanted.payment_id is not None:
            return wanted.payment_id
        charge = self._charges.get(index)
        if charge is None:
            result = self._platform.payments.charge(**_charge_request(lot, wanted, price))
            if result.status != "succeeded":
                raise RuntimeError(
                    f"payment provider {self._platform.payments.name} says it completes at"
                    f" once but answered {result.status}"
                )
            charge = self._charges[index] = _Charge(result.payment_id, price.cash_cents)
        return charge.payment_id

    def _allocate(
        self,
        lot: Lot,
        index: int,
        wanted: _Wanted,
        price: _Price,
        payment_id: str | None,
        now: datetime,
        holder_secret: bytes,
    ) -> _Accepted:
        purchase = LotEntryPurchase(
            id=wanted.purchase_id,
            lot_id=lot.id,
            user_id=wanted.user_id,
            method=wanted.order.method.value,
            bundle_index=wanted.order.bundle_index,
            tickets=price.tickets,
            amount_cents=price.cash_cents,
            credits_spent=price.credits,
            currency=lot.currency,
            status=PurchaseStatus.SUCCEEDED.value,
            idempotency_key=wanted.idempotency_key,
            request_hash=wanted.request_hash,
            provider=self._platform.payments.name if payment_id else None,
            provider_payment_id=payment_id,
            created_at=now,
            completed_at=now,
        )
        entry = allocate_entry(lot, purchase, now, holder_secret=holder_secret)
        return _Accepted(index, wanted, purchase, entry)

    # -- writing ------------------------------------------------------------------------

    def _write(self, lot: Lot, accepted: list[_Accepted], now: datetime, reads: BatchReads) -> None:
        connection = self._session.connection()
        ledger = prepare_append(
            connection, reads.ledger, [_ledger_request(lot, item) for item in accepted]
        )
        late: dict[int, BaseException] = {}
        for item, receipt in zip(accepted, ledger.results, strict=True):
            if isinstance(receipt, InsufficientFunds):
                # The ledger refuses to take a user's credits below zero even if a
                # concurrent spend elsewhere got past the projection's check.
                late[item.index] = InsufficientCredits(
                    f"needs {item.purchase.credits_spent} credits,"
                    f" balance is {receipt.extra['balance']}",
                    balance_credits=receipt.extra["balance"],
                    needed_credits=item.purchase.credits_spent,
                )
            elif isinstance(receipt, BaseException):
                late[item.index] = receipt
            else:
                item.purchase.ledger_seq = receipt.seq
        if late:
            raise _LateRefusal(late)

        buyers: dict[uuid.UUID, int] = defaultdict(int)
        for item in accepted:
            buyers[item.wanted.user_id] += 1
        spends = [item for item in accepted if item.purchase.credits_spent]
        funds = any(item.funds for item in accepted)
        self._entries.write_batch(
            lot,
            ledger,
            [item.purchase for item in accepted],
            [item.entry for item in accepted],
            buyers,
            now,
            # The common batch (cash, not funding) commits with its writes; the rest
            # goes on through the ORM and commits after it.
            commit=not spends and not funds,
        )
        emit(
            self._session,
            Event(
                EventType.LOT_FUNDED if funds else EventType.LOT_UPDATE,
                now,
                lot_id=lot.id,
                data=lot_snapshot(lot),
            ),
        )
        for item in accepted:  # counted and logged as their requests' once committed
            business.purchased(
                self._session,
                lot,
                item.purchase,
                request_id=item.wanted.request_id,
                funded=item.funds,
            )
        for item in spends:
            assert item.purchase.ledger_seq is not None
            try:
                CreditsService(self._session, now).apply(
                    [_credit_change(lot, item)], ledger_seq=item.purchase.ledger_seq
                )
            except InsufficientCredits as error:
                raise _LateRefusal({item.index: error}) from None
        if funds:
            # The funding purchase's ledger transaction is in: at this memo the ledger's
            # escrow equals the frozen escrow. The lot is loaded into the session (it
            # is locked already) as the batch's writes left it.
            funded = LotRepository(self._session).get_for_update(lot.id)
            assert funded is not None
            DrawService(self._session, self._platform).freeze(funded)
            if funded.host_id is not None:
                count_funded_host_lot(self._session, funded.host_id)

    def _replay_or_conflict(
        self, earlier: LotEntryPurchase, lot: Lot, request_hash: str
    ) -> PurchaseOutcome | AlotError:
        """What a purchase gets whose key named an earlier one, found under the lock."""
        if earlier.lot_id != lot.id or earlier.request_hash != request_hash:
            return IdempotencyConflict(
                "this Idempotency-Key was used for a different purchase request",
                purchase_id=str(earlier.id),
            )
        entry = self._entries.entry_of(earlier.id)
        return PurchaseOutcome(earlier, entry, lot, replayed=True, funded_now=False)

    def _answer_repeats(
        self,
        lot: Lot,
        accepted: list[_Accepted],
        results: list[PurchaseOutcome | BaseException | None],
    ) -> None:
        """Purchases repeating the key of one accepted earlier in the same batch."""
        first = {(a.wanted.user_id, a.wanted.idempotency_key): a for a in accepted}
        for index, wanted in enumerate(self._batch):
            if results[index] is not None:
                continue
            original = first[(wanted.user_id, wanted.idempotency_key)]
            if original.wanted.request_hash != wanted.request_hash:
                results[index] = IdempotencyConflict(
                    "this Idempotency-Key was used for a different purchase request",
                    purchase_id=str(original.purchase.id),
                )
            else:
                results[index] = PurchaseOutcome(
                    original.purchase, original.entry, lot, replayed=True, funded_now=False
                )


def _buyer_checks(
    session: Session, platform: PlatformContext, batch: Sequence[tuple[int, _Wanted]]
) -> BuyerChecks:
    """The compliance rules' reads for the batch's buyers (one query, under the lock)."""
    return BuyerChecks.read(session, {w.user_id for _, w in batch}, platform.settings)


def allocate_entry(
    lot: Lot, purchase: LotEntryPurchase, now: datetime, *, holder_secret: bytes
) -> LotEntry:
    """The next tickets of ``lot`` for ``purchase``: its entry, with the lot's totals moved.

    The caller holds the lot's row lock and has checked the purchase may be accepted;
    a pending purchase whose payment arrived is allocated by this too (payments).
    ``holder_secret``: the buyer's, for the entry's holder pseudonym (entries.holders).
    """
    first = lot.tickets_sold + 1
    entry = LotEntry(
        id=uuid.uuid4(),
        lot_id=lot.id,
        user_id=purchase.user_id,
        purchase_id=purchase.id,
        tickets_start=first,
        tickets_end=first + purchase.tickets - 1,
        ticket_count=purchase.tickets,
        amount_paid_cents=purchase.amount_cents,
        credits_spent=purchase.credits_spent,
        holder=entry_holder(lot, holder_secret),
        is_winner=False,
        credits_awarded=0,
        created_at=now,
    )
    lot.tickets_sold += purchase.tickets
    lot.cash_cents += purchase.amount_cents
    lot.credits_spent += purchase.credits_spent
    lot.updated_at = now
    return entry


def _ledger_accounts(lot_id: uuid.UUID, batch: Sequence[_Wanted]) -> set[tuple[str, str]]:
    """The ledger accounts a batch's purchases will likely post to, read with the lot
    (those of ``purchase_ledger_request``; one it adds is read when needed)."""
    escrow = lot_escrow(lot_id)
    accounts: set[tuple[str, str]] = set()
    for wanted in batch:
        if wanted.order.method is PaymentMethod.CASH:
            accounts |= {(PLATFORM_CASH, USD), (escrow, USD)}
        else:
            accounts |= {(user_credits(wanted.user_id), CRD), (escrow, CRD)}
    return accounts


def _ledger_request(lot: Lot, item: _Accepted) -> TransactionRequest:
    return purchase_ledger_request(lot, item.purchase, item.entry)


def purchase_ledger_request(
    lot: Lot,
    purchase: LotEntryPurchase,
    entry: LotEntry,
    *,
    payment_refs: Mapping[str, str] | None = None,
    idempotency_key: str | None = None,
) -> TransactionRequest:
    """The ledger transaction of an accepted purchase (``payment_refs``: the provider's ids)."""
    escrow = lot_escrow(lot.id)
    if purchase.method == PaymentMethod.CASH.value:
        postings = [
            Posting(PLATFORM_CASH, USD, -purchase.amount_cents),
            Posting(escrow, USD, purchase.amount_cents),
        ]
    else:
        postings = [
            Posting(user_credits(purchase.user_id), CRD, -purchase.credits_spent),
            Posting(escrow, CRD, purchase.credits_spent),
        ]
    return build_request(
        "entry_purchase",
        postings,
        refs={
            "lot_id": str(lot.id),
            "purchase_id": str(purchase.id),
            "user_id": str(purchase.user_id),
            **holder_refs(entry.holder),
            **(payment_refs or {}),
        },
        metadata={
            "method": purchase.method,
            "tickets": purchase.tickets,
            "tickets_start": entry.tickets_start,
            "tickets_end": entry.tickets_end,
        },
        idempotency_key=idempotency_key,
    )


def _credit_change(lot: Lot, item: _Accepted) -> CreditChange:
    return CreditChange(
        user_id=item.purchase.user_id,
        amount=-item.purchase.credits_spent,
        transaction_type=CreditTransactionType.ENTRY_PURCHASE,
        lot_id=lot.id,
        lot_entry_id=item.entry.id,
        purchase_id=item.purchase.id,
        details={"tickets": item.purchase.tickets},
    )
