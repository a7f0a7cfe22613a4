"""The examples run green, as subprocesses, against a uvicorn server holding the demo data
that `make run` seeds (demo admin, demo lots with known trivia answers)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alot_platform.demo import ensure_demo_admin, ensure_demo_lots
from alot_platform.scheduler import run_tick
from alot_verify.checkpoint import generate_signer_key, verifier_key_for
from fastapi import FastAPI

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def demo_admin(app: FastAPI) -> tuple[str, str]:
    platform = app.state.platform
    credentials, _ = ensure_demo_admin(platform)
    ensure_demo_lots(platform)
    return credentials.email, credentials.password


@contextmanager
def _ticking(platform: Any) -> Iterator[None]:
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.5):
            run_tick(platform)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()


@pytest.fixture
def run_example(live_server: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(name: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        environment = {
            k: v for k, v in os.environ.items() if not k.startswith(("ALOT_", "PYTEST_"))
        }
        environment.update(ALOT_BASE_URL=live_server, **env)
        return subprocess.run(
            [sys.executable, str(EXAMPLES / name), *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    return run


def test_player_host_and_auditor_examples(
    app: FastAPI,
    demo_admin: tuple[str, str],
    run_example: Callable[..., subprocess.CompletedProcess[str]],
    make_checkpoint: Callable[[], int],
    pinned_key: str,
) -> None:
    email, password = demo_admin

    played = run_example("player_flow.py", ALOT_DEV_SECRET="dev-secret-of-the-sdk-tests")
    assert played.returncode == 0, played.stdout + played.stderr
    assert "OK: trivia passed" in played.stdout
    assert "verified on this machine" in played.stdout
    assert "FAIL" not in played.stdout

    # The host's story waits for the platform's payout job: the tick a deployment's
    # scheduler runs, run here every half second while the example runs.
    with _ticking(app.state.platform):
        hosted = run_example(
            "host_integration.py",
            ALOT_EMAIL=email,
            ALOT_PASSWORD=password,
            ALOT_DEV_SECRET="dev-secret-of-the-sdk-tests",
        )
    assert hosted.returncode == 0, hosted.stdout + hosted.stderr
    assert "FAIL" not in hosted.stdout
    for step in (
        "approved at 20.00% commission",
        "connected (test mode: onboarded at once)",
        "the host's share is $8.00",
        "the admin approved the lot: open",
        "won (verified on this machine)",
        "the host ships to buyer_",
        "delivery confirmed by the winner",
        "OK: paid $8.00 by Stripe transfer sandbox_tr_",
        "(verified)",
    ):
        assert step in hosted.stdout, hosted.stdout

    make_checkpoint()
    audited = run_example(
        "auditor.py", ALOT_EMAIL=email, ALOT_PASSWORD=password, ALOT_VERIFY_LEDGER_KEY=pinned_key
    )
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert "PASSED: 0 failure(s)" in audited.stdout
    assert "OK: draw of 'Rookie card quick draw'" in audited.stdout

    impostor = verifier_key_for(generate_signer_key(pinned_key.split("+", 1)[0])[0])
    refused = run_example(
        "auditor.py", ALOT_EMAIL=email, ALOT_PASSWORD=password, ALOT_VERIFY_LEDGER_KEY=impostor
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "FAIL: the platform now serves another verifier key" in refused.stdout
    assert "FAILED" in refused.stdout

    unpinned = run_example("auditor.py", ALOT_EMAIL=email, ALOT_PASSWORD=password)
    assert unpinned.returncode == 2
