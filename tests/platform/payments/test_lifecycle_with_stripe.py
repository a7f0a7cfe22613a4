"""The lot engine's lifecycle with Stripe as the provider: create, open, trivia, pay
through Checkout (webhooks) and with credits, fund, draw, settle; then the auditor's
checks: `alot-verify draw` on the served proof, `alot-verify ledger` on the export, and
credit balances equal to the ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alot_ledger import export_lines
from alot_platform.scheduler import ledger_checkpointer, run_tick
from alot_verify.cli import cli as verify_cli
from click.testing import CliRunner


def _pay(till: Any, account: Any, lot_id: str, bundle_index: int) -> dict[str, Any]:
    purchase = till.buy(account, lot_id, bundle_index)
    for event in reversed(till.fake.pay(purchase["payment"]["payment_id"])):
        assert till.deliver(event).status_code == 200
    return purchase


def test_a_lot_paid_through_stripe_is_drawn_settled_and_verifiable(
    till: Any, tmp_path: Path
) -> None:
    lot = till.open_lot(funding_target_cents=1000, non_winner_credit_rate_percent=10)
    lot_id = lot["id"]
    ada, bob, cy = (till.player(lot_id) for _ in range(3))
    till.grant_credits(cy.id, 300)

    _pay(till, ada, lot_id, 1)  # 3 tickets, 5.00
    bought = till.client.post(
        f"/api/lots/{lot_id}/entries/purchase-with-credits",
        json={"tickets": 2},
        headers={**cy.headers, "Idempotency-Key": "cy-credits"},
    )
    assert bought.status_code == 201, bought.text  # 2 tickets, 200 credits
    assert till.lot(lot_id)["status"] == "open"
    funding = _pay(till, bob, lot_id, 1)  # 3 tickets, 5.00: 12.00 >= 10.00
    assert till.purchase(funding["id"])["status"] == "succeeded"

    served = till.client.get(f"/api/lots/{lot_id}/draw").json()
    assert served["stage"] == "settled"
    assert served["total_tickets"] == 8
    assert served["escrow_cents"] == 1200
    proof = served["proof"]
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof))
    verified = CliRunner().invoke(verify_cli, ["draw", str(path)])
    assert verified.exit_code == 0, verified.output

    for player in (ada, bob, cy):
        mine = till.client.get("/api/users/me/credits", headers=player.headers).json()
        assert mine["balance_credits"] == till.ledger_balance(f"user:{player.id}:credits", "CRD")
    assert till.ledger_balance(f"lot:{lot_id}:escrow", "USD") == 0
    purchases = till.ledger("entry_purchase")
    cash = [refs for refs, metadata in purchases if metadata["method"] == "cash"]
    assert len(cash) == 2
    assert all(refs["payment_intent"].startswith("pi_") for refs in cash)

    report = run_tick(till.platform, ledger_checkpointer(till.platform))
    assert report.checkpoint_size
    key = till.client.get("/api/ledger/verifier-key", headers=till.admin.headers)
    note = till.client.get("/api/ledger/checkpoint", headers=till.admin.headers)
    (tmp_path / "checkpoint.txt").write_text(note.json()["note"])
    export = tmp_path / "ledger.jsonl"
    export.write_text("".join(export_lines(till.platform.database.engine)))
    args = [
        "ledger",
        str(export),
        "--checkpoint",
        str(tmp_path / "checkpoint.txt"),
        "--key",
        key.json()["verifier_key"],
    ]
    result = CliRunner().invoke(verify_cli, args)
    assert result.exit_code == 0, result.output
