"""The host's emails about its payouts, written to the outbox in the transaction that
records the payout's outcome (alot_platform/outbox), once each:

- ``payout-paid:<payout id>``: the transfer is made (amount, Stripe's transfer id);
- ``payout-failed:<payout id>:<attempts>``: Stripe refused it (its reason; an admin
  retries it once the account is fixed, and each refusal is told).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from alot_platform.context import PlatformContext
from alot_platform.hosts.models import Host
from alot_platform.money import format_cents
from alot_platform.outbox.service import enqueue
from alot_platform.payouts.models import HostPayout


def _page(platform: PlatformContext) -> str:
    settings = platform.settings
    return settings.host_payouts_url or f"{settings.public_url.rstrip('/')}/host/payouts"


def enqueue_paid(session: Session, platform: PlatformContext, payout: HostPayout) -> None:
    host = session.get(Host, payout.host_id)
    assert host is not None
    amount = f"${format_cents(payout.amount_cents)}"
    enqueue(
        session,
        key=f"payout-paid:{payout.id}",
        user_id=host.user_id,
        subject=f"Your payout of {amount} is on its way",
        body=(
            f"We sent {amount} to your Stripe account (transfer {payout.stripe_transfer_id}).\n"
            "Stripe pays it out to your bank on your account's payout schedule.\n\n"
            f"Your payouts: {_page(platform)}\n"
        ),
        now=platform.clock(),
    )


def enqueue_failed(session: Session, platform: PlatformContext, payout: HostPayout) -> None:
    host = session.get(Host, payout.host_id)
    assert host is not None
    amount = f"${format_cents(payout.amount_cents)}"
    enqueue(
        session,
        key=f"payout-failed:{payout.id}:{payout.attempts}",
        user_id=host.user_id,
        subject=f"We could not send your payout of {amount}",
        body=(
            f"Stripe refused the transfer of {amount} to your account: {payout.last_error}\n"
            "The money stays payable to you. Check your Stripe account (onboarding, bank"
            " details), then tell us: we send it again once it can receive transfers.\n\n"
            f"Your payouts: {_page(platform)}\n"
        ),
        now=platform.clock(),
    )
