"""The compliance rules: terms and privacy acceptance, identity checks, country rules.

- Terms: ``ALOT_TERMS_VERSION`` and ``ALOT_PRIVACY_VERSION`` name the current texts. An
  account records the versions it was created under (registration states them); a
  new version asks the player again before their next purchase: every purchase path
  (cash, credits, checkout) refuses with 403 ``terms_not_accepted`` until they accept.
- Identity: ``ALOT_IDENTITY_REQUIRED`` asks for a verified identity before cash
  purchases (every one, or once lifetime cash spent would pass
  ``ALOT_IDENTITY_THRESHOLD_CENTS``): 403 ``identity_required``. Credits bought with
  no new cash are not cash purchases.
- Countries: ``ALOT_ALLOWED_COUNTRIES`` (empty: all). Registration needs a declared
  country from the list; a purchase whose trusted proxy header
  (``ALOT_COUNTRY_HEADER``) names another country is refused: 403 ``country_not_allowed``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from alot_platform.compliance.identity import IdentityCheck, identity_provider_from_settings
from alot_platform.compliance.models import AcceptanceSource, Document
from alot_platform.compliance.repository import BuyerStanding, ComplianceRepository
from alot_platform.config import Settings
from alot_platform.context import PlatformContext
from alot_platform.errors import (
    Conflict,
    CountryNotAllowed,
    IdentityRequired,
    InvalidInput,
    TermsNotAccepted,
)
from alot_platform.users.models import User

_log = logging.getLogger(__name__)

TERMS_PATH = "/terms"
PRIVACY_PATH = "/privacy"


class TermsVersionOutdated(Conflict):
    """The player accepted versions that are not the current ones (extra: the current)."""

    code = "terms_version_outdated"
    title = "These are not the current terms"


class CountryRequired(InvalidInput):
    code = "country_required"
    title = "Country required"


@dataclass(frozen=True)
class TermsStanding:
    terms_version: str
    """The current terms' version."""
    privacy_version: str
    accepted_terms_version: str | None
    """The latest terms version the player accepted (None: none on record)."""
    accepted_privacy_version: str | None
    accepted_at: datetime | None
    """When the player last accepted either document."""

    @property
    def current(self) -> bool:
        return (
            self.accepted_terms_version == self.terms_version
            and self.accepted_privacy_version == self.privacy_version
        )


def terms_not_accepted(settings: Settings) -> TermsNotAccepted:
    return TermsNotAccepted(
        f"accept the terms version {settings.terms_version} and the privacy notice version"
        f" {settings.privacy_version} before buying (POST /api/users/me/terms; read them at"
        f" {TERMS_PATH} and {PRIVACY_PATH})",
        terms_version=settings.terms_version,
        privacy_version=settings.privacy_version,
    )


def require_terms_current(session: Session, user_id: uuid.UUID, settings: Settings) -> None:
    """Refuse (403 ``terms_not_accepted``) unless ``user_id`` accepted the current terms
    and privacy notice."""
    standing = _standings(session, [user_id], settings, with_cash_spent=False).get(user_id)
    if standing is None or not standing.terms_current:
        raise terms_not_accepted(settings)


def _standings(
    session: Session, user_ids: Collection[uuid.UUID], settings: Settings, *, with_cash_spent: bool
) -> dict[uuid.UUID, BuyerStanding]:
    return ComplianceRepository(session).standings(
        user_ids,
        terms_version=settings.terms_version,
        privacy_version=settings.privacy_version,
        with_cash_spent=with_cash_spent,
    )


class BuyerChecks:
    """The terms and identity rules for the buyers of a batch of purchases: read once
    (one query), then checked per purchase, counting the batch's own cash as it goes."""

    def __init__(self, settings: Settings, standings: dict[uuid.UUID, BuyerStanding]) -> None:
        self._settings = settings
        self._standings = standings
        self._spent: dict[uuid.UUID, int] = {}

    @classmethod
    def read(
        cls, session: Session, user_ids: Collection[uuid.UUID], settings: Settings
    ) -> BuyerChecks:
        threshold = settings.identity_required == "above_threshold"
        return cls(settings, _standings(session, user_ids, settings, with_cash_spent=threshold))

    def check(self, user_id: uuid.UUID, cash_cents: int) -> None:
        """Refuse a purchase of ``cash_cents`` (0: credits) by ``user_id``."""
        standing = self._standings.get(user_id)
        if standing is None or not standing.terms_current:
            raise terms_not_accepted(self._settings)
        if cash_cents and not standing.verified_identity:
            self._check_identity(standing, user_id, cash_cents)

    def _check_identity(self, standing: BuyerStanding, user_id: uuid.UUID, cash_cents: int) -> None:
        rule = self._settings.identity_required
        if rule == "first_cash_purchase":
            raise IdentityRequired(
                "verify your identity before buying with cash (POST /api/users/me/identity)"
            )
        if rule == "above_threshold":
            threshold = self._settings.identity_threshold_cents
            spent = standing.cash_spent_cents + self._spent.get(user_id, 0)
            if spent + cash_cents > threshold:
                raise IdentityRequired(
                    f"cash purchases past {threshold} cents in total need a verified"
                    f" identity; you spent {spent} (POST /api/users/me/identity)",
                    threshold_cents=threshold,
                    spent_cents=spent,
                )

    def accepted(self, user_id: uuid.UUID, cash_cents: int) -> None:
        """Count an accepted purchase's cash for the buyer's next in the batch."""
        if cash_cents:
            self._spent[user_id] = self._spent.get(user_id, 0) + cash_cents


