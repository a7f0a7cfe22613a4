"""`admin.analytics()`, sync and async, over the real app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alot_sdk import PermissionDeniedError, UnprocessableEntityError
from alot_sdk.models import Analytics


def test_analytics_count_a_lot_and_its_cash(
    admin: Any, open_lot: Callable[..., Any], make_player: Callable[..., Any]
) -> None:
    lot = open_lot()
    buyer = make_player()
    buyer.client.trivia.attempt(lot.id, lot.answer)
    buyer.client.entries.purchase(lot.id, bundle_index=1)  # 5.00
    buyer.client.entries.purchase(lot.id, bundle_index=0)  # 2.00

    today = datetime.now(UTC).date()
    found = admin.client.admin.analytics(from_=today, to=today + timedelta(days=1))
    assert isinstance(found, Analytics)
    assert (found.from_, found.to) == (today, today + timedelta(days=1))
    assert [(d.date, d.lots_created) for d in found.days] == [(today, 1)]
    assert found.lots_created == 1
    assert found.money.gmv_cents == 700
    assert found.money.gmv == "7.00"
    assert found.conversion.rate_bps is None  # nothing funded or expired yet
    assert found.revenue_per_lot.lots == []

    default = admin.client.admin.analytics()  # the last 30 days, today included
    assert len(default.days) == 30
    assert default.to == today + timedelta(days=1)

    with pytest.raises(UnprocessableEntityError):
        admin.client.admin.analytics(from_=today, to=today)
    with pytest.raises(PermissionDeniedError):
        buyer.client.admin.analytics()


@pytest.mark.anyio
async def test_async_analytics(admin: Any, make_async_client: Callable[..., Any]) -> None:
    client = make_async_client(api_token=admin.client.access_token)
    today = datetime.now(UTC).date()
    found = await client.admin.analytics(from_=today - timedelta(days=6))
    assert len(found.days) == 30  # from_ alone: 30 days from it
    assert found.money.host_payouts_cents == 0
    with pytest.raises(UnprocessableEntityError):
        await client.admin.analytics(from_=today - timedelta(days=400), to=today)
