"""``GET /api/ws``: live lot events and a signed-in user's own events.

Who is calling is settled once, at connect: a Bearer header, ``?token=`` (redacted
from every log line) or the access cookie (only from the platform's own Origin: a page
elsewhere must not open a socket with the visitor's cookie). Refusals are close codes
after the handshake (browsers do not show an HTTP status for a refused WebSocket).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from alot_platform.auth.dependencies import ACCESS_COOKIE
from alot_platform.auth.service import AuthService, access_claims
from alot_platform.auth.tokens import Claims
from alot_platform.config import Settings
from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.errors import AlotError
from alot_platform.lots.service import LotNotFound, LotService
from alot_platform.observability.metrics import WS_CONNECTIONS
from alot_platform.realtime.connection import (
    ORIGIN_REFUSED,
    TOO_MANY_CONNECTIONS,
    UNAUTHENTICATED,
    Connection,
    Limits,
)
from alot_platform.realtime.events import lot_snapshot
from alot_platform.security.client_address import client_address
from alot_platform.users.models import User

PATH = "/api/ws"


class LiveEndpoint:
    """``GET /api/ws``, answered before the HTTP middleware and the router.

    None of the middleware applies to a WebSocket (each passes it through), but each
    would keep a suspended frame per connection for the connection's whole life: with
    thousands of idle connections per process that is memory for nothing.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == PATH:
            await live(WebSocket(scope, receive, send))
            return
        await self.app(scope, receive, send)


async def live(websocket: WebSocket) -> None:
    platform: PlatformContext = websocket.app.state.platform
    hub = platform.live
    assert hub is not None
    settings = platform.settings
    address = client_address(websocket.scope, settings.trusted_proxies, settings.forwarded_header)
    gate = _Gate.of(websocket)
    await websocket.accept()
    if not gate.admit(address, settings.ws_max_connections_per_ip):
        await _close(websocket, TOO_MANY_CONNECTIONS)
        return
    WS_CONNECTIONS.inc()
    try:
        outcome = await _authenticate(websocket, platform, gate)
        if isinstance(outcome, int):
            await _close(websocket, outcome)
            return
        user, expires_at = outcome
        viewer_id = None if user is None else user.id

        async def look(lot_id: uuid.UUID) -> dict[str, Any] | None:
            async with gate.reads:
                return await run_in_threadpool(_current, platform, lot_id, user)

        connection = Connection(
            websocket,
            hub,
            limits(settings),
            user_id=viewer_id,
            look=look,
            now=platform.clock,
        )
        await connection.run(expires_at)
    finally:
        WS_CONNECTIONS.dec()
        gate.release(address)


async def _close(websocket: WebSocket, code: int) -> None:
    with contextlib.suppress(Exception):  # the client may be gone already
        await websocket.close(code)


def limits(settings: Settings) -> Limits:
    return Limits(
        heartbeat_seconds=settings.ws_heartbeat_seconds,
        idle_timeout_seconds=settings.ws_idle_timeout_seconds,
        max_subscriptions=settings.ws_max_subscriptions,
        max_message_bytes=settings.ws_max_message_bytes,
        send_queue=settings.ws_send_queue,
    )


async def _authenticate(
    websocket: WebSocket, platform: PlatformContext, gate: _Gate
) -> tuple[User | None, datetime | None] | int:
    """The caller and when their token expires (anonymous: None, None), or a close code."""
    token = _bearer(websocket) or websocket.query_params.get("token")
    if not token:
        token = websocket.cookies.get(ACCESS_COOKIE)
        if token and not _own_origin(websocket, platform.settings):
            return ORIGIN_REFUSED
    if not token:
        return None, None
    try:
        claims = access_claims(platform, token)
        async with gate.reads:
            user = await run_in_threadpool(_signed_in, platform, claims)
    except AlotError:
        return UNAUTHENTICATED
    return user, claims.expires_at


def _bearer(websocket: WebSocket) -> str | None:
    scheme, _, credentials = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def _own_origin(websocket: WebSocket, settings: Settings) -> bool:
    origin = websocket.headers.get("origin")
    if not origin:
        return False
    allowed = {_origin_of(settings.public_url), _origin_of(settings.frontend_origin)}
    host = websocket.headers.get("host")
    if host:
        allowed |= {f"http://{host.lower()}", f"https://{host.lower()}"}
    return _origin_of(origin) in allowed


def _origin_of(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _signed_in(platform: PlatformContext, claims: Claims) -> User:
    with contextmanager(unit_of_work)(platform.database) as session:
        return AuthService(session, platform).signed_in(claims)


def _current(
    platform: PlatformContext, lot_id: uuid.UUID, viewer: User | None
) -> dict[str, Any] | None:
    """The lot's snapshot as committed now, or None when the viewer may not see it (the
    lots service's rule: a lot the viewer may not see does not exist for them)."""
    with contextmanager(unit_of_work)(platform.database) as session:
        try:
            return lot_snapshot(LotService(session, platform).get_visible(lot_id, viewer))
        except LotNotFound:
            return None


class _Gate:
    """This process's share of the limits: connections per address, database reads.

    Connections are counted per server process (``alot serve --workers N`` admits up to
    N times the limit from one address). At most half the database pool reads for
    WebSockets at once, so a burst of (re)connecting clients never starves the HTTP
    requests of connections.
    """

    def __init__(self, platform: PlatformContext) -> None:
        self.open: dict[str, int] = {}
        self.reads = asyncio.Semaphore(max(1, platform.database.capacity // 2))

    @staticmethod
    def of(websocket: WebSocket) -> _Gate:
        state = websocket.app.state
        gate: _Gate | None = getattr(state, "live_gate", None)
        if gate is None:  # one event loop per app: nothing runs in between
            gate = state.live_gate = _Gate(state.platform)
        return gate

    def admit(self, address: str, limit: int) -> bool:
        count = self.open.get(address, 0)
        if count >= limit:
            return False
        self.open[address] = count + 1
        return True

    def release(self, address: str) -> None:
        count = self.open.pop(address, 0) - 1
        if count > 0:
            self.open[address] = count
