"""Tickets tied to money (docs/spec/draw.md, "Amounts and purchases"): a pseudonymous entry
carries ``amount_cents`` (what its purchase put in escrow; 0 when free) and
``purchase_seq`` (its purchase's ledger seq); the proof alone checks that the amounts sum
to the escrow (``entries.amounts``), and ``draw --ledger`` that each entry is its
purchase. Named entries carry neither: named maps and their roots are unchanged.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify._testing import draw_ledger_lines, draw_with_ledger, ledger_failures
from alot_verify.canonical import MAX_SAFE_INTEGER
from alot_verify.cli import cli
from alot_verify.draw import (
    ENTRY_KIND_FREE,
    Entry,
    commitment_v2,
    compute_v1,
    compute_v2,
    draw_checks,
    freeze_v2,
    holder_pseudonym,
    ticket_map_root,
    verify_draw_proof,
)
from alot_verify.draw_ledger import CHECK_ESCROW, CHECK_TICKET_MAP
from alot_verify.errors import InputError
from click.testing import CliRunner, Result

LOT_ID = "5d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
USER = "00000000-0000-4000-8000-000000000001"
SEED = "44" * 32
SECRETS = [hashlib.sha256(f"amounts test/secret/{i}".encode()).digest() for i in range(3)]
VECTORS = Path(__file__).resolve().parents[2] / "docs" / "spec" / "vectors"
V2 = {
    v["name"]: v["proof"]
    for v in json.loads((VECTORS / "draw-alot-v2.json").read_text(encoding="utf-8"))["vectors"]
}
NEGATIVE = {
    v["name"]: v
    for v in json.loads((VECTORS / "draw-alot-v2-negative.json").read_text(encoding="utf-8"))[
        "vectors"
    ]
}
LEDGER_NEGATIVE = {
    v["name"]: v
    for v in json.loads((VECTORS / "draw-ledger-negative.json").read_text(encoding="utf-8"))[
        "vectors"
    ]
}
PROOF = V2["pseudonymous-holders"]


def _entry(
    start: int, end: int, index: int, amount: int, seq: int, kind: str | None = None
) -> Entry:
    return Entry(
        None,
        start,
        end,
        kind,
        holder=holder_pseudonym(SECRETS[index], LOT_ID),
        amount_cents=amount,
        purchase_seq=seq,
    )


def _map() -> list[Entry]:
    return [
        _entry(1, 3, 0, 300, 11),
        _entry(4, 4, 1, 0, 12, ENTRY_KIND_FREE),
        _entry(5, 9, 2, 550, 15),
        _entry(10, 10, 0, 50, 21),
    ]


def _proof_v2(entries: list[Entry] | None = None, escrow_cents: int = 900) -> dict[str, Any]:
    entries = entries or _map()
    inputs = freeze_v2(
        lot_id=LOT_ID,
        funded_at="2026-01-02T03:04:05.000000Z",
        escrow_cents=escrow_cents,
        entries=entries,
        server_seed_commitment=commitment_v2(SEED),
    )
    return compute_v2(draw_inputs=inputs, server_seed=SEED, entries=entries)


def _proof_v1(entries: list[Entry] | None = None, escrow_balance: str = "9.00") -> dict[str, Any]:
    entries = entries or _map()
    return compute_v1(
        lot_id=LOT_ID,
        created_at="2026-01-02T03:04:05.000000Z",
        total_tickets=entries[-1].tickets_end,
        escrow_balance=escrow_balance,
        server_seed=SEED,
        entries=entries,
    )


def _failed(proof: dict[str, Any]) -> list[str]:
    return [c.name for c in draw_checks(proof)[0] if not c.passed]


def _reroot(proof: dict[str, Any]) -> dict[str, Any]:
    """What an operator publishes after editing a v2 proof's entries: root and draw redone."""
    from alot_verify.draw import _parse_entries

    entries = _parse_entries(proof["entries"], "entries")
    inputs = dict(proof["draw_inputs"], ticket_map_root=ticket_map_root(entries))
    return compute_v2(draw_inputs=inputs, server_seed=SEED, entries=entries)


# --- the entry ----------------------------------------------------------------------


