"""Pseudonymous holders in the ledger (docs/spec/ledger.md): a lot's purchases and free
entries carry `refs.holder` next to `refs.user_id`; the ticket map rebuilt from them is
pseudonymous; `draw.holders_consistent` checks (a) all or none carry a holder, (b) one user
one holder, (c) one holder one user, (d) a holder is 64 lowercase hex; `draw --ledger` ties
each pseudonymous entry to its purchase by holder; `winner` names the winning holder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify._testing import (
    check_outcomes,
    draw_ledger_lines,
    draw_with_ledger,
    holder_user,
    ledger_failures,
)
from alot_verify.cli import cli
from alot_verify.draw_ledger import (
    CHECK_HOLDERS,
    CHECK_TICKET_MAP,
    DRAW_CHECKS,
    RULES,
    lot_rule_failures,
    note_draw_memo,
)
from alot_verify.ledger import LedgerFailed, verify_ledger_file
from click.testing import CliRunner, Result

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "spec" / "vectors"
V2 = {
    v["name"]: v["proof"]
    for v in json.loads((VECTORS / "draw-alot-v2.json").read_text(encoding="utf-8"))["vectors"]
}
PROOF = V2["pseudonymous-holders"]  # holder A holds entries 0 and 3, entry 1 is free
LOT = PROOF["draw_inputs"]["lot_id"]
HOLDERS = [e["holder"] for e in PROOF["entries"]]
OTHER_USER = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def _run(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args)


def _entry_seqs(lines: list[str]) -> list[int]:
    kinds = ("entry_purchase", "free_entry")
    return [json.loads(line)["seq"] for line in lines if json.loads(line)["kind"] in kinds]


def test_the_check_is_wired_in_like_the_other_draw_checks() -> None:
    assert CHECK_HOLDERS == "draw.holders_consistent"
    assert CHECK_HOLDERS in DRAW_CHECKS
    assert CHECK_HOLDERS in RULES


def test_purchases_carrying_the_holders_of_the_frozen_map_pass(tmp_path: Path) -> None:
    """Control: every purchase carries refs.holder and refs.user_id; the rebuilt map is
    the pseudonymous one the proof shows, so every check passes."""
    lines = draw_ledger_lines(PROOF)
    bought = [json.loads(line) for line in lines]
    refs = [t["refs"] for t in bought if t["kind"] in ("entry_purchase", "free_entry")]
    assert [r["holder"] for r in refs] == HOLDERS
    assert [r["user_id"] for r in refs] == [holder_user(h) for h in HOLDERS]
    assert ledger_failures(lines) == []
    result = draw_with_ledger(tmp_path, PROOF, lines)
    assert result.exit_code == 0, result.output
    checks = check_outcomes(result)
    assert checks[CHECK_HOLDERS] is True
    assert checks["draw.entries_purchased"] is True
    entries = json.loads(result.stdout)["entries"]
    assert all(e["purchase_seq"] is not None for e in entries)
    assert json.loads(result.stdout)["winner_holder"] == PROOF["winner_holder"]
    assert "winner_user_id" not in json.loads(result.stdout)


def test_named_lots_are_not_judged_for_holders() -> None:
    lines = draw_ledger_lines(V2["no-beacon"])
    assert ledger_failures(lines) == []
    assert "holder" not in "".join(lines)


def test_a_purchase_without_a_holder_in_a_pseudonymous_lot_fails(tmp_path: Path) -> None:
    """(a): one purchase leaves refs.holder out; its user id would be the map's entry."""
    lines = draw_ledger_lines(PROOF, no_holder=frozenset({2}))
    seq = _entry_seqs(lines)[2]
    failures = ledger_failures(lines)
    holders = [(s, m) for s, check, m in failures if check == CHECK_HOLDERS]
    assert [s for s, _ in holders] == [seq]
    assert f"lot {LOT}" in holders[0][1]
    assert f"entry_purchase at seq {seq} carries no refs.holder" in holders[0][1]
    assert f"at seq {_entry_seqs(lines)[0]} does" in holders[0][1]
    # The rebuilt map names that entry by user id: it is not the frozen map either.
    assert {check for _, check, _ in failures} == {CHECK_HOLDERS, CHECK_TICKET_MAP}
    result = draw_with_ledger(tmp_path, PROOF, lines)
    assert result.exit_code == 1
    checks = check_outcomes(result)
    assert checks[CHECK_HOLDERS] is False
    assert checks["draw.entries_purchased"] is False


def test_one_user_with_two_holders_in_a_lot_fails() -> None:
    """(b): the user behind holder A also bought entry 2 under holder C."""
    lines = draw_ledger_lines(PROOF, users={2: holder_user(HOLDERS[0])})
    seqs = _entry_seqs(lines)
    failures = ledger_failures(lines)
    assert [(s, c) for s, c, _ in failures] == [(seqs[2], CHECK_HOLDERS)]
    message = failures[0][2]
    assert f"lot {LOT}" in message
    assert f"has holder {HOLDERS[2]} at seq {seqs[2]} but holder {HOLDERS[0]}" in message
    assert f"at seq {seqs[0]}" in message


