"""The draw against the ledger (issue 19): `alot-verify ledger`'s draw rules (C3),
`alot-verify draw --ledger` with witnessed timing (C5) and `alot-verify winner`.

Each attack test says how the verifier as it was answered (it passed the attack) and
which new check now fails it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from alot_verify._testing import (
    UNDECLARED,
    check_outcomes,
    draw_ledger_lines,
    ledger_failures,
    vector_keys,
)
from alot_verify.beacon import QUICKNET
from alot_verify.checkpoint import Checkpoint, sign_checkpoint
from alot_verify.cli import cli
from alot_verify.cosignature import cosign, witness_key_from_seed
from alot_verify.draw import Entry, compute_v2, draw_checks, first_round
from alot_verify.draw_ledger import lot_rule_failures
from alot_verify.ledger import LedgerFailed, verify_ledger_file
from alot_verify.merkle import CompactRange
from click.testing import CliRunner, Result

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "spec" / "vectors"
V2 = {
    v["name"]: v["proof"]
    for v in json.loads((VECTORS / "draw-alot-v2.json").read_text(encoding="utf-8"))["vectors"]
}
V1 = json.loads((VECTORS / "draw-alot-v1.json").read_text(encoding="utf-8"))["vectors"][0]
NO_BEACON = V2["no-beacon"]
QUICKNET_PROOF = V2["quicknet-beacon"]
ROUND_1000_TIME = QUICKNET.round_time(1000)  # 2023-08-23T15:59:24Z


def _run(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args)


def _write(path: Path, lines: list[str]) -> str:
    path.write_text("".join(lines), encoding="utf-8")
    return str(path)


def _proof_file(tmp_path: Path, proof: dict[str, Any]) -> str:
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof), encoding="utf-8")
    return str(path)


def _recomputed(proof: dict[str, Any], **changes: Any) -> dict[str, Any]:
    inputs = {**proof["draw_inputs"], **changes}
    return compute_v2(
        draw_inputs=inputs,
        server_seed=proof["server_seed"],
        entries=[Entry(**e) for e in proof["entries"]],
        beacon=proof["beacon"],
    )


# --- alot-verify ledger: C3 ------------------------------------------------------------


def test_platform_shaped_draw_memos_pass() -> None:
    for proof in (NO_BEACON, QUICKNET_PROOF, V2["default-chain-beacon"], V1):
        assert ledger_failures(draw_ledger_lines(proof)) == []


def test_two_freezes_fail_naming_both_seqs() -> None:
    """Attack: freeze K input sets for one lot, publish the best. The verifier as it was
    had no draw rules (`alot-verify ledger` passed); now `draw.one_freeze` fails."""
    other = {**NO_BEACON["draw_inputs"], "funded_at": "2026-03-01T12:00:00.000001Z"}
    lines = draw_ledger_lines(NO_BEACON, second_freeze=other)
    (failure,) = ledger_failures(lines)
    seq, check, message = failure
    first = 11  # after the opening, filler and one purchase per entry
    assert (seq, check) == (first + 3, "draw.one_freeze")
    lot = NO_BEACON["draw_inputs"]["lot_id"]
    assert f"lot {lot}" in message
    assert f"seq {first}" in message
    assert f"seq {first + 3}" in message


def test_two_freezes_in_different_chunks_are_still_found(tmp_path: Path) -> None:
    """Per-lot state is gathered per chunk and merged: chunks of ~1 line each put the two
    freezes in different workers' chunks, and the failure is the one-pass one."""
    other = {**NO_BEACON["draw_inputs"], "funded_at": "2026-03-01T12:00:00.000001Z"}
    lines = draw_ledger_lines(NO_BEACON, second_freeze=other)
    path = _write(tmp_path / "export.jsonl", lines)
    with pytest.raises(LedgerFailed) as one_pass:
        verify_ledger_file(path, workers=1)
    with pytest.raises(LedgerFailed) as chunked:
        verify_ledger_file(path, workers=2, chunk_bytes=200)
    assert chunked.value.failures == one_pass.value.failures
    found = [(f.line, f.seq, f.check) for f in chunked.value.failures]
    assert found == [(14, 14, "draw.one_freeze")]
    assert chunked.value.summary.draw_memos == one_pass.value.summary.draw_memos


