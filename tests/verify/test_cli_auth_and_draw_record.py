"""`alot-verify` reads what the platform serves: a lot's /draw record as well as its
/draw/proof, and URLs that need a bearer token (`--token` or `ALOT_TOKEN`), with a clear
message and exit 2 when the token is missing or not enough."""

from __future__ import annotations

import http.server
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alot_verify.cli import cli
from click.testing import CliRunner

SPEC_VECTORS = Path(__file__).resolve().parents[2] / "docs" / "spec" / "vectors"
PROOF: dict[str, Any] = json.loads(
    (SPEC_VECTORS / "draw-alot-v1.json").read_text(encoding="utf-8")
)["vectors"][0]
TOKEN = "auditor-access-token"

Serve = Callable[[type[http.server.BaseHTTPRequestHandler]], str]


def _record(proof: dict[str, Any] | None, stage: str = "drawn") -> dict[str, Any]:
    """A lot's draw record as GET /api/lots/{id}/draw answers it."""
    return {
        "lot_id": PROOF["lot_id"],
        "lot_status": "drawn" if proof else "funded",
        "stage": stage,
        "algorithm": "alot-v1",
        "server_seed_commitment": PROOF["server_seed_commitment"],
        "commitment_ledger_seq": 1,
        "winning_ticket": proof["winning_ticket"] if proof else None,
        "winner_user_id": proof["winner_user_id"] if proof else None,
        "proof": proof,
    }


@pytest.fixture
def platform(serve_http: Serve) -> str:
    """A stand-in platform: /draw and /draw/proof are open, /secret needs TOKEN."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/draw":
                self._answer(200, "application/json", _record(PROOF))
            elif self.path == "/undrawn/draw":
                self._answer(200, "application/json", _record(None, "frozen"))
            elif self.path == "/draw/proof":
                self._answer(200, "application/json", PROOF)
            elif self.headers.get("Authorization") is None:
                self._answer(401, "application/problem+json", {"detail": "sign in first"})
            elif self.headers["Authorization"] != f"Bearer {TOKEN}":
                self._answer(403, "application/problem+json", {"detail": "auditors only"})
            else:
                self._answer(200, "application/json", PROOF)

        def _answer(self, status: int, content_type: str, body: Any) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: Any) -> None:
            pass

    return serve_http(Handler)


@pytest.mark.parametrize("path", ["/draw", "/draw/proof"])
def test_draw_reads_the_record_and_the_proof_alike(platform: str, path: str) -> None:
    result = CliRunner().invoke(cli, ["draw", platform + path])
    assert result.exit_code == 0, result.output
    assert (
        f"OK: winner_user_id holds the winning ticket {PROOF['winning_ticket']}"
        in result.stdout.splitlines()
    )


def test_draw_of_an_undrawn_record_says_so(platform: str) -> None:
    result = CliRunner().invoke(cli, ["draw", platform + "/undrawn/draw"])
    assert result.exit_code == 2
    assert f"lot {PROOF['lot_id']} has no draw proof yet (stage frozen" in result.stderr


def test_a_url_that_needs_a_token_names_the_flag(platform: str) -> None:
    result = CliRunner().invoke(cli, ["draw", platform + "/secret"], env={"ALOT_TOKEN": None})
    assert result.exit_code == 2
    assert "needs a token for this URL (401) (the server says: sign in first)" in result.stderr
    assert "--token" in result.stderr
    assert "ALOT_TOKEN" in result.stderr
    assert "Traceback" not in result.output


def test_a_token_without_the_role_says_which_role(platform: str) -> None:
    result = CliRunner().invoke(cli, ["draw", platform + "/secret", "--token", "player"])
    assert result.exit_code == 2
    assert "may not read this URL (403) (the server says: auditors only)" in result.stderr
    assert "auditor" in result.stderr


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["draw", "{url}", "--token", TOKEN], {}),
        (["--token", TOKEN, "draw", "{url}"], {}),
        (["draw", "{url}"], {"ALOT_TOKEN": TOKEN}),
    ],
    ids=["after-the-command", "before-the-command", "env"],
)
def test_the_token_is_sent_as_bearer(platform: str, args: list[str], env: dict[str, str]) -> None:
    url = platform + "/secret"
    result = CliRunner().invoke(cli, [a.replace("{url}", url) for a in args], env=env)
    assert result.exit_code == 0, result.output


def test_the_export_stream_refused_says_why(platform: str) -> None:
    result = CliRunner().invoke(cli, ["ledger", platform + "/secret"], env={"ALOT_TOKEN": None})
    assert result.exit_code == 2
    assert "needs a token for this URL (401)" in result.stderr