def test_amount_and_seq_are_set_exactly_on_a_pseudonymous_entry() -> None:
    holder = holder_pseudonym(SECRETS[0], LOT_ID)
    with pytest.raises(ValueError, match="exactly on a pseudonymous entry"):
        Entry(None, 1, 1, holder=holder)
    with pytest.raises(ValueError, match="exactly on a pseudonymous entry"):
        Entry(None, 1, 1, holder=holder, amount_cents=100)
    with pytest.raises(ValueError, match="exactly on a pseudonymous entry"):
        Entry(USER, 1, 1, amount_cents=100, purchase_seq=3)
    assert _entry(1, 2, 0, 200, 9).to_json() == {
        "holder": holder,
        "tickets_start": 1,
        "tickets_end": 2,
        "amount_cents": 200,
        "purchase_seq": 9,
    }


def test_a_named_map_and_its_root_are_unchanged() -> None:
    named = [Entry(USER, 1, 4), Entry("00000000-0000-4000-8000-000000000002", 5, 9)]
    assert named[0].to_json() == {"user_id": USER, "tickets_start": 1, "tickets_end": 4}
    # The no-beacon vector (named) still verifies, and lists no entries.amounts check.
    assert "entries.amounts" not in verify_draw_proof(V2["no-beacon"]).checks
    proof = _proof_v1(named, escrow_balance="1.23")  # named: no amounts to sum
    assert "entries.amounts" not in verify_draw_proof(proof).checks


# --- entries.amounts: the proof alone -----------------------------------------------


@pytest.mark.parametrize("make", [_proof_v1, _proof_v2], ids=["alot-v1", "alot-v2"])
def test_amounts_summing_to_the_escrow_pass(make: Any) -> None:
    result = verify_draw_proof(make())
    assert "entries.amounts" in result.checks
    assert result.checks.index("entries.amounts") == result.checks.index("entries") + 1


def test_the_vector_amounts_sum_to_its_escrow() -> None:
    assert sum(e["amount_cents"] for e in PROOF["entries"]) == PROOF["draw_inputs"]["escrow_cents"]
    assert "entries.amounts" in verify_draw_proof(PROOF).checks


def test_a_sock_puppet_entry_fails_on_the_proof_alone() -> None:
    """The attack of #19: tickets nobody paid for added to the map (root and draw redone).
    Its amount must come from somewhere: claimed, it sums past the escrow."""
    proof = copy.deepcopy(_proof_v2())
    proof["entries"].append(
        {
            "holder": "ab" * 32,
            "tickets_start": 11,
            "tickets_end": 15,
            "amount_cents": 500,
            "purchase_seq": 30,
        }
    )
    proof["draw_inputs"]["total_tickets"] = 15
    tampered = _reroot(proof)
    assert _failed(tampered) == ["entries.amounts"]
    checks, _ = draw_checks(tampered)
    (check,) = [c for c in checks if c.name == "entries.amounts"]
    (failure,) = check.failures
    assert failure.field == "entries[*].amount_cents"
    assert failure.expected.startswith("900 ")
    assert failure.actual == "1400"


def test_an_amount_shifted_off_the_escrow_fails_v2_alone() -> None:
    proof = copy.deepcopy(_proof_v2())
    proof["entries"][2]["amount_cents"] -= 1
    assert _failed(_reroot(proof)) == ["entries.amounts"]
    # Without the root redone, the root fails too.
    assert set(_failed(proof)) == {"entries.amounts", "ticket_map_root"}


def test_alot_v1_converts_the_escrow_balance_to_cents(draw_proofs: Any) -> None:
    entries = [_entry(1, 1, 0, 12345, 3), _entry(2, 3, 1, 1, 4)]
    proof = _proof_v1(entries, escrow_balance="123.46")
    verify_draw_proof(proof)
    tampered = draw_proofs.tampered(proof, "entries[1].amount_cents", 2)
    assert _failed(tampered) == ["entries.amounts"]
    assert draw_proofs.failed_fields(tampered) == {"entries[*].amount_cents"}


def test_the_amounts_negative_vector_fails_only_entries_amounts() -> None:
    vector = NEGATIVE["amounts-not-the-escrow"]
    assert vector["must_fail"] == ["entries.amounts"]
    assert _failed(vector["proof"]) == ["entries.amounts"]


def test_compute_refuses_amounts_that_are_not_the_escrow() -> None:
    with pytest.raises(InputError, match="do not sum to the escrow") as caught:
        _proof_v2(escrow_cents=901)
    assert caught.value.where == "entries"
    with pytest.raises(InputError, match="do not sum to the escrow"):
        _proof_v1(escrow_balance="9.01")


