"""alot-v2 with a drand beacon: the draw waits for the frozen round, then runs once, and
never uses a round whose BLS signature does not verify.

drand itself is faked at the network boundary: a local HTTP server answering
`/<chain>/public/<round>` like drand does, with 404 until the test "publishes" the round.
What it publishes is the real quicknet round 1000, as the League of Entropy signed it
(the platform checks the signature against the chain's pinned public key), or a forgery.
The clock is set so that funding freezes round 1000: due at 2023-08-23T15:59:24Z.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alot_ledger import Ledger
from alot_platform.entries.models import LotEntry, LotEntryPurchase
from alot_platform.scheduler import run_tick
from alot_verify.beacon import QUICKNET as QUICKNET_CHAIN
from alot_verify.cli import cli as verify_cli
from alot_verify.draw import Entry, commitment_v2, compute_v2
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.platform.fake_drand import (
    FUNDED_AT,
    QUICKNET,
    ROUND,
    ROUND_1000_SIGNATURE,
    FakeDrand,
)


def test_beacon_draw_waits_for_its_round_then_two_admins_draw_once(
    make_client: Callable[..., TestClient],
    drand: FakeDrand,
    api_factory: Any,
    clock: Any,
    tmp_path: Path,
) -> None:
    clock.now = FUNDED_AT
    client = make_client(drand_url=drand.url)
    http = api_factory(client)
    lot_id = http.open_lot(draw_algorithm="alot-v2")["id"]
    players = [http.player(lot_id) for _ in range(2)]
    assert http.buy(players[0], lot_id, 1).status_code == 201
    assert http.buy(players[1], lot_id, 1).status_code == 201
    assert http.buy(players[1], lot_id, 0).status_code == 201  # funds: 10.00

    frozen = client.get(f"/api/lots/{lot_id}/draw").json()
    assert frozen["stage"] == "frozen"
    beacon = frozen["draw_inputs"]["beacon"]
    assert beacon["chain_hash"] == QUICKNET
    assert beacon["round"] == ROUND
    waiting = http.admin_post(f"/api/admin/lots/{lot_id}/draw")
    assert waiting.status_code == 409
    assert waiting.json()["code"] == "beacon_not_published"
    platform = client.app.state.platform  # type: ignore[attr-defined]
    assert run_tick(platform).drawn == 0
    size = http.ledger_size()

    drand.publish(beacon["round"])
    responses: list[Any] = []
    barrier = threading.Barrier(3)

    def trigger() -> None:
        barrier.wait()
        responses.append(http.admin_post(f"/api/admin/lots/{lot_id}/draw"))

    threads = [threading.Thread(target=trigger) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len({json.dumps(r.json()["proof"], sort_keys=True) for r in responses}) == 1
    assert http.ledger_size() == size + 1  # one draw_result
    settled = http.admin_post(f"/api/admin/lots/{lot_id}/settle")
    assert settled.status_code == 200, settled.text
    assert settled.json()["stage"] == "settled"

    proof = client.get(f"/api/lots/{lot_id}/draw/proof").json()
    assert proof["beacon"]["round"] == beacon["round"]
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof))
    # Checked as any auditor checks it: the chain and its key are pinned in alot-verify.
    result = CliRunner().invoke(verify_cli, ["draw", str(path)])
    assert result.exit_code == 0, result.output
    assert "OK: beacon.signature is drand quicknet's signature of round 1000" in result.output


@pytest.mark.parametrize(
    "forgery",
    [
        pytest.param(lambda: os.urandom(48).hex(), id="random-bytes"),
        # A valid G1 point in the right subgroup (the generator) that nobody signed.
        pytest.param(
            lambda: (
                "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac58"
                "6c55e83ff97a1aeffb3af00adb22c6bb"
            ),
            id="unsigned-point",
        ),
    ],
)
def test_a_round_whose_signature_does_not_verify_is_never_used(
    make_client: Callable[..., TestClient],
    drand: FakeDrand,
    api_factory: Any,
    clock: Any,
    caplog: pytest.LogCaptureFixture,
    forgery: Callable[[], str],
) -> None:
    """A drand endpoint (or anything on the way) serving a forged round cannot choose the
    draw's randomness: the round is refused like one not yet published, and logged."""
    clock.now = FUNDED_AT
    client = make_client(drand_url=drand.url)
    http = api_factory(client)
    lot_id = http.open_lot(draw_algorithm="alot-v2")["id"]
    players = [http.player(lot_id) for _ in range(2)]
    assert http.buy(players[0], lot_id, 1).status_code == 201
    assert http.buy(players[1], lot_id, 1).status_code == 201
    assert http.buy(players[1], lot_id, 0).status_code == 201  # funds
    assert client.get(f"/api/lots/{lot_id}/draw").json()["draw_inputs"]["beacon"]["round"] == ROUND
    size = http.ledger_size()

    drand.forge(ROUND, forgery())
    with caplog.at_level(logging.ERROR, logger="alot_platform.draws.beacon"):
        refused = http.admin_post(f"/api/admin/lots/{lot_id}/draw")
        platform = client.app.state.platform  # type: ignore[attr-defined]
        tick = run_tick(platform)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "beacon_not_published"
    assert "does not verify" in refused.json()["detail"]
    assert (tick.drawn, tick.failures) == (0, [])
    assert client.get(f"/api/lots/{lot_id}/draw").json()["stage"] == "frozen"
    assert client.get(f"/api/lots/{lot_id}").json()["status"] == "funded"
    assert http.ledger_size() == size  # no draw_result
    logged = [r for r in caplog.records if "does not verify" in r.getMessage()]
    assert len(logged) == 2  # the admin's try and the tick's
    assert all(r.levelno == logging.ERROR for r in logged)

    # The real round, once served, is used.
    drand.publish(ROUND)
    drawn = http.admin_post(f"/api/admin/lots/{lot_id}/draw")
    assert drawn.status_code == 200, drawn.text
    assert drawn.json()["proof"]["beacon"]["signature"] == ROUND_1000_SIGNATURE


