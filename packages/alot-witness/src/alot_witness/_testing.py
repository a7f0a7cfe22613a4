"""Run ``alot-witness serve`` as a real process on a free port (for tests and demos)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunningWitness:
    url: str
    verifier_key: str
    data_dir: Path
    log_path: Path


@contextmanager
def running_witness(
    data_dir: Path, name: str, log_keys: list[str], *, timeout: float = 15.0
) -> Iterator[RunningWitness]:
    """Start the witness, wait until it listens, stop it on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).parent / "alot-witness"), "serve"]
    command += ["--data-dir", str(data_dir), "--name", name]
    # Port 0: the kernel picks a free one, which the first line names (no race).
    command += ["--listen", "127.0.0.1:0"]
    for key in log_keys:
        command += ["--log", key]
    # The witness logs to a file: a pipe nobody reads would fill up and block it.
    log_path = data_dir / "witness.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(command, stderr=log_file)  # noqa: S603
    try:
        deadline = time.monotonic() + timeout
        match: re.Match[str] | None = None
        while match is None:
            if process.poll() is not None:
                raise RuntimeError(f"alot-witness exited: {log_path.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError("alot-witness did not start")
            lines = log_path.read_text().splitlines()
            if lines:
                match = re.match(r"alot-witness (\S+) listening on (http://\S+)", lines[0])
            time.sleep(0.05)
        yield RunningWitness(match.group(2), match.group(1), data_dir, log_path)
    finally:
        process.terminate()
        process.wait(timeout=10)
