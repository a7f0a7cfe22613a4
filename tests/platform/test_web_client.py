"""The platform serves the web client's build at / (same origin as the API)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alot_platform.config import Settings
from fastapi.testclient import TestClient

INDEX = b"<!doctype html><title>ALOT!</title><div id=root></div>"
ASSET = b"console.log('hashed')"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX)
    (root / "assets" / "index-abc123.js").write_bytes(ASSET)
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("outside the build")
    return root


@pytest.fixture
def web(make_client: Callable[..., TestClient], dist: Path) -> TestClient:
    return make_client(web_dir=dist)


def test_root_and_client_routes_get_the_index_revalidated(web: TestClient) -> None:
    for path in ("/", "/lots/123", "/me/entries?x=1", "/verify"):
        response = web.get(path)
        assert response.status_code == 200, path
        assert response.content == INDEX
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"


def test_hashed_assets_are_cached_for_a_year(web: TestClient) -> None:
    response = web.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.content == ASSET
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in response.headers["content-type"]
    assert web.head("/assets/index-abc123.js").content == b""
    # A missing asset is a 404, never the index (which a browser would run as a script).
    missing = web.get("/assets/index-gone.js")
    assert missing.status_code == 404
    assert missing.content != INDEX
    favicon = web.get("/favicon.svg")
    assert favicon.headers["content-type"].startswith("image/svg+xml")
    assert favicon.headers["cache-control"] == "no-cache"


def test_nothing_outside_the_build_is_served(web: TestClient) -> None:
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt"):
        response = web.get(path)
        assert b"outside the build" not in response.content, path


def test_api_and_docs_paths_are_never_the_client(web: TestClient) -> None:
    unknown = web.get("/api/no/such/route")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert web.get("/api").status_code == 404
    assert web.get("/api").headers["content-type"] == "application/problem+json"
    assert web.get("/healthz").json()["status"] == "ok"
    assert web.get("/openapi.json").json()["openapi"].startswith("3.")
    assert b"swagger" in web.get("/docs").content.lower()
    # Other methods on page paths are not the client's either.
    assert web.post("/lots/123").status_code in (404, 405)


def test_without_a_build_root_explains_and_the_api_works(
    make_client: Callable[..., TestClient], make_settings: Callable[..., Settings]
) -> None:
    client = make_client()  # the test settings point web_dir at nothing
    root = client.get("/")
    assert root.status_code == 200
    assert b"Node.js 20" in root.content
    assert b"/docs" in root.content
    other = client.get("/lots/123")
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    assert client.get("/healthz").status_code == 200


def test_text_is_gzipped_for_clients_that_accept_it(web: TestClient) -> None:
    zipped = web.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"]
    assert zipped.content == ASSET  # httpx decodes it
    plain = web.get("/assets/index-abc123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == ASSET
    assert web.get("/lots/1", headers={"Accept-Encoding": "gzip"}).content == INDEX