def test_one_holder_for_two_users_fails() -> None:
    """(c): holder A's second purchase is by another user."""
    lines = draw_ledger_lines(PROOF, users={3: OTHER_USER})
    seqs = _entry_seqs(lines)
    failures = ledger_failures(lines)
    assert [(s, c) for s, c, _ in failures] == [(seqs[3], CHECK_HOLDERS)]
    message = failures[0][2]
    assert f"holder {HOLDERS[0]} is user {OTHER_USER} at seq {seqs[3]}" in message
    assert f"but user {holder_user(HOLDERS[0])} at seq {seqs[0]}" in message


@pytest.mark.parametrize("holder", [HOLDERS[0].upper(), HOLDERS[0][:-2], 7])
def test_a_malformed_holder_fails(holder: Any) -> None:
    """(d): the rules read the lines the ledger verifier has parsed; here the memos are
    noted directly so the export's hashes need not be recomputed."""
    memos: dict[str, list[Any]] = {}
    for number, line in enumerate(draw_ledger_lines(PROOF), start=1):
        transaction = json.loads(line)
        if transaction["kind"] == "entry_purchase" and transaction["refs"]["holder"] == HOLDERS[2]:
            transaction["refs"]["holder"] = holder
            seq = transaction["seq"]
        if transaction["kind"] in ("entry_purchase", "free_entry") or transaction[
            "kind"
        ].startswith("draw_"):
            note_draw_memo(memos, number, json.dumps(transaction))
    failures = lot_rule_failures(LOT, memos[LOT])
    holders = [f for f in failures if f[2] == CHECK_HOLDERS]
    assert [f[1] for f in holders] == [seq]
    assert "is not 64 lowercase hex" in holders[0][3]


def test_the_chunked_verifier_finds_the_same_failures(tmp_path: Path) -> None:
    """Purchases land in different workers' chunks; holders are judged once all are in."""
    path = tmp_path / "ledger.jsonl"
    for options in ({"users": {3: OTHER_USER}}, {"no_holder": frozenset({1})}):
        path.write_text("".join(draw_ledger_lines(PROOF, **options)), encoding="utf-8")
        with pytest.raises(LedgerFailed) as one_pass:
            verify_ledger_file(path, workers=1)
        with pytest.raises(LedgerFailed) as chunked:
            verify_ledger_file(path, workers=2, chunk_bytes=200)
        assert chunked.value.failures == one_pass.value.failures
        assert CHECK_HOLDERS in {f.check for f in chunked.value.failures}


def test_alot_verify_ledger_reports_the_check(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_text("".join(draw_ledger_lines(PROOF)), encoding="utf-8")
    result = _run(["ledger", str(path)])
    assert result.exit_code == 0, result.output
    assert "OK: each lot names all its holders by pseudonym or none" in result.output
    path.write_text("".join(draw_ledger_lines(PROOF, users={3: OTHER_USER})), encoding="utf-8")
    result = _run(["ledger", str(path)])
    assert result.exit_code == 1
    assert any(
        line.startswith("FAIL:") and CHECK_HOLDERS in line for line in result.output.splitlines()
    )


def test_an_entry_whose_holder_is_not_its_purchases_fails_entries_purchased(
    tmp_path: Path,
) -> None:
    """The proof swaps the holders of two entries of the same size: draw --ledger ties each
    pseudonymous entry to its purchase by holder, so it fails."""
    proof = json.loads(json.dumps(PROOF))
    lines = draw_ledger_lines(PROOF)
    proof["entries"][1]["holder"], proof["entries"][0]["holder"] = HOLDERS[0], HOLDERS[1]
    result = draw_with_ledger(tmp_path, proof, lines)
    assert result.exit_code == 1
    checks = check_outcomes(result)
    assert checks["draw.entries_purchased"] is False


def test_winner_names_the_winning_holder_from_the_ledger(tmp_path: Path) -> None:
    export = tmp_path / "ledger.jsonl"
    export.write_text("".join(draw_ledger_lines(PROOF)), encoding="utf-8")
    reading = tmp_path / "reading.json"
    reading.write_text(json.dumps(PROOF["beacon"]), encoding="utf-8")
    args = ["winner", "--ledger", str(export), "--lot", LOT, "--beacon", str(reading)]
    result = _run(args)
    assert result.exit_code == 0, result.output
    assert f"winner holder {PROOF['winner_holder']}" in result.output
    document = json.loads(_run(["--json", *args]).stdout)
    assert document["winning_ticket"] == PROOF["winning_ticket"]
    assert document["winner_holder"] == PROOF["winner_holder"]
    # The export is the auditors': it ties the pseudonym to the user behind it.
    assert document["winner_user_id"] == holder_user(PROOF["winner_holder"])
    entries = tmp_path / "entries.json"
    entries.write_text(json.dumps({"entries": PROOF["entries"]}), encoding="utf-8")
    result = _run(["--json", *args, "--entries", str(entries)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["winner_holder"] == PROOF["winner_holder"]
    assert "winner_user_id" not in document