def test_ledger_cli_names_the_draw_checks(tmp_path: Path) -> None:
    other = {**NO_BEACON["draw_inputs"], "funded_at": "2026-03-01T12:00:00.000001Z"}
    path = _write(tmp_path / "e.jsonl", draw_ledger_lines(NO_BEACON, second_freeze=other))
    result = _run(["ledger", path])
    assert result.exit_code == 1, result.output
    assert "FAIL: line 14, seq 14: draw.one_freeze: lot " in result.stdout
    assert "OK: freeze memos of declared lots reveal the committed server seed" in result.stdout
    good = _write(tmp_path / "g.jsonl", draw_ledger_lines(NO_BEACON))
    result = _run(["ledger", good])
    assert result.exit_code == 0, result.output
    assert "OK: at most one freeze memo (draw_inputs) per lot" in result.stdout


def test_undeclared_null_beacon_fails_the_ledger() -> None:
    """Attack: a v2 lot drawn without a beacon, by the operator's choice. The verifier as
    it was accepted `beacon: null` silently; now `draw.beacon_declared` fails unless the
    opening memo declared the lot beacon-less."""
    (failure,) = ledger_failures(draw_ledger_lines(NO_BEACON, declare=UNDECLARED))
    assert failure[:2] == (11, "draw.beacon_declared")
    assert "not declared beacon-less at opening" in failure[2]
    assert ledger_failures(draw_ledger_lines(NO_BEACON, declare=None)) == []


def test_declared_chain_must_be_the_frozen_one() -> None:
    declared = {"chain_hash": "ab" * 32, "scheme": QUICKNET.scheme}
    (failure,) = ledger_failures(draw_ledger_lines(QUICKNET_PROOF, declare=declared))
    assert failure[1] == "draw.beacon_declared"
    (failure,) = ledger_failures(draw_ledger_lines(QUICKNET_PROOF, declare=None))
    assert failure[1] == "draw.beacon_declared"
    assert "declared the lot beacon-less" in failure[2]
    (failure,) = ledger_failures(draw_ledger_lines(NO_BEACON, declare=declared))
    assert failure[1] == "draw.beacon_declared"


def test_legacy_undeclared_lots_still_pass() -> None:
    """Lots opened before C1 (no `beacon` member, no revealed seed) keep verifying, except
    a v2 draw without a beacon (above)."""
    for proof in (QUICKNET_PROOF, V1):
        assert (
            ledger_failures(draw_ledger_lines(proof, declare=UNDECLARED, reveal_seed=False)) == []
        )


def test_withheld_or_wrong_seed_fails_seed_revealed() -> None:
    """Attack: keep the server seed until after the draw (learn the result first, refund a
    draw one dislikes). The verifier as it was never looked at the freeze memo; now a
    declared lot's freeze must reveal the committed seed (`draw.seed_revealed`)."""
    (failure,) = ledger_failures(draw_ledger_lines(QUICKNET_PROOF, reveal_seed=False))
    assert failure[1] == "draw.seed_revealed"
    assert "no server_seed" in failure[2]
    failures = ledger_failures(draw_ledger_lines(QUICKNET_PROOF, revealed_seed="11" * 32))
    assert {f[1] for f in failures} == {"draw.seed_revealed"}
    assert len(failures) == 2  # neither the opening commitment nor the frozen one opens
    failures = ledger_failures(draw_ledger_lines(V1, revealed_seed="11" * 32))
    assert {f[1] for f in failures} == {"draw.seed_revealed"}


