"""The lot engine's rules: the catalogue, creating and opening lots, and discovery.

Opening a lot is where fairness starts: the server seed is drawn from `secrets`, its
commitment is stored on the lot and written to the ledger (memo `draw_commitment`) in
the same transaction as the `created -> open` transition, so the commitment exists
before any entry can. The same memo declares the lot's randomness beacon: the drand
chain an alot-v2 draw will use, or none (declared beacon-less), which the freeze then
follows whatever the configuration says by then. The seed itself is never served
before the lot is funded (the freeze reveals it), and is stored only sealed (AES-GCM
under a key kept outside the database), so a dump reveals none.

Who sees what: lots still `created` are visible only to admins; `private` lots to
admins, their creator (or host), and players who passed their trivia gate (reached
through the lot's link, with its invite code when it has one); `unlisted` lots are
reachable by id but never listed; lists show `public` lots only (admins see every lot).
A host lot opens only once approved (hosts/service.py).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from alot_ledger import Ledger
from alot_verify.beacon import DrandChain
from alot_verify.draw import commitment_v1, commitment_v2
from sqlalchemy.orm import Session

from alot_platform.audit.service import acting_user, record_action
from alot_platform.context import PlatformContext
from alot_platform.draws.beacon import DrandBeacon
from alot_platform.errors import Conflict, InvalidInput, NotFound
from alot_platform.lots.models import (
    DrawAlgorithm,
    Lot,
    LotReview,
    LotStatus,
    ProductClass,
    Visibility,
)
from alot_platform.lots.repository import LeaderboardEntry, LotQuery, LotRepository
from alot_platform.lots.schemas import (
    EntryBundle,
    LotCreate,
    LotSort,
    LotUpdate,
    ProductClassCreate,
    ProductClassUpdate,
)
from alot_platform.lots.state import LotDeadlinePassed, LotStateConflict, transition
from alot_platform.observability import business
from alot_platform.pagination import decode_cursor, encode_cursor, page_of
from alot_platform.realtime.events import Event, EventType, emit, lot_snapshot
from alot_platform.security.crypto import is_plaintext_seed
from alot_platform.trivia.repository import TriviaRepository
from alot_platform.trivia.service import answer_digest
from alot_platform.users.models import Role, User

DRAW_COMMITMENT = "draw_commitment"
# Discovery search: at most this many characters, split into at most MAX_SEARCH_WORDS words.
MAX_SEARCH_LENGTH = 100
MAX_SEARCH_WORDS = 8
LOT_EXTENDED = "lot_extended"


class LotNotFound(NotFound):
    code = "lot_not_found"
    title = "Lot not found"


class ProductClassNotFound(NotFound):
    code = "product_class_not_found"
    title = "Product class not found"


class ProductClassInUse(Conflict):
    code = "product_class_in_use"
    title = "Product class is used by a lot"


class LotNotApproved(Conflict):
    code = "lot_not_approved"
    title = "A host lot opens only once approved"


class InvalidLot(InvalidInput):
    code = "invalid_lot"
    title = "Invalid lot"


def draw_timestamp(moment: datetime) -> str:
    """A timestamp as alot-v1 and the ledger write it: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    alot-v1's client seed uses ``draw_timestamp(lot.created_at)``.
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def is_admin(user: User | None) -> bool:
    return user is not None and Role.ADMIN in user.roles


