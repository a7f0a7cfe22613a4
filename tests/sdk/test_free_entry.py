"""Free entry (no purchase necessary) and odds through the SDK, over the real app: the
online entry with its key, the postal entry an admin records, and the player's odds;
then the lot funds and its draw, free ticket included, verifies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from alot_sdk import ConflictError


def test_enter_for_free_and_read_my_odds(
    make_player: Callable[..., Any], open_lot: Callable[..., Any], admin: Any
) -> None:
    lot = open_lot(free_entry_period_days=3)
    assert admin.client.lots.get(lot.id).free_entry_period_days == 3
    ada, bob, cy = make_player(), make_player(), make_player()
    for player in (ada, bob):
        assert player.client.trivia.attempt(lot.id, lot.answer).correct

    odds = ada.client.lots.my_odds(lot.id)
    assert (odds.tickets_sold, odds.my_tickets, odds.per_ticket) == (0, 0, None)
    assert odds.free_entry.available

    free = ada.client.lots.enter_free(lot.id, idempotency_key="ada-free")
    assert (free.method, free.route, free.tickets_start, free.amount_cents) == (
        "free",
        "online",
        1,
        0,
    )
    assert not free.replayed
    again = ada.client.lots.enter_free(lot.id, idempotency_key="ada-free")
    assert again.replayed
    assert again.id == free.id
    with pytest.raises(ConflictError) as used:
        ada.client.lots.enter_free(lot.id)
    assert used.value.code == "free_entry_used"
    assert used.value.body["next_at"] is not None

    postal = admin.client.admin.lots.record_postal_entry(
        lot.id, user_id=cy.id, received_on=date(2026, 12, 1), reference="PO-7", trivia_answer="5"
    )
    assert (postal.route, postal.reference, postal.tickets_start) == ("postal", "PO-7", 2)
    repeated = admin.client.admin.lots.record_postal_entry(
        lot.id, user_id=cy.id, received_on=date(2026, 12, 1), reference="PO-7", trivia_answer="5"
    )
    assert repeated.replayed
    assert repeated.id == postal.id

    bob.client.entries.purchase(lot.id, bundle_index=1)  # tickets 3-5
    mine = ada.client.lots.my_odds(lot.id)
    assert (mine.tickets_sold, mine.free_tickets, mine.per_ticket) == (5, 2, "1 in 5")
    assert (mine.my_tickets, mine.my_free_tickets, mine.my_odds, mine.my_chance_bps) == (
        1,
        1,
        "1 in 5",
        2000,
    )
    assert not mine.free_entry.available
    assert bob.client.lots.my_odds(lot.id).my_odds == "3 in 5"

    bob.client.entries.purchase(lot.id, bundle_index=1)  # 1000 cents: funded
    result = ada.client.lots.verify_draw(lot.id)
    assert 1 <= result.winning_ticket <= 8
    proof = ada.client.lots.draw_proof(lot.id)
    assert [e.get("kind") for e in proof["entries"]][:2] == ["free", "free"]