def test_partial_export_without_the_opening_is_not_judged() -> None:
    memos = [(1, 40, "draw_inputs", {"algorithm": "alot-v2", "draw_inputs": {"beacon": None}})]
    assert lot_rule_failures("x", memos, partial=True) == []
    assert [f[2] for f in lot_rule_failures("x", memos)] == ["draw.beacon_declared"]


# --- alot-verify draw: beacon.first_round (C4) and the beacon-less note -------------------


def test_late_round_fails_first_round() -> None:
    """Attack: name a later round than the rule gives (wait for rounds, pick one). The
    verifier as it was checked only that the round was due after funded_at; now
    `beacon.first_round` fails."""
    proof = _recomputed(QUICKNET_PROOF, funded_at="2023-08-23T15:58:40.000000Z")
    assert first_round(QUICKNET, "2023-08-23T15:58:40.000000Z") == 996
    checks, _ = draw_checks(proof)
    assert {c.name for c in checks if not c.passed} == {"beacon.first_round"}
    # The vector's own funded_at gives round 1000: the rule's boundary, to the second.
    assert first_round(QUICKNET, QUICKNET_PROOF["draw_inputs"]["funded_at"]) == 1000
    assert first_round(QUICKNET, "2023-08-23T15:58:53.999999Z") == 1000
    assert first_round(QUICKNET, "2023-08-23T15:58:54.000000Z") == 1001


def test_beacon_less_proof_alone_prints_a_loud_note(tmp_path: Path) -> None:
    result = _run(["draw", _proof_file(tmp_path, NO_BEACON)])
    assert result.exit_code == 0, result.output
    assert (
        "WARNING: NOT CHECKED: beacon.declared: this alot-v2 draw has no drand beacon: only "
        "the ledger shows whether this lot was declared beacon-less at opening; give --ledger"
    ) in result.stderr.splitlines()
    assert all(line.startswith("OK: ") for line in result.stdout.splitlines())
    result = _run(["--json", "draw", _proof_file(tmp_path, NO_BEACON)])
    report = json.loads(result.stdout)
    assert report["verified"] is True
    assert report["notes"] == [f"NOT CHECKED: {report['unchecked'][0]}"]
    assert report["unchecked"][0].startswith("beacon.declared: ")


# --- alot-verify draw --ledger ---------------------------------------------------------


def test_draw_with_ledger_declared_beacon_less_passes(tmp_path: Path) -> None:
    export = _write(tmp_path / "e.jsonl", draw_ledger_lines(NO_BEACON, declare=None))
    result = _run(["draw", _proof_file(tmp_path, NO_BEACON), "--ledger", export])
    assert result.exit_code == 0, result.output
    assert "NOT CHECKED" not in result.stdout
    assert "OK: beacon.declared: the lot was declared beacon-less when it opened" in result.stdout
    assert "OK: the proof's inputs are those frozen at funding" in result.stdout


def test_draw_with_ledger_undeclared_null_beacon_fails(tmp_path: Path) -> None:
    """The null-beacon attack, end to end: the proof alone passes (with a note), with the
    ledger it fails `draw.beacon_declared` (exit 1)."""
    export = _write(tmp_path / "e.jsonl", draw_ledger_lines(NO_BEACON, declare=UNDECLARED))
    result = _run(["--json", "draw", _proof_file(tmp_path, NO_BEACON), "--ledger", export])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    failed = {c["check"] for c in report["checks"] if not c["ok"]}
    assert failed == {"draw.beacon_declared"}


def test_draw_with_ledger_finds_other_frozen_inputs(tmp_path: Path) -> None:
    """A proof whose inputs are not the frozen ones (a second set, a rewritten funded_at)."""
    other = _recomputed(NO_BEACON, funded_at="2026-03-01T12:00:00.000001Z")
    export = _write(tmp_path / "e.jsonl", draw_ledger_lines(NO_BEACON, declare=None))
    result = _run(["--json", "draw", _proof_file(tmp_path, other), "--ledger", export])
    assert result.exit_code == 1, result.output
    failed = {c["check"] for c in json.loads(result.stdout)["checks"] if not c["ok"]}
    assert failed == {"draw.inputs_frozen", "draw.result_recorded"}


