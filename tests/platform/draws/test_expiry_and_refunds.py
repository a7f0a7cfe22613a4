"""Unfunded lots: expiry by the tick, extension, refunds by choice and by default."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from alot_ledger import export_lines
from alot_platform.draws.models import LotteryDraw
from alot_platform.entries.models import LotEntryPurchase
from alot_platform.scheduler import ledger_checkpointer, run_tick
from alot_verify.cli import cli as verify_cli
from click.testing import CliRunner


def test_expired_lot_extended_then_refunded_both_ways(
    http: Any, lots: Any, platform: Any, clock: Any, tmp_path: Path
) -> None:
    lot_id = http.open_lot(deadline=(clock.now + timedelta(hours=1)).isoformat())["id"]
    ada, bob, cy = (http.player(lot_id) for _ in range(3))
    lots.grant_credits(cy.id, 200)
    first = http.buy(ada, lot_id, 1).json()["id"]  # 4.50
    second = http.buy(ada, lot_id, 0).json()["id"]  # 1.00
    bobs = http.buy(bob, lot_id, 0).json()["id"]  # 1.00
    assert http.buy_with_credits(cy, lot_id, 2).status_code == 201  # 200 credits

    http.advance(ada, bob, cy, hours=1)
    refused = http.buy(bob, lot_id, 0)
    assert refused.status_code == 409, refused.text  # at the deadline, before any tick
    early = http.admin_post(f"/api/admin/lots/{lot_id}/refunds")
    assert early.status_code == 409
    assert early.json()["state"] == "open"
    report = run_tick(platform)
    assert [str(i) for i in report.expired] == [lot_id]
    assert run_tick(platform).expired == []  # a second tick finds nothing
    assert http.client.get(f"/api/lots/{lot_id}").json()["status"] == "expired"

    extended = http.admin_post(
        f"/api/admin/lots/{lot_id}/extend",
        json={"deadline": (clock.now + timedelta(hours=1)).isoformat()},
    )
    assert extended.status_code == 200, extended.text
    assert http.buy(bob, lot_id, 0).status_code == 201  # open again
    http.advance(ada, bob, cy, hours=2)
    assert [str(i) for i in run_tick(platform).expired] == [lot_id]

    choice = http.client.post(
        f"/api/purchases/{first}/refund-choice", json={"choice": "cash"}, headers=ada.headers
    )
    assert choice.status_code == 409  # not refunding yet
    assert choice.json()["code"] == "refund_not_open"

    started = http.admin_post(f"/api/admin/lots/{lot_id}/refunds")
    assert started.status_code == 200, started.text
    assert started.json()["lot_status"] == "refunding"
    assert started.json()["purchases"] == {"refunded": 1, "succeeded": 4}
    assert http.admin_post(f"/api/admin/lots/{lot_id}/refunds").json() == started.json()
    assert _credits(http, cy) == 200  # credits spent came back 1:1 at once
    totals = http.client.get("/api/users/me/credits", headers=cy.headers).json()
    # a spend given back is a spend undone, not credits earned
    assert (totals["total_earned_credits"], totals["total_spent_credits"]) == (200, 0)

    def choose(account: Any, purchase: str, how: str) -> Any:
        return http.client.post(
            f"/api/purchases/{purchase}/refund-choice",
            json={"choice": how},
            headers=account.headers,
        )

    offer = http.client.get(f"/api/purchases/{first}/refund", headers=ada.headers).json()
    # both amounts, computed by the platform, before anything is chosen
    assert (offer["cash_offer_cents"], offer["credits_offer_credits"]) == (441, 675)
    assert offer["can_choose"] is True
    assert offer["lot_status"] == "refunding"
    assert offer["refund_choice_deadline"] == started.json()["refund_choice_deadline"]
    assert offer["tickets"] == 5
    cys = http.client.get("/api/users/me/entries", headers=cy.headers).json()["items"]
    cys_refund = http.client.get(
        f"/api/purchases/{cys[0]['purchase_id']}/refund", headers=cy.headers
    ).json()
    assert cys_refund["can_choose"] is False  # credits came back by themselves
    assert (cys_refund["cash_offer_cents"], cys_refund["credits_offer_credits"]) == (None, None)
    entries = http.client.get("/api/users/me/entries", headers=ada.headers).json()["items"]
    assert {(e["purchase_status"], e["refund_choice"]) for e in entries} == {("succeeded", None)}
    assert {e["refund_choice_deadline"] for e in entries} == {offer["refund_choice_deadline"]}

    assert choose(bob, first, "cash").status_code == 404  # not bob's
    assert choose(ada, first, "gold").status_code == 422
    cash = choose(ada, first, "cash")
    assert cash.status_code == 200, cash.text
    assert cash.json()["refunded_cents"] == 441  # 98% of 4.50
    assert choose(ada, first, "cash").json() == cash.json()  # repeated: same result
    assert choose(ada, first, "credits").status_code == 409
    converted = choose(ada, second, "credits")
    assert converted.status_code == 200, converted.text
    assert converted.json()["refunded_credits"] == 150  # 1.5x 1.00
    assert _credits(http, ada) == 150
    assert (cash.json()["can_choose"], converted.json()["can_choose"]) == (False, False)
    entries = http.client.get("/api/users/me/entries", headers=ada.headers).json()["items"]
    assert {(e["purchase_id"], e["purchase_status"], e["refund_choice"]) for e in entries} == {
        (first, "refunded", "cash"),
        (second, "refunded", "credits"),
    }
    reveal = http.client.get("/api/users/me/reveals", headers=ada.headers).json()["items"][0]
    assert reveal["status"] == "refunded"
    assert (reveal["tickets"], reveal["refunded_cents"], reveal["refunded_credits"]) == (
        6,
        441,
        150,
    )
    assert reveal["prize_name"]
    refunds = {r.payment_id: r.amount_cents for r in platform.payments.refunds}
    assert sorted(refunds.values()) == [441]

    http.advance(ada, bob, cy, days=7, seconds=1)
    late = choose(bob, bobs, "credits")
    assert late.status_code == 409
    assert late.json()["code"] == "refund_choice_closed"
    report = run_tick(platform, ledger_checkpointer(platform))
    assert report.refunded_after_deadline == 2  # bob's two purchases, in cash
    assert report.failures == []
    lot = http.client.get(f"/api/lots/{lot_id}").json()
    assert lot["status"] == "closed"
    assert sorted(r.amount_cents for r in platform.payments.refunds) == [98, 98, 441]
    for account in (ada, bob, cy):
        reveals = http.client.get("/api/users/me/reveals", headers=account.headers).json()
        assert [r["status"] for r in reveals["items"]] == ["refunded"]
    cys_reveal = http.client.get("/api/users/me/reveals", headers=cy.headers).json()["items"][0]
    assert (cys_reveal["refunded_cents"], cys_reveal["refunded_credits"]) == (0, 200)
    escrow = f"lot:{lot_id}:escrow"
    assert http.ledger_balance(escrow, "USD") == 0
    assert http.ledger_balance(escrow, "CRD") == 0
    assert http.ledger_balance("platform:fees", "USD") == 9 + 2 + 2
    assert http.ledger_balance("platform:revenue", "USD") == 100
    assert lots.rows(LotteryDraw) == []

    key = http.admin_get("/api/ledger/verifier-key").json()["verifier_key"]
    note = tmp_path / "checkpoint.txt"
    note.write_text(http.admin_get("/api/ledger/checkpoint").json()["note"])
    export = tmp_path / "ledger.jsonl"
    export.write_text("".join(export_lines(platform.database.engine)))
    verified = CliRunner().invoke(
        verify_cli, ["ledger", str(export), "--checkpoint", str(note), "--key", key]
    )
    assert verified.exit_code == 0, verified.output


def test_a_buyer_reads_the_refund_of_their_purchase_without_choosing(
    http: Any, platform: Any, clock: Any
) -> None:
    """Refunded in cash by the tick, or still waiting for a choice: the buyer can see
    which, and how much, without a POST that would make the choice for them."""
    lot_id = http.open_lot(deadline=(clock.now + timedelta(hours=1)).isoformat())["id"]
    ada, bob = http.player(lot_id), http.player(lot_id)
    adas = http.buy(ada, lot_id, 1).json()["id"]  # 4.50
    bobs = http.buy(bob, lot_id, 0).json()["id"]  # 1.00

    def read(account: Any, purchase: str) -> Any:
        return http.client.get(f"/api/purchases/{purchase}/refund", headers=account.headers)

    before = read(ada, adas)
    assert before.status_code == 200, before.text
    assert before.json()["status"] == "succeeded"
    assert before.json()["refund_status"] == "none"
    assert read(bob, adas).status_code == 404  # not bob's
    assert http.client.get(f"/api/purchases/{adas}/refund").status_code == 401

    http.advance(ada, bob, hours=1)
    run_tick(platform)
    assert http.admin_post(f"/api/admin/lots/{lot_id}/refunds").status_code == 200
    waiting = read(ada, adas).json()
    assert (waiting["refund_status"], waiting["refund_choice"]) == ("none", None)
    assert read(ada, adas).json() == waiting  # reading chose nothing

    http.advance(ada, bob, days=7, seconds=1)
    assert run_tick(platform).refunded_after_deadline == 2
    refunded = read(ada, adas).json()
    assert refunded["status"] == "refunded"
    assert refunded["refund_choice"] == "cash"
    assert refunded["refunded_cents"] == 441  # 98% of 4.50, sent by the tick
    assert refunded["refund_status"] == "succeeded"
    assert read(bob, bobs).json()["refunded_cents"] == 98


def _credits(http: Any, account: Any) -> int:
    credits = http.client.get("/api/users/me/credits", headers=account.headers).json()
    mine = credits["balance_credits"]
    assert mine == http.ledger_balance(f"user:{account.id}:credits", "CRD")
    return int(mine)


def test_purchase_racing_the_expiry_tick_ends_in_one_terminal_state(
    http: Any, lots: Any, platform: Any, clock: Any
) -> None:
    # The buyer's clock is just before the deadline, the tick's just after: whichever
    # takes the lot's lock first decides. Either the lot funds and is drawn, or it
    # expires and is refunded; never both, never neither.
    deadline = clock.now + timedelta(minutes=1)
    late = clock.now + timedelta(minutes=2)
    ticker = dataclasses.replace(platform, clock=lambda: late)
    rounds = []
    for _ in range(6):
        lot_id = http.open_lot(deadline=deadline.isoformat())["id"]
        buyer = http.player(lot_id)
        assert http.buy(buyer, lot_id, 1).status_code == 201  # 4.50 of 10.00
        assert http.buy(buyer, lot_id, 1).status_code == 201  # 9.00
        rounds.append((lot_id, buyer))
    results: dict[str, int] = {}

    def buy(lot_id: str, buyer: Any) -> None:
        results[lot_id] = http.buy(buyer, lot_id, 0).status_code  # 10.00: funds

    for lot_id, buyer in rounds:
        threads = [
            threading.Thread(target=buy, args=(lot_id, buyer)),
            threading.Thread(target=run_tick, args=(ticker,)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    http.advance(minutes=2)
    for lot_id, _ in rounds:
        http.admin_post(f"/api/admin/lots/{lot_id}/refunds")
    http.advance(days=8)
    assert run_tick(platform).failures == []
    for lot_id, _ in rounds:
        status = http.client.get(f"/api/lots/{lot_id}").json()["status"]
        purchases = lots.rows(LotEntryPurchase, lot_id=uuid.UUID(lot_id))
        draws = lots.rows(LotteryDraw, lot_id=uuid.UUID(lot_id))
        if results[lot_id] == 201:
            assert status == "settled"
            assert len(draws) == 1
            assert {p.status for p in purchases} == {"succeeded"}
        else:
            assert results[lot_id] == 409
            assert status == "closed"
            assert draws == []
            assert {p.status for p in purchases} == {"refunded"}
            assert len(purchases) == 2
