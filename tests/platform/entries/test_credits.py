"""The credits API (balance, history with cursors) and `alot reconcile` against the ledger."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from alot_platform.cli import main
from click.testing import CliRunner
from sqlalchemy import text


def test_a_player_without_credits_has_a_zero_balance(shop: Any) -> None:
    ada = shop.player()
    response = shop.client.get("/api/users/me/credits", headers=ada.headers)
    assert response.status_code == 200
    assert response.json() == {
        "balance_credits": 0,
        "value": "0.00",
        "tickets_affordable": 0,
        "total_earned_credits": 0,
        "total_spent_credits": 0,
    }
    history = shop.client.get("/api/users/me/credits/transactions", headers=ada.headers)
    assert history.json() == {"items": [], "next_cursor": None}


def test_credit_history_pages_newest_first_and_is_private(shop: Any) -> None:
    lot = shop.open_lot()
    ada, bob = shop.player(lot["id"]), shop.player(lot["id"])
    shop.grant_credits(ada.id, 1_000)
    shop.grant_credits(bob.id, 100)
    for _ in range(4):
        shop.clock.advance(seconds=1)
        assert shop.buy_with_credits(ada, lot["id"], 1).status_code == 201

    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = shop.client.get(
            "/api/users/me/credits/transactions", params=params, headers=ada.headers
        ).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [t["balance_after_credits"] for t in seen] == [600, 700, 800, 900, 1_000]
    assert [t["type"] for t in seen] == ["entry_purchase"] * 4 + ["adjustment"]
    assert all(t["ledger_seq"] for t in seen)

    # Another player's movement is not a cursor of mine, nor is garbage.
    bobs = shop.client.get("/api/users/me/credits/transactions", headers=bob.headers).json()
    for bad in (bobs["items"][0]["id"].replace("-", ""), "nonsense", uuid.uuid4().hex):
        response = shop.client.get(
            "/api/users/me/credits/transactions", params={"cursor": bad}, headers=ada.headers
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_cursor"


def test_my_entries_page_across_lots(shop: Any) -> None:
    first_lot, second_lot = shop.open_lot(), shop.open_lot(title="Another one")
    ada, bob = shop.player(first_lot["id"]), shop.player(first_lot["id"])
    shop.pass_trivia(ada, second_lot["id"])
    bought = []
    for lot, bundle in ((first_lot, 0), (second_lot, 1), (first_lot, 1)):
        shop.clock.advance(seconds=1)
        response = shop.buy(ada, lot["id"], bundle)
        assert response.status_code == 201
        bought.append(response.json())
    assert shop.buy(bob, first_lot["id"], 0).status_code == 201

    first = shop.client.get("/api/users/me/entries?limit=2", headers=ada.headers).json()
    rest = shop.client.get(
        "/api/users/me/entries", params={"cursor": first["next_cursor"]}, headers=ada.headers
    ).json()
    items = first["items"] + rest["items"]
    assert rest["next_cursor"] is None
    assert [e["purchase_id"] for e in items] == [p["id"] for p in reversed(bought)]
    assert [e["lot_title"] for e in items] == [
        "A watch for the ages",
        "Another one",
        "A watch for the ages",
    ]
    # Each entry names the player's holder pseudonym in its lot (tested with the draws).
    assert len(items[0]["holder"]) == 64
    blanks = {"id": None, "created_at": None, "purchase_id": None, "lot_id": None, "holder": None}
    assert items[0] | blanks == {
        "id": None,
        "lot_id": None,
        "purchase_id": None,
        "created_at": None,
        "holder": None,
        "lot_title": "A watch for the ages",
        "lot_status": "open",
        "method": "cash",
        "tickets_start": 2,
        "tickets_end": 4,
        "ticket_count": 3,
        "amount_paid_cents": 500,
        "amount_paid": "5.00",
        "spent_credits": 0,
        "is_winner": False,
        "awarded_credits": 0,
        "ledger_seq": bought[-1]["ledger_seq"],
        "purchase_status": "succeeded",
        "refund_choice": None,
        "refunded_cents": None,
        "refunded_credits": None,
        "refund_choice_deadline": None,
    }
    garbage = shop.client.get("/api/users/me/entries?cursor=zzz", headers=ada.headers)
    assert garbage.status_code == 422
    assert garbage.json()["code"] == "invalid_cursor"


def _reconcile(db_url: str, tmp_path: Path, *args: str) -> Any:
    env = {
        "ALOT_ENV": "development",
        "ALOT_DATABASE_URL": db_url,
        "ALOT_VAR_DIR": str(tmp_path / "var"),
    }
    return CliRunner().invoke(main, ["reconcile", *args], env=env)


def test_reconcile_finds_every_planted_difference(shop: Any, db_url: str, tmp_path: Path) -> None:
    lot = shop.open_lot()
    ada, bob, cy = (shop.player(lot["id"]) for _ in range(3))
    shop.grant_credits(ada.id, 500)
    shop.grant_credits(bob.id, 300)
    shop.grant_credits(cy.id, 100)
    assert shop.buy_with_credits(ada, lot["id"], 2).status_code == 201

    clean = _reconcile(db_url, tmp_path)
    assert clean.exit_code == 0, clean.output
    assert "OK: every credit balance agrees with the ledger" in clean.output

    engine = shop.platform.database.engine
    with engine.begin() as connection:
        # A balance nudged without the ledger, and a projection row lost.
        connection.execute(
            text("UPDATE user_universal_credits SET balance = balance + 7 WHERE user_id = :u"),
            {"u": uuid.UUID(ada.id).hex if engine.dialect.name == "sqlite" else ada.id},
        )
        connection.execute(
            text("DELETE FROM user_universal_credits WHERE user_id = :u"),
            {"u": uuid.UUID(bob.id).hex if engine.dialect.name == "sqlite" else bob.id},
        )

    found = _reconcile(db_url, tmp_path)
    assert found.exit_code == 1, found.output
    assert f"FAIL: user:{ada.id}:credits CRD: ledger 300, projection 307" in found.output
    assert f"FAIL: user:{bob.id}:credits CRD: ledger 300, projection no row" in found.output
    assert cy.id not in found.output

    as_json = _reconcile(db_url, tmp_path, "--json")
    assert as_json.exit_code == 1
    report = json.loads(as_json.output)
    assert report["ok"] is False
    assert sorted(
        (d["account"], d["ledger_balance"], d["projected_balance"]) for d in report["differences"]
    ) == sorted([(f"user:{ada.id}:credits", 300, 307), (f"user:{bob.id}:credits", 300, None)])
