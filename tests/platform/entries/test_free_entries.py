"""Free entry (no purchase necessary): one ticket in the paid tickets' sequence, nothing
paid, one per player per lot (or per period), trivia first, recorded in the ledger as a
``free_entry`` transaction without postings; the postal route an admin records; odds."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

from alot_platform.entries.free import FreeEntryService
from alot_platform.entries.models import LotEntry, LotEntryPurchase, LotFreeEntry, PaymentMethod
from alot_platform.entries.service import EntryService, Order
from alot_platform.errors import AlotError
from sqlalchemy import select

from tests.platform.conftest import Api
from tests.platform.entries.conftest import TRIVIA_ANSWER


def _enter(shop: Any, account: Any, lot_id: str, *, key: str | None = None) -> Any:
    return shop.client.post(
        f"/api/lots/{lot_id}/free-entries",
        headers={**account.headers, "Idempotency-Key": key or shop.key()},
    )


def _postal(shop: Any, lot_id: str, user_id: str, reference: str, **extra: Any) -> Any:
    body = {
        "user_id": user_id,
        "received_on": "2026-12-01",
        "reference": reference,
        "trivia_answer": TRIVIA_ANSWER,
        **extra,
    }
    return shop.client.post(
        f"/api/admin/lots/{lot_id}/free-entries", json=body, headers=shop.admin.headers
    )


def _odds(shop: Any, account: Any, lot_id: str) -> dict[str, Any]:
    response = shop.client.get(f"/api/lots/{lot_id}/my-odds", headers=account.headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_a_free_entry_gets_the_next_ticket_and_pays_nothing(shop: Any) -> None:
    lot_id = shop.open_lot()["id"]
    buyer, free = shop.player(lot_id), shop.player(lot_id)
    assert shop.buy(buyer, lot_id, 1).status_code == 201  # tickets 1-3
    before = shop.census()

    entered = _enter(shop, free, lot_id)
    assert entered.status_code == 201, entered.text
    body = entered.json()
    assert (body["tickets_start"], body["tickets_end"], body["tickets"]) == (4, 4, 1)
    assert (body["method"], body["route"], body["amount_cents"]) == ("free", "online", 0)
    assert shop.buy(buyer, lot_id, 0).status_code == 201  # the next paid ticket: 5
    lot = shop.lot_row(lot_id)
    assert lot["tickets_sold"] == 5
    assert lot["cash_cents"] == 700  # a free entry adds no money, so it never funds a lot
    after = shop.census()
    assert after["lot_entry_purchases"] - before["lot_entry_purchases"] == 2
    assert after["credit_transactions"] == before["credit_transactions"]

    transaction = shop.client.get(
        f"/api/ledger/transactions/{body['ledger_seq']}", headers=shop.admin.headers
    ).json()
    assert transaction["kind"] == "free_entry"
    assert transaction["postings"] == []
    assert transaction["refs"] == {
        "lot_id": lot_id,
        "purchase_id": body["id"],
        "user_id": free.id,
        "holder": body["holder"],  # the entry's pseudonym, tied to the account for auditors
    }
    assert transaction["metadata"] == {"route": "online", "tickets_start": 4, "tickets_end": 4}

    mine = shop.client.get("/api/users/me/entries", headers=free.headers).json()["items"]
    assert [(e["method"], e["tickets_start"], e["amount_paid_cents"]) for e in mine] == [
        ("free", 4, 0)
    ]


def test_trivia_applies_and_the_lot_must_be_selling(shop: Any) -> None:
    lot_id = shop.open_lot()["id"]
    stranger = shop.player()
    refused = _enter(shop, stranger, lot_id)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "trivia_not_passed"

    created = shop.create_lot()["id"]  # not open yet
    admin_player = shop.player()
    refused = _enter(shop, admin_player, created)
    assert refused.status_code in (404, 409), refused.text

    unverified = shop.player(verified=False)
    refused = _enter(shop, unverified, lot_id)
    assert refused.status_code == 403, refused.text

    missing = _enter(shop, stranger, str(uuid.uuid4()))
    assert missing.status_code == 404
    no_key = shop.client.post(f"/api/lots/{lot_id}/free-entries", headers=stranger.headers)
    assert no_key.status_code == 400
    assert no_key.json()["code"] == "idempotency_key_required"


def test_one_free_entry_per_lot_and_the_same_key_replays(shop: Any) -> None:
    lot_id = shop.open_lot()["id"]
    player = shop.player(lot_id)
    key = shop.key()
    first = _enter(shop, player, lot_id, key=key)
    assert first.status_code == 201, first.text
    again = _enter(shop, player, lot_id, key=key)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]

    second = _enter(shop, player, lot_id)
    assert second.status_code == 409, second.text
    problem = second.json()
    assert problem["code"] == "free_entry_used"
    assert problem["next_at"] is None
    assert shop.lot_row(lot_id)["tickets_sold"] == 1
    # A purchase's key reused for a free entry is another request.
    assert shop.buy(player, lot_id, 0, key=key).status_code == 409


def test_a_period_allows_one_free_entry_per_period(shop: Any) -> None:
    lot_id = shop.open_lot(free_entry_period_days=2)["id"]
    assert shop.client.get(f"/api/lots/{lot_id}").json()["free_entry_period_days"] == 2
    player = shop.player(lot_id)
    assert _enter(shop, player, lot_id).status_code == 201
    opened = shop.clock.now + timedelta(days=2)

    refused = _enter(shop, player, lot_id)
    assert refused.status_code == 409
    assert refused.json()["code"] == "free_entry_used"
    assert refused.json()["next_at"] == opened.isoformat()
    standing = _odds(shop, player, lot_id)["free_entry"]
    assert (standing["available"], standing["used"], standing["period_days"]) == (False, 1, 2)

    shop.clock.advance(days=2)
    player.access_token = Api(shop.client).login(player.email, player.password)["access_token"]
    assert _odds(shop, player, lot_id)["free_entry"]["available"] is True
    entered = _enter(shop, player, lot_id)
    assert entered.status_code == 201, entered.text
    assert entered.json()["tickets_start"] == 2


def test_two_free_entries_at_once_only_one_wins(shop: Any) -> None:
    lot_id = shop.open_lot()["id"]
    (user_id,) = shop.quick_players(lot_id, 1)
    platform = shop.platform
    start = threading.Barrier(4)
    results: list[Any] = [None] * 4

    def enter(index: int) -> None:
        start.wait()
        try:
            with shop.session() as session:
                outcome = FreeEntryService(session, platform).enter(
                    uuid.UUID(lot_id), user_id, idempotency_key=f"parallel-{index}"
                )
                results[index] = outcome.entry.tickets_start
        except AlotError as error:
            results[index] = error.code

    threads = [threading.Thread(target=enter, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [1, "free_entry_used", "free_entry_used", "free_entry_used"]
    with shop.session() as session:
        rows = session.scalars(select(LotFreeEntry).where(LotFreeEntry.user_id == user_id)).all()
        assert len(rows) == 1
    assert shop.lot_row(lot_id)["tickets_sold"] == 1


def test_postal_entries_are_recorded_once_per_reference(shop: Any) -> None:
    lot_id = shop.open_lot()["id"]
    player, other = shop.player(), shop.player()  # by post: no trivia answered online

    wrong = _postal(shop, lot_id, player.id, "PO-1", trivia_answer="Omega")
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "trivia_not_passed"

    first = _postal(shop, lot_id, player.id, "PO-1")
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["route"], body["reference"], body["received_on"]) == (
        "postal",
        "PO-1",
        "2026-12-01",
    )
    assert body["tickets_start"] == 1
    again = _postal(shop, lot_id, player.id, "PO-1")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]

    taken = _postal(shop, lot_id, other.id, "PO-1")
    assert taken.status_code == 409
    assert taken.json()["code"] == "postal_reference_used"
    # The postal entry is the player's free entry of the lot: online too.
    shop.pass_trivia(player, lot_id)
    used = _enter(shop, player, lot_id)
    assert used.status_code == 409
    assert used.json()["code"] == "free_entry_used"
    second_card = _postal(shop, lot_id, player.id, "PO-2")
    assert second_card.status_code == 409

    not_admin = shop.client.post(
        f"/api/admin/lots/{lot_id}/free-entries",
        json={
            "user_id": player.id,
            "received_on": "2026-12-01",
            "reference": "PO-3",
            "trivia_answer": TRIVIA_ANSWER,
        },
        headers=player.headers,
    )
    assert not_admin.status_code == 403
    nobody = _postal(shop, lot_id, str(uuid.uuid4()), "PO-4")
    assert nobody.status_code == 404
    with shop.session() as session:
        purchase = session.get(LotEntryPurchase, uuid.UUID(body["id"]))
        assert purchase is not None
        assert (purchase.method, purchase.amount_cents, purchase.credits_spent) == ("free", 0, 0)


def test_odds_count_every_ticket_the_same(shop: Any) -> None:
    lot_id = shop.open_lot()["id"]
    buyer, free = shop.player(lot_id), shop.player(lot_id)
    before = _odds(shop, free, lot_id)
    assert (before["tickets_sold"], before["per_ticket"], before["my_odds"]) == (0, None, None)
    assert before["free_entry"]["available"] is True

    assert shop.buy(buyer, lot_id, 1).status_code == 201  # 3 tickets
    assert _enter(shop, free, lot_id).status_code == 201
    mine = _odds(shop, free, lot_id)
    assert mine["tickets_sold"] == 4
    assert mine["free_tickets"] == 1
    assert mine["per_ticket"] == "1 in 4"
    assert (mine["my_tickets"], mine["my_free_tickets"], mine["my_odds"]) == (1, 1, "1 in 4")
    assert mine["my_chance_bps"] == 2500
    assert mine["free_entry"] == {
        "period_days": None,
        "used": 1,
        "available": False,
        "next_at": None,
    }
    theirs = _odds(shop, buyer, lot_id)
    assert (theirs["my_tickets"], theirs["my_odds"], theirs["my_chance_bps"]) == (3, "3 in 4", 7500)
    lot = shop.client.get(f"/api/lots/{lot_id}").json()
    assert lot["odds_per_ticket"] == "1 in 4"
    assert shop.client.get(f"/api/lots/{lot_id}/my-odds").status_code == 401


def test_free_entries_and_purchases_at_once_tile_one_sequence(shop: Any) -> None:
    lot_id = shop.open_lot(funding_target_cents=100_000)["id"]
    players = shop.quick_players(lot_id, 6)
    callers = {user_id: shop.caller(user_id) for user_id in players}
    platform = shop.platform
    start = threading.Barrier(len(players) * 2)
    errors: list[BaseException] = []

    def free(user_id: uuid.UUID) -> None:
        start.wait()
        try:
            with shop.session() as session:
                FreeEntryService(session, platform).enter(
                    uuid.UUID(lot_id), user_id, idempotency_key=f"free-{user_id}"
                )
        except BaseException as error:  # kept so the test shows it
            errors.append(error)

    def paid(user_id: uuid.UUID) -> None:
        start.wait()
        try:
            with shop.session() as session:
                EntryService(session, platform).buy(
                    uuid.UUID(lot_id),
                    callers[user_id],
                    Order(PaymentMethod.CASH, 1),
                    f"buy-{user_id}",
                )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=free, args=(u,)) for u in players]
    threads += [threading.Thread(target=paid, args=(u,)) for u in players]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with shop.session() as session:
        rows = session.execute(
            select(LotEntry.tickets_start, LotEntry.tickets_end, LotEntryPurchase.method)
            .join(LotEntryPurchase, LotEntryPurchase.id == LotEntry.purchase_id)
            .where(LotEntry.lot_id == uuid.UUID(lot_id))
            .order_by(LotEntry.tickets_start)
        ).all()
    expected_start = 1
    for start_ticket, end_ticket, method in rows:
        assert start_ticket == expected_start
        assert (end_ticket - start_ticket + 1) == (1 if method == "free" else 3)
        expected_start = end_ticket + 1
    assert sorted(method for _, _, method in rows).count("free") == 6
    lot = shop.lot_row(lot_id)
    assert lot["tickets_sold"] == expected_start - 1 == 6 * 1 + 6 * 3
    assert lot["cash_cents"] == 6 * 500
