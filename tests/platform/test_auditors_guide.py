"""docs/auditors.md, run as written against a live server.

The platform is served by uvicorn on a free loopback port; players register, pass the
trivia and buy until a lot funds and draws, an admin grants an auditor the role, the
ledger is checkpointed; then every `$ ` command of the guide runs in bash, in order
(one shell's exports carry to the next command), with the guide's example address,
lot, seq, sizes and accounts replaced by the live ones. A command the guide shows
with its output must print the same lines (numbers and hashes aside). The one step
not repeated is installing: the suite runs the verifier installed in its environment.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alot_ledger import Checkpointer
from alot_platform.app import create_app
from alot_platform.db import unit_of_work
from alot_platform.ledger.endpoints import ledger_settings
from alot_platform.users.models import Role
from alot_platform.users.service import UserService
from fastapi import FastAPI

from .doc_commands import page_commands, shape

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "auditors.md"
VENV_BIN = Path(sys.executable).parent

# The guide's examples, and what stands for each in the live run.
BASE = "https://alot.example"
LOT = "21bade02-7d3c-4f0e-9a61-0c5e3d2b8f47"
SEQ = "seq=1234"
SIZES = "old_size=40&new_size=57"
AUDITOR = "auditor@example.com"
PLAYER = "you@example.com"
PASSWORD = "your-password"


class FrozenNow:
    """The platform's clock, fixed at the real now (tokens and deadlines stay valid)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FrozenNow:
    return FrozenNow()


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _checkpoint(app: FastAPI) -> int:
    platform = app.state.platform
    made = Checkpointer.from_settings(ledger_settings(platform.settings)).checkpoint(
        platform.database.engine
    )
    return made.size


def _grant_auditor(app: FastAPI, user_id: str) -> None:
    platform = app.state.platform
    with contextmanager(unit_of_work)(platform.database) as session:
        users = UserService(session, platform)
        users.set_roles(users.get(uuid.UUID(user_id)), [Role.PLAYER, Role.AUDITOR])


@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("jq") is None,
    reason="the guide's commands need curl and jq",
)
def test_every_command_of_the_auditors_guide_works_against_a_live_server(
    client: Any,  # migrates the test database
    make_settings: Callable[..., Any],
    make_lot_desk: Callable[..., Any],
    clock: FrozenNow,
    tmp_path: Path,
) -> None:
    markdown = GUIDE.read_text(encoding="utf-8")
    for example in (BASE, LOT, SEQ, SIZES, AUDITOR, PLAYER, PASSWORD):
        assert example in markdown, f"the guide no longer shows {example!r}: update this test"
    commands = page_commands(markdown)
    assert len(commands) >= 10

    # The story before the audit, through the API in process (its dev mailbox answers
    # at once); the live server then serves the same database to the guide's commands.
    desk = make_lot_desk(funding_target_cents=700)
    lot = desk.open_lot()
    you = desk.api.account(email=PLAYER, username="you")
    desk.pass_trivia(you, lot["id"])
    bought = desk.buy(you, lot["id"], 1)  # 3 tickets, 5.00
    assert bought.status_code == 201, bought.text
    seq = bought.json()["ledger_seq"]
    old_size = _checkpoint(client.app)
    other = desk.api.account(email="rival@example.com", username="rival")
    desk.pass_trivia(other, lot["id"])
    funding = desk.buy(other, lot["id"], 0)  # 1 ticket, 2.00: funds, then draws
    assert funding.status_code == 201, funding.text
    assert client.get(f"/api/lots/{lot['id']}/draw").json()["stage"] in ("drawn", "settled")
    auditor = desk.api.account(email=AUDITOR, username="auditor")
    _grant_auditor(client.app, auditor.id)
    new_size = _checkpoint(client.app)
    assert old_size < new_size

    app = create_app(make_settings(), clock=clock)
    with serve(app) as base:
        live = {
            BASE: base,
            LOT: lot["id"],
            SEQ: f"seq={seq}",
            SIZES: f"old_size={old_size}&new_size={new_size}",
            PASSWORD: you.password,
        }
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ALOT_TOKEN", "ALOT_VERIFY_"))
        }
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        exports: list[str] = []
        for command in commands:
            text = command.text
            if text.startswith("pip install "):
                assert shutil.which("alot-verify", path=env["PATH"]), "alot-verify not installed"
                continue
            for example, value in live.items():
                text = text.replace(example, value)
            script = "\n".join([*exports, "set -o pipefail", text])
            ran = subprocess.run(
                ["bash", "-c", script],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert ran.returncode == 0, (command.text, ran.stdout, ran.stderr)
            if text.startswith("export "):
                exports.append(text)
            if text.startswith("alot-verify ") and not text.startswith("alot-verify --help"):
                printed = ran.stdout.splitlines()
                assert printed, (command.text, ran.stderr)
                assert all(line.startswith("OK: ") for line in printed), (command.text, printed)
            if command.expected:
                assert [shape(line) for line in ran.stdout.splitlines()] == [
                    shape(line) for line in command.expected
                ], (command.text, ran.stdout)

        # What the guide's commands left behind is what it says they leave.
        assert (tmp_path / "ledger.jsonl").read_text().count("\n") >= new_size
        assert '"balances"' in (tmp_path / "balances.json").read_text()
