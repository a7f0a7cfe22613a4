"""The local witness `alot run` starts: one `alot-witness serve` child process.

So that a development server's checkpoints are cosigned too (and a draw's timing
evidence exists, docs/operations/witness.md), `alot run` starts a witness of its own
unless ALOT_WITNESSES is set (then those are used) or ALOT_LOCAL_WITNESS=0. Its key
and state live under <var_dir>/witness/ (created at first run, kept across runs, like
any witness's: it must never forget what it cosigned). It listens on a free loopback
port the kernel picks, so a taken port never stops `alot run`.

The child is started before the migrations and waited for after them, so it costs the
start-up next to nothing. It stops with `alot run`: terminated when the server returns
(Ctrl-C) or when `alot run` gets SIGTERM (``stop_before_termination``); the kernel
sends it SIGTERM if `alot run` dies without cleaning up (Linux); and it stays in `alot
run`'s process group, so whoever stops the group (a terminal's Ctrl-C, a test runner)
stops it too. A witness that cannot start is a warning: the server runs, its
checkpoints unwitnessed.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from alot_ledger import Checkpointer

from alot_platform.config import Settings, WitnessSetting
from alot_platform.ledger.endpoints import ledger_settings

_log = logging.getLogger(__name__)

LOCAL_WITNESS_NAME = "alot.local/witness"
OFF_VALUES = {"0", "false", "no", "off"}
START_TIMEOUT_SECONDS = 15.0
_LISTENING = re.compile(r"alot-witness (\S+) listening on (http://\S+)")


def local_witness_wanted(settings: Settings, environ: dict[str, str] | None = None) -> bool:
    """Whether `alot run` starts its own witness: not when witnesses are configured
    (ALOT_WITNESSES, even an empty list), nor when ALOT_LOCAL_WITNESS is off, nor in
    production (a witness the operator runs itself is no evidence to anyone else)."""
    environ = dict(os.environ) if environ is None else environ
    if "ALOT_WITNESSES" in environ or settings.witnesses or settings.env == "production":
        return False
    return environ.get("ALOT_LOCAL_WITNESS", "1").strip().lower() not in OFF_VALUES


def _witness_command() -> str | None:
    beside = Path(sys.executable).parent / "alot-witness"
    return str(beside) if beside.is_file() else shutil.which("alot-witness")


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to send the child SIGTERM when its parent dies."""
    if not sys.platform.startswith("linux"):
        return None

    def hook() -> None:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


@dataclass
class LocalWitness:
    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    setting: WitnessSetting | None = None

    @classmethod
    def start(cls, settings: Settings) -> LocalWitness | None:
        """Start the witness process (without waiting for it); None if it cannot run."""
        command = _witness_command()
        if command is None:
            _log.warning("alot-witness is not installed: checkpoints are not witnessed")
            return None
        log_key = Checkpointer.from_settings(ledger_settings(settings)).verifier_key
        data_dir = (settings.var_dir / "witness").resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        log_path = data_dir / "witness.log"
        arguments = [command, "serve", "--data-dir", str(data_dir)]
        arguments += ["--name", LOCAL_WITNESS_NAME, "--listen", "127.0.0.1:0", "--log", log_key]
        # Its log goes to a file: a pipe nobody reads would fill up and block it.
        try:
            with log_path.open("w") as log_file:
                process = subprocess.Popen(  # noqa: S603 (our own command, no shell)
                    arguments,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log_file,
                    preexec_fn=_die_with_parent(),  # started before the server starts threads
                )
        except OSError as error:
            _log.warning(
                "the local witness cannot start (%s): checkpoints are not witnessed", error
            )
            return None
        return cls(process, data_dir, log_path)

    def wait_ready(self, timeout: float = START_TIMEOUT_SECONDS) -> WitnessSetting | None:
        """Wait until it listens; its URL and key, or None (logged) if it did not start."""
        deadline = time.monotonic() + timeout
        while self.setting is None:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
            found = _LISTENING.match(lines[0]) if lines else None
            if found is not None:
                self.setting = WitnessSetting(url=found.group(2), key=found.group(1))
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                _log.warning(
                    "the local witness did not start (see %s): checkpoints are not witnessed",
                    self.log_path,
                )
                self.stop()
                return None
            time.sleep(0.02)
        return self.setting

    def stop_before_termination(self) -> None:
        """On SIGTERM, stop the witness, then terminate as SIGTERM does. uvicorn restores
        this handler after its graceful shutdown and raises the signal again: without it
        `alot run` would end there, before any ``finally`` could stop its child."""

        def stop_then_terminate(signum: int, _frame: FrameType | None) -> None:
            self.stop()
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

        signal.signal(signal.SIGTERM, stop_then_terminate)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
