"""/api/hosts (applications, profiles, a host's own lots and sales, public host pages)
and the admin review of hosts and host lots under /api/admin."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from alot_platform.auth.dependencies import (
    PlatformDep,
    SessionDep,
    VerifiedUser,
    public,
    require_roles,
)
from alot_platform.context import PlatformContext
from alot_platform.hosts import escrow
from alot_platform.hosts.dependencies import ApprovedHost, CurrentHost
from alot_platform.hosts.models import HostStatus
from alot_platform.hosts.schemas import (
    BuyerRead,
    HostAdminPage,
    HostAdminRead,
    HostApply,
    HostApprove,
    HostCommissionUpdate,
    HostLotCreate,
    HostLotEconomics,
    HostLotPage,
    HostLotRead,
    HostLotSales,
    HostLotUpdate,
    HostPublicRead,
    HostRead,
    HostReview,
    HostUpdate,
    LotReject,
    LotReviewBody,
    host_admin_read,
    host_public_read,
    host_read,
)
from alot_platform.hosts.service import HostService
from alot_platform.lots.models import Lot, LotReview, LotStatus
from alot_platform.lots.schemas import LotPage, LotRead, lot_read
from alot_platform.money import format_cents
from alot_platform.openapi_helpers import problems
from alot_platform.pagination import DEFAULT_LIMIT, CursorParam, LimitParam
from alot_platform.users.models import Role, User

require_admin = require_roles(Role.ADMIN)
Admin = Annotated[User, Depends(require_admin)]

router = APIRouter(prefix="/api/hosts", tags=["hosts"])
admin_router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=problems(401, 403),
)


def host_lot_read(lot: Lot, platform: PlatformContext) -> HostLotRead:
    assert lot.commission_bps is not None
    split = escrow.split(lot.funding_target_cents, lot.commission_bps)
    base = platform.settings.public_url.rstrip("/")
    return HostLotRead(
        lot=lot_read(lot, platform.clock(), show_product=True),
        review_status=LotReview(lot.review_status or LotReview.DRAFT),
        review_reason=lot.review_reason,
        private_link=f"{base}/l/{lot.access_token}" if lot.access_token else None,
        access_token=lot.access_token,
        invite_code_set=lot.invite_code_hmac is not None,
        economics=HostLotEconomics(
            commission_bps=lot.commission_bps,
            commission_percent=format_cents(lot.commission_bps),
            target_cents=split.funded_cents,
            commission_cents=split.commission_cents,
            host_share_cents=split.host_share_cents,
            commission=format_cents(split.commission_cents),
            host_share=format_cents(split.host_share_cents),
        ),
    )


# -- applications and your own profile ----------------------------------------------------


@router.post(
    "/apply",
    status_code=201,
    responses=problems(401, 403, 409, 422),
    summary="Apply to become a host (verified accounts; one profile per account)",
)
def apply(
    body: HostApply, user: VerifiedUser, session: SessionDep, platform: PlatformDep
) -> HostRead:
    return host_read(HostService(session, platform).apply(user, body))


@router.get("/me", responses=problems(401, 404), summary="Your host profile")
def read_me(host: CurrentHost) -> HostRead:
    return host_read(host)


@router.patch(
    "/me",
    responses=problems(401, 404, 422),
    summary="Edit your host profile (a rejected application goes back to pending)",
)
def update_me(
    body: HostUpdate, host: CurrentHost, session: SessionDep, platform: PlatformDep
) -> HostRead:
    return host_read(HostService(session, platform).update(host, body))


# -- your lots -------------------------------------------------------------------------


@router.post(
    "/me/lots",
    status_code=201,
    responses=problems(401, 403, 404, 422),
    summary="Create a lot with your own product (a draft: submit it for review)",
)
def create_lot(
    body: HostLotCreate,
    host: ApprovedHost,
    user: VerifiedUser,
    session: SessionDep,
    platform: PlatformDep,
) -> HostLotRead:
    lot = HostService(session, platform).create_lot(host, user, body)
    return host_lot_read(lot, platform)


@router.get("/me/lots", responses=problems(401, 404, 422), summary="Your lots, newest first")
def my_lots(
    host: CurrentHost,
    session: SessionDep,
    platform: PlatformDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> HostLotPage:
    lots, next_cursor = HostService(session, platform).my_lots(host, cursor=cursor, limit=limit)
    items = [host_lot_read(lot, platform) for lot in lots]
    return HostLotPage(items=items, next_cursor=next_cursor)


@router.get("/me/lots/{lot_id}", responses=problems(401, 404), summary="One of your lots")
def my_lot(
    lot_id: uuid.UUID, host: CurrentHost, session: SessionDep, platform: PlatformDep
) -> HostLotRead:
    return host_lot_read(HostService(session, platform).lot(host, lot_id), platform)


@router.patch(
    "/me/lots/{lot_id}",
    responses=problems(401, 403, 404, 409, 422),
    summary="Edit one of your lots until it opens (a pending or rejected one goes back to draft)",
)
def update_my_lot(
    lot_id: uuid.UUID,
    body: HostLotUpdate,
    host: ApprovedHost,
    session: SessionDep,
    platform: PlatformDep,
) -> HostLotRead:
    lot = HostService(session, platform).update_lot(host, lot_id, body)
    return host_lot_read(lot, platform)


@router.post(
    "/me/lots/{lot_id}/submit",
    responses=problems(401, 403, 404, 409, 422),
    summary="Submit a draft (or rejected) lot for review",
)
def submit_my_lot(
    lot_id: uuid.UUID, host: ApprovedHost, session: SessionDep, platform: PlatformDep
) -> HostLotRead:
    lot = HostService(session, platform).submit_lot(host, lot_id)
    return host_lot_read(lot, platform)


@router.get(
    "/me/lots/{lot_id}/sales",
    responses=problems(401, 404),
    summary="A lot's sales: figures, buyers by username, its money in the ledger",
)
def my_lot_sales(
    lot_id: uuid.UUID, host: CurrentHost, session: SessionDep, platform: PlatformDep
) -> HostLotSales:
    sales = HostService(session, platform).sales(host, lot_id)
    lot = sales.lot
    return HostLotSales(
        lot_id=lot.id,
        status=LotStatus(lot.status),
        review_status=LotReview(lot.review_status or LotReview.DRAFT),
        tickets_sold=lot.tickets_sold,
        funded_cents=lot.funded_cents,
        cash_cents=lot.cash_cents,
        spent_credits=lot.credits_spent,
        entries=sales.entries,
        buyers=[BuyerRead(username=name, tickets=tickets) for name, tickets in sales.buyers],
        funded_at=lot.funded_at,
        drawn_at=lot.drawn_at,
        settled_at=lot.settled_at,
        expired_at=lot.expired_at,
        commission_bps=host.commission_bps if lot.commission_bps is None else lot.commission_bps,
        commission_cents=sales.split.commission_cents,
        host_share_cents=sales.split.host_share_cents,
        held_cents=sales.held_cents,
        payable_cents=sales.payable_cents,
    )


# -- public host pages --------------------------------------------------------------------


@router.get(
    "/{host_id:uuid}",
    dependencies=[Depends(public)],
    responses=problems(404),
    summary="A host's public profile",
)
def read_host(host_id: uuid.UUID, session: SessionDep, platform: PlatformDep) -> HostPublicRead:
    return host_public_read(HostService(session, platform).public(host_id))


@router.get(
    "/{host_id:uuid}/lots",
    dependencies=[Depends(public)],
    responses=problems(404, 422),
    summary="A host's public lots (never private ones), newest first",
)
def host_lots(
    host_id: uuid.UUID,
    session: SessionDep,
    platform: PlatformDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> LotPage:
    lots, next_cursor = HostService(session, platform).public_lots(
        host_id, cursor=cursor, limit=limit
    )
    now = platform.clock()
    return LotPage(items=[lot_read(lot, now) for lot in lots], next_cursor=next_cursor)


# -- admin: hosts -----------------------------------------------------------------------


@admin_router.get("/hosts", responses=problems(422), summary="Host profiles, newest first")
def list_hosts(
    session: SessionDep,
    platform: PlatformDep,
    status: HostStatus | None = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> HostAdminPage:
    rows, next_cursor = HostService(session, platform).list_hosts(
        status=status, cursor=cursor, limit=limit
    )
    return HostAdminPage(
        items=[host_admin_read(host, username) for host, username in rows],
        next_cursor=next_cursor,
    )


@admin_router.get("/hosts/{host_id}", responses=problems(404), summary="One host profile")
def admin_read_host(
    host_id: uuid.UUID, session: SessionDep, platform: PlatformDep
) -> HostAdminRead:
    service = HostService(session, platform)
    host = service.get(host_id)
    return host_admin_read(host, service.username(host))


def _review(
    action: str,
    host_id: uuid.UUID,
    admin: User,
    reason: str,
    session: SessionDep,
    platform: PlatformContext,
    commission_bps: int | None = None,
) -> HostAdminRead:
    service = HostService(session, platform)
    host = service.review(host_id, admin, action, reason, commission_bps=commission_bps)
    return host_admin_read(host, service.username(host))


@admin_router.post(
    "/hosts/{host_id}/approve",
    responses=problems(404, 409, 422),
    summary="Approve an application (grants the host role), with a reason and commission",
)
def approve_host(
    host_id: uuid.UUID, body: HostApprove, admin: Admin, session: SessionDep, platform: PlatformDep
) -> HostAdminRead:
    return _review("approve", host_id, admin, body.reason, session, platform, body.commission_bps)


@admin_router.post(
    "/hosts/{host_id}/reject",
    responses=problems(404, 409, 422),
    summary="Reject an application, with a reason",
)
def reject_host(
    host_id: uuid.UUID, body: HostReview, admin: Admin, session: SessionDep, platform: PlatformDep
) -> HostAdminRead:
    return _review("reject", host_id, admin, body.reason, session, platform)


@admin_router.post(
    "/hosts/{host_id}/suspend",
    responses=problems(404, 409, 422),
    summary="Suspend a host: no new lots, and its open lots stop selling",
)
def suspend_host(
    host_id: uuid.UUID, body: HostReview, admin: Admin, session: SessionDep, platform: PlatformDep
) -> HostAdminRead:
    return _review("suspend", host_id, admin, body.reason, session, platform)


@admin_router.post(
    "/hosts/{host_id}/reinstate",
    responses=problems(404, 409, 422),
    summary="Reinstate a suspended host: its open lots sell again",
)
def reinstate_host(
    host_id: uuid.UUID, body: HostReview, admin: Admin, session: SessionDep, platform: PlatformDep
) -> HostAdminRead:
    return _review("reinstate", host_id, admin, body.reason, session, platform)


@admin_router.post(
    "/hosts/{host_id}/commission",
    responses=problems(404, 422),
    summary="Change a host's commission (its lots not yet open follow; open ones keep theirs)",
)
def set_commission(
    host_id: uuid.UUID,
    body: HostCommissionUpdate,
    admin: Admin,
    session: SessionDep,
    platform: PlatformDep,
) -> HostAdminRead:
    service = HostService(session, platform)
    host = service.set_commission(host_id, admin, body.commission_bps, body.reason)
    return host_admin_read(host, service.username(host))


# -- admin: host lots -------------------------------------------------------------------


@admin_router.get(
    "/host-lots",
    responses=problems(422),
    summary="Every host's lots, newest first, by review status (the review queue: pending)",
)
def host_lot_queue(
    session: SessionDep,
    platform: PlatformDep,
    review_status: LotReview | None = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> HostLotPage:
    lots, next_cursor = HostService(session, platform).review_queue(
        review_status, cursor=cursor, limit=limit
    )
    items = [host_lot_read(lot, platform) for lot in lots]
    return HostLotPage(items=items, next_cursor=next_cursor)


@admin_router.post(
    "/lots/{lot_id}/approve",
    responses=problems(404, 409, 422),
    summary="Approve a host lot pending review: it opens now, its commission frozen",
)
def approve_lot(
    lot_id: uuid.UUID,
    admin: Admin,
    session: SessionDep,
    platform: PlatformDep,
    body: LotReviewBody | None = None,
) -> LotRead:
    lot = HostService(session, platform).approve_lot(lot_id, admin, body.reason if body else None)
    return lot_read(lot, platform.clock(), show_product=True)


@admin_router.post(
    "/lots/{lot_id}/reject",
    responses=problems(404, 409, 422),
    summary="Reject a host lot pending review, with a reason (the host edits and resubmits)",
)
def reject_lot(
    lot_id: uuid.UUID, body: LotReject, admin: Admin, session: SessionDep, platform: PlatformDep
) -> LotRead:
    lot = HostService(session, platform).reject_lot(lot_id, admin, body.reason)
    return lot_read(lot, platform.clock(), show_product=True)
