"""`alot-verify audit-log`: the spec vectors, tampering of every kind, exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify.audit import GENESIS_HASH, entry_hash, parse_audit_log, verify_audit_log
from alot_verify.canonical import canonical_json
from alot_verify.cli import cli
from alot_verify.errors import AuditLogVerificationError
from click.testing import CliRunner, Result


def _run(args: list[str], stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, args, input=stdin)


@pytest.fixture
def small(spec_vectors: Path) -> Path:
    return spec_vectors / "audit-log-small.jsonl"


@pytest.fixture
def entries(small: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in small.read_text(encoding="utf-8").splitlines()]


def _write(tmp_path: Path, entries: list[dict[str, Any]]) -> str:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"".join(canonical_json(e) + b"\n" for e in entries))
    return str(path)


def test_the_vector_verifies_with_its_expected_hashes(spec_vectors: Path, small: Path) -> None:
    expected = json.loads((spec_vectors / "audit-log-small.expected.json").read_text())
    entries = parse_audit_log(small.read_text(encoding="utf-8"))
    assert [entry_hash(e) for e in entries] == expected["hashes"]
    body = {k: v for k, v in entries[0].items() if k != "hash"}
    assert canonical_json(body).decode() == expected["canonical_body_of_seq_1"]
    assert entries[0]["prev_hash"] == GENESIS_HASH
    summary = verify_audit_log(entries)
    assert (summary.entries, summary.head_hash) == (expected["entries"], expected["head_hash"])
    result = _run(["audit-log", str(small)])
    assert result.exit_code == 0, result.output
    assert (
        f"OK: audit log: 5 entries chain from genesis to {expected['head_hash']}" in result.output
    )


def test_the_tampered_vector_is_rejected_at_its_seq(spec_vectors: Path) -> None:
    result = _run(["--json", "audit-log", str(spec_vectors / "audit-log-tampered.jsonl")])
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["verified"] is False
    assert document["first_bad_seq"] == 3


@pytest.mark.parametrize(
    ("change", "bad_seq", "message"),
    [
        (lambda es: es.pop(1), 2, "expected seq 2, got 3"),
        (lambda es: es.insert(2, dict(es[1])), 3, "expected seq 3, got 2"),
        (lambda es: es[3].update(actor_roles=["admin"]), 4, "does not match"),
        (lambda es: es[0].update(prev_hash="1" * 64), 1, "does not link"),
        (lambda es: es[2].update(action="Lot-Extended"), 3, "snake_case"),
        (lambda es: es[4].update(at="2026-03-04T08:30:00Z"), 5, "at must be"),
    ],
)
def test_every_kind_of_tampering_names_the_first_bad_seq(
    tmp_path: Path, entries: list[dict[str, Any]], change: Any, bad_seq: int, message: str
) -> None:
    change(entries)
    with pytest.raises(AuditLogVerificationError) as caught:
        verify_audit_log(entries)
    assert caught.value.seq == bad_seq
    assert message in str(caught.value)
    result = _run(["audit-log", _write(tmp_path, entries)])
    assert result.exit_code == 1
    assert f"FAIL: audit log: seq {bad_seq}:" in result.output


def test_a_json_array_and_stdin_are_read_too(entries: list[dict[str, Any]]) -> None:
    assert _run(["audit-log", "-"], stdin=json.dumps(entries)).exit_code == 0
    assert _run(["audit-log", "-"], stdin=json.dumps({"entries": entries})).exit_code == 0
    assert _run(["audit-log", "-"], stdin="").exit_code == 0  # an empty log is a valid log


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"seq": 1}\nnot json\n', "line 2: invalid JSON"),
        ('"a string"', "expected JSON Lines"),
        ('[{"seq": 1}]', "entry 1: missing"),
    ],
)
def test_unreadable_input_exits_2_with_a_message(text: str, message: str) -> None:
    result = _run(["audit-log", "-"], stdin=text)
    assert result.exit_code == 2
    assert message in result.output


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = _run(["audit-log", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "error:" in result.output