# -- the beacon declared at opening ---------------------------------------------------


def _commitment_memo(http: Any, lot: dict[str, Any]) -> dict[str, Any]:
    memo: dict[str, Any] = http.ledger_transaction(lot["draw"]["commitment_ledger_seq"])
    return memo


def _fund(http: Any, lot_id: str) -> None:
    players = [http.player(lot_id) for _ in range(2)]
    assert http.buy(players[0], lot_id, 1).status_code == 201
    assert http.buy(players[1], lot_id, 1).status_code == 201
    funding = http.buy(players[1], lot_id, 0)  # 4.50 + 4.50 + 1.00: funds 10.00
    assert funding.status_code == 201, funding.text
    assert funding.json()["lot_status"] == "funded"


def _move(http: Any, client: TestClient) -> None:
    """Go on with the same admin and players on another app over the same database
    (one whose settings differ, as after the operator changed the configuration)."""
    http.client = http.desk.client = http.desk.api.client = client


def _ticket_map(client: TestClient, lot_id: str) -> list[Entry]:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.database.sessions() as session:
        rows = session.execute(
            select(LotEntry, LotEntryPurchase)
            .join(LotEntryPurchase, LotEntryPurchase.id == LotEntry.purchase_id)
            .where(LotEntry.lot_id == uuid.UUID(lot_id))
            .order_by(LotEntry.tickets_start)
        ).all()
        # The lot names its holders by pseudonym, as its public ticket map does, each
        # entry with what its purchase put in the escrow and that purchase's ledger seq.
        return [
            Entry(
                None,
                e.tickets_start,
                e.tickets_end,
                holder=e.holder,
                amount_cents=p.amount_cents + p.credits_spent,
                purchase_seq=p.ledger_seq,
            )
            for e, p in rows
        ]


