"""docs/platform/walkthrough.md, run as written against a live `alot run`.

Every `$ ` command of the page runs in bash, in order, from a checkout-like folder whose
`.venv/bin` holds this environment's commands; the variables each command exports carry
to the commands after it (its environment is saved, not its `export` run again), as in
the one shell the page asks for. The command that starts the server in
the background is started by the test instead (on a free port, which replaces the
page's) so that it can be stopped at the end. A command must exit 0 (under `set -e`
and `pipefail`; a variable it exports must not be empty or `null`), and print exactly
the lines the page shows under it; every line `alot-verify` prints must be an `OK:`.
The only addition to the page is fast password hashing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .doc_commands import page_commands
from .live_server import free_port, wait_until_ready

PAGE = Path(__file__).resolve().parents[2] / "docs" / "platform" / "walkthrough.md"
PORT = "8300"


@pytest.mark.timeout(240)
@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("jq") is None,
    reason="the page's commands need curl and jq",
)
def test_every_command_of_the_walkthrough_works_against_a_live_server(tmp_path: Path) -> None:
    commands = page_commands(PAGE.read_text(encoding="utf-8"))
    starts = [c for c in commands if ".venv/bin/alot run " in c.text]
    assert len(starts) == 1, "update this test"
    assert starts[0].text.endswith(" &"), "update this test"
    assert any("alot-verify ledger" in c.text for c in commands)
    assert any("alot-verify draw" in c.text for c in commands)

    root = tmp_path / "checkout"
    (root / ".venv").mkdir(parents=True)
    (root / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
    env = {key: value for key, value in os.environ.items() if not key.startswith("ALOT_")}
    env.update(
        ALOT_ARGON2_TIME_COST="1",
        ALOT_ARGON2_MEMORY_KIB="1024",
        ALOT_ARGON2_PARALLELISM="1",
    )
    port = PORT  # until the server has its own
    state = tmp_path / "exported.sh"
    state.write_text("")
    server: subprocess.Popen[bytes] | None = None
    try:
        for command in commands:
            text = command.text.replace(PORT, port)
            if command is starts[0]:
                server, port = _start_server(command.text, state, root, env)
                continue
            script = f". {state}\nset -eo pipefail\n{text}\n"
            if text.startswith("export "):  # `export X="$(failing)"` exits 0: check X
                for name in re.findall(r"\b([A-Z][A-Z0-9_]*)=", text.split("\n", 1)[0]):
                    script += f'[ -n "${name}" ] && [ "${name}" != null ] || exit 1\n'
            script += f"export -p > {state}\n"
            ran = subprocess.run(
                ["bash", "-c", script],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=90,
            )
            assert server is None or server.poll() is None, ("the server stopped", _log(root))
            assert ran.returncode == 0, (command.text, ran.stdout, ran.stderr, _log(root))
            printed = ran.stdout.splitlines()
            if "alot-verify " in text:
                assert printed, (command.text, ran.stderr)
                assert all(line.startswith("OK: ") for line in printed), (command.text, printed)
            elif "lot_settlement" in "".join(command.expected):
                # which of the two players lost is up to the draw: their order may swap
                assert sorted(printed) == sorted(command.expected), (command.text, printed)
            else:
                assert printed == command.expected, (command.text, ran.stdout, ran.stderr)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    assert server is not None


def _start_server(
    text: str, state: Path, root: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the page's `alot run` on a free port and wait until it answers as itself.

    A port found free can be taken by another program before the server binds it; the
    server then exits 2 and the page's wait loop would be answered by whatever took it.
    So the test waits for its own process to be ready, and takes another port if the
    server could not listen.
    """
    for _attempt in range(3):
        port = str(free_port())
        command = text.replace(PORT, port).removesuffix("&").strip()
        server = subprocess.Popen(["bash", "-c", f". {state}\nexec {command}"], cwd=root, env=env)
        try:
            wait_until_ready(f"http://127.0.0.1:{port}", server)
            return server, port
        except AssertionError:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=30)
            if "cannot listen" not in _log(root):
                raise AssertionError(("the server did not start", _log(root))) from None
    raise AssertionError(("no free port after 3 tries", _log(root)))


def _log(root: Path) -> str:
    """The end of the server's output (the page sends it to alot-run.log)."""
    log = root / "alot-run.log"
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no alot-run.log)"
