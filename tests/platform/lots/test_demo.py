"""`alot seed-demo`: demo lots open and playable with the answers it prints."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from alot_platform.cli import main
from click.testing import CliRunner
from fastapi.testclient import TestClient


def test_seed_demo_opens_playable_lots_once(
    db_url: str, tmp_path: Path, client: TestClient, api: Any
) -> None:
    # `client` has migrated the database the CLI now seeds.
    env = {
        "ALOT_ENV": "development",
        "ALOT_DATABASE_URL": db_url,
        "ALOT_VAR_DIR": str(tmp_path / "var"),  # the app's var dir: same secret key
        "ALOT_ARGON2_TIME_COST": "1",
        "ALOT_ARGON2_MEMORY_KIB": "1024",
        "ALOT_ARGON2_PARALLELISM": "1",
    }
    runner = CliRunner()
    first = runner.invoke(main, ["seed-demo"], env=env)
    assert first.exit_code == 0, first.output
    assert "OK: 3 demo lots open (3 new)" in first.output
    lots = dict(
        re.findall(r"^    (\S+)  .+$\n^        trivia: .+  answer: (.+)$", first.output, re.M)
    )
    assert len(lots) == 3

    again = runner.invoke(main, ["seed-demo"], env=env)
    assert again.exit_code == 0, again.output
    assert "OK: 3 demo lots open (0 new)" in again.output
    assert all(lot_id in again.output for lot_id in lots)

    listed = client.get("/api/lots", params={"state": "open"}).json()["items"]
    assert {lot["id"] for lot in listed} == set(lots)
    assert all(lot["draw"]["server_seed_commitment"] for lot in listed)
    mystery = [lot for lot in listed if lot["lot_type"] == "mystery"]
    assert len(mystery) == 1
    assert mystery[0]["product"] is None

    player = api.account()  # answers each demo question with the printed answer
    for lot_id, answer in lots.items():
        response = client.post(
            f"/api/lots/{lot_id}/trivia/attempt", json={"answer": answer}, headers=player.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["correct"] is True