def test_draw_with_ledger_of_another_lot_fails(tmp_path: Path) -> None:
    export = _write(tmp_path / "e.jsonl", draw_ledger_lines(QUICKNET_PROOF))
    result = _run(["draw", _proof_file(tmp_path, NO_BEACON), "--ledger", export])
    assert result.exit_code == 1
    assert "FAIL: draw_inputs memo: expected one with refs.lot_id" in result.stdout


def test_draw_ledger_usage_errors(tmp_path: Path) -> None:
    proof = _proof_file(tmp_path, NO_BEACON)
    assert _run(["draw", proof, "--cosigned", "x"]).exit_code == 2
    export = _write(tmp_path / "e.jsonl", draw_ledger_lines(NO_BEACON, declare=None))
    assert _run(["draw", proof, "--ledger", export, "--cosigned", "x"]).exit_code == 2
    assert _run(["draw", proof, "--ledger", str(tmp_path / "missing.jsonl")]).exit_code == 2


# --- witnessed timing (C5) ---------------------------------------------------------------


def _signed_note(lines: list[str]) -> tuple[str, Checkpoint]:
    compact = CompactRange()
    for line in lines:
        compact.append(bytes.fromhex(json.loads(line)["hash"]))
    signer, _ = vector_keys()
    checkpoint = Checkpoint("alot.local/ledger", compact.size, compact.root())
    return sign_checkpoint(checkpoint, signer), checkpoint


def _witness(name: str) -> tuple[str, str]:
    return witness_key_from_seed(name, name.encode().ljust(32, b"\0")[:32])


def _timing_args(
    tmp_path: Path, proof: dict[str, Any], note: str, export: list[str], witnesses: list[str]
) -> list[str]:
    (tmp_path / "note").write_text(note, encoding="utf-8")
    args = ["--json", "draw", _proof_file(tmp_path, proof)]
    args += ["--ledger", _write(tmp_path / "e.jsonl", export), "--cosigned", str(tmp_path / "note")]
    args += ["--key", vector_keys()[1]]
    for key in witnesses:
        args += ["--witness", key]
    return args


def test_witnessed_before_round_passes(tmp_path: Path) -> None:
    lines = draw_ledger_lines(QUICKNET_PROOF)
    note, checkpoint = _signed_note(lines)
    keys = [_witness(f"witness.test/w{i}") for i in (1, 2, 3)]
    funded = 1692806332  # 2023-08-23T15:58:52Z, the vector's funded_at
    for (signer, _), t in zip(keys, (funded + 2, funded + 5, ROUND_1000_TIME + 100), strict=True):
        note += cosign(checkpoint, signer, t)
    args = _timing_args(tmp_path, QUICKNET_PROOF, note, lines, [v for _, v in keys])
    result = _run([*args, "--quorum", "2"])
    assert result.exit_code == 0, result.output
    checks = check_outcomes(result)
    assert checks["beacon.witnessed"]
    assert checks["beacon.witnessed_before_round"]
    # T is the K-th smallest time: with all three needed, the late one decides, and fails.
    result = _run(args)
    assert result.exit_code == 1, result.output
    checks = check_outcomes(result)
    assert checks["beacon.witnessed"]
    assert not checks["beacon.witnessed_before_round"]


