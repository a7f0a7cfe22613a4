"""OpenAPI declarations shared by routers: the problem responses an endpoint can return."""

from __future__ import annotations

from typing import Any

from alot_platform.errors import Problem

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated, or the token is invalid or expired",
    403: "Authenticated but not allowed (role, CSRF, unverified email, inactive account)",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Rate limited; see Retry-After",
    503: "Not ready",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries declaring application/problem+json bodies for these statuses."""
    return {
        status: {"model": Problem, "description": _DESCRIPTIONS.get(status, "Error")}
        for status in statuses
    }
