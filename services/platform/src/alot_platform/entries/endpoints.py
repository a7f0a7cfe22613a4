"""/api/lots/{id}/entries/purchase*, /api/users/me/entries: buying tickets, listing them.

Purchases need a verified email and an `Idempotency-Key` header. A new purchase
answers 201 (202 while its payment is pending); repeating the request with the same key
answers 200 with the first purchase and `Idempotent-Replayed: true`. When a purchase
funds its lot, its draw is an outbox task committed with it: it runs after the commit.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from alot_platform.auth.dependencies import (
    Caller,
    CurrentCaller,
    CurrentUser,
    PlatformDep,
    SessionDep,
    require_roles,
)
from alot_platform.compliance.service import header_country
from alot_platform.context import PlatformContext
from alot_platform.db import release_request_slot
from alot_platform.entries.free import FreeEntryOutcome, FreeEntryService, PostalCard
from alot_platform.entries.models import PaymentMethod, PurchaseStatus
from alot_platform.entries.schemas import (
    CashPurchase,
    CreditPurchase,
    EntryPage,
    EntryRead,
    FreeEntryRead,
    FreeEntryStandingRead,
    MyOddsRead,
    PostalFreeEntry,
    PurchaseRead,
)
from alot_platform.entries.service import EntryService, Order, buy_async, joins_the_line
from alot_platform.errors import AlotError
from alot_platform.lots.models import LotStatus
from alot_platform.lots.service import LotService
from alot_platform.openapi_helpers import problems
from alot_platform.pagination import DEFAULT_LIMIT, CursorParam, LimitParam
from alot_platform.users.models import Role, User

router = APIRouter(tags=["entries"])
# Admins record postal free entries (entries' own admin routes, under /api/admin).
admin_router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    dependencies=[Depends(require_roles(Role.ADMIN))],
    responses=problems(401, 403),
)
AdminUser = Annotated[User, Depends(require_roles(Role.ADMIN))]

IDEMPOTENCY_KEY_MAX_LENGTH = 255
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="a unique key per purchase (e.g. a UUID), reused on every retry of it",
        # Documented, not enforced by FastAPI: the endpoint checks the key itself and
        # answers 400 idempotency_key_required / invalid_idempotency_key.
        json_schema_extra={"pattern": r"^[\x21-\x7e]+$", "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH},
    ),
]


class IdempotencyKeyRequired(AlotError):
    code = "idempotency_key_required"
    title = "Idempotency-Key header required"


class InvalidIdempotencyKey(AlotError):
    code = "invalid_idempotency_key"
    title = "Invalid Idempotency-Key header"


def _idempotency_key(value: str | None) -> str:
    if value is None or not value.strip():
        raise IdempotencyKeyRequired(
            "send an Idempotency-Key header (e.g. a UUID) and reuse it when retrying"
        )
    key = value.strip()
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not _PRINTABLE_ASCII.fullmatch(key):
        raise InvalidIdempotencyKey(
            f"an Idempotency-Key is 1-{IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters"
        )
    return key


_PURCHASE_RESPONSES = {
    200: {"description": "A repeated request: the first purchase, as it stands now"},
    202: {"description": "Payment pending: complete it at `payment.checkout_url`"},
    **problems(400, 401, 402, 403, 404, 409, 422),
}


async def _purchase(
    request: Request,
    lot_id: uuid.UUID,
    order: Order,
    caller: Caller,
    platform: PlatformContext,
    idempotency_key: str | None,
) -> Response:
    """What both purchase endpoints do once they know the order: check the key, buy,
    and answer with the status that says whether it was new, replayed or pending.

    The endpoints are async: a purchase waits in its lot's line on the event loop, not
    in a worker thread (see ``line.py``). The answer is rendered here, not by FastAPI,
    which would validate the returned model again; the route still declares
    ``PurchaseRead`` for the OpenAPI document.
    """
    key = _idempotency_key(idempotency_key)
    if joins_the_line(platform, order):
        # From here the request holds no session: its batch runs on the line's own
        # connection. Its slot goes to another request meanwhile.
        release_request_slot(request.scope)
    country = header_country(request.headers, platform.settings)
    outcome = await buy_async(platform, lot_id, caller.claims, order, key, country=country)
    status, headers = 201, {}
    if outcome.replayed:
        status, headers = 200, {"Idempotent-Replayed": "true"}
    elif outcome.purchase.status == PurchaseStatus.PENDING.value:
        status = 202
    body = PurchaseRead.of(
        outcome.purchase,
        outcome.entry,
        outcome.lot,
        test_mode=platform.payments.test_mode,
        checkout_url=outcome.checkout_url,
    )
    return Response(body.model_dump_json(), status, headers, media_type="application/json")


@router.post(
    "/api/lots/{lot_id}/entries/purchase",
    status_code=201,
    response_model=PurchaseRead,
    responses=_PURCHASE_RESPONSES,
    summary="Buy an entry bundle with cash",
)
async def purchase_with_cash(
    request: Request,
    lot_id: uuid.UUID,
    body: CashPurchase,
    caller: CurrentCaller,
    platform: PlatformDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    order = Order(PaymentMethod.CASH, bundle_index=body.bundle_index)
    return await _purchase(request, lot_id, order, caller, platform, idempotency_key)


@router.post(
    "/api/lots/{lot_id}/entries/purchase-with-credits",
    status_code=201,
    response_model=PurchaseRead,
    responses=_PURCHASE_RESPONSES,
    summary="Buy tickets with credits (100 per ticket)",
)
async def purchase_with_credits(
    request: Request,
    lot_id: uuid.UUID,
    body: CreditPurchase,
    caller: CurrentCaller,
    platform: PlatformDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    order = Order(PaymentMethod.CREDITS, tickets=body.tickets)
    return await _purchase(request, lot_id, order, caller, platform, idempotency_key)


@router.get(
    "/api/users/me/entries",
    responses=problems(401, 422),
    summary="My entries across lots, newest first",
)
def my_entries(
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> EntryPage:
    rows, next_cursor = EntryService(session, platform).entries_of(user, cursor=cursor, limit=limit)
    return EntryPage(
        items=[EntryRead.of(entry, purchase, lot) for entry, purchase, lot in rows],
        next_cursor=next_cursor,
    )


# -- free entry (no purchase necessary) and the player's odds ----------------------------

_FREE_ENTRY_RESPONSES = {
    200: {"description": "A repeated request: the first free entry, as it stands now"},
    **problems(400, 401, 403, 404, 409, 422),
}


def _free_entry_response(outcome: FreeEntryOutcome) -> Response:
    body = FreeEntryRead.of(outcome.purchase, outcome.entry, outcome.free_entry, outcome.lot)
    status, headers = (200, {"Idempotent-Replayed": "true"}) if outcome.replayed else (201, {})
    return Response(body.model_dump_json(), status, headers, media_type="application/json")


@router.post(
    "/api/lots/{lot_id}/free-entries",
    status_code=201,
    response_model=FreeEntryRead,
    responses=_FREE_ENTRY_RESPONSES,
    summary="Enter for free (no purchase necessary): one ticket, the same odds as a paid one",
)
def enter_free(
    request: Request,
    lot_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """One free ticket per player per lot (or per the lot's `free_entry_period_days`);
    the lot's trivia must be answered first, as for buying. A second one in the period
    is 409 `free_entry_used` with `next_at` (null when the lot allows one per player)."""
    key = _idempotency_key(idempotency_key)
    country = header_country(request.headers, platform.settings)
    outcome = FreeEntryService(session, platform).enter(
        lot_id, user.id, idempotency_key=key, country=country
    )
    return _free_entry_response(outcome)


@router.get(
    "/api/lots/{lot_id}/my-odds",
    responses=problems(401, 404, 422),
    summary="My tickets and odds in a lot, and whether I may enter for free",
)
def my_odds(
    lot_id: uuid.UUID, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> MyOddsRead:
    lot = LotService(session, platform).get_visible(lot_id, user)
    free = FreeEntryService(session, platform)
    mine, my_free = free.my_tickets(lot.id, user.id)
    standing = free.standing(lot, user.id, platform.clock())
    sold = lot.tickets_sold
    return MyOddsRead(
        lot_id=lot.id,
        lot_status=LotStatus(lot.status),
        tickets_sold=sold,
        free_tickets=lot.free_tickets,
        per_ticket=f"1 in {sold}" if sold else None,
        my_tickets=mine,
        my_free_tickets=my_free,
        my_odds=f"{mine} in {sold}" if mine and sold else None,
        my_chance_bps=mine * 10_000 // sold if sold else 0,
        free_entry=FreeEntryStandingRead(
            period_days=standing.period_days,
            used=standing.used,
            available=standing.available,
            next_at=standing.next_at,
        ),
    )


@admin_router.post(
    "/lots/{lot_id}/free-entries",
    status_code=201,
    response_model=FreeEntryRead,
    responses=_FREE_ENTRY_RESPONSES,
    summary="Record a free entry received by post (admin)",
)
def record_postal_free_entry(
    lot_id: uuid.UUID,
    body: PostalFreeEntry,
    admin: AdminUser,
    session: SessionDep,
    platform: PlatformDep,
) -> Response:
    """The card's player gets one ticket, as online: the same period, the same trivia
    (the answer on the card). The same `reference` again answers the first entry."""
    card = PostalCard(body.reference, body.received_on, body.trivia_answer)
    outcome = FreeEntryService(session, platform).enter(
        lot_id, body.user_id, postal=card, recorded_by=admin.id
    )
    return _free_entry_response(outcome)
