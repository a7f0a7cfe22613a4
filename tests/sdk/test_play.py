"""client.play over the real app in process, sync and async: limits (a raise waits 24
hours), a purchase over the limit refused with the platform's code and facts, a
time-out refusing purchases, the reality check, and the admins' read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from alot_sdk import AsyncAlot, ConflictError, PermissionDeniedError, UnprocessableEntityError


def test_limits_time_out_and_reality_check(
    make_player: Callable[..., Any], open_lot: Callable[..., Any], admin: Any, clock: Any
) -> None:
    lot = open_lot()
    ada = make_player()
    play = ada.client.play
    assert play.get().limits.daily_cents is None

    status = play.set_limits(daily_cents=600)
    assert status.limits.daily_cents == 600
    raised = play.set_limits(daily_cents=900, monthly_cents=5_000)
    assert raised.limits.daily_cents == 600
    assert [(p.period, p.limit_cents) for p in raised.pending] == [("daily", 900)]
    assert raised.pending[0].applies_at == clock.now + timedelta(hours=24)

    assert ada.client.trivia.attempt(lot.id, lot.answer).correct
    ada.client.entries.purchase(lot.id, bundle_index=1)  # 500 of 600
    with pytest.raises(ConflictError) as refused:
        ada.client.entries.purchase(lot.id, bundle_index=0)
    assert refused.value.code == "spend_limit_exceeded"
    daily = next(p for p in play.get().periods if p.period == "daily")
    assert (daily.spent_cents, daily.remaining_cents) == (500, 100)

    assert play.set_reality_check(30).reality_check_minutes == 30
    with pytest.raises(UnprocessableEntityError):
        play.set_reality_check(5)

    seen = admin.client.admin.users.play(ada.id)
    assert seen.limits.daily_cents == 600
    assert seen.exclusion is None

    out = play.time_out(24)
    assert out.exclusion is not None
    assert out.exclusion.kind == "time_out"
    with pytest.raises(PermissionDeniedError) as excluded:
        ada.client.entries.purchase(lot.id, bundle_index=0)
    assert excluded.value.code == "play_excluded"
    with pytest.raises(ConflictError) as shorter:
        play.time_out(24)
    assert shorter.value.code == "exclusion_not_shortened"
    excluded_now = play.self_exclude(6).exclusion
    assert excluded_now is not None
    assert excluded_now.kind == "self_exclusion"
    seen_now = admin.client.admin.users.play(ada.id).exclusion
    assert seen_now == excluded_now


@pytest.mark.anyio
async def test_the_async_client_reads_and_sets_the_same(
    make_player: Callable[..., Any], make_async_client: Callable[..., AsyncAlot]
) -> None:
    ada = make_player()
    client = make_async_client(api_token=ada.client.access_token)
    status = await client.play.set_limits(weekly_cents=2_000)
    assert status.limits.weekly_cents == 2_000
    assert (await client.play.get()).limits.weekly_cents == 2_000
    assert (await client.play.set_reality_check(None)).reality_check_minutes is None
    assert (await client.play.time_out(48)).exclusion is not None
    assert (await client.play.self_exclude(6)).exclusion is not None
