"""alot-v2 with a drand beacon: the draw waits for the frozen round, then runs once.

drand itself is faked at the network boundary: a local HTTP server answering
`/<chain>/public/<round>` like drand does, with 404 until the test "publishes" the round.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alot_platform.scheduler import run_tick
from alot_verify.cli import cli as verify_cli
from click.testing import CliRunner
from fastapi.testclient import TestClient

QUICKNET = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"


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
        signature = os.urandom(48)  # its BLS validity is not checked without the key
        self.published[round_number] = {
            "round": round_number,
            "randomness": hashlib.sha256(signature).hexdigest(),
            "signature": signature.hex(),
        }


@pytest.fixture
def drand() -> Iterator[FakeDrand]:
    fake = FakeDrand()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_beacon_draw_waits_for_its_round_then_two_admins_draw_once(
    make_client: Callable[..., TestClient], drand: FakeDrand, api_factory: Any, tmp_path: Path
) -> None:
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
    result = CliRunner().invoke(verify_cli, ["draw", str(path)])
    assert result.exit_code == 0, result.output
