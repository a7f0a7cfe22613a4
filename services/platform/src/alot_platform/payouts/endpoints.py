"""Hosts' payouts and Connect onboarding; admins' view of payouts and winners owed.

Connect calls to the provider happen with no row locked: the account is created under
a key per host (two clicks make one account) and recorded after.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from alot_platform.auth.dependencies import PlatformDep, SessionDep, require_roles
from alot_platform.context import PlatformContext
from alot_platform.hosts.dependencies import CurrentHost, HostNotApproved
from alot_platform.hosts.models import HostStatus
from alot_platform.openapi_helpers import problems
from alot_platform.payouts.models import PayoutStatus
from alot_platform.payouts.schemas import (
    AdminPayoutsRead,
    ConnectLink,
    HostPayoutsRead,
    PayoutRead,
    WinnerPayoutRead,
    WinnerPayoutRequest,
    host_payouts_read,
    payout_read,
    winner_owed_read,
    winner_payout_read,
)
from alot_platform.payouts.service import PayoutService, connect_idempotency_key, connect_status
from alot_platform.users.models import Role, User

require_admin = require_roles(Role.ADMIN)
Admin = Annotated[User, Depends(require_admin)]

router = APIRouter(prefix="/api/hosts/me", tags=["payouts"], responses=problems(401, 404))
admin_router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=problems(401, 403),
)


def _payouts_url(platform: PlatformContext) -> str:
    settings = platform.settings
    return (settings.host_payouts_url or f"{settings.public_url.rstrip('/')}/host/payouts").rstrip(
        "/"
    )


@router.post(
    "/connect",
    responses=problems(403, 503),
    summary="Start (or continue) Stripe Connect onboarding: a fresh onboarding link",
)
def connect(host: CurrentHost, session: SessionDep, platform: PlatformDep) -> ConnectLink:
    # Approved hosts, and suspended ones: they are still owed what they earned.
    if host.status not in (HostStatus.APPROVED, HostStatus.SUSPENDED):
        raise HostNotApproved(f"your host profile is {host.status}", status=host.status)
    provider = platform.payments
    host_id, account_id = host.id, host.stripe_connect_account_id
    if account_id is None:
        account = provider.create_connect_account(
            country=host.country,
            idempotency_key=connect_idempotency_key(host_id),
            metadata={"host_id": str(host_id)},
        )
    else:
        account = provider.connect_account(account_id)
    host = PayoutService(session, platform).record_account(host_id, account)
    assert host.stripe_connect_account_id is not None
    page = _payouts_url(platform)
    url = provider.account_link(
        host.stripe_connect_account_id,
        refresh_url=f"{page}?onboarding=refresh",
        return_url=f"{page}?onboarding=return",
    )
    return ConnectLink(
        url=url,
        account_id=host.stripe_connect_account_id,
        status=connect_status(host),
        test_mode=provider.test_mode,
    )


@router.get("/payouts", summary="My Connect status, balances and payouts")
def my_payouts(host: CurrentHost, session: SessionDep, platform: PlatformDep) -> HostPayoutsRead:
    found = PayoutService(session, platform).of_host(host)
    return host_payouts_read(
        found,
        test_mode=platform.payments.test_mode,
        minimum=platform.settings.host_payout_minimum_cents,
    )


@admin_router.get("/payouts", responses=problems(422), summary="Host payouts and winners owed")
def list_payouts(
    session: SessionDep,
    platform: PlatformDep,
    payout_status: Annotated[PayoutStatus | None, Query(alias="status")] = None,
) -> AdminPayoutsRead:
    service = PayoutService(session, platform)
    return AdminPayoutsRead(
        host_payouts=[payout_read(p) for p in service.recent(status=payout_status)],
        winners_owed=[winner_owed_read(w) for w in service.winners_owed()],
    )


@admin_router.post(
    "/payouts/{payout_id}/retry",
    responses=problems(404, 409),
    summary="Ask again for a payout the provider refused (its cause fixed)",
)
def retry_payout(payout_id: uuid.UUID, session: SessionDep, platform: PlatformDep) -> PayoutRead:
    # Its transfer is asked for by an outbox task once this commits.
    return payout_read(PayoutService(session, platform).retry(payout_id))


@admin_router.post(
    "/winner-payouts",
    status_code=status.HTTP_201_CREATED,
    responses=problems(404, 409, 422),
    summary="Record a cash payment made by hand to a winner owed cash",
)
def record_winner_payout(
    body: WinnerPayoutRequest, admin: Admin, session: SessionDep, platform: PlatformDep
) -> WinnerPayoutRead:
    payment = PayoutService(session, platform).record_winner_payout(
        admin, body.user_id, body.amount_cents, body.reference
    )
    return winner_payout_read(payment)
