"""`alot-verify draw`: exit codes and output for valid, tampered and malformed proofs."""

from __future__ import annotations

import copy
import http.server
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alot_verify.cli import cli
from alot_verify.draw import BEACON_DECLARED_NOTE
from click.testing import CliRunner, Result

SPEC_VECTORS = Path(__file__).resolve().parents[2] / "docs" / "spec" / "vectors"
V1_VECTORS: list[dict[str, Any]] = json.loads(
    (SPEC_VECTORS / "draw-alot-v1.json").read_text(encoding="utf-8")
)["vectors"]
V2_VECTORS: dict[str, dict[str, Any]] = {
    v["name"]: v
    for v in json.loads((SPEC_VECTORS / "draw-alot-v2.json").read_text(encoding="utf-8"))["vectors"]
}
PROOF = V1_VECTORS[0]


def _run(args: list[str], proof: Any = None, *, raw: str | None = None) -> Result:
    """Run the CLI with the proof (or raw text) on stdin when PROOF is '-'."""
    text = raw if raw is not None else (json.dumps(proof) if proof is not None else None)
    return CliRunner().invoke(cli, args, input=text)


def _write(tmp_path: Path, proof: Any) -> str:
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("vector", V1_VECTORS, ids=[v["lot_id"][:8] for v in V1_VECTORS])
def test_each_shared_vector_verifies(tmp_path: Path, vector: dict[str, Any]) -> None:
    result = _run(["draw", _write(tmp_path, vector)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 7
    assert all(line.startswith("OK: ") for line in lines)
    assert f"OK: winner_user_id holds the winning ticket {vector['winning_ticket']}" in lines


def test_tampered_proof_exits_1_and_names_the_field() -> None:
    tampered = {**PROOF, "combined_seed": "0" * 64}
    result = _run(["draw", "-"], tampered)
    assert result.exit_code == 1
    assert f"FAIL: combined_seed: expected {PROOF['combined_seed']}, got {'0' * 64}" in (
        result.stdout.splitlines()
    )
    # The other checks still report, so an auditor sees exactly what failed.
    assert "OK: nonce is 0 (alot-v1 never redraws)" in result.stdout


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("nonce", 1, "nonce"),
        ("server_seed_commitment", "ab" * 32, "server_seed_commitment"),
        ("server_seed", "ab" * 32, "server_seed_commitment"),
        ("client_seed", "ab" * 32, "client_seed"),
        ("escrow_balance", "1.00", "client_seed"),
        ("lot_id", "00000000-0000-4000-8000-000000000000", "client_seed"),
        ("created_at", "2020-01-01T00:00:00.000000Z", "client_seed"),
        ("total_tickets", 1649, "client_seed"),
        ("winning_ticket", 1, "winning_ticket"),
        ("winner_user_id", "00000000-0000-4000-8000-000000000000", "winner_user_id"),
    ],
)
def test_every_field_tamper_exits_1(field: str, value: Any, named: str) -> None:
    result = _run(["draw", "-"], {**PROOF, field: value})
    assert result.exit_code == 1, result.output
    assert f"FAIL: {named}: expected " in result.stdout


