"""`client.reveals`: the lots whose prize is revealed to the logged-in player, and the
fulfillment of a prize they won: claim it with a shipping address, change the address
until it ships, follow it, confirm its delivery, or open a dispute.

A reveal that is not the caller's raises `NotFoundError` (code `reveal_not_found`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from alot_sdk._base_client import drop_none, next_by_cursor, path_segment
from alot_sdk.models import Reveal, ShippingAddress, Tracking
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources._resource import AsyncResource, SyncResource

DisputeReason = Literal["not_received", "not_as_described"]
Address = ShippingAddress | Mapping[str, Any]


def _path(reveal_id: str, action: str) -> str:
    return f"/api/reveals/{path_segment(reveal_id)}/{action}"


def _address(address: Address) -> dict[str, Any]:
    if isinstance(address, ShippingAddress):
        return {"shipping_address": address.model_dump(mode="json", exclude_none=True)}
    return {"shipping_address": dict(address)}


class Reveals(SyncResource):
    def list(self, *, limit: int = 50, cursor: str | None = None) -> SyncPage[Reveal]:
        """My reveals, one per lot I entered (iterate for all of them)."""
        return self._client._get_page(
            "/api/users/me/reveals",
            drop_none({"limit": limit, "cursor": cursor}),
            Reveal,
            "items",
            next_by_cursor,
        )

    def claim(self, reveal_id: str, address: Address) -> Tracking:
        """Claim a won prize with its shipping address (safe to repeat: the same claim
        answers the same). `ConflictError` `claim_deadline_passed` after the deadline,
        `already_claimed` with another address."""
        response = self._client._request(
            "POST", _path(reveal_id, "claim"), json=_address(address), replay_safe=True
        )
        return self._client._parse(response, Tracking)

    def update_shipping(self, reveal_id: str, address: Address) -> Tracking:
        """Change the address of a claimed prize until it ships (`ConflictError`
        `already_shipped` after)."""
        response = self._client._request(
            "PATCH", _path(reveal_id, "shipping"), json=_address(address), replay_safe=True
        )
        return self._client._parse(response, Tracking)

    def tracking(self, reveal_id: str) -> Tracking:
        """Where my prize stands: status, address, carrier, tracking number, dates,
        deadlines, dispute."""
        response = self._client._request("GET", _path(reveal_id, "tracking"))
        return self._client._parse(response, Tracking)

    def confirm_delivery(self, reveal_id: str) -> Tracking:
        """Confirm a shipped prize arrived (safe to repeat)."""
        response = self._client._request(
            "POST", _path(reveal_id, "confirm-delivery"), replay_safe=True
        )
        return self._client._parse(response, Tracking)

    def dispute(self, reveal_id: str, *, reason: DisputeReason, details: str) -> Tracking:
        """Open a dispute on a shipped prize (or a claimed one past its ship deadline);
        an admin resolves it."""
        response = self._client._request(
            "POST", _path(reveal_id, "dispute"), json={"reason": reason, "details": details}
        )
        return self._client._parse(response, Tracking)


class AsyncReveals(AsyncResource):
    async def list(self, *, limit: int = 50, cursor: str | None = None) -> AsyncPage[Reveal]:
        """My reveals, one per lot I entered (iterate for all of them)."""
        return await self._client._get_page(
            "/api/users/me/reveals",
            drop_none({"limit": limit, "cursor": cursor}),
            Reveal,
            "items",
            next_by_cursor,
        )

    async def claim(self, reveal_id: str, address: Address) -> Tracking:
        """Claim a won prize with its shipping address; see `Reveals.claim`."""
        response = await self._client._request(
            "POST", _path(reveal_id, "claim"), json=_address(address), replay_safe=True
        )
        return self._client._parse(response, Tracking)

    async def update_shipping(self, reveal_id: str, address: Address) -> Tracking:
        """Change the address of a claimed prize until it ships."""
        response = await self._client._request(
            "PATCH", _path(reveal_id, "shipping"), json=_address(address), replay_safe=True
        )
        return self._client._parse(response, Tracking)

    async def tracking(self, reveal_id: str) -> Tracking:
        """Where my prize stands; see `Reveals.tracking`."""
        response = await self._client._request("GET", _path(reveal_id, "tracking"))
        return self._client._parse(response, Tracking)

    async def confirm_delivery(self, reveal_id: str) -> Tracking:
        """Confirm a shipped prize arrived (safe to repeat)."""
        response = await self._client._request(
            "POST", _path(reveal_id, "confirm-delivery"), replay_safe=True
        )
        return self._client._parse(response, Tracking)

    async def dispute(self, reveal_id: str, *, reason: DisputeReason, details: str) -> Tracking:
        """Open a dispute; see `Reveals.dispute`."""
        response = await self._client._request(
            "POST", _path(reveal_id, "dispute"), json={"reason": reason, "details": details}
        )
        return self._client._parse(response, Tracking)
