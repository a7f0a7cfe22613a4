"""Unfunded lots: expiry by the tick, extension, refunds by choice and by default."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alot_ledger import export_lines
from alot_platform.draws.models import LotteryDraw
from alot_platform.entries.models import LotEntryPurchase
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.lots.state import transition
from alot_platform.refunds.service import RefundService
from alot_platform.scheduler import BATCH, ledger_checkpointer, run_tick
from alot_verify.cli import cli as verify_cli
from click.testing import CliRunner


def test_at_the_deadline_refunds_start_by_themselves_and_buyers_are_emailed(
    http: Any, lots: Any, platform: Any, clock: Any, tmp_path: Path
) -> None:
    lot_id = http.open_lot(deadline=(clock.now + timedelta(hours=1)).isoformat())["id"]
    ada, bob, cy = (http.player(lot_id) for _ in range(3))
    lots.grant_credits(cy.id, 200)
    first = http.buy(ada, lot_id, 1).json()["id"]  # 4.50
    second = http.buy(ada, lot_id, 0).json()["id"]  # 1.00
    bobs = http.buy(bob, lot_id, 0).json()["id"]  # 1.00
    assert http.buy_with_credits(cy, lot_id, 2).status_code == 201  # 200 credits

    # An admin moves the deadline of the open lot later, with a reason.
    extended = http.admin_post(
        f"/api/admin/lots/{lot_id}/extend",
        json={"deadline": (clock.now + timedelta(hours=2)).isoformat(), "reason": "slow week"},
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["status"] == "open"
    http.advance(ada, bob, cy, hours=1)
    assert http.buy(bob, lot_id, 0).status_code == 201  # still selling: 1.00 more
    http.advance(ada, bob, cy, hours=1)
    refused = http.buy(bob, lot_id, 0)
    assert refused.status_code == 409, refused.text  # at the deadline, before any tick

    # One tick: expired, and refunds started, with no admin step.
    report = run_tick(platform)
    assert [str(i) for i in report.expired] == [lot_id]
    assert report.failures == []
    assert run_tick(platform).expired == []  # a second tick finds nothing
    lot = http.client.get(f"/api/lots/{lot_id}").json()
    assert lot["status"] == "refunding"
    assert lot["expired_at"] == lot["refunding_at"]
    progress = http.admin_get(f"/api/admin/lots/{lot_id}/refunds").json()
    assert progress["purchases"] == {"refunded": 1, "succeeded": 4}
    deadline = datetime.fromisoformat(progress["refund_choice_deadline"])
    assert deadline == clock.now + timedelta(days=7)
    # The admin action stays for exceptional cases; here it only answers the progress.
    assert http.admin_post(f"/api/admin/lots/{lot_id}/refunds").json() == progress
    assert _credits(http, cy) == 200  # credits spent came back 1:1 at once
    totals = http.client.get("/api/users/me/credits", headers=cy.headers).json()
    # a spend given back is a spend undone, not credits earned
    assert (totals["total_earned_credits"], totals["total_spent_credits"]) == (200, 0)

    # Each buyer got one email: the choice per cash purchase, its deadline, a link.
    [adas_mail] = _refund_mails(http, ada)
    assert (
        adas_mail["subject"]
        == "Choose your refund for A watch for the ages by 2026-03-08 14:00 UTC"
    )
    body = adas_mail["body"]
    assert "by 2026-03-08 14:00 UTC" in body
    assert "5 ticket(s) for $4.50: $4.41 in cash, or 675 credits" in body
    assert "1 ticket(s) for $1.00: $0.98 in cash, or 150 credits" in body
    assert f"http://127.0.0.1:8000/purchases/{first}/refund" in body
    assert f"http://127.0.0.1:8000/purchases/{second}/refund" in body
    assert len(_refund_mails(http, bob)) == 1
    [cys_mail] = _refund_mails(http, cy)
    assert "The 200 credits you spent on it come back" in cys_mail["body"]
    assert "/refund" not in cys_mail["body"]  # nothing to choose

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
    assert offer["refund_choice_deadline"] == progress["refund_choice_deadline"]
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
    chosen = choose(ada, first, "cash")
    # Recorded by the request; the provider is asked once the request has committed.
    assert chosen.status_code == 202, chosen.text
    assert chosen.json()["refund_status"] == "requested"
    cash = http.client.get(f"/api/purchases/{first}/refund", headers=ada.headers)
    assert cash.json()["refund_status"] == "succeeded"
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
    run_tick(platform)  # the outbox sends what the choices wrote
    done = [m for m in http.api.mailbox(ada.email) if "is done" in m["subject"]]
    assert len(done) == 2
    assert any("$4.41 was refunded to your card (98% of $4.50)" in m["body"] for m in done)
    assert any("150 credits were added to your balance" in m["body"] for m in done)

    http.advance(ada, bob, cy, days=7, seconds=1)
    late = choose(bob, bobs, "credits")
    assert late.status_code == 409
    assert late.json()["code"] == "refund_choice_closed"
    report = run_tick(platform, ledger_checkpointer(platform))
    assert report.refunded_after_deadline == 2  # bob's two purchases, in cash
    assert report.failures == []
    assert len([m for m in http.api.mailbox(bob.email) if "is done" in m["subject"]]) == 2
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
    run_tick(platform)  # expired, refunds started
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


def _refund_mails(http: Any, account: Any) -> list[dict[str, Any]]:
    return [m for m in http.api.mailbox(account.email) if "A watch for the ages" in m["subject"]]


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


def test_one_tick_drains_every_due_lot_however_many_in_batches(
    http: Any, lots: Any, platform: Any, clock: Any
) -> None:
    """More lots than a batch expire, start their refunds and are refunded after the
    choice date, each in one tick: nothing due waits for a later tick."""
    buyer = http.api.account()
    lot_ids = []
    for _ in range(BATCH + 5):
        lot_id = lots.open_lot(deadline_hours=1)
        lots.buy(lot_id, buyer.id, 1, cash=100)
        lot_ids.append(lot_id)
    clock.advance(hours=1)

    expired = run_tick(platform)

    assert sorted(expired.expired) == sorted(lot_ids)
    assert expired.failures == []
    assert {lots.lot(lot_id).status for lot_id in lot_ids} == {"refunding"}
    clock.advance(days=7, seconds=1)

    refunded = run_tick(platform)

    assert refunded.refunded_after_deadline == BATCH + 5
    assert refunded.failures == []
    assert {lots.lot(lot_id).status for lot_id in lot_ids} == {"closed"}
    assert len(platform.payments.refunds) == BATCH + 5


def test_credits_spent_left_to_give_back_are_given_back_by_the_next_tick(
    http: Any, lots: Any, platform: Any, clock: Any
) -> None:
    """Refunds that started but stopped before every credit spent came back (a crash
    between chunks) are resumed by the tick, and the lot closes once none is left."""
    buyers = [http.api.account() for _ in range(3)]
    lot_id = lots.open_lot(deadline_hours=1)
    for buyer in buyers:
        lots.grant_credits(buyer.id, 100)
        lots.buy(lot_id, buyer.id, 1, credits=100)
    with lots.session() as session:  # refunds started, as the expiry's transaction does
        lot = session.get(Lot, lot_id)
        assert lot is not None
        transition(lot, LotStatus.EXPIRED, clock.now)
        transition(lot, LotStatus.REFUNDING, clock.now)
        lot.refund_choice_deadline = clock.now + timedelta(days=7)
    with lots.session() as session:  # one chunk of one purchase, then the process stops
        assert RefundService(session, platform).return_spent_credits(lot_id, limit=1) is True
    assert lots.lot(lot_id).status == "refunding"

    report = run_tick(platform)

    assert report.failures == []
    assert lots.lot(lot_id).status == "closed"
    refunded = lots.rows(LotEntryPurchase, lot_id=lot_id)
    assert {(p.status, p.refunded_credits) for p in refunded} == {("refunded", 100)}
    for buyer in buyers:
        assert http.ledger_balance(f"user:{buyer.id}:credits", "CRD") == 100
    assert http.ledger_balance(f"lot:{lot_id}:escrow", "CRD") == 0


def test_an_admin_may_start_refunds_before_the_tick_only_once_the_deadline_passed(
    http: Any, platform: Any, clock: Any
) -> None:
    """The exceptional case: the scheduler has not reached a lot past its deadline."""
    lot_id = http.open_lot(deadline=(clock.now + timedelta(hours=1)).isoformat())["id"]
    ada = http.player(lot_id)
    assert http.buy(ada, lot_id, 0).status_code == 201
    early = http.admin_post(f"/api/admin/lots/{lot_id}/refunds")
    assert (early.status_code, early.json()["code"]) == (409, "lot_state_conflict")
    assert early.json()["state"] == "open"

    http.advance(ada, hours=1)
    started = http.admin_post(f"/api/admin/lots/{lot_id}/refunds")

    assert started.status_code == 200, started.text
    assert started.json()["lot_status"] == "refunding"
    assert started.json()["purchases"] == {"succeeded": 1}
    assert run_tick(platform).expired == []  # nothing left for the tick to start
    assert len(_refund_mails(http, ada)) == 1  # the same email, once


@pytest.mark.usefixtures("draw_by_hand")
def test_one_tick_draws_every_waiting_lot_however_many_in_batches(
    http: Any, lots: Any, platform: Any
) -> None:
    """More funded lots than a batch whose draw task did not run (lost, or funded
    before the outbox): one tick draws and settles them all."""
    buyer = http.api.account()
    lot_ids = []
    for _ in range(BATCH + 3):
        lot_id = lots.open_lot(target_cents=100, deadline_hours=1)
        lots.buy(lot_id, buyer.id, 1, cash=100)
        lot_ids.append(lot_id)
    assert {lots.lot(lot_id).status for lot_id in lot_ids} == {"funded"}

    report = run_tick(platform)

    assert report.failures == []
    assert (report.drawn, report.settled) == (BATCH + 3, BATCH + 3)
    assert {lots.lot(lot_id).status for lot_id in lot_ids} == {"settled"}
