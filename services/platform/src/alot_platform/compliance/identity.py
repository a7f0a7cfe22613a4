"""The identity-check provider interface: who checks that a player is who they say.

``ALOT_IDENTITY_PROVIDER`` (default: the payment provider) picks one:

- ``sandbox``: for development and tests; a check verifies at once, and its "link" goes
  straight back to the web client's account page (like the sandbox's Connect
  onboarding). Refused in production.
- ``stripe``: Stripe Identity. A check is a VerificationSession (a document check); the
  player completes it on Stripe's page, and Stripe's signed webhook
  ``identity.verification_session.verified`` (payments/webhooks.py) marks the account
  verified. The session carries the user's id in its metadata.

The platform keeps only the outcome (``users.verified_identity``); the documents stay
with the provider.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Literal, Protocol

import stripe

from alot_platform.config import Settings
from alot_platform.payments.stripe_provider import PaymentProviderUnavailable

_log = logging.getLogger(__name__)

IdentityStatus = Literal["verified", "pending"]


@dataclass(frozen=True)
class IdentityCheck:
    provider: str
    check_id: str
    status: IdentityStatus
    """``verified``: done already (sandbox); ``pending``: the player continues at ``url``."""
    url: str


class IdentityProvider(Protocol):
    name: str

    def start(self, *, user_id: uuid.UUID, return_url: str) -> IdentityCheck: ...


class SandboxIdentityInProduction(RuntimeError):
    """The sandbox checks nothing: production must use a real provider."""


class SandboxIdentityProvider:
    """Verifies every check at once (see the module docstring)."""

    name = "sandbox"

    def __init__(self, settings: Settings) -> None:
        if settings.env == "production":
            raise SandboxIdentityInProduction(
                "the sandbox identity provider checks nothing and is refused in production;"
                " set ALOT_IDENTITY_PROVIDER=stripe"
            )

    def start(self, *, user_id: uuid.UUID, return_url: str) -> IdentityCheck:
        return IdentityCheck(
            provider=self.name,
            check_id=f"sandbox_vs_{uuid.uuid4().hex[:24]}",
            status="verified",
            url=f"{return_url}?identity=verified",
        )


_UNAVAILABLE = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


class StripeIdentityProvider:
    """Stripe Identity document checks (see the module docstring)."""

    name = "stripe"

    def __init__(self, settings: Settings) -> None:
        secret = settings.stripe_secret_key
        if secret is None or not secret.get_secret_value().strip():
            raise ValueError("Stripe Identity needs ALOT_STRIPE_SECRET_KEY")
        self._client = stripe.StripeClient(
            secret.get_secret_value(),
            base_addresses={"api": settings.stripe_api_base or stripe.DEFAULT_API_BASE},
            max_network_retries=settings.stripe_max_network_retries,
            http_client=stripe.RequestsClient(timeout=settings.stripe_timeout_seconds),
        )

    def start(self, *, user_id: uuid.UUID, return_url: str) -> IdentityCheck:
        try:
            session = self._client.v1.identity.verification_sessions.create(
                params={
                    "type": "document",
                    "metadata": {"user_id": str(user_id)},
                    "return_url": return_url,
                },
                # A new check each time (one that needs input again is replaced).
                options={"idempotency_key": f"identity:{user_id}:{uuid.uuid4()}"},
            )
        except _UNAVAILABLE as error:
            _log.warning("stripe: identity verification session not created: %s", error)
            raise PaymentProviderUnavailable("the identity provider did not answer") from None
        status: IdentityStatus = "verified" if session.status == "verified" else "pending"
        return IdentityCheck(self.name, str(session.id), status, str(session.url or return_url))


def identity_provider_from_settings(settings: Settings) -> IdentityProvider:
    name = settings.identity_provider or settings.payment_provider
    if name == "stripe":
        return StripeIdentityProvider(settings)
    return SandboxIdentityProvider(settings)
