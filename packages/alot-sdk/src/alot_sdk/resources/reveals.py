"""`client.reveals`: the lots whose prize is revealed to the logged-in player."""

from __future__ import annotations

from alot_sdk._base_client import drop_none, next_by_cursor
from alot_sdk.models import Reveal
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources._resource import AsyncResource, SyncResource


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
