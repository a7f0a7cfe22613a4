"""Request and response bodies for hosts (applications, review, profiles) and host lots.

Three views of a host: the public profile (``HostPublicRead``: no business details),
the host's own (``HostRead``: business details, status, reason, commission) and the
admins' (``HostAdminRead``: the host's own plus who applied and who reviewed).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from alot_platform.hosts.models import Host, HostStatus
from alot_platform.lots.models import DrawAlgorithm, LotReview, LotStatus, LotType
from alot_platform.lots.schemas import (
    Answer,
    EntryBundles,
    LotRead,
    Name,
    ProductFields,
    ProductFieldsUpdate,
    Question,
    _check_bundles,
)
from alot_platform.money import format_cents
from alot_platform.pagination import Page
from alot_platform.types import (
    CONTROL_CHARACTERS,
    Cents,
    MultilineText,
    Percent,
    PlainText,
    StrictInt,
    Timestamp,
)

HttpsUrl = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=500, pattern=rf"^https://[^\s{CONTROL_CHARACTERS}]+$"
    ),
    Field(description="an https:// URL", examples=["https://example.com/logo.png"]),
]
Country = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 country code", examples=["GB"]),
]
Description = Annotated[MultilineText, StringConstraints(max_length=5000)]
ShortText = Annotated[
    PlainText, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
]
Reason = Annotated[
    PlainText, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
]
CommissionBps = Annotated[StrictInt, Field(ge=0, le=10_000, description="basis points")]
InviteCode = Annotated[
    PlainText,
    StringConstraints(strip_whitespace=True, min_length=4, max_length=100),
    Field(description="compared like a trivia answer (case- and spacing-insensitively)"),
]


class BusinessDetails(BaseModel):
    """Seen by the host and admins only; never on the public profile."""

    model_config = ConfigDict(extra="forbid")

    legal_name: ShortText
    registration_number: Annotated[
        PlainText, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
    ]
    vat_number: (
        Annotated[PlainText, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
        | None
    ) = None
    address_lines: list[ShortText] = Field(min_length=1, max_length=5)


class HostApply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: ShortText
    description: Description | None = None
    logo_url: HttpsUrl | None = None
    website_url: HttpsUrl | None = None
    country: Country
    business_details: BusinessDetails


class HostUpdate(BaseModel):
    """Changes to your host profile; absent fields keep their value. A rejected
    application edited this way goes back to `pending` (it is the re-application)."""

    model_config = ConfigDict(extra="forbid")

    display_name: ShortText | None = None
    description: Description | None = None
    logo_url: HttpsUrl | None = None
    website_url: HttpsUrl | None = None
    country: Country | None = None
    business_details: BusinessDetails | None = None


class HostStats(BaseModel):
    lots_created: int
    lots_funded: int


class HostPublicRead(BaseModel):
    """A host's public profile (approved hosts only)."""

    id: uuid.UUID
    display_name: str
    description: str | None
    logo_url: str | None
    website_url: str | None
    country: str
    stats: HostStats


class HostRead(HostPublicRead):
    """Your own profile: the public one plus business details, review and commission."""

    business_details: dict[str, Any]
    status: HostStatus
    status_reason: str | None = Field(description="the last review's reason")
    reviewed_at: datetime | None
    approved_at: datetime | None
    commission_bps: int = Field(description="ALOT!'s share of your lots, in basis points")
    commission_percent: str = Field(examples=["15.00"])
    payouts_enabled: bool
    created_at: datetime
    updated_at: datetime


class HostAdminRead(HostRead):
    user_id: uuid.UUID
    username: str
    reviewed_by: uuid.UUID | None


class HostAdminPage(Page[HostAdminRead]):
    """Host profiles, newest application first."""


class HostReview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="sent to the host in the review's email")


class HostApprove(HostReview):
    commission_bps: CommissionBps | None = Field(
        default=None, description="default: ALOT_HOST_DEFAULT_COMMISSION_BPS"
    )


class HostCommissionUpdate(HostReview):
    commission_bps: CommissionBps


# -- host lots ------------------------------------------------------------------------


class HostProduct(ProductFields):
    """The host's own product: the lot's prize (a product class only this host uses)."""


class HostProductUpdate(ProductFieldsUpdate):
    """Fields to change; absent fields keep their value."""


HostVisibility = Literal["public", "private"]


class HostLotCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product: HostProduct
    title: Name
    lot_type: LotType = LotType.KNOWN
    funding_target_cents: Cents
    deadline: Timestamp = Field(description="must be in the future")
    entry_bundles: EntryBundles
    visibility: HostVisibility = Field(
        default="public",
        description="public: listed on the marketplace; private: reached by its link only",
    )
    invite_code: InviteCode | None = Field(
        default=None, description="private lots only: entering needs this code too"
    )
    trivia_question: Question
    trivia_answer: Answer
    draw_algorithm: DrawAlgorithm | None = None
    max_tickets_per_user: StrictInt | None = Field(default=None, ge=1, le=10_000_000)
    free_entry_period_days: StrictInt | None = Field(
        default=None,
        ge=1,
        le=366,
        description="free entry (no purchase necessary): null allows one per player in"
        " the lot; N allows one per player every N days",
    )
    non_winner_credit_rate_percent: Percent = 10

    @model_validator(mode="after")
    def _checks(self) -> HostLotCreate:
        _check_bundles(self.entry_bundles)
        if self.invite_code is not None and self.visibility != "private":
            raise ValueError("invite_code: only a private lot has an invite code")
        return self