def test_a_lot_declares_its_chain_at_opening_and_its_draw_waits_for_it_without_drand(
    make_client: Callable[..., TestClient], drand: FakeDrand, api_factory: Any, clock: Any
) -> None:
    """The chain is the lot's from opening: removing the drand configuration afterwards
    does not let the draw go ahead without a beacon; it waits for the declared round."""
    clock.now = FUNDED_AT
    with_drand = make_client(drand_url=drand.url)
    http = api_factory(with_drand)
    lot = http.open_lot(draw_algorithm="alot-v2")
    lot_id = lot["id"]
    declared = {"chain_hash": QUICKNET, "scheme": QUICKNET_CHAIN.scheme}
    assert _commitment_memo(http, lot)["metadata"]["beacon"] == declared
    assert lot["draw_beacon"] == {"chain_name": "quicknet", **declared}
    assert lot["beacon_less"] is False

    # The operator drops ALOT_DRAND_URL; the lot is funded on a platform without drand.
    without = make_client()
    _move(http, without)
    _fund(http, lot_id)
    frozen = without.get(f"/api/lots/{lot_id}/draw").json()
    assert frozen["draw_inputs"]["beacon"] == {**declared, "round": ROUND}  # the spec's rule
    waiting = http.admin_post(f"/api/admin/lots/{lot_id}/draw")
    assert waiting.status_code == 409, waiting.text
    assert waiting.json()["code"] == "beacon_not_published"
    tick = run_tick(without.app.state.platform)  # type: ignore[attr-defined]
    assert (tick.drawn, tick.failures) == (0, [])
    assert without.get(f"/api/lots/{lot_id}").json()["status"] == "funded"
    assert without.get(f"/api/lots/{lot_id}/draw").json()["proof"] is None

    # Once drand is back, the declared round is read and the draw runs.
    drand.publish(ROUND)
    _move(http, with_drand)
    drawn = http.admin_post(f"/api/admin/lots/{lot_id}/draw")
    assert drawn.status_code == 200, drawn.text
    assert drawn.json()["proof"]["beacon"]["round"] == ROUND


def test_a_lot_declared_beacon_less_is_drawn_without_one_even_once_drand_is_configured(
    make_client: Callable[..., TestClient], drand: FakeDrand, api_factory: Any, clock: Any
) -> None:
    clock.now = FUNDED_AT
    http = api_factory(make_client())
    lot = http.open_lot(draw_algorithm="alot-v2")
    lot_id = lot["id"]
    assert _commitment_memo(http, lot)["metadata"]["beacon"] is None
    assert (lot["draw_beacon"], lot["beacon_less"]) == (None, True)

    with_drand = make_client(drand_url=drand.url)
    _move(http, with_drand)
    _fund(http, lot_id)
    record = with_drand.get(f"/api/lots/{lot_id}/draw").json()
    assert record["draw_inputs"]["beacon"] is None
    assert record["proof"] is not None  # nothing to wait for: drawn after the funding
    assert with_drand.get(f"/api/lots/{lot_id}").json()["beacon_less"] is True


@pytest.mark.parametrize("algorithm", ["alot-v1", "alot-v2"])
def test_what_a_lot_declares_is_shown_before_it_opens_and_after(
    make_client: Callable[..., TestClient], drand: FakeDrand, api_factory: Any, algorithm: str
) -> None:
    http = api_factory(make_client(drand_url=drand.url))
    created = http.desk.create(draw_algorithm=algorithm)
    assert (created["draw_beacon"], created["beacon_less"]) == (None, False)  # not declared yet
    opened = http.desk.open(created["id"])
    memo = _commitment_memo(http, opened)
    if algorithm == "alot-v1":  # alot-v1 never has a beacon: declared beacon-less
        assert memo["metadata"]["beacon"] is None
        assert (opened["draw_beacon"], opened["beacon_less"]) == (None, True)
    else:
        assert memo["metadata"]["beacon"]["chain_hash"] == QUICKNET
        assert opened["draw_beacon"]["chain_name"] == "quicknet"
        assert opened["beacon_less"] is False
    listed = http.client.get("/api/lots").json()["items"]
    (shown,) = [lot for lot in listed if lot["id"] == opened["id"]]
    assert (shown["draw_beacon"], shown["beacon_less"]) == (
        opened["draw_beacon"],
        opened["beacon_less"],
    )


