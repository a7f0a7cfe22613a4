"""`client.admin`: operations for admin tokens (catalogue, lots, draws, refunds, users,
the desk's overview and the credits reconciliation).

`client.admin.product_classes`, `client.admin.lots` and `client.admin.users` group
them; `client.admin.overview()`, `client.admin.reconciliation()`,
`client.admin.failed_tasks()`, `client.admin.retry_task()`, `client.admin.cache_stats()`
and `client.admin.analytics()` are the desk's own, as are payouts: `client.admin.payouts()`
(hosts' payouts and the winners owed cash), `client.admin.retry_payout()` and
`client.admin.record_winner_payout()`.
Calls without the admin role raise `PermissionDeniedError` (code `missing_role`). Draw,
settle and start-refunds are safe to repeat: the platform answers a repeat with the
result so far, so the client retries them like reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import TypeAdapter

from alot_sdk._base_client import drop_none, next_by_cursor, path_segment
from alot_sdk.models import (
    AdminOverview,
    AdminPayouts,
    Analytics,
    CacheStats,
    Draw,
    DrawAlgorithm,
    EntryBundle,
    FreeEntry,
    Lot,
    LotRefunds,
    Payout,
    PlayStatus,
    ProductClass,
    Reconciliation,
    Role,
    Shipment,
    Task,
    Tier,
    User,
    WinnerPayout,
)
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources._resource import AsyncResource, SyncResource
from alot_sdk.resources.hosts import AdminHosts, AsyncAdminHosts
from alot_sdk.resources.lots import free_entry

if TYPE_CHECKING:
    from alot_sdk._client import Alot, AsyncAlot

UserStatus = Literal["active", "suspended", "banned"]
LotType = Literal["known", "mystery"]
Visibility = Literal["public", "private", "unlisted"]

_BUNDLES = TypeAdapter(list[EntryBundle])
_BODY = TypeAdapter(dict[str, Any])


def _json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments as a JSON body (datetimes as ISO 8601, models as objects)."""
    body: dict[str, Any] = _BODY.dump_python(dict(values), mode="json")
    return body


def _product_class(
    name: str,
    category: str,
    tier: Tier,
    retail_value_cents: int,
    brand: str | None,
    description: str | None,
    specifications: Mapping[str, str | int | bool] | None,
    images: Sequence[str] | None,
    authenticity_certificate_url: str | None,
) -> dict[str, Any]:
    return _json(
        drop_none(
            {
                "name": name,
                "category": category,
                "tier": tier,
                "retail_value_cents": retail_value_cents,
                "brand": brand,
                "description": description,
                "specifications": specifications,
                "images": list(images) if images is not None else None,
                "authenticity_certificate_url": authenticity_certificate_url,
            }
        )
    )


def _lot(
    product_class_id: str,
    title: str,
    funding_target_cents: int,
    deadline: datetime,
    entry_bundles: Sequence[EntryBundle | Mapping[str, int]],
    trivia_question: str,
    trivia_answer: str,
    lot_type: LotType,
    visibility: Visibility,
    draw_algorithm: DrawAlgorithm | None,
    max_tickets_per_user: int | None,
    non_winner_credit_rate_percent: int | None,
    free_entry_period_days: int | None = None,
) -> dict[str, Any]:
    if deadline.tzinfo is None:
        raise ValueError("deadline must be timezone-aware (e.g. datetime.now(UTC) + ...)")
    return _json(
        drop_none(
            {
                "product_class_id": product_class_id,
                "title": title,
                "lot_type": lot_type,
                "funding_target_cents": funding_target_cents,
                "deadline": deadline,
                "entry_bundles": _BUNDLES.validate_python(
                    [b if isinstance(b, EntryBundle) else dict(b) for b in entry_bundles]
                ),
                "visibility": visibility,
                "trivia_question": trivia_question,
                "trivia_answer": trivia_answer,
                "draw_algorithm": draw_algorithm,
                "max_tickets_per_user": max_tickets_per_user,
                "non_winner_credit_rate_percent": non_winner_credit_rate_percent,
                "free_entry_period_days": free_entry_period_days,
            }
        )
    )