# --- malformed entries --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("entries[0].amount_cents", -1),
        ("entries[0].amount_cents", True),
        ("entries[0].amount_cents", 1.5),
        ("entries[0].amount_cents", "300"),
        ("entries[0].amount_cents", None),
        ("entries[0].amount_cents", MAX_SAFE_INTEGER + 1),
        ("entries[0].amount_cents", 0),  # a paid entry pays at least a cent
        ("entries[1].amount_cents", 100),  # a free entry pays nothing
        ("entries[0].purchase_seq", 0),
        ("entries[0].purchase_seq", False),
        ("entries[0].purchase_seq", MAX_SAFE_INTEGER + 1),
        ("entries[2].purchase_seq", 11),  # entries[0]'s purchase
    ],
    ids=repr,
)
@pytest.mark.parametrize("make", [_proof_v1, _proof_v2], ids=["alot-v1", "alot-v2"])
def test_a_malformed_amount_or_seq_is_an_input_error(
    make: Any, path: str, value: Any, draw_proofs: Any
) -> None:
    with pytest.raises(InputError) as caught:
        draw_checks(draw_proofs.tampered(make(), path, value))
    assert caught.value.where == path


def test_a_shared_purchase_seq_is_named_at_the_second_entry(draw_proofs: Any) -> None:
    tampered = draw_proofs.tampered(_proof_v2(), "entries[3].purchase_seq", 12)
    with pytest.raises(InputError, match=r"already entries\[1\]'s purchase") as caught:
        draw_checks(tampered)
    assert caught.value.where == "entries[3].purchase_seq"


@pytest.mark.parametrize("name", ["amount_cents", "purchase_seq"])
def test_a_pseudonymous_entry_needs_both(name: str) -> None:
    proof = copy.deepcopy(_proof_v2())
    del proof["entries"][2][name]
    with pytest.raises(InputError, match="missing field") as caught:
        draw_checks(proof)
    assert caught.value.where == f"entries[2].{name}"


@pytest.mark.parametrize("name", ["amount_cents", "purchase_seq"])
def test_a_named_entry_carries_neither(name: str, draw_proofs: Any) -> None:
    tampered = draw_proofs.tampered(V2["no-beacon"], f"entries[1].{name}", 100)
    with pytest.raises(InputError, match="unknown field") as caught:
        draw_checks(tampered)
    assert caught.value.where == f"entries[1].{name}"


def test_the_free_entry_negative_vector_is_malformed() -> None:
    vector = NEGATIVE["free-entry-with-amount"]
    with pytest.raises(InputError) as caught:
        draw_checks(vector["proof"])
    assert caught.value.where == vector["malformed"] == "entries[1].amount_cents"


# --- the command line ---------------------------------------------------------------


def _run(tmp_path: Path, proof: dict[str, Any], *extra: str) -> Result:
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof), encoding="utf-8")
    return CliRunner().invoke(cli, ["draw", str(path), *extra])


def test_the_cli_fails_amounts_not_the_escrow(tmp_path: Path) -> None:
    result = _run(tmp_path, NEGATIVE["amounts-not-the-escrow"]["proof"])
    assert result.exit_code == 1, result.output
    (fail,) = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert fail == (
        "FAIL: entries[*].amount_cents: expected 900 (draw_inputs.escrow_cents), got 1000 "
        "(the entries' amounts do not sum to the escrow)"
    )
    report = CliRunner().invoke(cli, ["--json", "draw", str(tmp_path / "proof.json")])
    failed = [c["check"] for c in json.loads(report.stdout)["checks"] if not c["ok"]]
    assert failed == ["entries.amounts"]
    result = _run(tmp_path, NEGATIVE["free-entry-with-amount"]["proof"])
    assert result.exit_code == 2, result.output
    assert "entries[1].amount_cents" in result.output


# --- with the ledger export ---------------------------------------------------------


