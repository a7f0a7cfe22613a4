"""Discovery: search (`q`) and the `most_funded` sort, with cursor pages for every sort."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient


def _ids(page: dict[str, Any]) -> list[str]:
    return [lot["id"] for lot in page["items"]]


def _list(client: TestClient, headers: dict[str, str] | None = None, **params: Any) -> Any:
    response = client.get("/api/lots", params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def test_search_matches_title_product_name_and_brand_case_insensitively(
    client: TestClient, lots: Any
) -> None:
    diver = lots.product_class(name="Seamaster Diver", brand="Omegaish")
    bag = lots.product_class(name="Weekender", brand="Hermosa")
    by_title = lots.open_lot(product_class_id=bag["id"], title="The Birkin-ish Moonlight bag")
    by_name = lots.open_lot(product_class_id=diver["id"], title="A watch for the deep")
    lots.open_lot(product_class_id=bag["id"], title="Something else")

    assert _ids(_list(client, q="moonlight")) == [by_title["id"]]
    assert _ids(_list(client, q="MOONLIGHT")) == [by_title["id"]]
    assert _ids(_list(client, q="seamaster")) == [by_name["id"]]
    assert _ids(_list(client, q="omegaISH")) == [by_name["id"]]
    # Every word must match somewhere (title, name or brand), not necessarily together.
    assert _ids(_list(client, q="  omegaish   deep ")) == [by_name["id"]]
    assert _list(client, q="omegaish moonlight")["items"] == []
    # Blank is no search at all.
    assert len(_list(client, q="   ")["items"]) == 3
    # Combined with the other filters.
    assert _list(client, q="moonlight", state="funded")["items"] == []


def test_search_takes_like_wildcards_literally(client: TestClient, lots: Any) -> None:
    percent = lots.open_lot(title="Save 100% now")
    underscore = lots.open_lot(title="snake_case watch")
    lots.open_lot(title="Save 1000 now")
    lots.open_lot(title="snakeXcase watch")

    assert _ids(_list(client, q="100%")) == [percent["id"]]
    assert _ids(_list(client, q="e_c")) == [underscore["id"]]
    assert _list(client, q="%")["items"] == [_list(client, q="100%")["items"][0]]


def test_search_does_not_reveal_a_mystery_lots_product(
    client: TestClient, api: Any, lots: Any, walk_states: Any
) -> None:
    product = lots.product_class(name="Nautilus Grail", brand="Patekish")
    mystery = lots.open_lot(product_class_id=product["id"], lot_type="mystery", title="Mystery")
    player = api.account()
    for headers in ({}, player.headers):
        assert _list(client, headers, q="nautilus")["items"] == []
        assert _list(client, headers, q="patekish")["items"] == []
        assert _ids(_list(client, headers, q="mystery")) == [mystery["id"]]
    # Admins see the product, so they may search it.
    assert _ids(_list(client, lots.admin.headers, q="nautilus")) == [mystery["id"]]
    # Once settled the product is public, and searchable.
    walk_states(mystery["id"], "funded", "drawing", "settled")
    assert _ids(_list(client, q="nautilus")) == [mystery["id"]]


def test_search_length_is_bounded(client: TestClient) -> None:
    response = client.get("/api/lots", params={"q": "x" * 101})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert client.get("/api/lots", params={"q": "x" * 100}).status_code == 200
    many_words = client.get("/api/lots", params={"q": " ".join("abcdefghi")})
    assert many_words.status_code == 422
    assert many_words.json()["code"] == "invalid_input"


def test_most_funded_sorts_by_progress_and_pages_completely(
    client: TestClient, lots: Any, add_entries: Any, api: Any, clock: Any
) -> None:
    product = lots.product_class()
    player = api.account()
    made: dict[str, int] = {}
    # Progress in basis points per lot; several share a progress, so the id breaks ties.
    for cents in (0, 5_000, 2_500, 5_000, 9_999, 0, 2_500, 10_000):
        lot = lots.open_lot(product_class_id=product["id"], funding_target_cents=10_000)
        if cents:
            add_entries(lot["id"], (player.id, 1, cents))
        made[lot["id"]] = cents
        clock.advance(seconds=1)

    everything = _list(client, sort="most_funded", limit=100)["items"]
    keys = [(lot["funding"]["progress_bps"], lot["id"]) for lot in everything]
    assert keys == sorted(keys, reverse=True)
    assert [lot["funding"]["funded_cents"] for lot in everything][:2] == [10_000, 9_999]

    for sort in ("newest", "ending_soon", "most_funded"):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 3, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            page = _list(client, **params)
            seen += _ids(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == _ids(_list(client, limit=100, sort=sort)), sort
        assert sorted(seen) == sorted(made)

    # A cursor belongs to its sort; search and filters page the same way.
    cursor = _list(client, sort="most_funded", limit=2)["next_cursor"]
    other = client.get("/api/lots", params={"sort": "newest", "cursor": cursor})
    assert other.json()["code"] == "invalid_cursor"
    almost = {"sort": "most_funded", "min_progress": 25, "limit": 2}
    first = _list(client, **almost)
    second = _list(client, **almost, cursor=first["next_cursor"])
    assert [lot["funding"]["progress_bps"] for lot in first["items"] + second["items"]] == [
        10_000,
        9_999,
        5_000,
        5_000,
    ]
    assert second["next_cursor"] is not None
    third = _list(client, **almost, cursor=second["next_cursor"])
    assert [lot["funding"]["progress_bps"] for lot in third["items"]] == [2_500, 2_500]


def test_most_funded_with_a_deadline_filter(client: TestClient, lots: Any, clock: Any) -> None:
    soon = lots.open_lot(deadline=(clock.now + timedelta(hours=3)).isoformat())
    lots.open_lot()
    assert _ids(_list(client, sort="most_funded", ending_soon=6)) == [soon["id"]]
