"""The payment-provider interface: how the platform takes and returns cash.

The platform never talks to a card network itself. A provider charges a buyer and
refunds them, both under an idempotency key the platform derives from its own records,
so that a retried request can never charge or refund twice. ``ALOT_PAYMENT_PROVIDER``
picks the provider: ``sandbox`` (the default, instant test-mode payments) for
development and tests; ``stripe`` (Checkout) answers ``pending`` until its webhook
reports the payment (payments/stripe_provider.py, payments/webhooks.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from alot_platform.config import Settings
from alot_platform.errors import AlotError

ChargeStatus = Literal["succeeded", "pending"]
RefundStatus = Literal["succeeded", "pending"]


@dataclass(frozen=True)
class ChargeResult:
    """What a provider says about a charge it accepted.

    ``succeeded``: the money is taken and the purchase can be completed now.
    ``pending``: the buyer must still act (``checkout_url``) or the provider confirms
    later; the purchase stays pending and owns no tickets until then.
    """

    status: ChargeStatus
    payment_id: str
    checkout_url: str | None = None


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    status: RefundStatus


@dataclass(frozen=True)
class ConnectAccount:
    """A host's connected account as the provider reports it (Stripe Connect Express)."""

    account_id: str
    details_submitted: bool
    charges_enabled: bool
    payouts_enabled: bool

    @property
    def enabled(self) -> bool:
        """Transfers may be sent: onboarding finished and the provider pays the account out.

        (``charges_enabled`` is not needed: a host never charges through its account.)
        """
        return self.details_submitted and self.payouts_enabled


@dataclass(frozen=True)
class TransferResult:
    """A transfer the provider made to a connected account (replayed for the same key)."""

    transfer_id: str
    amount_cents: int
    currency: str
    destination: str


class TransferFailed(RuntimeError):
    """The provider refused a transfer for good (the account cannot receive it, say):
    nothing moved; the same request would be refused again."""


class RefundFailed(RuntimeError):
    """The provider refused, failed or cancelled a refund: a human must look at the payment."""


class PaymentFailed(AlotError):
    """The provider declined the charge: nothing was taken and nothing is recorded."""

    status_code = 402
    code = "payment_failed"
    title = "Payment failed"


class PaymentProvider(Protocol):
    """A payment service. Every call is idempotent under its ``idempotency_key``."""

    @property
    def name(self) -> str:
        """Short name stored with each purchase (``sandbox``, ``stripe``)."""
        ...

    @property
    def test_mode(self) -> bool:
        """True when no real money moves."""
        ...

    @property
    def completes_at_once(self) -> bool:
        """True when ``charge`` never answers ``pending`` and calls no remote service
        (the sandbox): purchases then charge inside their batch, under the lot lock,
        only once they are accepted."""
        ...

    def charge(
        self,
        *,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        description: str,
        metadata: Mapping[str, str],
    ) -> ChargeResult:
        """Take ``amount_cents`` from the buyer, or raise PaymentFailed."""
        ...

    def refund(self, payment_id: str, amount_cents: int, idempotency_key: str) -> RefundResult:
        """Return ``amount_cents`` of payment ``payment_id`` to the buyer."""
        ...

    def refund_status(self, refund_id: str) -> RefundResult:
        """A refund's status now (a ``pending`` refund is asked again until it settles).

        Raises ``RefundFailed`` when the provider failed or cancelled it.
        """
        ...

    def checkout_url(self, payment_id: str) -> str | None:
        """Where the buyer completes pending payment ``payment_id``, if it is still open.

        A repeated purchase request gets it again: the first answer may have been lost.
        """
        ...

    # -- Connect: hosts' accounts and the transfers that pay them (payouts/) ---------------

    def create_connect_account(
        self, *, country: str, idempotency_key: str, metadata: Mapping[str, str]
    ) -> ConnectAccount:
        """Create a host's connected (Express) account, once per ``idempotency_key``."""
        ...

    def connect_account(self, account_id: str) -> ConnectAccount:
        """The connected account's state now."""
        ...

    def account_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        """A fresh, single-use onboarding URL for the account's holder."""
        ...

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
        """Send ``amount_cents`` to connected account ``destination``; the same key
        answers the same transfer. Raises ``TransferFailed`` when refused for good, any
        other error when the answer is unknown (ask again with the same key)."""
        ...

    def find_transfer(self, transfer_group: str) -> TransferResult | None:
        """The transfer already made for ``transfer_group``, if any: asked before a
        payout is retried, since the provider forgets idempotency keys after a day."""
        ...


def payment_provider_from_settings(settings: Settings) -> PaymentProvider:
    """The provider ``ALOT_PAYMENT_PROVIDER`` names."""
    from alot_platform.payments.sandbox import SandboxPaymentProvider

    if settings.payment_provider == "sandbox":
        return SandboxPaymentProvider(settings)
    if settings.payment_provider == "stripe":
        from alot_platform.payments.stripe_provider import StripeProvider

        return StripeProvider(settings)
    raise ValueError(f"unknown payment provider {settings.payment_provider!r}")
