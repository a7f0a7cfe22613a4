"""Creating, editing, opening and extending lots: validation, state conflicts, the ledger."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from alot_platform.lots.models import Lot
from alot_verify.draw import commitment_v1, commitment_v2
from fastapi import FastAPI
from fastapi.testclient import TestClient

WRITTEN = ("lots", "product_classes", "ledger_transactions", "lot_trivia_attempts")


def _snapshot(count_rows: Callable[[str], int]) -> dict[str, int]:
    return {table: count_rows(table) for table in WRITTEN}


def _stored_lot(app: FastAPI, lot_id: str) -> Lot:
    with app.state.platform.database.sessions() as session:
        lot: Lot | None = session.get(Lot, uuid.UUID(lot_id))
        assert lot is not None
        return lot


@pytest.mark.parametrize(
    ("algorithm", "commit"), [("alot-v1", commitment_v1), ("alot-v2", commitment_v2)]
)
def test_opening_commits_to_the_seed_in_the_ledger_and_never_serves_it(
    client: TestClient,
    app: FastAPI,
    lots: Any,
    ledger_lines: Any,
    algorithm: str,
    commit: Callable[[str], str],
) -> None:
    created = lots.create(draw_algorithm=algorithm)
    assert created["status"] == "created"
    assert created["draw"] == {
        "algorithm": algorithm,
        "server_seed_commitment": None,
        "commitment_ledger_seq": None,
    }
    assert ledger_lines() == []
    assert _stored_lot(app, created["id"]).server_seed_sealed is None

    opened = lots.open(created["id"])
    assert opened["status"] == "open"
    assert opened["opened_at"] == "2026-03-01T12:00:00Z"

    sealed = _stored_lot(app, created["id"]).server_seed_sealed
    assert sealed is not None
    seed = app.state.platform.seed_sealer.unseal(sealed, uuid.UUID(created["id"]))
    assert len(seed) == 64
    assert opened["draw"]["server_seed_commitment"] == commit(seed)

    (memo,) = ledger_lines()
    assert memo["seq"] == opened["draw"]["commitment_ledger_seq"]
    assert memo["kind"] == "draw_commitment"
    assert memo["postings"] == []
    assert memo["refs"] == {"lot_id": created["id"]}
    assert memo["metadata"] == {
        "algorithm": algorithm,
        "server_seed_commitment": commit(seed),
        "lot_created_at": "2026-03-01T12:00:00.000000Z",
        "deadline": "2026-03-08T12:00:00.000000Z",
        "funding_target_cents": 10_000,
        # No drand configured here: declared beacon-less (see test_beacon_draw.py).
        "beacon": None,
    }
    assert (opened["draw_beacon"], opened["beacon_less"]) == (None, True)

    # The seed is secret until the draw: no lot response carries it.
    public_views = [
        client.get(f"/api/lots/{created['id']}").text,
        client.get(f"/api/lots/{created['id']}", headers=lots.admin.headers).text,
        client.get("/api/lots", headers=lots.admin.headers).text,
    ]
    assert all(seed not in view for view in public_views)


def test_the_default_algorithm_comes_from_settings(
    make_client: Callable[..., TestClient], api: Any, lots: Any
) -> None:
    assert lots.create()["draw"]["algorithm"] == "alot-v2"
    v1_client = make_client(draw_algorithm_default="alot-v1")
    response = v1_client.post("/api/lots", json=lots.lot_body(), headers=lots.admin.headers)
    assert response.status_code == 201, response.text
    assert response.json()["draw"]["algorithm"] == "alot-v1"


def test_a_created_lot_has_the_requested_configuration(lots: Any) -> None:
    lot = lots.create(
        visibility="unlisted",
        lot_type="mystery",
        max_tickets_per_user=30,
        non_winner_credit_rate_percent=25,
    )
    assert lot["visibility"] == "unlisted"
    assert lot["lot_type"] == "mystery"
    assert lot["max_tickets_per_user"] == 30
    assert lot["non_winner_credit_rate_percent"] == 25
    assert lot["entry_bundles"] == [
        {"index": 0, "price_cents": 200, "price": "2.00", "tickets": 1, "price_per_ticket": "2.00"},
        {"index": 1, "price_cents": 500, "price": "5.00", "tickets": 3, "price_per_ticket": "1.67"},
    ]
    assert lot["price_per_ticket_cents"] == 167
    assert lot["funding"]["target"] == "100.00"
    assert "trivia_answer" not in lot
    assert "Rolex" not in str(lot["trivia_question"])
    defaults = lots.create()
    assert defaults["non_winner_credit_rate_percent"] == 10
    assert defaults["max_tickets_per_user"] is None
    assert defaults["visibility"] == "public"


_PAST = "2026-02-28T12:00:00+00:00"
BAD_LOTS: list[tuple[str, dict[str, Any], str]] = [
    (
        "duplicate bundles",
        {"entry_bundles": [{"price_cents": 200, "tickets": 1}] * 2},
        "validation_error",
    ),
    (
        "same tickets twice",
        {"entry_bundles": [{"price_cents": 200, "tickets": 1}, {"price_cents": 150, "tickets": 1}]},
        "validation_error",
    ),
    ("zero price", {"entry_bundles": [{"price_cents": 0, "tickets": 1}]}, "validation_error"),
    (
        "negative tickets",
        {"entry_bundles": [{"price_cents": 100, "tickets": -2}]},
        "validation_error",
    ),
    ("no bundles", {"entry_bundles": []}, "validation_error"),
    ("zero target", {"funding_target_cents": 0}, "validation_error"),
    ("fractional target", {"funding_target_cents": 10.5}, "validation_error"),
    ("deadline passed", {"deadline": _PAST}, "invalid_lot"),
    ("deadline now", {"deadline": "2026-03-01T12:00:00Z"}, "invalid_lot"),
    ("naive deadline", {"deadline": "2026-03-09T12:00:00"}, "validation_error"),
    ("no trivia answer", {"trivia_answer": None}, "validation_error"),
    ("blank trivia question", {"trivia_question": "   "}, "validation_error"),
    ("answer only punctuation", {"trivia_answer": " ?! "}, "trivia_answer_empty"),
    ("rate above 100", {"non_winner_credit_rate_percent": 101}, "validation_error"),
    ("rate negative", {"non_winner_credit_rate_percent": -1}, "validation_error"),
    ("cap zero", {"max_tickets_per_user": 0}, "validation_error"),
    (
        "cap below smallest bundle",
        {"entry_bundles": [{"price_cents": 500, "tickets": 5}], "max_tickets_per_user": 3},
        "invalid_lot",
    ),
    ("unknown algorithm", {"draw_algorithm": "alot-v9"}, "validation_error"),
    ("unknown field", {"status": "open"}, "validation_error"),
    (
        "unknown product class",
        {"product_class_id": str(uuid.UUID(int=7))},
        "product_class_not_found",
    ),
]


@pytest.mark.parametrize(("case", "change", "code"), BAD_LOTS, ids=[c[0] for c in BAD_LOTS])
def test_bad_lots_are_refused_and_nothing_is_written(
    client: TestClient,
    lots: Any,
    count_rows: Callable[[str], int],
    case: str,
    change: dict[str, Any],
    code: str,
) -> None:
    body = lots.lot_body()
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    before = _snapshot(count_rows)
    response = client.post("/api/lots", json=body, headers=lots.admin.headers)
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert _snapshot(count_rows) == before


def test_only_admins_create_edit_and_open_lots(
    client: TestClient, api: Any, lots: Any, count_rows: Callable[[str], int]
) -> None:
    lot = lots.create()
    player = api.account()
    body = lots.lot_body()
    before = _snapshot(count_rows)
    attempts = [
        client.post("/api/lots", json=body, headers=player.headers),
        client.patch(f"/api/lots/{lot['id']}", json={"title": "mine"}, headers=player.headers),
        client.post(f"/api/admin/lots/{lot['id']}/open", headers=player.headers),
        client.post("/api/admin/product-classes", json={}, headers=player.headers),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403, 403]
    assert {r.json()["code"] for r in attempts} == {"missing_role"}
    assert client.post(f"/api/admin/lots/{lot['id']}/open").status_code == 401
    assert _snapshot(count_rows) == before


def test_a_lot_is_editable_until_it_opens(
    client: TestClient, lots: Any, count_rows: Callable[[str], int]
) -> None:
    lot = lots.create(max_tickets_per_user=10)
    other_product = lots.product_class(name="Daytona", tier="MYTHIC")
    edit = {
        "title": "Daytona night",
        "product_class_id": other_product["id"],
        "entry_bundles": [{"price_cents": 1000, "tickets": 10}],
        "max_tickets_per_user": None,
        "trivia_answer": "Paul Newman",
        "deadline": "2026-03-20T00:00:00Z",
    }
    response = client.patch(f"/api/lots/{lot['id']}", json=edit, headers=lots.admin.headers)
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["title"] == "Daytona night"
    assert edited["tier"] == "MYTHIC"
    assert edited["max_tickets_per_user"] is None
    assert edited["deadline"] == "2026-03-20T00:00:00Z"
    assert [b["tickets"] for b in edited["entry_bundles"]] == [10]

    # A cap that leaves no bundle buyable, or removing a required field: refused, no change.
    for bad in ({"max_tickets_per_user": 5}, {"title": None}, {"deadline": _PAST}):
        refused = client.patch(f"/api/lots/{lot['id']}", json=bad, headers=lots.admin.headers)
        assert refused.status_code == 422, refused.text
    assert client.get(f"/api/lots/{lot['id']}", headers=lots.admin.headers).json() == edited

    lots.open(lot["id"])
    before = _snapshot(count_rows)
    late = client.patch(f"/api/lots/{lot['id']}", json={"title": "x"}, headers=lots.admin.headers)
    assert late.status_code == 409
    assert late.json()["code"] == "lot_state_conflict"
    assert late.json()["state"] == "open"
    assert _snapshot(count_rows) == before


def test_opening_twice_or_after_the_deadline_conflicts(
    client: TestClient, lots: Any, clock: Any, count_rows: Callable[[str], int]
) -> None:
    lot = lots.open_lot()
    late = lots.create(deadline=(clock.now + timedelta(hours=1)).isoformat())
    before = _snapshot(count_rows)
    again = client.post(f"/api/admin/lots/{lot['id']}/open", headers=lots.admin.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "lot_state_conflict"
    assert again.json()["state"] == "open"

    clock.advance(hours=2)
    lots.login_again()
    response = client.post(f"/api/admin/lots/{late['id']}/open", headers=lots.admin.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "lot_deadline_passed"
    assert _snapshot(count_rows) == before

    missing = client.post(f"/api/admin/lots/{uuid.uuid4()}/open", headers=lots.admin.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "lot_not_found"


def test_an_admin_moves_an_open_lots_deadline_later_with_a_reason(
    client: TestClient,
    api: Any,
    lots: Any,
    ledger_lines: Any,
    count_rows: Callable[[str], int],
) -> None:
    lot = lots.open_lot()  # deadline 2026-03-08T12:00Z; now is 2026-03-01T12:00Z
    url = f"/api/admin/lots/{lot['id']}/extend"
    later = {"deadline": "2026-04-01T00:00:00Z", "reason": "  The prize ships late  "}

    response = client.post(url, json=later, headers=lots.admin.headers)

    assert response.status_code == 200, response.text
    extended = response.json()
    assert extended["status"] == "open"  # it never stopped selling
    assert extended["deadline"] == "2026-04-01T00:00:00Z"
    assert extended["opened_at"] == lot["opened_at"]
    assert extended["draw"] == lot["draw"]  # same seed commitment
    memo = ledger_lines()[-1]
    assert memo["kind"] == "lot_extended"
    assert memo["refs"] == {"lot_id": lot["id"], "admin_id": lots.admin.id}
    assert memo["metadata"] == {
        "previous_deadline": "2026-03-08T12:00:00.000000Z",
        "deadline": "2026-04-01T00:00:00.000000Z",
        "reason": "The prize ships late",
    }
    player = api.account()
    lots.pass_trivia(player, lot["id"])  # it still sells
    assert lots.buy(player, lot["id"]).status_code == 201


def test_bad_extensions_are_refused_clearly_and_change_nothing(
    client: TestClient,
    api: Any,
    lots: Any,
    clock: Any,
    walk_states: Any,
    count_rows: Callable[[str], int],
) -> None:
    lot = lots.open_lot()  # deadline 2026-03-08T12:00Z
    url = f"/api/admin/lots/{lot['id']}/extend"
    before = _snapshot(count_rows)
    cases = [
        ({"deadline": "2026-03-05T00:00:00Z", "reason": "x"}, 422, "invalid_lot"),  # earlier
        ({"deadline": "2026-03-08T12:00:00Z", "reason": "x"}, 422, "invalid_lot"),  # the same
        ({"deadline": "2026-04-01T00:00:00Z"}, 422, "validation_error"),  # no reason
        ({"deadline": "2026-04-01T00:00:00Z", "reason": "   "}, 422, "validation_error"),
        ({"deadline": "2026-04-01T00:00:00Z", "reason": "x" * 501}, 422, "validation_error"),
        ({"deadline": "2026-04-01T00:00:00", "reason": "x"}, 422, "validation_error"),  # no zone
        ({"reason": "x"}, 422, "validation_error"),
    ]
    for body, status, code in cases:
        refused = client.post(url, json=body, headers=lots.admin.headers)
        assert (refused.status_code, refused.json()["code"]) == (status, code), body
    missing = client.post(
        f"/api/admin/lots/{uuid.uuid4()}/extend",
        json={"deadline": "2026-04-01T00:00:00Z", "reason": "x"},
        headers=lots.admin.headers,
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "lot_not_found")
    player = api.account()
    forbidden = client.post(
        url, json={"deadline": "2026-04-01T00:00:00Z", "reason": "x"}, headers=player.headers
    )
    assert forbidden.status_code == 403

    # From the deadline on the lot is over, even before the tick marks it expired.
    clock.advance(days=7)
    lots.login_again()
    late = client.post(
        url, json={"deadline": "2026-04-01T00:00:00Z", "reason": "x"}, headers=lots.admin.headers
    )
    assert (late.status_code, late.json()["code"]) == (409, "lot_deadline_passed")
    # Once its refunds started it never reopens.
    walk_states(lot["id"], "expired", "refunding")
    refunding = client.post(
        url, json={"deadline": "2026-04-01T00:00:00Z", "reason": "x"}, headers=lots.admin.headers
    )
    assert (refunding.status_code, refunding.json()["code"]) == (409, "lot_state_conflict")
    assert refunding.json()["state"] == "refunding"
    assert _snapshot(count_rows) == before
    stored = client.get(f"/api/lots/{lot['id']}").json()
    assert stored["deadline"] == "2026-03-08T12:00:00Z"


def test_product_class_crud(
    client: TestClient, lots: Any, count_rows: Callable[[str], int]
) -> None:
    headers = lots.admin.headers
    product = lots.product_class(category=" Watch ")
    assert product["category"] == "watch"
    assert product["retail_value"] == "12500.00"
    url = f"/api/admin/product-classes/{product['id']}"
    assert client.get(url, headers=headers).json() == product

    changed = client.patch(url, json={"retail_value_cents": 999_00, "brand": None}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["retail_value"] == "999.00"
    assert changed.json()["brand"] is None

    before = count_rows("product_classes")
    for bad in (
        {"name": "x", "category": "watch", "tier": "COMMON", "retail_value_cents": 1},
        {"name": "x", "category": "watch", "tier": "ICON", "retail_value_cents": 0},
        {
            "name": "x",
            "category": "watch",
            "tier": "ICON",
            "retail_value_cents": 1,
            "images": ["ftp://x"],
        },
        {"name": "", "category": "watch", "tier": "ICON", "retail_value_cents": 1},
    ):
        refused = client.post("/api/admin/product-classes", json=bad, headers=headers)
        assert refused.status_code == 422, refused.text
    assert client.patch(url, json={"name": None}, headers=headers).status_code == 422
    assert count_rows("product_classes") == before

    page = client.get("/api/admin/product-classes", headers=headers).json()
    assert [item["id"] for item in page["items"]] == [product["id"]]
    assert page["next_cursor"] is None

    lots.create(product_class_id=product["id"])
    in_use = client.delete(url, headers=headers)
    assert in_use.status_code == 409
    assert in_use.json()["code"] == "product_class_in_use"

    spare = lots.product_class()
    assert (
        client.delete(f"/api/admin/product-classes/{spare['id']}", headers=headers).status_code
        == 204
    )
    gone = client.get(f"/api/admin/product-classes/{spare['id']}", headers=headers)
    assert gone.status_code == 404
    assert gone.json()["code"] == "product_class_not_found"
