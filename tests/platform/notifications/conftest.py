"""Fixtures for the notification tests: lots played over HTTP, and the player's view.

`Desk` is the shared `LotDesk` with a $10 target and $1 / $4.50 bundles (a few
purchases fund a lot), plus the calls a player makes to read their notifications.
"""

from __future__ import annotations

from typing import Any

import pytest
from alot_platform.scheduler import run_tick
from fastapi.testclient import TestClient

LOT_DEFAULTS: dict[str, Any] = {
    "funding_target_cents": 1000,
    "entry_bundles": [
        {"price_cents": 100, "tickets": 1},
        {"price_cents": 450, "tickets": 5},
    ],
}


class Desk:
    def __init__(self, desk: Any, platform: Any) -> None:
        self.desk = desk
        self.platform = platform
        self.client: TestClient = desk.client
        self.api = desk.api
        self.clock = desk.clock
        self.admin = desk.admin
        self.open_lot = desk.open_lot
        self.buy = desk.buy
        self.buy_with_credits = desk.buy_with_credits

    def player(self, lot_id: str) -> Any:
        return self.desk.player(lot_id)

    def bought(self, account: Any, lot_id: str, bundle: int) -> dict[str, Any]:
        response = self.buy(account, lot_id, bundle)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def advance(self, *accounts: Any, **delta: float) -> None:
        """Move the clock; log the admin and ``accounts`` in again (tokens expire)."""
        self.clock.advance(**delta)
        for account in (self.admin, *accounts):
            self.desk.login_again(account)

    def tick(self) -> Any:
        report = run_tick(self.platform)
        assert not report.failures, report.summary()
        return report

    def notifications(self, account: Any, **params: Any) -> dict[str, Any]:
        response = self.client.get(
            "/api/users/me/notifications", params=params, headers=account.headers
        )
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    def kinds(self, account: Any) -> list[str]:
        return [item["kind"] for item in self.notifications(account)["items"]]

    def mark_read(self, account: Any, **body: Any) -> Any:
        return self.client.post(
            "/api/users/me/notifications/read", json=body, headers=account.headers
        )

    def set_preferences(self, account: Any, **changes: Any) -> dict[str, Any]:
        response = self.client.patch(
            "/api/users/me/preferences", json=changes, headers=account.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def emails(self, account: Any, word: str = "") -> list[dict[str, Any]]:
        """Emails delivered to ``account`` whose subject holds ``word``."""
        return [m for m in self.api.mailbox(account.email) if word in m["subject"]]

    def credits(self, account: Any) -> int:
        response = self.client.get("/api/users/me/credits", headers=account.headers)
        assert response.status_code == 200, response.text
        return int(response.json()["balance_credits"])


@pytest.fixture
def desk(make_lot_desk: Any, platform: Any) -> Desk:
    return Desk(make_lot_desk(**LOT_DEFAULTS), platform)
