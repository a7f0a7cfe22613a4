"""`client.hosts` and `client.admin.hosts`, sync and async, over the real app: apply,
review, a lot created, submitted, approved (opened), sold and its sales read; a
private lot by its link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from alot_sdk import ConflictError, NotFoundError, PermissionDeniedError
from alot_sdk.models import Host, HostLot, HostLotSales, HostPublic, Lot

APPLICATION: dict[str, Any] = {
    "display_name": "Sneaker Vault",
    "description": "Deadstock sneakers",
    "website_url": "https://vault.example.com",
    "country": "gb",
    "business_details": {
        "legal_name": "Sneaker Vault Ltd",
        "registration_number": "0987654",
        "address_lines": ["2 Market Street", "Leeds LS1 1AA"],
    },
}


def _lot(clock: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "product": {
            "name": "Dunk Low Panda",
            "category": "sneakers",
            "tier": "RARE",
            "retail_value_cents": 30_000,
        },
        "title": "Panda dunks",
        "funding_target_cents": 1_000,
        "deadline": clock.now + timedelta(days=7),
        "entry_bundles": [{"price_cents": 100, "tickets": 1}],
        "trivia_question": "Which brand makes the Dunk?",
        "trivia_answer": "Nike",
        "non_winner_credit_rate_percent": 10,
        **overrides,
    }


def test_the_host_story_through_the_sdk(
    admin: Any, make_player: Callable[..., Any], clock: Any
) -> None:
    host = make_player()
    applied = host.client.hosts.apply(**APPLICATION)
    assert isinstance(applied, Host)
    assert (applied.status, applied.country) == ("pending", "GB")
    with pytest.raises(ConflictError):
        host.client.hosts.apply(**APPLICATION)
    pending = [h.id for h in admin.client.admin.hosts.list(status="pending")]
    assert applied.id in pending

    approved = admin.client.admin.hosts.approve(applied.id, reason="OK", commission_bps=2000)
    assert approved.status == "approved"
    assert approved.username == host.username
    assert host.client.hosts.me().commission_bps == 2000
    public = host.client.hosts.get(applied.id)
    assert isinstance(public, HostPublic)
    assert not hasattr(public, "business_details")

    draft = host.client.hosts.create_lot(**_lot(clock))
    assert isinstance(draft, HostLot)
    assert draft.economics.host_share_cents == 800
    edited = host.client.hosts.update_lot(draft.lot.id, title="Panda dunks, size 42")
    assert edited.lot.title == "Panda dunks, size 42"
    assert [mine.lot.id for mine in host.client.hosts.my_lots()] == [draft.lot.id]
    assert host.client.hosts.submit_lot(draft.lot.id).review_status == "pending"
    with pytest.raises(PermissionDeniedError):
        host.client.admin.hosts.approve_lot(draft.lot.id)
    opened = admin.client.admin.hosts.approve_lot(draft.lot.id, reason="Good photos")
    assert isinstance(opened, Lot)
    assert opened.status == "open"
    assert opened.host is not None
    assert opened.host.display_name == "Sneaker Vault"
    assert [lot.id for lot in host.client.hosts.lots(applied.id)] == [opened.id]

    buyer = make_player()
    buyer.client.trivia.attempt(opened.id, "Nike")
    buyer.client.entries.purchase(opened.id, bundle_index=0)
    sales = host.client.hosts.sales(opened.id)
    assert isinstance(sales, HostLotSales)
    assert [(b.username, b.tickets) for b in sales.buyers] == [(buyer.username, 1)]

    suspended = admin.client.admin.hosts.suspend(applied.id, reason="Checks")
    assert suspended.status == "suspended"
    assert admin.client.admin.hosts.reinstate(applied.id, reason="Done").status == "approved"
    assert admin.client.admin.hosts.get(applied.id).status_reason == "Done"


def test_a_private_lot_by_link_and_a_rejection(
    admin: Any, make_player: Callable[..., Any], clock: Any
) -> None:
    host = make_player()
    host_id = host.client.hosts.apply(**APPLICATION).id
    admin.client.admin.hosts.approve(host_id, reason="OK")
    draft = host.client.hosts.create_lot(**_lot(clock, visibility="private"))
    host.client.hosts.submit_lot(draft.lot.id)
    rejected = admin.client.admin.hosts.reject_lot(draft.lot.id, reason="Blurry photo")
    assert rejected.status == "created"
    assert host.client.hosts.get_lot(draft.lot.id).review_reason == "Blurry photo"
    host.client.hosts.update_lot(draft.lot.id, product={"images": ["https://i.example.com/a.jpg"]})
    host.client.hosts.submit_lot(draft.lot.id)
    admin.client.admin.hosts.approve_lot(draft.lot.id)
    token = host.client.hosts.get_lot(draft.lot.id).access_token
    assert token
    assert host.client.hosts.lot_by_link(token).id == draft.lot.id
    buyer = make_player()
    with pytest.raises(NotFoundError):
        buyer.client.trivia.attempt(draft.lot.id, "Nike")
    assert buyer.client.trivia.attempt(draft.lot.id, "Nike", access_token=token).correct
    assert buyer.client.lots.get(draft.lot.id).visibility == "private"
    with pytest.raises(NotFoundError):
        host.client.hosts.lot_by_link("not-the-token")


@pytest.mark.anyio
async def test_async_hosts(
    admin: Any, make_player: Callable[..., Any], make_async_client: Callable[..., Any], clock: Any
) -> None:
    host = make_player()
    client = make_async_client(api_token=host.client.access_token)
    staff = make_async_client(api_token=admin.client.access_token)
    applied = await client.hosts.apply(**APPLICATION)
    page = await staff.admin.hosts.list(status="pending")
    assert applied.id in [h.id for h in page.items]
    await staff.admin.hosts.approve(applied.id, reason="OK")
    assert (await client.hosts.me()).status == "approved"
    draft = await client.hosts.create_lot(**_lot(clock))
    await client.hosts.submit_lot(draft.lot.id)
    opened = await staff.admin.hosts.approve_lot(draft.lot.id)
    assert opened.status == "open"
    assert (await client.hosts.get_lot(draft.lot.id)).review_status == "approved"
    assert (await client.hosts.sales(draft.lot.id)).tickets_sold == 0