class HostLotUpdate(BaseModel):
    """Changes to a lot not yet open; absent fields keep their value. Editing a lot
    pending review, or rejected, puts it back to `draft` (submit it again)."""

    model_config = ConfigDict(extra="forbid")

    product: HostProductUpdate | None = None
    title: Name | None = None
    lot_type: LotType | None = None
    funding_target_cents: Cents | None = None
    deadline: Timestamp | None = None
    entry_bundles: EntryBundles | None = None
    visibility: HostVisibility | None = None
    invite_code: InviteCode | None = Field(
        default=None, description="set or change it (private lots); null removes it"
    )
    trivia_question: Question | None = None
    trivia_answer: Answer | None = None
    draw_algorithm: DrawAlgorithm | None = None
    max_tickets_per_user: StrictInt | None = Field(default=None, ge=1, le=10_000_000)
    free_entry_period_days: StrictInt | None = Field(
        default=None,
        ge=1,
        le=366,
        description="free entry (no purchase necessary): null allows one per player in"
        " the lot; N allows one per player every N days",
    )
    non_winner_credit_rate_percent: Percent | None = None

    @model_validator(mode="after")
    def _checks(self) -> HostLotUpdate:
        _check_bundles(self.entry_bundles)
        return self


class HostLotEconomics(BaseModel):
    """What the lot's funded value divides into, at its target (escrow.split)."""

    commission_bps: int
    commission_percent: str
    target_cents: int
    commission_cents: int = Field(description="ALOT!'s commission at the target")
    host_share_cents: int = Field(description="your share at the target")
    commission: str
    host_share: str


class HostLotRead(BaseModel):
    lot: LotRead
    review_status: LotReview
    review_reason: str | None
    private_link: str | None = Field(description="the web client's link of a private lot")
    access_token: str | None = Field(description="GET /api/lots/private/{access_token}")
    invite_code_set: bool
    economics: HostLotEconomics


class HostLotPage(Page[HostLotRead]):
    """Your lots, newest first."""


class LotReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = Field(default=None, description="sent to the host")


class LotReject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="sent to the host")


class BuyerRead(BaseModel):
    username: str
    tickets: int


class HostLotSales(BaseModel):
    """A host lot's sales: figures, buyers by username, and its money in the ledger."""

    lot_id: uuid.UUID
    status: LotStatus
    review_status: LotReview
    tickets_sold: int
    funded_cents: int
    cash_cents: int
    spent_credits: int = Field(description="credits spent on tickets (1 credit = 1 cent)")
    entries: int = Field(description="purchases accepted (each a block of tickets)")
    buyers: list[BuyerRead] = Field(description="usernames only, most tickets first")
    funded_at: datetime | None
    drawn_at: datetime | None
    settled_at: datetime | None
    expired_at: datetime | None
    commission_bps: int
    commission_cents: int = Field(description="of the funded value so far")
    host_share_cents: int = Field(description="of the funded value so far")
    held_cents: int = Field(description="this lot's share held in escrow (host:<id>:held)")
    payable_cents: int = Field(description="released to you (host:<id>:payable)")


def host_stats(host: Host) -> HostStats:
    return HostStats(lots_created=host.total_lots_created, lots_funded=host.total_lots_funded)


def host_public_read(host: Host) -> HostPublicRead:
    return HostPublicRead(
        id=host.id,
        display_name=host.display_name,
        description=host.description,
        logo_url=host.logo_url,
        website_url=host.website_url,
        country=host.country,
        stats=host_stats(host),
    )


def _own_fields(host: Host) -> dict[str, Any]:
    return {
        **host_public_read(host).model_dump(),
        "business_details": host.business_details,
        "status": HostStatus(host.status),
        "status_reason": host.status_reason,
        "reviewed_at": host.reviewed_at,
        "approved_at": host.approved_at,
        "commission_bps": host.commission_bps,
        "commission_percent": format_cents(host.commission_bps),
        "payouts_enabled": host.payouts_enabled,
        "created_at": host.created_at,
        "updated_at": host.updated_at,
    }


def host_read(host: Host) -> HostRead:
    return HostRead(**_own_fields(host))


def host_admin_read(host: Host, username: str) -> HostAdminRead:
    return HostAdminRead(
        **_own_fields(host), user_id=host.user_id, username=username, reviewed_by=host.reviewed_by
    )
