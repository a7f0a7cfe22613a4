"""The OpenAPI document, made to match what the app really sends.

FastAPI documents errors as application/json and validation errors with its own
schema; ours are problem+json (see `errors`). This rewrites every 4xx/5xx to
`application/problem+json` with the `Problem` schema, adds the 422 and 429 every
operation can return, 400 and 413 to every operation that reads a body, and 401/403 to
every operation that needs credentials.

An operation open to anonymous callers (it depends on `public`) that still reads
credentials when they are sent (e.g. an admin sees hidden lots) lists the empty
security requirement `{}` first: credentials are optional there, not required.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from alot_platform.auth.dependencies import public
from alot_platform.errors import PROBLEM_CONTENT_TYPE

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}
# Headers an endpoint reads as optional only to refuse their absence itself, with a
# clearer problem than a validation error (400 idempotency_key_required).
_REQUIRED_HEADERS = {"Idempotency-Key"}


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
        open_to_anyone = _public_operations(app)
        for path, path_item in schema.get("paths", {}).items():
            for method, operation in path_item.items():
                if method in _HTTP_METHODS:
                    _rewrite(operation, anyone=(path, method) in open_to_anyone)
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def _strip_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = [o for o in schema.get("anyOf", ()) if o.get("type") != "null"]
    if len(options) != 1:
        return schema
    return {**{k: v for k, v in schema.items() if k != "anyOf"}, **options[0]}


def _depends_on_public(dependant: Dependant) -> bool:
    return any(sub.call is public or _depends_on_public(sub) for sub in dependant.dependencies)


def _public_operations(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (route.path_format or "", method.lower())
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute) and _depends_on_public(route.dependant)
        for method in route.methods or ()
    }


def _rewrite(operation: dict[str, Any], *, anyone: bool) -> None:
    for parameter in operation.get("parameters", ()):
        if parameter["in"] == "header" and parameter["name"] in _REQUIRED_HEADERS:
            parameter["required"] = True
            parameter["schema"] = _strip_null(parameter["schema"])
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status, response in responses.items():
        if status[0] in "45":
            responses[status] = _problem(response.get("description", "Error"))
    if operation.get("requestBody"):
        responses.setdefault("400", _problem("The body could not be read (e.g. not UTF-8)"))
        responses["413"] = _problem("The body is over the size limit (ALOT_MAX_BODY_BYTES)")
    if operation.get("parameters") or operation.get("requestBody"):
        responses["422"] = _problem("Invalid input: the `errors` member lists the fields")
    if anyone and operation.get("security"):
        operation["security"] = [{}, *operation["security"]]
    if operation.get("security"):
        responses.setdefault("401", _problem("Not authenticated, or the token is invalid"))
        responses.setdefault(
            "403", _problem("Not allowed (role, CSRF, unverified email, inactive account)")
        )
    responses["429"] = _problem(
        "Rate limited",
        {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    )
