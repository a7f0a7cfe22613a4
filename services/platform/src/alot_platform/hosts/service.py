"""Hosts' rules: applications and their review, profiles, host lots and their review.

An application (``pending``) is approved (the user gets the ``host`` role, the host a
commission), or rejected; a rejected applicant edits its application (PATCH
/api/hosts/me), which puts it back to ``pending``. An approved host may be suspended
and reinstated. Every review has a reason, is emailed to the host through the outbox,
and is refused to an admin reviewing their own host profile.

Suspension (docs/platform/marketplace.md): a suspended host keeps its role and can read
its profile, lots and sales, but creates, edits and submits nothing, and its open lots
stop selling (purchases answer 409 ``host_suspended``). They stay open: at their
deadline they expire and are refunded like any lot, and one funded before the
suspension is drawn as usual. Reinstatement resumes sales.

A host lot is ``created`` with review ``draft``; the host submits it (``pending``); an
admin approves it, which opens it in the same unit of work with the host's commission
at that moment copied into it and frozen, or rejects it with a reason (``rejected``:
the host edits it, back to ``draft``, and submits again).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from alot_platform.audit.service import acting_user, record_action
from alot_platform.context import PlatformContext
from alot_platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from alot_platform.hosts import emails, escrow
from alot_platform.hosts.models import Host, HostStatus
from alot_platform.hosts.repository import HostRepository
from alot_platform.hosts.schemas import (
    HostApply,
    HostLotCreate,
    HostLotUpdate,
    HostUpdate,
)
from alot_platform.ledger.accounts import host_held, host_payable
from alot_platform.lots.models import Lot, LotReview, LotStatus, ProductClass, Visibility
from alot_platform.lots.schemas import LotCreate, LotUpdate
from alot_platform.lots.service import LotNotFound, LotService
from alot_platform.pagination import decode_cursor, encode_cursor, page_of
from alot_platform.realtime.events import Event, EventType, emit
from alot_platform.trivia.service import invite_code_digest
from alot_platform.users.models import Role, User
from alot_platform.users.service import UserService


class HostNotFound(NotFound):
    code = "host_not_found"
    title = "Host not found"


class HostExists(Conflict):
    code = "host_exists"
    title = "You already have a host profile"


class HostReviewConflict(Conflict):
    code = "host_review_conflict"
    title = "The host's status does not allow this review"


class SelfReview(Forbidden):
    code = "self_review"
    title = "An admin cannot review their own host profile or lots"


class CommissionCannotFundCredits(InvalidInput):
    code = "commission_cannot_fund_credits"
    title = "The commission cannot fund the lot's credit rate"


class LotReviewConflict(Conflict):
    code = "lot_review_conflict"
    title = "The lot's review status does not allow this"


class NotAHostLot(Conflict):
    code = "not_a_host_lot"
    title = "The lot is not a host lot"


class InvalidHostLot(InvalidInput):
    code = "invalid_host_lot"
    title = "Invalid host lot"


_REVIEWS: dict[str, tuple[set[HostStatus], HostStatus]] = {
    "approve": ({HostStatus.PENDING}, HostStatus.APPROVED),
    "reject": ({HostStatus.PENDING}, HostStatus.REJECTED),
    "suspend": ({HostStatus.APPROVED}, HostStatus.SUSPENDED),
    "reinstate": ({HostStatus.SUSPENDED}, HostStatus.APPROVED),
}


def check_credit_rate(commission_bps: int, credit_rate_percent: int) -> None:
    """Refuse (422) a host lot whose commission cannot fund its non-winners' credits."""
    if not escrow.commission_funds_credits(commission_bps, credit_rate_percent):
        raise CommissionCannotFundCredits(
            f"non-winner credits at {credit_rate_percent}% of the funded value are paid from"
            f" ALOT!'s commission ({commission_bps / 100:.2f}%): lower the credit rate to at"
            f" most {commission_bps // 100}%",
            field="non_winner_credit_rate_percent",
            commission_bps=commission_bps,
            max_credit_rate_percent=commission_bps // 100,
        )