def test_too_few_cosignatures_or_a_rewritten_export_fail_witnessed(tmp_path: Path) -> None:
    lines = draw_ledger_lines(QUICKNET_PROOF)
    note, checkpoint = _signed_note(lines)
    (s1, v1), (_, v2) = _witness("witness.test/w1"), _witness("witness.test/w2")
    note += cosign(checkpoint, s1, 1692806340)
    result = _run(_timing_args(tmp_path, QUICKNET_PROOF, note, lines, [v1, v2]))
    assert result.exit_code == 1
    assert not check_outcomes(result)["beacon.witnessed"]
    assert not check_outcomes(result)["beacon.witnessed_before_round"]
    # The same witness twice counts once.
    result = _run(_timing_args(tmp_path, QUICKNET_PROOF, note, lines, [v1, v1]))
    assert result.exit_code == 0, result.output
    # An export whose first `size` transactions are not what was cosigned.
    rewritten = draw_ledger_lines(QUICKNET_PROOF, filler=3)[: len(lines)]
    result = _run(_timing_args(tmp_path, QUICKNET_PROOF, note, rewritten, [v1]))
    assert result.exit_code == 1
    assert not check_outcomes(result)["beacon.witnessed"]


def test_checkpoint_must_cover_the_freeze(tmp_path: Path) -> None:
    lines = draw_ledger_lines(QUICKNET_PROOF)
    note, checkpoint = _signed_note(lines[:4])  # the freeze is seq 6
    signer, verifier = _witness("witness.test/w1")
    note += cosign(checkpoint, signer, 1692806340)
    result = _run(_timing_args(tmp_path, QUICKNET_PROOF, note, lines, [verifier]))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    (failure,) = [c for c in report["checks"] if c["check"] == "beacon.witnessed" and not c["ok"]]
    assert "does not cover the freeze" in failure["message"]


def test_backdated_funded_at_fails_with_a_real_witness(tmp_path: Path) -> None:
    """Attack: write a funded_at from before a round that is already public, so that the
    round looks future. The verifier as it was trusted funded_at (the operator's clock)
    and passed; a real alot-witness cosigns the freeze *now*, after round 1000 was
    published, so `beacon.witnessed_before_round` fails while `beacon.witnessed` holds."""
    from alot_witness._testing import running_witness

    lines = draw_ledger_lines(QUICKNET_PROOF)
    note, _ = _signed_note(lines)
    _, ledger_key = vector_keys()
    with running_witness(tmp_path / "witness", "witness.test/real", [ledger_key]) as witness:
        body = "old 0\n\n" + note
        response = httpx.post(f"{witness.url}/add-checkpoint", content=body.encode(), timeout=10)
        assert response.status_code == 200, response.text
        witness_key = witness.verifier_key
    result = _run(
        _timing_args(tmp_path, QUICKNET_PROOF, note + response.text, lines, [witness_key])
    )
    assert result.exit_code == 1, result.output
    checks = check_outcomes(result)
    assert checks["beacon.witnessed"]
    assert not checks["beacon.witnessed_before_round"]
    # Everything the proof and the ledger say on their own still passes.
    assert all(ok for name, ok in checks.items() if name != "beacon.witnessed_before_round")
    report = json.loads(result.stdout)
    (late,) = [c for c in report["checks"] if c["check"] == "beacon.witnessed_before_round"]
    assert "before round 1000 is due at 2023-08-23T15:59:24.000000Z" in late["message"]


# --- alot-verify winner: no withholding ---------------------------------------------------


