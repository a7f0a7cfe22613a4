"""The ticket map tied to money (issue 19, attack 7): `draw.ticket_map_from_ledger` and
`draw.escrow_from_ledger` in `alot-verify ledger`, each entry tied to its purchase in
`alot-verify draw --ledger`, and `winner --ledger` naming the holder from the ledger.

Each attack test says how the verifier as it was answered: it had no rule reading the
lot's `entry_purchase` / `free_entry` transactions, so `alot-verify ledger` and
`draw --ledger` passed every one of these ledgers.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify._testing import (
    check_outcomes,
    draw_ledger_lines,
    draw_with_ledger,
    ledger_failures,
)
from alot_verify.cli import cli
from alot_verify.draw_ledger import (
    CHECK_ESCROW,
    CHECK_TICKET_MAP,
    lot_rule_failures,
    unchecked_money_notes,
)
from alot_verify.ledger import LedgerFailed, verify_ledger_file
from click.testing import CliRunner, Result

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "spec" / "vectors"
V2 = {
    v["name"]: v["proof"]
    for v in json.loads((VECTORS / "draw-alot-v2.json").read_text(encoding="utf-8"))["vectors"]
}
V1 = json.loads((VECTORS / "draw-alot-v1.json").read_text(encoding="utf-8"))["vectors"][0]
PROOF = V2["no-beacon"]  # 3 paid entries, escrow 1000 cents
FREE = V2["free-entries"]  # 2 paid and 3 free entries
LOT = PROOF["draw_inputs"]["lot_id"]


def _run(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args)


def _write(path: Path, lines: list[str]) -> str:
    path.write_text("".join(lines), encoding="utf-8")
    return str(path)


def _seq_of(lines: list[str], kind: str, index: int = 0) -> int:
    seqs = [json.loads(line)["seq"] for line in lines if json.loads(line)["kind"] == kind]
    return int(seqs[index])


def test_purchases_that_are_the_frozen_map_pass(tmp_path: Path) -> None:
    """Control: every entry bought before the freeze, the escrow what they paid (v1, v2)."""
    for proof in (PROOF, V2["quicknet-beacon"], V1):
        assert ledger_failures(draw_ledger_lines(proof)) == []
    result = draw_with_ledger(tmp_path, PROOF, draw_ledger_lines(PROOF))
    assert result.exit_code == 0, result.output
    assert check_outcomes(result)["draw.entries_purchased"] is True


def test_a_sock_puppet_entry_fails(tmp_path: Path) -> None:
    """Attack: the frozen map (and its root) holds an entry nobody paid for. The verifier as
    it was passed it; now `draw.ticket_map_from_ledger` fails naming the unpaid tickets, and
    `draw --ledger` names the proof's entry that has no purchase."""
    puppet = PROOF["entries"][1]
    lines = draw_ledger_lines(PROOF, unpaid=frozenset({1}))
    failures = ledger_failures(lines)
    assert {check for _, check, _ in failures} == {CHECK_TICKET_MAP}
    messages = " | ".join(message for _, _, message in failures)
    assert f"lot {LOT}" in messages
    assert f"tickets {puppet['tickets_start']}..{puppet['tickets_end']} are in no" in messages
    result = draw_with_ledger(tmp_path, PROOF, lines)
    assert result.exit_code == 1, result.output
    checks = check_outcomes(result)
    assert checks[CHECK_TICKET_MAP] is False
    assert checks["draw.entries_purchased"] is False
    assert checks[CHECK_ESCROW] is True
    entries = json.loads(result.stdout)["entries"]
    assert entries[1]["purchase_seq"] is None
    assert entries[0]["purchase_seq"] is not None


def test_an_inflated_escrow_fails() -> None:
    """Attack: draw_inputs.escrow_cents states more than the purchases paid (a draw that
    looks funded). The verifier as it was passed it; now `draw.escrow_from_ledger` fails."""
    escrow = PROOF["draw_inputs"]["escrow_cents"]
    failures = ledger_failures(draw_ledger_lines(PROOF, paid_cents=escrow - 100))
    assert [(check) for _, check, _ in failures] == [CHECK_ESCROW]
    assert f"is {escrow} ({escrow} cents)" in failures[0][2]
    assert f"paid {escrow - 100} cents into lot:{LOT}:escrow" in failures[0][2]


