"""More concurrent requests than pooled connections: they queue, none starves or fails."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from alot_platform.app import create_app
from alot_platform.config import Settings
from alot_platform.migrate import migrate

from .live_server import free_port


@pytest.fixture
def tiny_pool_server(make_settings: Callable[..., Settings], clock: Any) -> Iterator[str]:
    """A real uvicorn server (one event loop, 40 threads) with only 2 pooled connections."""
    settings = make_settings(db_pool_size=2, db_max_overflow=0)
    migrate(settings)
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, clock=clock), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_sixty_four_requests_share_two_connections(tiny_pool_server: str) -> None:
    async def run() -> list[int]:
        async with httpx.AsyncClient(base_url=tiny_pool_server, timeout=60) as client:
            # /api/lots opens a unit of work per request: each needs a pooled connection.
            responses = await asyncio.gather(*(client.get("/api/lots") for _ in range(64)))
        return [response.status_code for response in responses]

    assert asyncio.run(run()) == [200] * 64


def test_a_slot_given_back_early_admits_another_request_and_is_not_given_twice() -> None:
    """``release_request_slot``: the request goes on without its slot, another takes it,
    and the end of the first request does not free a second slot."""
    from alot_platform.db import RequestSlotsMiddleware, release_request_slot

    async def scenario() -> list[str]:
        done: list[str] = []
        gates = {name: asyncio.Event() for name in ("a", "b", "c", "d")}

        async def app(scope: Any, receive: Any, send: Any) -> None:
            name = scope["path"].strip("/")
            if name == "a":
                release_request_slot(scope)
                release_request_slot(scope)  # a second give-back changes nothing
            await gates[name].wait()
            done.append(name)

        slots = RequestSlotsMiddleware(app, slots=1)

        def request(name: str) -> asyncio.Task[None]:
            return asyncio.create_task(slots({"type": "http", "path": f"/{name}"}, None, None))

        a = request("a")
        b = request("b")  # admitted: a gave its slot back
        gates["b"].set()
        await asyncio.wait_for(b, 5)
        gates["a"].set()
        await a
        c, d = request("c"), request("d")  # one slot, as before: d waits for c
        await asyncio.sleep(0.05)
        gates["d"].set()
        await asyncio.sleep(0.05)
        assert not d.done()
        gates["c"].set()
        await asyncio.wait_for(asyncio.gather(c, d), 5)
        return done

    assert asyncio.run(scenario()) == ["b", "a", "c", "d"]
