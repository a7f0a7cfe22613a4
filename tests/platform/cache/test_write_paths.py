"""Every write that changes what a cached read shows is seen by the next read.

Each test warms the cache with the reads a client makes (the lot, the list it is on,
its leaderboard, a balance), checks they were served from the cache, writes through
the API (or the tick, or a Stripe webhook) and reads again. Runs in process on SQLite
and across two apps on PostgreSQL + Redis (conftest.py).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import stripe
from alot_platform.context import PlatformContext
from alot_platform.scheduler import run_tick
from fastapi.testclient import TestClient

from .conftest import Reads

LOT = {
    "funding_target_cents": 1000,
    "entry_bundles": [{"price_cents": 100, "tickets": 1}, {"price_cents": 450, "tickets": 5}],
}


@pytest.fixture
def desk(make_lot_desk: Callable[..., Any]) -> Any:
    return make_lot_desk(**LOT)


def _balance(reads: Reads, account: Any) -> int:
    body = reads.get("/api/users/me/credits", family="balance", headers=account.headers)
    return int(body["balance_credits"])


def test_a_cash_purchase_shows_on_the_lot_the_list_and_the_leaderboard(
    desk: Any, reads: Reads
) -> None:
    lot = desk.open_lot()
    ada = desk.player(lot["id"])
    before = reads.warm_lot(lot["id"])
    assert before["tickets_sold"] == 0
    board = f"/api/lots/{lot['id']}/entries"
    assert reads.warm(board, family="leaderboard")["items"] == []

    assert desk.buy(ada, lot["id"], 1).status_code == 201

    after = reads.lot(lot["id"])
    assert reads.last_cached  # written through, not reloaded
    assert (after["tickets_sold"], after["odds_per_ticket"]) == (5, "1 in 5")
    assert after["funding"]["funded_cents"] == after["funding"]["cash_cents"] == 450
    assert after["funding"]["progress_bps"] == 4500
    listed = reads.listed(lot["id"])
    assert listed is not None
    assert listed["tickets_sold"] == 5
    rows = reads.get(board, family="leaderboard")["items"]
    assert [(r["username"], r["tickets"]) for r in rows] == [(ada.username, 5)]


def test_a_credits_purchase_shows_on_the_lot_and_the_balance(
    desk: Any, reads: Reads, services: Any
) -> None:
    lot = desk.open_lot()
    cy = desk.player(lot["id"])
    services.grant_credits(cy.id, 500)
    reads.warm_lot(lot["id"])
    reads.warm("/api/users/me/credits", family="balance", headers=cy.headers)

    assert desk.buy_with_credits(cy, lot["id"], 2).status_code == 201

    after = reads.lot(lot["id"])
    assert after["tickets_sold"] == 2
    assert after["funding"]["spent_credits"] == 200
    assert _balance(reads, cy) == 300
    listed = reads.listed(lot["id"])
    assert listed is not None
    assert listed["funding"]["spent_credits"] == 200


def test_a_balance_granted_or_adjusted_shows_at_once(
    desk: Any, reads: Reads, services: Any
) -> None:
    ada = desk.player()
    assert (
        reads.warm("/api/users/me/credits", family="balance", headers=ada.headers)[
            "balance_credits"
        ]
        == 0
    )
    services.grant_credits(ada.id, 250)
    assert _balance(reads, ada) == 250


def test_opening_a_lot_puts_it_on_the_warm_lists(desk: Any, reads: Reads) -> None:
    lot = desk.create()
    reads.warm("/api/lots", family="lot_list", limit=100)
    assert reads.listed(lot["id"]) is None
    assert reads.last_cached
    assert reads.client.get(f"/api/lots/{lot['id']}").status_code == 404  # created: hidden

    desk.open(lot["id"])

    listed = reads.listed(lot["id"])
    assert listed is not None
    assert listed["status"] == "open"
    assert reads.lot(lot["id"])["status"] == "open"


def test_a_product_class_edit_shows_on_its_lots(desk: Any, reads: Reads) -> None:
    lot = desk.open_lot()
    reads.warm_lot(lot["id"])
    product_id = reads.lot(lot["id"])["product"]["product_class_id"]

    changed = desk.client.patch(
        f"/api/admin/product-classes/{product_id}",
        json={"name": "Daytona", "tier": "MYTHIC", "retail_value_cents": 3_000_000},
        headers=desk.admin.headers,
    )
    assert changed.status_code == 200, changed.text

    after = reads.lot(lot["id"])
    assert (after["product"]["name"], after["tier"]) == ("Daytona", "MYTHIC")
    assert after["retail_value_cents"] == 3_000_000
    listed = reads.listed(lot["id"], tier="MYTHIC")
    assert listed is not None
    assert listed["product"]["name"] == "Daytona"


def test_an_admin_edit_before_opening_shows_once_open(desk: Any, reads: Reads) -> None:
    lot = desk.create(title="Working title")
    reads.warm("/api/lots", family="lot_list", limit=100)
    edited = desk.client.patch(
        f"/api/lots/{lot['id']}", json={"title": "The real title"}, headers=desk.admin.headers
    )
    assert edited.status_code == 200, edited.text
    desk.open(lot["id"])
    assert reads.lot(lot["id"])["title"] == "The real title"
    listed = reads.listed(lot["id"])
    assert listed is not None
    assert listed["title"] == "The real title"


def test_a_deadline_extension_shows_on_the_lot_and_the_ending_soon_order(
    desk: Any, reads: Reads, clock: Any
) -> None:
    soon = desk.open_lot(deadline=(clock.now + timedelta(hours=2)).isoformat())
    later = desk.open_lot(deadline=(clock.now + timedelta(hours=3)).isoformat())
    reads.warm_lot(soon["id"], sort="ending_soon")
    page = reads.get("/api/lots", family="lot_list", limit=100, sort="ending_soon")
    ids = [lot["id"] for lot in page["items"]]
    assert ids.index(soon["id"]) < ids.index(later["id"])
    assert reads.lot(soon["id"])["seconds_left"] == 2 * 3600

    new_deadline = clock.now + timedelta(hours=5)
    extended = desk.client.post(
        f"/api/admin/lots/{soon['id']}/extend",
        json={"deadline": new_deadline.isoformat(), "reason": "slow week"},
        headers=desk.admin.headers,
    )
    assert extended.status_code == 200, extended.text

    after = reads.lot(soon["id"])
    assert after["seconds_left"] == 5 * 3600
    assert after["deadline"] == extended.json()["deadline"]
    page = reads.get("/api/lots", family="lot_list", limit=100, sort="ending_soon")
    ids = [lot["id"] for lot in page["items"]]
    assert ids.index(later["id"]) < ids.index(soon["id"])


def test_time_left_counts_down_on_a_cached_lot(desk: Any, reads: Reads, clock: Any) -> None:
    lot = desk.open_lot()
    first = reads.warm_lot(lot["id"])
    clock.advance(minutes=10)
    after = reads.lot(lot["id"])
    assert reads.last_cached
    assert after["seconds_left"] == first["seconds_left"] - 600


def test_funding_shows_funded_then_the_draw_settles_it(
    desk: Any, reads: Reads, draw_by_hand: None, platform: PlatformContext
) -> None:
    lot = desk.open_lot()
    ada, bob = desk.player(lot["id"]), desk.player(lot["id"])
    assert desk.buy(ada, lot["id"], 1).status_code == 201
    reads.warm_lot(lot["id"])
    reads.warm_lot(lot["id"], state="open")
    draw_path = f"/api/lots/{lot['id']}/draw"
    assert reads.get(draw_path, family="draw")["stage"] == "committed"

    assert desk.buy(bob, lot["id"], 1).status_code == 201  # 900 of 1000
    assert desk.buy(bob, lot["id"], 0).status_code == 201  # funds it

    funded = reads.lot(lot["id"])
    assert (funded["status"], funded["tickets_sold"]) == ("funded", 11)
    assert funded["funded_at"] is not None
    assert funded["seconds_left"] == 0
    assert reads.listed(lot["id"], state="open") is None
    assert reads.get(draw_path, family="draw")["stage"] == "frozen"

    drawn = desk.client.post(f"/api/admin/lots/{lot['id']}/draw", headers=desk.admin.headers)
    assert drawn.status_code == 200, drawn.text
    after_draw = reads.lot(lot["id"])
    assert after_draw["drawn_at"] is not None
    assert reads.get(draw_path, family="draw")["stage"] == "drawn"

    settled = desk.client.post(f"/api/admin/lots/{lot['id']}/settle", headers=desk.admin.headers)
    assert settled.status_code == 200, settled.text
    after = reads.lot(lot["id"])
    assert after["status"] == "settled"
    assert after["settled_at"] is not None
    listed = reads.listed(lot["id"], state="settled")
    assert listed is not None
    assert listed["status"] == "settled"
    # L3: the settled draw, from the cache from the second read on.
    record = reads.get(draw_path, family="draw")
    assert record["stage"] == "settled"
    assert reads.get(draw_path, family="draw") == record
    assert reads.last_cached
    proof = reads.client.get(f"{draw_path}/proof")
    assert proof.status_code == 200
    assert proof.json() == record["proof"]


def test_settlement_credits_show_on_the_losers_balance(desk: Any, reads: Reads) -> None:
    lot = desk.open_lot()
    ada, bob = desk.player(lot["id"]), desk.player(lot["id"])
    assert desk.buy(ada, lot["id"], 1).status_code == 201
    for account in (ada, bob):
        reads.warm("/api/users/me/credits", family="balance", headers=account.headers)
    reads.warm_lot(lot["id"])

    assert desk.buy(bob, lot["id"], 1).status_code == 201
    assert desk.buy(bob, lot["id"], 0).status_code == 201  # funds it; drawn and settled inline

    assert reads.lot(lot["id"])["status"] == "settled"
    balances = {account.id: _balance(reads, account) for account in (ada, bob)}
    assert sorted(balances.values())[0] == 0  # the winner
    assert sorted(balances.values())[1] > 0  # the other one's non-winner credits


def test_expiry_refunds_and_closing_show_on_the_lot_and_balances(
    desk: Any, reads: Reads, services: Any, platform: PlatformContext, clock: Any
) -> None:
    lot = desk.open_lot(deadline=(clock.now + timedelta(hours=1)).isoformat())
    ada, cy = desk.player(lot["id"]), desk.player(lot["id"])
    services.grant_credits(cy.id, 300)
    paid = desk.buy(ada, lot["id"], 0).json()["id"]
    assert desk.buy_with_credits(cy, lot["id"], 2).status_code == 201
    reads.warm_lot(lot["id"])
    reads.warm_lot(lot["id"], state="open")
    for account in (ada, cy):
        reads.warm("/api/users/me/credits", family="balance", headers=account.headers)
    assert _balance(reads, cy) == 100

    clock.advance(hours=1)
    for account in (desk.admin, ada, cy):
        desk.login_again(account)  # the access tokens expired meanwhile
    report = run_tick(platform)
    assert not report.failures, report.summary()

    refunding = reads.lot(lot["id"])
    assert refunding["status"] == "refunding"
    assert refunding["refund_choice_deadline"] is not None
    assert reads.listed(lot["id"], state="open") is None
    assert _balance(reads, cy) == 300  # credits spent came back at once

    chosen = desk.client.post(
        f"/api/purchases/{paid}/refund-choice", json={"choice": "credits"}, headers=ada.headers
    )
    assert chosen.status_code == 200, chosen.text
    assert _balance(reads, ada) == chosen.json()["refunded_credits"] > 0

    assert reads.lot(lot["id"])["status"] == "closed"  # every purchase refunded
    listed = reads.listed(lot["id"], state="closed")
    assert listed is not None
    assert listed["closed_at"] is not None


# -- Stripe Checkout ------------------------------------------------------------------


def _fake_stripe() -> ModuleType:
    name = "alot_tests_fake_stripe"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).parent.parent / "payments" / "fake_stripe.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


WEBHOOK_SECRET = "whsec_test_alot_cache"


def test_a_completed_stripe_checkout_shows_on_the_lot(
    make_client: Callable[..., TestClient],
    make_lot_desk: Callable[..., Any],
    cache_settings: dict[str, Any],
    reader: TestClient,
) -> None:
    fake_stripe = _fake_stripe()
    with fake_stripe.running_fake_stripe() as fake:
        stripe_app = make_client(
            **cache_settings,
            payment_provider="stripe",
            stripe_secret_key=fake_stripe.API_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_api_base=fake.url,
            stripe_timeout_seconds=1.0,
        )
        desk = make_lot_desk(on=stripe_app, **LOT)
        reads = Reads(reader if cache_settings.get("redis_url") else stripe_app)
        lot = desk.open_lot()
        ada = desk.player(lot["id"])
        reads.warm_lot(lot["id"])
        pending = desk.buy(ada, lot["id"], 1)
        assert pending.status_code == 202, pending.text
        assert reads.lot(lot["id"])["tickets_sold"] == 0

        completed = fake.pay(pending.json()["payment"]["payment_id"])[1]
        payload = json.dumps(completed)
        signature = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
        delivered = stripe_app.post(
            "/api/webhooks/stripe",
            content=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        assert delivered.status_code == 200, delivered.text

        after = reads.lot(lot["id"])
        assert (after["tickets_sold"], after["funding"]["cash_cents"]) == (5, 450)
        listed = reads.listed(lot["id"])
        assert listed is not None
        assert listed["tickets_sold"] == 5
