"""Helpers for tests that start a real server process (`alot run`, `alot serve`, uvicorn)."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import Any

import httpx


def free_port() -> int:
    """A loopback port free right now (a test server binds it next)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_ready(base: str, process: subprocess.Popen[Any], *, seconds: float = 60) -> None:
    """Wait until ``base``/readyz answers 200; fail if the process ends or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, "the server ended early"
        assert time.monotonic() < deadline, "the server never became ready"
        time.sleep(0.2)