def test_the_seed_is_revealed_at_funding_so_anyone_can_draw_once_the_round_is_out(
    make_client: Callable[..., TestClient], drand: FakeDrand, api_factory: Any, clock: Any
) -> None:
    """No withholding: from the freeze memo and the drand round alone, the winner is
    computed before the platform draws, and the platform's draw agrees."""
    clock.now = FUNDED_AT
    client = make_client(drand_url=drand.url)
    http = api_factory(client)
    lot = http.open_lot(draw_algorithm="alot-v2")
    lot_id = lot["id"]
    _fund(http, lot_id)
    record = client.get(f"/api/lots/{lot_id}/draw").json()
    assert record["stage"] == "frozen"
    freeze = http.ledger_transaction(record["inputs_ledger_seq"])
    seed = freeze["metadata"]["server_seed"]
    assert commitment_v2(seed) == lot["draw"]["server_seed_commitment"]
    assert commitment_v2(seed) == freeze["metadata"]["draw_inputs"]["server_seed_commitment"]
    assert record["server_seed"] == seed  # the API shows it from funding on

    drand.publish(ROUND)
    round_reading = drand.published[ROUND]
    ours = compute_v2(
        draw_inputs=freeze["metadata"]["draw_inputs"],
        server_seed=seed,
        entries=_ticket_map(client, lot_id),
        beacon=round_reading,
    )
    drawn = http.admin_post(f"/api/admin/lots/{lot_id}/draw")
    assert drawn.status_code == 200, drawn.text
    assert drawn.json()["winning_ticket"] == ours["winning_ticket"]
    assert drawn.json()["winner_holder"] == ours["winner_holder"]
    assert drawn.json()["server_seed"] == seed


def test_an_unreachable_drand_keeps_the_lot_funded_and_alerts_it_never_draws_without_it(
    make_client: Callable[..., TestClient],
    api_factory: Any,
    clock: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """drand down (nothing listens): the draw is retried by every tick, the lot stays
    funded, and after ALOT_STUCK_LOT_MINUTES it counts in alot_lots_stuck{status=funded}
    (the AlotLotStuckFunded alert). It is never drawn without its beacon."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    clock.now = FUNDED_AT
    token = "metrics-token-of-the-beacon-test"
    client = make_client(
        drand_url=f"http://127.0.0.1:{closed_port}", metrics_token=token, stuck_lot_minutes=5
    )
    http = api_factory(client)
    lot_id = http.open_lot(draw_algorithm="alot-v2")["id"]
    _fund(http, lot_id)
    size = http.ledger_size()
    platform = client.app.state.platform  # type: ignore[attr-defined]

    with caplog.at_level(logging.WARNING, logger="alot_platform.draws.beacon"):
        for _ in range(3):
            http.advance(minutes=3)
            tick = run_tick(platform)
            assert (tick.drawn, tick.failures) == (0, [])
        refused = http.admin_post(f"/api/admin/lots/{lot_id}/draw")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "beacon_not_published"
    assert any("unavailable" in r.getMessage() for r in caplog.records)
    record = client.get(f"/api/lots/{lot_id}/draw").json()
    assert (record["stage"], record["draw_inputs"]["beacon"]["round"]) == ("frozen", ROUND)
    assert client.get(f"/api/lots/{lot_id}").json()["status"] == "funded"
    assert http.ledger_size() == size  # no draw_result
    metrics = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert metrics.status_code == 200
    assert 'alot_lots_stuck{status="funded"} 1.0' in metrics.text


def test_a_lot_opened_before_declarations_freezes_as_configured_at_funding(
    make_client: Callable[..., TestClient], drand: FakeDrand, lots: Any, api: Any, clock: Any
) -> None:
    """Undeclared (legacy) lots keep the behaviour they were opened under: the beacon
    is whatever drand is configured when they are funded, and the API shows neither a
    declared chain nor a beacon-less warning."""
    clock.now = FUNDED_AT
    legacy = lots.open_lot(target_cents=1000, declared=False)  # no `beacon` in its memo
    with lots.session() as session:
        memo = Ledger(session).transaction(lots.lot(legacy).commitment_ledger_seq)
    assert "beacon" not in memo["metadata"]
    shown = api.client.get(f"/api/lots/{legacy}").json()
    assert (shown["draw_beacon"], shown["beacon_less"]) == (None, False)

    with_drand = make_client(drand_url=drand.url)
    lots.platform = with_drand.app.state.platform  # type: ignore[attr-defined]
    lots.buy(legacy, api.account().id, 10, cash=1000)
    record = with_drand.get(f"/api/lots/{legacy}/draw").json()
    assert record["draw_inputs"]["beacon"] == {
        "chain_hash": QUICKNET,
        "scheme": QUICKNET_CHAIN.scheme,
        "round": ROUND,
    }