def test_an_alot_v1_escrow_balance_is_read_in_cents() -> None:
    proof = V1
    assert ledger_failures(draw_ledger_lines(proof)) == []
    failures = ledger_failures(draw_ledger_lines(proof, paid_cents=1))
    assert [check for _, check, _ in failures] == [CHECK_ESCROW]
    assert f"escrow_balance is '{proof['escrow_balance']}'" in failures[0][2]


def test_an_omitted_purchase_fails() -> None:
    """Attack: a player paid before the freeze, but the frozen map leaves them out. The
    verifier as it was passed it; now the rule fails naming the purchase's seq."""
    total = PROOF["draw_inputs"]["total_tickets"]
    extra = {"user_id": "u-left-out", "tickets_start": total + 1, "tickets_end": total + 2}
    lines = draw_ledger_lines(PROOF, extra_purchases=[extra], paid_cents=900)
    seq = _seq_of(lines, "entry_purchase", 3)
    failures = ledger_failures(lines)
    assert {check for _, check, _ in failures} == {CHECK_TICKET_MAP}
    assert any(
        f"entry_purchase at seq {seq} (tickets {total + 1}..{total + 2}) missing" in message
        for _, _, message in failures
    )


def test_a_changed_holder_fails(tmp_path: Path) -> None:
    """Attack: the frozen map names another holder than the one who paid. The verifier as it
    was passed it; now the root rebuilt from the purchases differs, and `draw --ledger`
    names the first entry that differs from its purchase."""
    paid_by_other = copy.deepcopy(PROOF)
    paid_by_other["entries"][2]["user_id"] = "someone-else"
    lines = draw_ledger_lines(paid_by_other)  # purchases by "someone-else"; the root is not
    failures = ledger_failures(lines)
    assert [check for _, check, _ in failures] == [CHECK_TICKET_MAP]
    assert (
        "draw_inputs.ticket_map_root is " + PROOF["draw_inputs"]["ticket_map_root"]
        in (failures[0][2])
    )
    result = draw_with_ledger(tmp_path, PROOF, lines)
    assert result.exit_code == 1
    failed = [c["message"] for c in json.loads(result.stdout)["checks"] if not c["ok"]]
    assert any("entries[2]" in m and "someone-else" in m for m in failed), failed


def test_a_purchase_after_the_freeze_fails() -> None:
    """Attack: tickets sold once the inputs are frozen (and the map rewritten later). The
    verifier as it was passed it; now the rule fails naming the purchase's seq."""
    total = PROOF["draw_inputs"]["total_tickets"]
    late = {
        "user_id": "u-late",
        "tickets_start": total + 1,
        "tickets_end": total + 1,
        "after_freeze": True,
    }
    lines = draw_ledger_lines(PROOF, extra_purchases=[late])
    seq = _seq_of(lines, "entry_purchase", 3)
    freeze = _seq_of(lines, "draw_inputs")
    failures = ledger_failures(lines)
    assert [(s, check) for s, check, _ in failures] == [(seq, CHECK_TICKET_MAP)]
    assert (
        f"entry_purchase at seq {seq} comes after the lot's freeze at seq {freeze}"
        in (failures[0][2])
    )


def test_free_entries_pass_with_kind_free_and_no_money(tmp_path: Path) -> None:
    """A free entry is a `free_entry` transaction without postings and an entry of kind
    ``free``: it adds tickets and no escrow. The lot passes; its free entries show amount 0."""
    lines = draw_ledger_lines(FREE)
    assert sum(json.loads(line)["kind"] == "free_entry" for line in lines) == 3
    assert ledger_failures(lines) == []
    result = draw_with_ledger(tmp_path, FREE, lines)
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)["entries"]
    assert [(e.get("kind"), e["purchase_kind"]) for e in entries] == [
        (None, "entry_purchase"),
        ("free", "free_entry"),
        (None, "entry_purchase"),
        ("free", "free_entry"),
        ("free", "free_entry"),
    ]
    assert [e["amount_cents"] for e in entries if e.get("kind") == "free"] == [0, 0, 0]
    assert sum(e["amount_cents"] for e in entries) == FREE["draw_inputs"]["escrow_cents"]
    # A free entry whose kind is dropped from the map is not its free_entry.
    paid = copy.deepcopy(FREE)
    del paid["entries"][1]["kind"]
    assert [check for _, check, _ in ledger_failures(draw_ledger_lines(paid))] == [CHECK_TICKET_MAP]


