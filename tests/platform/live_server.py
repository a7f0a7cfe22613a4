"""Helpers for tests that start a real server process (`alot run`, `alot serve`, uvicorn)."""

from __future__ import annotations

import random
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10000  # above the well-known ports and web/e2e's 8600-9499


def free_port() -> int:
    """A loopback port free right now (a test server binds it next).

    Chosen below the kernel's ephemeral range. A port from bind(0) comes from that range,
    where any outgoing connection (to PostgreSQL, Redis, another test server) may take it
    in the moment before the server binds it; the server then cannot listen and exits.
    """
    try:
        ephemeral_low = int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 0
    if ephemeral_low > _LOWEST + 1000:
        for _ in range(100):
            port = random.randrange(_LOWEST, ephemeral_low)
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        found: int = sock.getsockname()[1]
        return found


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
