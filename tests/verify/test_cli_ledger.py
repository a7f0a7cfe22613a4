"""`alot-verify ledger`: exit codes, OK/FAIL lines, --json and --balances-out."""

from __future__ import annotations

import http.server
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alot_verify._testing import seal, vector_keys
from alot_verify.checkpoint import Checkpoint, generate_signer_key, sign_checkpoint
from alot_verify.cli import cli
from click.testing import CliRunner, Result


@pytest.fixture
def vectors(spec_vectors: Path) -> dict[str, str]:
    return {
        "export": str(spec_vectors / "ledger-small.jsonl"),
        "checkpoint": str(spec_vectors / "ledger-small.checkpoint"),
        "key": str(spec_vectors / "ledger-small.vkey"),
        "expected": str(spec_vectors / "ledger-small.expected.json"),
    }


@pytest.fixture
def lines(vectors: dict[str, str]) -> list[str]:
    return Path(vectors["export"]).read_text(encoding="utf-8").splitlines(True)


def _run(args: list[str], stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, args, input=stdin)


def _export(tmp_path: Path, lines: list[str], name: str = "export.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return str(path)


def test_vector_verifies(vectors: dict[str, str]) -> None:
    result = _run(
        [
            "ledger",
            vectors["export"],
            "--checkpoint",
            vectors["checkpoint"],
            "--key",
            vectors["key"],
        ]
    )
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.stdout
    assert "OK: checkpoint for alot.local/ledger (size 40) is signed by" in result.stdout
    assert "OK: Merkle root against the checkpoint: 40 transactions (seq 1..40)" in result.stdout
    assert "OK: user credits never negative" in result.stdout


def test_key_may_be_given_as_a_string(vectors: dict[str, str]) -> None:
    key = Path(vectors["key"]).read_text().strip()
    args = ["ledger", vectors["export"], "--checkpoint", vectors["checkpoint"], "--key", key]
    assert _run(args).exit_code == 0


def test_json_output_and_balances_out(vectors: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "balances.json"
    result = _run(
        [
            "--json",
            "ledger",
            vectors["export"],
            "--checkpoint",
            vectors["checkpoint"],
            "--key",
            vectors["key"],
            "--balances-out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    expected = json.loads(Path(vectors["expected"]).read_text(encoding="utf-8"))
    document = json.loads(result.stdout)
    assert document["verified"] is True
    assert document["transactions"] == 40
    assert document["merkle_root"] == expected["merkle_root"]
    assert document["head_hash"] == expected["head_hash"]
    assert document["checkpoint_size"] == 40
    assert document["failures"] == []
    balances = json.loads(out.read_text(encoding="utf-8"))
    assert balances["verified"] is True
    assert balances["last_seq"] == 40
    assert balances["balances"] == expected["balances"]


def test_stdin_export(vectors: dict[str, str]) -> None:
    text = Path(vectors["export"]).read_text(encoding="utf-8")
    result = _run(["ledger", "-"], stdin=text)
    assert result.exit_code == 0, result.output
    assert "no checkpoint given" in result.stderr


@pytest.fixture
def served(
    tmp_path: Path,
    lines: list[str],
    serve_http: Callable[[type[http.server.BaseHTTPRequestHandler]], str],
) -> str:
    """The vector export behind a real local HTTP server (the outside world, not mocked)."""
    (tmp_path / "export.jsonl").write_text("".join(lines), encoding="utf-8")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return serve_http(Handler)


def test_url_export_is_streamed(served: str, vectors: dict[str, str]) -> None:
    result = _run(
        [
            "ledger",
            f"{served}/export.jsonl",
            "--checkpoint",
            vectors["checkpoint"],
            "--key",
            vectors["key"],
        ]
    )
    assert result.exit_code == 0, result.output
    missing = _run(["ledger", f"{served}/missing.jsonl"])
    assert missing.exit_code == 2
    assert "could not fetch" in missing.stderr


@pytest.mark.parametrize(
    ("tamper", "line"),
    [
        pytest.param(lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], 2, id="reordered"),
        pytest.param(lambda ls: ls[:7] + ls[8:], 8, id="dropped"),
        pytest.param(lambda ls: [*ls[:15], ls[14], *ls[15:]], 16, id="duplicated"),
        pytest.param(
            lambda ls: [*ls[:5], ls[5].replace('"seq":6', '"seq":60'), *ls[6:]], 6, id="edited"
        ),
    ],
)
def test_tampered_export_fails_naming_the_line(
    tmp_path: Path, lines: list[str], vectors: dict[str, str], tamper: Any, line: int
) -> None:
    path = _export(tmp_path, tamper(lines))
    result = _run(["ledger", path, "--checkpoint", vectors["checkpoint"], "--key", vectors["key"]])
    assert result.exit_code == 1, result.output
    fails = [row for row in result.stdout.splitlines() if row.startswith("FAIL:")]
    assert fails[0].startswith(f"FAIL: line {line}, seq ")
    assert any("checkpoint" in row for row in fails)


def test_negative_user_credits_fail(tmp_path: Path) -> None:
    user = "user:u1:credits"
    bodies = []
    for seq, (amount, balance, version) in enumerate([(100, 100, 1), (-300, -200, 2)], start=1):
        bodies.append(
            {
                "seq": seq,
                "id": f"00000000-0000-4000-8000-{seq:012d}",
                "kind": "credits_spent" if amount < 0 else "credits_granted",
                "created_at": f"2026-01-01T00:00:0{seq}.000000Z",
                "refs": {"user_id": "u1"},
                "metadata": {},
                "postings": [
                    {
                        "account": user,
                        "asset": "CRD",
                        "amount": amount,
                        "balance_after": balance,
                        "account_version": version,
                    },
                    {
                        "account": "platform:credits_issued",
                        "asset": "CRD",
                        "amount": -amount,
                        "balance_after": -balance,
                        "account_version": version,
                    },
                ],
            }
        )
    result = _run(["ledger", _export(tmp_path, list(seal(bodies)))])
    assert result.exit_code == 1
    assert f"FAIL: line 2, seq 2: non_negative: {user} CRD goes to -200" in result.stdout


def test_checkpoint_by_another_key_fails(vectors: dict[str, str]) -> None:
    _, other = generate_signer_key("alot.local/ledger")
    result = _run(
        ["ledger", vectors["export"], "--checkpoint", vectors["checkpoint"], "--key", other]
    )
    assert result.exit_code == 1
    assert "FAIL: checkpoint: no signature by key alot.local/ledger+" in result.stdout
    # The export itself is still checked and reported.
    assert "OK: chain links: 40 transactions" in result.stdout


def test_checkpoint_beyond_the_export_fails(
    tmp_path: Path, lines: list[str], vectors: dict[str, str]
) -> None:
    path = _export(tmp_path, lines[:25])
    result = _run(["ledger", path, "--checkpoint", vectors["checkpoint"], "--key", vectors["key"]])
    assert result.exit_code == 1
    assert "the export ends after 25 transactions; the checkpoint covers 40" in result.stdout


def test_checkpoint_smaller_than_the_export_is_checked_at_its_size(
    tmp_path: Path, lines: list[str]
) -> None:
    signer, verifier = vector_keys()
    expected = json.loads(
        (
            Path(__file__).resolve().parents[2] / "docs/spec/vectors/ledger-small.expected.json"
        ).read_text(encoding="utf-8")
    )
    root = bytes.fromhex(expected["roots_by_size"]["13"])
    note = tmp_path / "checkpoint"
    note.write_text(sign_checkpoint(Checkpoint("alot.local/ledger", 13, root), signer))
    result = _run(
        ["ledger", _export(tmp_path, lines), "--checkpoint", str(note), "--key", verifier]
    )
    assert result.exit_code == 0, result.output


def test_failure_cap_is_reported(tmp_path: Path, lines: list[str]) -> None:
    path = _export(tmp_path, lines[::-1])
    result = _run(["--json", "ledger", path, "--max-failures", "3"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert len(document["failures"]) == 3
    assert document["truncated"] is True
    assert any(c["check"] == "limit" and not c["ok"] for c in document["checks"])


def test_partial_export_with_start_seq(tmp_path: Path, lines: list[str]) -> None:
    path = _export(tmp_path, lines[20:])
    assert _run(["ledger", path, "--start-seq", "21"]).exit_code == 0
    assert _run(["ledger", path]).exit_code == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("{not json}\n", "line 1: invalid JSON", id="invalid-json"),
        pytest.param('{"seq": 1}\n', "line 1 field (transaction): missing", id="missing-fields"),
        pytest.param("\n", "line 1: empty line", id="blank-line"),
    ],
)
def test_malformed_export_exits_2(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    result = _run(["ledger", str(path)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_truncated_export_exits_2(tmp_path: Path, lines: list[str]) -> None:
    cut_mid_line = _export(tmp_path, [*lines[:10], lines[10][:100]], "mid.jsonl")
    result = _run(["ledger", cut_mid_line])
    assert result.exit_code == 2
    assert "line 11: invalid JSON" in result.stderr
    cut_before_newline = _export(tmp_path, [*lines[:10], lines[10].rstrip("\n")], "nl.jsonl")
    result = _run(["ledger", cut_before_newline])
    assert result.exit_code == 2
    assert "line 11: the last line has no newline" in result.stderr


def test_usage_errors_exit_2(vectors: dict[str, str], tmp_path: Path) -> None:
    no_key = _run(["ledger", vectors["export"], "--checkpoint", vectors["checkpoint"]])
    assert no_key.exit_code == 2
    assert "--checkpoint and --key go together" in no_key.stderr
    bad_key = _run(
        ["ledger", vectors["export"], "--checkpoint", vectors["checkpoint"], "--key", "nonsense"]
    )
    assert bad_key.exit_code == 2
    assert "verifier key" in bad_key.stderr
    missing = _run(["ledger", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2
    assert "No such file" in missing.stderr
    bad_checkpoint = tmp_path / "cp"
    bad_checkpoint.write_text("alot.local/ledger\nforty\n")
    result = _run(
        ["ledger", vectors["export"], "--checkpoint", str(bad_checkpoint), "--key", vectors["key"]]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_a_key_pinned_in_the_environment_does_not_demand_a_checkpoint(
    vectors: dict[str, str],
) -> None:
    # The auditor's guide exports ALOT_VERIFY_LEDGER_KEY once; a later run without a
    # checkpoint still verifies everything else.
    result = CliRunner().invoke(
        cli, ["ledger", vectors["export"]], env={"ALOT_VERIFY_LEDGER_KEY": vectors["key"]}
    )
    assert result.exit_code == 0, result.output
    assert "no checkpoint given" in result.stderr


def test_the_platforms_checkpoint_document_is_read_for_its_note(
    vectors: dict[str, str], tmp_path: Path
) -> None:
    note = Path(vectors["checkpoint"]).read_text(encoding="utf-8")
    document = tmp_path / "checkpoint.json"
    document.write_text(json.dumps({"origin": "o", "size": 40, "note": note}), encoding="utf-8")
    args = ["ledger", vectors["export"], "--checkpoint", str(document), "--key", vectors["key"]]
    result = _run(args)
    assert result.exit_code == 0, result.output
    assert "OK: Merkle root against the checkpoint" in result.stdout


def test_a_checkpoint_saved_with_jq_r_still_reads(vectors: dict[str, str], tmp_path: Path) -> None:
    # `jq -r .note > checkpoint.txt` adds a newline after the note's own last one.
    saved = tmp_path / "checkpoint.txt"
    saved.write_text(Path(vectors["checkpoint"]).read_text(encoding="utf-8") + "\n")
    args = ["ledger", vectors["export"], "--checkpoint", str(saved), "--key", vectors["key"]]
    result = _run(args)
    assert result.exit_code == 0, result.output
