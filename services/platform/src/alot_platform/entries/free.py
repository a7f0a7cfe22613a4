"""Free entry (no purchase necessary): one ticket, nothing paid, the same odds.

A player may enter a lot for free instead of buying, online (``POST
/api/lots/{id}/free-entries``) or by post (an admin records the card with ``POST
/api/admin/lots/{id}/free-entries``). Each person gets one free entry per lot, or one
per ``free_entry_period_days`` when the lot sets a period; the trivia question applies
as it does to a purchase, and the lot must be selling.

A free entry is one unit of work under the lot's row lock, like a purchase:

1. the lot is locked (then, by the ledger append, the ledger's chain head: the order
   purchases and settlement take them, so none of them deadlocks with another);
2. an earlier use of the idempotency key (online) or of the postal reference answers
   the first entry, as it stands;
3. the player's eligibility (``_check_player``), the lot selling, the trivia, and the
   free-entry period are checked against what is committed now: two requests at once
   are decided one after the other, and only the first gets the ticket;
4. the entry is written as a purchase of method ``free`` (amount 0, credits 0, one
   ticket) with its ``lot_entries`` row, allocated by ``allocate_entry`` in the same
   ticket sequence as paid tickets, and a ``free_entry`` ledger transaction without
   postings (no money moves) records it in the same transaction.

A free ticket is drawn exactly like a paid one (its ticket map entry carries ``"kind":
"free"``, docs/spec/draw.md). It never funds a lot (no money), earns no credits at
settlement (credits are a share of what an entry paid: nothing), and an expired lot
has nothing to refund for it.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from alot_ledger import Ledger
from alot_verify.canonical import canonical_json
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alot_platform.audit.service import record_action
from alot_platform.auth.service import require_verified
from alot_platform.compliance.service import require_country_allowed, require_terms_current
from alot_platform.context import PlatformContext
from alot_platform.entries.holders import holder_refs
from alot_platform.entries.models import (
    FreeEntryRoute,
    LotEntry,
    LotEntryPurchase,
    LotFreeEntry,
    PaymentMethod,
    PurchaseStatus,
)
from alot_platform.entries.repository import EntryRepository
from alot_platform.entries.service import (
    IdempotencyConflict,
    LotNotFound,
    allocate_entry,
    check_selling,
)
from alot_platform.errors import Conflict
from alot_platform.hosts.selling import require_host_selling
from alot_platform.lots.models import Lot
from alot_platform.lots.repository import LotRepository
from alot_platform.play.service import require_may_play
from alot_platform.realtime.events import Event, EventType, emit, lot_snapshot
from alot_platform.trivia.repository import TriviaRepository
from alot_platform.trivia.service import answer_digest, require_passed_trivia
from alot_platform.users.models import User, UserStatus
from alot_platform.users.service import UserNotFound

LEDGER_KIND = "free_entry"


class FreeEntryUsed(Conflict):
    """The player already has the free entry of this lot (or of this period)."""

    code = "free_entry_used"
    title = "Free entry already used"


class PostalReferenceUsed(Conflict):
    code = "postal_reference_used"
    title = "This postal reference was recorded for another entry"


class PlayerInactive(Conflict):
    code = "player_inactive"
    title = "This account cannot enter"


@dataclass(frozen=True)
class PostalCard:
    """A free entry received by post, as the admin reads it off the card."""

    reference: str
    received_on: date
    trivia_answer: str


@dataclass(frozen=True)
class FreeEntryOutcome:
    purchase: LotEntryPurchase
    entry: LotEntry
    free_entry: LotFreeEntry
    lot: Lot
    replayed: bool
    """True when the key (online) or reference (postal) named an earlier free entry."""


@dataclass(frozen=True)
class FreeEntryStanding:
    """Whether a player may enter a lot for free now, and when next if not."""

    period_days: int | None
    used: int
    available: bool
    next_at: datetime | None
    """When the next free entry opens; None when available now, or never (once per lot)."""


def request_hash(lot_id: uuid.UUID, route: FreeEntryRoute) -> str:
    body = {"lot_id": str(lot_id), "method": PaymentMethod.FREE.value, "route": route.value}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def postal_key(lot_id: uuid.UUID, reference: str) -> str:
    """The purchase's idempotency key of a postal entry (the reference names the card)."""
    return f"postal:{lot_id}:{reference}"


