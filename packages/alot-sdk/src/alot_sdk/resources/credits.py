"""`client.credits`: the logged-in player's credits (whole credits, one cent each)."""

from __future__ import annotations

from alot_sdk._base_client import drop_none, next_by_cursor
from alot_sdk.models import Credits as CreditsModel
from alot_sdk.models import CreditTransaction
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources._resource import AsyncResource, SyncResource


class Credits(SyncResource):
    def balance(self) -> CreditsModel:
        """The balance, its value, and the totals earned and spent."""
        return self._client._parse(
            self._client._request("GET", "/api/users/me/credits"), CreditsModel
        )

    def transactions(
        self, *, limit: int = 50, cursor: str | None = None
    ) -> SyncPage[CreditTransaction]:
        """Credit movements, newest first (iterate for all of them)."""
        return self._client._get_page(
            "/api/users/me/credits/transactions",
            drop_none({"limit": limit, "cursor": cursor}),
            CreditTransaction,
            "items",
            next_by_cursor,
        )


class AsyncCredits(AsyncResource):
    async def balance(self) -> CreditsModel:
        """The balance, its value, and the totals earned and spent."""
        return self._client._parse(
            await self._client._request("GET", "/api/users/me/credits"), CreditsModel
        )

    async def transactions(
        self, *, limit: int = 50, cursor: str | None = None
    ) -> AsyncPage[CreditTransaction]:
        """Credit movements, newest first (iterate for all of them)."""
        return await self._client._get_page(
            "/api/users/me/credits/transactions",
            drop_none({"limit": limit, "cursor": cursor}),
            CreditTransaction,
            "items",
            next_by_cursor,
        )
