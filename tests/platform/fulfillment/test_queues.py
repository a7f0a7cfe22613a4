"""The shippers' queues follow the list rules of every list (test_api_consistency.py):
one envelope, a cursor that walks them, a foreign or forged cursor and a bad limit
refused with a 422 problem; and the status filter."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest


def _walk(get: Callable[..., Any]) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = get(**params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert set(body) == {"items", "next_cursor"}
        seen += [item["reveal_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


@pytest.fixture
def claimed(prizes: Any) -> dict[str, Any]:
    host, host_id = prizes.host()
    made: dict[str, Any] = {"host": host, "host_reveals": [], "platform_reveals": []}
    for kind in ("host_reveals", "host_reveals", "platform_reveals", "platform_reveals"):
        winner, _lot, reveal_id = prizes.win(host_id if kind == "host_reveals" else None)
        assert prizes.claim(winner, reveal_id).status_code == 200
        made[kind].append(reveal_id)
    return made


def test_the_queues_walk_with_a_cursor_and_refuse_bad_ones(prizes: Any, claimed: Any) -> None:
    host = claimed["host"]

    def host_list(**params: str) -> Any:
        return prizes.host_queue(host, **params)

    def admin_list(**params: str) -> Any:
        return prizes.admin_queue(**params)

    lists: dict[str, Callable[..., Any]] = {"host": host_list, "admin": admin_list}
    assert sorted(_walk(lists["host"])) == sorted(claimed["host_reveals"])
    assert sorted(_walk(lists["admin"])) == sorted(claimed["platform_reveals"])
    foreign = prizes.client.get(
        "/api/users/me/notifications", params={"limit": 1}, headers=prizes.admin.headers
    ).json()["next_cursor"]
    assert foreign
    for get in lists.values():
        for cursor in ["zzz", "bm90IGpzb24", str(uuid.uuid4()), foreign]:
            response = get(cursor=cursor)
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "invalid_cursor"
        for limit in ("0", "1001"):
            assert get(limit=limit).status_code == 422
        assert get(status="lost").status_code == 422


def test_the_status_filter(prizes: Any, claimed: Any) -> None:
    [first, _second] = claimed["platform_reveals"]
    assert prizes.admin_ship(first).status_code == 200
    shipped = prizes.admin_queue(status="shipped").json()["items"]
    assert [i["reveal_id"] for i in shipped] == [first]
    assert len(prizes.admin_queue(status="claimed").json()["items"]) == 1
    assert prizes.admin_queue(status="delivered").json()["items"] == []
