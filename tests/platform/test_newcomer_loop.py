"""A newcomer's loop: the commands `alot run` prints, pasted into a shell, end in a verified draw.

`alot run` (what `make run` starts) prints a dev mailbox URL with this run's secret and
ready-to-paste shell lines: register -> verify (from the dev mailbox, with the dev
secret) -> trivia -> buy -> draw -> `.venv/bin/alot-verify draw`. This test runs the
server as a newcomer does and runs those lines, as printed, with bash.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from .live_server import free_port, wait_until_ready

HEADER = "Play the quick draw from a shell"


@pytest.mark.timeout(240)  # a banner that never ends would otherwise block on readline
@pytest.mark.skipif(shutil.which("curl") is None, reason="the printed steps use curl")
def test_the_printed_walkthrough_ends_in_a_verified_draw(tmp_path: Path) -> None:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ALOT_")  # a newcomer's shell: the defaults
    }
    env.update(
        ALOT_VAR_DIR=str(tmp_path / "var"),
        ALOT_ARGON2_TIME_COST="1",  # fast hashing; everything else is `make run`'s
        ALOT_ARGON2_MEMORY_KIB="1024",
        ALOT_ARGON2_PARALLELISM="1",
    )
    alot = Path(sys.executable).with_name("alot")
    process = subprocess.Popen(
        [str(alot), "run", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        printed: list[str] = []
        while not (printed and HEADER in "".join(printed) and printed[-1] == "\n"):
            line = process.stdout.readline() if process.stdout else ""
            assert line, f"alot run ended early: {''.join(printed)}"
            printed.append(line)
        banner = "".join(printed)
        base = f"http://127.0.0.1:{port}"
        mailbox_line = next(line for line in printed if "dev mailbox" in line)
        mailbox_url = mailbox_line.split()[-1]
        assert mailbox_url.startswith(f"{base}/api/dev/mailbox?secret=")
        secret = mailbox_url.rsplit("=", 1)[1]
        assert len(secret) >= 24
        start = next(i for i, line in enumerate(printed) if HEADER in line) + 1
        steps = [line.removeprefix("    ").rstrip("\n") for line in printed[start:-1]]
        assert steps[0].startswith(f"export ALOT={base} DEV_SECRET={secret} LOT=")
        assert any("alot-verify draw" in step for step in steps), banner
        wait_until_ready(base, process)

        # The mailbox itself: closed without this run's secret.
        assert httpx.get(f"{base}/api/dev/mailbox").status_code == 401
        assert httpx.get(mailbox_url).status_code == 200

        # Pasted at a repository root: `.venv/bin` holds this environment's commands.
        root = tmp_path / "checkout"
        (root / ".venv").mkdir(parents=True)
        (root / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
        script = "set -euo pipefail\n" + "\n".join(steps) + "\n"
        shell_env = {k: v for k, v in env.items() if not k.startswith("ALOT_")}
        ran = subprocess.run(
            ["bash", "-c", script],
            cwd=root,
            env=shell_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ran.returncode == 0, f"{ran.stdout}\n{ran.stderr}"
        assert '"correct":true' in ran.stdout, ran.stdout
        assert ran.stdout.count('"status":"succeeded"') == 2, ran.stdout  # two purchases
        assert "FAIL" not in ran.stdout
        assert "OK" in ran.stdout.splitlines()[-1], ran.stdout

        # The emails' links point at this server, on whatever port it was given.
        kept = httpx.get(mailbox_url).json()
        assert kept, "the mailbox kept no email"
        assert all(f"{base}/" in m["body"] for m in kept), kept
        assert any(f"{base}/verify?token=" in m["body"] for m in kept), kept
    finally:
        process.terminate()
        process.communicate(timeout=30)
