"""`alot run` starts one local witness process and stops it when it stops.

Real processes: `alot run` on the embedded SQLite defaults, its `alot-witness serve`
child, signals as a terminal (Ctrl-C to the process group) or a supervisor (SIGTERM to
`alot run` alone) sends them.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from alot_platform.config import Settings
from alot_platform.witnesses.local import LOCAL_WITNESS_NAME, local_witness_wanted
from alot_verify.cosignature import verify_cosignature, witness_verifier_key

from ..live_server import free_port, wait_until_ready

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _env(var_dir: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOT_")}
    env.update(
        ALOT_ENV="development",
        ALOT_VAR_DIR=str(var_dir),
        ALOT_WEB_DIR=str(var_dir / "no-web-client"),
        ALOT_ARGON2_TIME_COST="1",
        ALOT_ARGON2_MEMORY_KIB="1024",
        ALOT_ARGON2_PARALLELISM="1",
        **more,
    )
    return env


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped yet has stopped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@contextmanager
def _alot_run(var_dir: Path, **env: str) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """`alot run` in a process group of its own; yields it, its URL and its banner."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("alot")), "run", "--port", str(port)],
        env=_env(var_dir, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # a group of its own, as a terminal gives it
    )
    try:
        banner = ""
        while "  witnesses " not in banner:
            line = process.stdout.readline() if process.stdout else ""
            assert line, f"alot run ended early: {banner}"
            banner += line
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(base, process, seconds=120)
        yield process, base, banner
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)


def _witness_of(process: subprocess.Popen[str]) -> int:
    (child,) = [
        pid
        for pid in _children(process.pid)
        if "alot-witness" in Path(f"/proc/{pid}/cmdline").read_text()
    ]
    return child


def _wait_gone(pid: int, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        assert time.monotonic() < deadline, f"the witness {pid} outlived alot run"
        time.sleep(0.05)


@pytest.mark.timeout(240)
def test_alot_run_starts_a_witness_that_cosigns_and_stops_with_it_on_sigterm(
    tmp_path: Path,
) -> None:
    var_dir = tmp_path / "var"
    with _alot_run(var_dir) as (process, base, banner):
        witness_pid = _witness_of(process)
        assert f"(local, {var_dir / 'witness'})" in banner
        # Its key was made at first run, under the var dir, and it cosigns: the first
        # tick's checkpoint (the demo lots) is served with its cosignature.
        signer = (var_dir / "witness" / "witness.key").read_text().strip()
        witness_key = witness_verifier_key(signer)
        assert witness_key.startswith(LOCAL_WITNESS_NAME + "+")
        deadline = time.monotonic() + 30
        while not (cosigned := httpx.get(f"{base}/api/ledger/checkpoint/cosigned").json()).get(
            "cosignatures"
        ):
            assert time.monotonic() < deadline, cosigned
            time.sleep(0.2)
        assert [c["witness_key"] for c in cosigned["cosignatures"]] == [witness_key]
        verify_cosignature(cosigned["note"], witness_key)

        process.send_signal(signal.SIGTERM)  # to alot run alone, as a supervisor does
        # Like uvicorn, it ends by SIGTERM once shut down; its witness stopped (and reaped)
        # first, not left to the kernel's parent-death signal.
        assert process.wait(timeout=60) == -signal.SIGTERM
        assert not Path(f"/proc/{witness_pid}").exists()


@pytest.mark.timeout(240)
def test_ctrl_c_stops_alot_run_and_its_witness(tmp_path: Path) -> None:
    with _alot_run(tmp_path / "var") as (process, _base, _banner):
        witness_pid = _witness_of(process)
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        process.wait(timeout=60)
        _wait_gone(witness_pid)


@pytest.mark.timeout(240)
def test_a_killed_alot_run_leaves_no_witness_behind(tmp_path: Path) -> None:
    with _alot_run(tmp_path / "var") as (process, _base, _banner):
        witness_pid = _witness_of(process)
        process.kill()  # no clean-up at all: the kernel tells the witness
        process.wait(timeout=60)
        _wait_gone(witness_pid)


def test_configured_witnesses_or_the_switch_turn_the_local_witness_off(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    assert local_witness_wanted(settings, {})
    assert local_witness_wanted(settings, {"ALOT_LOCAL_WITNESS": "1"})
    for off in ("0", "false", "off", "no"):
        assert not local_witness_wanted(settings, {"ALOT_LOCAL_WITNESS": off})
    assert not local_witness_wanted(settings, {"ALOT_WITNESSES": "[]"})
    from alot_verify.cosignature import generate_witness_key

    _, key = generate_witness_key("witness.test/theirs")
    configured = Settings(var_dir=tmp_path, witnesses=[{"url": "http://127.0.0.1:1", "key": key}])
    assert not local_witness_wanted(configured, {})
    assert not local_witness_wanted(settings.model_copy(update={"env": "production"}), {})


def test_a_local_witness_that_cannot_start_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from alot_platform.witnesses.local import LocalWitness
    from alot_verify.cosignature import generate_witness_key

    # Its data dir holds another witness's key: `alot-witness serve` refuses to start.
    (tmp_path / "witness").mkdir()
    signer, _ = generate_witness_key("witness.test/someone-else")
    (tmp_path / "witness" / "witness.key").write_text(signer + "\n")
    witness = LocalWitness.start(Settings(var_dir=tmp_path))
    assert witness is not None
    with caplog.at_level(logging.WARNING, logger="alot_platform.witnesses.local"):
        assert witness.wait_ready() is None
    assert witness.process.poll() is not None
    assert any("did not start" in r.getMessage() for r in caplog.records)
    assert "someone-else" in witness.log_path.read_text()
