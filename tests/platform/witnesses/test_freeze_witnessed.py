"""The draw task has the freeze memo cosigned before it reads the beacon, and anyone
gets that evidence with GET /api/ledger/checkpoint/cosigned?covering=SEQ (C7).

The witness is the session's real `alot-witness serve` process (the `witnessed` fixture
gives each test a ledger key of its own that the witness trusts); drand is faked at the
network boundary, serving the real quicknet round 1000 once the test publishes it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from alot_ledger import Checkpointer, Ledger
from alot_ledger.repository import LedgerRepository
from alot_platform.db import unit_of_work
from alot_platform.ledger.endpoints import ledger_settings
from alot_platform.scheduler import run_tick
from alot_platform.witnesses.service import witness_freeze
from alot_verify.beacon import QUICKNET
from alot_verify.cosignature import verify_cosignature
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from tests.platform.fake_drand import (
    FUNDED_AT,
    ROUND,
    FakeDrand,
)

LOT = {
    "draw_algorithm": "alot-v2",
    "funding_target_cents": 1000,
    "entry_bundles": [{"price_cents": 100, "tickets": 1}, {"price_cents": 450, "tickets": 5}],
}


def _fund(desk: Any) -> str:
    lot_id: str = desk.open_lot(**LOT)["id"]
    for bundle in (1, 1, 0):  # 4.50 + 4.50 + 1.00: funded
        response = desk.buy(desk.player(lot_id), lot_id, bundle)
        assert response.status_code == 201, response.text
    return lot_id


def _freeze_seq(client: TestClient, lot_id: str) -> int:
    frozen = client.get(f"/api/lots/{lot_id}/draw").json()
    assert frozen["stage"] == "frozen", frozen
    seq: int = frozen["inputs_ledger_seq"]
    return seq


def _checkpoint_sizes(client: TestClient) -> list[int]:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.database.engine.connect() as connection:
        return [c.size for c in LedgerRepository(connection).checkpoints(None, 100)]


def test_the_freeze_is_cosigned_at_funding_before_the_draw(
    witnessed: dict[str, Any],
    make_client: Callable[..., TestClient],
    make_lot_desk: Any,
    drand: FakeDrand,
    clock: Any,
    local_witness: Any,
) -> None:
    clock.now = FUNDED_AT
    client = make_client(drand_url=drand.url, **witnessed)
    platform = client.app.state.platform  # type: ignore[attr-defined]
    lot_id = _fund(make_lot_desk(on=client))
    seq = _freeze_seq(client, lot_id)

    # The draw task ran at funding: its round is not out, yet the freeze is witnessed,
    # with no scheduler tick and no checkpoint interval in between.
    evidence = client.get("/api/ledger/checkpoint/cosigned", params={"covering": seq})
    assert evidence.status_code == 200, evidence.text
    cosigned = evidence.json()
    assert cosigned["size"] >= seq
    (cosignature,) = cosigned["cosignatures"]
    assert cosignature["witness_key"] == local_witness.verifier_key
    timestamp = verify_cosignature(cosigned["note"], local_witness.verifier_key).timestamp
    assert timestamp == cosignature["cosigned_at"]
    assert abs(timestamp - time.time()) < 60  # the witness's clock, not the platform's
    assert client.get(f"/api/lots/{lot_id}/draw").json()["stage"] == "frozen"

    # Retried while the round is not out: nothing signed or submitted again.
    sizes = _checkpoint_sizes(client)
    again = witness_freeze(platform, uuid.UUID(lot_id))
    assert again is not None
    assert (again.seq, again.checkpoint_size) == (seq, cosigned["size"])
    assert (again.cosignatures_stored, again.missing) == (0, 0)
    assert _checkpoint_sizes(client) == sizes

    # The round comes out: the draw completes, the evidence still names the same
    # checkpoint (the earliest covering the freeze), though later ones are cosigned.
    drand.publish(ROUND)
    assert run_tick(platform).drawn == 1
    assert client.get(f"/api/lots/{lot_id}/draw").json()["stage"] == "settled"
    Checkpointer.from_settings(ledger_settings(platform.settings)).checkpoint(
        platform.database.engine
    )
    assert run_tick(platform).cosignatures_stored == 1
    later = client.get("/api/ledger/checkpoint/cosigned").json()
    assert later["size"] > cosigned["size"]
    assert later["cosignatures"], "the tick submits the newer checkpoint too"
    kept = client.get("/api/ledger/checkpoint/cosigned", params={"covering": seq}).json()
    assert kept == cosigned


def test_a_witness_that_is_down_does_not_hold_up_the_draw(
    make_client: Callable[..., TestClient],
    make_lot_desk: Any,
    drand: FakeDrand,
    clock: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from alot_verify.cosignature import generate_witness_key

    _, key = generate_witness_key("witness.test/down")
    clock.now = FUNDED_AT
    client = make_client(drand_url=drand.url, witnesses=[{"url": "http://127.0.0.1:9", "key": key}])
    platform = client.app.state.platform  # type: ignore[attr-defined]

    def failures() -> float:
        value = REGISTRY.get_sample_value(
            "alot_witness_submission_failures_total", {"witness": "witness.test/down"}
        )
        return value or 0.0

    failed_before = failures()
    with caplog.at_level(logging.WARNING, logger="alot_platform.witnesses.service"):
        lot_id = _fund(make_lot_desk(on=client))
    seq = _freeze_seq(client, lot_id)
    assert any("did not cosign" in r.getMessage() for r in caplog.records)
    assert failures() == failed_before + 1  # counted once: the draw task asked once
    # The checkpoint was signed all the same: the tick submits it when the witness is back.
    assert max(_checkpoint_sizes(client)) >= seq
    missing = client.get("/api/ledger/checkpoint/cosigned", params={"covering": seq})
    assert missing.status_code == 404
    assert missing.json()["code"] == "no_cosigned_checkpoint"

    # The draw waits for its beacon as before, and completes once the round is out.
    assert run_tick(platform).drawn == 0
    drand.publish(ROUND)
    assert run_tick(platform).drawn == 1


def test_covering_names_the_earliest_cosigned_checkpoint(
    witnessed: dict[str, Any], make_client: Callable[..., TestClient]
) -> None:
    client = make_client(**witnessed)
    platform = client.app.state.platform  # type: ignore[attr-defined]
    checkpointer = Checkpointer.from_settings(ledger_settings(platform.settings))

    def grow(memos: int) -> int:
        with unit_of_work_session(platform) as session:
            for i in range(memos):
                Ledger(session).memo("test_memo", refs={"note": f"memo {i}"})
        size = checkpointer.checkpoint(platform.database.engine).size
        assert run_tick(platform).cosignatures_stored == 1
        return size

    first, second = grow(3), grow(4)
    checkpointer_only = grow_unwitnessed(platform, checkpointer, 2)  # signed, not cosigned
    assert (first, second, checkpointer_only) == (3, 7, 9)

    def covering(seq: Any) -> Any:
        return client.get("/api/ledger/checkpoint/cosigned", params={"covering": seq})

    for seq, size in ((1, 3), (3, 3), (4, 7), (7, 7)):
        response = covering(seq)
        assert response.status_code == 200, response.text
        assert response.json()["size"] == size, seq
        assert len(response.json()["cosignatures"]) == 1
    # Seq 8 is in a signed checkpoint that no witness has cosigned: no evidence yet.
    for seq in (8, 9, 10):
        response = covering(seq)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "no_cosigned_checkpoint"
    for bad in (0, -1, "seven", 2**53):
        response = covering(bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    # Without covering: the latest, whether cosigned or not.
    latest = client.get("/api/ledger/checkpoint/cosigned").json()
    assert (latest["size"], latest["cosignatures"]) == (9, [])


def unit_of_work_session(platform: Any) -> Any:
    from contextlib import contextmanager

    return contextmanager(unit_of_work)(platform.database)


def grow_unwitnessed(platform: Any, checkpointer: Checkpointer, memos: int) -> int:
    with unit_of_work_session(platform) as session:
        for i in range(memos):
            Ledger(session).memo("test_memo", refs={"note": f"later memo {i}"})
    return checkpointer.checkpoint(platform.database.engine).size


def test_on_a_real_clock_the_witnessed_time_comes_before_the_round(
    witnessed: dict[str, Any],
    make_client: Callable[..., TestClient],
    make_lot_desk: Any,
    drand: FakeDrand,
    clock: Any,
) -> None:
    """C5 from the platform's side: funded now, the freeze's cosignature (the witness's
    clock) is dated at or after funding and before its round is due, 30 s or more later."""
    clock.now = datetime.now(UTC)
    client = make_client(drand_url=drand.url, **witnessed)
    lot_id = _fund(make_lot_desk(on=client))
    frozen = client.get(f"/api/lots/{lot_id}/draw").json()
    beacon = frozen["draw_inputs"]["beacon"]
    round_time = QUICKNET.round_time(beacon["round"])
    evidence = client.get(
        "/api/ledger/checkpoint/cosigned", params={"covering": frozen["inputs_ledger_seq"]}
    ).json()
    (cosignature,) = evidence["cosignatures"]
    funded_at = int(datetime.fromisoformat(frozen["draw_inputs"]["funded_at"]).timestamp())
    assert funded_at <= cosignature["cosigned_at"] < round_time
    assert round_time - cosignature["cosigned_at"] > 20  # seconds to spare, not luck
