"""A player's whole journey with the SDK, ending in a draw checked by the player's own machine.

Register, confirm the email (through the development mailbox), pass the lot's trivia,
buy tickets until the lot is funded, follow it to its draw, and verify the draw with
alot-verify instead of taking the platform's word for who won.

Against `make run`, which opens the demo lots and prints their trivia answers and the
dev secret that opens the dev mailbox (in the mailbox URL, `?secret=...`):

    ALOT_DEV_SECRET=<the secret> .venv/bin/python examples/player_flow.py
    ALOT_DEV_SECRET=<the secret> .venv/bin/python examples/player_flow.py \
        --lot-title "Rookie card quick draw" --answer 5

`ALOT_BASE_URL` points it elsewhere. Exit 0 when the draw verified, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import time

from alot_sdk import Alot, AlotError, format_credits, format_money
from alot_sdk.models import Lot
from alot_verify.errors import VerificationError

DEMO_LOT_TITLE = "Rookie card quick draw"  # the demo lot one player can fund alone
DEMO_ANSWER = "5"
_TOKEN = re.compile(r"^(ey[\w-]+\.[\w-]+\.[\w-]+)$", re.MULTILINE)


def confirmation_token(client: Alot, email: str, wait_seconds: float = 10.0) -> str:
    """The token in the confirmation email (sent just after registering answers)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        secret = os.environ.get("ALOT_DEV_SECRET")
        for message in reversed(client.dev.mailbox(to=email, secret=secret)):
            match = _TOKEN.search(message.body)
            if "Confirm" in message.subject and match:
                return match.group(1)
        if time.monotonic() > deadline:
            raise SystemExit(f"FAIL: no confirmation email to {email} in the dev mailbox")
        time.sleep(0.2)


def find_lot(client: Alot, lot_id: str | None, title: str) -> Lot:
    if lot_id:
        return client.lots.get(lot_id)
    for lot in client.lots.list(state="open"):
        if lot.title == title:
            return lot
    raise SystemExit(
        f"FAIL: no open lot titled {title!r}; `alot seed-demo` (or restarting `make run`)"
        " opens a fresh one"
    )


def buy_until_funded(client: Alot, lot: Lot) -> Lot:
    bundle = max(lot.entry_bundles, key=lambda b: b.tickets)
    for _ in range(lot.funding.target_cents // bundle.price_cents + 1):
        if lot.status != "open":
            break
        purchase = client.entries.purchase(lot.id, bundle_index=bundle.index)
        print(
            f"OK: bought tickets {purchase.tickets_start}-{purchase.tickets_end}"
            f" for {purchase.amount_display}"
        )
        lot = client.lots.get(lot.id)
        print(f"    the lot is {lot.funding.progress_percent}% funded ({lot.status})")
    return lot


def follow_to_draw(client: Alot, lot_id: str, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while client.lots.draw(lot_id).stage not in ("drawn", "settled"):
        if time.monotonic() > deadline:
            raise SystemExit(f"FAIL: lot {lot_id} was not drawn within {wait_seconds:.0f}s")
        time.sleep(0.25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lot-id", help="the lot to play (default: the demo quick draw)")
    parser.add_argument("--lot-title", default=DEMO_LOT_TITLE)
    parser.add_argument("--answer", default=DEMO_ANSWER, help="the trivia answer")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the draw")
    args = parser.parse_args(argv)

    with Alot() as client:
        username = f"player_{secrets.token_hex(4)}"
        email = f"{username}@example.com"
        password = secrets.token_urlsafe(18)
        client.auth.register(
            email=email, username=username, password=password, date_of_birth="1990-05-17"
        )
        client.auth.verify_email(confirmation_token(client, email))
        client.auth.login(email, password)
        print(f"OK: registered, confirmed and logged in as {username}")

        lot = find_lot(client, args.lot_id, args.lot_title)
        commitment = lot.draw.server_seed_commitment
        print(f"OK: playing {lot.title!r} ({lot.id}), worth {lot.retail_value_display}")
        print(f"    seed commitment published at opening: {commitment}")

        if not client.trivia.attempt(lot.id, args.answer).correct:
            print(f"FAIL: {args.answer!r} is not the answer to {lot.trivia_question!r}")
            return 1
        print("OK: trivia passed")

        lot = buy_until_funded(client, lot)
        follow_to_draw(client, lot.id, args.wait)
        draw = client.lots.verify_draw(lot.id, expected_commitment=commitment)
        for check in draw.checks:
            print(f"OK: draw check {check}")
        me = client.users.me()
        outcome = "you won" if draw.winner_user_id == me.id else "another player won"
        print(f"OK: ticket {draw.winning_ticket} won ({outcome}); verified on this machine")

        spent = sum(entry.amount_paid_cents for entry in client.entries.mine())
        credits = client.credits.balance().balance_credits
        print(f"    spent {format_money(spent)}; credits now {format_credits(credits)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except VerificationError as failure:
        print(f"FAIL: the draw does not verify: {failure}")
        sys.exit(1)
    except AlotError as error:
        print(f"FAIL: {error}")
        sys.exit(1)
