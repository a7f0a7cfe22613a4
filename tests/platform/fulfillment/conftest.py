"""Fixtures for prize fulfillment: a lot won over HTTP (a platform lot, or a host
lot), and the calls its winner, its host and the admins make about the prize."""

from __future__ import annotations

from typing import Any

import pytest
from alot_platform.scheduler import TickReport, run_tick

from tests.platform.draws.conftest import DRAW_LOT_DEFAULTS, Http
from tests.platform.marketplace import make_host, open_host_lot

ADDRESS: dict[str, Any] = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "line2": "Flat 3",
    "city": "London",
    "region": "Greater London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
    "phone": "+44 20 7946 0958",
}
SHIPMENT = {"carrier": "Royal Mail", "tracking_number": "RM123456789GB"}


class Prizes:
    def __init__(self, http: Http, platform: Any) -> None:
        self.http = http
        self.client = http.client
        self.platform = platform
        self.admin = http.admin

    def host(self, commission_bps: int = 1500) -> tuple[Any, str]:
        """A host account and its host id."""
        account = self.http.api.account()
        return account, make_host(self.client, account, commission_bps=commission_bps)

    def win(self, host_id: str | None = None) -> tuple[Any, str, str]:
        """A lot (the host's, or the platform's) bought out by one player, who wins it:
        (winner, lot id, reveal id)."""
        lot = (
            open_host_lot(self.http.desk, host_id, non_winner_credit_rate_percent=10)
            if host_id
            else self.http.open_lot()
        )
        winner = self.http.player(lot["id"])
        for _ in range(3):  # 13.50 against a 10.00 target
            assert self.http.buy(winner, lot["id"], 1).status_code == 201
        assert self.client.get(f"/api/lots/{lot['id']}/draw").json()["lot_status"] == "settled"
        [reveal] = [r for r in self.reveals(winner) if r["lot_id"] == lot["id"]]
        assert reveal["status"] == "won"
        return winner, lot["id"], reveal["id"]

    def reveals(self, account: Any) -> list[dict[str, Any]]:
        response = self.client.get("/api/users/me/reveals", headers=account.headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def claim(self, account: Any, reveal_id: str, address: dict[str, Any] | None = None) -> Any:
        body = {"shipping_address": address or ADDRESS}
        return self.client.post(
            f"/api/reveals/{reveal_id}/claim", json=body, headers=account.headers
        )

    def tracking(self, account: Any, reveal_id: str) -> Any:
        return self.client.get(f"/api/reveals/{reveal_id}/tracking", headers=account.headers)

    def host_ship(self, account: Any, reveal_id: str, **shipment: str) -> Any:
        return self.client.post(
            f"/api/hosts/me/fulfillment/{reveal_id}/ship",
            json={**SHIPMENT, **shipment},
            headers=account.headers,
        )

    def admin_ship(self, reveal_id: str, **shipment: str) -> Any:
        return self.http.admin_post(
            f"/api/admin/reveals/{reveal_id}/ship", json={**SHIPMENT, **shipment}
        )

    def confirm(self, account: Any, reveal_id: str) -> Any:
        return self.client.post(
            f"/api/reveals/{reveal_id}/confirm-delivery", headers=account.headers
        )

    def dispute(self, account: Any, reveal_id: str, reason: str = "not_received") -> Any:
        return self.client.post(
            f"/api/reveals/{reveal_id}/dispute",
            json={"reason": reason, "details": "Nothing came."},
            headers=account.headers,
        )

    def resolve(self, reveal_id: str, resolution: str) -> Any:
        return self.http.admin_post(
            f"/api/admin/reveals/{reveal_id}/resolve",
            json={"resolution": resolution, "note": "Checked with the carrier."},
        )

    def host_queue(self, account: Any, **params: str) -> Any:
        return self.client.get("/api/hosts/me/fulfillment", params=params, headers=account.headers)

    def admin_queue(self, **params: str) -> Any:
        return self.http.admin_get("/api/admin/fulfillment", params=params)

    def usd(self, account: str) -> int:
        return self.http.ledger_balance(account, "USD")

    def tick(self) -> TickReport:
        report = run_tick(self.platform)
        assert report.failures == [], report.failures
        return report

    def notifications(self, account: Any) -> list[dict[str, Any]]:
        response = self.client.get("/api/users/me/notifications", headers=account.headers)
        assert response.status_code == 200, response.text
        return [n for n in response.json()["items"] if n["kind"] == "prize"]

    def emails(self, account: Any, word: str) -> list[dict[str, Any]]:
        return [m for m in self.http.api.mailbox(account.email) if word in m["subject"]]


@pytest.fixture
def prizes(make_lot_desk: Any, platform: Any) -> Prizes:
    return Prizes(Http(make_lot_desk(**DRAW_LOT_DEFAULTS)), platform)