def _postal_entry(user_id: str, received_on: date, reference: str, trivia_answer: str) -> Any:
    return _json(
        {
            "user_id": user_id,
            "received_on": received_on,
            "reference": reference,
            "trivia_answer": trivia_answer,
        }
    )


def _admin_lot(lot_id: str, action: str) -> str:
    return f"/api/admin/lots/{path_segment(lot_id)}/{action}"


def _product_class_path(product_class_id: str) -> str:
    return f"/api/admin/product-classes/{path_segment(product_class_id)}"


def _user_path(user_id: str, tail: str = "") -> str:
    return f"/api/admin/users/{path_segment(user_id)}{tail}"


PayoutStatus = Literal["pending", "paid", "failed"]


def _payout_retry_path(payout_id: str) -> str:
    return f"/api/admin/payouts/{path_segment(payout_id)}/retry"


def _winner_payout(user_id: str, amount_cents: int, reference: str) -> dict[str, Any]:
    return {"user_id": user_id, "amount_cents": amount_cents, "reference": reference}


def _reveal_path(reveal_id: str, action: str) -> str:
    return f"/api/admin/reveals/{path_segment(reveal_id)}/{action}"


PrizeStatus = Literal["won", "claimed", "shipped", "delivered", "disputed"]
Resolution = Literal["release", "compensate"]


def _range(first: date | None, after: date | None) -> dict[str, Any]:
    return drop_none(
        {
            "from": first.isoformat() if first else None,
            "to": after.isoformat() if after else None,
        }
    )


def _retry_path(task_id: str) -> str:
    return f"/api/admin/tasks/{path_segment(task_id)}/retry"


# -- sync ----------------------------------------------------------------------------


class AdminProductClasses(SyncResource):
    def list(self, *, limit: int = 50, cursor: str | None = None) -> SyncPage[ProductClass]:
        """The catalogue, oldest first (iterate for all of it)."""
        return self._client._get_page(
            "/api/admin/product-classes",
            drop_none({"limit": limit, "cursor": cursor}),
            ProductClass,
            "items",
            next_by_cursor,
        )

    def create(
        self,
        *,
        name: str,
        category: str,
        tier: Tier,
        retail_value_cents: int,
        brand: str | None = None,
        description: str | None = None,
        specifications: Mapping[str, str | int | bool] | None = None,
        images: Sequence[str] | None = None,
        authenticity_certificate_url: str | None = None,
    ) -> ProductClass:
        body = _product_class(
            name,
            category,
            tier,
            retail_value_cents,
            brand,
            description,
            specifications,
            images,
            authenticity_certificate_url,
        )
        response = self._client._request("POST", "/api/admin/product-classes", json=body)
        return self._client._parse(response, ProductClass)

    def get(self, product_class_id: str) -> ProductClass:
        response = self._client._request("GET", _product_class_path(product_class_id))
        return self._client._parse(response, ProductClass)

    def update(self, product_class_id: str, **changes: Any) -> ProductClass:
        """Change the named fields (as the API names them); others keep their value."""
        response = self._client._request(
            "PATCH", _product_class_path(product_class_id), json=_json(changes)
        )
        return self._client._parse(response, ProductClass)

    def delete(self, product_class_id: str) -> None:
        """Delete a product class no lot uses (`ConflictError` otherwise)."""
        self._client._request("DELETE", _product_class_path(product_class_id))


