"""The words of each notification, written from its kind and data when it is read.

Text is not stored: the same facts give the in-app title and body, the link to the
web client's page about it, and the email. Amounts are formatted here only (integers
in the data, two-decimal strings out); moments are shown in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alot_platform.money import format_cents
from alot_platform.notifications.models import NotificationKind


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    link: str
    """A path of the web client (``/lots/<id>/draw``)."""


def render(kind: str, data: dict[str, Any]) -> Message:
    lot_id = data.get("lot_id")
    title = data.get("lot_title", "a lot")
    match NotificationKind(kind):
        case NotificationKind.WON:
            return Message(
                f"You won {title}!",
                f"Your ticket #{data['winning_ticket']} was drawn as the winner of {title}. "
                "See the draw, and check it yourself, on the lot's draw page, then claim "
                "your prize with a shipping address from My results.",
                f"/lots/{lot_id}/draw",
            )
        case NotificationKind.CREDITS_AWARDED:
            credits = int(data["credits"])
            earned = (
                f"You earned {_credits(credits)}, already in your balance."
                if credits
                else "This lot awarded no credits to its other players."
            )
            return Message(
                f"{title} was drawn: {_credits(credits)} for you",
                f"Ticket #{data['winning_ticket']} won {title}; it was not yours this time. "
                f"{earned}",
                f"/lots/{lot_id}/draw",
            )
        case NotificationKind.REFUND_AVAILABLE:
            purchases = data.get("purchase_ids", [])
            link = f"/purchases/{purchases[0]}/refund" if len(purchases) == 1 else "/me/entries"
            return Message(
                f"{title} did not fund: choose your refund",
                f"{title} expired before it was funded. For each purchase, choose "
                f"{data['cash_percent']}% back in cash or {data['credits_percent'] / 100:g}x "
                f"the amount in credits by {_moment(data['refund_choice_deadline'])}; "
                "without a choice by then, it is refunded in cash.",
                link,
            )
        case NotificationKind.REFUND_DONE:
            if data["refund_choice"] == "cash":
                amount = f"${format_cents(int(data['refunded_cents']))} in cash"
            else:
                amount = _credits(int(data["refunded_credits"]))
            return Message(
                f"Refunded: {amount}",
                f"Your purchase of {_tickets(int(data['tickets']))} in {title} was refunded: "
                f"{amount}.",
                f"/purchases/{data['purchase_id']}/refund",
            )
        case NotificationKind.LOT_CLOSING:
            why = (
                f"is {data['funded_percent']}% funded"
                if data["reason"] == "nearly_funded"
                else f"closes at {_moment(data['deadline'])}"
            )
            return Message(
                f"{title} is about to close",
                f"A lot you entered {why}. Buy more tickets before it closes if you want "
                "a better chance.",
                f"/lots/{lot_id}",
            )
        case NotificationKind.PRIZE:
            return _prize(data)


def _credits(credits: int) -> str:
    return f"{credits:,} credit{'' if credits == 1 else 's'}"


def _tickets(tickets: int) -> str:
    return f"{tickets} ticket{'' if tickets == 1 else 's'}"


def _moment(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")


def _prize(data: dict[str, Any]) -> Message:
    """A won prize's fulfillment. Never an address: the facts hold ids, the prize's
    name, dates, carrier and tracking number only."""
    title = data.get("lot_title", "your prize")
    reveal = data.get("reveal_id")
    audience = data.get("audience", "winner")
    link = {
        "winner": f"/me/reveals/{reveal}",
        "host": "/host/fulfillment",
        "admin": "/admin/fulfillment",
    }[audience]
    event = data["event"]
    deadline = _moment(data["deadline"]) if data.get("deadline") else ""
    match event:
        case "claim_reminder":
            return Message(
                f"Claim your prize: {title}",
                f"You won {title}. Give us a shipping address by {deadline}; after that "
                "the prize is paid to you as its cash value instead.",
                link,
            )
        case "claim_expired":
            return Message(
                f"{title}: paid as its cash value",
                f"The prize {title} was not claimed by its deadline. Its retail value, "
                f"${format_cents(int(data['cash_cents']))}, is owed to you in cash instead.",
                link,
            )
        case "claimed":
            return Message(
                f"A prize to ship: {title}",
                f"The winner of {title} claimed it. Ship it by {deadline}; the shipping "
                "address is on your fulfillment screen.",
                link,
            )
        case "ship_reminder":
            return Message(
                f"Ship {title} by {deadline}",
                f"The prize {title} is claimed and not marked shipped yet. Ship it by "
                f"{deadline}, or it is disputed automatically.",
                link,
            )
        case "shipped":
            return Message(
                f"Your prize is on its way: {title}",
                f"{title} was shipped with {data['carrier']}, tracking number "
                f"{data['tracking_number']}. Confirm its delivery when it arrives.",
                link,
            )
        case "delivered":
            return Message(
                f"Delivered: {title}",
                f"The delivery of {title} is confirmed ({data.get('confirmed_by', 'winner')}).",
                link,
            )
        case "disputed":
            return Message(
                f"Dispute opened: {title}",
                f"A dispute about {title} is open ({data.get('reason', 'not_received')}); "
                "an ALOT! administrator resolves it.",
                link,
            )
        case "resolved":
            outcome = (
                "the shipment stands and the host is paid"
                if data.get("resolution") == "release"
                else "the winner is paid the prize's retail value in cash"
            )
            return Message(
                f"Dispute resolved: {title}",
                f"The dispute about {title} is resolved: {outcome}.",
                link,
            )
        case _:
            return Message(f"About {title}", f"News about the prize {title}.", link)
