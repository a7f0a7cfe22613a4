"""A Redis that restarts empty under watching clients (no persistence, or a failover).

Its counters start again from 1: the lot's next event has a seq the connection already
sent, and would be dropped as a replay. The hub's subscriber notices the loss and, once
back, tells every connection to resync (refetch, then count on from the seq now).
A Redis server of the test's own is restarted; the shared one is never touched.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from ..live_server import free_port
from .test_live_protocol import LOT, _next, _subscribe

pytestmark = [pytest.mark.services, pytest.mark.timeout(120)]


class RedisServer:
    """A redis-server child process without persistence: a restart empties it."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed")
        self._command = [binary, "--port", str(free_port()), "--bind", "127.0.0.1"]
        self._command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
        self.url = f"redis://127.0.0.1:{self._command[2]}/0"
        self._process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(self._command, stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()
        return process

    def restart(self) -> None:
        self.stop()
        self._process = self._start()

    def stop(self) -> None:
        self._process.kill()
        self._process.wait(timeout=10)


@pytest.fixture
def own_redis(redis_url: str, tmp_path: Path) -> Iterator[RedisServer]:
    del redis_url  # a service-backed test: CI runs it with the others
    server = RedisServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hub_settings(own_redis: RedisServer) -> dict[str, Any]:
    return {"redis_url": own_redis.url, "redis_prefix": "alot-test:"}


def test_a_redis_restarted_empty_makes_every_subscriber_resync(
    client: TestClient, make_lot_desk: Callable[..., Any], own_redis: RedisServer
) -> None:
    desk = make_lot_desk(**LOT)
    lot = desk.open_lot()  # seq 1
    buyer = desk.player(lot["id"])
    with client.websocket_connect("/api/ws") as ws:
        ws.receive_json()
        assert _subscribe(ws, lot["id"])["seq"] == 1
        for _ in range(3):
            assert desk.buy(buyer, lot["id"], 0).status_code == 201
        assert [_next(ws)["seq"] for _ in range(3)] == [2, 3, 4]

        own_redis.restart()
        # Once its subscriber is back, the hub says: refetch, and count from 0 (the
        # empty Redis knows no event of this lot).
        assert _next(ws) == {"type": "resync", "lot_id": lot["id"], "seq": 0}
        assert desk.buy(buyer, lot["id"], 0).status_code == 201
        event = _next(ws)
    assert (event["type"], event["seq"]) == ("lot_update", 1)  # not dropped as a replay
    assert event["data"]["tickets_sold"] == 4