def test_entry_tamper_exits_1() -> None:
    tampered = copy.deepcopy(PROOF)
    tampered["entries"][2]["tickets_start"] = 300
    result = _run(["draw", "-"], tampered)
    assert result.exit_code == 1
    assert "FAIL: entries[2].tickets_start: expected 326, got 300 (overlap or out of order)" in (
        result.stdout
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("escrow_balance", "1650.5", "error: escrow_balance: must be dollars with exactly two"),
        ("server_seed", "AB" * 32, "error: server_seed: must be lowercase hex"),
        (
            "server_seed",
            "ab" * 31,
            "error: server_seed: must be 64 lowercase hex characters, got 62",
        ),
        ("lot_id", "not-a-uuid", "error: lot_id: must be a lowercase hyphenated UUID"),
        ("created_at", "2026-04-06T20:34:43Z", "error: created_at: must be YYYY-MM-DDTHH:MM:SS"),
        ("total_tickets", "1650", "error: total_tickets: must be an integer, got string"),
        ("algorithm", "alot-v9", "error: algorithm: unsupported algorithm 'alot-v9'"),
    ],
)
def test_malformed_proof_exits_2_naming_the_field(field: str, value: Any, message: str) -> None:
    result = _run(["draw", "-"], {**PROOF, field: value})
    assert result.exit_code == 2
    assert result.stderr.startswith(message), result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_missing_field_exits_2() -> None:
    proof = {k: v for k, v in PROOF.items() if k != "client_seed"}
    result = _run(["draw", "-"], proof)
    assert result.exit_code == 2
    assert result.stderr == "error: client_seed: missing field\n"