def test_json_lists_each_entrys_purchase_seq_and_amount(tmp_path: Path) -> None:
    lines = draw_ledger_lines(PROOF)
    purchases = [json.loads(line) for line in lines if json.loads(line)["kind"] == "entry_purchase"]
    result = draw_with_ledger(tmp_path, PROOF, lines)
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)["entries"]
    assert [e["purchase_seq"] for e in entries] == [p["seq"] for p in purchases]
    assert [e["amount_cents"] for e in entries] == [
        sum(x["amount"] for x in p["postings"] if x["account"] == f"lot:{LOT}:escrow")
        for p in purchases
    ]


def test_chunked_verification_gives_the_same_result(tmp_path: Path) -> None:
    """Purchases and the freeze land in different workers' chunks; the failures are the
    one-pass ones, for a sock puppet and for an inflated escrow."""
    for options in ({"unpaid": frozenset({0})}, {"paid_cents": 1}):
        path = _write(tmp_path / "export.jsonl", draw_ledger_lines(PROOF, **options))
        with pytest.raises(LedgerFailed) as one_pass:
            verify_ledger_file(path, workers=1)
        with pytest.raises(LedgerFailed) as chunked:
            verify_ledger_file(path, workers=2, chunk_bytes=200)
        assert chunked.value.failures == one_pass.value.failures
        assert chunked.value.summary.draw_memos == one_pass.value.summary.draw_memos


def test_a_partial_export_without_the_opening_is_not_checked_and_says_so(tmp_path: Path) -> None:
    """--start-seq after the lot's opening: its purchases may be before the export, so the
    lot's money is not judged (no false FAIL), and a note says so (no silent pass)."""
    lines = draw_ledger_lines(PROOF, unpaid=frozenset({0}))
    start = _seq_of(lines, "draw_commitment") + 1
    path = _write(tmp_path / "tail.jsonl", lines[start - 1 :])
    result = _run(["ledger", path, "--start-seq", str(start)])
    assert result.exit_code == 0, result.output
    assert f"NOT CHECKED: lot {LOT}: the export starts after the lot opened" in result.output
    full = _write(tmp_path / "full.jsonl", lines)
    assert _run(["ledger", full]).exit_code == 1  # the complete export does judge it


def test_winner_names_the_holder_from_the_rebuilt_map(tmp_path: Path) -> None:
    lines = draw_ledger_lines(PROOF)
    export = _write(tmp_path / "ledger.jsonl", lines)
    result = _run(["--json", "winner", "--ledger", export, "--lot", LOT])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["winning_ticket"] == PROOF["winning_ticket"]
    assert document["winner_user_id"] == PROOF["winner_user_id"]
    holder = next(
        json.loads(line)["seq"]
        for line in lines
        if json.loads(line)["kind"] == "entry_purchase"
        and json.loads(line)["refs"]["user_id"] == PROOF["winner_user_id"]
        and json.loads(line)["metadata"]["tickets_start"]
        <= PROOF["winning_ticket"]
        <= json.loads(line)["metadata"]["tickets_end"]
    )
    assert document["winner_purchase_seq"] == holder


def test_rules_apply_to_the_first_freeze_only_once() -> None:
    """The money rules judge the lot once (against its first freeze), not once per freeze."""
    from alot_verify.draw_ledger import note_draw_memo

    lots: dict[str, list[Any]] = {}
    for number, line in enumerate(draw_ledger_lines(PROOF, unpaid=frozenset({2})), start=1):
        note_draw_memo(lots, number, line)
    checks = [check for _, _, check, _ in lot_rule_failures(LOT, lots[LOT])]
    assert set(checks) == {CHECK_TICKET_MAP}
    assert unchecked_money_notes(lots, partial=False) == []
