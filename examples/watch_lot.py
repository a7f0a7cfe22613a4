"""Watch a lot live: its funding as players buy, then its draw, as the platform pushes it.

A host's "live ticker" over `client.lots.watch`: one line per event, in `seq` order.
The watch reconnects and resumes by itself; when it says `resync` (events may have
been missed), the ticker refetches the lot and carries on. It stops once the lot is
drawn or expires, after `--events` events, or on Ctrl-C.

Against `make run` (its demo lots are open):

    .venv/bin/python examples/watch_lot.py                    # the first open lot
    .venv/bin/python examples/watch_lot.py --lot-id <id> --from-start

`ALOT_BASE_URL` points it elsewhere. Exit 0 when it stopped as asked, 1 on an error.
"""

from __future__ import annotations

import argparse
import sys

from alot_sdk import Alot, AlotError, LiveEvent, format_money

ENDINGS = {"draw_completed", "lot_expired"}


def describe(event: LiveEvent) -> str:
    data = event.data
    if event.type in ("lot_current", "lot_update", "lot_funded"):
        funded = format_money(data.get("funded_cents", 0), "USD")
        target = format_money(data.get("funding_target_cents", 0), "USD")
        return (
            f"{data.get('status')}: {data.get('tickets_sold')} ticket(s) sold,"
            f" {funded} of {target} ({data.get('progress_basis_points', 0) / 100:.2f}%)"
        )
    if event.type == "draw_completed":
        return f"drawn: ticket {data.get('winning_ticket')} won ({data.get('algorithm')})"
    return event.type.replace("_", " ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lot-id", help="the lot to watch (default: the first open lot)")
    parser.add_argument("--from-start", action="store_true", help="replay the lot's kept events")
    parser.add_argument("--events", type=int, default=None, help="stop after this many events")
    args = parser.parse_args(argv)

    with Alot() as client:  # no login: a public lot's events are for anyone
        lot_id = args.lot_id
        if lot_id is None:
            first = next(iter(client.lots.list(state="open", limit=1)), None)
            if first is None:
                print("no open lot to watch")
                return 1
            lot_id = first.id
        lot = client.lots.get(lot_id)
        print(f"watching {lot.title!r}: {lot.tickets_sold} ticket(s) sold, {lot.status}")
        seen = 0
        with client.lots.watch(lot_id, after_seq=0 if args.from_start else None) as events:
            for event in events:
                if event.is_resync:
                    lot = client.lots.get(lot_id)  # missed events: refetch, carry on
                    print(f"#{event.seq} resync: now {lot.tickets_sold} ticket(s) sold")
                else:
                    at = f"{event.at:%H:%M:%S} " if event.at else ""
                    print(f"#{event.seq} {at}{describe(event)}")
                seen += 1
                if event.type in ENDINGS or (args.events is not None and seen >= args.events):
                    break
    print(f"OK: {seen} event(s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
    except AlotError as error:
        print(f"FAIL: {error}")
        sys.exit(1)
