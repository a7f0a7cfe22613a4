"""`client.lots`: discover lots, read one, its leaderboard and its draw; verify the draw.

`verify_draw` never takes the platform's word: it fetches the bare proof, recomputes
the draw with `alot_verify` and checks the proof is the lot's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from alot_verify.draw import DrawResult

from alot_sdk._base_client import BaseClient, drop_none, next_by_cursor, path_segment
from alot_sdk._verification import check_draw
from alot_sdk.live import AsyncLiveWatch, LiveWatch, Reconnect, _Streams
from alot_sdk.models import (
    Draw,
    FreeEntry,
    LeaderboardRow,
    Lot,
    LotSort,
    LotStatus,
    MyOdds,
    Tier,
)
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources._resource import AsyncResource, SyncResource


def _discovery(
    state: LotStatus | Sequence[LotStatus] | None,
    tier: Tier | None,
    category: str | None,
    ending_within_hours: int | None,
    min_progress_percent: int | None,
    search: str | None,
    sort: LotSort,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    states = [state] if isinstance(state, str) else list(state) if state is not None else None
    return drop_none(
        {
            "state": states or None,
            "tier": tier,
            "category": category,
            "ending_soon": ending_within_hours,
            "min_progress": min_progress_percent,
            "q": search,
            "sort": sort,
            "limit": limit,
            "cursor": cursor,
        }
    )


def _lot(lot_id: str, tail: str = "") -> str:
    return f"/api/lots/{path_segment(lot_id)}{tail}"


def free_entry(response: httpx.Response) -> FreeEntry:
    """A free entry from the platform's answer (``replayed`` when it was an earlier one)."""
    entry = BaseClient._parse(response, FreeEntry)
    if response.headers.get("idempotent-replayed") == "true":
        return entry.model_copy(update={"replayed": True})
    return entry


