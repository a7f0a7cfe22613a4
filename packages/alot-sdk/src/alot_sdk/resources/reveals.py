"""`client.reveals`: the lots whose prize is revealed to the logged-in player."""

from __future__ import annotations

from alot_sdk._base_client import next_by_cursor
from alot_sdk.models import Reveal
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources._resource import AsyncResource, SyncResource


class Reveals(SyncResource):
    def list(self, *, limit: int = 20) -> SyncPage[Reveal]:
        """My reveals, one per lot I entered (iterate for all of them)."""
        return self._client._get_page(
            "/api/users/me/reveals", {"limit": limit}, Reveal, "items", next_by_cursor
        )


class AsyncReveals(AsyncResource):
    async def list(self, *, limit: int = 20) -> AsyncPage[Reveal]:
        """My reveals, one per lot I entered (iterate for all of them)."""
        return await self._client._get_page(
            "/api/users/me/reveals", {"limit": limit}, Reveal, "items", next_by_cursor
        )
