"""The platform submits each new checkpoint to its witnesses and serves the cosignatures.

The witness is a real `alot-witness serve` process; the platform talks to it over HTTP.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alot_ledger import Checkpointer, Ledger
from alot_platform.db import unit_of_work
from alot_platform.ledger.endpoints import ledger_settings
from alot_platform.scheduler import run_tick
from alot_platform.witnesses.models import WitnessCosignature
from alot_verify.checkpoint import generate_signer_key
from alot_verify.cli import cli as verify_cli
from alot_verify.cosignature import generate_witness_key, verify_cosignature
from alot_witness._testing import running_witness
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import delete

WITNESS_NAME = "witness.test/w1"


def _platform(client: TestClient) -> Any:
    return client.app.state.platform  # type: ignore[attr-defined]


def _grow_and_checkpoint(client: TestClient, memos: int) -> int:
    platform = _platform(client)
    with contextmanager(unit_of_work)(platform.database) as session:
        for i in range(memos):
            Ledger(session).memo("test_memo", refs={"note": f"memo {i}"})
    made = Checkpointer.from_settings(ledger_settings(platform.settings)).checkpoint(
        platform.database.engine
    )
    return made.size


def test_checkpoints_are_cosigned_stored_and_served(
    make_client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = make_client()
    log_key = first.get("/api/ledger/verifier-key").json()["verifier_key"]
    with running_witness(tmp_path / "witness", WITNESS_NAME, [log_key]) as witness:
        client = make_client(witnesses=[{"url": witness.url, "key": witness.verifier_key}])
        platform = _platform(client)

        size = _grow_and_checkpoint(client, 3)
        assert run_tick(platform).cosignatures_stored == 1
        served = client.get("/api/ledger/checkpoint/cosigned").json()
        assert served["size"] == size
        (cosignature,) = served["cosignatures"]
        assert cosignature["witness"] == WITNESS_NAME
        assert cosignature["witness_key"] == witness.verifier_key
        assert (
            verify_cosignature(served["note"], witness.verifier_key).timestamp
            == (cosignature["cosigned_at"])
        )
        # Nothing new: nothing submitted again.
        assert run_tick(platform).cosignatures_stored == 0

        # The ledger grows: the extension is cosigned with a proof from size 3.
        size = _grow_and_checkpoint(client, 4)
        assert run_tick(platform).cosignatures_stored == 1
        served = client.get("/api/ledger/checkpoint/cosigned").json()
        assert served["size"] == size
        note_path = tmp_path / "cosigned.checkpoint"
        note_path.write_text(served["note"], encoding="utf-8")
        result = CliRunner().invoke(
            verify_cli,
            ["checkpoint", str(note_path), "--key", log_key, "--witness", witness.verifier_key],
        )
        assert result.exit_code == 0, result.output

        # The platform forgets what the witness cosigned: the witness answers 409 with its
        # size, and the platform proves consistency from there.
        with contextmanager(unit_of_work)(platform.database) as session:
            session.execute(delete(WitnessCosignature))
        size = _grow_and_checkpoint(client, 2)
        assert run_tick(platform).cosignatures_stored == 1
        assert client.get("/api/ledger/checkpoint/cosigned").json()["size"] == size

    # The witness is gone: the tick goes on, nothing is stored, the reason is logged.
    _grow_and_checkpoint(client, 1)
    with caplog.at_level(logging.WARNING, logger="alot_platform.witnesses.service"):
        report = run_tick(platform)
    assert report.cosignatures_stored == 0
    assert report.failures == []
    assert any("unreachable" in r.getMessage() for r in caplog.records)
    assert client.get("/api/ledger/checkpoint/cosigned").json()["cosignatures"] == []


def test_without_a_checkpoint_the_cosigned_checkpoint_is_404(client: TestClient) -> None:
    response = client.get("/api/ledger/checkpoint/cosigned")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_witness_key_must_be_a_cosignature_key(make_settings: Any) -> None:
    _, witness_key = generate_witness_key(WITNESS_NAME)
    settings = make_settings(witnesses=[{"url": "http://127.0.0.1:1", "key": witness_key}])
    assert settings.witnesses[0].key == witness_key
    _, log_key = generate_signer_key("alot.test/ledger")  # a log key (0x01), not a witness's
    with pytest.raises(ValidationError):
        make_settings(witnesses=[{"url": "http://127.0.0.1:1", "key": log_key}])
