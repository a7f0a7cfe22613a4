"""docs/platform/analytics.md's `jq` lines, run as written on a real history's ledger
export: each prints the figure the API answers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.platform.analytics.history import build
from tests.platform.doc_commands import page_commands

PAGE = Path(__file__).resolve().parents[3] / "docs" / "platform" / "analytics.md"


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_every_money_figure_recomputes_from_the_export(
    http: Any, lots: Any, platform: Any, services: Any, tmp_path: Path
) -> None:
    history = build(http, lots, platform, services)
    start, end = history.day0 - timedelta(days=1), history.today + timedelta(days=1)
    answer = http.admin_get(
        "/api/admin/analytics", params={"from": start.isoformat(), "to": end.isoformat()}
    ).json()
    export = http.admin_get("/api/ledger/export")
    assert export.status_code == 200, export.text
    (tmp_path / "ledger.jsonl").write_bytes(export.content)

    figures = {**answer["money"], **answer["credits"]}
    commands = page_commands(PAGE.read_text(encoding="utf-8"))
    assert commands[0].text.startswith("export FROM=")
    env = {**os.environ, "FROM": start.isoformat(), "TO": end.isoformat()}
    checked: set[str] = set()
    for command in commands[1:]:
        assert command.text.startswith("jq "), command.text
        done = subprocess.run(
            ["bash", "-c", command.text],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (command.text, done.stderr)
        printed = json.loads(done.stdout)
        # The page shows what the history of these tests prints (ids aside).
        assert len(command.expected) == 1
        shown = json.loads(command.expected[0].replace("…", ""))
        assert set(shown) == set(printed)
        if "revenue_per_lot" in printed:
            revenue = answer["revenue_per_lot"]
            assert printed["revenue_per_lot"] == [
                {"lot_id": r["lot_id"], "revenue_cents": r["revenue_cents"]}
                for r in revenue["lots"]
            ]
            assert printed["total_cents"] == revenue["total_cents"]
            assert [r["revenue_cents"] for r in shown["revenue_per_lot"]] == [
                r["revenue_cents"] for r in printed["revenue_per_lot"]
            ]
            checked.add("revenue_per_lot")
            continue
        [(name, value)] = printed.items()
        assert value == figures[name], (name, command.text)
        if name != "issued_credits":  # it depends on which player won the draw
            assert shown[name] == value, f"the page shows {shown[name]} for {name}, not {value}"
        checked.add(name)
    money_figures = {name for name in figures if name.endswith(("_cents", "_credits"))}
    assert checked == money_figures | {"revenue_per_lot"}
