"""A draw run by a real `alot worker` writes its domain lines as the worker's.

The worker is a subprocess on the real PostgreSQL and Redis (as in the Celery tests of
the draw engine); its stderr is the JSON log an operator collects. The lines of the
draw it ran say ``"service": "worker"`` and carry the draw task's id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alot_platform.lots.models import LotStatus
from alot_platform.outbox.models import OutboxItem

from tests.platform.draws.conftest import lots  # noqa: F401 (a fixture)
from tests.platform.draws.test_celery_worker import (  # noqa: F401 (fixtures)
    _players,
    broker,
    client,
    clock,
    db_url,
    start,
    worker_env,
)

pytestmark = pytest.mark.timeout(240)


def _until(what: str, check: Callable[[], bool], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _domain_lines(log: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in log.read_text(errors="replace").splitlines():
        if not raw.startswith("{"):
            continue  # Celery's banner
        line = json.loads(raw)
        if line.get("logger") == "alot_platform.domain":
            lines.append(line)
    return lines


def test_a_workers_draw_lines_name_the_worker_and_the_task(
    lots: Any,  # noqa: F811
    start: Callable[..., Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    worker = start(
        "worker", "--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat"
    )
    buyers = [str(user.id) for user in _players(lots, 2)]
    lot_id = lots.open_lot(target_cents=200)
    for buyer in buyers:
        lots.buy(lot_id, buyer, 1, cash=100)  # the second funds: its commit publishes the draw

    _until("the lot to settle", lambda: lots.lot(lot_id).status == LotStatus.SETTLED.value)
    (task,) = lots.rows(OutboxItem, key=f"draw:{lot_id}")
    log = tmp_path / "worker-0.log"

    def drawn_lines() -> list[dict[str, Any]]:
        return [
            line
            for line in _domain_lines(log)
            if line["event"] in ("draw_started", "draw_completed", "settlement_done")
        ]

    _until("the worker's lines", lambda: len(drawn_lines()) == 3)
    for line in drawn_lines():
        assert line["lot_id"] == str(lot_id)
        assert (line["service"], line["task_id"], line["request_id"]) == (
            "worker",
            str(task.id),
            None,
        )
    assert worker.poll() is None
