"""A host's whole story with the SDK, end to end: onboarded, selling a lot, shipping the
prize, paid; then the widgets a host's own site shows.

1. A new account applies to host; an admin (``ALOT_EMAIL``/``ALOT_PASSWORD``) approves
   it at a 20% commission.
2. The host connects its Stripe account (Express; test mode in the sandbox), uploads a
   photo, creates a lot (shown its commission and share), and submits it; the admin
   approves the lot, which opens it.
3. A player passes the trivia and buys the whole target: the lot is funded, drawn and
   settled, and the draw verified on this machine. The host's share is held.
4. The winner claims with a shipping address; the host sees it in its fulfillment queue
   and ships; the winner follows the parcel and confirms delivery, which releases the
   share to the host; the platform's payout job pays it out by a Stripe transfer.
5. Widgets, anonymously: the host's public profile and lots, each result verified.

Against `make run` (the demo admin's credentials and the dev mailbox secret are printed
at start; the payout job runs every ``ALOT_SCHEDULER_INTERVAL_SECONDS``):

    ALOT_EMAIL=admin@alot.example.com ALOT_PASSWORD=... ALOT_DEV_SECRET=... \\
        .venv/bin/python examples/host_integration.py

`ALOT_BASE_URL` points it elsewhere. Exit 0 on success, 1 on any failure, 2 on usage.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta

from alot_sdk import Alot, AlotError, format_money
from alot_sdk.models import ShippingAddress
from alot_verify.errors import VerificationError
from player_flow import confirmation_token

# A 16x16 PNG: the server re-encodes it (WebP renditions, no metadata) like any photo.
PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAGUlEQVR4nGPc0mPDQApgIkn1qIZRDUNKAwC9"
    "jAGcmS0FQAAAAABJRU5ErkJggg=="
)
ANSWER = "Omega"
ADDRESS = ShippingAddress(
    name="Ada Lovelace",
    line1="12 St James's Square",
    city="London",
    postal_code="SW1Y 4JH",
    country="GB",
    phone="+44 20 7946 0958",
)


def new_account(client: Alot, prefix: str) -> str:
    """Register, confirm through the dev mailbox and log in; the username."""
    username = f"{prefix}_{secrets.token_hex(4)}"
    email = f"{username}@example.com"
    password = secrets.token_urlsafe(18)
    client.auth.register(
        email=email, username=username, password=password, date_of_birth="1990-05-17"
    )
    client.auth.verify_email(confirmation_token(client, email))
    client.auth.login(email, password)
    return username


def onboard(host: Alot, admin: Alot) -> str:
    name = new_account(host, "host")
    applied = host.hosts.apply(
        display_name=f"Maison {name}",
        description="Watches, checked by a watchmaker before they are listed.",
        website_url="https://maison.example.com",
        country="CH",
        business_details={
            "legal_name": f"Maison {name} SA",
            "registration_number": "CHE-123.456.789",
            "address_lines": ["1 Rue du Rhône", "1204 Genève"],
        },
    )
    print(f"OK: {name} applied to host ({applied.status})")
    approved = admin.admin.hosts.approve(
        applied.id, reason="Documents checked", commission_bps=2000
    )
    print(f"OK: approved at {approved.commission_percent}% commission")
    link = host.payouts.connect()
    mode = " (test mode: onboarded at once)" if link.test_mode else f": finish at {link.url}"
    print(f"OK: Stripe account {link.account_id} connected{mode}")
    return applied.id


def list_lot(host: Alot, admin: Alot, *, funding_target_cents: int) -> str:
    photo = host.images.upload(PHOTO, filename="speedmaster.png")
    draft = host.hosts.create_lot(
        product={
            "name": "Speedmaster Moonwatch",
            "brand": "Omega",
            "category": "watch",
            "tier": "GRAIL",
            "retail_value_cents": 700_000,
            "images": [photo.renditions.page.url],
        },
        title=f"A Moonwatch, from a host #{datetime.now(UTC):%H%M%S}",
        funding_target_cents=funding_target_cents,
        deadline=(datetime.now(UTC) + timedelta(days=10)).isoformat(),
        entry_bundles=[{"price_cents": funding_target_cents, "tickets": 10}],
        trivia_question="Which brand made the first watch worn on the Moon?",
        trivia_answer=ANSWER,
    )
    terms = draft.economics
    print(
        f"OK: draft {draft.lot.id}: of {format_money(terms.target_cents)} ALOT! keeps"
        f" {format_money(terms.commission_cents)} ({terms.commission_percent}%),"
        f" the host's share is {format_money(terms.host_share_cents)}"
    )
    host.hosts.submit_lot(draft.lot.id)
    opened = admin.admin.hosts.approve_lot(draft.lot.id)
    print(f"OK: the admin approved the lot: {opened.status}")
    return opened.id


def fund_and_draw(player: Alot, lot_id: str, wait_seconds: float) -> None:
    name = new_account(player, "buyer")
    if not player.trivia.attempt(lot_id, ANSWER).correct:
        raise SystemExit("FAIL: the trivia answer was refused")
    purchase = player.entries.purchase(lot_id, bundle_index=0)
    print(f"OK: {name} bought tickets {purchase.tickets_start}-{purchase.tickets_end}")
    deadline = time.monotonic() + wait_seconds
    while player.lots.draw(lot_id).stage != "settled":
        if time.monotonic() > deadline:
            raise SystemExit(f"FAIL: lot {lot_id} was not settled within {wait_seconds:.0f}s")
        time.sleep(0.25)
    draw = player.lots.verify_draw(lot_id)
    print(f"OK: ticket {draw.winning_ticket} won (verified on this machine)")


def fulfil(host: Alot, winner: Alot, lot_id: str) -> None:
    reveal = next(r for r in winner.reveals.list() if r.lot_id == lot_id)
    claimed = winner.reveals.claim(reveal.id, ADDRESS)
    print(f"OK: the winner claimed the prize; ship by {claimed.ship_deadline:%Y-%m-%d}")
    parcel = next(p for p in host.fulfillment.queue(status="claimed") if p.lot_id == lot_id)
    assert parcel.shipping_address is not None  # the shipper's to read, once claimed
    print(f"OK: the host ships to {parcel.winner_username}, {parcel.shipping_address.city}")
    host.fulfillment.ship(parcel.reveal_id, carrier="Swiss Post", tracking_number="99.60.1234.5678")
    tracking = winner.reveals.tracking(reveal.id)
    print(f"OK: the winner follows {tracking.carrier} {tracking.tracking_number}")
    delivered = winner.reveals.confirm_delivery(reveal.id)
    print(f"OK: delivery confirmed by the {delivered.delivery_confirmed_by}")


def await_payout(host: Alot, lot_id: str, wait_seconds: float) -> bool:
    share = host.hosts.sales(lot_id).host_share_cents
    deadline = time.monotonic() + wait_seconds
    while True:
        mine = host.payouts.mine()
        paid = [p for p in mine.payouts if p.status == "paid"]
        if mine.balances.paid_out_cents >= share and paid:
            print(f"OK: paid {format_money(share)} by Stripe transfer {paid[0].stripe_transfer_id}")
            return True
        if time.monotonic() > deadline:
            print(
                f"FAIL: no payout of {format_money(share)} within {wait_seconds:.0f}s"
                f" (payable {format_money(mine.balances.payable_cents)})"
            )
            return False
        time.sleep(0.5)


def host_widgets(public: Alot, host_id: str) -> bool:
    profile = public.hosts.get(host_id)
    print(f"OK: {profile.display_name} ({profile.country}): {profile.stats.lots_funded} funded")
    ok = True
    for lot in public.hosts.lots(host_id):
        if lot.status != "settled":
            print(f"    {lot.title}: {lot.funding.progress_percent}% funded")
            continue
        try:
            draw = public.lots.verify_draw(lot.id)
        except VerificationError as failure:
            print(f"FAIL: {lot.title}: the draw does not verify: {failure}")
            ok = False
            continue
        print(f"OK: {lot.title}: ticket {draw.winning_ticket} of {lot.tickets_sold} won (verified)")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--target-cents", type=int, default=1_000, help="the lot's target")
    parser.add_argument("--wait", type=float, default=150.0, help="seconds to wait per step")
    args = parser.parse_args(argv)
    email, password = os.environ.get("ALOT_EMAIL"), os.environ.get("ALOT_PASSWORD")
    if not email or not password or not os.environ.get("ALOT_DEV_SECRET"):
        print("usage: needs ALOT_EMAIL and ALOT_PASSWORD of an admin, and ALOT_DEV_SECRET")
        return 2

    with Alot() as admin, Alot() as host, Alot() as player, Alot() as public:
        admin.auth.login(email, password)
        host_id = onboard(host, admin)
        lot_id = list_lot(host, admin, funding_target_cents=args.target_cents)
        fund_and_draw(player, lot_id, args.wait)
        fulfil(host, player, lot_id)
        paid = await_payout(host, lot_id, args.wait)
        shown = host_widgets(public, host_id)
        return 0 if paid and shown else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AlotError as error:
        print(f"FAIL: {error}")
        sys.exit(1)
