"""What every response carries: request id, problem+json errors, security headers, CORS;
plus the health probes and the structured logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alot_platform.logs import JsonFormatter
from fastapi.testclient import TestClient


def test_every_response_has_a_request_id(client: TestClient) -> None:
    responses = [
        client.get("/healthz"),
        client.get("/api/users/me"),
        client.get("/no/such/route"),
        client.post("/api/auth/login", json={}),
        client.delete("/api/auth/login"),
    ]
    ids = [r.headers["x-request-id"] for r in responses]
    assert len(set(ids)) == len(ids)
    for response in responses[1:]:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["request_id"] == response.headers["x-request-id"]
    assert [r.status_code for r in responses] == [200, 401, 404, 422, 405]


def test_a_sane_incoming_request_id_is_kept_and_an_odd_one_replaced(client: TestClient) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"] != "bad id\twith spaces"
    assert len(replaced.headers["x-request-id"]) == 32


def test_security_headers(client: TestClient) -> None:
    api = client.get("/api/users/me")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["x-frame-options"] == "DENY"
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
    assert api.headers["cache-control"] == "no-store"
    assert api.headers["strict-transport-security"].startswith("max-age=")  # over https
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    plain = TestClient(client.app, base_url="http://testserver")
    assert "strict-transport-security" not in plain.get("/healthz").headers


def test_cors_allows_only_the_frontend_origin(client: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = client.options(
        "/api/auth/login", headers={"Origin": "https://app.example.com", **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    other = client.options(
        "/api/auth/login", headers={"Origin": "https://evil.example.net", **preflight}
    )
    assert "access-control-allow-origin" not in other.headers
    simple = client.get("/healthz", headers={"Origin": "https://evil.example.net"})
    assert "access-control-allow-origin" not in simple.headers


def test_health_probes(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_readyz_reports_an_unreachable_database(
    make_client: Callable[..., TestClient], tmp_path: Path, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("an unreachable database is simplest to make with a SQLite path")
    make_client()  # migrates the real database first
    broken = make_client(database_url=f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    response = broken.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "not_ready"
    assert broken.get("/healthz").status_code == 200


def test_log_lines_are_json_with_the_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = client.get("/api/users/me", headers={"X-Request-ID": "trace-me-42"})
    access = [r for r in caplog.records if r.name == "alot_platform.access"]
    assert access
    line = json.loads(JsonFormatter().format(access[-1]))
    assert line["request_id"] == "trace-me-42" == response.headers["x-request-id"]
    assert line["status"] == 401
    assert line["path"] == "/api/users/me"
    assert line["level"] == "INFO"


def test_unexpected_errors_are_a_generic_500_with_the_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    from alot_platform.auth.dependencies import public
    from fastapi import APIRouter, Depends

    router = APIRouter()

    @router.get("/api/boom", dependencies=[Depends(public)])
    def boom() -> Any:
        raise RuntimeError("secret internals")

    client.app.include_router(router)  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    assert "secret" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert any("secret internals" in (r.exc_text or "") for r in caplog.records)
