"""`admin.cache_stats()`, sync and async, over the real app (in-process cache)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alot_sdk import PermissionDeniedError
from alot_sdk.models import CacheStats


def test_cache_stats_count_the_reads_a_client_makes(
    admin: Any, open_lot: Callable[..., Any], make_player: Callable[..., Any]
) -> None:
    lot = open_lot()
    player = make_player()
    before = admin.client.admin.cache_stats()
    assert isinstance(before, CacheStats)
    assert (before.backend, before.enabled) == ("memory", True)
    assert {f.family for f in before.families} >= {"lot", "lot_list", "balance"}

    for _ in range(3):
        assert player.client.lots.get(lot.id).id == lot.id  # a miss, then hits

    after = admin.client.admin.cache_stats().family("lot")
    assert after.hits == before.family("lot").hits + 2
    assert after.misses == before.family("lot").misses + 1
    assert after.hit_rate == pytest.approx(after.hits / (after.hits + after.misses))
    with pytest.raises(KeyError):
        before.family("nope")
    with pytest.raises(PermissionDeniedError):
        player.client.admin.cache_stats()


@pytest.mark.anyio
async def test_async_cache_stats(admin: Any, make_async_client: Callable[..., Any]) -> None:
    client = make_async_client(api_token=admin.client.access_token)
    stats = await client.admin.cache_stats()
    assert stats.backend == "memory"
    assert stats.family("draw").hit_rate is None