class HostService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._hosts = HostRepository(session)

    # -- applications and profiles -----------------------------------------------------

    def apply(self, user: User, data: HostApply) -> Host:
        if self._hosts.by_user(user.id) is not None:
            raise HostExists("you already applied; see GET /api/hosts/me")
        now = self._platform.clock()
        host = Host(
            id=uuid.uuid4(),
            user_id=user.id,
            display_name=data.display_name,
            description=data.description,
            logo_url=data.logo_url,
            website_url=data.website_url,
            country=data.country,
            business_details=data.business_details.model_dump(mode="json"),
            status=HostStatus.PENDING.value,
            approved=False,
            commission_bps=self._platform.settings.host_default_commission_bps,
            payouts_enabled=False,
            total_lots_created=0,
            total_lots_funded=0,
            created_at=now,
            updated_at=now,
        )
        self._hosts.add(host)
        self._hosts.flush()
        return host

    def update(self, host: Host, changes: HostUpdate) -> Host:
        fields = changes.model_dump(exclude_unset=True, mode="json")
        for name in ("display_name", "country", "business_details"):
            if name in fields and fields[name] is None:
                raise InvalidInput(f"{name} cannot be removed", field=name)
        now = self._platform.clock()
        for name, value in fields.items():
            setattr(host, name, value)
        if host.status == HostStatus.REJECTED:
            host.status = HostStatus.PENDING.value  # the re-application
        host.updated_at = now
        self._hosts.flush()
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="host_profile_updated",
            target_type="host",
            target_id=host.id,
            details={"fields": sorted(fields)},
            now=now,
        )
        if "display_name" in fields:
            # Lot views name their host: every one built may be stale.
            emit(self._session, Event(EventType.CATALOGUE_CHANGED, now, internal=True))
        return host

    def public(self, host_id: uuid.UUID) -> Host:
        host = self._hosts.get(host_id)
        if host is None or host.status != HostStatus.APPROVED:
            raise HostNotFound(f"no host {host_id}")
        return host

    def public_lots(
        self, host_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[list[Lot], str | None]:
        """The host's public lots out of review (never private ones), newest first."""
        self.public(host_id)
        return LotService(self._session, self._platform).discover(
            None, host_id=host_id, cursor=cursor, limit=limit
        )

    # -- admin review ------------------------------------------------------------------

    def get(self, host_id: uuid.UUID) -> Host:
        host = self._hosts.get(host_id)
        if host is None:
            raise HostNotFound(f"no host {host_id}")
        return host

    def username(self, host: Host) -> str:
        return self._hosts.username(host.user_id)

    def list_hosts(
        self, *, status: HostStatus | None, cursor: str | None, limit: int
    ) -> tuple[list[tuple[Host, str]], str | None]:
        after = decode_cursor(cursor, "hosts", datetime, uuid.UUID) if cursor else None
        rows = self._hosts.list_hosts(status=status, after=after, limit=limit + 1)
        return page_of(rows, limit, lambda r: encode_cursor("hosts", r[0].created_at, r[0].id))

    def review(
        self,
        host_id: uuid.UUID,
        admin: User,
        action: str,
        reason: str,
        *,
        commission_bps: int | None = None,
    ) -> Host:
        """approve | reject | suspend | reinstate, with a reason emailed to the host."""
        host = self._locked(host_id)
        if host.user_id == admin.id:
            raise SelfReview("you cannot review your own host profile")
        allowed, to = _REVIEWS[action]
        if HostStatus(host.status) not in allowed:
            raise HostReviewConflict(
                f"host {host.id} is {host.status}; cannot {action} it",
                host_id=str(host.id),
                status=host.status,
            )
        now = self._platform.clock()
        host.status = to.value
        host.approved = to == HostStatus.APPROVED
        host.status_reason = reason
        host.reviewed_by = admin.id
        host.reviewed_at = now
        host.updated_at = now
        if action == "approve":
            host.approved_at = now
            host.commission_bps = (
                commission_bps
                if commission_bps is not None
                else self._platform.settings.host_default_commission_bps
            )
            self._retag_draft_lots(host)
            users = UserService(self._session, self._platform)
            user = users.get(host.user_id)
            users.set_roles(user, user.roles | {Role.HOST})
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="host_reviewed",
            target_type="host",
            target_id=host.id,
            details={
                "review": action,
                "status": host.status,
                "commission_bps": host.commission_bps,
            },
            now=now,
        )
        self._hosts.flush()
        emails.enqueue_host_review(self._session, self._platform, host, action, reason, now)
        return host

    def set_commission(
        self, host_id: uuid.UUID, admin: User, commission_bps: int, reason: str
    ) -> Host:
        """A new commission for the host's lots not yet open (open ones keep theirs)."""
        host = self._locked(host_id)
        if host.user_id == admin.id:
            raise SelfReview("you cannot change your own commission")
        now = self._platform.clock()
        host.commission_bps = commission_bps
        host.status_reason = reason
        host.reviewed_by = admin.id
        host.reviewed_at = now
        host.updated_at = now
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="host_commission_changed",
            target_type="host",
            target_id=host.id,
            details={"commission_bps": commission_bps},
            now=now,
        )
        self._retag_draft_lots(host)
        self._hosts.flush()
        emails.enqueue_host_review(self._session, self._platform, host, "commission", reason, now)
        return host

    def _retag_draft_lots(self, host: Host) -> None:
        for lot in self._hosts.lots_not_open(host.id):
            lot.commission_bps = host.commission_bps

    def _locked(self, host_id: uuid.UUID) -> Host:
        host = self._hosts.get_for_update(host_id)
        if host is None:
            raise HostNotFound(f"no host {host_id}")
        return host

    # -- host lots ---------------------------------------------------------------------

    def create_lot(self, host: Host, user: User, data: HostLotCreate) -> Lot:
        check_credit_rate(host.commission_bps, data.non_winner_credit_rate_percent)
        now = self._platform.clock()
        product = ProductClass(
            id=uuid.uuid4(),
            **data.product.model_dump(),
            currency="USD",
            host_id=host.id,
            created_at=now,
            updated_at=now,
        )
        self._hosts.add(product)
        self._hosts.flush()
        lot_fields = data.model_dump(exclude={"product", "invite_code"})
        lot = LotService(self._session, self._platform).create(
            LotCreate(product_class_id=product.id, **lot_fields), user
        )
        lot.host_id = host.id
        lot.commission_bps = host.commission_bps
        lot.review_status = LotReview.DRAFT.value
        if data.visibility == Visibility.PRIVATE.value:
            lot.access_token = secrets.token_urlsafe(32)
            if data.invite_code is not None:
                lot.invite_code_hmac = invite_code_digest(
                    self._platform.keys, lot.id, data.invite_code
                )
        host.total_lots_created += 1
        self._hosts.flush()
        return lot

    def my_lots(
        self, host: Host, *, cursor: str | None, limit: int
    ) -> tuple[list[Lot], str | None]:
        after = decode_cursor(cursor, "host_lots", datetime, uuid.UUID) if cursor else None
        rows = self._hosts.lots_of(host.id, after=after, limit=limit + 1)
        return page_of(rows, limit, lambda lot: encode_cursor("host_lots", lot.created_at, lot.id))

    def review_queue(
        self, review_status: LotReview | None, *, cursor: str | None, limit: int
    ) -> tuple[list[Lot], str | None]:
        """Every host's lots (for admins), newest first, by review status."""
        after = decode_cursor(cursor, "host_lots", datetime, uuid.UUID) if cursor else None
        rows = self._hosts.lots_of(
            None,
            after=after,
            limit=limit + 1,
            review_status=review_status.value if review_status else None,
        )
        return page_of(rows, limit, lambda lot: encode_cursor("host_lots", lot.created_at, lot.id))

    def lot(self, host: Host, lot_id: uuid.UUID) -> Lot:
        """One of ``host``'s lots; 404 for any other lot (another host's looks absent)."""
        lot = self._hosts.lot_of(host.id, lot_id)
        if lot is None:
            raise LotNotFound(f"no lot {lot_id}")
        return lot

    def update_lot(self, host: Host, lot_id: uuid.UUID, changes: HostLotUpdate) -> Lot:
        lot = self.lot(host, lot_id)
        fields = changes.model_dump(exclude_unset=True, exclude={"product", "invite_code"})
        rate = fields.get("non_winner_credit_rate_percent")
        if rate is not None:
            check_credit_rate(lot.commission_bps or 0, rate)
        # The lot service refuses (409) a lot already open, and checks the lot's fields.
        lot = LotService(self._session, self._platform).update(lot.id, LotUpdate(**fields))
        now = self._platform.clock()
        if changes.product is not None:
            product = lot.product_class
            for name, value in changes.product.model_dump(exclude_unset=True).items():
                if value is None and name in ("name", "category", "tier", "retail_value_cents"):
                    raise InvalidHostLot(f"product.{name} cannot be removed", field=name)
                setattr(product, name, value)
            product.updated_at = now
        if lot.visibility == Visibility.PRIVATE:
            if lot.access_token is None:
                lot.access_token = secrets.token_urlsafe(32)
        else:
            lot.access_token = None
            lot.invite_code_hmac = None
        if "invite_code" in changes.model_fields_set:
            if changes.invite_code is None:
                lot.invite_code_hmac = None
            elif lot.visibility != Visibility.PRIVATE:
                raise InvalidHostLot("only a private lot has an invite code", field="invite_code")
            else:
                lot.invite_code_hmac = invite_code_digest(
                    self._platform.keys, lot.id, changes.invite_code
                )
        if lot.review_status in (LotReview.PENDING, LotReview.REJECTED):
            lot.review_status = LotReview.DRAFT.value
        lot.updated_at = now
        self._hosts.flush()
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="host_lot_updated",
            target_type="lot",
            target_id=lot.id,
            details={"host_id": host.id, "fields": sorted(changes.model_dump(exclude_unset=True))},
            now=now,
        )
        return lot

    def submit_lot(self, host: Host, lot_id: uuid.UUID) -> Lot:
        lot = self.lot(host, lot_id)
        if lot.status != LotStatus.CREATED or lot.review_status not in (
            LotReview.DRAFT,
            LotReview.REJECTED,
        ):
            raise LotReviewConflict(
                f"lot {lot.id} is {lot.status}, review {lot.review_status}; only a draft or"
                " rejected lot is submitted",
                lot_id=str(lot.id),
                review_status=lot.review_status,
            )
        check_credit_rate(host.commission_bps, lot.non_winner_credit_rate_percent)
        lot.review_status = LotReview.PENDING.value
        lot.review_reason = None
        lot.updated_at = self._platform.clock()
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="host_lot_submitted",
            target_type="lot",
            target_id=lot.id,
            details={"host_id": host.id},
            now=lot.updated_at,
        )
        self._hosts.flush()
        return lot

    # -- admin review of host lots ------------------------------------------------------

    def approve_lot(self, lot_id: uuid.UUID, admin: User, reason: str | None) -> Lot:
        """pending -> approved, and open it (commission copied from the host now)."""
        lots = LotService(self._session, self._platform)
        lot, host = self._pending_lot(lot_id, admin, "approve")
        if host.status != HostStatus.APPROVED:
            raise HostReviewConflict(
                f"host {host.id} is {host.status}: its lots cannot open",
                host_id=str(host.id),
                status=host.status,
            )
        lot.commission_bps = host.commission_bps
        try:
            check_credit_rate(host.commission_bps, lot.non_winner_credit_rate_percent)
        except CommissionCannotFundCredits as error:
            raise LotReviewConflict(error.detail, lot_id=str(lot.id)) from None
        now = self._platform.clock()
        lot.review_status = LotReview.APPROVED.value
        lot.review_reason = reason
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="host_lot_approved",
            target_type="lot",
            target_id=lot.id,
            details={"host_id": host.id, "commission_bps": lot.commission_bps},
            now=now,
        )
        lot = lots.open(lot.id)
        emails.enqueue_lot_review(self._session, self._platform, host, lot, "approve", reason, now)
        return lot

    def reject_lot(self, lot_id: uuid.UUID, admin: User, reason: str) -> Lot:
        lot, host = self._pending_lot(lot_id, admin, "reject")
        now = self._platform.clock()
        lot.review_status = LotReview.REJECTED.value
        lot.review_reason = reason
        lot.updated_at = now
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="host_lot_rejected",
            target_type="lot",
            target_id=lot.id,
            details={"host_id": host.id},
            now=now,
        )
        self._hosts.flush()
        emails.enqueue_lot_review(self._session, self._platform, host, lot, "reject", reason, now)
        return lot

    def _pending_lot(self, lot_id: uuid.UUID, admin: User, action: str) -> tuple[Lot, Host]:
        lot = LotService(self._session, self._platform).locked(lot_id)
        if lot.host_id is None:
            raise NotAHostLot(f"lot {lot.id} is the platform's own: open it instead")
        host = self._hosts.get(lot.host_id)
        assert host is not None
        if host.user_id == admin.id:
            raise SelfReview("you cannot review your own host's lots")
        if lot.status != LotStatus.CREATED or lot.review_status != LotReview.PENDING:
            raise LotReviewConflict(
                f"lot {lot.id} is {lot.status}, review {lot.review_status}; only a lot"
                f" pending review can be {action}d",
                lot_id=str(lot.id),
                review_status=lot.review_status,
            )
        return lot, host

    # -- sales -------------------------------------------------------------------------

    def sales(self, host: Host, lot_id: uuid.UUID) -> LotSales:
        lot = self.lot(host, lot_id)
        buyers, entries = self._hosts.buyers(lot.id)
        bps = lot.commission_bps if lot.commission_bps is not None else host.commission_bps
        held, payable = host_held(host.id), host_payable(host.id)
        amounts = self._hosts.ledger_amounts(lot.id, [held, payable])
        return LotSales(
            lot=lot,
            buyers=buyers,
            entries=entries,
            split=escrow.split(lot.funded_cents, bps),
            held_cents=amounts[held],
            payable_cents=amounts[payable],
        )


@dataclass(frozen=True)
class LotSales:
    lot: Lot
    buyers: list[tuple[str, int]]
    entries: int
    split: escrow.Split
    held_cents: int
    """The sum of this lot's postings to the host's held account (settled share, less
    what was released or paid to a winner)."""
    payable_cents: int


def token_matches(lot: Lot, token: str | None) -> bool:
    return (
        token is not None
        and lot.access_token is not None
        and hmac.compare_digest(lot.access_token.encode(), token.encode())
    )