def test_invalid_json_exits_2_with_the_line(tmp_path: Path) -> None:
    text = json.dumps(PROOF, indent=1)
    path = tmp_path / "truncated.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    result = _run(["draw", str(path)])
    assert result.exit_code == 2
    assert "invalid JSON" in result.stderr
    assert "line " in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = _run(["draw", str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    assert "absent.json" in result.stderr


def test_json_output() -> None:
    result = _run(["--json", "draw", "-"], PROOF)
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["command"] == "draw"
    assert document["verified"] is True
    assert document["winner_user_id"] == PROOF["winner_user_id"]
    assert document["winning_ticket"] == PROOF["winning_ticket"]
    assert [c["check"] for c in document["checks"]] == [
        "nonce",
        "server_seed_commitment",
        "client_seed",
        "combined_seed",
        "winning_ticket",
        "entries",
        "winner_user_id",
    ]


def test_json_output_of_a_failure() -> None:
    result = _run(["--json", "draw", "-"], {**PROOF, "nonce": 2})
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["verified"] is False
    failed = [c for c in document["checks"] if not c["ok"]]
    assert failed == [{"check": "nonce", "ok": False, "message": "nonce: expected 0, got 2"}]


def test_json_output_of_malformed_input() -> None:
    result = _run(["--json", "draw", "-"], raw="{")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["verified"] is False


def test_verbose_shows_the_traceback_of_unreadable_input() -> None:
    result = _run(["--verbose", "draw", "-"], {**PROOF, "nonce": "0"})
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert "error: nonce: must be an integer" in result.stderr


def test_bad_beacon_public_key_exits_2() -> None:
    result = _run(["draw", "--beacon-public-key", "xyz", "-"], PROOF)
    assert result.exit_code == 2
    assert "--beacon-public-key: not hex" in result.stderr


@pytest.fixture
def served_proof(serve_http: Callable[[type[http.server.BaseHTTPRequestHandler]], str]) -> str:
    """A real local HTTP server serving the first vector at /draw."""
    body = json.dumps(PROOF).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/draw":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return serve_http(Handler)


def test_proof_from_a_url(served_proof: str) -> None:
    result = _run(["draw", f"{served_proof}/draw"])
    assert result.exit_code == 0, result.output
    assert "OK: winner_user_id holds the winning ticket" in result.stdout


def test_unreachable_url_exits_2(served_proof: str) -> None:
    result = _run(["draw", f"{served_proof}/missing"])
    assert result.exit_code == 2
    assert "could not fetch" in result.stderr


# --- alot-v2 ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(V2_VECTORS))
def test_each_v2_vector_verifies(name: str) -> None:
    proof = V2_VECTORS[name]["proof"]
    result = _run(["draw", "-"], proof)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(line.startswith("OK: ") for line in lines)
    assert "OK: entries hash to the ticket map root frozen at funding" in lines
    # Nothing is left unchecked: a beacon's chain and signature are checked by default.
    # Without a beacon, whether the lot was declared beacon-less is the ledger's to show,
    # and the verifier says so loudly (on stderr: stdout stays one line per check).
    if proof["draw_inputs"]["beacon"] is None:
        assert f"WARNING: NOT CHECKED: {BEACON_DECLARED_NOTE}" in result.stderr.splitlines()
    else:
        assert result.stderr == ""
    if proof["beacon"] is not None:
        assert any(line.startswith("OK: beacon.signature is drand ") for line in lines)


def test_v2_beacon_signature_checked_without_any_option() -> None:
    vector = V2_VECTORS["quicknet-beacon"]
    result = _run(["draw", "-"], vector["proof"])
    assert result.exit_code == 0, result.output
    assert (
        "OK: beacon.signature is drand quicknet's signature of round 1000 "
        "(bls-unchained-g1-rfc9380)" in result.stdout.splitlines()
    )
    assert "OK: draw_inputs.beacon names drand quicknet, pinned with its scheme and key" in (
        result.stdout.splitlines()
    )


def test_v2_beacon_public_key_must_be_the_pinned_one() -> None:
    vector = V2_VECTORS["quicknet-beacon"]
    result = _run(["draw", "--beacon-public-key", "ab" * 48, "-"], vector["proof"])
    assert result.exit_code == 1
    assert "FAIL: beacon public key: expected 83cf0f28" in result.stdout


def test_v2_renamed_losing_entry_exits_1() -> None:
    proof = copy.deepcopy(V2_VECTORS["no-beacon"]["proof"])
    loser = next(
        e
        for e in proof["entries"]
        if not e["tickets_start"] <= proof["winning_ticket"] <= e["tickets_end"]
    )
    loser["user_id"] = "00000000-0000-4000-8000-000000000000"
    result = _run(["draw", "-"], proof)
    assert result.exit_code == 1
    assert "FAIL: draw_inputs.ticket_map_root: expected " in result.stdout


def test_v2_json_output_lists_nothing_unchecked() -> None:
    result = _run(["--json", "draw", "-"], V2_VECTORS["quicknet-beacon"]["proof"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["algorithm"] == "alot-v2"
    assert document["lot_id"] == V2_VECTORS["quicknet-beacon"]["proof"]["draw_inputs"]["lot_id"]
    assert document["unchecked"] == []


def test_draw_without_a_beacon_never_imports_the_pairing_library(tmp_path: Path) -> None:
    # Cold start: py_ecc is slow to import, so only a BLS check may load it.
    proof_path = _write(tmp_path, V2_VECTORS["no-beacon"]["proof"])
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from alot_verify.cli import cli\n"
        f"result = CliRunner().invoke(cli, ['draw', {proof_path!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('py_ecc', 'httpx')))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_a_pseudonymous_proof_prints_the_winner_holder(tmp_path: Path) -> None:
    proof = V2_VECTORS["pseudonymous-holders"]["proof"]
    result = _run(["draw", _write(tmp_path, proof)])
    assert result.exit_code == 0, result.output
    line = f"OK: winner holder {proof['winner_holder']} holds the winning ticket"
    assert f"{line} {proof['winning_ticket']}" in result.stdout.splitlines()
    document = json.loads(_run(["--json", "draw", _write(tmp_path, proof)]).stdout)
    assert document["winner_holder"] == proof["winner_holder"]
    assert "winner_user_id" not in document
    assert document["checks"][-1]["check"] == "winner_holder"


def test_a_map_mixing_names_and_pseudonyms_exits_2(tmp_path: Path) -> None:
    proof = copy.deepcopy(V2_VECTORS["pseudonymous-holders"]["proof"])
    entry = proof["entries"][1]
    proof["entries"][1] = {
        "user_id": "00000000-0000-4000-8000-000000000000",
        "tickets_start": entry["tickets_start"],
        "tickets_end": entry["tickets_end"],
        "kind": "free",
    }
    result = _run(["draw", _write(tmp_path, proof)])
    assert result.exit_code == 2
    assert "entries[1].user_id" in result.stderr
    assert "mixes names and pseudonyms" in result.stderr
