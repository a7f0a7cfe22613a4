"""The sandbox payment provider: instant, test-mode payments for development and tests.

No money moves. Every charge succeeds at once and every refund too; Connect too is
test mode: a host's connected account (``sandbox_acct_...``) is onboarded and enabled
the moment it is created (its "onboarding link" goes straight back to the web client's
return page), and every transfer (``sandbox_tr_...``) succeeds at once. Ids are derived
from the idempotency key (``sandbox_pay_...``, ``sandbox_ref_...``), so the same key
always names the same payment or refund, even across restarts, exactly as a real
provider's idempotency would. The provider keeps what it was asked in memory
(``charges``, ``refunds``) so that a developer, or a test, can see which payments were
taken and returned. It refuses to exist when ``ALOT_ENV=production``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from alot_platform.config import Settings
from alot_platform.payments.provider import (
    ChargeResult,
    ConnectAccount,
    RefundResult,
    TransferResult,
)

_log = logging.getLogger(__name__)


class SandboxInProduction(RuntimeError):
    """The sandbox takes no money: a production platform must not run on it."""


@dataclass(frozen=True)
class SandboxCharge:
    payment_id: str
    amount_cents: int
    currency: str
    description: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SandboxRefund:
    refund_id: str
    payment_id: str
    amount_cents: int


def _id(prefix: str, idempotency_key: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"sandbox_{prefix}_{digest}"


class SandboxPaymentProvider:
    """Test-mode payments that complete at once (see the module docstring)."""

    name = "sandbox"
    test_mode = True
    completes_at_once = True

    def __init__(self, settings: Settings) -> None:
        if settings.env == "production":
            raise SandboxInProduction(
                "the sandbox payment provider takes no money and is refused in production; "
                "set ALOT_PAYMENT_PROVIDER to a real provider"
            )
        self._lock = threading.Lock()
        self._charges: dict[str, SandboxCharge] = {}
        self._refunds: dict[str, SandboxRefund] = {}
        self._transfers: dict[str, TransferResult] = {}
        _log.warning("payments: sandbox provider in test mode, no real money moves")

    def charge(
        self,
        *,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        description: str,
        metadata: Mapping[str, str],
    ) -> ChargeResult:
        if amount_cents <= 0:
            raise ValueError(f"a charge must be positive, got {amount_cents}")
        payment_id = _id("pay", idempotency_key)
        with self._lock:
            self._charges.setdefault(
                payment_id,
                SandboxCharge(payment_id, amount_cents, currency, description, dict(metadata)),
            )
        return ChargeResult(status="succeeded", payment_id=payment_id)

    def refund(self, payment_id: str, amount_cents: int, idempotency_key: str) -> RefundResult:
        if not payment_id.startswith("sandbox_pay_"):
            raise ValueError(f"{payment_id!r} is not a sandbox payment")
        if amount_cents <= 0:
            raise ValueError(f"a refund must be positive, got {amount_cents}")
        refund_id = _id("ref", idempotency_key)
        with self._lock:
            if refund_id not in self._refunds:
                charged = self._charges.get(payment_id)
                already = sum(
                    r.amount_cents for r in self._refunds.values() if r.payment_id == payment_id
                )
                # Payments taken before a restart are unknown here; those we know are
                # never refunded beyond what they took.
                if charged is not None and already + amount_cents > charged.amount_cents:
                    raise ValueError(
                        f"refunding {amount_cents} of {payment_id} would exceed its "
                        f"{charged.amount_cents} (already refunded {already})"
                    )
                self._refunds[refund_id] = SandboxRefund(refund_id, payment_id, amount_cents)
        return RefundResult(refund_id=refund_id, status="succeeded")

    def refund_status(self, refund_id: str) -> RefundResult:
        return RefundResult(refund_id=refund_id, status="succeeded")  # instant, always

    def checkout_url(self, payment_id: str) -> str | None:
        return None  # sandbox payments succeed at once: there is never a page to return to

    # -- Connect, in test mode: onboarding completes at once, transfers succeed at once ----

    def create_connect_account(
        self, *, country: str, idempotency_key: str, metadata: Mapping[str, str]
    ) -> ConnectAccount:
        return self.connect_account(_id("acct", idempotency_key))

    def connect_account(self, account_id: str) -> ConnectAccount:
        if not account_id.startswith("sandbox_acct_"):
            raise ValueError(f"{account_id!r} is not a sandbox account")
        return ConnectAccount(
            account_id, details_submitted=True, charges_enabled=True, payouts_enabled=True
        )

    def account_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        # Nothing to fill in: the host is sent straight back, onboarded (test mode).
        separator = "&" if "?" in return_url else "?"
        return f"{return_url}{separator}sandbox_onboarding=complete"

    def transfer(
        self,
        *,
        amount_cents: int,
        currency: str,
        destination: str,
        transfer_group: str,
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> TransferResult:
        if amount_cents <= 0:
            raise ValueError(f"a transfer must be positive, got {amount_cents}")
        transfer_id = _id("tr", idempotency_key)
        with self._lock:
            return self._transfers.setdefault(
                transfer_id, TransferResult(transfer_id, amount_cents, currency, destination)
            )

    def find_transfer(self, transfer_group: str) -> TransferResult | None:
        return None  # every sandbox transfer is answered at once: none is ever lost

    @property
    def transfers(self) -> list[TransferResult]:
        with self._lock:
            return list(self._transfers.values())

    @property
    def charges(self) -> list[SandboxCharge]:
        with self._lock:
            return list(self._charges.values())

    @property
    def refunds(self) -> list[SandboxRefund]:
        with self._lock:
            return list(self._refunds.values())

    def refunded_cents(self, payment_id: str) -> int:
        with self._lock:
            return sum(r.amount_cents for r in self._refunds.values() if r.payment_id == payment_id)
