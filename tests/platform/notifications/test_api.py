"""GET /api/users/me/notifications, POST .../read and /api/users/me/preferences: paging
newest first, the unread count, marking read (idempotent; someone else's id changes
nothing), and email choices that refuse what cannot be chosen."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from alot_platform.notifications.models import NotificationKind
from alot_platform.notifications.service import notify


def _notify_many(desk: Any, account: Any, count: int) -> list[str]:
    """``count`` notifications for ``account``, one minute apart, oldest first."""
    ids = []
    for n in range(count):
        desk.clock.advance(minutes=1)
        with desk.platform.database.sessions() as session:
            row = notify(
                session,
                user_id=uuid.UUID(account.id),
                kind=NotificationKind.LOT_CLOSING,
                key=f"test:{n}",
                data={
                    "lot_id": None,
                    "lot_title": f"Lot {n}",
                    "reason": "closing_soon",
                    "deadline": (desk.clock.now + timedelta(hours=3)).isoformat(),
                    "funded_percent": 40,
                },
                now=desk.clock.now,
            )
            assert row is not None
            ids.append(str(row.id))
            session.commit()
    return ids


def test_pages_newest_first_with_the_unread_count(desk: Any) -> None:
    ada = desk.api.account()
    assert desk.notifications(ada) == {"items": [], "next_cursor": None, "unread_count": 0}
    ids = _notify_many(desk, ada, 5)

    first = desk.notifications(ada, limit=2)
    assert [item["id"] for item in first["items"]] == ids[:-3:-1]
    assert first["unread_count"] == 5
    second = desk.notifications(ada, limit=2, cursor=first["next_cursor"])
    third = desk.notifications(ada, limit=2, cursor=second["next_cursor"])
    assert [i["id"] for i in second["items"] + third["items"]] == ids[2::-1]
    assert third["next_cursor"] is None

    # Another list's cursor, or garbage, is refused.
    credits_cursor = desk.client.get(
        "/api/users/me/credits/transactions", headers=ada.headers
    ).json()["next_cursor"]
    for cursor in ("garbage", credits_cursor or "W10"):
        refused = desk.client.get(
            "/api/users/me/notifications", params={"cursor": cursor}, headers=ada.headers
        )
        assert refused.status_code == 422
        assert refused.json()["code"] == "invalid_cursor"
    # Nobody sees another player's notifications.
    bob = desk.api.account()
    assert desk.notifications(bob)["items"] == []
    unauthenticated = desk.client.get("/api/users/me/notifications")
    assert unauthenticated.status_code == 401


def test_marking_read_by_ids_and_up_to_one_is_idempotent(desk: Any) -> None:
    ada, bob = desk.api.account(), desk.api.account()
    ids = _notify_many(desk, ada, 4)
    [bobs] = _notify_many(desk, bob, 1)

    marked = desk.mark_read(ada, ids=[ids[3]])
    assert marked.status_code == 200, marked.text
    assert marked.json() == {"marked": 1, "unread_count": 3}
    again = desk.mark_read(ada, ids=[ids[3]])
    assert again.json() == {"marked": 0, "unread_count": 3}
    page = desk.notifications(ada)
    assert [item["read"] for item in page["items"]] == [True, False, False, False]
    assert page["items"][0]["read_at"] is not None
    assert [i["id"] for i in desk.notifications(ada, unread="true")["items"]] == ids[2::-1]

    # Up to the second: it and the older one, not the newer third.
    up_to = desk.mark_read(ada, up_to=ids[1])
    assert up_to.json() == {"marked": 2, "unread_count": 1}
    assert [i["id"] for i in desk.notifications(ada, unread="true")["items"]] == [ids[2]]
    assert desk.mark_read(ada, up_to=ids[3]).json() == {"marked": 1, "unread_count": 0}

    # Someone else's id (alone or among one's own) changes nothing.
    assert desk.mark_read(bob, ids=[ids[0]]).status_code == 404
    foreign = desk.mark_read(ada, ids=[bobs])
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "notification_not_found"
    assert desk.mark_read(ada, up_to=bobs).status_code == 404
    assert desk.notifications(bob)["unread_count"] == 1
    assert desk.mark_read(bob, ids=[bobs, ids[0]]).status_code == 404
    assert desk.notifications(bob)["unread_count"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"ids": ["not-a-uuid"]},
        {"ids": [str(uuid.uuid4())] * 101},
        {"ids": [str(uuid.uuid4())], "up_to": str(uuid.uuid4())},
        {"all": True},
    ],
)
def test_a_bad_mark_read_request_is_refused(desk: Any, body: dict[str, Any]) -> None:
    ada = desk.api.account()
    _notify_many(desk, ada, 1)
    refused = desk.mark_read(ada, **body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "validation_error"
    assert desk.notifications(ada)["unread_count"] == 1


def test_email_preferences(desk: Any) -> None:
    ada = desk.api.account()
    defaults = desk.client.get("/api/users/me/preferences", headers=ada.headers)
    assert defaults.status_code == 200
    assert defaults.json() == {
        "reminder_emails": True,
        "credits_emails": True,
        "marketing_emails": False,
        "transactional_emails": True,
        "updated_at": None,
    }
    changed = desk.set_preferences(ada, reminder_emails=False, marketing_emails=True)
    assert (changed["reminder_emails"], changed["marketing_emails"]) == (False, True)
    assert changed["credits_emails"] is True
    assert changed["updated_at"] is not None
    assert desk.set_preferences(ada) == changed  # nothing to change
    read = desk.client.get("/api/users/me/preferences", headers=ada.headers).json()
    assert read == changed

    for bad in (
        {"transactional_emails": False},
        {"transactional_emails": True},
        {"reminder_emails": None},
        {"reminder_emails": "no"},
        {"reminder_emails": 0},
        {"weekly_digest": True},
    ):
        refused = desk.client.patch("/api/users/me/preferences", json=bad, headers=ada.headers)
        assert refused.status_code == 422, (bad, refused.text)
    transactional = desk.client.patch(
        "/api/users/me/preferences",
        json={"transactional_emails": False, "reminder_emails": True},
        headers=ada.headers,
    )
    assert "always sent" in transactional.json()["errors"][0]["message"]
    assert desk.client.get("/api/users/me/preferences", headers=ada.headers).json() == changed
    # Someone else's preferences are their own.
    bob = desk.api.account()
    assert desk.client.get("/api/users/me/preferences", headers=bob.headers).json() == (
        defaults.json()
    )
    assert desk.client.get("/api/users/me/preferences").status_code == 401
