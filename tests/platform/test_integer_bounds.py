"""Every integer a request carries is bounded: 2^53, 2^63 and -2^63 in any is a 4xx.

The test walks the app's own OpenAPI document, so a route or field added later is
covered without a line here: every integer body property (nested ones too), query and
path parameter of every operation gets the out-of-range value in an otherwise valid
request, sent as a player and as an admin. An unbounded integer used to reach Python
arithmetic, SQL or the Merkle tree code and answer 500.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import FakeClock, LotDesk
from .marketplace import make_host

HUGE = (2**53, 2**63, -(2**63))
_KNOWN_STRINGS = {
    "username": "someone_new",
    "category": "watch",
    "email": "someone@example.com",
    "password": "a-decent-passphrase",
    "new_password": "another-decent-passphrase",
    "current_password": "correct-horse-battery",
    "date_of_birth": "1990-01-01",
    "account": "platform:escrow",
    "asset": "USD",
}
_URL = "https://img.example.com/a.jpg"

Path = list[str | int]


class Document:
    """The app's OpenAPI document, and valid sample values built from its schemas."""

    def __init__(self, document: dict[str, Any], ids: dict[str, str], clock: FakeClock):
        self.document = document
        self.ids = ids
        self.deadline = (clock.now + timedelta(days=3)).isoformat()

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.document["components"]["schemas"][name]
        return schema

    def options(self, schema: dict[str, Any]) -> list[dict[str, Any]]:
        schema = self.resolve(schema)
        choices = schema.get("anyOf") or schema.get("oneOf")
        if choices is None:
            return [schema]
        return [self.resolve(c) for c in choices if self.resolve(c).get("type") != "null"]

    def sample(self, schema: dict[str, Any], name: str = "") -> Any:
        """A value valid for `schema` (a field's `name` picks one where a pattern rules)."""
        schema = self.options(schema)[0]
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object":
            return {
                prop: self.sample(sub, prop) for prop, sub in schema.get("properties", {}).items()
            }
        if kind == "array":
            return [self.sample(schema["items"], name)]
        if kind == "integer":
            return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
        if kind == "boolean":
            return True
        if name in self.ids:
            return self.ids[name]
        if schema.get("format") == "date-time":
            return self.deadline
        if name in _KNOWN_STRINGS:
            return _KNOWN_STRINGS[name]
        if "url" in name or name == "images":
            return _URL
        return "Plain words"

    def integer_paths(self, schema: dict[str, Any], path: Path) -> Iterator[Path]:
        """Where in a value of `schema` an integer may stand."""
        for option in self.options(schema):
            kind = option.get("type")
            if kind == "integer":
                yield path
            elif kind == "array":
                yield from self.integer_paths(option["items"], [*path, 0])
            elif kind == "object":
                for prop, sub in option.get("properties", {}).items():
                    yield from self.integer_paths(sub, [*path, prop])
                extra = option.get("additionalProperties")
                if isinstance(extra, dict):
                    yield from self.integer_paths(extra, [*path, "extra_key"])


def _with(value: Any, path: Path, new: int) -> Any:
    changed = copy.deepcopy(value)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return changed


def _requests(doc: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(label, method, request arguments) with one integer out of range each."""
    for route, item in doc.document["paths"].items():
        for method, operation in item.items():
            params = operation.get("parameters", [])
            path_values = {
                p["name"]: str(doc.sample(p["schema"], p["name"]))
                for p in params
                if p["in"] == "path"
            }
            query = {
                p["name"]: doc.sample(p["schema"], p["name"])
                for p in params
                if p["in"] == "query" and p.get("required")
            }
            content = operation.get("requestBody", {}).get("content", {})
            body_schema = content.get("application/json", {}).get("schema")
            body = doc.sample(body_schema) if body_schema else None

            def request(
                path_values: dict[str, str] = path_values,
                query: dict[str, Any] = query,
                body: Any = body,
                route: str = route,
            ) -> dict[str, Any]:
                return {
                    "url": route.format(**path_values),
                    "params": query,
                    **({"json": body} if body is not None else {}),
                }

            for param in params:
                if not any(o.get("type") == "integer" for o in doc.options(param["schema"])):
                    continue
                for huge in HUGE:
                    label = f"{method.upper()} {route} {param['in']} {param['name']}={huge}"
                    if param["in"] == "path":
                        yield label, method, request({**path_values, param["name"]: str(huge)})
                    elif param["in"] == "query":
                        yield label, method, request(query={**query, param["name"]: huge})
            if body_schema is not None:
                for path in doc.integer_paths(body_schema, []):
                    for huge in HUGE:
                        label = f"{method.upper()} {route} body {path}={huge}"
                        yield label, method, request(body=_with(body, path, huge))


@pytest.fixture
def document(client: TestClient, make_lot_desk: Callable[..., LotDesk], clock: FakeClock) -> Any:
    desk = make_lot_desk()
    lot = desk.open_lot()
    player = desk.player(lot["id"])
    bought = desk.buy(player, lot["id"])
    assert bought.status_code == 201, bought.text
    ids = {
        "lot_id": lot["id"],
        "user_id": player.id,
        "product_class_id": lot["product"]["product_class_id"],
        "purchase_id": bought.json()["id"],
    }
    # The admin is a host too, so that it passes the /api/hosts/me* guard as well.
    ids["host_id"] = make_host(client, desk.admin)
    return Document(client.get("/openapi.json").json(), ids, clock), desk.admin, player


def test_every_request_integer_is_bounded(client: TestClient, document: Any) -> None:
    doc, admin, player = document
    cases = list(_requests(doc))
    # bundle_index on both purchase paths, the ledger's sizes and sequence numbers, ...
    labels = "\n".join(label for label, _, _ in cases)
    for expected in (
        "POST /api/lots/{lot_id}/entries/purchase body ['bundle_index']",
        "POST /api/payments/create-checkout-session body ['bundle_index']",
        "POST /api/lots body ['entry_bundles', 0, 'price_cents']",
        "POST /api/admin/product-classes body ['specifications', 'extra_key']",
        "GET /api/ledger/checkpoints query before_size",
        "GET /api/ledger/checkpoints/{size} path size",
    ):
        assert expected in labels
    failures = []
    for label, method, arguments in cases:
        for who, account in (("player", player), ("admin", admin)):
            response = client.request(method, headers=account.headers, **arguments)
            refused = 400 <= response.status_code < 500
            problem = response.headers.get("content-type") == "application/problem+json"
            # An admin passes every guard but the ledger's refusal of writes over HTTP:
            # the value itself must be what is refused.
            validated = (
                who == "player"
                or response.status_code == 422
                or response.json().get("code") == "ledger_writes_refused"
            )
            if not (refused and problem and validated):
                failures.append(f"{label} as {who}: {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)
