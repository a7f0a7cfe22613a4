"""Request size limits: bodies over ALOT_MAX_BODY_BYTES are refused before they are read
(413 problem+json, before authentication), and an oversized request head is refused by
the HTTP server that `alot run` and `alot serve` start."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from alot_platform.serve import http_limits
from fastapi.testclient import TestClient

LIMIT = 1_048_576  # the default
PROTECTED = "/api/lots/00000000-0000-0000-0000-000000000000/entries/purchase"


def _call(
    client: TestClient, path: str, headers: dict[str, str], chunks: list[bytes]
) -> tuple[int, dict[str, str], dict[str, Any], int]:
    """Send a request to the app as the server would, chunk by chunk; also how many
    chunks the app asked for."""
    read = 0
    started: dict[str, Any] = {}
    body = bytearray()

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read < len(chunks):
            read += 1
            return {"type": "http.request", "body": chunks[read - 1], "more_body": True}
        if read == len(chunks):
            read += 1
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443),
        "state": {},
    }

    async def run() -> None:
        await client.app(scope, receive, send)  # type: ignore[arg-type]

    assert client.portal is not None
    client.portal.call(run)
    response_headers = {k.decode(): v.decode() for k, v in started["headers"]}
    return started["status"], response_headers, json.loads(body), read


def _too_large(status: int, headers: dict[str, str], body: dict[str, Any]) -> None:
    assert status == 413, body
    assert headers["content-type"] == "application/problem+json"
    assert body["code"] == "payload_too_large"
    assert body["request_id"] == headers["x-request-id"]


def test_an_oversized_body_is_refused_before_it_is_read_or_authenticated(
    client: TestClient,
) -> None:
    chunks = [b"x" * 65_536] * 32  # 2 MiB, anonymous, to a route that needs a login
    headers = {"content-type": "application/json", "content-length": str(2 * LIMIT)}
    status, response_headers, body, read = _call(client, PROTECTED, headers, chunks)
    _too_large(status, response_headers, body)
    assert read == 0  # not a byte of it was asked for

    plain = client.post(PROTECTED, content=b"x" * (2 * LIMIT))
    assert plain.status_code == 413
    assert plain.json()["code"] == "payload_too_large"


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(client: TestClient) -> None:
    chunks = [b" " * 65_536] * 32  # 2 MiB with no Content-Length
    headers = {"content-type": "application/json", "transfer-encoding": "chunked"}
    status, response_headers, body, read = _call(client, PROTECTED, headers, chunks)
    _too_large(status, response_headers, body)
    assert read == LIMIT // 65_536 + 1  # the chunk that passed the limit, and no more

    def stream() -> Iterator[bytes]:
        yield from chunks

    streamed = client.post(PROTECTED, content=stream())
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "payload_too_large"


def test_a_body_at_the_limit_is_read(client: TestClient, api: Any) -> None:
    email, _ = api.register()
    api.verify(email)
    login = json.dumps({"email": email, "password": "correct-horse-battery"}).encode()
    at_limit = login + b" " * (LIMIT - len(login))
    assert len(at_limit) == LIMIT
    response = client.post(
        "/api/auth/login", content=at_limit, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    over = client.post(
        "/api/auth/login", content=at_limit + b" ", headers={"content-type": "application/json"}
    )
    assert over.status_code == 413


def test_the_limit_is_a_setting(make_client: Any) -> None:
    small = make_client(max_body_bytes=4096)
    assert small.post("/api/auth/login", content=b" " * 4097).status_code == 413
    assert small.post("/api/auth/login", content=b"{}").status_code == 422


@pytest.fixture
def served(client: TestClient) -> Iterator[int]:
    """The test's app behind a real uvicorn, configured as `alot run` configures it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    settings = client.app.state.platform.settings  # type: ignore[attr-defined]
    config = uvicorn.Config(
        client.app, lifespan="off", log_config=None, access_log=False, **http_limits(settings)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)


def _raw(port: int, head: bytes) -> bytes:
    """What the server answered before closing the connection (b"" if it reset it); a
    server still waiting for the rest of the request times the test out."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        try:
            conn.sendall(head)
            while chunk := conn.recv(65_536):
                received += chunk
        except ConnectionResetError:
            pass  # closed with unread bytes of ours in its buffer: refused all the same
    return received


def test_an_oversized_request_head_is_refused_by_the_server(served: int) -> None:
    ok = _raw(served, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert ok.startswith(b"HTTP/1.1 200"), ok[:200]
    # A head still growing past the limit is refused without waiting for its end.
    endless = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 40_000
    answer = _raw(served, endless)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:200]


def test_an_oversized_request_head_is_refused_by_the_app(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Padding": "a" * 16_384})
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "request_header_fields_too_large"
    assert client.get("/healthz", headers={"X-Padding": "a" * 15_000}).status_code == 200
