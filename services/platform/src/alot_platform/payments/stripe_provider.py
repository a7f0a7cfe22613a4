"""The Stripe payment provider: Checkout Sessions for charges, the Refund API for refunds.

A charge creates a hosted Checkout Session and answers ``pending`` with its URL; the
purchase owns no tickets until Stripe's webhook says the session was paid
(payments/webhooks.py). Every call carries the idempotency key the platform derived
from its own records, so the library's network retries, and ours after a crash, can
never create a second session or a second refund: Stripe answers a repeated key with
the first result.

The API key comes from ``ALOT_STRIPE_SECRET_KEY``; ``ALOT_STRIPE_API_BASE`` points the
client elsewhere (the tests' local fake of Stripe). One ``StripeClient`` per provider,
never the library's module-level globals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stripe

from alot_platform.config import Settings
from alot_platform.errors import AlotError
from alot_platform.payments.provider import (
    ChargeResult,
    ConnectAccount,
    RefundFailed,
    RefundResult,
    TransferFailed,
    TransferResult,
)

_log = logging.getLogger(__name__)

_UNAVAILABLE = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)


class PaymentProviderUnavailable(AlotError):
    """Stripe did not answer (after the library's retries): nothing was recorded here."""

    status_code = 503
    code = "payment_provider_unavailable"
    title = "The payment provider is unavailable"


__all__ = [
    "PaymentProviderUnavailable",
    "ProcessingFee",
    "ProviderPayment",
    "ProviderTransfer",
    "RefundFailed",
    "StripeProvider",
]


@dataclass(frozen=True)
class ProviderPayment:
    """What Stripe holds about one payment, for reconciliation."""

    payment_intent_id: str | None
    status: str
    amount_cents: int
    currency: str
    refunded_cents: int
    fee_cents: int | None = None
    """Stripe's processing fee on the payment's charge; None while not known yet."""


@dataclass(frozen=True)
class ProviderTransfer:
    """A transfer to a connected account as Stripe lists it, for reconciliation."""

    transfer_id: str
    amount_cents: int
    currency: str
    destination: str
    reversed_cents: int
    created: int
    """Unix time."""
    metadata: Mapping[str, str]


@dataclass(frozen=True)
class ProcessingFee:
    """Stripe's fee on a payment, from its charge's balance transaction."""

    charge: str
    balance_transaction: str
    fee_cents: int
    currency: str
    details: tuple[tuple[str, int], ...]
    """(type, amount) of each part of the fee (``stripe_fee``, ``tax``, ...)."""


class StripeProvider:
    """Real payments through Stripe Checkout (see the module docstring)."""

    name = "stripe"
    completes_at_once = False  # a buyer pays on Stripe's page; webhooks say when

    def __init__(self, settings: Settings) -> None:
        secret = settings.stripe_secret_key
        if secret is None or not secret.get_secret_value().strip():
            raise ValueError("the Stripe provider needs ALOT_STRIPE_SECRET_KEY")
        api_key = secret.get_secret_value()
        self.test_mode = not api_key.startswith(("sk_live_", "rk_live_"))
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": settings.stripe_api_base or stripe.DEFAULT_API_BASE},
            max_network_retries=settings.stripe_max_network_retries,
            http_client=stripe.RequestsClient(timeout=settings.stripe_timeout_seconds),
        )
        self._return_url = (
            settings.stripe_checkout_return_url or f"{settings.public_url.rstrip('/')}/checkout"
        ).rstrip("/")

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
        purchase_id = metadata.get("purchase_id", "")
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount_cents,
                        "product_data": {"name": description},
                    },
                }
            ],
            "client_reference_id": purchase_id or None,
            "metadata": dict(metadata),
            # The payment intent carries the same links, so its own events find the
            # purchase without a look-up at Stripe.
            "payment_intent_data": {"metadata": dict(metadata)},
            "success_url": f"{self._return_url}/success?purchase={purchase_id}"
            "&session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": f"{self._return_url}/cancel?purchase={purchase_id}",
        }
        if params["client_reference_id"] is None:
            del params["client_reference_id"]
        try:
            session = self._client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except _UNAVAILABLE as error:
            _log.warning("stripe: checkout session not created: %s", error)
            raise PaymentProviderUnavailable(
                "the payment provider did not answer; retry with the same Idempotency-Key"
            ) from None
        return ChargeResult(status="pending", payment_id=session.id, checkout_url=session.url)

    def refund(self, payment_id: str, amount_cents: int, idempotency_key: str) -> RefundResult:
        if amount_cents <= 0:
            raise ValueError(f"a refund must be positive, got {amount_cents}")
        payment_intent = self.payment_intent_of(payment_id)
        # A refund whose answer is lost fails the caller's unit of work, which is
        # retried later with the same key: Stripe answers it with the first refund.
        try:
            refund = self._client.v1.refunds.create(
                params={"payment_intent": payment_intent, "amount": amount_cents},
                options={"idempotency_key": idempotency_key},
            )
        except _UNAVAILABLE as error:
            _log.warning("stripe: refund %s not confirmed: %s", idempotency_key, error)
            raise PaymentProviderUnavailable(
                "the payment provider did not confirm the refund; it is retried with the same key"
            ) from None
        return _refund_result(refund)

    def refund_status(self, refund_id: str) -> RefundResult:
        """A refund's status now: a ``pending`` refund is asked again until it settles.

        (Stripe answers a repeated idempotency key with its first answer, so a retry of
        the create call would say ``pending`` forever: the refund itself is read.)
        """
        try:
            refund = self._client.v1.refunds.retrieve(refund_id)
        except _UNAVAILABLE as error:
            _log.warning("stripe: refund %s not read: %s", refund_id, error)
            raise PaymentProviderUnavailable("the payment provider did not answer") from None
        return _refund_result(refund)

    def processing_fee(self, payment_intent: str) -> ProcessingFee | None:
        """Stripe's fee on ``payment_intent``'s charge, or None while Stripe has not yet
        published the charge's balance transaction (it may stay pending for a while)."""
        try:
            intent = self._client.v1.payment_intents.retrieve(
                payment_intent, params={"expand": ["latest_charge.balance_transaction"]}
            )
            charge: Any = intent.latest_charge
            if not charge:
                return None
            if isinstance(charge, str):
                charge = self._client.v1.charges.retrieve(
                    charge, params={"expand": ["balance_transaction"]}
                )
            balance: Any = charge.balance_transaction
            if not balance:
                return None
            if isinstance(balance, str):
                balance = self._client.v1.balance_transactions.retrieve(balance)
        except _UNAVAILABLE as error:
            _log.warning("stripe: fee of %s not read: %s", payment_intent, error)
            raise PaymentProviderUnavailable("the payment provider did not answer") from None
        details = tuple((str(part.type), int(part.amount)) for part in (balance.fee_details or []))
        return ProcessingFee(
            charge=str(charge.id),
            balance_transaction=str(balance.id),
            fee_cents=int(balance.fee),
            currency=str(balance.currency).upper(),
            details=details,
        )

    def checkout_url(self, payment_id: str) -> str | None:
        """Where the buyer completes pending payment ``payment_id``, while its session is open.

        For answering a repeated purchase request, whose first answer (with the URL) may
        have been lost.
        """
        if not payment_id.startswith("cs_"):
            return None
        session = self._client.v1.checkout.sessions.retrieve(payment_id)
        return str(session.url) if session.status == "open" and session.url else None

    def payment_intent_of(self, payment_id: str) -> str:
        """The payment intent behind ``payment_id`` (a Checkout Session's or itself)."""
        if not payment_id.startswith("cs_"):
            return payment_id
        session = self._client.v1.checkout.sessions.retrieve(payment_id)
        if not session.payment_intent:
            raise ValueError(
                f"checkout session {payment_id} has no payment (status {session.status})"
            )
        intent = session.payment_intent
        return intent if isinstance(intent, str) else intent.id

    def payment(self, payment_id: str) -> ProviderPayment:
        """Stripe's record of a payment (a session or a payment intent), for reconciliation."""
        if payment_id.startswith("cs_"):
            session = self._client.v1.checkout.sessions.retrieve(payment_id)
            intent = session.payment_intent
            if not intent:
                return ProviderPayment(
                    None,
                    f"session_{session.status}",
                    int(session.amount_total or 0),
                    str(session.currency or "").upper(),
                    0,
                )
            payment_id = intent if isinstance(intent, str) else intent.id
        intent_obj = self._client.v1.payment_intents.retrieve(
            payment_id, params={"expand": ["latest_charge.balance_transaction"]}
        )
        refunds = self._client.v1.refunds.list(params={"payment_intent": payment_id, "limit": 100})
        refunded = sum(int(r.amount) for r in refunds.data if r.status in ("succeeded", "pending"))
        charge: Any = intent_obj.latest_charge
        balance: Any = getattr(charge, "balance_transaction", None) if charge else None
        fee = int(balance.fee) if balance and not isinstance(balance, str) else None
        return ProviderPayment(
            intent_obj.id,
            intent_obj.status,
            int(intent_obj.amount_received or 0),
            str(intent_obj.currency).upper(),
            refunded,
            fee,
        )

    # -- Connect: Express accounts for hosts, transfers for their payouts ------------------

    def create_connect_account(
        self, *, country: str, idempotency_key: str, metadata: Mapping[str, str]
    ) -> ConnectAccount:
        """An Express account able to receive transfers (the platform charges; the host
        is only paid), created once per key."""
        try:
            account = self._client.v1.accounts.create(
                params={
                    "type": "express",
                    "country": country.upper(),
                    "capabilities": {"transfers": {"requested": True}},
                    "metadata": dict(metadata),
                },
                options={"idempotency_key": idempotency_key},
            )
        except _UNAVAILABLE as error:
            _log.warning("stripe: connected account not created: %s", error)
            raise PaymentProviderUnavailable("the payment provider did not answer") from None
        return _connect_account(account)

    def connect_account(self, account_id: str) -> ConnectAccount:
        try:
            return _connect_account(self._client.v1.accounts.retrieve(account_id))
        except _UNAVAILABLE as error:
            _log.warning("stripe: account %s not read: %s", account_id, error)
            raise PaymentProviderUnavailable("the payment provider did not answer") from None

    def account_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        """A fresh onboarding link (Stripe's links are single-use and expire in minutes)."""
        try:
            link = self._client.v1.account_links.create(
                params={
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                }
            )
        except _UNAVAILABLE as error:
            _log.warning("stripe: account link for %s not created: %s", account_id, error)
            raise PaymentProviderUnavailable("the payment provider did not answer") from None
        return str(link.url)

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
        """A transfer from the platform's balance to ``destination``. Stripe answers a
        repeated key with the first transfer, so a crash after Stripe made it and before
        the ledger recorded it is healed by asking again. An invalid request (the account
        cannot receive transfers) raises ``TransferFailed``; the platform's own balance
        being short, or no answer, raises ``PaymentProviderUnavailable`` (asked again)."""
        if amount_cents <= 0:
            raise ValueError(f"a transfer must be positive, got {amount_cents}")
        try:
            transfer = self._client.v1.transfers.create(
                params={
                    "amount": amount_cents,
                    "currency": currency.lower(),
                    "destination": destination,
                    "transfer_group": transfer_group,
                    "metadata": dict(metadata),
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as refused:
            if refused.code == "balance_insufficient":
                _log.warning("stripe: transfer %s waits for funds: %s", idempotency_key, refused)
                raise PaymentProviderUnavailable(
                    "the platform's Stripe balance cannot cover the transfer yet"
                ) from None
            raise TransferFailed(str(refused.user_message or refused)) from None
        except (stripe.PermissionError, stripe.AuthenticationError) as refused:
            raise TransferFailed(str(refused.user_message or refused)) from None
        except _UNAVAILABLE as error:
            _log.warning("stripe: transfer %s not confirmed: %s", idempotency_key, error)
            raise PaymentProviderUnavailable(
                "the payment provider did not confirm the transfer; it is asked again"
                " with the same key"
            ) from None
        return TransferResult(
            str(transfer.id),
            int(transfer.amount),
            str(transfer.currency).upper(),
            _id_of(transfer.destination),
        )

    def find_transfer(self, transfer_group: str) -> TransferResult | None:
        """The transfer made for ``transfer_group`` (one per payout), if Stripe has one.

        Stripe keeps idempotency keys for 24 hours: a payout retried later than that
        (Stripe down for a day, a worker stopped) asks for its transfer by group first.
        """
        try:
            page = self._client.v1.transfers.list(
                params={"transfer_group": transfer_group, "limit": 10}
            )
        except _UNAVAILABLE as error:
            _log.warning("stripe: transfers of %s not read: %s", transfer_group, error)
            raise PaymentProviderUnavailable("the payment provider did not answer") from None
        for transfer in page.data:
            if transfer.transfer_group == transfer_group:
                return TransferResult(
                    str(transfer.id),
                    int(transfer.amount),
                    str(transfer.currency).upper(),
                    _id_of(transfer.destination),
                )
        return None

    def transfer_record(self, transfer_id: str) -> ProviderTransfer:
        return _provider_transfer(self._client.v1.transfers.retrieve(transfer_id))

    def transfers(self, *, created_from: int | None = None) -> list[ProviderTransfer]:
        """Every transfer created at or after ``created_from`` (Unix time), all pages."""
        params: dict[str, Any] = {"limit": 100}
        if created_from is not None:
            params["created"] = {"gte": created_from}
        page = self._client.v1.transfers.list(params=params)  # type: ignore[arg-type]
        return [_provider_transfer(t) for t in page.auto_paging_iter()]


def _id_of(value: Any) -> str:
    return value if isinstance(value, str) else str(value.id)


def _connect_account(account: Any) -> ConnectAccount:
    return ConnectAccount(
        str(account.id),
        details_submitted=bool(account.details_submitted),
        charges_enabled=bool(account.charges_enabled),
        payouts_enabled=bool(account.payouts_enabled),
    )


def _provider_transfer(transfer: Any) -> ProviderTransfer:
    metadata = transfer.metadata
    return ProviderTransfer(
        str(transfer.id),
        int(transfer.amount),
        str(transfer.currency).upper(),
        _id_of(transfer.destination),
        int(transfer.amount_reversed or 0),
        int(transfer.created or 0),
        {str(k): str(v) for k, v in (metadata.to_dict() if metadata else {}).items()},
    )


def _refund_result(refund: Any) -> RefundResult:
    """Stripe's refund as the platform reads it; failed or cancelled raises RefundFailed."""
    if refund.status in ("failed", "canceled"):
        raise RefundFailed(
            f"Stripe refund {refund.id} of {refund.payment_intent} is {refund.status}"
        )
    if refund.status == "succeeded":
        return RefundResult(refund_id=refund.id, status="succeeded")
    return RefundResult(refund_id=refund.id, status="pending")  # pending, requires_action
