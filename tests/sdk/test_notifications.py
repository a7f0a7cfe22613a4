"""client.notifications over the real app in process, sync and async: a drawn lot's
notifications listed and paged, marked read (idempotent, another's id refused), the
unread count, and the email preferences."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from alot_sdk import AsyncAlot, NotFoundError, UnprocessableEntityError

DEV_SECRET = "dev-secret-of-the-sdk-tests"  # tests/sdk/conftest.py sets it
PASSWORD = "correct-horse-battery"


def _drawn_lot(make_player: Callable[..., Any], open_lot: Callable[..., Any]) -> Any:
    lot = open_lot()
    ada, bob = make_player(), make_player()
    for player in (ada, bob):
        assert player.client.trivia.attempt(lot.id, lot.answer).correct
        player.client.entries.purchase(lot.id, bundle_index=1)  # 500 + 500: funded
    draw = ada.client.lots.draw(lot.id)
    winner, other = (ada, bob) if draw.winner_user_id == ada.id else (bob, ada)
    return lot, winner, other


def test_a_drawn_lot_notifies_and_is_marked_read(
    make_player: Callable[..., Any],
    open_lot: Callable[..., Any],
    tick: Callable[[], None],
    clock: Any,
) -> None:
    lot, winner, other = _drawn_lot(make_player, open_lot)
    (won,) = winner.client.notifications.list()
    assert (won.kind, won.lot_id, won.read) == ("won", lot.id, False)
    assert won.link == f"/lots/{lot.id}/draw"
    assert won.title.startswith("You won")
    assert won.data["winning_ticket"] == winner.client.lots.draw(lot.id).winning_ticket
    (credits,) = other.client.notifications.list(unread=True)
    assert credits.kind == "credits_awarded"
    assert credits.data["credits"] == other.client.credits.balance().balance_credits == 250
    assert other.client.notifications.unread_count() == 1

    marked = winner.client.notifications.mark_read([won.id])
    assert (marked.marked, marked.unread_count) == (1, 0)
    assert winner.client.notifications.mark_read([won.id]).marked == 0  # idempotent
    (again,) = winner.client.notifications.list()
    assert again.read
    assert again.read_at is not None
    assert list(winner.client.notifications.list(unread=True)) == []
    with pytest.raises(NotFoundError) as foreign:
        other.client.notifications.mark_read([won.id])
    assert foreign.value.code == "notification_not_found"
    assert other.client.notifications.unread_count() == 1
    with pytest.raises(ValueError, match="either ids or up_to"):
        other.client.notifications.mark_read()
    assert other.client.notifications.mark_all_read().marked == 1
    assert other.client.notifications.mark_all_read().marked == 0

    # Iterating walks every page (newest first: the second lot a minute later).
    clock.advance(minutes=1)
    second_lot = open_lot()
    for player in (winner, other):
        assert player.client.trivia.attempt(second_lot.id, second_lot.answer).correct
        player.client.entries.purchase(second_lot.id, bundle_index=1)
    page = other.client.notifications.list(limit=1)
    assert len(page.items) == 1
    assert page.has_next_page()
    assert [n.lot_id for n in page] == [second_lot.id, lot.id]
    tick()
    subjects = [m.subject for m in other.client.dev.mailbox(to=other.email, secret=DEV_SECRET)]
    # One email per drawn lot: credits, or a win (the second draw may go either way).
    assert sum("was drawn" in s or s.startswith("You won") for s in subjects) == 2


def test_email_preferences(make_player: Callable[..., Any]) -> None:
    ada = make_player()
    prefs = ada.client.notifications.preferences()
    assert (prefs.reminder_emails, prefs.credits_emails, prefs.marketing_emails) == (
        True,
        True,
        False,
    )
    assert prefs.transactional_emails is True
    assert prefs.updated_at is None
    changed = ada.client.notifications.update_preferences(reminder_emails=False)
    assert (changed.reminder_emails, changed.credits_emails) == (False, True)
    assert changed.updated_at is not None
    assert ada.client.notifications.preferences() == changed
    assert ada.client.notifications.update_preferences() == changed  # nothing to change
    with pytest.raises(UnprocessableEntityError):
        ada.client._request("PATCH", "/api/users/me/preferences", json={"reminder_emails": None})


@pytest.mark.anyio
async def test_async_notifications_and_preferences(
    make_async_client: Callable[..., AsyncAlot],
    make_player: Callable[..., Any],
    open_lot: Callable[..., Any],
) -> None:
    lot, winner, _other = _drawn_lot(make_player, open_lot)
    client = make_async_client(api_token=winner.client.access_token)
    assert await client.notifications.unread_count() == 1
    items = [n async for n in await client.notifications.list(limit=1)]
    assert [(n.kind, n.lot_id) for n in items] == [("won", lot.id)]
    assert (await client.notifications.mark_all_read()).marked == 1
    assert (await client.notifications.mark_read([items[0].id])).marked == 0
    with pytest.raises(NotFoundError):
        await client.notifications.mark_read(up_to=str(uuid.uuid4()))
    assert await client.notifications.unread_count() == 0
    prefs = await client.notifications.update_preferences(
        credits_emails=False, marketing_emails=True
    )
    assert (prefs.credits_emails, prefs.marketing_emails) == (False, True)
    assert await client.notifications.preferences() == prefs
