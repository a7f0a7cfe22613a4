"""A small real history through the API, spread over days by the fake clock, and the
figures it must give.

The ledger stamps its transactions with the real clock, the lots table with the platform
clock: the history starts five days before the real today so that the lots' days and the
ledger's day both fall in a range around today.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from alot_ledger import Ledger, Posting
from alot_platform.hosts.escrow import release_to_host
from alot_platform.lots.models import Lot
from alot_platform.scheduler import run_tick

from tests.platform.marketplace import make_host, open_host_lot


@dataclass
class History:
    today: date
    day0: date
    platform_lot: str
    expired_lot: str
    host_lot: str
    host_id: str
    settlement_credits: int  # what the platform lot's non-winners earned


def build(http: Any, lots: Any, platform: Any, services: Any) -> History:
    clock = http.clock
    today = datetime.now(UTC).date()
    day0 = today - timedelta(days=5)
    clock.now = datetime(day0.year, day0.month, day0.day, 12, tzinfo=UTC)
    http.desk.login_again()

    # Day 0, 12:00: a platform lot opens, and one that will expire an hour later.
    a = http.open_lot()["id"]
    b = http.open_lot(deadline=(clock.now + timedelta(hours=1)).isoformat())["id"]
    ada, bob, cy = (http.player(b) for _ in range(3))
    lots.grant_credits(cy.id, 200)
    adas = http.buy(ada, b, 1).json()["id"]  # 4.50 cash
    bobs = http.buy(bob, b, 0).json()["id"]  # 1.00 cash
    assert http.buy_with_credits(cy, b, 2).status_code == 201  # 200 credits
    p1, p2 = http.player(a), http.player(a)
    assert http.buy(p1, a, 1).status_code == 201  # 4.50

    # 13:00: the tick expires b; ada takes cash back (98%), bob credits (150%).
    http.advance(ada, bob, cy, p1, p2, hours=1)
    assert [str(i) for i in run_tick(platform).expired] == [b]
    for who, purchase, how in ((ada, adas, "cash"), (bob, bobs, "credits")):
        chosen = http.client.post(
            f"/api/purchases/{purchase}/refund-choice", json={"choice": how}, headers=who.headers
        )
        assert chosen.status_code in (200, 202), chosen.text

    # Day 1, 13:00: a is funded (25 hours after it opened); a host lot opens.
    http.advance(p1, p2, days=1)
    assert http.buy(p2, a, 0).status_code == 201  # 1.00
    assert http.buy(p1, a, 1).status_code == 201  # 4.50: 10.00, funded
    assert http.client.get(f"/api/lots/{a}/draw").json()["lot_status"] == "settled"
    host = make_host(http.client, http.api.account(), commission_bps=1500)
    h = open_host_lot(http.desk, host, non_winner_credit_rate_percent=10)["id"]
    hb = http.player(h)
    lots.grant_credits(hb.id, 100)

    # Day 1, 14:00: the host lot is funded by one buyer (9.00 cash, 100 credits).
    http.advance(hb, hours=1)
    assert http.buy(hb, h, 1).status_code == 201
    assert http.buy_with_credits(hb, h, 1).status_code == 201
    assert http.buy(hb, h, 1).status_code == 201
    assert http.client.get(f"/api/lots/{h}/draw").json()["lot_status"] == "settled"

    # The prize arrived and the host was paid out (as the payouts area will post it).
    with services.session() as session:
        lot = session.get(Lot, uuid.UUID(h))
        assert lot is not None
        release_to_host(session, lot, reason="delivered")
        Ledger(session).post(
            "host_payout",
            [Posting(f"host:{host}:payable", "USD", -850), Posting("platform:cash", "USD", 850)],
            refs={"host_id": host, "transfer": "tr_test"},
        )

    earned = 0
    for player in (p1, p2):
        http.desk.login_again(player)
        totals = http.client.get("/api/users/me/credits", headers=player.headers).json()
        earned += totals["total_earned_credits"]
    return History(today, day0, a, b, h, host, earned)
