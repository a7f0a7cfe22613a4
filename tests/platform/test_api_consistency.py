"""One shape for every list and one naming rule for money, checked on the OpenAPI
document the app serves and on the lists themselves.

Lists: `{items, next_cursor}`, a `cursor` query parameter and a `limit` of 1 to 100
(default 50); paging with a small limit returns every item exactly once, ties included
(the fake clock gives many rows the same timestamp, so the id must break them); a cursor
that is garbage or another list's is a 422 problem. The ledger's lists follow the same
rule, with the differences named in `LEDGER_LISTS` (and documented in their OpenAPI
descriptions), none by skipping them.

Money: every integer member of a request or response body ends in `_cents` (USD) or
`_credits` (CRD), unless it is a count or a position named in `NOT_MONEY`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from alot_ledger import Checkpointer
from alot_platform.ledger.endpoints import ledger_settings
from alot_platform.notifications.models import NotificationKind
from alot_platform.notifications.service import notify
from alot_platform.outbox.models import OutboxItem, OutboxStatus
from alot_platform.pagination import encode_cursor
from alot_platform.payments.repository import PaymentRepository
from fastapi.testclient import TestClient

# The ledger's own routes are served by alot_ledger's router; its postings carry an
# asset code beside a bare `amount`, as the ledger spec says, so the money rule skips them.
LEDGER = "/api/ledger"


class ListRule:
    """What one list may add to the envelope: `limit` bounds (minimum, maximum, default),
    extra members of the answer and extra query parameters that alias the cursor. Each
    extra must carry a description in the OpenAPI document."""

    def __init__(
        self,
        limit: tuple[int, int, int] = (1, 100, 50),
        members: frozenset[str] = frozenset(),
        cursor_aliases: frozenset[str] = frozenset(),
    ) -> None:
        self.limit, self.members, self.cursor_aliases = limit, members, cursor_aliases


# The ledger's lists (docs/ledger.md, "Lists"): auditors read in bulk, so up to 1000 a
# page; the transactions answer also says how many transactions are committed; the
# cursor (a seq or tree size) may also be given as a number under its older name.
LEDGER_LISTS = {
    "/api/ledger/transactions": ListRule(
        (1, 1000, 100), frozenset({"size"}), frozenset({"after_seq"})
    ),
    "/api/ledger/checkpoints": ListRule((1, 1000, 100), cursor_aliases=frozenset({"before_size"})),
}
# Platform lists that answer one more member (described in the document).
EXTENDED_LISTS = {
    "/api/users/me/notifications": ListRule(members=frozenset({"unread_count"})),
    "/api/audit/log": ListRule(members=frozenset({"chain_ok"})),
}

# The development mailbox (never mounted in production) answers a bare array of the few
# messages kept for one address.
DEV_ONLY = {"/api/dev/mailbox"}

FULFILLMENT_LISTS = {"/api/hosts/me/fulfillment", "/api/admin/fulfillment"}
# Paged and its cursors checked in tests/platform/audit/.
AUDIT_LISTS = {"/api/audit/log"}

# Every list the platform serves: the walk below must find exactly these.
LISTS = {
    "/api/lots",
    "/api/lots/{lot_id}/entries",
    "/api/users/me/entries",
    "/api/users/me/reveals",
    "/api/users/me/credits/transactions",
    "/api/users/me/notifications",
    "/api/admin/users",
    "/api/admin/product-classes",
    "/api/admin/payments/events",
    "/api/admin/tasks/failed",
    *FULFILLMENT_LISTS,
    *AUDIT_LISTS,
    *LEDGER_LISTS,
    *(
        HOST_LISTS := {
            "/api/admin/hosts",
            "/api/admin/host-lots",
            "/api/hosts/me/lots",
            "/api/hosts/{host_id}/lots",
        }
    ),
}
# The hosts' lists are paged and their cursors checked in tests/platform/hosts/.

# Integers that are not money: counts, positions, rates, durations, sequence numbers.
NOT_MONEY = {
    "attempts",
    "attempts_left",
    "attempts_made",
    "attempts_per_round",
    "bundle_index",
    "bytes",  # an image rendition's size
    "commitment_ledger_seq",
    "entries",
    "expired",
    "expires_in",
    "failed_tasks",
    "height",  # an image's, in pixels
    "funded",
    "hits",
    "hours",  # a time-out's length
    "index",
    "inputs_ledger_seq",
    "ledger_seq",
    "lots",
    "lots_created",
    "lots_expired",
    "lots_funded",
    "marked",
    "max_tickets_per_user",
    "mean_seconds",
    "minutes",  # the reality check's interval
    "misses",
    "months",  # a self-exclusion's length
    "non_winner_credit_rate_percent",
    "p50_seconds",
    "p90_seconds",
    "payment_events_needing_attention",
    "progress_bps",
    "rank",
    "rate_bps",
    "reality_check_minutes",
    "refresh_expires_in",
    "result_ledger_seq",
    "seconds_left",
    "seq",  # an audit log entry's position
    "settled_lots",
    "status",
    "ticket_count",
    "tickets",
    "tickets_affordable",
    "tickets_end",
    "tickets_sold",
    "tickets_start",
    "total_tickets",
    "unread_count",
    "winning_ticket",
    "width",  # an image's, in pixels
    "commission_bps",
    # free entry and odds: counts of tickets and entries, days, a chance in basis points
    "free_entry_period_days",
    "free_tickets",
    "my_chance_bps",
    "my_free_tickets",
    "my_tickets",
    "period_days",
    "used",
}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _operations(
    document: dict[str, Any], *, ledger: bool = False
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        if path.startswith(LEDGER) and not ledger:
            continue
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def _body_schemas(operation: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for status, response in operation.get("responses", {}).items():
        if status.startswith("2"):
            json_body = response.get("content", {}).get("application/json", {})
            if "schema" in json_body:
                yield json_body["schema"]
    request = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "schema" in request:
        yield request["schema"]


def _is_integer(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(option.get("type") == "integer" for option in options)


def _integer_members(
    document: dict[str, Any], schema: dict[str, Any], seen: set[int]
) -> Iterator[str]:
    schema = _resolve(document, schema)
    if id(schema) in seen:
        return
    seen.add(id(schema))
    for option in schema.get("anyOf", []) + schema.get("allOf", []):
        yield from _integer_members(document, option, seen)
    if "items" in schema:
        yield from _integer_members(document, schema["items"], seen)
    for name, member in schema.get("properties", {}).items():
        if _is_integer(member):
            yield name
        else:
            yield from _integer_members(document, member, seen)


def test_every_list_has_one_envelope_a_cursor_and_a_bounded_limit(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    found = set()
    for path, method, operation in _operations(document, ledger=True):
        params = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
        bodies = [_resolve(document, s) for s in _body_schemas(operation)]
        if path not in DEV_ONLY:
            assert all(body.get("type") != "array" for body in bodies), f"bare list: {path}"
        has_items = any("items" in body.get("properties", {}) for body in bodies)
        if method != "get" or not (has_items or {"limit", "offset", "cursor"} & params.keys()):
            continue
        found.add(path)
        rule = {**LEDGER_LISTS, **EXTENDED_LISTS}.get(path, ListRule())
        [body] = bodies
        assert set(body["properties"]) == {"items", "next_cursor"} | rule.members, path
        for member in rule.members:
            assert body["properties"][member].get("description"), (path, member)
        assert body["properties"]["items"]["type"] == "array", path
        assert {"type": "null"} in body["properties"]["next_cursor"]["anyOf"], path
        assert "offset" not in params, path
        assert params["cursor"]["schema"]["anyOf"][0]["type"] == "string", path
        assert params["cursor"]["schema"]["anyOf"][0]["maxLength"] <= 500, path
        for alias in rule.cursor_aliases:
            assert params[alias].get("description"), (path, alias)
            assert (
                "maximum"
                in _resolve(document, params[alias]["schema"]).get(
                    "anyOf", [params[alias]["schema"]]
                )[0]
            ), (path, alias)
        limit = params["limit"]["schema"]
        assert (limit["minimum"], limit["maximum"], limit["default"]) == rule.limit, path
        # The maximum is documented where a client reads the parameter.
        assert f"1 to {rule.limit[1]}" in params["limit"]["description"], path
        assert "422" in operation["responses"], path
    assert found == LISTS


def test_money_members_say_their_unit(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    unnamed, seen = set(), set()
    for path, method, operation in _operations(document):
        for schema in _body_schemas(operation):
            for name in _integer_members(document, schema, set()):
                seen.add(name)
                if not name.endswith(("_cents", "_credits")) and name not in NOT_MONEY:
                    unnamed.add(f"{method.upper()} {path}: {name}")
    assert not unnamed, sorted(unnamed)
    # The walk reaches nested members (a lot's funding and bundles), requests and lists.
    assert {
        "amount_cents",
        "spent_credits",
        "price_cents",
        "balance_after_credits",
        "funding_target_cents",
        "bundle_index",
    } <= seen


def _walk(client: TestClient, path: str, headers: dict[str, str], key: str) -> list[Any]:
    """Every item of a list, two at a time, asserting no page repeats an item."""
    seen: list[Any] = []
    params: dict[str, Any] = {"limit": 2}
    for _ in range(100):
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [item[key] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == len(set(seen)), f"{path} repeated an item"
    whole = client.get(path, params={"limit": 100}, headers=headers).json()
    assert whole["next_cursor"] is None
    assert seen == [item[key] for item in whole["items"]], path
    return seen


@pytest.fixture
def world(make_lot_desk: Any, services: Any, client: TestClient) -> dict[str, Any]:
    """Five lots, players with entries, credits and reveals in several of them, and
    payment events needing attention; the clock stands still, so timestamps tie."""
    desk = make_lot_desk()
    platform = client.app.state.platform  # type: ignore[attr-defined]
    checkpointer = Checkpointer.from_settings(ledger_settings(platform.settings))
    lots = [desk.open_lot(title=f"Lot {n}") for n in range(5)]
    players = [desk.player() for _ in range(3)]
    ada = players[0]
    services.grant_credits(ada.id, 1_000)
    for lot in lots[:3]:
        for player in players:
            desk.pass_trivia(player, lot["id"])
            assert desk.buy(player, lot["id"], 0).status_code == 201
        assert desk.buy(ada, lot["id"], 1).status_code == 201
        assert desk.buy_with_credits(ada, lot["id"], 1).status_code == 201
        checkpointer.checkpoint(platform.database.engine)
    with services.session() as session:
        events = PaymentRepository(session)
        for n in range(5):
            events.insert_event_once(
                {
                    "id": f"evt_{n}",
                    "provider": "stripe",
                    "type": "charge.dispute.created",
                    "payload": {},
                    "provider_created_at": desk.clock.now,
                    "received_at": desk.clock.now + timedelta(seconds=n // 2),
                }
            )
        # Dead tasks (their handler failed on every attempt), all dead at the same time.
        for n in range(5):
            session.add(
                OutboxItem(
                    key=f"draw:dead-{n}",
                    task="draw",
                    payload={"lot_id": str(uuid.uuid4())},
                    status=OutboxStatus.DEAD.value,
                    attempts=10,
                    last_error="LookupError: no lot",
                    created_at=desk.clock.now,
                    next_attempt_at=desk.clock.now,
                )
            )
        for n in range(5):
            notify(
                session,
                user_id=uuid.UUID(ada.id),
                kind=NotificationKind.LOT_CLOSING,
                key=f"paging:{n}",
                data={
                    "lot_id": lots[0]["id"],
                    "lot_title": "Lot 0",
                    "reason": "closing_soon",
                    "deadline": lots[0]["deadline"],
                    "funded_percent": 10,
                },
                now=desk.clock.now,
            )
    return {"desk": desk, "lots": lots, "players": players, "ada": ada}


def test_paging_every_list_returns_each_item_once(
    client: TestClient, world: dict[str, Any]
) -> None:
    desk, ada = world["desk"], world["ada"]
    admin = desk.admin.headers
    lot_ids = {lot["id"] for lot in world["lots"]}

    assert set(_walk(client, "/api/lots", {}, "id")) == lot_ids
    ending = _walk(client, "/api/lots?sort=ending_soon", {}, "id")
    assert set(ending) == lot_ids
    board = _walk(client, f"/api/lots/{world['lots'][0]['id']}/entries", {}, "username")
    assert len(board) == 3
    ranks = client.get(f"/api/lots/{world['lots'][0]['id']}/entries", params={"limit": 100})
    assert [row["rank"] for row in ranks.json()["items"]] == [1, 2, 3]
    assert len(_walk(client, "/api/users/me/entries", ada.headers, "id")) == 9
    assert len(_walk(client, "/api/users/me/reveals", ada.headers, "id")) == 3
    assert len(_walk(client, "/api/users/me/credits/transactions", ada.headers, "id")) == 4
    assert len(_walk(client, "/api/users/me/notifications", ada.headers, "id")) == 5
    assert len(_walk(client, "/api/admin/users", admin, "id")) == 4
    assert len(_walk(client, "/api/admin/product-classes", admin, "id")) == 5
    events = _walk(client, "/api/admin/payments/events", admin, "id")
    assert events == [f"evt_{n}" for n in range(5)]
    assert len(set(_walk(client, "/api/admin/tasks/failed", admin, "id"))) == 5
    seqs = _walk(client, "/api/ledger/transactions", admin, "seq")
    assert len(seqs) > 10
    assert seqs == list(range(1, len(seqs) + 1))
    sizes = _walk(client, "/api/ledger/checkpoints", {}, "size")
    assert len(sizes) == 3
    assert sizes == sorted(sizes, reverse=True)


def test_leaderboard_ranks_continue_across_pages(client: TestClient, world: dict[str, Any]) -> None:
    path = f"/api/lots/{world['lots'][1]['id']}/entries"
    first = client.get(path, params={"limit": 1}).json()
    rest = client.get(path, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [row["rank"] for row in first["items"] + rest["items"]] == [1, 2, 3]
    assert first["items"][0]["tickets"] >= rest["items"][0]["tickets"]


def test_a_bad_cursor_or_limit_is_a_422_problem(client: TestClient, world: dict[str, Any]) -> None:
    ada, admin = world["ada"].headers, world["desk"].admin.headers
    lot = world["lots"][0]["id"]
    lists = {
        "/api/lots": {},
        f"/api/lots/{lot}/entries": {},
        "/api/users/me/entries": ada,
        "/api/users/me/reveals": ada,
        "/api/users/me/credits/transactions": ada,
        "/api/users/me/notifications": ada,
        "/api/admin/users": admin,
        "/api/admin/product-classes": admin,
        "/api/admin/payments/events": admin,
        "/api/admin/tasks/failed": admin,
        "/api/ledger/transactions": admin,
        "/api/ledger/checkpoints": {},
    }
    # The fulfillment queues need won and claimed prizes: the same checks run on them in
    # tests/platform/fulfillment/test_queues.py.
    named = set(lists) - {f"/api/lots/{lot}/entries"} | {"/api/lots/{lot_id}/entries"}
    assert named == LISTS - FULFILLMENT_LISTS - HOST_LISTS - AUDIT_LISTS
    cursors = {}
    for path, headers in lists.items():
        page = client.get(path, params={"limit": 1}, headers=headers).json()
        assert page["next_cursor"], path
        cursors[path] = page["next_cursor"]
    for path, headers in lists.items():
        # The ledger's cursors are positions (a seq, a tree size): one is a valid
        # position in the other ledger list, so only the platform's are foreign there.
        others = [
            cursor
            for other, cursor in cursors.items()
            if other != path and not (path in LEDGER_LISTS and other in LEDGER_LISTS)
        ]
        for cursor in ["zzz", "bm90IGpzb24", str(uuid.uuid4()), *others]:
            response = client.get(path, params={"cursor": cursor}, headers=headers)
            assert response.status_code == 422, (path, cursor, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "invalid_cursor", path
        for limit in (0, LEDGER_LISTS.get(path, ListRule()).limit[1] + 1):
            response = client.get(path, params={"limit": limit}, headers=headers)
            assert response.status_code == 422, (path, limit)


def test_a_forged_cursor_is_refused_before_it_reaches_the_database(
    client: TestClient, world: dict[str, Any]
) -> None:
    path = f"/api/lots/{world['lots'][0]['id']}/entries"
    for forged in (
        encode_cursor("leaderboard", 2**64, "ada", 1),
        encode_cursor("leaderboard", -1, "ada", 1),
        encode_cursor("leaderboard", 3, "ada", 2**70),
        encode_cursor("leaderboard", 3, "ada"),
        encode_cursor("entries", 3, "ada", 1),
    ):
        response = client.get(path, params={"cursor": forged})
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_cursor"
    naive = encode_cursor("users", "2026-01-01T00:00:00", str(uuid.uuid4()))
    response = client.get(
        "/api/admin/users", params={"cursor": naive}, headers=world["desk"].admin.headers
    )
    assert response.status_code == 422, response.text
