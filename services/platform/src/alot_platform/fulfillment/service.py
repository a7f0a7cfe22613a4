"""The rules of prize fulfillment (docs/platform/fulfillment.md).

A won prize goes ``won`` -> ``claimed`` (the winner gave an address) -> ``shipped``
(the shipper gave a carrier and tracking number) -> ``delivered`` (the winner
confirmed, or nobody disputed it within ALOT_DELIVERY_CONFIRM_DAYS, or an admin
released a dispute). ``disputed`` is entered by the winner (shipped, or claimed past
the ship deadline) or by the tick (claimed and not shipped by the ship deadline); an
admin resolves it: *release* (delivered, the host paid) or *compensate* (the winner is
owed the prize's retail value in cash; the reveal stays ``disputed`` with
``dispute_resolution = compensate``). A prize not claimed by its deadline is paid as
its cash value (``compensation_reason = claim_expired``) and stays ``won``.

The shipper is the lot's host for a host lot, ALOT!'s admins for a platform lot. The
address is encrypted at rest (the reveal id as associated data) and answered only to
the winner and to the shipper of a claimed prize: never logged, never in the ledger,
in an event or in a notification. Whoever may not see a reveal gets 404, never 403.

Money moves in the same unit of work as the state: a host lot's held share is released
to the host on delivery (``escrow.release_to_host``); a compensation posts the retail
value to ``user:<id>:payable`` (``escrow.compensate_winner`` for a host lot, from
platform revenue for a platform lot). Both are idempotent per lot in the ledger.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from alot_platform.audit.service import acting_user, record_action
from alot_platform.context import PlatformContext
from alot_platform.errors import Conflict, NotFound
from alot_platform.fulfillment.repository import FulfillmentRepository
from alot_platform.fulfillment.schemas import (
    ClaimRequest,
    DisputeReason,
    DisputeRequest,
    Fulfillment,
    Resolution,
    ResolveRequest,
    ShipmentPage,
    ShipmentRead,
    ShippingAddress,
    ShipRequest,
    TrackingRead,
)
from alot_platform.hosts import escrow
from alot_platform.hosts.models import Host
from alot_platform.lots.models import Lot
from alot_platform.notifications.models import NotificationKind
from alot_platform.notifications.service import Notice, notify_now
from alot_platform.pagination import decode_cursor, encode_cursor, page_of
from alot_platform.reveals.models import Reveal, RevealStatus
from alot_platform.users.models import User

_CURSOR = "fulfillment"
TO_DO = (RevealStatus.CLAIMED.value, RevealStatus.SHIPPED.value, RevealStatus.DISPUTED.value)
"""What a shipper's queue shows unless asked for a status."""
QUEUE_STATUSES = frozenset(
    {
        RevealStatus.WON.value,
        RevealStatus.CLAIMED.value,
        RevealStatus.SHIPPED.value,
        RevealStatus.DELIVERED.value,
        RevealStatus.DISPUTED.value,
    }
)
CLAIMED_OR_LATER = frozenset(
    {
        RevealStatus.CLAIMED.value,
        RevealStatus.SHIPPED.value,
        RevealStatus.DELIVERED.value,
        RevealStatus.DISPUTED.value,
    }
)
CLAIM_EXPIRED = "claim_expired"
DISPUTE_COMPENSATED = "dispute_compensated"
AUTO_DISPUTE_DETAILS = "Not marked shipped by the ship deadline (opened automatically)."


class RevealNotFound(NotFound):
    code = "reveal_not_found"
    title = "No such reveal"


class NotAPrize(Conflict):
    code = "not_a_prize"
    title = "This reveal did not win a prize"


class ClaimDeadlinePassed(Conflict):
    code = "claim_deadline_passed"
    title = "The claim deadline has passed"


class AlreadyClaimed(Conflict):
    code = "already_claimed"
    title = "The prize is already claimed"


