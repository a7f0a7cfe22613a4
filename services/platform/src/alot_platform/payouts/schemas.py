"""What the payouts API reads and writes (amounts in cents, USD)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from alot_platform.payouts.models import HostPayout
from alot_platform.payouts.service import Balances, HostPayouts, WinnerOwed, WinnerPayment


class ConnectLink(BaseModel):
    url: str
    """Stripe's onboarding page for the host's connected account (single use, expires in
    minutes: ask again for a fresh one). In test mode (the sandbox) it returns straight to
    the payouts page, onboarded."""
    account_id: str
    status: Literal["none", "pending", "enabled"]
    test_mode: bool


class ConnectRead(BaseModel):
    status: Literal["none", "pending", "enabled"]
    """``none``: no connected account yet; ``pending``: onboarding not finished (or Stripe
    disabled payouts); ``enabled``: transfers are sent."""
    account_id: str | None
    test_mode: bool


class BalancesRead(BaseModel):
    currency: str = "USD"
    held_cents: int
    """Shares of settled lots held until their winners have the prizes."""
    payable_cents: int
    """Released to the host, not paid out yet (including ``pending_cents``)."""
    pending_cents: int
    """Reserved by payouts being transferred."""
    paid_out_cents: int


class PayoutRead(BaseModel):
    id: uuid.UUID
    host_id: uuid.UUID
    amount_cents: int
    currency: str
    status: Literal["pending", "paid", "failed"]
    destination: str
    stripe_transfer_id: str | None
    attempts: int
    last_error: str | None
    ledger_seq: int | None
    created_at: datetime
    paid_at: datetime | None


class HostPayoutsRead(BaseModel):
    connect: ConnectRead
    balances: BalancesRead
    minimum_payout_cents: int
    payouts: list[PayoutRead]
    """Most recent first (the last 100)."""


class WinnerOwedRead(BaseModel):
    user_id: uuid.UUID
    username: str | None
    owed_cents: int


class AdminPayoutsRead(BaseModel):
    host_payouts: list[PayoutRead]
    """Most recent first (the last 200, or of the status asked for)."""
    winners_owed: list[WinnerOwedRead]
    """Winners owed cash (a prize compensated), paid by hand and recorded here."""


class WinnerPayoutRequest(BaseModel):
    user_id: uuid.UUID
    amount_cents: int = Field(gt=0, le=100_000_000)
    reference: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
        description="the payment's own reference (a bank transfer's id): one payment per"
        " reference and winner; repeating the request records nothing more",
    )


class WinnerPayoutRead(BaseModel):
    user_id: uuid.UUID
    amount_cents: int
    reference: str
    ledger_seq: int
    owed_cents: int
    """Still owed after this payment."""


def payout_read(payout: HostPayout) -> PayoutRead:
    return PayoutRead.model_validate(payout, from_attributes=True)


def balances_read(balances: Balances) -> BalancesRead:
    return BalancesRead(
        held_cents=balances.held_cents,
        payable_cents=balances.payable_cents,
        pending_cents=balances.pending_cents,
        paid_out_cents=balances.paid_out_cents,
    )


def host_payouts_read(found: HostPayouts, *, test_mode: bool, minimum: int) -> HostPayoutsRead:
    return HostPayoutsRead(
        connect=ConnectRead(
            status=found.status,
            account_id=found.host.stripe_connect_account_id,
            test_mode=test_mode,
        ),
        balances=balances_read(found.balances),
        minimum_payout_cents=minimum,
        payouts=[payout_read(p) for p in found.payouts],
    )


def winner_owed_read(owed: WinnerOwed) -> WinnerOwedRead:
    return WinnerOwedRead(user_id=owed.user_id, username=owed.username, owed_cents=owed.owed_cents)


def winner_payout_read(payment: WinnerPayment) -> WinnerPayoutRead:
    return WinnerPayoutRead(
        user_id=payment.user_id,
        amount_cents=payment.amount_cents,
        reference=payment.reference,
        ledger_seq=payment.ledger_seq,
        owed_cents=payment.owed_cents,
    )
