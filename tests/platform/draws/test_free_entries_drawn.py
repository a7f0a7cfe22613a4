"""Free entries through a lot's end: drawn like paid tickets (both algorithms, checked by
`alot-verify`), no credits at settlement, nothing to refund when the lot expires; the
ledger (with its `free_entry` transactions) verifies and credits reconcile."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alot_platform.credits.service import reconcile_credits
from alot_platform.entries.models import LotEntry, LotEntryPurchase
from alot_platform.scheduler import run_tick

from tests.platform.draws.test_lifecycle import (
    _credits_match_ledger,
    _verify_draw,
    _verify_ledger,
)


def _enter_free(http: Any, account: Any, lot_id: str) -> dict[str, Any]:
    response = http.client.post(
        f"/api/lots/{lot_id}/free-entries",
        headers={**account.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    entered: dict[str, Any] = response.json()
    return entered


@pytest.mark.parametrize("algorithm", ["alot-v1", "alot-v2"])
def test_a_lot_with_free_entries_is_drawn_and_verifies(
    http: Any, lots: Any, platform: Any, tmp_path: Path, algorithm: str
) -> None:
    lot_id = http.open_lot(draw_algorithm=algorithm, non_winner_credit_rate_percent=10)["id"]
    ada, bob, cy, dee = (http.player(lot_id) for _ in range(4))
    assert _enter_free(http, ada, lot_id)["tickets_start"] == 1
    assert http.buy(bob, lot_id, 1).status_code == 201  # tickets 2-6, 4.50
    assert _enter_free(http, cy, lot_id)["tickets_start"] == 7
    assert http.buy(bob, lot_id, 1).status_code == 201  # 8-12, 9.00
    funding = http.buy(dee, lot_id, 0)  # 13, 10.00: funds, then the draw runs
    assert funding.json()["lot_status"] == "funded", funding.text

    served = http.client.get(f"/api/lots/{lot_id}/draw").json()
    assert served["stage"] == "settled"
    assert served["total_tickets"] == 13
    assert served["escrow_cents"] == 1000  # free tickets add no money
    proof = served["proof"]
    kinds = [(e["tickets_start"], e.get("kind")) for e in proof["entries"]]
    assert kinds == [(1, "free"), (2, None), (7, "free"), (8, None), (13, None)]
    _verify_draw(tmp_path, proof)

    winner = served["winner_user_id"]
    balances = _credits_match_ledger(http, [ada, bob, cy, dee])
    # Credits are a share of what an entry paid: a free entry paid nothing, earns none.
    assert balances[ada.id] == 0
    assert balances[cy.id] == 0
    assert balances[bob.id] == (0 if bob.id == winner else 45 + 45)
    assert balances[dee.id] == (0 if dee.id == winner else 10)
    for account in (ada, cy):
        reveal = http.client.get("/api/users/me/reveals", headers=account.headers).json()
        assert [r["status"] for r in reveal["items"]] == ["won" if account.id == winner else "lost"]
    _verify_ledger(tmp_path, http, platform)
    with lots.session() as session:
        assert reconcile_credits(session) == []


def test_an_expired_lot_has_nothing_to_refund_for_free_entries(
    http: Any, lots: Any, platform: Any, clock: Any, tmp_path: Path
) -> None:
    lot_id = http.open_lot(deadline=(clock.now + timedelta(hours=1)).isoformat())["id"]
    ada, bob = http.player(lot_id), http.player(lot_id)
    free = _enter_free(http, ada, lot_id)
    assert http.buy(bob, lot_id, 0).status_code == 201  # 1.00
    assert _enter_free(http, bob, lot_id)["tickets_start"] == 3

    http.advance(ada, bob, hours=1)
    assert run_tick(platform).expired == [uuid.UUID(lot_id)]
    progress = http.admin_get(f"/api/admin/lots/{lot_id}/refunds").json()
    assert progress["lot_status"] == "refunding"
    # Only bob's purchase gets a refund email; ada, who only entered for free, none.
    assert not [m for m in http.api.mailbox(ada.email) if "refund" in m["subject"].lower()]
    choose = http.client.post(
        f"/api/purchases/{free['id']}/refund-choice",
        json={"choice": "credits"},
        headers=ada.headers,
    )
    assert choose.status_code in (404, 409), choose.text

    http.advance(ada, bob, days=7, seconds=1)
    report = run_tick(platform)
    assert report.refunded_after_deadline == 1  # bob's cash purchase only
    assert http.client.get(f"/api/lots/{lot_id}").json()["status"] == "closed"
    progress = http.admin_get(f"/api/admin/lots/{lot_id}/refunds").json()
    assert progress["purchases"] == {"refunded": 1}  # free entries have nothing to refund
    for account in (ada, bob):
        reveals = http.client.get("/api/users/me/reveals", headers=account.headers).json()
        assert [r["status"] for r in reveals["items"]] == ["refunded"]
    with lots.session() as session:
        purchase = session.get(LotEntryPurchase, uuid.UUID(free["id"]))
        assert purchase is not None
        assert (purchase.status, purchase.refunded_cents, purchase.refunded_credits) == (
            "succeeded",
            None,
            None,
        )
        entries = session.query(LotEntry).filter(LotEntry.lot_id == uuid.UUID(lot_id)).all()
        assert sum(e.credits_awarded for e in entries) == 0
    assert http.ledger_balance(f"user:{ada.id}:credits", "CRD") == 0
    assert http.ledger_balance(f"lot:{lot_id}:escrow", "USD") == 0
    _verify_ledger(tmp_path, http, platform)