class AlreadyShipped(Conflict):
    code = "already_shipped"
    title = "The prize is already shipped"


class WrongFulfillmentState(Conflict):
    code = "fulfillment_state"
    title = "Not possible in the prize's current state"


class NotTheShipper(Conflict):
    code = "not_the_shipper"
    title = "The lot's host ships this prize"


def address_context(reveal_id: uuid.UUID) -> str:
    """The associated data of a reveal's encrypted address: it decrypts on no other row."""
    return f"reveals.shipping_address:{reveal_id}"


def compensate(session: Session, lot: Lot, winner_id: uuid.UUID, *, reason: str) -> int:
    """The winner is owed the prize's retail value in cash (``user:<id>:payable``): for
    a host lot from its held share (``escrow.compensate_winner``), for a platform lot
    from platform revenue. Idempotent per lot. Returns the cents owed."""
    value = lot.product_class.retail_value_cents
    escrow.compensate_winner(session, lot, winner_id, reason=reason)
    return value


def fulfillment_of(reveal: Reveal) -> dict[str, Any]:
    """The fulfillment fields of a reveal (never the address)."""
    return Fulfillment(
        status=reveal.status,
        claim_deadline=reveal.claim_deadline,
        claimed_at=reveal.claimed_at,
        ship_deadline=reveal.ship_deadline,
        shipped_at=reveal.shipped_at,
        carrier=reveal.shipping_carrier,
        tracking_number=reveal.tracking_number,
        delivered_at=reveal.delivered_at,
        delivery_confirmed_by=reveal.delivery_confirmed_by,
        disputed_at=reveal.disputed_at,
        dispute_reason=reveal.dispute_reason,
        dispute_resolution=reveal.dispute_resolution,
        dispute_resolved_at=reveal.dispute_resolved_at,
        cash_alternative_cents=reveal.compensation_cents,
        cash_alternative_reason=reveal.compensation_reason,
    ).model_dump()


