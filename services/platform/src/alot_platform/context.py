"""What an app instance is built from: settings, clock, keys and the shared components.

One `PlatformContext` per app, on `app.state.platform`; services take the pieces they
need from it. Tests build it with their own settings and clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import Request

from alot_platform.auth.passwords import PasswordHasher
from alot_platform.auth.tokens import TokenCodec
from alot_platform.cache import invalidation as cache_invalidation
from alot_platform.cache.service import Cache
from alot_platform.clock import Clock
from alot_platform.config import Settings
from alot_platform.db import Database
from alot_platform.images.storage import MediaStore, media_store_from_settings
from alot_platform.keys import Keys
from alot_platform.mail import Mailer
from alot_platform.observability import business
from alot_platform.outbox.relay import Relay, install, relay_for
from alot_platform.payments.provider import PaymentProvider, payment_provider_from_settings
from alot_platform.realtime import events, hub
from alot_platform.security.crypto import FieldCipher, SeedSealer


@dataclass
class PlatformContext:
    settings: Settings
    clock: Clock
    keys: Keys
    database: Database
    hasher: PasswordHasher
    cipher: FieldCipher
    seed_sealer: SeedSealer
    tokens: TokenCodec
    mailer: Mailer
    payments: PaymentProvider
    relay: Relay | None = None
    """Told of the outbox rows each commit wrote (alot_platform.outbox.relay)."""
    events: events.EventBus = field(default_factory=events.EventBus)
    """Told of the events each commit emitted (alot_platform.realtime.events)."""
    cache: Cache = field(default_factory=Cache.disabled)
    """Public reads' cache (alot_platform.cache); written through by ``events``."""
    live: hub.Hub | None = None
    """Numbers and fans out the committed events to WebSockets (alot_platform.realtime)."""
    media: MediaStore | None = None
    """Where product images' renditions are stored (alot_platform.images.storage)."""

    @classmethod
    def build(cls, settings: Settings, clock: Clock, keys: Keys, mailer: Mailer) -> PlatformContext:
        platform = cls(
            settings=settings,
            clock=clock,
            keys=keys,
            database=Database(
                settings.resolved_database_url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
            ),
            hasher=PasswordHasher(settings),
            cipher=FieldCipher(keys.field_encryption),
            seed_sealer=SeedSealer(keys.seed_sealing),
            tokens=TokenCodec(keys.jwt, settings.jwt_issuer, settings.jwt_audience, clock),
            mailer=mailer,
            payments=payment_provider_from_settings(settings),
            cache=Cache.from_settings(settings),
            media=media_store_from_settings(settings),
        )
        platform.relay = relay_for(platform)
        # Events first: a commit's events are dispatched before the work it queued
        # starts (an inline runner's draw would otherwise announce itself first).
        events.install(platform)
        business.install(platform)  # counted and logged before the queued work runs
        cache_invalidation.install(platform)  # the cache hears each commit first
        install(platform)
        platform.live = hub.install(platform)
        return platform

    @property
    def access_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.access_token_ttl_seconds)

    @property
    def refresh_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.refresh_token_ttl_seconds)


async def get_platform(request: Request) -> PlatformContext:
    """FastAPI dependency: the app's context (``async``: no I/O, so no worker thread)."""
    platform: PlatformContext = request.app.state.platform
    return platform