class LotService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._lots = LotRepository(session)
        self._platform = platform

    # -- the catalogue --------------------------------------------------------------

    def get_product_class(self, product_class_id: uuid.UUID) -> ProductClass:
        product = self._lots.get_product_class(product_class_id)
        if product is None:
            raise ProductClassNotFound(f"no product class {product_class_id}")
        return product

    def list_product_classes(
        self, *, cursor: str | None, limit: int
    ) -> tuple[list[ProductClass], str | None]:
        """A page of the catalogue, oldest first, and the cursor of the next page."""
        after = decode_cursor(cursor, "product_classes", datetime, uuid.UUID) if cursor else None
        rows = self._lots.list_product_classes(after=after, limit=limit + 1)
        return page_of(rows, limit, lambda p: encode_cursor("product_classes", p.created_at, p.id))

    def create_product_class(self, data: ProductClassCreate) -> ProductClass:
        now = self._platform.clock()
        product = ProductClass(
            id=uuid.uuid4(), **data.model_dump(), currency="USD", created_at=now, updated_at=now
        )
        self._lots.add(product)
        self._lots.flush()
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="product_class_created",
            target_type="product_class",
            target_id=product.id,
            details={"retail_value_cents": product.retail_value_cents},
            now=now,
        )
        return product

    def update_product_class(
        self, product_class_id: uuid.UUID, changes: ProductClassUpdate
    ) -> ProductClass:
        product = self.get_product_class(product_class_id)
        for name, value in changes.model_dump(exclude_unset=True).items():
            if value is None and name in _REQUIRED_PRODUCT_FIELDS:
                raise InvalidInput(f"{name} cannot be removed", field=name)
            setattr(product, name, value)
        product.updated_at = self._platform.clock()
        self._lots.flush()
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="product_class_updated",
            target_type="product_class",
            target_id=product.id,
            details={"fields": sorted(changes.model_dump(exclude_unset=True))},
            now=product.updated_at,
        )
        # Lot views show the product (name, tier, value...): every one built is stale.
        emit(self._session, Event(EventType.CATALOGUE_CHANGED, product.updated_at, internal=True))
        return product

    def delete_product_class(self, product_class_id: uuid.UUID) -> None:
        product = self.get_product_class(product_class_id)
        if self._lots.product_class_in_use(product.id):
            raise ProductClassInUse(f"product class {product.id} is the prize of a lot")
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="product_class_deleted",
            target_type="product_class",
            target_id=product.id,
            details={},
            now=self._platform.clock(),
        )
        self._lots.delete(product)

    # -- creating and changing lots -------------------------------------------------

    def create(self, data: LotCreate, creator: User) -> Lot:
        now = self._platform.clock()
        self.get_product_class(data.product_class_id)  # 404 before anything is written
        _check_deadline(data.deadline, now)
        _check_cap(data.entry_bundles, data.max_tickets_per_user)
        lot_id = uuid.uuid4()
        lot = Lot(
            id=lot_id,
            product_class_id=data.product_class_id,
            created_by=creator.id,
            lot_type=data.lot_type.value,
            title=data.title,
            funding_target_cents=data.funding_target_cents,
            currency="USD",
            deadline=data.deadline,
            status=LotStatus.CREATED.value,
            cash_cents=0,
            credits_spent=0,
            tickets_sold=0,
            free_tickets=0,
            entry_bundles=[b.model_dump() for b in data.entry_bundles],
            visibility=data.visibility.value,
            max_tickets_per_user=data.max_tickets_per_user,
            free_entry_period_days=data.free_entry_period_days,
            non_winner_credit_rate_percent=data.non_winner_credit_rate_percent,
            trivia_question=data.trivia_question,
            trivia_answer_hmac=answer_digest(self._platform.keys, lot_id, data.trivia_answer),
            draw_algorithm=(
                data.draw_algorithm or DrawAlgorithm(self._platform.settings.draw_algorithm_default)
            ).value,
            # Every lot from now on names its holders by pseudonym in its proofs.
            pseudonymous_holders=True,
            created_at=now,
            updated_at=now,
        )
        self._lots.add(lot)
        self._lots.flush()
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="lot_created",
            target_type="lot",
            target_id=lot.id,
            details={"funding_target_cents": lot.funding_target_cents},
            now=now,
        )
        business.lot_created(self._session, lot)
        return lot

    def update(self, lot_id: uuid.UUID, changes: LotUpdate) -> Lot:
        """Edit a lot that is not open yet (409 once it is)."""
        now = self._platform.clock()
        lot = self._locked(lot_id)
        if lot.status != LotStatus.CREATED:
            raise LotStateConflict(lot, "edit it (only a lot not yet open can change)")
        fields = changes.model_dump(exclude_unset=True)
        for name in _REQUIRED_LOT_FIELDS & {k for k, v in fields.items() if v is None}:
            raise InvalidInput(f"{name} cannot be removed", field=name)
        if changes.product_class_id is not None:
            # Through the relationship, so the lot read back shows the new product.
            lot.product_class = self.get_product_class(fields.pop("product_class_id"))
        if changes.deadline is not None:
            _check_deadline(changes.deadline, now)
        bundles = changes.entry_bundles or [EntryBundle(**b) for b in lot.entry_bundles]
        _check_cap(bundles, fields.get("max_tickets_per_user", lot.max_tickets_per_user))

        answer = fields.pop("trivia_answer", None)
        if answer is not None:
            lot.trivia_answer_hmac = answer_digest(self._platform.keys, lot.id, answer)
        for name, value in fields.items():
            setattr(lot, name, value)  # model_dump made entry_bundles plain dicts
        lot.updated_at = now
        self._lots.flush()
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="lot_updated",
            target_type="lot",
            target_id=lot.id,
            details={"fields": sorted(changes.model_dump(exclude_unset=True))},
            now=now,
        )
        self._changed(lot, now)
        return lot

    def open(self, lot_id: uuid.UUID) -> Lot:
        """created -> open: draw the server seed and commit to it in the ledger."""
        now = self._platform.clock()
        lot = self._locked(lot_id)
        if lot.status != LotStatus.CREATED:
            raise LotStateConflict(lot, "open it")
        if lot.host_id is not None and lot.review_status != LotReview.APPROVED:
            raise LotNotApproved(
                f"lot {lot.id} is a host lot in review {lot.review_status}: approve it"
                " (POST /api/admin/lots/{id}/approve), which opens it",
                lot_id=str(lot.id),
                review_status=lot.review_status,
            )
        if lot.deadline <= now:
            raise LotDeadlinePassed(
                f"the deadline {lot.deadline.isoformat()} has passed; move it first",
                deadline=lot.deadline.isoformat(),
            )
        seed = secrets.token_hex(32)
        commit = commitment_v1 if lot.draw_algorithm == DrawAlgorithm.V1 else commitment_v2
        lot.server_seed_sealed = self._platform.seed_sealer.seal(seed, lot.id)
        lot.server_seed_commitment = commit(seed)
        chain = self._declared_chain(lot)
        lot.beacon_chain_hash = None if chain is None else chain.chain_hash
        lot.beacon_declared = True
        transition(lot, LotStatus.OPEN, now, action="open it")
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="lot_opened",
            target_type="lot",
            target_id=lot.id,
            details={"host_id": lot.host_id},
            now=now,
        )
        # Last: the ledger holds its chain-head lock from here until commit.
        receipt = Ledger(self._session).memo(
            DRAW_COMMITMENT,
            refs={"lot_id": str(lot.id)},
            metadata={
                "algorithm": lot.draw_algorithm,
                "server_seed_commitment": lot.server_seed_commitment,
                "lot_created_at": draw_timestamp(lot.created_at),
                "deadline": draw_timestamp(lot.deadline),
                "funding_target_cents": lot.funding_target_cents,
                # Declared now, before any entry: the chain the draw will use, or null
                # for a lot drawn without a beacon (which verifiers then accept only
                # because it was declared here, and players are told).
                "beacon": (
                    None
                    if chain is None
                    else {"chain_hash": chain.chain_hash, "scheme": chain.scheme}
                ),
            },
            idempotency_key=f"lot:{lot.id}:{DRAW_COMMITMENT}",
        )
        lot.commitment_ledger_seq = receipt.seq
        self._lots.flush()
        return lot

    def _declared_chain(self, lot: Lot) -> DrandChain | None:
        """The drand chain an opening lot declares: the configured one for alot-v2
        when a drand endpoint is configured, else none (alot-v1 never has a beacon)."""
        if lot.draw_algorithm != DrawAlgorithm.V2:
            return None
        beacon = DrandBeacon.from_settings(self._platform.settings)
        return None if beacon is None else beacon.chain

    def extend(self, lot_id: uuid.UUID, deadline: datetime, reason: str, admin: User) -> Lot:
        """Move an open lot's deadline later, before it passes; recorded in the ledger
        (``lot_extended``: both deadlines, the reason, the admin's id).

        From the deadline on the lot expires and its refunds start by themselves, so
        it is never extended after that (409), even before the tick has expired it.
        """
        now = self._platform.clock()
        lot = self._locked(lot_id)
        if lot.status != LotStatus.OPEN:
            raise LotStateConflict(
                lot, "extend it (only an open lot can be extended, before its deadline)"
            )
        if now >= lot.deadline:
            raise LotDeadlinePassed(
                f"the deadline {lot.deadline.isoformat()} has passed: the lot expires and its"
                " refunds start automatically, so it can no longer be extended",
                lot_id=str(lot.id),
                deadline=lot.deadline.isoformat(),
            )
        _check_deadline(deadline, now)
        if deadline <= lot.deadline:
            raise InvalidLot(
                f"the new deadline must be later than the current {lot.deadline.isoformat()}",
                field="deadline",
            )
        previous = lot.deadline
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="lot_extended",
            target_type="lot",
            target_id=lot.id,
            details={"previous_deadline": previous, "deadline": deadline},
            now=now,
        )
        lot.deadline = deadline
        lot.updated_at = now
        Ledger(self._session).memo(
            LOT_EXTENDED,
            refs={"lot_id": str(lot.id), "admin_id": str(admin.id)},
            metadata={
                "previous_deadline": draw_timestamp(previous),
                "deadline": draw_timestamp(deadline),
                "reason": reason,
            },
        )
        self._lots.flush()
        self._changed(lot, now)
        return lot

    def reseal_seeds(self) -> int:
        """Seal every lot's server seed with the newest key (after a key rotation), and
        any seed still in the clear; return how many changed. Safe to run again."""
        sealer = self._platform.seed_sealer
        resealed = 0
        for lot in self._lots.with_sealed_seeds():
            stored = lot.server_seed_sealed
            assert stored is not None
            if sealer.is_current(stored):
                continue
            seed = stored if is_plaintext_seed(stored) else sealer.unseal(stored, lot.id)
            lot.server_seed_sealed = sealer.seal(seed, lot.id)
            resealed += 1
        self._lots.flush()
        return resealed

    # -- reading --------------------------------------------------------------------

    def get_visible(self, lot_id: uuid.UUID, viewer: User | None) -> Lot:
        """The lot if ``viewer`` may see it, else 404 (hidden lots are not confirmed)."""
        lot = self._lots.get(lot_id)
        if lot is None or not self.may_see(lot, viewer):
            raise LotNotFound(f"no lot {lot_id}")
        return lot

    def get_by_token(self, token: str, viewer: User | None) -> Lot:
        """A private lot by its link's token (404 for a wrong one, or a lot not open yet)."""
        lot = self._lots.by_access_token(token) if len(token) <= 64 else None
        if lot is None or (lot.status == LotStatus.CREATED and not is_admin(viewer)):
            raise LotNotFound("no lot at this link")
        return lot

    def get_for_trivia(self, lot_id: uuid.UUID, viewer: User, access_token: str | None) -> Lot:
        """The lot to answer the trivia of: one ``viewer`` may see, or a private lot
        whose link's token comes with the answer (passing lets them see it)."""
        lot = self._lots.get(lot_id)
        if lot is not None and not self.may_see(lot, viewer):
            reached = (
                lot.visibility == Visibility.PRIVATE
                and lot.status != LotStatus.CREATED
                and access_token is not None
                and lot.access_token is not None
                and secrets.compare_digest(lot.access_token, access_token)
            )
            lot = lot if reached else None
        if lot is None:
            raise LotNotFound(f"no lot {lot_id}")
        return lot

    def may_see(self, lot: Lot, viewer: User | None) -> bool:
        if not _may_see(lot, viewer):
            return False
        if lot.visibility != Visibility.PRIVATE or is_admin(viewer):
            return True
        assert viewer is not None
        if viewer.id == lot.created_by:
            return True
        if lot.host is not None and lot.host.user_id == viewer.id:
            return True
        return TriviaRepository(self._session).has_passed(lot.id, viewer.id)

    def locked(self, lot_id: uuid.UUID) -> Lot:
        """The lot, locked for a change in this unit of work (404 if none)."""
        return self._locked(lot_id)

    def discover(
        self,
        viewer: User | None,
        *,
        statuses: Sequence[LotStatus] = (),
        tier: str | None = None,
        category: str | None = None,
        ending_within_hours: int | None = None,
        min_progress_percent: int | None = None,
        search: str | None = None,
        sort: LotSort = "newest",
        cursor: str | None = None,
        limit: int = 20,
        host_id: uuid.UUID | None = None,
    ) -> tuple[list[Lot], str | None]:
        """A page of lots and the cursor of the next page (None at the end).

        ``search``: every word (whitespace-separated) must occur, case-insensitively, in
        the title, or in the product's name or brand where the viewer may see the product.
        """
        admin = is_admin(viewer)
        now = self._platform.clock()
        shown = [s for s in (statuses or LotStatus) if admin or s != LotStatus.CREATED]
        key_type = int if sort == "most_funded" else datetime
        after_key, after_id = (
            decode_cursor(cursor, f"lots:{sort}", key_type, uuid.UUID) if cursor else (None, None)
        )
        words = (search or "")[:MAX_SEARCH_LENGTH].split()
        if len(words) > MAX_SEARCH_WORDS:
            raise InvalidInput(f"search for at most {MAX_SEARCH_WORDS} words at once", field="q")
        query = LotQuery(
            statuses=shown,
            public_only=not admin,
            tier=tier,
            category=category.strip().lower() if category else None,
            deadline_after=now if ending_within_hours is not None else None,
            deadline_until=(
                now + timedelta(hours=ending_within_hours)
                if ending_within_hours is not None
                else None
            ),
            min_progress_percent=min_progress_percent,
            search_words=tuple(words),
            sort=sort,
            after_key=after_key,
            after_id=after_id,
            host_id=host_id,
        )
        lots = self._lots.discover(query, limit=limit + 1) if shown else []
        return page_of(lots, limit, lambda lot: _lot_cursor(sort, lot))

    def leaderboard(
        self, lot: Lot, *, cursor: str | None, limit: int
    ) -> tuple[list[tuple[int, LeaderboardEntry]], str | None]:
        """A page of ``(rank, row)``: most tickets first, ties by username; the rank
        (1-based position) travels in the cursor."""
        after = decode_cursor(cursor, "leaderboard", int, str, int) if cursor else None
        rows = self._lots.leaderboard(
            lot.id, after=(after[0], after[1]) if after else None, limit=limit + 1
        )
        start = after[2] if after else 0
        ranked = [(start + i + 1, row) for i, row in enumerate(rows)]
        return page_of(
            ranked,
            limit,
            lambda ranked_row: encode_cursor(
                "leaderboard", ranked_row[1].tickets, ranked_row[1].username, ranked_row[0]
            ),
        )

    def _changed(self, lot: Lot, now: datetime) -> None:
        """Tell the caches a lot's view changed without a state change; and, once the
        lot is out, its watchers (an extension moves an open lot's deadline)."""
        snapshot = lot_snapshot(lot)
        events = [Event(EventType.LOT_CHANGED, now, lot_id=lot.id, data=snapshot, internal=True)]
        if lot.status != LotStatus.CREATED:
            events.append(Event(EventType.LOT_UPDATE, now, lot_id=lot.id, data=snapshot))
        emit(self._session, *events)

    def _locked(self, lot_id: uuid.UUID) -> Lot:
        lot = self._lots.get_for_update(lot_id)
        if lot is None:
            raise LotNotFound(f"no lot {lot_id}")
        return lot


