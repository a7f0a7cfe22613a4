"""POST /api/webhooks/stripe: Stripe's events, verified, stored once, applied after the reply.

Stripe signs each delivery (``Stripe-Signature``) with the endpoint's secret; the
signature over the raw body is checked by the stripe library with a 300 s tolerance
before anything is read from it. The route is public on purpose: the signature is its
authentication; without ``ALOT_STRIPE_WEBHOOK_SECRET`` it is not mounted at all. Events
of other types are acknowledged and dropped (Stripe would retry a refusal for days). A
handled event is stored by its id with insert-or-ignore and answered 200 at once; it is
applied by a background task in its own unit of work, so a slow lot lock never makes
Stripe time out and retry. Stripe Identity's events (``identity.verification_session.*``,
compliance) only set a flag on the account: they are applied at once (``applied``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import stripe
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from alot_platform.auth.dependencies import PlatformDep, SessionDep, public
from alot_platform.compliance.service import IDENTITY_EVENT_TYPES, identity_event
from alot_platform.config import Settings
from alot_platform.context import PlatformContext, get_platform
from alot_platform.errors import AlotError
from alot_platform.openapi_helpers import problems
from alot_platform.outbox.service import enqueue_task
from alot_platform.payments.service import HANDLED_EVENT_TYPES, InvalidEvent, PaymentEventService

router = APIRouter(tags=["payments"])

SIGNATURE_TOLERANCE_SECONDS = 300


def enabled(settings: Settings) -> bool:
    """The route exists only with a webhook secret (always so with the Stripe provider)."""
    secret = settings.stripe_webhook_secret
    return secret is not None and bool(secret.get_secret_value().strip())


class WebhooksNotConfigured(AlotError):
    status_code = 503
    code = "webhooks_not_configured"
    title = "Stripe webhooks are not configured"


class InvalidSignature(AlotError):
    status_code = 400
    code = "invalid_webhook_signature"
    title = "Invalid webhook signature"


class WebhookReceipt(BaseModel):
    event_id: str | None
    status: Literal["stored", "duplicate", "ignored", "applied"]


async def verified_stripe_event(
    request: Request, platform: Annotated[PlatformContext, Depends(get_platform)]
) -> dict[str, Any]:
    """The delivered event, once its signature over the raw body checks out."""
    secret = platform.settings.stripe_webhook_secret
    # An empty secret would verify anything: never accept one (the route is not even
    # mounted without one; this guards against a settings change at run time).
    if secret is None or not secret.get_secret_value().strip():
        raise WebhooksNotConfigured("set ALOT_STRIPE_WEBHOOK_SECRET to receive Stripe events")
    payload = await request.body()
    # A Connect endpoint (hosts' accounts) may have a signing secret of its own.
    connect = platform.settings.stripe_connect_webhook_secret
    secrets = [secret.get_secret_value()]
    if connect is not None and connect.get_secret_value().strip():
        secrets.append(connect.get_secret_value())
    for index, candidate in enumerate(secrets):
        try:
            stripe.Webhook.construct_event(
                payload,
                request.headers.get("stripe-signature"),
                candidate,
                tolerance=SIGNATURE_TOLERANCE_SECONDS,
            )
            break
        except stripe.SignatureVerificationError as error:
            if index == len(secrets) - 1:
                raise InvalidSignature(str(error.user_message or error)) from None
        except (ValueError, TypeError, AttributeError):
            # Signed, but not a JSON object the library can read as an event.
            raise InvalidEvent("the body is not a JSON event") from None
    event: Any = json.loads(payload)
    if not isinstance(event, dict):
        raise InvalidEvent("the body is not a JSON event")
    return event


@router.post(
    "/api/webhooks/stripe",
    dependencies=[Depends(public)],
    responses=problems(400, 503),
    summary="Stripe webhook events (signed by Stripe)",
)
def stripe_webhook(
    event: Annotated[dict[str, Any], Depends(verified_stripe_event)],
    session: SessionDep,
    platform: PlatformDep,
) -> WebhookReceipt:
    event_id = event.get("id") if isinstance(event.get("id"), str) else None
    if event.get("type") in IDENTITY_EVENT_TYPES:
        # Stripe Identity: a flag set on the account, idempotent, so applied at once.
        identity_event(session, platform, event)
        return WebhookReceipt(event_id=event_id, status="applied")
    if event.get("type") not in HANDLED_EVENT_TYPES:
        return WebhookReceipt(event_id=event_id, status="ignored")
    recorded = PaymentEventService(session, platform).record(event)
    if recorded.needs_processing:
        # Applied after the event is committed, by whoever runs the outbox's tasks.
        enqueue_task(
            session,
            task="payment_event",
            key=f"payment-event:{recorded.event_id}",
            payload={"event_id": recorded.event_id},
            now=platform.clock(),
        )
    return WebhookReceipt(
        event_id=recorded.event_id, status="stored" if recorded.stored else "duplicate"
    )