def _report(tmp_path: Path, proof: dict[str, Any], lines: list[str]) -> dict[str, Any]:
    result = draw_with_ledger(tmp_path, proof, lines)
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _check(report: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [c for c in report["checks"] if c["check"] == name]


def test_each_entry_is_written_at_its_purchase_seq_with_its_amount(tmp_path: Path) -> None:
    lines = draw_ledger_lines(PROOF)
    by_seq = {json.loads(line)["seq"]: json.loads(line) for line in lines}
    for entry in PROOF["entries"]:
        purchase = by_seq[entry["purchase_seq"]]
        assert purchase["kind"] == ("free_entry" if entry.get("kind") else "entry_purchase")
        assert purchase["refs"]["holder"] == entry["holder"]
        escrow = f"lot:{PROOF['draw_inputs']['lot_id']}:escrow"
        paid = sum(p["amount"] for p in purchase["postings"] if p["account"] == escrow)
        assert paid == entry["amount_cents"]
    assert ledger_failures(lines) == []
    report = _report(tmp_path, PROOF, lines)
    assert all(c["ok"] for c in report["checks"]), report["checks"]


def test_an_amount_that_is_not_its_purchases_fails_the_rebuilt_map(tmp_path: Path) -> None:
    """The escrow still sums (200 + 500 for 300 + 400): the proof alone cannot tell, the
    rebuilt map can (the ledger negative vector entry-amount-not-its-purchase)."""
    lines = draw_ledger_lines(PROOF, amounts={0: 200, 2: 500})
    checks = {check for _, check, _ in ledger_failures(lines)}
    assert checks == {CHECK_TICKET_MAP}
    assert CHECK_ESCROW not in checks
    report = _report(tmp_path, PROOF, lines)
    (purchased,) = _check(report, "draw.entries_purchased")
    assert not purchased["ok"]
    text = json.dumps(purchased)
    assert f"at seq {PROOF['entries'][0]['purchase_seq']}" in text
    vector = LEDGER_NEGATIVE["entry-amount-not-its-purchase"]
    assert vector["ledger"] == lines
    assert vector["must_fail"] == ["draw.entries_purchased", "draw.ticket_map_from_ledger"]


def _claiming(seq_of: dict[int, int]) -> dict[str, Any]:
    """The vector proof with entries' purchase_seqs changed (root and draw redone), so the
    proof alone still passes."""
    proof = copy.deepcopy(PROOF)
    for index, seq in seq_of.items():
        proof["entries"][index]["purchase_seq"] = seq
    from alot_verify.draw import _parse_entries

    entries = _parse_entries(proof["entries"], "entries")
    proof["draw_inputs"]["ticket_map_root"] = ticket_map_root(entries)
    # The freeze in the ledger is then this proof's (the operator froze the lie).
    return compute_v2(
        draw_inputs=proof["draw_inputs"],
        server_seed=proof["server_seed"],
        entries=entries,
        beacon=proof["beacon"],
    )


def _seqs_as(proof: dict[str, Any], honest: dict[str, Any]) -> dict[str, Any]:
    """``proof`` with its entries written to the ledger at ``honest``'s seqs (its frozen
    inputs, and so its root, unchanged)."""
    out = copy.deepcopy(proof)
    for mine, theirs in zip(out["entries"], honest["entries"], strict=True):
        mine["purchase_seq"] = theirs["purchase_seq"]
    return out


def test_a_seq_that_is_no_purchase_is_named_with_the_seq_holding_its_tickets(
    tmp_path: Path,
) -> None:
    """The frozen map says entries[2] was bought at a seq that is another transaction
    (root and draw redone, so the proof alone passes); its real purchase is elsewhere."""
    honest = draw_ledger_lines(PROOF)
    kinds = {json.loads(line)["seq"]: json.loads(line)["kind"] for line in honest}
    real = PROOF["entries"][2]["purchase_seq"]
    other = next(seq for seq in range(real - 1, 0, -1) if kinds[seq] == "credit_purchase")
    lied = _claiming({2: other})
    verify_draw_proof(lied)
    lines = draw_ledger_lines(_seqs_as(lied, PROOF))
    assert {check for _, check, _ in ledger_failures(lines)} == {CHECK_TICKET_MAP}
    report = _report(tmp_path, lied, lines)
    (purchased,) = _check(report, "draw.entries_purchased")
    assert not purchased["ok"]
    text = json.dumps(purchased)
    assert "entries[2].purchase_seq" in text
    assert f"no such purchase at seq {other}" in text
    assert f"these tickets are entry_purchase at seq {real}" in text


def test_two_entries_swapping_seqs_are_named_with_both_seqs(tmp_path: Path) -> None:
    first, third = PROOF["entries"][0]["purchase_seq"], PROOF["entries"][2]["purchase_seq"]
    lied = _claiming({0: third, 2: first})
    lines = draw_ledger_lines(_seqs_as(lied, PROOF))
    report = _report(tmp_path, lied, lines)
    (purchased,) = _check(report, "draw.entries_purchased")
    assert not purchased["ok"]
    text = json.dumps(purchased)
    assert f"entry_purchase at seq {third}" in text
    assert f"these tickets are entry_purchase at seq {first}" in text
