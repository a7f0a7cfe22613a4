"""Reminders: the entrants of a lot 90% funded, or closing within 24 hours, are told once
per lot, by the tick, which drains every due lot and player in batches; the email
follows the reminders preference, the in-app notification is written regardless."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from alot_platform.notifications import tasks
from alot_platform.notifications.models import EmailStatus, Notification
from alot_platform.notifications.service import notify_settled
from alot_platform.notifications.tasks import send_due_emails, send_reminders
from alot_platform.outbox.models import OutboxItem
from sqlalchemy import func, select


def test_nearly_funded_and_closing_soon_remind_once(desk: Any) -> None:
    far = (desk.clock.now + timedelta(hours=72)).isoformat()
    funded_lot = desk.open_lot(deadline=far)["id"]
    closing_lot = desk.open_lot(deadline=(desk.clock.now + timedelta(hours=30)).isoformat())["id"]
    ada, bob = desk.player(funded_lot), desk.player(funded_lot)
    cy = desk.player(closing_lot)
    desk.set_preferences(bob, reminder_emails=False)
    desk.bought(ada, funded_lot, 1)  # 45%
    desk.bought(cy, closing_lot, 0)  # 10%, closes in 30 hours
    assert desk.tick().reminders == 0  # neither 90% funded nor closing within 24 hours

    desk.bought(bob, funded_lot, 1)  # 90%
    assert desk.tick().reminders == 2
    for player in (ada, bob):
        [reminder] = desk.notifications(player)["items"]
        assert reminder["kind"] == "lot_closing"
        assert reminder["data"]["reason"] == "nearly_funded"
        assert reminder["data"]["funded_percent"] == 90
        assert reminder["title"] == "A watch for the ages is about to close"
        assert "is 90% funded" in reminder["body"]
        assert reminder["link"] == f"/lots/{funded_lot}"
    [email] = desk.emails(ada, "about to close")
    assert "/account#email-preferences" in email["body"]
    assert desk.emails(bob, "about to close") == []  # opted out: in the app only
    assert desk.notifications(cy)["items"] == []

    desk.advance(ada, bob, cy, hours=7)  # the second lot now closes within 24 hours
    assert desk.tick().reminders == 1
    [closing] = desk.notifications(cy)["items"]
    assert closing["data"]["reason"] == "closing_soon"
    assert "closes at 2026-03-02 18:00 UTC" in closing["body"]
    assert len(desk.emails(cy, "about to close")) == 1

    desk.advance(ada, bob, cy, hours=1)
    assert desk.tick().reminders == 0  # once per lot and player
    assert [len(desk.notifications(p)["items"]) for p in (ada, bob, cy)] == [1, 1, 1]
    assert len(desk.emails(ada, "about to close")) == 1


def test_a_tick_drains_every_lot_and_player_in_batches(
    desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of one lot and two players: every batch boundary is crossed.
    monkeypatch.setattr(tasks, "LOT_BATCH", 1)
    monkeypatch.setattr(tasks, "PLAYER_BATCH", 2)
    monkeypatch.setattr(tasks, "EMAIL_BATCH", 2)
    soon = (desk.clock.now + timedelta(hours=2)).isoformat()
    lots = [desk.open_lot(deadline=soon, funding_target_cents=100_000)["id"] for _ in range(3)]
    players = [desk.player(lots[0]) for _ in range(5)]
    for lot_id in lots:
        for player in players:
            desk.desk.pass_trivia(player, lot_id)
            desk.bought(player, lot_id, 0)
    report = desk.tick()
    assert report.reminders == 15
    assert report.notification_emails == 15
    for player in players:
        items = desk.notifications(player)["items"]
        assert sorted(i["lot_id"] for i in items) == sorted(lots)
        assert len(desk.emails(player, "about to close")) == 3


def test_two_runs_at_once_remind_and_email_each_player_once(desk: Any, platform: Any) -> None:
    soon = (desk.clock.now + timedelta(hours=2)).isoformat()
    lot_id = desk.open_lot(deadline=soon, funding_target_cents=100_000)["id"]
    players = [desk.player(lot_id) for _ in range(6)]
    for player in players:
        desk.bought(player, lot_id, 0)

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            send_reminders(platform)
            send_due_emails(platform)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with platform.database.sessions() as session:
        reminders = session.scalar(select(func.count()).select_from(Notification))
        emails = (
            session.scalar(
                select(func.count()).select_from(OutboxItem).where(OutboxItem.task == "email")
            )
            or 0
        )
        statuses = set(session.scalars(select(Notification.email_status)))
    assert reminders == 6
    assert statuses == {EmailStatus.QUEUED.value}
    desk.tick()
    for player in players:
        assert len(desk.emails(player, "about to close")) == 1
    with platform.database.sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(OutboxItem).where(OutboxItem.task == "email")
            )
            == emails
        )


def test_a_settlement_notified_twice_writes_and_emails_once(desk: Any, platform: Any) -> None:
    lot_id = desk.open_lot()["id"]
    ada, bob = desk.player(lot_id), desk.player(lot_id)
    desk.bought(ada, lot_id, 1)
    desk.bought(bob, lot_id, 1)
    desk.bought(bob, lot_id, 0)
    desk.tick()
    from alot_platform.draws.service import DrawService

    with platform.database.sessions() as session:
        lot, draw = DrawService(session, platform).get(uuid.UUID(lot_id))
        assert draw is not None
        notify_settled(session, platform, lot, draw)  # a retried settlement's hook
        session.commit()
    assert desk.tick().notification_emails == 0
    with platform.database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 2
    assert len(desk.emails(ada) + desk.emails(bob)) == 2 + 2  # + the two verification emails