@pytest.mark.parametrize("name", ["quicknet-beacon", "default-chain-beacon", "no-beacon"])
def test_winner_is_computable_from_the_export_alone(tmp_path: Path, name: str) -> None:
    """Attack: withhold the seed (learn the winner first, refund a draw one dislikes).
    With the verifier as it was, nobody but the platform could compute the winner before
    it published the proof; now the freeze memo reveals the seed and `winner` computes
    the platform-free compute_v2 result from the export and drand's reading alone."""
    proof = V2[name]
    export = _write(tmp_path / "e.jsonl", draw_ledger_lines(proof, result=False))
    args = ["--json", "winner", "--ledger", export, "--lot", proof["draw_inputs"]["lot_id"]]
    if proof["beacon"] is not None:
        reading = tmp_path / "reading.json"
        reading.write_text(json.dumps(proof["beacon"]), encoding="utf-8")
        args += ["--beacon", str(reading)]
    entries = tmp_path / "entries.json"
    entries.write_text(json.dumps({"entries": proof["entries"]}), encoding="utf-8")
    result = _run([*args, "--entries", str(entries)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    expected = compute_v2(
        draw_inputs=proof["draw_inputs"],
        server_seed=proof["server_seed"],
        entries=[Entry(**e) for e in proof["entries"]],
        beacon=proof["beacon"],
    )
    assert report["winning_ticket"] == expected["winning_ticket"]
    assert report["seed"] == expected["seed"]
    assert report["winner_user_id"] == expected["winner_user_id"]


def test_winner_refuses_a_forged_reading_and_a_withheld_seed(tmp_path: Path) -> None:
    proof = QUICKNET_PROOF
    lot = proof["draw_inputs"]["lot_id"]
    export = _write(tmp_path / "e.jsonl", draw_ledger_lines(proof, result=False))
    forged = copy.deepcopy(proof["beacon"])
    forged["signature"] = "97" + forged["signature"][2:]
    reading = tmp_path / "reading.json"
    reading.write_text(json.dumps(forged), encoding="utf-8")
    result = _run(["winner", "--ledger", export, "--lot", lot, "--beacon", str(reading)])
    assert result.exit_code in (1, 2), result.output  # not a winner from a forged round
    assert "winning ticket" not in result.stdout
    legacy = draw_ledger_lines(proof, declare=UNDECLARED, reveal_seed=False, result=False)
    export = _write(tmp_path / "legacy.jsonl", legacy)
    reading.write_text(json.dumps(proof["beacon"]), encoding="utf-8")
    result = _run(["winner", "--ledger", export, "--lot", lot, "--beacon", str(reading)])
    assert result.exit_code == 2
    assert "does not reveal server_seed" in result.stderr


def test_v1_draw_with_ledger(tmp_path: Path) -> None:
    """An alot-v1 draw (always declared beacon-less) checks against its frozen v1 inputs."""
    export = _write(tmp_path / "e.jsonl", draw_ledger_lines(V1))
    result = _run(["draw", _proof_file(tmp_path, V1), "--ledger", export])
    assert result.exit_code == 0, result.output
    assert "OK: alot-v1 draws use no beacon" in result.stdout
    other = {**V1, "escrow_balance": "1.00"}
    export = _write(tmp_path / "e.jsonl", draw_ledger_lines(other))
    result = _run(["--json", "draw", _proof_file(tmp_path, V1), "--ledger", export])
    assert result.exit_code == 1
    failed = {c["check"] for c in json.loads(result.stdout)["checks"] if not c["ok"]}
    assert failed == {"draw.inputs_frozen"}  # the frozen escrow_balance is not the proof's


def test_a_broken_export_fails_the_ledger_check(tmp_path: Path) -> None:
    lines = draw_ledger_lines(NO_BEACON, declare=None)
    lines[1] = lines[1].replace('"amount":500', '"amount":501')
    export = _write(tmp_path / "e.jsonl", lines)
    result = _run(["--json", "draw", _proof_file(tmp_path, NO_BEACON), "--ledger", export])
    assert result.exit_code == 1
    failed = {c["check"] for c in json.loads(result.stdout)["checks"] if not c["ok"]}
    assert failed == {"ledger"}


def test_winner_of_a_lot_frozen_twice_is_a_failure(tmp_path: Path) -> None:
    other = {**NO_BEACON["draw_inputs"], "funded_at": "2026-03-01T12:00:00.000001Z"}
    lines = draw_ledger_lines(NO_BEACON, declare=None, second_freeze=other, result=False)
    export = _write(tmp_path / "e.jsonl", lines)
    result = _run(["winner", "--ledger", export, "--lot", NO_BEACON["draw_inputs"]["lot_id"]])
    assert result.exit_code == 1, result.output
    assert "FAIL: lot " in result.stdout
    assert "winning ticket" not in result.stdout
