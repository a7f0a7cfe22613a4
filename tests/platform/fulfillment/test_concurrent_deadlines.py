"""Two runs of the deadline jobs at once (two ticks, a tick beside `alot tick`) change
each prize once, post each compensation once and notify each person once."""

from __future__ import annotations

import threading
from typing import Any

from alot_platform.fulfillment.tasks import DeadlineReport, run_deadlines
from alot_platform.notifications.models import Notification
from sqlalchemy import func, select

RETAIL = 1_250_000


def test_two_runs_at_once_do_everything_once(prizes: Any, platform: Any) -> None:
    unclaimed = prizes.win()
    claimed = [prizes.win() for _ in range(2)]
    for winner, _lot, reveal_id in claimed:
        assert prizes.claim(winner, reveal_id).status_code == 200
    prizes.http.advance(days=31)  # past every claim and ship deadline

    barrier = threading.Barrier(2)
    reports: list[DeadlineReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            reports.append(run_deadlines(platform))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [r.failures for r in reports] == [[], []]
    assert sum(r.claims_expired for r in reports) == 1
    assert sum(r.shipments_overdue for r in reports) == 2
    assert prizes.usd(f"user:{unclaimed[0].id}:payable") == RETAIL
    for winner, _lot, reveal_id in claimed:
        prizes.http.desk.login_again(winner)
        assert prizes.tracking(winner, reveal_id).json()["status"] == "disputed"
    with platform.database.sessions() as session:
        keys = list(
            session.execute(
                select(Notification.user_id, Notification.key, func.count())
                .where(Notification.kind == "prize")
                .group_by(Notification.user_id, Notification.key)
            )
        )
    assert keys
    assert all(count == 1 for _user, _key, count in keys)
    assert run_deadlines(platform).shipments_overdue == 0