class FreeEntryService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._lots = LotRepository(session)
        self._entries = EntryRepository(session)

    # -- entering ---------------------------------------------------------------------

    def enter(
        self,
        lot_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        idempotency_key: str | None = None,
        postal: PostalCard | None = None,
        recorded_by: uuid.UUID | None = None,
        country: str | None = None,
    ) -> FreeEntryOutcome:
        """Give ``user_id`` their free ticket in ``lot_id``: online with the player's
        ``idempotency_key``, or by post with the admin's reading of the ``postal`` card
        (``recorded_by``: the admin). ``country``: the trusted proxy's country of an
        online request, held to the allow-list as a purchase's is. See the module
        docstring for the steps."""
        require_country_allowed(country, self._platform.settings)
        route = FreeEntryRoute.ONLINE if postal is None else FreeEntryRoute.POSTAL
        if postal is not None:
            key = postal_key(lot_id, postal.reference)
        elif idempotency_key is None:
            raise ValueError("an online free entry needs the player's idempotency key")
        else:
            key = idempotency_key
        wanted_hash = request_hash(lot_id, route)
        lot = self._lots.get_for_update(lot_id)
        if lot is None:
            raise LotNotFound(f"no lot {lot_id}")
        earlier = self._earlier(lot, user_id, key, postal)
        if earlier is not None:
            return self._replay_or_conflict(earlier, lot, wanted_hash)
        user = self._session.get(User, user_id)
        if user is None:
            raise UserNotFound(f"no user {user_id}")
        now = self._platform.clock()
        self._check_player(lot, user, route, now)
        check_selling(lot, now)
        require_host_selling(self._session, lot)
        if postal is None:
            passed = TriviaRepository(self._session).has_passed(lot.id, user.id)
        else:
            # The card carries the answer: checked as the trivia endpoint checks one.
            digest = answer_digest(self._platform.keys, lot.id, postal.trivia_answer)
            passed = hmac.compare_digest(digest, lot.trivia_answer_hmac)
        require_passed_trivia(lot, passed)
        standing = self.standing(lot, user.id, now)
        if not standing.available:
            raise FreeEntryUsed(
                _used_detail(lot, standing),
                next_at=standing.next_at.isoformat() if standing.next_at else None,
            )
        return self._write(lot, user, route, key, wanted_hash, postal, recorded_by, now)

    def _check_player(self, lot: Lot, user: User, route: FreeEntryRoute, now: datetime) -> None:
        """Whether ``user`` may enter at all: every player-eligibility check of a free
        entry runs here, under the lot's lock, before anything is written.

        A free entry is an entry: a time-out or self-exclusion refuses it by either
        route, as it refuses a purchase. Online, the player must also have accepted
        the current terms (the form is where they are asked); a postal card is entered
        under the terms printed with the postal route, and the admin cannot accept
        terms on a player's behalf.
        """
        if user.status != UserStatus.ACTIVE.value:
            raise PlayerInactive(f"account {user.id} is {user.status}")
        require_may_play(self._session, user.id, now)
        if route is FreeEntryRoute.ONLINE:
            # A postal entry is checked by the admin reading the card instead.
            require_verified(user)
            require_terms_current(self._session, user.id, self._platform.settings)

    def _write(
        self,
        lot: Lot,
        user: User,
        route: FreeEntryRoute,
        key: str,
        wanted_hash: str,
        postal: PostalCard | None,
        recorded_by: uuid.UUID | None,
        now: datetime,
    ) -> FreeEntryOutcome:
        purchase = LotEntryPurchase(
            id=uuid.uuid4(),
            lot_id=lot.id,
            user_id=user.id,
            method=PaymentMethod.FREE.value,
            bundle_index=None,
            tickets=1,
            amount_cents=0,
            credits_spent=0,
            currency=lot.currency,
            status=PurchaseStatus.SUCCEEDED.value,
            idempotency_key=key,
            request_hash=wanted_hash,
            created_at=now,
            completed_at=now,
        )
        entry = allocate_entry(lot, purchase, now, holder_secret=user.holder_secret)
        lot.free_tickets += 1
        free_entry = LotFreeEntry(
            id=uuid.uuid4(),
            lot_id=lot.id,
            user_id=user.id,
            purchase_id=purchase.id,
            route=route.value,
            reference=postal.reference if postal else None,
            received_on=postal.received_on if postal else None,
            recorded_by=recorded_by,
            created_at=now,
        )
        if recorded_by is not None:
            # An admin's action on a player's entry; appended before the ledger, the
            # order every audited action takes.
            record_action(
                self._session,
                actor_id=recorded_by,
                action="postal_free_entry_recorded",
                target_type="lot",
                target_id=lot.id,
                details={"user_id": str(user.id), "purchase_id": str(purchase.id)},
                now=now,
            )
        # The ledger after the lot's lock (held), before the player's rows: the order
        # purchases take. No postings: nothing is paid; the ticket range is recorded.
        receipt = Ledger(self._session).memo(
            LEDGER_KIND,
            refs={
                "lot_id": str(lot.id),
                "purchase_id": str(purchase.id),
                "user_id": str(user.id),
                **holder_refs(entry.holder),
            },
            metadata={
                "route": route.value,
                "tickets_start": entry.tickets_start,
                "tickets_end": entry.tickets_end,
            },
            idempotency_key=f"free_entry:{purchase.id}",
        )
        purchase.ledger_seq = receipt.seq
        self._entries.add(purchase)
        self._session.flush()
        self._entries.add(entry)
        self._session.add(free_entry)
        self._session.flush()
        self._entries.ensure_pending_reveals(lot.id, [user.id], now)
        self._entries.count_entries({user.id: 1})
        emit(self._session, Event(EventType.LOT_UPDATE, now, lot.id, data=lot_snapshot(lot)))
        return FreeEntryOutcome(purchase, entry, free_entry, lot, replayed=False)

    # -- earlier entries --------------------------------------------------------------

    def _earlier(
        self, lot: Lot, user_id: uuid.UUID, key: str, postal: PostalCard | None
    ) -> LotEntryPurchase | None:
        if postal is not None:
            recorded = self._session.scalars(
                select(LotFreeEntry).where(
                    LotFreeEntry.lot_id == lot.id, LotFreeEntry.reference == postal.reference
                )
            ).one_or_none()
            if recorded is None:
                return None
            if recorded.user_id != user_id:
                raise PostalReferenceUsed(
                    f"reference {postal.reference!r} is recorded for another player's entry",
                    purchase_id=str(recorded.purchase_id),
                )
            return self._session.get(LotEntryPurchase, recorded.purchase_id)
        return self._entries.purchases_by_keys({(user_id, key)}).get((user_id, key))

    def _replay_or_conflict(
        self, earlier: LotEntryPurchase, lot: Lot, wanted_hash: str
    ) -> FreeEntryOutcome:
        if earlier.lot_id != lot.id or earlier.request_hash != wanted_hash:
            raise IdempotencyConflict(
                "this Idempotency-Key was used for a different request",
                purchase_id=str(earlier.id),
            )
        entry = self._entries.entry_of(earlier.id)
        free_entry = self._session.scalars(
            select(LotFreeEntry).where(LotFreeEntry.purchase_id == earlier.id)
        ).one()
        assert entry is not None
        return FreeEntryOutcome(earlier, entry, free_entry, lot, replayed=True)

    # -- reading ----------------------------------------------------------------------

    def standing(self, lot: Lot, user_id: uuid.UUID, now: datetime) -> FreeEntryStanding:
        """Whether ``user_id`` may enter ``lot`` for free at ``now`` (the period only;
        the lot selling and the trivia are checked when entering)."""
        used, last = self._session.execute(
            select(func.count(), func.max(LotFreeEntry.created_at)).where(
                LotFreeEntry.lot_id == lot.id, LotFreeEntry.user_id == user_id
            )
        ).one()
        period = lot.free_entry_period_days
        if last is None:
            return FreeEntryStanding(period, 0, True, None)
        if period is None:
            return FreeEntryStanding(period, used, False, None)
        last = _utc(last)
        next_at = last + timedelta(days=period)
        if now >= next_at:
            return FreeEntryStanding(period, used, True, None)
        return FreeEntryStanding(period, used, False, next_at)

    def my_tickets(self, lot_id: uuid.UUID, user_id: uuid.UUID) -> tuple[int, int]:
        """(tickets, of which free) ``user_id`` holds in ``lot_id``."""
        tickets, free = self._session.execute(
            select(
                func.coalesce(func.sum(LotEntry.ticket_count), 0),
                func.count(LotFreeEntry.id),
            )
            .select_from(LotEntry)
            .outerjoin(LotFreeEntry, LotFreeEntry.purchase_id == LotEntry.purchase_id)
            .where(LotEntry.lot_id == lot_id, LotEntry.user_id == user_id)
        ).one()
        return int(tickets), int(free)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _used_detail(lot: Lot, standing: FreeEntryStanding) -> str:
    if standing.next_at is None:
        return f"you already have your free entry in lot {lot.id} (one per player)"
    return (
        f"you already have a free entry in lot {lot.id} in the last"
        f" {standing.period_days} day(s); the next opens at {standing.next_at.isoformat()}"
    )


__all__ = [
    "LEDGER_KIND",
    "FreeEntryOutcome",
    "FreeEntryService",
    "FreeEntryStanding",
    "FreeEntryUsed",
    "PostalCard",
    "PostalReferenceUsed",
]
