"""Buying tickets over HTTP: cash and credits, allocation, funding, and the ledger."""

from __future__ import annotations

import uuid
from typing import Any

from alot_platform.ledger.accounts import CRD, PLATFORM_CASH, USD, lot_escrow, user_credits


def test_cash_purchases_take_consecutive_tickets_and_post_to_escrow(shop: Any) -> None:
    lot = shop.open_lot()
    ada, bob = shop.player(lot["id"]), shop.player(lot["id"])
    before = shop.census()

    first = shop.buy(ada, lot["id"], 0)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["tickets_start"], body["tickets_end"], body["tickets"]) == (1, 1, 1)
    assert body["status"] == "succeeded"
    assert (body["amount_cents"], body["amount"], body["spent_credits"]) == (200, "2.00", 0)
    assert body["payment"]["provider"] == "sandbox"
    assert body["payment"]["test_mode"] is True
    assert body["payment"]["payment_id"].startswith("sandbox_pay_")
    assert body["lot_status"] == "open"

    second = shop.buy(bob, lot["id"], 1)
    assert second.status_code == 201, second.text
    assert (second.json()["tickets_start"], second.json()["tickets_end"]) == (2, 4)

    after = shop.census()
    assert after["lot_entry_purchases"] == before["lot_entry_purchases"] + 2
    assert after["lot_entries"] == before["lot_entries"] + 2
    assert after["reveals"] == before["reveals"] + 2
    assert after["ledger_transactions"] == before["ledger_transactions"] + 2
    assert shop.lot_row(lot["id"]) | {"status": None} == {
        "status": None,
        "tickets_sold": 4,
        "cash_cents": 700,
        "credits_spent": 0,
        "funding_target_cents": 10_000,
    }
    escrow = lot_escrow(uuid.UUID(lot["id"]))
    assert shop.ledger_balance(escrow, USD) == 700
    assert shop.ledger_balance(PLATFORM_CASH, USD) <= -700

    with shop.session() as session:
        from alot_ledger import Ledger

        posted = Ledger(session).transaction(body["ledger_seq"])
    assert posted["kind"] == "entry_purchase"
    assert posted["refs"] == {
        "lot_id": lot["id"],
        "purchase_id": body["id"],
        "user_id": ada.id,
        "holder": body["holder"],
    }
    assert sorted((p["account"], p["asset"], p["amount"]) for p in posted["postings"]) == sorted(
        [(PLATFORM_CASH, USD, -200), (escrow, USD, 200)]
    )

    charged = {c.payment_id: c.amount_cents for c in shop.platform.payments.charges}
    assert charged[body["payment"]["payment_id"]] == 200


def test_a_second_purchase_by_the_same_player_keeps_one_reveal(shop: Any) -> None:
    lot = shop.open_lot()
    ada = shop.player(lot["id"])
    assert shop.buy(ada, lot["id"], 0).status_code == 201
    reveals = shop.census()["reveals"]
    shop.clock.advance(seconds=1)
    assert shop.buy(ada, lot["id"], 1).status_code == 201
    assert shop.census()["reveals"] == reveals
    mine = shop.client.get("/api/users/me/entries", headers=ada.headers).json()["items"]
    assert [(e["tickets_start"], e["tickets_end"]) for e in mine] == [(2, 4), (1, 1)]


def test_each_entry_names_its_purchases_ledger_transaction(shop: Any) -> None:
    lot = shop.open_lot()
    ada = shop.player(lot["id"])
    shop.grant_credits(ada.id, 500)
    cash = shop.buy(ada, lot["id"], 0).json()
    shop.clock.advance(seconds=1)
    credits = shop.buy_with_credits(ada, lot["id"], 2).json()
    assert None not in (cash["ledger_seq"], credits["ledger_seq"])
    assert cash["ledger_seq"] != credits["ledger_seq"]
    mine = shop.client.get("/api/users/me/entries", headers=ada.headers).json()["items"]
    assert [(e["purchase_id"], e["ledger_seq"]) for e in mine] == [
        (credits["id"], credits["ledger_seq"]),
        (cash["id"], cash["ledger_seq"]),
    ]


def test_credit_purchase_spends_100_credits_a_ticket(shop: Any) -> None:
    lot = shop.open_lot()
    ada = shop.player(lot["id"])
    shop.grant_credits(ada.id, 500)

    response = shop.buy_with_credits(ada, lot["id"], 3)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["method"], body["tickets"], body["spent_credits"]) == ("credits", 3, 300)
    assert (body["amount_cents"], body["payment"]) == (0, None)
    assert (body["tickets_start"], body["tickets_end"]) == (1, 3)

    credits = shop.client.get("/api/users/me/credits", headers=ada.headers).json()
    assert credits == {
        "balance_credits": 200,
        "value": "2.00",
        "tickets_affordable": 2,
        "total_earned_credits": 500,
        "total_spent_credits": 300,
    }
    history = shop.client.get("/api/users/me/credits/transactions", headers=ada.headers).json()
    spent = next(item for item in history["items"] if item["type"] == "entry_purchase")
    assert (spent["amount_credits"], spent["balance_after_credits"], spent["purchase_id"]) == (
        -300,
        200,
        body["id"],
    )
    assert spent["ledger_seq"] == body["ledger_seq"]
    assert shop.ledger_balance(user_credits(uuid.UUID(ada.id)), CRD) == 200
    assert shop.ledger_balance(lot_escrow(uuid.UUID(lot["id"])), CRD) == 300
    assert shop.lot_row(lot["id"])["credits_spent"] == 300


def test_insufficient_credits_is_409_and_writes_nothing(shop: Any) -> None:
    lot = shop.open_lot()
    ada = shop.player(lot["id"])
    shop.grant_credits(ada.id, 250)
    before = shop.census()
    response = shop.buy_with_credits(ada, lot["id"], 3)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "insufficient_credits"
    assert (response.json()["balance_credits"], response.json()["needed_credits"]) == (250, 300)
    assert shop.census() == before


def test_the_purchase_reaching_the_target_is_accepted_whole_and_funds_the_lot(shop: Any) -> None:
    lot = shop.open_lot(funding_target_cents=1_000)
    ada, bob = shop.player(lot["id"]), shop.player(lot["id"])
    for _ in range(4):  # 800 of 1000
        assert shop.buy(ada, lot["id"], 0).status_code == 201
    before = shop.census()

    crossing = shop.buy(bob, lot["id"], 1)  # 500 more: 1300 >= 1000, accepted whole
    assert crossing.status_code == 201, crossing.text
    assert crossing.json()["lot_status"] == "funded"
    assert (crossing.json()["tickets_start"], crossing.json()["tickets_end"]) == (5, 7)
    after = shop.census()
    assert after["lottery_draws"] == before["lottery_draws"] + 1
    with shop.session() as session:
        from alot_ledger import Ledger

        kinds = [t["kind"] for t in Ledger(session).transactions(after_seq=0, limit=1000)]
    assert kinds.count("draw_inputs") == 1
    # The freeze is written in the funding transaction, before the purchase itself.
    assert kinds.index("draw_inputs") < len(kinds) - 1
    assert shop.lot_row(lot["id"])["cash_cents"] == 1_300

    late = shop.buy(ada, lot["id"], 0)
    assert late.status_code == 409, late.text
    assert late.json()["code"] == "lot_state_conflict"