class AdminLots(SyncResource):
    def create(
        self,
        *,
        product_class_id: str,
        title: str,
        funding_target_cents: int,
        deadline: datetime,
        entry_bundles: Sequence[EntryBundle | Mapping[str, int]],
        trivia_question: str,
        trivia_answer: str,
        lot_type: LotType = "known",
        visibility: Visibility = "public",
        draw_algorithm: DrawAlgorithm | None = None,
        max_tickets_per_user: int | None = None,
        non_winner_credit_rate_percent: int | None = None,
        free_entry_period_days: int | None = None,
    ) -> Lot:
        """Create a lot (status "created"); `open` it to start selling."""
        body = _lot(
            product_class_id,
            title,
            funding_target_cents,
            deadline,
            entry_bundles,
            trivia_question,
            trivia_answer,
            lot_type,
            visibility,
            draw_algorithm,
            max_tickets_per_user,
            non_winner_credit_rate_percent,
            free_entry_period_days,
        )
        return self._client._parse(self._client._request("POST", "/api/lots", json=body), Lot)

    def update(self, lot_id: str, **changes: Any) -> Lot:
        """Edit a lot that is not open yet; `max_tickets_per_user=None` removes the cap."""
        response = self._client._request(
            "PATCH", f"/api/lots/{path_segment(lot_id)}", json=_json(changes)
        )
        return self._client._parse(response, Lot)

    def open(self, lot_id: str) -> Lot:
        """Open a created lot: its seed commitment is published and sales start."""
        return self._client._parse(self._client._request("POST", _admin_lot(lot_id, "open")), Lot)

    def extend(self, lot_id: str, *, deadline: datetime, reason: str) -> Lot:
        """Move an open lot's deadline later, before it passes; `reason` (1-500
        characters) is recorded in the ledger with the new and the previous deadline."""
        response = self._client._request(
            "POST",
            _admin_lot(lot_id, "extend"),
            json=_json({"deadline": deadline, "reason": reason}),
        )
        return self._client._parse(response, Lot)

    def draw(self, lot_id: str) -> Draw:
        """Draw a funded lot now (a repeat returns the result)."""
        response = self._client._request("POST", _admin_lot(lot_id, "draw"), replay_safe=True)
        return self._client._parse(response, Draw)

    def settle(self, lot_id: str) -> Draw:
        """Settle a drawn lot now (a repeat returns the result)."""
        response = self._client._request("POST", _admin_lot(lot_id, "settle"), replay_safe=True)
        return self._client._parse(response, Draw)

    def start_refunds(self, lot_id: str) -> LotRefunds:
        """Start a lot's refunds now, once its deadline has passed (they start by
        themselves at the deadline: this is for exceptional cases; a repeat, or a lot
        whose refunds started already, returns the progress)."""
        response = self._client._request("POST", _admin_lot(lot_id, "refunds"), replay_safe=True)
        return self._client._parse(response, LotRefunds)

    def record_postal_entry(
        self,
        lot_id: str,
        *,
        user_id: str,
        received_on: date,
        reference: str,
        trivia_answer: str,
    ) -> FreeEntry:
        """Record a free entry received by post for `user_id` (the card's `reference`,
        unique per lot: recording it again returns the first entry, `replayed`)."""
        response = self._client._request(
            "POST",
            _admin_lot(lot_id, "free-entries"),
            json=_postal_entry(user_id, received_on, reference, trivia_answer),
            replay_safe=True,  # the reference deduplicates
        )
        return free_entry(response)

    def refunds(self, lot_id: str) -> LotRefunds:
        """Refund progress: the lot's purchases per status."""
        response = self._client._request("GET", _admin_lot(lot_id, "refunds"))
        return self._client._parse(response, LotRefunds)


