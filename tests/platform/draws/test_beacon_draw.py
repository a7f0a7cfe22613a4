"""alot-v2 with a drand beacon: the draw waits for the frozen round, then runs once, and
never uses a round whose BLS signature does not verify.

drand itself is faked at the network boundary: a local HTTP server answering
`/<chain>/public/<round>` like drand does, with 404 until the test "publishes" the round.
What it publishes is the real quicknet round 1000, as the League of Entropy signed it
(the platform checks the signature against the chain's pinned public key), or a forgery.
The clock is set so that funding freezes round 1000: due at 2023-08-23T15:59:24Z.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alot_platform.scheduler import run_tick
from alot_verify.beacon import QUICKNET as QUICKNET_CHAIN
from alot_verify.cli import cli as verify_cli
from click.testing import CliRunner
from fastapi.testclient import TestClient

QUICKNET = QUICKNET_CHAIN.chain_hash
ROUND = 1000
# Published by the League of Entropy: quicknet round 1000.
ROUND_1000_SIGNATURE = (
    "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125"
    "e342b73a8dd2bacbe47e4b6b63ed5e39"
)
# Funded at this instant, a lot freezes the first round due 30 s later or more: 1000.
FUNDED_AT = datetime.fromtimestamp(QUICKNET_CHAIN.round_time(ROUND) - 33, UTC)


class FakeDrand:
    def __init__(self) -> None:
        self.published: dict[int, dict[str, Any]] = {}
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = self.path.strip("/").split("/")
                reading = None
                if len(parts) == 3 and parts[0] == QUICKNET and parts[1] == "public":
                    reading = fake.published.get(int(parts[2]))
                body = json.dumps(reading or {"error": "not yet"}).encode()
                self.send_response(200 if reading else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, round_number: int) -> None:
        """Serve the round as drand does (only round 1000 is known here)."""
        assert round_number == ROUND, "the fake knows the real signature of round 1000 only"
        self._serve(round_number, ROUND_1000_SIGNATURE)

    def forge(self, round_number: int, signature: str | None = None) -> None:
        """Serve a round nobody signed: its randomness is the hash of its "signature",
        as a real round's is, so only the BLS check can tell."""
        self._serve(round_number, signature or os.urandom(48).hex())

    def _serve(self, round_number: int, signature: str) -> None:
        self.published[round_number] = {
            "round": round_number,
            "randomness": hashlib.sha256(bytes.fromhex(signature)).hexdigest(),
            "signature": signature,
        }


@pytest.fixture
def drand() -> Iterator[FakeDrand]:
    fake = FakeDrand()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


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