_REQUIRED_PRODUCT_FIELDS = frozenset({"name", "category", "tier", "retail_value_cents"})
_REQUIRED_LOT_FIELDS = frozenset(
    {
        "product_class_id",
        "title",
        "lot_type",
        "funding_target_cents",
        "deadline",
        "entry_bundles",
        "visibility",
        "trivia_question",
        "trivia_answer",
        "draw_algorithm",
        "non_winner_credit_rate_percent",
    }
)


def _may_see(lot: Lot, viewer: User | None) -> bool:
    """The rule without the database: False for sure, or True unless a private lot
    (whose passed trivia ``LotService.may_see`` reads)."""
    if is_admin(viewer):
        return True
    if lot.status == LotStatus.CREATED:
        return False
    if lot.visibility == Visibility.PRIVATE:
        return viewer is not None
    return True


def _check_deadline(deadline: datetime, now: datetime) -> None:
    if deadline <= now:
        raise InvalidLot(
            f"the deadline must be in the future (now is {now.isoformat()})", field="deadline"
        )


def _check_cap(bundles: Sequence[EntryBundle], cap: int | None) -> None:
    if cap is not None and cap < min(b.tickets for b in bundles):
        raise InvalidLot(
            "max_tickets_per_user is below the smallest bundle: nobody could buy",
            field="max_tickets_per_user",
        )


def _lot_cursor(sort: LotSort, lot: Lot) -> str:
    key: datetime | int
    if sort == "newest":
        key = lot.created_at
    elif sort == "ending_soon":
        key = lot.deadline
    else:
        # The same integer the query orders by (funded / target in basis points).
        key = lot.funded_cents * 10_000 // lot.funding_target_cents
    return encode_cursor(f"lots:{sort}", key, lot.id)