class FulfillmentService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._rows = FulfillmentRepository(session)

    # -- the winner ----------------------------------------------------------------------

    def tracking(self, user: User, reveal_id: uuid.UUID) -> TrackingRead:
        reveal, lot = self._owned(user, reveal_id, lock=False)
        return self._tracking(reveal, lot)

    def claim(self, user: User, reveal_id: uuid.UUID, request: ClaimRequest) -> TrackingRead:
        reveal, lot = self._owned(user, reveal_id)
        address = request.shipping_address
        if reveal.status in CLAIMED_OR_LATER:
            if self._address(reveal) == address:
                return self._tracking(reveal, lot)  # the same claim again
            raise AlreadyClaimed(
                "this prize is claimed already; change its address with"
                " PATCH /api/reveals/{id}/shipping until it ships"
            )
        now = self._platform.clock()
        if reveal.compensated_at is not None or (
            reveal.claim_deadline is not None and now >= reveal.claim_deadline
        ):
            raise ClaimDeadlinePassed(
                "the claim deadline has passed: the prize is paid to you as its cash value instead",
                claim_deadline=reveal.claim_deadline.isoformat() if reveal.claim_deadline else None,
            )
        self._store_address(reveal, address)
        reveal.status = RevealStatus.CLAIMED.value
        reveal.claimed_at = now
        reveal.ship_deadline = now + timedelta(days=self._platform.settings.ship_days)
        self._tell_shippers(reveal, lot, "claimed", {"deadline": reveal.ship_deadline.isoformat()})
        return self._tracking(reveal, lot)

    def update_shipping(
        self, user: User, reveal_id: uuid.UUID, address: ShippingAddress
    ) -> TrackingRead:
        reveal, lot = self._owned(user, reveal_id)
        if reveal.status == RevealStatus.WON.value:
            raise WrongFulfillmentState(
                "claim the prize first (POST /api/reveals/{id}/claim)", status=reveal.status
            )
        if reveal.status != RevealStatus.CLAIMED.value:
            raise AlreadyShipped(
                "the address cannot change once the prize is shipped", status=reveal.status
            )
        self._store_address(reveal, address)
        return self._tracking(reveal, lot)

    def confirm_delivery(self, user: User, reveal_id: uuid.UUID) -> TrackingRead:
        reveal, lot = self._owned(user, reveal_id)
        if reveal.status == RevealStatus.DELIVERED.value:
            return self._tracking(reveal, lot)
        if reveal.status != RevealStatus.SHIPPED.value:
            raise WrongFulfillmentState(
                "only a shipped prize can be confirmed delivered", status=reveal.status
            )
        self._deliver(reveal, lot, "winner", self._platform.clock())
        return self._tracking(reveal, lot)

    def dispute(self, user: User, reveal_id: uuid.UUID, request: DisputeRequest) -> TrackingRead:
        reveal, lot = self._owned(user, reveal_id)
        now = self._platform.clock()
        overdue = (
            reveal.status == RevealStatus.CLAIMED.value
            and reveal.ship_deadline is not None
            and now >= reveal.ship_deadline
        )
        if reveal.status != RevealStatus.SHIPPED.value and not overdue:
            raise WrongFulfillmentState(
                "a dispute can be opened on a shipped prize, or on a claimed one past its"
                " ship deadline",
                status=reveal.status,
            )
        self._open_dispute(reveal, lot, request.reason, request.details, now)
        return self._tracking(reveal, lot)

    # -- the shippers --------------------------------------------------------------------

    def host_queue(
        self, host: Host, status: str | None, *, cursor: str | None, limit: int
    ) -> ShipmentPage:
        return self._queue(host.id, status, every_disputed=False, cursor=cursor, limit=limit)

    def admin_queue(self, status: str | None, *, cursor: str | None, limit: int) -> ShipmentPage:
        return self._queue(None, status, every_disputed=True, cursor=cursor, limit=limit)

    def host_ship(self, host: Host, reveal_id: uuid.UUID, request: ShipRequest) -> ShipmentRead:
        found = self._rows.get(reveal_id, lock=True)
        if found is None or found[1].host_id != host.id or found[0].status not in QUEUE_STATUSES:
            raise RevealNotFound(f"no prize {reveal_id} of your lots")
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="prize_shipped_by_host",
            target_type="reveal",
            target_id=reveal_id,
            details={"host_id": host.id},
            now=self._platform.clock(),
        )
        return self._ship(*found, request)

    def admin_ship(self, reveal_id: uuid.UUID, request: ShipRequest) -> ShipmentRead:
        reveal, lot = self._any(reveal_id)
        if lot.host_id is not None:
            raise NotTheShipper("the lot's host ships this prize, from its fulfillment queue")
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="prize_shipped_by_admin",
            target_type="reveal",
            target_id=reveal.id,
            details={"lot_id": lot.id},
            now=self._platform.clock(),
        )
        return self._ship(reveal, lot, request)

    def resolve(self, reveal_id: uuid.UUID, request: ResolveRequest) -> ShipmentRead:
        reveal, lot = self._any(reveal_id)
        if reveal.status != RevealStatus.DISPUTED.value or reveal.dispute_resolved_at is not None:
            raise WrongFulfillmentState("no open dispute on this prize", status=reveal.status)
        now = self._platform.clock()
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="dispute_resolved",
            target_type="reveal",
            target_id=reveal.id,
            details={"lot_id": lot.id, "resolution": request.resolution.value},
            now=now,
        )
        reveal.dispute_resolution = request.resolution.value
        reveal.dispute_resolved_at = now
        reveal.details = {**(reveal.details or {}), "resolution_note": request.note}
        if request.resolution is Resolution.RELEASE:
            self._deliver(reveal, lot, "admin", now, tell=False)
        else:
            self._compensate(reveal, lot, DISPUTE_COMPENSATED, now)
        facts = {"resolution": request.resolution.value}
        self._tell(reveal, lot, "resolved", [(reveal.user_id, "winner")], facts)
        self._tell_host(reveal, lot, "resolved", facts)
        return self._shipment(reveal, lot, self._rows.username(reveal.user_id))

    # -- the deadline jobs (one reveal each, in the caller's unit of work) ---------------

    def remind_claim(self, reveal_id: uuid.UUID, days: int) -> bool:
        found = self._rows.get(reveal_id, lock=True)
        if found is None:
            return False
        reveal, lot = found
        if reveal.status != RevealStatus.WON.value or reveal.claim_deadline is None:
            return False
        if reveal.compensated_at is not None:
            return False
        return self._remind_once(
            reveal,
            lot,
            f"claim_reminder_{days}d",
            "claim_reminder",
            [(reveal.user_id, "winner")],
            reveal.claim_deadline,
        )

    def remind_ship(self, reveal_id: uuid.UUID, days: int) -> bool:
        found = self._rows.get(reveal_id, lock=True)
        if found is None:
            return False
        reveal, lot = found
        if reveal.status != RevealStatus.CLAIMED.value or reveal.ship_deadline is None:
            return False
        return self._remind_once(
            reveal,
            lot,
            f"ship_reminder_{days}d",
            "ship_reminder",
            self._shippers(lot),
            reveal.ship_deadline,
        )

    def expire_claim(self, reveal_id: uuid.UUID) -> bool:
        """Past the claim deadline, unclaimed: the prize is paid as its cash value (for a
        host lot the host keeps the item and is not paid)."""
        now = self._platform.clock()
        found = self._rows.get(reveal_id, lock=True)
        if found is None:
            return False
        reveal, lot = found
        if (
            reveal.status != RevealStatus.WON.value
            or reveal.compensated_at is not None
            or reveal.claim_deadline is None
            or reveal.claim_deadline > now
        ):
            return False
        self._compensate(reveal, lot, CLAIM_EXPIRED, now)
        self._tell(
            reveal,
            lot,
            "claim_expired",
            [(reveal.user_id, "winner")],
            {"cash_cents": reveal.compensation_cents or 0},
        )
        return True

    def dispute_unshipped(self, reveal_id: uuid.UUID) -> bool:
        """Claimed and not shipped by the ship deadline: disputed (not received), for an
        admin to resolve."""
        now = self._platform.clock()
        found = self._rows.get(reveal_id, lock=True)
        if found is None:
            return False
        reveal, lot = found
        if (
            reveal.status != RevealStatus.CLAIMED.value
            or reveal.ship_deadline is None
            or reveal.ship_deadline > now
        ):
            return False
        self._open_dispute(reveal, lot, DisputeReason.NOT_RECEIVED, AUTO_DISPUTE_DETAILS, now)
        return True

    def confirm_undisputed(self, reveal_id: uuid.UUID) -> bool:
        """Shipped long enough ago with no dispute: delivered (automatic)."""
        now = self._platform.clock()
        found = self._rows.get(reveal_id, lock=True)
        if found is None:
            return False
        reveal, lot = found
        wait = timedelta(days=self._platform.settings.delivery_confirm_days)
        if (
            reveal.status != RevealStatus.SHIPPED.value
            or reveal.shipped_at is None
            or reveal.shipped_at + wait > now
        ):
            return False
        self._deliver(reveal, lot, "automatic", now)
        return True

    # -- inside --------------------------------------------------------------------------

    def _owned(self, user: User, reveal_id: uuid.UUID, *, lock: bool = True) -> tuple[Reveal, Lot]:
        found = self._rows.get(reveal_id, lock=lock)
        if found is None or found[0].user_id != user.id:
            raise RevealNotFound(f"you have no reveal {reveal_id}")
        if found[0].status in (
            RevealStatus.PENDING.value,
            RevealStatus.LOST.value,
            RevealStatus.REFUNDED.value,
        ):
            raise NotAPrize("only a won prize is claimed, shipped and delivered")
        return found

    def _any(self, reveal_id: uuid.UUID) -> tuple[Reveal, Lot]:
        found = self._rows.get(reveal_id, lock=True)
        if found is None or found[0].status not in QUEUE_STATUSES:
            raise RevealNotFound(f"no prize {reveal_id}")
        return found

    def _ship(self, reveal: Reveal, lot: Lot, request: ShipRequest) -> ShipmentRead:
        if reveal.status != RevealStatus.CLAIMED.value:
            same = (
                reveal.status == RevealStatus.SHIPPED.value
                and reveal.shipping_carrier == request.carrier
                and reveal.tracking_number == request.tracking_number
            )
            if not same:
                raise WrongFulfillmentState(
                    "only a claimed prize not yet shipped can be marked shipped",
                    status=reveal.status,
                )
        else:
            reveal.status = RevealStatus.SHIPPED.value
            reveal.shipped_at = self._platform.clock()
            reveal.shipping_carrier = request.carrier
            reveal.tracking_number = request.tracking_number
            self._tell(
                reveal,
                lot,
                "shipped",
                [(reveal.user_id, "winner")],
                {"carrier": request.carrier, "tracking_number": request.tracking_number},
            )
        return self._shipment(reveal, lot, self._rows.username(reveal.user_id))

    def _deliver(
        self,
        reveal: Reveal,
        lot: Lot,
        by: Literal["winner", "automatic", "admin"],
        now: datetime,
        *,
        tell: bool = True,
    ) -> None:
        reveal.status = RevealStatus.DELIVERED.value
        reveal.delivered_at = now
        reveal.delivery_confirmed_by = by
        if lot.host_id is not None:
            escrow.release_to_host(self._session, lot, reason=f"delivered:{by}")
        if tell:
            facts = {"confirmed_by": by}
            self._tell(reveal, lot, "delivered", [(reveal.user_id, "winner")], facts)
            self._tell_host(reveal, lot, "delivered", facts)

    def _open_dispute(
        self, reveal: Reveal, lot: Lot, reason: DisputeReason, details: str, now: datetime
    ) -> None:
        reveal.status = RevealStatus.DISPUTED.value
        reveal.disputed_at = now
        reveal.dispute_reason = reason.value
        reveal.dispute_details = details
        facts = {"reason": reason.value}
        self._tell(reveal, lot, "disputed", [(reveal.user_id, "winner")], facts)
        admins = [(admin, "admin") for admin in self._rows.admin_ids()]
        self._tell(reveal, lot, "disputed", admins, facts)
        self._tell_host(reveal, lot, "disputed", facts)

    def _compensate(self, reveal: Reveal, lot: Lot, reason: str, now: datetime) -> None:
        reveal.compensation_cents = compensate(self._session, lot, reveal.user_id, reason=reason)
        reveal.compensation_reason = reason
        reveal.compensated_at = now

    def _store_address(self, reveal: Reveal, address: ShippingAddress) -> None:
        plain = json.dumps(address.model_dump(), sort_keys=True, separators=(",", ":"))
        reveal.shipping_address_encrypted = self._platform.cipher.encrypt(
            plain, address_context(reveal.id)
        )

    def _address(self, reveal: Reveal) -> ShippingAddress | None:
        if reveal.shipping_address_encrypted is None:
            return None
        plain = self._platform.cipher.decrypt(
            reveal.shipping_address_encrypted, address_context(reveal.id)
        )
        return ShippingAddress.model_validate(json.loads(plain))

    def _tracking(self, reveal: Reveal, lot: Lot) -> TrackingRead:
        return TrackingRead(**_prize(reveal, lot), shipping_address=self._address(reveal))

    def _shipment(self, reveal: Reveal, lot: Lot, username: str) -> ShipmentRead:
        """A prize as its shipper (or, for a host lot's dispute, an admin) sees it: the
        address only when the reader ships it and it is claimed."""
        shows_address = reveal.status in CLAIMED_OR_LATER
        return ShipmentRead(
            **_prize(reveal, lot),
            host_id=lot.host_id,
            winner_username=username,
            shipping_address=self._address(reveal) if shows_address else None,
        )

    def _queue(
        self,
        host_id: uuid.UUID | None,
        status: str | None,
        *,
        every_disputed: bool,
        cursor: str | None,
        limit: int,
    ) -> ShipmentPage:
        statuses = (status,) if status else TO_DO
        after = decode_cursor(cursor, _CURSOR, datetime, uuid.UUID) if cursor else None
        rows, next_cursor = page_of(
            self._rows.queue(
                host_id=host_id,
                statuses=statuses,
                every_disputed=every_disputed,
                after=after,
                limit=limit + 1,
            ),
            limit,
            lambda row: encode_cursor(_CURSOR, row[0].created_at, row[0].id),
        )
        items = []
        for reveal, lot, username in rows:
            item = self._shipment(reveal, lot, username)
            if host_id is None and lot.host_id is not None:
                # An admin reads a host lot's dispute to resolve it: the address is the
                # host's to read (its shipper), not the admin's.
                item.shipping_address = None
            items.append(item)
        return ShipmentPage(items=items, next_cursor=next_cursor)

    def _shippers(self, lot: Lot) -> list[tuple[uuid.UUID, str]]:
        if lot.host_id is not None:
            host_user = self._rows.host_user_id(lot.host_id)
            return [] if host_user is None else [(host_user, "host")]
        return [(admin, "admin") for admin in self._rows.admin_ids()]

    def _tell_shippers(self, reveal: Reveal, lot: Lot, event: str, facts: dict[str, Any]) -> None:
        self._tell(reveal, lot, event, self._shippers(lot), facts)

    def _tell_host(self, reveal: Reveal, lot: Lot, event: str, facts: dict[str, Any]) -> None:
        if lot.host_id is not None:
            self._tell(reveal, lot, event, self._shippers(lot), facts)

    def _remind_once(
        self,
        reveal: Reveal,
        lot: Lot,
        stamp: str,
        event: str,
        to: list[tuple[uuid.UUID, str]],
        deadline: datetime,
    ) -> bool:
        sent = list((reveal.details or {}).get("reminders", []))
        if stamp in sent:
            return False
        reveal.details = {**(reveal.details or {}), "reminders": [*sent, stamp]}
        self._tell(reveal, lot, event, to, {"deadline": deadline.isoformat()}, key=stamp)
        return True

    def _tell(
        self,
        reveal: Reveal,
        lot: Lot,
        event: str,
        to: Iterable[tuple[uuid.UUID, str]],
        facts: dict[str, Any],
        *,
        key: str | None = None,
    ) -> None:
        """Notify (in-app and by email, in this transaction) once per user and event.
        The facts are ids, the prize's title, dates, carrier and tracking: no address."""
        data = {
            "lot_id": str(lot.id),
            "lot_title": lot.title,
            "reveal_id": str(reveal.id),
            "event": event,
            **facts,
        }
        notices = [
            Notice(user_id, f"prize-{key or event}:{reveal.id}", {**data, "audience": audience})
            for user_id, audience in to
        ]
        if notices:
            notify_now(
                self._session,
                self._platform,
                NotificationKind.PRIZE,
                notices,
                self._platform.clock(),
            )


def _prize(reveal: Reveal, lot: Lot) -> dict[str, Any]:
    """What the winner's and the shipper's views of a prize share (never the address)."""
    return {
        **fulfillment_of(reveal),
        "reveal_id": reveal.id,
        "lot_id": lot.id,
        "lot_title": lot.title,
        "prize_name": lot.product_class.name,
        "prize_retail_value_cents": lot.product_class.retail_value_cents,
        "shipper": "host" if lot.host_id is not None else "platform",
        "dispute_details": reveal.dispute_details,
    }
