"""Request size limits: a body over `ALOT_MAX_BODY_BYTES` is refused before it is read.

A request whose `Content-Length` is over the limit is answered 413 at once, before
routing, authentication or anything reads a byte of it. A chunked body (no length
given) is counted as it arrives and refused the moment it passes the limit, so no
request makes the server hold more than the limit of body.

One path may be given a limit of its own (`path_limits`): the image upload takes a body
of `ALOT_IMAGE_MAX_BYTES` plus its form's overhead, counted the same way.

A request head (target and headers) over `ALOT_MAX_HEADER_BYTES` is answered 431. The
HTTP server refuses a head that grows past the same limit before it ends (see
`serve.http_limits`); this catches one that arrived whole, and any other server.

A pure ASGI middleware, not `BaseHTTPMiddleware`: that one would read the whole body
into memory before anything could refuse it.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alot_platform.errors import problem_response


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit: the app's error
    handler renders it (413 problem+json) wherever the body was being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the limit of {limit} bytes")
        self.limit = limit


def _too_large(limit: int, request_id: str | None) -> ASGIApp:
    return problem_response(
        413,
        "payload_too_large",
        "Payload too large",
        f"the request body is over the limit of {limit} bytes",
        request_id=request_id,
        headers={"Connection": "close"},
    )


def _head_too_large(limit: int, request_id: str | None) -> ASGIApp:
    return problem_response(
        431,
        "request_header_fields_too_large",
        "Request header fields too large",
        f"the request target and headers are over the limit of {limit} bytes",
        request_id=request_id,
        headers={"Connection": "close"},
    )


def _head_size(scope: Scope) -> int:
    headers = sum(len(name) + len(value) for name, value in scope.get("headers", ()))
    return headers + len(scope.get("raw_path") or b"") + len(scope.get("query_string", b""))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestSizeLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_header_bytes: int,
        path_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope.get("path", ""), self.max_body_bytes)
        request_id = scope.get("state", {}).get("request_id")
        if _head_size(scope) > self.max_header_bytes:
            await _head_too_large(self.max_header_bytes, request_id)(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(limit, request_id)(scope, receive, send)
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # Read outside the app's error handlers (e.g. by a middleware): answer here.
            if response_started:
                raise
            await _too_large(limit, request_id)(scope, receive, send)
