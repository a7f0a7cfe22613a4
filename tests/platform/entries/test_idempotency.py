"""Idempotency keys: a retry returns the first purchase; a reused key for another request is
refused; the same key sent twice at once makes one purchase and charges once for good."""

from __future__ import annotations

from typing import Any

from alot_platform.entries.models import PaymentMethod
from alot_platform.entries.service import Order
from alot_platform.errors import AlotError


def test_same_key_same_request_returns_the_first_purchase(shop: Any) -> None:
    lot = shop.open_lot()
    ada = shop.player(lot["id"])
    first = shop.buy(ada, lot["id"], 1, key="retry-me")
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    before = shop.census()

    again = shop.buy(ada, lot["id"], 1, key="retry-me")
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert shop.census() == before
    assert len(shop.platform.payments.charges) == 1
    assert shop.lot_row(lot["id"])["tickets_sold"] == 3


def test_same_key_other_request_is_409_and_writes_nothing(shop: Any) -> None:
    lot, other_lot = shop.open_lot(), shop.open_lot()
    ada = shop.player(lot["id"])
    shop.pass_trivia(ada, other_lot["id"])
    shop.grant_credits(ada.id, 1_000)
    first = shop.buy(ada, lot["id"], 0, key="one-key")
    assert first.status_code == 201
    before = shop.census()
    for response in (
        shop.buy(ada, lot["id"], 1, key="one-key"),  # another bundle
        shop.buy_with_credits(ada, lot["id"], 1, key="one-key"),  # another method
        shop.buy(ada, other_lot["id"], 0, key="one-key"),  # another lot
    ):
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "idempotency_conflict"
        assert response.json()["purchase_id"] == first.json()["id"]
    assert shop.census() == before
    assert len(shop.platform.payments.charges) == 1


def test_keys_belong_to_their_player(shop: Any) -> None:
    lot = shop.open_lot()
    ada, bob = shop.player(lot["id"]), shop.player(lot["id"])
    first = shop.buy(ada, lot["id"], 0, key="shared-key")
    second = shop.buy(bob, lot["id"], 0, key="shared-key")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["tickets_start"] == 2


def test_the_same_key_sent_at_once_makes_one_purchase(shop: Any) -> None:
    lot = shop.open_lot()
    ada = shop.player(lot["id"])
    order = Order(PaymentMethod.CASH, bundle_index=1)
    results = shop.buy_at_once([(ada.id, lot["id"], order, "at-once")] * 4)

    assert all(isinstance(r, tuple) for r in results), results
    assert len({purchase_id for purchase_id, _, _ in results}) == 1
    assert sorted(replayed for _, replayed, _ in results) == [False, True, True, True]
    assert shop.census()["lot_entry_purchases"] == 1
    assert shop.lot_row(lot["id"])["tickets_sold"] == 3
    # The sandbox charges in the batch, once a purchase is accepted: any charge the
    # purchase does not own went back.
    payments = shop.platform.payments
    owned = shop.client.get("/api/users/me/entries", headers=ada.headers).json()["items"]
    assert len(owned) == 1
    kept = [c for c in payments.charges if payments.refunded_cents(c.payment_id) == 0]
    assert len(kept) == 1
    for charge in payments.charges:
        assert payments.refunded_cents(charge.payment_id) in (0, charge.amount_cents)


def test_the_same_key_for_two_lots_at_once_is_one_purchase_and_one_conflict(shop: Any) -> None:
    lot, other_lot = shop.open_lot(), shop.open_lot()
    ada = shop.player(lot["id"])
    shop.pass_trivia(ada, other_lot["id"])
    order = Order(PaymentMethod.CASH, bundle_index=0)
    results = shop.buy_at_once(
        [(ada.id, lot["id"], order, "two-lots"), (ada.id, other_lot["id"], order, "two-lots")]
    )
    outcomes = [r for r in results if isinstance(r, tuple)]
    refusals = [r for r in results if isinstance(r, AlotError)]
    assert len(outcomes) == 1, results
    assert [r.code for r in refusals] == ["idempotency_conflict"]
    assert shop.census()["lot_entry_purchases"] == 1
    # On PostgreSQL both attempts charge and the loser's charge goes back; SQLite runs
    # them one after the other, so the second is refused before charging.
    payments = shop.platform.payments
    refunded = sorted(payments.refunded_cents(c.payment_id) for c in payments.charges)
    assert refunded in ([0], [0, 200])
