"""HTTP metrics (a pure ASGI middleware) and ``GET /metrics``.

Requests are labelled by their route's template (``/api/lots/{lot_id}``), never by
their path: one series per route, whatever the ids. A request answered before routing
(a rate limit, a size limit) is labelled by the route it would have reached; one no
route matches (a 404, the web client's pages) is ``unmatched``. WebSockets (GET
/api/ws) are not HTTP requests: ``alot_ws_connections`` counts them.

Who may read ``/metrics``: with ALOT_METRICS_TOKEN set, a client that sends it as a
bearer token (401 without one, 403 with another; compared in constant time). Without a
token, only a direct loopback client: a peer address of 127.0.0.0/8 or ::1 *and* no
forwarding header, since a reverse proxy on the same host would otherwise make every
outside request look local; anyone else gets a 404, as if there were no such page.
For Prometheus elsewhere, set the token, or ALOT_METRICS_PORT (an internal port, no
token).
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import iter_route_contexts
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alot_platform.config import Settings
from alot_platform.context import PlatformContext
from alot_platform.dev.endpoints import is_loopback
from alot_platform.errors import Forbidden, NotAuthenticated, NotFound
from alot_platform.observability.collector import DatabaseCollector
from alot_platform.observability.exposition import scrape_registry
from alot_platform.observability.metrics import (
    HTTP_METHODS,
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS,
    HTTP_REQUESTS_IN_FLIGHT,
)

PATH = "/metrics"
UNMATCHED = "unmatched"
_FORWARDING_HEADERS = frozenset({b"forwarded", b"x-forwarded-for", b"x-real-ip"})

router = APIRouter(include_in_schema=False)


@router.get(PATH)
async def metrics(request: Request) -> Response:
    platform: PlatformContext = request.app.state.platform
    check_access(request.scope, platform.settings)
    body = await run_in_threadpool(render, platform)  # the database figures do I/O
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def render(platform: PlatformContext) -> bytes:
    """The scrape's text: the process (family)'s metrics and the database figures."""
    collector = DatabaseCollector(platform.database, platform.clock, platform.settings)
    return generate_latest(scrape_registry(collector))


def check_access(scope: Scope, settings: Settings) -> None:
    """Raise unless this request may read the metrics (the module docstring says who)."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    token = settings.metrics_token
    if token is None:
        client = scope.get("client")
        direct = not any(name in _FORWARDING_HEADERS for name, _ in headers)
        if not (direct and client and is_loopback(str(client[0]))):
            raise NotFound("no such page")
        return
    sent = next((value for name, value in headers if name == b"authorization"), None)
    scheme, _, credentials = (sent or b"").partition(b" ")
    if scheme.lower() != b"bearer" or not credentials.strip():
        raise NotAuthenticated("send the metrics token: Authorization: Bearer <token>")
    if not hmac.compare_digest(credentials.strip(), token.get_secret_value().encode()):
        raise Forbidden("wrong metrics token")


class HttpMetricsMiddleware:
    """Count and time every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, *, routes: list[BaseRoute]) -> None:
        self.app = app
        self._routes = routes
        self._templates: _RouteTemplates | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # if the app raises before it answers

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        HTTP_REQUESTS_IN_FLIGHT.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            seconds = time.perf_counter() - started
            HTTP_REQUESTS_IN_FLIGHT.dec()
            if self._templates is None:  # the routes are all in place by the first request
                self._templates = _RouteTemplates(self._routes)
            method = scope["method"] if scope["method"] in HTTP_METHODS else "other"
            labels = (method, self._templates.of(scope), str(status))
            HTTP_REQUESTS.labels(*labels).inc()
            HTTP_REQUEST_DURATION.labels(*labels).observe(seconds)


class _RouteTemplates:
    """A request's route template, e.g. ``/api/lots/{lot_id}``, or ``unmatched``."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._contexts = list(iter_route_contexts(routes))
        self._by_route: dict[int, str | None] = {}
        for context in self._contexts:
            key = id(context.original_route)
            # A route included under two prefixes has no one template: match the path.
            self._by_route[key] = None if key in self._by_route else context.path_format

    def of(self, scope: Scope) -> str:
        route: Any = scope.get("route")
        if route is not None:
            template = self._by_route.get(id(route))
            if template is not None:
                return template
        return self._matching(scope)

    def _matching(self, scope: Scope) -> str:
        """For a request the router did not see (or a route with several templates)."""
        partial: str | None = None
        for context in self._contexts:
            match, _ = context.matches(scope)
            if match is Match.FULL:
                return str(context.path_format)
            if match is Match.PARTIAL and partial is None:
                partial = str(context.path_format)
        return partial or UNMATCHED
