"""`client.payouts` (a host's Connect onboarding and payouts) and the admin's payouts
methods, sync and async, over the real app with the sandbox provider (Connect in test
mode: onboarding completes at once, transfers succeed at once)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import pytest
from alot_ledger import Ledger, Posting
from alot_platform.db import unit_of_work
from alot_platform.hosts import escrow
from alot_platform.ledger.accounts import PLATFORM_CASH, USD, host_payable, user_payable
from alot_platform.scheduler import run_tick
from alot_sdk import ConflictError, NotFoundError, PermissionDeniedError
from alot_sdk.models import AdminPayouts, ConnectLink, HostPayouts, WinnerPayout
from fastapi import FastAPI


def _owe(app: FastAPI, account: str, cents: int) -> None:
    """``cents`` released to ``account`` (a host's or a winner's payable)."""
    with contextmanager(unit_of_work)(app.state.platform.database) as session:
        Ledger(session).post(
            escrow.HOST_RELEASE if account.startswith("host:") else escrow.WINNER_COMPENSATION,
            [Posting(PLATFORM_CASH, USD, -cents), Posting(account, USD, cents)],
        )


def test_a_host_onboards_and_is_paid_and_an_admin_pays_a_winner(
    app: FastAPI, admin: Any, make_player: Callable[..., Any], make_host: Callable[..., Any]
) -> None:
    with pytest.raises(NotFoundError) as not_host:
        make_player().client.payouts.connect()
    assert not_host.value.code == "not_a_host"
    seller, host_id = make_host()
    assert seller.client.payouts.mine().connect.status == "none"
    link = seller.client.payouts.connect()
    assert isinstance(link, ConnectLink)
    assert (link.status, link.test_mode) == ("enabled", True)
    assert link.url.endswith("/host/payouts?onboarding=return&sandbox_onboarding=complete")

    _owe(app, host_payable(uuid.UUID(host_id)), 2500)
    assert run_tick(app.state.platform).payouts_made == 1
    mine = seller.client.payouts.mine()
    assert isinstance(mine, HostPayouts)
    assert (mine.balances.payable_cents, mine.balances.paid_out_cents) == (0, 2500)
    [payout] = mine.payouts
    assert (payout.status, payout.amount_cents) == ("paid", 2500)
    assert payout.stripe_transfer_id is not None

    winner = make_player()
    _owe(app, user_payable(uuid.UUID(winner.id)), 900)
    desk = admin.client.admin
    listed = desk.payouts()
    assert isinstance(listed, AdminPayouts)
    assert [p.id for p in listed.host_payouts] == [payout.id]
    assert [(w.user_id, w.owed_cents) for w in listed.winners_owed] == [(winner.id, 900)]
    assert desk.payouts(status="failed").host_payouts == []
    with pytest.raises(ConflictError) as too_much:
        desk.record_winner_payout(winner.id, 901, "BANK-7")
    assert too_much.value.code == "more_than_owed"
    paid = desk.record_winner_payout(winner.id, 900, "BANK-7")
    assert isinstance(paid, WinnerPayout)
    assert (paid.amount_cents, paid.owed_cents) == (900, 0)
    assert desk.record_winner_payout(winner.id, 900, "BANK-7").ledger_seq == paid.ledger_seq
    assert desk.payouts().winners_owed == []
    with pytest.raises(ConflictError) as not_failed:
        desk.retry_payout(payout.id)
    assert not_failed.value.code == "payout_not_failed"
    with pytest.raises(PermissionDeniedError):
        seller.client.admin.payouts()


@pytest.mark.anyio
async def test_async_payouts(
    app: FastAPI,
    admin: Any,
    make_player: Callable[..., Any],
    make_host: Callable[..., Any],
    make_async_client: Any,
) -> None:
    seller, host_id = make_host()
    client = make_async_client(api_token=seller.client.access_token)
    link = await client.payouts.connect()
    assert link.status == "enabled"
    _owe(app, host_payable(uuid.UUID(host_id)), 300)
    run_tick(app.state.platform)
    mine = await client.payouts.mine()
    assert [p.status for p in mine.payouts] == ["paid"]
    desk = make_async_client(api_token=admin.client.access_token).admin
    listed = await desk.payouts(status="paid")
    assert [p.amount_cents for p in listed.host_payouts] == [300]
    with pytest.raises(NotFoundError):
        await desk.retry_payout(str(uuid.uuid4()))
    winner = make_player()
    _owe(app, user_payable(uuid.UUID(winner.id)), 50)
    paid = await desk.record_winner_payout(winner.id, 50, "BANK-9")
    assert paid.owed_cents == 0
