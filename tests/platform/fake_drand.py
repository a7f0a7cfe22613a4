"""drand faked at the network boundary, for the draw and witness tests: a local HTTP
server answering `/<chain>/public/<round>` like drand does, with 404 until the test
publishes the round. What it publishes is the real quicknet round 1000, as the League
of Entropy signed it (the platform checks the signature against the chain's pinned
public key), or a forgery."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alot_verify.beacon import QUICKNET as QUICKNET_CHAIN

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
