"""Money is conserved through every path a host lot and a platform lot can take.

Host lots and platform lots are settled (cash, credits, both), a host's share released
and paid out to its connected account (the sandbox's Connect), a winner compensated
and paid by hand, and lots expired and refunded (98% in cash, 1.5x in credits). After
every step every account in the ledger is summed (money_books.Books): per asset to
zero, and the platform's cash to exactly what escrow, revenue, fees, processing fees,
hosts' held and payable and winners' payable hold. At the end the ledger's export
verifies with ``alot-verify``.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from alot_ledger import Checkpointer, export_lines
from alot_platform.db import unit_of_work
from alot_platform.draws.models import LotteryDraw
from alot_platform.hosts import escrow
from alot_platform.lots.models import Lot
from alot_platform.scheduler import ledger_checkpointer, run_tick
from alot_verify.cli import cli as verify_cli
from click.testing import CliRunner
from sqlalchemy import select

from tests.platform.draws.conftest import DRAW_LOT_DEFAULTS, Http
from tests.platform.hosts.money_books import Books
from tests.platform.marketplace import make_host, open_host_lot


def _fund(http: Http, services: Any, lot_id: str, *, credits: bool = False) -> None:
    """1000 cents: 4.50 + 4.50 cash and 1.00 (in credits, or cash)."""
    for bundle in (1, 1):
        response = http.buy(http.player(lot_id), lot_id, bundle)
        assert response.status_code == 201, response.text
    buyer = http.player(lot_id)
    if credits:
        services.grant_credits(buyer.id, 100)
        response = http.buy_with_credits(buyer, lot_id, 1)
    else:
        response = http.buy(buyer, lot_id, 0)
    assert response.status_code == 201, response.text
    assert http.client.get(f"/api/lots/{lot_id}/draw").json()["lot_status"] == "settled"


def _lot(services: Any, lot_id: str) -> tuple[Lot, uuid.UUID]:
    with services.session() as session:
        lot = session.get(Lot, uuid.UUID(lot_id))
        assert lot is not None
        draw = session.scalars(select(LotteryDraw).where(LotteryDraw.lot_id == lot.id)).one()
        assert draw.winner_user_id is not None
        session.expunge(lot)
        return lot, draw.winner_user_id


def test_money_is_conserved_through_every_path(
    make_lot_desk: Any, services: Any, platform: Any, clock: Any, tmp_path: Path
) -> None:
    http = Http(make_lot_desk(**DRAW_LOT_DEFAULTS))
    books = Books(platform)
    books.check()
    seller = http.api.account()
    host_id = make_host(http.client, seller, commission_bps=2000)
    connected = http.client.post("/api/hosts/me/connect", headers=seller.headers)
    assert connected.status_code == 200, connected.text
    assert connected.json()["status"] == "enabled"  # the sandbox onboards at once

    # Settled: a host lot in cash, a host lot with credits, a platform lot.
    cash_lot = open_host_lot(http.desk, host_id, non_winner_credit_rate_percent=10)["id"]
    _fund(http, services, cash_lot)
    after_cash = books.check()
    assert after_cash.usd["held"] == 800  # 1000 less 20% commission
    small = http.desk.product_class(retail_value_cents=900)["id"]
    mixed_lot = open_host_lot(
        http.desk, host_id, non_winner_credit_rate_percent=10, product_class_id=small
    )["id"]
    _fund(http, services, mixed_lot, credits=True)
    after_mixed = books.check()
    assert after_mixed.usd["held"] == 1600
    assert after_mixed.cash_held == after_cash.cash_held + 900  # 1.00 came in credits
    platform_lot = http.open_lot()["id"]
    _fund(http, services, platform_lot, credits=True)
    settled = books.check()
    assert settled.cash_held == after_mixed.cash_held + 900
    assert settled.usd["escrow"] == 0

    # Released to the host and paid out: the money leaves.
    lot, _winner = _lot(services, cash_lot)
    with contextmanager(unit_of_work)(platform.database) as session:
        escrow.release_to_host(session, lot, reason="delivered")
    released = books.check()
    assert (released.usd["held"], released.usd["host_payable"]) == (800, 800)
    assert released.cash_held == settled.cash_held
    report = run_tick(platform)
    assert report.payouts_made == 1, report.summary()
    paid = books.check()
    assert paid.usd["host_payable"] == 0
    assert paid.cash_held == released.cash_held - 800
    mine = http.client.get("/api/hosts/me/payouts", headers=seller.headers).json()
    assert mine["balances"] == {
        "currency": "USD",
        "held_cents": 800,
        "payable_cents": 0,
        "pending_cents": 0,
        "paid_out_cents": 800,
    }
    [payout] = mine["payouts"]
    assert payout["status"] == "paid"
    assert payout["stripe_transfer_id"].startswith("sandbox_tr_")
    assert run_tick(platform).payouts_made == 0  # nothing left to pay
    assert books.check() == paid

    # The mixed lot's prize never came: its winner is owed 9.00 and paid by hand.
    lot, winner = _lot(services, mixed_lot)
    with contextmanager(unit_of_work)(platform.database) as session:
        escrow.compensate_winner(session, lot, winner, reason="dispute resolved for the winner")
    compensated = books.check()
    assert compensated.usd["held"] == 0  # 8.00 held: all to the winner, 1.00 from revenue
    assert compensated.usd["user_payable"] == 900
    assert compensated.cash_held == paid.cash_held
    owed = http.admin_get("/api/admin/payouts").json()["winners_owed"]
    assert owed == [{"user_id": str(winner), "username": owed[0]["username"], "owed_cents": 900}]
    too_much = http.admin_post(
        "/api/admin/winner-payouts",
        json={"user_id": str(winner), "amount_cents": 901, "reference": "BANK-1"},
    )
    assert too_much.status_code == 409, too_much.text
    assert too_much.json()["code"] == "more_than_owed"
    assert books.check() == compensated  # refused: nothing changed
    for reference, amount, left in (("BANK-1", 400, 500), ("BANK-2", 500, 0)):
        recorded = http.admin_post(
            "/api/admin/winner-payouts",
            json={"user_id": str(winner), "amount_cents": amount, "reference": reference},
        )
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["owed_cents"] == left
        books.check()
    winner_paid = books.check()
    assert winner_paid.usd["user_payable"] == 0
    assert winner_paid.cash_held == compensated.cash_held - 900
    assert http.admin_get("/api/admin/payouts").json()["winners_owed"] == []

    # Expired and refunded: a host lot and a platform lot, cash 98% and credits 1.5x.
    refunds: list[tuple[Any, str]] = []
    for make in (
        lambda: open_host_lot(http.desk, host_id, non_winner_credit_rate_percent=10),
        lambda: http.open_lot(),
    ):
        lot_id = make()["id"]
        for bundle in (1, 0):
            buyer = http.player(lot_id)
            bought = http.buy(buyer, lot_id, bundle)
            assert bought.status_code == 201, bought.text
            refunds.append((buyer, bought.json()["id"]))
        spender = http.player(lot_id)
        services.grant_credits(spender.id, 200)
        assert http.buy_with_credits(spender, lot_id, 2).status_code == 201
        books.check()
    deadline = datetime.fromisoformat(http.client.get(f"/api/lots/{lot_id}").json()["deadline"])
    clock.now = deadline + timedelta(minutes=1)
    before = books.check()
    assert len(run_tick(platform).expired) == 2
    expired = books.check()  # credits spent came back at once
    assert expired.cash_held == before.cash_held
    for index, (buyer, purchase_id) in enumerate(refunds):
        http.desk.login_again(buyer)
        choice = "cash" if index % 2 == 0 else "credits"
        chosen = http.client.post(
            f"/api/purchases/{purchase_id}/refund-choice",
            json={"choice": choice},
            headers=buyer.headers,
        )
        assert chosen.status_code in (200, 202), chosen.text
        books.check()
    refunded = books.check()
    # Cash: 4.50 twice back at 98% (0.09 kept twice); credits: 1.00 twice kept as cash.
    assert refunded.cash_held == expired.cash_held - 2 * 441
    assert refunded.usd["escrow"] == 0
    assert refunded.usd["fees"] - expired.usd["fees"] == 2 * 9
    assert refunded.usd["revenue"] - expired.usd["revenue"] == 2 * 100

    _verify_ledger(platform, tmp_path)


def _verify_ledger(platform: Any, tmp_path: Path) -> None:
    checkpointer: Checkpointer = ledger_checkpointer(platform)
    run_tick(platform, checkpointer)
    made = checkpointer.checkpoint(platform.database.engine)
    note = tmp_path / "checkpoint.txt"
    note.write_text(made.note)
    path = tmp_path / "ledger.jsonl"
    path.write_text("".join(export_lines(platform.database.engine)))
    args = ["ledger", str(path), "--checkpoint", str(note), "--key", checkpointer.verifier_key]
    result = CliRunner().invoke(verify_cli, args)
    assert result.exit_code == 0, result.output
