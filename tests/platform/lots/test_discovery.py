"""Discovery: filters, search (`q`), sorts (`most_funded` too) with cursor pages for each,
who sees which lot, mystery hiding, leaderboard."""

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


def test_lists_show_public_lots_only_and_hide_drafts(
    client: TestClient, api: Any, lots: Any
) -> None:
    public = lots.open_lot()
    unlisted = lots.open_lot(visibility="unlisted")
    private = lots.open_lot(visibility="private")
    draft = lots.create()
    player = api.account()

    assert _ids(_list(client)) == [public["id"]]
    assert _ids(_list(client, player.headers)) == [public["id"]]
    assert set(_ids(_list(client, lots.admin.headers))) == {
        public["id"],
        unlisted["id"],
        private["id"],
        draft["id"],
    }

    # By id: unlisted is reachable; private and drafts are not (404, not 403: not confirmed).
    assert client.get(f"/api/lots/{unlisted['id']}").status_code == 200
    for hidden in (private, draft):
        anonymous: dict[str, str] = {}
        for headers in (anonymous, player.headers):
            response = client.get(f"/api/lots/{hidden['id']}", headers=headers)
            assert response.status_code == 404
            assert response.json()["code"] == "lot_not_found"
        assert (
            client.get(f"/api/lots/{hidden['id']}", headers=lots.admin.headers).status_code == 200
        )
    # The leaderboard follows the same rule.
    assert client.get(f"/api/lots/{private['id']}/entries").status_code == 404
    # A bad token is not treated as anonymous.
    bad = client.get("/api/lots", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401


def test_filters(
    client: TestClient, lots: Any, clock: Any, walk_states: Any, add_entries: Any
) -> None:
    watch = lots.product_class(category="watch", tier="GRAIL")
    bag = lots.product_class(category="bag", tier="ICON")
    soon = lots.open_lot(
        product_class_id=watch["id"], deadline=(clock.now + timedelta(hours=2)).isoformat()
    )
    tomorrow = lots.open_lot(
        product_class_id=bag["id"], deadline=(clock.now + timedelta(hours=30)).isoformat()
    )
    later = lots.open_lot(product_class_id=bag["id"])  # 7 days
    funded = lots.open_lot(product_class_id=watch["id"])
    player = lots.api.account()
    add_entries(tomorrow["id"], (player.id, 25, 5_000))  # 50 %
    add_entries(later["id"], (player.id, 10, 1_000))  # 10 %
    add_entries(funded["id"], (player.id, 50, 10_000))
    walk_states(funded["id"], "funded")

    assert set(_ids(_list(client, state="open"))) == {soon["id"], tomorrow["id"], later["id"]}
    assert _ids(_list(client, state="funded")) == [funded["id"]]
    both = _list(client, state=["funded", "open"])
    assert len(both["items"]) == 4
    assert set(_ids(_list(client, tier="ICON"))) == {tomorrow["id"], later["id"]}
    assert set(_ids(_list(client, category="Watch"))) == {soon["id"], funded["id"]}
    assert _ids(_list(client, category="watch", state="open")) == [soon["id"]]
    assert _ids(_list(client, ending_soon=24)) == [soon["id"]]
    assert set(_ids(_list(client, ending_soon=48))) == {soon["id"], tomorrow["id"]}
    assert set(_ids(_list(client, min_progress=50))) == {tomorrow["id"], funded["id"]}
    assert set(_ids(_list(client, min_progress=10, state="open"))) == {
        tomorrow["id"],
        later["id"],
    }
    assert _list(client, min_progress=51, state="open")["items"] == []
    assert _list(client, state="created")["items"] == []  # drafts never listed to players

    for bad in ({"state": "bogus"}, {"tier": "COMMON"}, {"min_progress": 101}, {"ending_soon": 0}):
        response = client.get("/api/lots", params=bad)
        assert response.status_code == 422, bad
        assert response.json()["code"] == "validation_error"


def test_cursor_pagination_is_stable_and_complete(
    client: TestClient, lots: Any, clock: Any
) -> None:
    product = lots.product_class()
    made = []
    for i in range(7):
        # Two lots share each creation time, so the id must break ties.
        clock.advance(seconds=i % 2)
        made.append(
            lots.open_lot(
                product_class_id=product["id"],
                deadline=(clock.now + timedelta(days=1 + i % 3)).isoformat(),
            )
        )
    for sort in ("newest", "ending_soon"):
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 3, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            page = _list(client, **params)
            seen += _ids(page)
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert sorted(seen) == sorted(lot["id"] for lot in made)
        assert len(set(seen)) == 7
        everything = _ids(_list(client, limit=100, sort=sort))
        assert seen == everything  # paging does not reorder

    newest = _list(client, limit=100)["items"]
    keys = [(lot["created_at"], lot["id"]) for lot in newest]
    assert keys == sorted(keys, reverse=True)
    ending = _list(client, limit=100, sort="ending_soon")["items"]
    assert [lot["deadline"] for lot in ending] == sorted(lot["deadline"] for lot in ending)

    cursor = _list(client, limit=3)["next_cursor"]
    for bad in ("not-a-cursor", "e30", cursor[:-3]):
        response = client.get("/api/lots", params={"cursor": bad})
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_cursor"
    other_sort = client.get("/api/lots", params={"cursor": cursor, "sort": "ending_soon"})
    assert other_sort.json()["code"] == "invalid_cursor"


def test_lot_detail_progress_odds_and_time_left(
    client: TestClient, api: Any, lots: Any, clock: Any, add_entries: Any
) -> None:
    lot = lots.open_lot(funding_target_cents=30_000)
    fresh = client.get(f"/api/lots/{lot['id']}").json()
    assert fresh["tickets_sold"] == 0
    assert fresh["odds_per_ticket"] is None
    assert fresh["funding"]["progress_bps"] == 0
    assert fresh["seconds_left"] == 7 * 24 * 3600

    ada, bob = api.account(), api.account()
    add_entries(lot["id"], (ada.id, 3, 500), (bob.id, 1, 200), (ada.id, 1, 200))
    clock.advance(hours=1)
    detail = client.get(f"/api/lots/{lot['id']}").json()
    assert detail["tickets_sold"] == 5
    assert detail["odds_per_ticket"] == "1 in 5"
    assert detail["funding"] == {
        "target_cents": 30_000,
        "target": "300.00",
        "funded_cents": 900,
        "funded": "9.00",
        "cash_cents": 900,
        "spent_credits": 0,
        "progress_bps": 300,
        "progress_percent": "3.00",
    }
    assert detail["seconds_left"] == 7 * 24 * 3600 - 3600
    assert detail["price_per_ticket"] == "1.67"
    assert detail["draw"]["server_seed_commitment"] == lot["draw"]["server_seed_commitment"]


def test_a_mystery_lot_hides_its_product_until_settled(
    client: TestClient, api: Any, lots: Any, walk_states: Any
) -> None:
    product = lots.product_class(name="Patek Nautilus", brand="Patek Philippe", tier="MYTHIC")
    lot = lots.open_lot(product_class_id=product["id"], lot_type="mystery", title="Mystery grail")
    player = api.account()
    anonymous: dict[str, str] = {}
    for headers in (anonymous, player.headers):
        view = client.get(f"/api/lots/{lot['id']}", headers=headers)
        assert view.json()["product"] is None
        assert view.json()["tier"] == "MYTHIC"
        assert view.json()["retail_value"] == "12500.00"
        assert "Nautilus" not in view.text
        assert "Patek" not in view.text
        assert "Nautilus" not in client.get("/api/lots", headers=headers).text
    admin_view = client.get(f"/api/lots/{lot['id']}", headers=lots.admin.headers).json()
    assert admin_view["product"]["name"] == "Patek Nautilus"

    known = lots.open_lot(product_class_id=product["id"])
    assert client.get(f"/api/lots/{known['id']}").json()["product"]["brand"] == "Patek Philippe"

    walk_states(lot["id"], "funded", "drawing")
    assert client.get(f"/api/lots/{lot['id']}").json()["product"] is None
    walk_states(lot["id"], "settled")
    revealed = client.get(f"/api/lots/{lot['id']}").json()
    assert revealed["product"]["name"] == "Patek Nautilus"
    assert revealed["product"]["images"] == ["https://img.example.com/sub.jpg"]


def test_leaderboard_shows_usernames_and_tickets_only(
    client: TestClient, api: Any, lots: Any, add_entries: Any
) -> None:
    lot = lots.open_lot()
    ada = api.account(username="ada")
    bob = api.account(username="bob")
    cyd = api.account(username="cyd")
    add_entries(
        lot["id"],
        (bob.id, 3, 500),
        (ada.id, 1, 200),
        (cyd.id, 4, 800),
        (ada.id, 3, 500),
    )
    response = client.get(f"/api/lots/{lot['id']}/entries")
    assert response.status_code == 200
    board = response.json()
    assert board["next_cursor"] is None
    assert board["items"] == [
        {"rank": 1, "username": "ada", "tickets": 4, "entries": 2},
        {"rank": 2, "username": "cyd", "tickets": 4, "entries": 1},
        {"rank": 3, "username": "bob", "tickets": 3, "entries": 1},
    ]
    for account in (ada, bob, cyd):
        assert account.email not in response.text
        assert account.id not in response.text

    first = client.get(f"/api/lots/{lot['id']}/entries", params={"limit": 2}).json()
    assert [row["rank"] for row in first["items"]] == [1, 2]
    second = client.get(
        f"/api/lots/{lot['id']}/entries", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert second == {
        "items": [{"rank": 3, "username": "bob", "tickets": 3, "entries": 1}],
        "next_cursor": None,
    }


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
