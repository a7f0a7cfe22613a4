"""The app factory: one FastAPI app from settings, a clock and an optional mailer.

`create_app()` reads `ALOT_*` from the environment; tests pass their own `Settings`
and clock. The schema is not created here: run `alot migrate` (or `alot run`) first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute, iter_route_contexts

from alot_platform import health
from alot_platform.admin import endpoints as admin_endpoints
from alot_platform.analytics import endpoints as analytics_endpoints
from alot_platform.audit import endpoints as audit_endpoints
from alot_platform.auth import endpoints as auth_endpoints
from alot_platform.auth.dependencies import current_caller, current_principal, public
from alot_platform.auth.throttle import LoginThrottle
from alot_platform.cache import endpoints as cache_endpoints
from alot_platform.clock import Clock, system_clock
from alot_platform.compliance import endpoints as compliance_endpoints
from alot_platform.config import Settings
from alot_platform.context import PlatformContext
from alot_platform.credits import endpoints as credit_endpoints
from alot_platform.db import RequestSlotsMiddleware
from alot_platform.dev import endpoints as dev_endpoints
from alot_platform.draws import endpoints as draw_endpoints
from alot_platform.entries import endpoints as entry_endpoints
from alot_platform.errors import install_error_handlers
from alot_platform.fulfillment import endpoints as fulfillment_endpoints
from alot_platform.hosts import endpoints as host_endpoints
from alot_platform.images import endpoints as image_endpoints
from alot_platform.keys import load_keys
from alot_platform.ledger import endpoints as ledger_endpoints
from alot_platform.logs import RequestContextMiddleware, configure_logging
from alot_platform.lots import endpoints as lot_endpoints
from alot_platform.mail import Mailer, mailer_from_settings
from alot_platform.notifications import endpoints as notification_endpoints
from alot_platform.observability import http as metrics_http
from alot_platform.observability import tracing
from alot_platform.observability.sentry import init_sentry
from alot_platform.openapi import install_openapi
from alot_platform.outbox import endpoints as outbox_endpoints
from alot_platform.payments import endpoints as payment_endpoints
from alot_platform.payments import webhooks as payment_webhooks
from alot_platform.payouts import endpoints as payout_endpoints
from alot_platform.play import endpoints as play_endpoints
from alot_platform.privacy import endpoints as privacy_endpoints
from alot_platform.realtime import endpoints as live_endpoints
from alot_platform.refunds import endpoints as refund_endpoints
from alot_platform.reveals import endpoints as reveal_endpoints
from alot_platform.scheduler import Scheduler
from alot_platform.security.headers import SecurityHeadersMiddleware
from alot_platform.security.limits import RequestSizeLimitMiddleware
from alot_platform.security.ratelimit import RateLimiter, RateLimitMiddleware
from alot_platform.trivia import endpoints as trivia_endpoints
from alot_platform.users import endpoints as user_endpoints
from alot_platform.web import WebClientMiddleware
from alot_platform.witnesses import endpoints as witness_endpoints

_DESCRIPTION = """\
The ALOT! platform API. Errors are `application/problem+json` (RFC 9457) with a stable
`code`; every response carries `X-Request-ID`. Authenticate with
`Authorization: Bearer <access token>` from `POST /api/auth/login`, or (browsers) with
the session cookies that login sets when `transport` is `cookie`, sending the CSRF
token in `X-CSRF-Token` on state-changing requests.
"""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = system_clock,
    mailer: Mailer | None = None,
) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level)
    init_sentry(settings, tracing.API_SERVICE)
    keys = load_keys(settings)
    platform = PlatformContext.build(
        settings, clock, keys, mailer if mailer is not None else mailer_from_settings(settings)
    )
    limiter = RateLimiter.from_settings(settings, clock) if settings.rate_limit_enabled else None
    login_throttle = LoginThrottle.from_settings(settings, clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        scheduler = Scheduler(platform) if settings.scheduler_enabled else None
        if scheduler is not None:
            scheduler.start()
        if platform.live is not None:
            await platform.live.start()  # this process's connections get events from now
        yield
        if platform.live is not None:
            await platform.live.stop()
        if scheduler is not None:
            scheduler.stop()
        if platform.relay is not None:
            platform.relay.stop()  # what was handed over is run (or published) first
        if limiter is not None:
            limiter.close()
        login_throttle.close()
        platform.cache.close()
        platform.database.dispose()
        tracing.stop_tracing()  # last: the spans of the work finished above are sent

    app = FastAPI(
        title="ALOT! platform API",
        version=version("alot-platform"),
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.platform = platform
    app.state.login_throttle = login_throttle
    install_error_handlers(app)
    _include_routers(app, settings)
    _check_deny_by_default(app)
    install_openapi(app)

    # Added innermost first: a request meets security headers, request context (id,
    # log, last-resort 500), CORS, the size limits, the rate limit, then the web client
    # (which answers page and asset paths, never /api).
    app.add_middleware(WebClientMiddleware, dist=settings.web_dir)
    if limiter is not None:
        app.add_middleware(RateLimitMiddleware, limiter=limiter, settings=settings)
    app.add_middleware(
        RequestSizeLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
        path_limits={
            image_endpoints.UPLOAD_PATH: max(
                settings.max_body_bytes,
                settings.image_max_bytes + image_endpoints.FORM_OVERHEAD_BYTES,
            )
        },
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[settings.frontend_origin],
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "X-CSRF-Token",
            "X-Request-ID",
            "Idempotency-Key",
        ],
        expose_headers=["X-Request-ID", "Retry-After"],
    )
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestSlotsMiddleware, slots=platform.database.capacity)
    # Outside the request slots: a request's time and presence include its wait for one.
    app.add_middleware(metrics_http.HttpMetricsMiddleware, routes=app.router.routes)
    app.add_middleware(live_endpoints.LiveEndpoint)  # GET /api/ws, before all the above
    tracing.instrument_app(app, platform.database, settings)  # when a collector is set
    return app


def _include_routers(app: FastAPI, settings: Settings) -> None:
    # Routes are matched in order, one by one: the purchase endpoints (the hot path of a
    # popular lot) come first. No two routers' paths overlap, so order changes nothing else.
    app.include_router(entry_endpoints.router)
    app.include_router(entry_endpoints.admin_router)
    app.include_router(health.router)
    app.include_router(auth_endpoints.router)
    app.include_router(privacy_endpoints.router)
    app.include_router(user_endpoints.router)
    app.include_router(compliance_endpoints.router)
    app.include_router(admin_endpoints.router)
    app.include_router(play_endpoints.router)
    app.include_router(play_endpoints.admin_router)
    app.include_router(audit_endpoints.router)
    app.include_router(analytics_endpoints.admin_router)
    app.include_router(outbox_endpoints.admin_router)
    app.include_router(cache_endpoints.admin_router)
    app.include_router(host_endpoints.router)
    app.include_router(host_endpoints.admin_router)
    app.include_router(lot_endpoints.router)
    app.include_router(lot_endpoints.admin_router)
    app.include_router(trivia_endpoints.router)
    app.include_router(credit_endpoints.router)
    app.include_router(draw_endpoints.router)
    app.include_router(draw_endpoints.admin_router)
    app.include_router(refund_endpoints.router)
    app.include_router(refund_endpoints.admin_router)
    app.include_router(reveal_endpoints.router)
    app.include_router(image_endpoints.router)
    app.include_router(image_endpoints.media_router)  # /media/<key>: the local store's files
    app.include_router(fulfillment_endpoints.router)
    app.include_router(fulfillment_endpoints.host_router)
    app.include_router(fulfillment_endpoints.admin_router)
    app.include_router(notification_endpoints.router)
    if payment_webhooks.enabled(settings):
        app.include_router(payment_webhooks.router)
    app.include_router(payment_endpoints.router)
    app.include_router(payment_endpoints.admin_router)
    app.include_router(payout_endpoints.router)
    app.include_router(payout_endpoints.admin_router)
    if dev_endpoints.mailbox_enabled(settings):  # development, bound to loopback only
        app.include_router(dev_endpoints.router)
    app.include_router(witness_endpoints.router)  # /api/ledger/checkpoint/cosigned
    app.include_router(ledger_endpoints.create_ledger_router(settings), prefix="/api/ledger")
    app.include_router(metrics_http.router)  # GET /metrics, for Prometheus


def _calls(dependant: Dependant) -> set[Callable[..., Any]]:
    found: set[Callable[..., Any]] = set()
    for sub in dependant.dependencies:
        if sub.call is not None:
            found.add(sub.call)
        found |= _calls(sub)
    return found


def _check_deny_by_default(app: FastAPI) -> None:
    """Refuse to build an app with an /api route that nobody decided to open or guard."""
    unguarded = [
        f"{sorted(route.methods or ())} {route.path}"
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
        and (route.path or "").startswith("/api/")
        and not _calls(route.dependant) & {current_principal, current_caller, public}
    ]
    if unguarded:
        raise RuntimeError(
            "routes without an auth dependency (use current_user/require_roles/current_caller, "
            f"or Depends(public) to open them deliberately): {', '.join(unguarded)}"
        )
