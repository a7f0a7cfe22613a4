"""The lot engine end to end over HTTP: create, open, trivia, buy, fund, draw, settle.

Then what an auditor does: `alot-verify draw` on the served proof and `alot-verify
ledger` on the ledger export, and every player's credit balance equals the ledger's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alot_ledger import export_lines
from alot_platform.scheduler import ledger_checkpointer, run_tick
from alot_verify.cli import cli as verify_cli
from click.testing import CliRunner


def _verify_draw(tmp_path: Path, proof: Any) -> str:
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof))
    result = CliRunner().invoke(verify_cli, ["draw", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def _verify_ledger(tmp_path: Path, http: Any, platform: Any) -> None:
    # The export is read straight from the database: over HTTP on SQLite it waits on the
    # request's own write lock (reported; the platform's SQLite units of work are IMMEDIATE).
    report = run_tick(platform, ledger_checkpointer(platform))  # checkpoints the ledger
    assert report.checkpoint_size == http.ledger_size()
    key = http.admin_get("/api/ledger/verifier-key").json()["verifier_key"]
    note = tmp_path / "checkpoint.txt"
    note.write_text(http.admin_get("/api/ledger/checkpoint").json()["note"])
    path = tmp_path / "ledger.jsonl"
    path.write_text("".join(export_lines(platform.database.engine)))
    args = ["ledger", str(path), "--checkpoint", str(note), "--key", key]
    result = CliRunner().invoke(verify_cli, args)
    assert result.exit_code == 0, result.output


def _credits_match_ledger(http: Any, players: list[Any]) -> dict[str, int]:
    balances = {}
    for player in players:
        mine = http.client.get("/api/users/me/credits", headers=player.headers)
        assert mine.status_code == 200, mine.text
        ledger = http.ledger_balance(f"user:{player.id}:credits", "CRD")
        assert mine.json()["balance_credits"] == ledger
        balances[player.id] = ledger
    return balances


@pytest.mark.parametrize("algorithm", ["alot-v1", "alot-v2"])
def test_funded_lot_is_drawn_settled_and_verifiable(
    http: Any, lots: Any, platform: Any, tmp_path: Path, algorithm: str
) -> None:
    lot = http.open_lot(draw_algorithm=algorithm, non_winner_credit_rate_percent=10)
    lot_id = lot["id"]
    before = http.client.get(f"/api/lots/{lot_id}/draw")
    assert before.status_code == 200, before.text
    assert before.json()["stage"] == "committed"
    assert before.json()["algorithm"] == algorithm
    assert before.json()["proof"] is None
    assert before.json()["server_seed_commitment"]
    commitment = http.ledger_transaction(before.json()["commitment_ledger_seq"])
    assert "draw_commitment" in json.dumps(commitment)
    assert http.client.get(f"/api/lots/{lot_id}/draw/proof").status_code == 404

    ada, bob, cy = (http.player(lot_id) for _ in range(3))
    lots.grant_credits(cy.id, 300)
    assert http.buy(ada, lot_id, 1).status_code == 201  # 5 tickets, 4.50
    assert http.buy(bob, lot_id, 0).status_code == 201  # 1 ticket, 1.00
    assert http.buy_with_credits(cy, lot_id, 3).status_code == 201  # 3 tickets, 300 credits
    pending = http.client.get("/api/users/me/reveals", headers=ada.headers).json()["items"]
    assert [r["status"] for r in pending] == ["pending"]
    funding = http.buy(bob, lot_id, 1)  # 13.00 >= 10.00: funds; the draw runs after it
    assert funding.status_code == 201, funding.text
    assert funding.json()["lot_status"] == "funded"
    late = http.buy(ada, lot_id, 0)
    assert late.status_code == 409, late.text

    served = http.client.get(f"/api/lots/{lot_id}/draw").json()
    assert served["stage"] == "settled"
    assert served["lot_status"] == "settled"
    assert served["total_tickets"] == 14
    assert served["escrow_cents"] == 1300
    proof = http.client.get(f"/api/lots/{lot_id}/draw/proof").json()
    assert proof == served["proof"]
    assert proof["algorithm"] == algorithm
    output = _verify_draw(tmp_path, proof)
    assert str(served["winning_ticket"]) in output
    inputs_memo = http.ledger_transaction(served["inputs_ledger_seq"])
    assert served["draw_inputs_hash"] in json.dumps(inputs_memo)
    result_memo = http.ledger_transaction(served["result_ledger_seq"])
    assert proof["server_seed"] in json.dumps(result_memo)

    winner = served["winner_user_id"]
    spend = {ada.id: 450, bob.id: 550, cy.id: 300}
    per_entry = {ada.id: 45, bob.id: 10 + 45, cy.id: 30}
    balances = _credits_match_ledger(http, [ada, bob, cy])
    for player in (ada, bob, cy):
        assert balances[player.id] == (0 if player.id == winner else per_entry[player.id])
        reveals = http.client.get("/api/users/me/reveals", headers=player.headers).json()
        assert [r["status"] for r in reveals["items"]] == ["won" if player.id == winner else "lost"]
        # what the result meant: the credits earned, the tickets held, no refund
        mine = reveals["items"][0]
        assert mine["awarded_credits"] == balances[player.id]
        assert mine["tickets"] == {ada.id: 5, bob.id: 6, cy.id: 3}[player.id]
        assert (mine["refunded_cents"], mine["refunded_credits"]) == (0, 0)
    assert sum(spend.values()) == 1300
    assert http.ledger_balance(f"lot:{lot_id}:escrow", "USD") == 0
    assert http.ledger_balance(f"lot:{lot_id}:escrow", "CRD") == 0

    size = http.ledger_size()
    again = http.admin_post(f"/api/admin/lots/{lot_id}/draw")
    assert again.status_code == 200, again.text
    assert again.json()["proof"] == proof
    settled = http.admin_post(f"/api/admin/lots/{lot_id}/settle")
    assert settled.status_code == 200, settled.text
    assert settled.json()["stage"] == "settled"
    assert http.ledger_size() == size
    _verify_ledger(tmp_path, http, platform)


def test_draw_triggers_refuse_a_lot_that_is_not_funded(http: Any, count_rows: Any) -> None:
    lot_id = http.open_lot()["id"]
    size = http.ledger_size()
    for step in ("draw", "settle"):
        response = http.admin_post(f"/api/admin/lots/{lot_id}/{step}")
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "lot_state_conflict"
        assert response.json()["state"] == "open"
    player = http.player(lot_id)
    assert (
        http.client.post(f"/api/admin/lots/{lot_id}/draw", headers=player.headers).status_code
        == 403
    )
    assert http.client.post(f"/api/admin/lots/{lot_id}/draw").status_code == 401
    missing = http.admin_post("/api/admin/lots/00000000-0000-4000-8000-000000000000/draw")
    assert missing.status_code == 404
    assert http.ledger_size() == size
    assert count_rows("lottery_draws") == 0