def require_may_buy(
    session: Session, user_id: uuid.UUID, settings: Settings, cash_cents: int
) -> None:
    """The terms and identity rules for one purchase outside a batch (checkout)."""
    BuyerChecks.read(session, [user_id], settings).check(user_id, cash_cents)


def require_country_allowed(country: str | None, settings: Settings) -> None:
    """Refuse a purchase whose trusted proxy header named a country outside the
    allow-list (no list, or no header: nothing to refuse)."""
    allowed = settings.allowed_country_set
    if not allowed or not country:
        return
    code = country.strip().upper()
    if code not in allowed:
        raise CountryNotAllowed(
            f"purchases are not available from {code}; allowed: {', '.join(sorted(allowed))}",
            country=code,
        )


def check_declared_country(country: str | None, settings: Settings) -> str | None:
    """The country a registration declared, checked against the allow-list: required
    when a list is set (422 ``country_required``), and in it (403 ``country_not_allowed``)."""
    allowed = settings.allowed_country_set
    if not allowed:
        return country
    if country is None:
        raise CountryRequired(
            f"this platform is open to players in {', '.join(sorted(allowed))}:"
            " give your country of residence",
        )
    if country not in allowed:
        raise CountryNotAllowed(
            f"registration is not available in {country}; allowed: {', '.join(sorted(allowed))}",
            country=country,
        )
    return country


def header_country(headers: Any, settings: Settings) -> str | None:
    """The buyer's country as the trusted proxy's header names it (None: no header
    configured or sent; Cloudflare's XX/T1, unknown or Tor, count as none)."""
    name = settings.country_header.strip()
    if not name:
        return None
    value = headers.get(name)
    if not value:
        return None
    code = str(value).strip().upper()
    if len(code) != 2 or not code.isalpha() or code in ("XX", "T1"):
        return None
    return code


class ComplianceService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._repo = ComplianceRepository(session)

    @property
    def _settings(self) -> Settings:
        return self._platform.settings

    def record_current(self, user_id: uuid.UUID, source: AcceptanceSource) -> None:
        """Record ``user_id`` as accepting the current terms and privacy notice."""
        now = self._platform.clock()
        self._repo.add_acceptance(
            user_id, Document.TERMS, self._settings.terms_version, source.value, now
        )
        self._repo.add_acceptance(
            user_id, Document.PRIVACY, self._settings.privacy_version, source.value, now
        )

    def accept(self, user: User, terms_version: str, privacy_version: str) -> TermsStanding:
        """The player accepts the versions they read: only the current ones are taken
        (409 ``terms_version_outdated`` otherwise: they read an older text)."""
        settings = self._settings
        if terms_version != settings.terms_version or privacy_version != settings.privacy_version:
            raise TermsVersionOutdated(
                f"the current versions are terms {settings.terms_version} and privacy notice"
                f" {settings.privacy_version}; read them again and accept those",
                terms_version=settings.terms_version,
                privacy_version=settings.privacy_version,
            )
        self.record_current(user.id, AcceptanceSource.PLAYER)
        return self.standing(user.id)

    def standing(self, user_id: uuid.UUID) -> TermsStanding:
        latest: dict[str, tuple[str, datetime]] = {}
        for row in self._repo.acceptances(user_id):
            latest[row.document] = (row.version, row.accepted_at)
        terms = latest.get(Document.TERMS.value)
        privacy = latest.get(Document.PRIVACY.value)
        times = [item[1] for item in (terms, privacy) if item is not None]
        return TermsStanding(
            terms_version=self._settings.terms_version,
            privacy_version=self._settings.privacy_version,
            accepted_terms_version=terms[0] if terms else None,
            accepted_privacy_version=privacy[0] if privacy else None,
            accepted_at=max(times) if times else None,
        )

    def start_identity_check(self, user: User) -> IdentityCheck:
        """Start a check with the provider; the sandbox's verifies at once."""
        return_url = f"{self._settings.public_url.rstrip('/')}/account"
        check = identity_provider_from_settings(self._settings).start(
            user_id=user.id, return_url=return_url
        )
        if check.status == "verified":
            self._repo.set_verified_identity(user.id, self._platform.clock())
        return check

    def identity_event(self, event_type: str, verification: dict[str, Any]) -> str:
        """Apply a Stripe Identity webhook event; what it did, in a few words."""
        metadata = verification.get("metadata") or {}
        try:
            user_id = uuid.UUID(str(metadata.get("user_id")))
        except ValueError:
            return f"no user in verification session {verification.get('id')}"
        if event_type == "identity.verification_session.verified":
            if not self._repo.set_verified_identity(user_id, self._platform.clock()):
                return f"no user {user_id}"
            _log.info("identity verified for user %s (%s)", user_id, verification.get("id"))
            return f"user {user_id} verified"
        # requires_input: the player may try again with a new check; nothing changes.
        return f"user {user_id}: verification needs input"


IDENTITY_EVENT_TYPES = frozenset(
    {"identity.verification_session.verified", "identity.verification_session.requires_input"}
)


def identity_event(session: Session, platform: PlatformContext, event: dict[str, Any]) -> str:
    """A verified Stripe Identity event, delivered to the Stripe webhook endpoint."""
    data = event.get("data")
    verification = data.get("object") if isinstance(data, dict) else None
    if not isinstance(verification, dict):
        return "malformed identity event"
    return ComplianceService(session, platform).identity_event(str(event["type"]), verification)
