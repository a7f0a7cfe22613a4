"""A real platform ledger against the ticket-map rules (issue 19, attack 7): a lot bought
with cash, credits and free entries, drawn, then its export read by `alot-verify`.

`draw.ticket_map_from_ledger` and `draw.escrow_from_ledger` pass on it (the platform's
`entry_purchase` / `free_entry` transactions are what docs/spec/ledger.md says), every
entry of the served proof is tied to its purchase's seq and amount, a proof whose entries
claim each other's purchases fails `draw.entries_purchased`, and the same export with one
purchase's holder rewritten (a sock-puppet map) fails them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from alot_ledger import export_lines
from alot_verify.cli import cli as verify_cli
from alot_verify.draw_ledger import (
    CHECK_ESCROW,
    CHECK_TICKET_MAP,
    lot_rule_failures,
    money_unchecked,
)
from alot_verify.ledger import LedgerFailed, verify_ledger
from click.testing import CliRunner

MONEY_CHECKS = {CHECK_TICKET_MAP, CHECK_ESCROW}


def _enter_free(http: Any, account: Any, lot_id: str) -> None:
    response = http.client.post(
        f"/api/lots/{lot_id}/free-entries",
        headers={**account.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text


def _money_failures(lines: list[str]) -> list[str]:
    """The export's failures of the ticket-map rules (other rules are other tests')."""
    try:
        verify_ledger(lines)
    except LedgerFailed as exc:
        return [str(f) for f in exc.failures if f.check in MONEY_CHECKS]
    return []


@pytest.mark.parametrize("algorithm", ["alot-v1", "alot-v2"])
def test_a_real_ledger_ties_every_ticket_to_its_purchase(
    http: Any, lots: Any, platform: Any, tmp_path: Path, algorithm: str
) -> None:
    lot_id = http.open_lot(draw_algorithm=algorithm, non_winner_credit_rate_percent=10)["id"]
    ada, bob, cy, dee = (http.player(lot_id) for _ in range(4))
    lots.grant_credits(cy.id, 300)
    _enter_free(http, ada, lot_id)
    assert http.buy(bob, lot_id, 1).status_code == 201  # cash
    assert http.buy_with_credits(cy, lot_id, 3).status_code == 201  # credits
    _enter_free(http, dee, lot_id)
    funding = http.buy(bob, lot_id, 1)
    assert funding.json()["lot_status"] == "funded", funding.text
    served = http.client.get(f"/api/lots/{lot_id}/draw").json()
    assert served["stage"] == "settled"
    lines = list(export_lines(platform.database.engine))

    assert _money_failures(lines) == []
    summary = _summary(lines)
    memos = summary.draw_memos[lot_id]
    assert money_unchecked(lot_id, memos, partial=False) is None  # judged, not skipped
    kinds = sorted(kind for _, _, kind, _ in memos if not kind.startswith("draw_"))
    assert kinds == ["entry_purchase"] * 3 + ["free_entry"] * 2
    assert [f for f in lot_rule_failures(lot_id, memos) if f[2] in MONEY_CHECKS] == []

    proof_path = tmp_path / "proof.json"
    proof_path.write_text(json.dumps(served["proof"]))
    export = tmp_path / "ledger.jsonl"
    export.write_text("".join(lines))
    ran = CliRunner().invoke(
        verify_cli, ["--json", "draw", str(proof_path), "--ledger", str(export)]
    )
    document = json.loads(ran.stdout)
    results = {c["check"]: c["ok"] for c in document["checks"] if c["check"].startswith("draw.")}
    assert results[CHECK_TICKET_MAP], document["checks"]
    assert results[CHECK_ESCROW], document["checks"]
    assert results["draw.entries_purchased"], document["checks"]
    entries = document["entries"]
    assert all(e["purchase_seq"] is not None for e in entries)
    assert [e["amount_cents"] for e in entries if e.get("kind") == "free"] == [0, 0]
    assert sum(e["amount_cents"] for e in entries) == served["escrow_cents"]

    # The proof's entries name their purchases: the served proof's seqs and amounts are
    # those of the ledger's transactions. A proof whose two paid entries claim each
    # other's purchase (amounts still summing to the escrow) is refused by the ledger.
    proof = served["proof"]
    assert [(e["purchase_seq"], e["amount_cents"]) for e in proof["entries"]] == [
        (e["purchase_seq"], e["amount_cents"]) for e in entries
    ]
    paid = [i for i, e in enumerate(proof["entries"]) if e.get("kind") is None]
    first, second = proof["entries"][paid[0]], proof["entries"][paid[1]]
    first["purchase_seq"], second["purchase_seq"] = second["purchase_seq"], first["purchase_seq"]
    proof_path.write_text(json.dumps(proof))
    ran = CliRunner().invoke(
        verify_cli, ["--json", "draw", str(proof_path), "--ledger", str(export)]
    )
    assert ran.exit_code == 1, ran.output
    checks = {c["check"]: c for c in json.loads(ran.stdout)["checks"]}
    assert checks["entries.amounts"]["ok"] is True
    assert checks["draw.entries_purchased"]["ok"] is False, checks

    # The same ledger with one paid ticket's holder rewritten fails the rule: the frozen
    # root no longer matches the purchases (the test can fail). The lot names holders by
    # pseudonym, so the forgery claims bob's purchase for another pseudonym.
    forged = [_rehold(line, bob.id, "0" * 64) for line in lines]
    assert forged != lines
    failures = _money_failures(forged)
    assert failures
    assert all(CHECK_TICKET_MAP in f for f in failures), failures


def _summary(lines: list[str]) -> Any:
    try:
        return verify_ledger(lines)
    except LedgerFailed as exc:
        return exc.summary  # draw memo rules of other helpers' work may fail here


def _rehold(line: str, user_id: str, other: str) -> str:
    """The line with an entry_purchase by ``user_id`` claimed for the holder ``other``
    (body and hash are not recomputed: the money rules read refs, and the hash failure is
    not theirs)."""
    transaction = json.loads(line)
    if transaction["kind"] != "entry_purchase" or transaction["refs"].get("user_id") != user_id:
        return line
    transaction["refs"]["holder"] = other
    return json.dumps(transaction, separators=(",", ":"), sort_keys=True) + "\n"
