"""docs/spec/vectors/draw-ledger-negative.json: each vector fails exactly its `must_fail`
checks when its proof is verified with its ledger (and cosigned checkpoint), on the command
line as an auditor runs it; the file is what its tool writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alot_verify.cli import cli
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads(
    (ROOT / "docs" / "spec" / "vectors" / "draw-ledger-negative.json").read_text(encoding="utf-8")
)["vectors"]


def _failing(vector: dict[str, Any], tmp_path: Path) -> tuple[int, set[str]]:
    proof = tmp_path / "proof.json"
    proof.write_text(json.dumps(vector["proof"]), encoding="utf-8")
    ledger = tmp_path / "ledger.jsonl"
    ledger.write_text("".join(vector["ledger"]), encoding="utf-8")
    args = ["--json", "draw", str(proof), "--ledger", str(ledger)]
    cosigned = vector.get("cosigned")
    if cosigned is not None:
        note = tmp_path / "note"
        note.write_text(cosigned["note"], encoding="utf-8")
        args += ["--cosigned", str(note), "--key", cosigned["log_key"]]
        for witness in cosigned["witnesses"]:
            args += ["--witness", witness]
        args += ["--quorum", str(cosigned["quorum"])]
    result = CliRunner().invoke(cli, args)
    report = json.loads(result.stdout)
    return result.exit_code, {c["check"] for c in report["checks"] if not c["ok"]}


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["name"])
def test_each_vector_fails_exactly_its_checks(vector: dict[str, Any], tmp_path: Path) -> None:
    exit_code, failing = _failing(vector, tmp_path)
    assert failing == set(vector["must_fail"])
    assert exit_code == (1 if vector["must_fail"] else 0)


def test_the_attacks_are_all_there() -> None:
    names = {v["name"] for v in VECTORS}
    assert {"two-freezes", "undeclared-null-beacon", "seed-mismatch", "backdated-funded-at"} <= (
        names
    )
    assert {"user-with-two-holders", "purchase-without-holder"} <= names


def test_the_file_is_what_its_tool_writes() -> None:
    tool = ROOT / "packages" / "alot-verify" / "tools" / "make_draw_ledger_vectors.py"
    negative = ROOT / "packages" / "alot-verify" / "tools" / "make_draw_v2_negative_vectors.py"
    for script in (tool, negative):
        done = subprocess.run(
            [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
