"""Request and response bodies of /api/terms and /api/users/me/{terms,identity}."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from alot_platform.compliance.service import TermsStanding


class TermsDocument(BaseModel):
    version: str
    url: str = Field(description="where to read it (a page of the web client)")


class TermsRead(BaseModel):
    """The current terms and privacy notice, and the rules registration follows."""

    terms: TermsDocument
    privacy: TermsDocument
    allowed_countries: list[str] = Field(
        description="ISO 3166-1 alpha-2 codes players may register from; empty: all"
    )
    selectable_countries: list[str] = Field(
        description="the codes registration accepts, sorted: the allow-list when there is"
        " one, else every officially assigned ISO 3166-1 alpha-2 code"
    )
    country_required: bool = Field(description="registration must give a country")
    identity_required: Literal["never", "first_cash_purchase", "above_threshold"] = Field(
        description="when cash purchases need a verified identity (POST /api/users/me/identity)"
    )


class TermsAcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terms_version: str = Field(min_length=1, max_length=40)
    privacy_version: str = Field(min_length=1, max_length=40)


class TermsStatus(BaseModel):
    """The player's acceptance of the terms and privacy notice."""

    terms_version: str = Field(description="the current terms")
    privacy_version: str = Field(description="the current privacy notice")
    accepted_terms_version: str | None
    accepted_privacy_version: str | None
    accepted_at: datetime | None
    current: bool = Field(description="false: accept the current versions before buying")

    @classmethod
    def of(cls, standing: TermsStanding) -> TermsStatus:
        return cls(
            terms_version=standing.terms_version,
            privacy_version=standing.privacy_version,
            accepted_terms_version=standing.accepted_terms_version,
            accepted_privacy_version=standing.accepted_privacy_version,
            accepted_at=standing.accepted_at,
            current=standing.current,
        )


class IdentityCheckRead(BaseModel):
    provider: str
    check_id: str
    status: Literal["verified", "pending"]
    url: str = Field(description="where the player continues the check")
    verified_identity: bool
