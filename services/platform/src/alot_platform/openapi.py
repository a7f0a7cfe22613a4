"""The OpenAPI document, made to match what the app really sends.

FastAPI documents errors as application/json and validation errors with its own
schema; ours are problem+json (see `errors`). This rewrites every 4xx/5xx to
`application/problem+json` with the `Problem` schema, adds the 422 and 429 every
operation can return, and 401/403 to every operation that needs credentials.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from alot_platform.errors import PROBLEM_CONTENT_TYPE

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": _PROBLEM_REF}},
    }
    if headers:
        response["headers"] = headers
    return response


def install_openapi(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        for path_item in schema.get("paths", {}).values():
            for method, operation in path_item.items():
                if method in _HTTP_METHODS:
                    _rewrite(operation)
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def _rewrite(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status, response in responses.items():
        if status[0] in "45":
            responses[status] = _problem(response.get("description", "Error"))
    if operation.get("parameters") or operation.get("requestBody"):
        responses["422"] = _problem("Invalid input: the `errors` member lists the fields")
    if operation.get("security"):
        responses.setdefault("401", _problem("Not authenticated, or the token is invalid"))
        responses.setdefault(
            "403", _problem("Not allowed (role, CSRF, unverified email, inactive account)")
        )
    responses["429"] = _problem(
        "Rate limited",
        {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    )
