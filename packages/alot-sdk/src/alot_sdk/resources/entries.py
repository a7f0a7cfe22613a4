"""`client.entries`: buy tickets (cash or credits) and list the logged-in player's entries.

Every purchase carries an `Idempotency-Key` (yours, or one generated per call) that
is reused on every retry of that call, so a purchase whose answer was lost is not
bought twice: the platform answers the retry with the first purchase
(`Purchase.replayed` is then True). Pass your own key to make a purchase safe to
repeat across process restarts too.
"""

from __future__ import annotations

import httpx

from alot_sdk._base_client import BaseClient, drop_none, next_by_cursor, path_segment
from alot_sdk.models import Entry, Purchase
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources._resource import AsyncResource, SyncResource


def _path(lot_id: str, kind: str) -> str:
    return f"/api/lots/{path_segment(lot_id)}/entries/{kind}"


def _purchase(response: httpx.Response) -> Purchase:
    purchase = BaseClient._parse(response, Purchase)
    if response.headers.get("idempotent-replayed") == "true":
        return purchase.model_copy(update={"replayed": True})
    return purchase


class Entries(SyncResource):
    def purchase(
        self, lot_id: str, *, bundle_index: int, idempotency_key: str | None = None
    ) -> Purchase:
        """Buy the lot's entry bundle `bundle_index` with cash (needs passed trivia).

        `status` is "pending" when a checkout remains to be finished at
        `payment.checkout_url`.
        """
        response = self._client._request(
            "POST",
            _path(lot_id, "purchase"),
            json={"bundle_index": bundle_index},
            idempotency_key=idempotency_key,
            replay_safe=True,  # the platform deduplicates by the Idempotency-Key
        )
        return _purchase(response)

    def purchase_with_credits(
        self, lot_id: str, *, tickets: int, idempotency_key: str | None = None
    ) -> Purchase:
        """Buy `tickets` tickets with credits (`money.CREDITS_PER_TICKET` each)."""
        response = self._client._request(
            "POST",
            _path(lot_id, "purchase-with-credits"),
            json={"tickets": tickets},
            idempotency_key=idempotency_key,
            replay_safe=True,  # the platform deduplicates by the Idempotency-Key
        )
        return _purchase(response)

    def mine(self, *, limit: int = 50, cursor: str | None = None) -> SyncPage[Entry]:
        """My entries across lots, newest first (iterate for all of them)."""
        return self._client._get_page(
            "/api/users/me/entries",
            drop_none({"limit": limit, "cursor": cursor}),
            Entry,
            "items",
            next_by_cursor,
        )


class AsyncEntries(AsyncResource):
    async def purchase(
        self, lot_id: str, *, bundle_index: int, idempotency_key: str | None = None
    ) -> Purchase:
        """Buy the lot's entry bundle `bundle_index` with cash (needs passed trivia).

        `status` is "pending" when a checkout remains to be finished at
        `payment.checkout_url`.
        """
        response = await self._client._request(
            "POST",
            _path(lot_id, "purchase"),
            json={"bundle_index": bundle_index},
            idempotency_key=idempotency_key,
            replay_safe=True,  # the platform deduplicates by the Idempotency-Key
        )
        return _purchase(response)

    async def purchase_with_credits(
        self, lot_id: str, *, tickets: int, idempotency_key: str | None = None
    ) -> Purchase:
        """Buy `tickets` tickets with credits (`money.CREDITS_PER_TICKET` each)."""
        response = await self._client._request(
            "POST",
            _path(lot_id, "purchase-with-credits"),
            json={"tickets": tickets},
            idempotency_key=idempotency_key,
            replay_safe=True,  # the platform deduplicates by the Idempotency-Key
        )
        return _purchase(response)

    async def mine(self, *, limit: int = 50, cursor: str | None = None) -> AsyncPage[Entry]:
        """My entries across lots, newest first (iterate for all of them)."""
        return await self._client._get_page(
            "/api/users/me/entries",
            drop_none({"limit": limit, "cursor": cursor}),
            Entry,
            "items",
            next_by_cursor,
        )
