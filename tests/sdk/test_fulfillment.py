"""A won prize through the SDK, sync and async: the winner claims it, changes the
address, follows it and confirms it (`client.reveals`); admins ship a platform lot's
prize and resolve disputes (`client.admin`); a host ships its own (`client.fulfillment`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from alot_sdk import AsyncAlot, ConflictError, NotFoundError, UnprocessableEntityError
from alot_sdk.models import ShippingAddress

ADDRESS = ShippingAddress(
    name="Ada Lovelace",
    line1="12 St James's Square",
    city="London",
    postal_code="SW1Y 4JH",
    country="GB",
    phone="+44 20 7946 0958",
)


def _won(make_player: Callable[..., Any], open_lot: Callable[..., Any], **lot: Any) -> Any:
    """A lot bought out by one player, who wins it: (winner, lot, reveal id)."""
    made = open_lot(**lot)
    winner = make_player()
    assert winner.client.trivia.attempt(made.id, made.answer).correct
    winner.client.entries.purchase(made.id, bundle_index=1)
    winner.client.entries.purchase(made.id, bundle_index=1)  # 1000: funded
    winner.client.lots.draw(made.id)
    [reveal] = [r for r in winner.client.reveals.list() if r.lot_id == made.id]
    assert reveal.status == "won"
    assert reveal.claim_deadline is not None
    return winner, made, reveal.id


def _host_lot(host: Any, admin: Any, clock: Any) -> str:
    """A lot of ``host``'s own, created, submitted and approved (opened) through the SDK."""
    draft = host.client.hosts.create_lot(
        product={
            "name": "Fleer Michael Jordan #57",
            "category": "memorabilia",
            "tier": "RARE",
            "retail_value_cents": 350_000,
        },
        title="A rookie card, from a host",
        funding_target_cents=1_000,
        deadline=clock.now + timedelta(days=7),
        entry_bundles=[{"price_cents": 200, "tickets": 1}, {"price_cents": 500, "tickets": 3}],
        trivia_question="How many players does a basketball team have on court?",
        trivia_answer="5",
    )
    host.client.hosts.submit_lot(draft.lot.id)
    return str(admin.client.admin.hosts.approve_lot(draft.lot.id).id)


def test_a_platform_prize_claimed_shipped_and_confirmed(
    make_player: Callable[..., Any], open_lot: Callable[..., Any], admin: Any
) -> None:
    winner, _lot, reveal_id = _won(make_player, open_lot)
    with pytest.raises(UnprocessableEntityError):
        winner.client.reveals.claim(reveal_id, {**ADDRESS.model_dump(), "country": "XX"})
    claimed = winner.client.reveals.claim(reveal_id, ADDRESS)
    assert claimed.status == "claimed"
    assert winner.client.reveals.claim(reveal_id, ADDRESS) == claimed  # safe to repeat
    moved = winner.client.reveals.update_shipping(
        reveal_id, ADDRESS.model_copy(update={"city": "Leeds"})
    )
    assert moved.shipping_address is not None
    assert moved.shipping_address.city == "Leeds"

    [queued] = list(admin.client.admin.fulfillment())
    assert queued.reveal_id == reveal_id
    assert queued.winner_username == winner.username
    assert queued.shipping_address is not None
    shipped = admin.client.admin.ship(reveal_id, carrier="DHL", tracking_number="JD0146000031")
    assert shipped.status == "shipped"
    tracking = winner.client.reveals.tracking(reveal_id)
    assert (tracking.carrier, tracking.tracking_number) == ("DHL", "JD0146000031")
    delivered = winner.client.reveals.confirm_delivery(reveal_id)
    assert delivered.status == "delivered"
    assert delivered.delivery_confirmed_by == "winner"
    with pytest.raises(NotFoundError):
        make_player().client.reveals.tracking(reveal_id)


def test_a_host_ships_its_prize_and_a_dispute_is_compensated(
    make_player: Callable[..., Any], make_host: Callable[..., Any], admin: Any, clock: Any
) -> None:
    host, _host_id = make_host(commission_bps=5000)
    lot_id = _host_lot(host, admin, clock)
    winner = make_player()
    assert winner.client.trivia.attempt(lot_id, "5").correct
    winner.client.entries.purchase(lot_id, bundle_index=1)
    winner.client.entries.purchase(lot_id, bundle_index=1)
    winner.client.lots.draw(lot_id)
    [reveal] = [r for r in winner.client.reveals.list() if r.lot_id == lot_id]
    winner.client.reveals.claim(reveal.id, ADDRESS)

    [item] = list(host.client.fulfillment.queue())
    assert item.shipping_address == ADDRESS.model_copy(update={"phone": "+442079460958"})
    with pytest.raises(ConflictError) as refused:
        admin.client.admin.ship(reveal.id, carrier="DHL", tracking_number="JD0146000031")
    assert refused.value.code == "not_the_shipper"
    shipped = host.client.fulfillment.ship(reveal.id, carrier="UPS", tracking_number="1Z999AA1")
    assert shipped.status == "shipped"
    disputed = winner.client.reveals.dispute(
        reveal.id, reason="not_as_described", details="A different card."
    )
    assert disputed.status == "disputed"
    [open_dispute] = list(admin.client.admin.fulfillment(status="disputed"))
    assert open_dispute.shipping_address is None  # the host's to read, not the admin's
    resolved = admin.client.admin.resolve(reveal.id, resolution="compensate", note="Photos.")
    assert resolved.dispute_resolution == "compensate"
    assert resolved.cash_alternative_cents == 350_000


@pytest.mark.anyio
async def test_the_async_client_claims_disputes_and_resolves(
    make_async_client: Callable[..., AsyncAlot],
    make_player: Callable[..., Any],
    open_lot: Callable[..., Any],
    admin: Any,
    clock: Any,
) -> None:
    winner, _lot, reveal_id = _won(make_player, open_lot)
    client = make_async_client(api_token=winner.client.access_token)
    desk = make_async_client(api_token=admin.client.access_token)
    claimed = await client.reveals.claim(reveal_id, ADDRESS)
    assert claimed.ship_deadline is not None
    moved = await client.reveals.update_shipping(reveal_id, {**ADDRESS.model_dump(), "region": "X"})
    assert moved.shipping_address is not None
    assert moved.shipping_address.region == "X"
    items = [s async for s in await desk.admin.fulfillment(status="claimed")]
    assert [s.reveal_id for s in items] == [reveal_id]
    await desk.admin.ship(reveal_id, carrier="DHL", tracking_number="JD0146000031")
    assert (await client.reveals.tracking(reveal_id)).status == "shipped"
    await client.reveals.dispute(reveal_id, reason="not_received", details="Nothing came.")
    resolved = await desk.admin.resolve(reveal_id, resolution="release", note="Signed for.")
    assert resolved.status == "delivered"
    assert (await client.reveals.confirm_delivery(reveal_id)).status == "delivered"
    hostless = make_async_client(api_token=winner.client.access_token)
    with pytest.raises(NotFoundError):
        [s async for s in await hostless.fulfillment.queue()]
