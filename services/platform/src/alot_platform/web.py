"""The reference web client (`web/`), served by the platform at `/` from its build.

Same origin as the API, so the browser's session cookies and CSRF header work without
CORS. Hashed assets under /assets/ never change under one name: they are cached for a
year. Every other page path gets index.html (the client routes it), revalidated on each
load so a new release is picked up at once. /api, /media (uploaded images), the OpenAPI
pages, the health probes and /metrics are never answered here; an unknown /api path
stays a problem+json 404.

Without a build (no Node.js on the machine, say), `/` explains how to get one and where
the API is, instead of a bare 404.
"""

from __future__ import annotations

import gzip
import mimetypes
from functools import lru_cache
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

_NOT_OURS = (
    "/api/",
    "/media/",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
)
_ASSET_CACHE = b"public, max-age=31536000, immutable"
_PAGE_CACHE = b"no-cache"
# The client is ours alone: scripts, styles and fonts only from this origin; prize
# images may come from the hosts' https image stores.
WEB_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    b"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    b"form-action 'self'; frame-ancestors 'none'"
)
_NOT_BUILT = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ALOT! (API only)</title></head>
<body><main><h1>ALOT! is running, without its web client</h1>
<p>The web client has not been built on this machine. Install Node.js 20 or newer and
run <code>make run</code> again: it builds the client and serves it here.</p>
<p>The API works: see the <a href="/docs">interactive API docs</a>.</p></main></body></html>
"""


class WebClientMiddleware:
    """Answer GET/HEAD page and asset requests from `dist`; pass everything else on."""

    def __init__(self, app: ASGIApp, *, dist: Path) -> None:
        self.app = app
        self.dist = dist.resolve()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or path == "/api"
            or path.startswith(_NOT_OURS)
        ):
            await self.app(scope, receive, send)
            return
        index = self.dist / "index.html"
        if not index.is_file():
            if path == "/":
                await _respond(send, scope, 200, None, "text/html; charset=utf-8", None)
            else:
                await self.app(scope, receive, send)
            return
        file = self._file(path)
        if file is not None:
            cache = _ASSET_CACHE if path.startswith("/assets/") else _PAGE_CACHE
            await _respond(send, scope, 200, file, _content_type(file), cache)
        elif path.startswith("/assets/"):
            await _respond(send, scope, 404, None, "text/plain; charset=utf-8", None)
        else:
            await _respond(send, scope, 200, index, "text/html; charset=utf-8", _PAGE_CACHE)

    def _file(self, path: str) -> Path | None:
        """The built file at `path`, never one outside `dist` (no `..`, no symlink out)."""
        if path == "/" or "\x00" in path:
            return None
        candidate = (self.dist / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.dist) or not candidate.is_file():
            return None
        return candidate


def _content_type(file: Path) -> str:
    guessed, _ = mimetypes.guess_type(file.name)
    if guessed is None:
        return "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/javascript", "image/svg+xml"):
        return f"{guessed}; charset=utf-8"
    return guessed


@lru_cache(maxsize=256)
def _read(file: Path, mtime_ns: int, compressed: bool) -> bytes:
    """A built file's bytes, gzipped once per version when asked (text compresses ~4x)."""
    data = file.read_bytes()
    return gzip.compress(data, compresslevel=9, mtime=0) if compressed else data


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept-encoding":
            return b"gzip" in value.lower()
    return False


async def _respond(
    send: Send,
    scope: Scope,
    status: int,
    file: Path | None,
    content_type: str,
    cache: bytes | None,
) -> None:
    """Send `file` (None: the not-built page for 200, a short text for 404)."""
    headers = [(b"content-type", content_type.encode()), (b"content-security-policy", WEB_CSP)]
    if file is None:
        body = _NOT_BUILT if status == 200 else b"not found"
    else:
        compress = _accepts_gzip(scope) and not content_type.startswith(("image/png", "image/jp"))
        body = _read(file, file.stat().st_mtime_ns, compress)
        headers.append((b"vary", b"accept-encoding"))
        if compress:
            headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    if cache is not None:
        headers.append((b"cache-control", cache))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
