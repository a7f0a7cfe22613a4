"""The emails of host reviews, written to the outbox in the review's own transaction:
one exists exactly when the decision it reports was committed.

- ``host-review:<host id>:<action>:<reviewed_at>``: an application approved or
  rejected, a host suspended or reinstated, its commission changed, with the reason.
- ``host-lot-review:<lot id>:<action>:<time>``: a host lot approved (it opened) or
  rejected, with the reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from alot_platform.context import PlatformContext
from alot_platform.hosts.models import Host
from alot_platform.lots.models import Lot
from alot_platform.money import format_cents
from alot_platform.outbox.service import enqueue

_HOST_SUBJECTS = {
    "approve": "Your ALOT! host application is approved",
    "reject": "Your ALOT! host application was not approved",
    "suspend": "Your ALOT! host account is suspended",
    "reinstate": "Your ALOT! host account is reinstated",
    "commission": "Your ALOT! commission rate changed",
}

_HOST_TEXT = {
    "approve": "Your application to sell on ALOT! as {name} is approved: you can create"
    " lots now. ALOT!'s commission on your lots is {commission}%.",
    "reject": "Your application to sell on ALOT! as {name} was not approved. You may edit"
    " your application and it will be reviewed again.",
    "suspend": "Your host account {name} is suspended: your open lots stop selling (they"
    " stay open until their deadline, then expire and are refunded, unless already"
    " funded) and you cannot create or submit lots.",
    "reinstate": "Your host account {name} is reinstated: your open lots sell again and"
    " you can create lots.",
    "commission": "ALOT!'s commission on your lots not yet open is now {commission}%"
    " (lots already open keep theirs).",
}


def _host_page(platform: PlatformContext) -> str:
    return f"{platform.settings.public_url.rstrip('/')}/host"


def enqueue_host_review(
    session: Session,
    platform: PlatformContext,
    host: Host,
    action: str,
    reason: str,
    now: datetime,
) -> None:
    text = _HOST_TEXT[action].format(
        name=host.display_name, commission=format_cents(host.commission_bps)
    )
    enqueue(
        session,
        key=f"host-review:{host.id}:{action}:{now.isoformat()}",
        user_id=host.user_id,
        subject=_HOST_SUBJECTS[action],
        body=f"{text}\n\nReason: {reason}\n\nYour host page: {_host_page(platform)}\n",
        now=now,
    )


def enqueue_lot_review(
    session: Session,
    platform: PlatformContext,
    host: Host,
    lot: Lot,
    action: str,
    reason: str | None,
    now: datetime,
) -> None:
    if action == "approve":
        subject = f"Your lot {lot.title} is approved and open"
        text = f"Your lot {lot.title!r} is approved: it is open and selling now."
    else:
        subject = f"Your lot {lot.title} was not approved"
        text = (
            f"Your lot {lot.title!r} was not approved. Edit it and submit it again when"
            " it is ready."
        )
    lines = [text, ""]
    if reason:
        lines += [f"Reason: {reason}", ""]
    lines.append(f"Your lot: {_host_page(platform)}/lots/{lot.id}")
    enqueue(
        session,
        key=f"host-lot-review:{lot.id}:{action}:{now.isoformat()}",
        user_id=host.user_id,
        subject=subject[:255],
        body="\n".join(lines) + "\n",
        now=now,
    )
