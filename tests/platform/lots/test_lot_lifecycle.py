"""Creating, editing, opening and extending lots: validation, state conflicts, the ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from alot_verify.draw import commitment_v1, commitment_v2
from fastapi.testclient import TestClient
from sqlalchemy import text

LOT_TABLES = ("lots", "product_classes", "ledger_transactions")


def test_create_then_open_commits_to_the_seed_in_the_ledger(
    lots: Any, ledger_lines: Any
) -> None:
    created = lots.create(draw_algorithm="alot-v1")
    assert created["status"] == "created"
    assert created["draw"] == {
        "algorithm": "alot-v1",
        "server_seed_commitment": None,
        "commitment_ledger_seq": None,
    }
    assert ledger_lines() == []

    opened = lots.open(created["id"])
    assert opened["status"] == "open"
    assert opened["opened_at"] is not None
    commitment = opened["draw"]["server_seed_commitment"]
    assert len(commitment) == 64

    (memo,) = ledger_lines()
    assert memo["kind"] == "draw_commitment"
    assert opened["draw"]["commitment_ledger_seq"] == memo["seq"]
    print(memo)