class Lots(SyncResource):
    def list(
        self,
        *,
        state: LotStatus | Sequence[LotStatus] | None = None,
        tier: Tier | None = None,
        category: str | None = None,
        ending_within_hours: int | None = None,
        min_progress_percent: int | None = None,
        search: str | None = None,
        sort: LotSort = "newest",
        limit: int = 50,
        cursor: str | None = None,
    ) -> SyncPage[Lot]:
        """Lots visible to the caller; iterating the page walks every matching lot.

        `search`: words that must each occur in the title or the product's name or brand
        (case-insensitive, at most 100 characters); `sort`: `newest`, `ending_soon` or
        `most_funded` (funding progress, highest first).
        """
        params = _discovery(
            state,
            tier,
            category,
            ending_within_hours,
            min_progress_percent,
            search,
            sort,
            limit,
            cursor,
        )
        return self._client._get_page("/api/lots", params, Lot, "items", next_by_cursor)

    def get(self, lot_id: str) -> Lot:
        return self._client._parse(self._client._request("GET", _lot(lot_id)), Lot)

    def leaderboard(
        self, lot_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> SyncPage[LeaderboardRow]:
        """Buyers ranked by tickets, most first (usernames only; iterate for all)."""
        return self._client._get_page(
            _lot(lot_id, "/entries"),
            drop_none({"limit": limit, "cursor": cursor}),
            LeaderboardRow,
            "items",
            next_by_cursor,
        )

    def enter_free(self, lot_id: str, *, idempotency_key: str | None = None) -> FreeEntry:
        """Enter for free (no purchase necessary): one ticket with the same odds as a paid
        one, once per lot (or per the lot's `free_entry_period_days`); answer the trivia
        first. A second one in the period raises `ConflictError` (code
        ``free_entry_used``, `body["next_at"]`). Retries reuse the Idempotency-Key."""
        response = self._client._request(
            "POST",
            _lot(lot_id, "/free-entries"),
            idempotency_key=idempotency_key,
            replay_safe=True,  # the platform deduplicates by the Idempotency-Key
        )
        return free_entry(response)

    def my_odds(self, lot_id: str) -> MyOdds:
        """My tickets and chance in the lot now, and whether I may enter for free."""
        return self._client._parse(self._client._request("GET", _lot(lot_id, "/my-odds")), MyOdds)

    def draw(self, lot_id: str) -> Draw:
        """The lot's draw record: commitment, frozen inputs, result and proof."""
        return self._client._parse(self._client._request("GET", _lot(lot_id, "/draw")), Draw)

    def draw_proof(self, lot_id: str) -> dict[str, Any]:
        """The bare draw proof, as `alot-verify draw` reads it (404 until drawn)."""
        proof: dict[str, Any] = self._client._json(
            self._client._request("GET", _lot(lot_id, "/draw/proof"))
        )
        return proof

    def watch(
        self, lot_id: str, *, after_seq: int | None = None, reconnect: Reconnect | None = None
    ) -> LiveWatch:
        """The lot's live events (`LiveEvent`), in `seq` order, as they happen.

        From now on (first a ``"lot_current"`` event: the lot as it stood when the watch
        began, so nothing sold since your last fetch is missed), or after `after_seq` (the
        last `seq` you saw: what was missed comes first). Reconnects and resumes by
        itself (`reconnect`: the backoff); yields a ``"resync"`` event when events may
        have been lost: refetch the lot then. Close it
        (`with client.lots.watch(lot_id) as events:`) to disconnect. Raises `LiveError`
        (code ``lot_not_found``) for a lot the caller may not see. See `alot_sdk.live`.
        """
        streams = _Streams(lot_id=lot_id, after_seq=after_seq, personal=False)
        return LiveWatch(self._client, streams, reconnect or Reconnect())

    def verify_draw(
        self,
        lot_id: str,
        *,
        expected_commitment: str | None = None,
        beacon_public_key: bytes | None = None,
    ) -> DrawResult:
        """Fetch the lot's draw proof and check it; return who won and what was checked.

        `expected_commitment`: the `server_seed_commitment` you recorded when the lot
        opened; the proof must use it. An alot-v2 beacon's chain and BLS signature are
        always checked against the chains pinned in alot-verify; `beacon_public_key`
        additionally requires the chain's key to be this one. Raises
        `alot_verify.errors.DrawVerificationError` naming every mismatch.
        """
        return check_draw(
            self.draw_proof(lot_id),
            lot_id,
            expected_commitment=expected_commitment,
            beacon_public_key=beacon_public_key,
        )


class AsyncLots(AsyncResource):
    async def list(
        self,
        *,
        state: LotStatus | Sequence[LotStatus] | None = None,
        tier: Tier | None = None,
        category: str | None = None,
        ending_within_hours: int | None = None,
        min_progress_percent: int | None = None,
        search: str | None = None,
        sort: LotSort = "newest",
        limit: int = 50,
        cursor: str | None = None,
    ) -> AsyncPage[Lot]:
        """Lots visible to the caller; iterating the page walks every matching lot.

        `search`: words that must each occur in the title or the product's name or brand
        (case-insensitive, at most 100 characters); `sort`: `newest`, `ending_soon` or
        `most_funded` (funding progress, highest first).
        """
        params = _discovery(
            state,
            tier,
            category,
            ending_within_hours,
            min_progress_percent,
            search,
            sort,
            limit,
            cursor,
        )
        return await self._client._get_page("/api/lots", params, Lot, "items", next_by_cursor)

    async def get(self, lot_id: str) -> Lot:
        return self._client._parse(await self._client._request("GET", _lot(lot_id)), Lot)

    async def leaderboard(
        self, lot_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> AsyncPage[LeaderboardRow]:
        """Buyers ranked by tickets, most first (usernames only; iterate for all)."""
        return await self._client._get_page(
            _lot(lot_id, "/entries"),
            drop_none({"limit": limit, "cursor": cursor}),
            LeaderboardRow,
            "items",
            next_by_cursor,
        )

    async def enter_free(self, lot_id: str, *, idempotency_key: str | None = None) -> FreeEntry:
        """Enter for free (no purchase necessary): see `Lots.enter_free`."""
        response = await self._client._request(
            "POST",
            _lot(lot_id, "/free-entries"),
            idempotency_key=idempotency_key,
            replay_safe=True,
        )
        return free_entry(response)

    async def my_odds(self, lot_id: str) -> MyOdds:
        """My tickets and chance in the lot now, and whether I may enter for free."""
        response = await self._client._request("GET", _lot(lot_id, "/my-odds"))
        return self._client._parse(response, MyOdds)

    async def draw(self, lot_id: str) -> Draw:
        """The lot's draw record: commitment, frozen inputs, result and proof."""
        return self._client._parse(await self._client._request("GET", _lot(lot_id, "/draw")), Draw)

    async def draw_proof(self, lot_id: str) -> dict[str, Any]:
        """The bare draw proof, as `alot-verify draw` reads it (404 until drawn)."""
        proof: dict[str, Any] = self._client._json(
            await self._client._request("GET", _lot(lot_id, "/draw/proof"))
        )
        return proof

    async def watch(
        self, lot_id: str, *, after_seq: int | None = None, reconnect: Reconnect | None = None
    ) -> AsyncLiveWatch:
        """The lot's live events (`LiveEvent`), in `seq` order, as they happen.

        From now on (first a ``"lot_current"`` event: the lot as it stood when the watch
        began, so nothing sold since your last fetch is missed), or after `after_seq` (the
        last `seq` you saw: what was missed comes first). Reconnects and resumes by
        itself (`reconnect`: the backoff); yields a ``"resync"`` event when events may
        have been lost: refetch the lot then. Close it
        (`async with await client.lots.watch(lot_id) as events:`) to disconnect. Raises `LiveError`
        (code ``lot_not_found``) for a lot the caller may not see. See `alot_sdk.live`.
        """
        streams = _Streams(lot_id=lot_id, after_seq=after_seq, personal=False)
        return AsyncLiveWatch(self._client, streams, reconnect or Reconnect())

    async def verify_draw(
        self,
        lot_id: str,
        *,
        expected_commitment: str | None = None,
        beacon_public_key: bytes | None = None,
    ) -> DrawResult:
        """Fetch the lot's draw proof and check it; return who won and what was checked.

        `expected_commitment`: the `server_seed_commitment` you recorded when the lot
        opened; the proof must use it. An alot-v2 beacon's chain and BLS signature are
        always checked against the chains pinned in alot-verify; `beacon_public_key`
        additionally requires the chain's key to be this one. Raises
        `alot_verify.errors.DrawVerificationError` naming every mismatch.
        """
        return check_draw(
            await self.draw_proof(lot_id),
            lot_id,
            expected_commitment=expected_commitment,
            beacon_public_key=beacon_public_key,
        )
