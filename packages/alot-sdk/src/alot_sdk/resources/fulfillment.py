"""`client.fulfillment`: a host ships its lots' prizes. The queue lists the claimed,
shipped and disputed prizes of the host's lots, with the winner's address once claimed;
`ship` marks one shipped. A caller without a host profile gets `NotFoundError`
(`not_a_host`); another host's prize is `NotFoundError` too."""

from __future__ import annotations

from typing import Literal

from alot_sdk._base_client import drop_none, next_by_cursor, path_segment
from alot_sdk.models import Shipment
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources._resource import AsyncResource, SyncResource

PrizeStatus = Literal["won", "claimed", "shipped", "delivered", "disputed"]


def _ship_path(reveal_id: str) -> str:
    return f"/api/hosts/me/fulfillment/{path_segment(reveal_id)}/ship"


class Fulfillment(SyncResource):
    def queue(
        self, *, status: PrizeStatus | None = None, limit: int = 50, cursor: str | None = None
    ) -> SyncPage[Shipment]:
        """My lots' prizes (by default claimed, shipped and disputed), oldest first."""
        return self._client._get_page(
            "/api/hosts/me/fulfillment",
            drop_none({"status": status, "limit": limit, "cursor": cursor}),
            Shipment,
            "items",
            next_by_cursor,
        )

    def ship(self, reveal_id: str, *, carrier: str, tracking_number: str) -> Shipment:
        """Mark a claimed prize shipped (safe to repeat with the same tracking)."""
        response = self._client._request(
            "POST",
            _ship_path(reveal_id),
            json={"carrier": carrier, "tracking_number": tracking_number},
            replay_safe=True,
        )
        return self._client._parse(response, Shipment)


class AsyncFulfillment(AsyncResource):
    async def queue(
        self, *, status: PrizeStatus | None = None, limit: int = 50, cursor: str | None = None
    ) -> AsyncPage[Shipment]:
        """My lots' prizes (by default claimed, shipped and disputed), oldest first."""
        return await self._client._get_page(
            "/api/hosts/me/fulfillment",
            drop_none({"status": status, "limit": limit, "cursor": cursor}),
            Shipment,
            "items",
            next_by_cursor,
        )

    async def ship(self, reveal_id: str, *, carrier: str, tracking_number: str) -> Shipment:
        """Mark a claimed prize shipped (safe to repeat with the same tracking)."""
        response = await self._client._request(
            "POST",
            _ship_path(reveal_id),
            json={"carrier": carrier, "tracking_number": tracking_number},
            replay_safe=True,
        )
        return self._client._parse(response, Shipment)
