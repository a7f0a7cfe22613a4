"""A settled lot notifies its players: the winner (emailed with the settlement), every
other entrant their credits (right after it, a batch at a time, emailed unless they
turned that off), once."""

from __future__ import annotations

import uuid
from typing import Any

from alot_platform.draws.models import LotteryDraw
from alot_platform.draws.tasks import run_draw_and_settle, settle_lot
from alot_platform.lots.models import Lot
from alot_platform.notifications.models import Notification
from alot_platform.notifications.service import notify_credits
from alot_platform.outbox.models import OutboxItem
from sqlalchemy import func, select


def _settled_lot(desk: Any) -> tuple[str, list[Any], dict[str, Any]]:
    lot_id = desk.open_lot(non_winner_credit_rate_percent=10)["id"]
    ada, bob, cy = (desk.player(lot_id) for _ in range(3))
    desk.bought(ada, lot_id, 1)  # 5 tickets, $4.50
    desk.bought(bob, lot_id, 1)  # 5 tickets, $4.50
    desk.bought(cy, lot_id, 0)  # 1 ticket, $1: funded, drawn and settled after it
    draw = desk.client.get(f"/api/lots/{lot_id}/draw").json()
    assert desk.client.get(f"/api/lots/{lot_id}").json()["status"] == "settled"
    return lot_id, [ada, bob, cy], draw


def test_the_winner_and_the_others_are_told_once(desk: Any, platform: Any) -> None:
    lot_id, players, draw = _settled_lot(desk)
    winner = next(p for p in players if p.id == draw["winner_user_id"])
    others = [p for p in players if p is not winner]
    ticket = draw["winning_ticket"]

    page = desk.notifications(winner)
    assert page["unread_count"] == 1
    [won] = page["items"]
    assert won["kind"] == "won"
    assert won["title"] == "You won A watch for the ages!"
    assert f"ticket #{ticket}" in won["body"]
    assert won["link"] == f"/lots/{lot_id}/draw"
    assert won["lot_id"] == lot_id
    assert won["data"]["winning_ticket"] == ticket
    assert (won["read"], won["read_at"]) == (False, None)
    # The winner's email was written with the settlement and sent once it committed;
    # a tick sends nothing more.
    desk.tick()
    [email] = desk.emails(winner, "You won")
    assert f"{platform.settings.public_url}/lots/{lot_id}/draw" in email["body"]
    assert "turn these emails off" not in email["body"]  # transactional

    for player in others:
        [credits] = desk.notifications(player)["items"]
        earned = desk.credits(player)
        assert earned > 0
        assert credits["kind"] == "credits_awarded"
        assert credits["data"]["credits"] == earned  # what the ledger gave, no more
        assert credits["title"] == f"A watch for the ages was drawn: {earned} credits for you"
        assert f"Ticket #{ticket} won" in credits["body"]
        [email] = desk.emails(player, "was drawn")
        assert f"You earned {earned} credits" in email["body"]
        assert "/account#email-preferences" in email["body"]

    # Settling again (a retried task, the tick) notifies nobody twice.
    assert run_draw_and_settle(platform, uuid.UUID(lot_id)).settled is False
    assert settle_lot(platform, uuid.UUID(lot_id)) == (False, "settled")
    desk.tick()
    with platform.database.sessions() as session:
        count = session.scalar(select(func.count()).select_from(Notification))
        emails = session.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(OutboxItem.key.like("notification:%"))
        )
    assert (count, emails) == (3, 3)
    assert len(desk.emails(winner, "You won")) == 1


def test_credits_email_follows_the_preference_the_notification_does_not(desk: Any) -> None:
    lot_id = desk.open_lot(non_winner_credit_rate_percent=10)["id"]
    ada, bob = desk.player(lot_id), desk.player(lot_id)
    for player in (ada, bob):
        assert desk.set_preferences(player, credits_emails=False)["credits_emails"] is False
    desk.bought(ada, lot_id, 1)
    desk.bought(bob, lot_id, 1)
    desk.bought(ada, lot_id, 0)  # funded: $10
    desk.tick()
    winner_id = desk.client.get(f"/api/lots/{lot_id}/draw").json()["winner_user_id"]
    loser = bob if ada.id == winner_id else ada
    winner = ada if loser is bob else bob
    assert desk.kinds(loser) == ["credits_awarded"]
    assert desk.emails(loser, "was drawn") == []  # opted out of credits emails
    assert len(desk.emails(winner, "You won")) == 1  # a win is always emailed


def test_no_credits_still_tells_the_others_the_lot_was_drawn(desk: Any) -> None:
    lot_id = desk.open_lot(non_winner_credit_rate_percent=0)["id"]
    ada, bob = desk.player(lot_id), desk.player(lot_id)
    desk.bought(ada, lot_id, 1)
    desk.bought(bob, lot_id, 1)
    desk.bought(bob, lot_id, 0)
    winner_id = desk.client.get(f"/api/lots/{lot_id}/draw").json()["winner_user_id"]
    loser = bob if ada.id == winner_id else ada
    [item] = desk.notifications(loser)["items"]
    assert (item["kind"], item["data"]["credits"]) == ("credits_awarded", 0)
    assert "awarded no credits" in item["body"]


def test_credits_are_told_a_batch_at_a_time_after_the_settlement(desk: Any, platform: Any) -> None:
    """The non-winners' notifications are written after the settlement commits, by its
    credits_notifications task, one committed batch at a time: a batch done again (a
    task run twice, or resumed) notifies nobody twice."""
    lot_id, players, draw = _settled_lot(desk)
    losers = sorted(uuid.UUID(p.id) for p in players if p.id != draw["winner_user_id"])
    with platform.database.sessions() as session:
        task = session.scalars(
            select(OutboxItem).where(OutboxItem.key == f"credits-notifications:{lot_id}")
        ).one()
        assert (task.task, task.status) == ("credits_notifications", "done")
        # The batches again, one entrant at a time, as a resumed run would read them.
        lot = session.get(Lot, uuid.UUID(lot_id))
        drawn = session.scalars(
            select(LotteryDraw).where(LotteryDraw.lot_id == uuid.UUID(lot_id))
        ).one()
        after, pages = None, 0
        while True:
            after = notify_credits(session, platform, lot, drawn, after=after, limit=1)
            pages += 1
            if after is None:
                break
        session.commit()
    assert pages == 4  # three entrants, one a page, and the empty page after them
    with platform.database.sessions() as session:
        told = session.scalars(
            select(Notification.user_id).where(Notification.kind == "credits_awarded")
        ).all()
    assert sorted(told) == losers