class AdminUsers(SyncResource):
    def list(
        self, *, q: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> SyncPage[User]:
        """Accounts, oldest first (iterate for all of them); with `q`, only those whose
        email or username contains it (any case)."""
        return self._client._get_page(
            "/api/admin/users",
            drop_none({"q": q, "limit": limit, "cursor": cursor}),
            User,
            "items",
            next_by_cursor,
        )

    def get(self, user_id: str) -> User:
        return self._client._parse(self._client._request("GET", _user_path(user_id)), User)

    def play(self, user_id: str) -> PlayStatus:
        """A player's spend limits and time-out or self-exclusion (read only: nothing
        lifts a self-exclusion)."""
        response = self._client._request("GET", _user_path(user_id, "/play"))
        return self._client._parse(response, PlayStatus)

    def set_roles(self, user_id: str, roles: Sequence[Role]) -> User:
        response = self._client._request(
            "PUT", _user_path(user_id, "/roles"), json={"roles": list(roles)}
        )
        return self._client._parse(response, User)

    def set_status(self, user_id: str, status: UserStatus) -> User:
        response = self._client._request(
            "PUT", _user_path(user_id, "/status"), json={"status": status}
        )
        return self._client._parse(response, User)


class Admin(SyncResource):
    def __init__(self, client: Alot) -> None:
        super().__init__(client)
        self.product_classes = AdminProductClasses(client)
        self.lots = AdminLots(client)
        self.users = AdminUsers(client)
        self.hosts = AdminHosts(client)

    def overview(self) -> AdminOverview:
        """The desk's counts: lots by status, payment events needing attention, failed
        background tasks."""
        response = self._client._request("GET", "/api/admin/overview")
        return self._client._parse(response, AdminOverview)

    def reconciliation(self) -> Reconciliation:
        """Check every credit balance against the ledger now (`alot reconcile`)."""
        response = self._client._request("GET", "/api/admin/reconciliation")
        return self._client._parse(response, Reconciliation)

    def cache_stats(self) -> CacheStats:
        """The cache's hits and misses per family (lot views, list pages, leaderboards,
        balances, settled draws), shared by every API process on Redis."""
        response = self._client._request("GET", "/api/admin/cache")
        return self._client._parse(response, CacheStats)

    def analytics(self, *, from_: date | None = None, to: date | None = None) -> Analytics:
        """The business figures over the UTC days ``[from_, to)`` (``to`` exclusive;
        default the last 30 days, today included; at most 366 days, else
        `ValidationError`): lots per day, conversion, time to funding, credits, revenue
        per lot, GMV, refunds, fees and host payouts (docs/platform/analytics.md)."""
        response = self._client._request("GET", "/api/admin/analytics", params=_range(from_, to))
        return self._client._parse(response, Analytics)

    def failed_tasks(self, *, limit: int = 50, cursor: str | None = None) -> SyncPage[Task]:
        """Background tasks that failed on every attempt (dead letters), the latest to
        die first (iterate for all of them); `alot tasks failed` on the server."""
        return self._client._get_page(
            "/api/admin/tasks/failed",
            drop_none({"limit": limit, "cursor": cursor}),
            Task,
            "items",
            next_by_cursor,
        )

    def retry_task(self, task_id: str) -> Task:
        """Give a dead task a new round of attempts, run at once after the platform
        commits (`alot tasks retry`). Returns it `pending` with `attempts` 0: whether it
        then succeeds shows later (it leaves `failed_tasks()`, or comes back after a
        full round of failures). `ConflictError` (code `task_not_dead`) when it is not
        dead (already retried), `NotFoundError` (`task_not_found`) when unknown."""
        response = self._client._request("POST", _retry_path(task_id))
        return self._client._parse(response, Task)

    def payouts(self, *, status: PayoutStatus | None = None) -> AdminPayouts:
        """Hosts' payouts (the latest 200, or of one status) and the winners owed cash."""
        response = self._client._request(
            "GET", "/api/admin/payouts", params=drop_none({"status": status})
        )
        return self._client._parse(response, AdminPayouts)

    def retry_payout(self, payout_id: str) -> Payout:
        """Ask Stripe again for a payout it refused (its cause fixed): `ConflictError`
        (`payout_not_failed`, `payouts_not_enabled`, `payable_insufficient`) otherwise."""
        response = self._client._request("POST", _payout_retry_path(payout_id))
        return self._client._parse(response, Payout)

    def record_winner_payout(self, user_id: str, amount_cents: int, reference: str) -> WinnerPayout:
        """Record a cash payment made by hand (a bank transfer: Stripe cannot pay a person
        without a connected account) to a winner owed cash; once per `reference` (a repeat
        records nothing more). `ConflictError` (`more_than_owed`) beyond what is owed."""
        response = self._client._request(
            "POST",
            "/api/admin/winner-payouts",
            json=_winner_payout(user_id, amount_cents, reference),
            replay_safe=True,
        )
        return self._client._parse(response, WinnerPayout)

    def fulfillment(
        self, *, status: PrizeStatus | None = None, limit: int = 50, cursor: str | None = None
    ) -> SyncPage[Shipment]:
        """Platform lots' prizes to ship (by default claimed, shipped and disputed) with
        their addresses once claimed, and every disputed prize (a host lot's without
        its address)."""
        return self._client._get_page(
            "/api/admin/fulfillment",
            drop_none({"status": status, "limit": limit, "cursor": cursor}),
            Shipment,
            "items",
            next_by_cursor,
        )

    def ship(self, reveal_id: str, *, carrier: str, tracking_number: str) -> Shipment:
        """Mark a platform lot's claimed prize shipped (a host lot's: `ConflictError`
        `not_the_shipper`)."""
        response = self._client._request(
            "POST",
            _reveal_path(reveal_id, "ship"),
            json={"carrier": carrier, "tracking_number": tracking_number},
            replay_safe=True,
        )
        return self._client._parse(response, Shipment)

    def resolve(self, reveal_id: str, *, resolution: Resolution, note: str) -> Shipment:
        """Resolve an open dispute: `release` (delivered, a host lot's host paid) or
        `compensate` (the winner owed the prize's retail value in cash)."""
        response = self._client._request(
            "POST",
            _reveal_path(reveal_id, "resolve"),
            json={"resolution": resolution, "note": note},
        )
        return self._client._parse(response, Shipment)


# -- async ----------------------------------------------------------------------------


class AsyncAdminProductClasses(AsyncResource):
    async def list(self, *, limit: int = 50, cursor: str | None = None) -> AsyncPage[ProductClass]:
        """The catalogue, oldest first (iterate for all of it)."""
        return await self._client._get_page(
            "/api/admin/product-classes",
            drop_none({"limit": limit, "cursor": cursor}),
            ProductClass,
            "items",
            next_by_cursor,
        )

    async def create(
        self,
        *,
        name: str,
        category: str,
        tier: Tier,
        retail_value_cents: int,
        brand: str | None = None,
        description: str | None = None,
        specifications: Mapping[str, str | int | bool] | None = None,
        images: Sequence[str] | None = None,
        authenticity_certificate_url: str | None = None,
    ) -> ProductClass:
        body = _product_class(
            name,
            category,
            tier,
            retail_value_cents,
            brand,
            description,
            specifications,
            images,
            authenticity_certificate_url,
        )
        response = await self._client._request("POST", "/api/admin/product-classes", json=body)
        return self._client._parse(response, ProductClass)

    async def get(self, product_class_id: str) -> ProductClass:
        response = await self._client._request("GET", _product_class_path(product_class_id))
        return self._client._parse(response, ProductClass)

    async def update(self, product_class_id: str, **changes: Any) -> ProductClass:
        """Change the named fields (as the API names them); others keep their value."""
        response = await self._client._request(
            "PATCH", _product_class_path(product_class_id), json=_json(changes)
        )
        return self._client._parse(response, ProductClass)

    async def delete(self, product_class_id: str) -> None:
        """Delete a product class no lot uses (`ConflictError` otherwise)."""
        await self._client._request("DELETE", _product_class_path(product_class_id))


class AsyncAdminLots(AsyncResource):
    async def create(
        self,
        *,
        product_class_id: str,
        title: str,
        funding_target_cents: int,
        deadline: datetime,
        entry_bundles: Sequence[EntryBundle | Mapping[str, int]],
        trivia_question: str,
        trivia_answer: str,
        lot_type: LotType = "known",
        visibility: Visibility = "public",
        draw_algorithm: DrawAlgorithm | None = None,
        max_tickets_per_user: int | None = None,
        non_winner_credit_rate_percent: int | None = None,
        free_entry_period_days: int | None = None,
    ) -> Lot:
        """Create a lot (status "created"); `open` it to start selling."""
        body = _lot(
            product_class_id,
            title,
            funding_target_cents,
            deadline,
            entry_bundles,
            trivia_question,
            trivia_answer,
            lot_type,
            visibility,
            draw_algorithm,
            max_tickets_per_user,
            non_winner_credit_rate_percent,
            free_entry_period_days,
        )
        return self._client._parse(await self._client._request("POST", "/api/lots", json=body), Lot)

    async def update(self, lot_id: str, **changes: Any) -> Lot:
        """Edit a lot that is not open yet; `max_tickets_per_user=None` removes the cap."""
        response = await self._client._request(
            "PATCH", f"/api/lots/{path_segment(lot_id)}", json=_json(changes)
        )
        return self._client._parse(response, Lot)

    async def open(self, lot_id: str) -> Lot:
        """Open a created lot: its seed commitment is published and sales start."""
        return self._client._parse(
            await self._client._request("POST", _admin_lot(lot_id, "open")), Lot
        )

    async def extend(self, lot_id: str, *, deadline: datetime, reason: str) -> Lot:
        """Move an open lot's deadline later, before it passes; `reason` (1-500
        characters) is recorded in the ledger with the new and the previous deadline."""
        response = await self._client._request(
            "POST",
            _admin_lot(lot_id, "extend"),
            json=_json({"deadline": deadline, "reason": reason}),
        )
        return self._client._parse(response, Lot)

    async def draw(self, lot_id: str) -> Draw:
        """Draw a funded lot now (a repeat returns the result)."""
        response = await self._client._request("POST", _admin_lot(lot_id, "draw"), replay_safe=True)
        return self._client._parse(response, Draw)

    async def settle(self, lot_id: str) -> Draw:
        """Settle a drawn lot now (a repeat returns the result)."""
        response = await self._client._request(
            "POST", _admin_lot(lot_id, "settle"), replay_safe=True
        )
        return self._client._parse(response, Draw)

    async def start_refunds(self, lot_id: str) -> LotRefunds:
        """Start a lot's refunds now, once its deadline has passed (they start by
        themselves at the deadline: this is for exceptional cases; a repeat, or a lot
        whose refunds started already, returns the progress)."""
        response = await self._client._request(
            "POST", _admin_lot(lot_id, "refunds"), replay_safe=True
        )
        return self._client._parse(response, LotRefunds)

    async def record_postal_entry(
        self,
        lot_id: str,
        *,
        user_id: str,
        received_on: date,
        reference: str,
        trivia_answer: str,
    ) -> FreeEntry:
        """Record a free entry received by post: see `AdminLots.record_postal_entry`."""
        response = await self._client._request(
            "POST",
            _admin_lot(lot_id, "free-entries"),
            json=_postal_entry(user_id, received_on, reference, trivia_answer),
            replay_safe=True,
        )
        return free_entry(response)

    async def refunds(self, lot_id: str) -> LotRefunds:
        """Refund progress: the lot's purchases per status."""
        response = await self._client._request("GET", _admin_lot(lot_id, "refunds"))
        return self._client._parse(response, LotRefunds)


class AsyncAdminUsers(AsyncResource):
    async def list(
        self, *, q: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> AsyncPage[User]:
        """Accounts, oldest first (iterate for all of them); with `q`, only those whose
        email or username contains it (any case)."""
        return await self._client._get_page(
            "/api/admin/users",
            drop_none({"q": q, "limit": limit, "cursor": cursor}),
            User,
            "items",
            next_by_cursor,
        )

    async def get(self, user_id: str) -> User:
        return self._client._parse(await self._client._request("GET", _user_path(user_id)), User)

    async def play(self, user_id: str) -> PlayStatus:
        """A player's spend limits and time-out or self-exclusion (read only: nothing
        lifts a self-exclusion)."""
        response = await self._client._request("GET", _user_path(user_id, "/play"))
        return self._client._parse(response, PlayStatus)

    async def set_roles(self, user_id: str, roles: Sequence[Role]) -> User:
        response = await self._client._request(
            "PUT", _user_path(user_id, "/roles"), json={"roles": list(roles)}
        )
        return self._client._parse(response, User)

    async def set_status(self, user_id: str, status: UserStatus) -> User:
        response = await self._client._request(
            "PUT", _user_path(user_id, "/status"), json={"status": status}
        )
        return self._client._parse(response, User)


class AsyncAdmin(AsyncResource):
    def __init__(self, client: AsyncAlot) -> None:
        super().__init__(client)
        self.product_classes = AsyncAdminProductClasses(client)
        self.lots = AsyncAdminLots(client)
        self.users = AsyncAdminUsers(client)
        self.hosts = AsyncAdminHosts(client)

    async def overview(self) -> AdminOverview:
        """The desk's counts: lots by status, payment events needing attention, failed
        background tasks."""
        response = await self._client._request("GET", "/api/admin/overview")
        return self._client._parse(response, AdminOverview)

    async def reconciliation(self) -> Reconciliation:
        """Check every credit balance against the ledger now (`alot reconcile`)."""
        response = await self._client._request("GET", "/api/admin/reconciliation")
        return self._client._parse(response, Reconciliation)

    async def cache_stats(self) -> CacheStats:
        """The cache's hits and misses per family; see `Admin.cache_stats`."""
        response = await self._client._request("GET", "/api/admin/cache")
        return self._client._parse(response, CacheStats)

    async def analytics(self, *, from_: date | None = None, to: date | None = None) -> Analytics:
        """The business figures over ``[from_, to)``; see `Admin.analytics`."""
        response = await self._client._request(
            "GET", "/api/admin/analytics", params=_range(from_, to)
        )
        return self._client._parse(response, Analytics)

    async def failed_tasks(self, *, limit: int = 50, cursor: str | None = None) -> AsyncPage[Task]:
        """Background tasks that failed on every attempt (dead letters), the latest to
        die first (iterate for all of them); `alot tasks failed` on the server."""
        return await self._client._get_page(
            "/api/admin/tasks/failed",
            drop_none({"limit": limit, "cursor": cursor}),
            Task,
            "items",
            next_by_cursor,
        )

    async def retry_task(self, task_id: str) -> Task:
        """Give a dead task a new round of attempts, run at once after the platform
        commits (`alot tasks retry`); see `Admin.retry_task`."""
        response = await self._client._request("POST", _retry_path(task_id))
        return self._client._parse(response, Task)

    async def payouts(self, *, status: PayoutStatus | None = None) -> AdminPayouts:
        """Hosts' payouts and the winners owed cash; see `Admin.payouts`."""
        response = await self._client._request(
            "GET", "/api/admin/payouts", params=drop_none({"status": status})
        )
        return self._client._parse(response, AdminPayouts)

    async def retry_payout(self, payout_id: str) -> Payout:
        """Ask Stripe again for a refused payout; see `Admin.retry_payout`."""
        response = await self._client._request("POST", _payout_retry_path(payout_id))
        return self._client._parse(response, Payout)

    async def record_winner_payout(
        self, user_id: str, amount_cents: int, reference: str
    ) -> WinnerPayout:
        """Record a cash payment made by hand to a winner; see `Admin.record_winner_payout`."""
        response = await self._client._request(
            "POST",
            "/api/admin/winner-payouts",
            json=_winner_payout(user_id, amount_cents, reference),
            replay_safe=True,
        )
        return self._client._parse(response, WinnerPayout)

    async def fulfillment(
        self, *, status: PrizeStatus | None = None, limit: int = 50, cursor: str | None = None
    ) -> AsyncPage[Shipment]:
        """Platform lots' prizes to ship (by default claimed, shipped and disputed) with
        their addresses once claimed, and every disputed prize (a host lot's without
        its address)."""
        return await self._client._get_page(
            "/api/admin/fulfillment",
            drop_none({"status": status, "limit": limit, "cursor": cursor}),
            Shipment,
            "items",
            next_by_cursor,
        )

    async def ship(self, reveal_id: str, *, carrier: str, tracking_number: str) -> Shipment:
        """Mark a platform lot's claimed prize shipped (a host lot's: `ConflictError`
        `not_the_shipper`)."""
        response = await self._client._request(
            "POST",
            _reveal_path(reveal_id, "ship"),
            json={"carrier": carrier, "tracking_number": tracking_number},
            replay_safe=True,
        )
        return self._client._parse(response, Shipment)

    async def resolve(self, reveal_id: str, *, resolution: Resolution, note: str) -> Shipment:
        """Resolve an open dispute: `release` (delivered, a host lot's host paid) or
        `compensate` (the winner owed the prize's retail value in cash)."""
        response = await self._client._request(
            "POST",
            _reveal_path(reveal_id, "resolve"),
            json={"resolution": resolution, "note": note},
        )
        return self._client._parse(response, Shipment)
