"""A free entry is an entry: a time-out or self-exclusion refuses it by either route,
new terms refuse it online until accepted, and a country outside the allow-list is
refused as for a purchase. Nothing is written when it is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.platform.entries.conftest import TRIVIA_ANSWER


def _enter(client: Any, shop: Any, account: Any, lot_id: str, **headers: str) -> Any:
    return client.post(
        f"/api/lots/{lot_id}/free-entries",
        headers={**account.headers, "Idempotency-Key": shop.key(), **headers},
    )


def _postal(shop: Any, lot_id: str, user_id: str, reference: str) -> Any:
    body = {
        "user_id": user_id,
        "received_on": "2026-12-01",
        "reference": reference,
        "trivia_answer": TRIVIA_ANSWER,
    }
    return shop.client.post(
        f"/api/admin/lots/{lot_id}/free-entries", json=body, headers=shop.admin.headers
    )


def test_an_exclusion_refuses_free_entries_online_and_by_post(shop: Any) -> None:
    lot_id = shop.open_lot()["id"]
    resting, excluded = shop.player(lot_id), shop.player(lot_id)
    for account, path, body in (
        (resting, "time-out", {"hours": 24, "confirm": True}),
        (excluded, "self-exclusion", {"months": 6, "confirm": True}),
    ):
        taken = shop.client.post(f"/api/users/me/play/{path}", json=body, headers=account.headers)
        assert taken.status_code == 200, taken.text
    before = shop.census()

    for account, kind in ((resting, "time_out"), (excluded, "self_exclusion")):
        online = _enter(shop.client, shop, account, lot_id)
        assert online.status_code == 403, online.text
        assert (online.json()["code"], online.json()["kind"]) == ("play_excluded", kind)
        postal = _postal(shop, lot_id, account.id, f"card-{kind}")
        assert postal.status_code == 403, postal.text
        assert postal.json()["code"] == "play_excluded"
    assert shop.census() == before
    assert shop.lot_row(lot_id)["tickets_sold"] == 0


def test_new_terms_refuse_an_online_free_entry_until_accepted(
    shop: Any, make_client: Callable[..., TestClient]
) -> None:
    lot_id = shop.open_lot()["id"]
    player = shop.player(lot_id)
    bumped = make_client(terms_version="2027-01-01")

    refused = _enter(bumped, shop, player, lot_id)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "terms_not_accepted"
    assert shop.lot_row(lot_id)["tickets_sold"] == 0

    accepted = bumped.post(
        "/api/users/me/terms",
        json={"terms_version": "2027-01-01", "privacy_version": "2026-12-01"},
        headers=player.headers,
    )
    assert accepted.status_code == 200, accepted.text
    assert _enter(bumped, shop, player, lot_id).status_code == 201


def test_a_country_outside_the_allow_list_is_refused_a_free_entry(
    shop: Any, make_client: Callable[..., TestClient]
) -> None:
    lot_id = shop.open_lot()["id"]
    player = shop.player(lot_id)
    guarded = make_client(allowed_countries="GB,IE", country_header="CF-IPCountry")

    refused = _enter(guarded, shop, player, lot_id, **{"CF-IPCountry": "US"})
    assert refused.status_code == 403, refused.text
    assert (refused.json()["code"], refused.json()["country"]) == ("country_not_allowed", "US")
    assert shop.lot_row(lot_id)["tickets_sold"] == 0
    assert _enter(guarded, shop, player, lot_id, **{"CF-IPCountry": "GB"}).status_code == 201


def test_an_admin_reading_limits_and_recording_a_postal_entry_is_audited(shop: Any) -> None:
    lot_id = shop.open_lot()["id"]
    player = shop.player(lot_id)
    viewed = shop.client.get(f"/api/admin/users/{player.id}/play", headers=shop.admin.headers)
    assert viewed.status_code == 200, viewed.text
    recorded = _postal(shop, lot_id, player.id, "card-1")
    assert recorded.status_code == 201, recorded.text

    log = shop.client.get(
        "/api/audit/log", params={"newest_first": "true", "limit": 2}, headers=shop.admin.headers
    ).json()
    newest = [(e["action"], e["target_type"], e["target_id"]) for e in log["items"]]
    assert newest == [
        ("postal_free_entry_recorded", "lot", lot_id),
        ("limits_viewed", "user", player.id),
    ]
    assert log["items"][0]["actor_id"] == shop.admin.id
    assert log["items"][0]["details"] == {
        "user_id": player.id,
        "purchase_id": recorded.json()["id"],
    }
