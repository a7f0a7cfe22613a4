"""What a host site does with the SDK today: publish a lot, and show lots and results.

- Publish (with an admin account, `--publish`): add a product to the catalogue, create a
  lot for it and open it. (Hosts get their own role with the marketplace; until then
  publishing takes an admin.)
- Show, anonymously: the open lots ending soonest with their funding, ticket price and
  leaderboard, and the settled lots with a winner checked by alot-verify on the host's
  own machine, so the site never repeats an unverified claim.

Against `make run` (the demo admin's credentials are printed at start):

    ALOT_EMAIL=admin@alot.example.com ALOT_PASSWORD=... \\
        .venv/bin/python examples/host_integration.py --publish
    .venv/bin/python examples/host_integration.py          # the read-only widgets

`ALOT_BASE_URL` points it elsewhere. Exit 0 on success, 1 on any failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta

from alot_sdk import Alot, AlotError, format_money
from alot_verify.errors import VerificationError


def publish(admin: Alot) -> str:
    product = admin.admin.product_classes.create(
        name=f"Air Jordan 1 Chicago 1985 #{datetime.now(UTC):%H%M%S}",
        brand="Nike",
        category="sneakers",
        tier="RARE",
        retail_value_cents=2_500_000,
        specifications={"size_us": 10, "year": 1985},
    )
    lot = admin.admin.lots.create(
        product_class_id=product.id,
        title="A 1985 grail, on the host's page",
        funding_target_cents=300_000,
        deadline=datetime.now(UTC) + timedelta(days=10),
        entry_bundles=[{"price_cents": 300, "tickets": 1}, {"price_cents": 1_200, "tickets": 5}],
        trivia_question="In which city did the Bulls play in 1985?",
        trivia_answer="Chicago",
    )
    opened = admin.admin.lots.open(lot.id)
    print(f"OK: published {opened.title!r} ({opened.id}), status {opened.status}")
    print(f"    seed commitment: {opened.draw.server_seed_commitment}")
    return opened.id


def open_lots_widget(public: Alot, limit: int) -> int:
    shown = 0
    for lot in public.lots.list(state="open", sort="ending_soon", limit=limit):
        if shown == limit:
            break
        shown += 1
        hours = lot.seconds_left // 3600
        print(
            f"    {lot.title}: {lot.funding.progress_percent}% of"
            f" {format_money(lot.funding.target_cents, lot.currency)}, from"
            f" {format_money(lot.price_per_ticket_cents, lot.currency)} a ticket, {hours}h left"
        )
        for row in public.lots.leaderboard(lot.id, limit=3).items:
            print(f"        #{row.rank} {row.username}: {row.tickets} tickets")
    print(f"OK: {shown} open lot(s) shown")
    return shown


def results_widget(public: Alot, limit: int) -> bool:
    ok = True
    shown = 0
    for lot in public.lots.list(state="settled", limit=limit):
        if shown == limit:
            break
        shown += 1
        try:
            draw = public.lots.verify_draw(lot.id)
        except VerificationError as failure:
            print(f"FAIL: {lot.title}: the draw does not verify: {failure}")
            ok = False
            continue
        print(f"OK: {lot.title}: ticket {draw.winning_ticket} of {lot.tickets_sold} won (verified)")
    print(f"OK: {shown} result(s) shown")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--publish", action="store_true", help="publish a lot (admin account)")
    parser.add_argument("--limit", type=int, default=5, help="lots per widget")
    args = parser.parse_args(argv)

    if args.publish:
        email, password = os.environ.get("ALOT_EMAIL"), os.environ.get("ALOT_PASSWORD")
        if not email or not password:
            print("usage: --publish needs ALOT_EMAIL and ALOT_PASSWORD of an admin account")
            return 2
        with Alot() as admin:
            admin.auth.login(email, password)
            publish(admin)
            admin.auth.logout()

    with Alot() as public:  # no login: the widgets show what any visitor may see
        open_lots_widget(public, args.limit)
        return 0 if results_widget(public, args.limit) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AlotError as error:
        print(f"FAIL: {error}")
        sys.exit(1)
