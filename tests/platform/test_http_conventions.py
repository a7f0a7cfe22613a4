"""What every response carries: request id, problem+json errors, security headers, CORS;
plus the health probes and the structured logs."""

from __future__ import annotations

import json
import logging
import uuid
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


def test_a_405_allows_every_method_of_the_path(client: TestClient) -> None:
    for method, path, allowed in (
        ("DELETE", "/api/lots", {"GET", "POST"}),
        ("PUT", "/api/users/me", {"DELETE", "GET", "PATCH"}),
        ("DELETE", f"/api/lots/{'0' * 8}-0000-0000-0000-{'0' * 12}", {"GET", "PATCH"}),
        ("DELETE", "/api/ledger/checkpoints", {"GET", "POST"}),
    ):
        response = client.request(method, path)
        assert response.status_code == 405, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert set(response.headers["allow"].split(", ")) == allowed, path


def test_the_openapi_document_says_what_the_api_does(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    # Public reads take credentials if sent (an admin sees hidden lots) but need none.
    for path in ("/api/lots", "/api/lots/{lot_id}", "/api/lots/{lot_id}/draw"):
        security = paths[path]["get"]["security"]
        assert security[0] == {}, path
        assert client.get(path.replace("{lot_id}", str(uuid.uuid4()))).status_code != 401
    assert paths["/api/users/me"]["get"]["security"][0] != {}
    # Every operation that reads a body says a body can be unreadable, too large or invalid.
    for path, item in paths.items():
        for method, operation in item.items():
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(operation["responses"]), (method, path)
    # Ledger summaries are written, not generated from function names.
    summaries = [
        operation["summary"]
        for path, item in paths.items()
        if path.startswith("/api/ledger/")
        for operation in item.values()
    ]
    assert "Latest Checkpoint" not in summaries
    assert "Export" not in summaries
    assert paths["/api/ledger/export"]["get"]["summary"].startswith("Export committed")


def test_an_unreadable_body_is_a_documented_400(client: TestClient) -> None:
    response = client.post(
        "/api/auth/login", content=b"\xff\xfe{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    responses = client.get("/openapi.json").json()["paths"]["/api/auth/login"]["post"]["responses"]
    assert "400" in responses
