"""Request and response bodies for the catalogue (product classes) and lots.

Money is integer minor units (`*_cents`) with a two-decimal display string beside it
where a client would show it. Timestamps are ISO 8601 UTC.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from alot_verify.beacon import KNOWN_CHAINS
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    model_validator,
)

from alot_platform.lots.models import (
    DrawAlgorithm,
    Lot,
    LotStatus,
    LotType,
    ProductClass,
    Tier,
    Visibility,
)
from alot_platform.money import format_cents
from alot_platform.pagination import Page
from alot_platform.types import (
    CONTROL_CHARACTERS,
    PLAIN_TEXT_PATTERN,
    Cents,
    MultilineText,
    Percent,
    PlainText,
    SafeInt,
    StrictInt,
    Timestamp,
)

Name = Annotated[PlainText, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Category = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,49}$"
    ),
    Field(description="e.g. watch, bag, memorabilia (stored lower-case)", examples=["watch"]),
]
Url = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=500,
        pattern=rf"^https?://[^\s{CONTROL_CHARACTERS}]+$",
    ),
]
SpecificationValue = (
    Annotated[PlainText, StringConstraints(max_length=1000)] | SafeInt | Annotated[bool, Strict()]
)
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")


def _plain_names(specifications: dict[str, Any]) -> dict[str, Any]:
    # Checked here, not by a pattern on the key type: JSON Schema would turn that into
    # `patternProperties`, which leaves every other name unconstrained (the document
    # states the rule as `propertyNames` instead).
    if any(_CONTROL.search(name) for name in specifications):
        raise ValueError("a specification name holds a control character")
    return specifications


Specifications = Annotated[
    dict[Annotated[str, StringConstraints(max_length=100)], SpecificationValue],
    Field(
        max_length=100,
        description='free-form facts, e.g. {"case_mm": 40}',
        json_schema_extra={"propertyNames": {"maxLength": 100, "pattern": PLAIN_TEXT_PATTERN}},
    ),
    AfterValidator(_plain_names),
]
Question = Annotated[
    PlainText, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
]
Answer = Annotated[
    PlainText,
    StringConstraints(min_length=1, max_length=500),
    Field(description="compared case-, accent-, spacing- and end-punctuation-insensitively"),
]


class ProductFields(BaseModel):
    """What describes a prize, for the admin's product classes and a host's own product."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    brand: Name | None = None
    category: Category
    tier: Tier
    retail_value_cents: Cents
    description: Annotated[MultilineText, StringConstraints(max_length=20_000)] | None = None
    specifications: Specifications = Field(default_factory=dict)
    images: list[Url] = Field(default_factory=list, max_length=20)


class ProductFieldsUpdate(BaseModel):
    """Fields to change; absent fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    brand: Name | None = None
    category: Category | None = None
    tier: Tier | None = None
    retail_value_cents: Cents | None = None
    description: Annotated[MultilineText, StringConstraints(max_length=20_000)] | None = None
    specifications: Specifications | None = None
    images: list[Url] | None = Field(default=None, max_length=20)


class ProductClassCreate(ProductFields):
    authenticity_certificate_url: Url | None = None


class ProductClassUpdate(ProductFieldsUpdate):
    """Fields to change; absent fields keep their value."""

    authenticity_certificate_url: Url | None = None


class ProductClassRead(BaseModel):
    id: uuid.UUID
    name: str
    brand: str | None
    category: str
    tier: Tier
    retail_value_cents: int
    retail_value: str = Field(examples=["12500.00"])
    currency: str
    description: str | None
    specifications: dict[str, str | int | bool]
    images: list[str]
    authenticity_certificate_url: str | None
    created_at: datetime
    updated_at: datetime


class ProductClassPage(Page[ProductClassRead]):
    """The catalogue, oldest first."""


class EntryBundle(BaseModel):
    """A way to buy tickets: `tickets` tickets for `price_cents` cents."""

    model_config = ConfigDict(extra="forbid")

    price_cents: StrictInt = Field(gt=0, le=10**9)
    tickets: StrictInt = Field(gt=0, le=100_000)


EntryBundles = Annotated[list[EntryBundle], Field(min_length=1, max_length=20)]


def _check_bundles(bundles: list[EntryBundle] | None) -> None:
    if bundles is None:
        return
    counts = [b.tickets for b in bundles]
    if len(set(counts)) != len(counts):
        raise ValueError("entry_bundles: two bundles sell the same number of tickets")


class LotCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_class_id: uuid.UUID
    title: Name = Field(description="shown to players; for a mystery lot, do not name the product")
    lot_type: LotType = LotType.KNOWN
    funding_target_cents: Cents
    deadline: Timestamp = Field(description="must be in the future")
    entry_bundles: EntryBundles
    visibility: Visibility = Visibility.PUBLIC
    trivia_question: Question
    trivia_answer: Answer
    draw_algorithm: DrawAlgorithm | None = Field(
        default=None, description="default: the platform's ALOT_DRAW_ALGORITHM_DEFAULT"
    )
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
    def _bundles_distinct(self) -> LotCreate:
        _check_bundles(self.entry_bundles)
        return self


class LotUpdate(BaseModel):
    """Changes to a lot that is not open yet; absent fields keep their value.

    `max_tickets_per_user: null` removes the cap; `free_entry_period_days: null` allows
    one free entry per player in the lot.
    """

    model_config = ConfigDict(extra="forbid")

    product_class_id: uuid.UUID | None = None
    title: Name | None = None
    lot_type: LotType | None = None
    funding_target_cents: Cents | None = None
    deadline: Timestamp | None = None
    entry_bundles: EntryBundles | None = None
    visibility: Visibility | None = None
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
    def _bundles_distinct(self) -> LotUpdate:
        _check_bundles(self.entry_bundles)
        return self


class LotExtend(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deadline: Timestamp = Field(description="later than both now and the current deadline")
    reason: Annotated[
        PlainText, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
    ] = Field(
        description="why the deadline moves (1-500 characters): recorded in the ledger's"
        " `lot_extended` memo with the admin's id",
        examples=["The prize's shipment is delayed by a week"],
    )


class ProductRead(BaseModel):
    """The prize itself (hidden on a mystery lot until it settles)."""

    product_class_id: uuid.UUID
    name: str
    brand: str | None
    description: str | None
    specifications: dict[str, str | int | bool]
    images: list[str]
    authenticity_certificate_url: str | None


class FundingRead(BaseModel):
    target_cents: int
    target: str = Field(examples=["5000.00"])
    funded_cents: int = Field(description="cash paid plus credits spent (1 credit = 1 cent)")
    funded: str
    cash_cents: int
    spent_credits: int = Field(description="credits spent on tickets (1 credit = 1 cent)")
    progress_bps: int = Field(description="funded / target in basis points (10000 = 100%)")
    progress_percent: str = Field(examples=["42.50"])


class BundleRead(BaseModel):
    index: int = Field(description="send as bundle_index to buy it")
    price_cents: int
    price: str
    tickets: int
    price_per_ticket: str = Field(description="price / tickets, rounded half up to the cent")


class DrawCommitmentRead(BaseModel):
    algorithm: DrawAlgorithm
    server_seed_commitment: str | None = Field(description="published when the lot opens")
    commitment_ledger_seq: int | None = Field(description="the ledger transaction holding it")


class DrawBeaconRead(BaseModel):
    """The drand chain a lot declared, when it opened, that its draw will use."""

    chain_name: str = Field(examples=["quicknet"])
    chain_hash: str = Field(description="the chain's hash (hex), as drand serves it")
    scheme: str = Field(examples=["bls-unchained-g1-rfc9380"])


class LotHostRead(BaseModel):
    """Who sells a host lot (its public profile is GET /api/hosts/{id})."""

    id: uuid.UUID
    display_name: str


class LotRead(BaseModel):
    id: uuid.UUID
    title: str
    lot_type: LotType
    status: LotStatus
    visibility: Visibility
    tier: Tier
    category: str
    retail_value_cents: int
    retail_value: str
    currency: str
    product: ProductRead | None = Field(description="null on a mystery lot until it settles")
    funding: FundingRead
    tickets_sold: int
    odds_per_ticket: str | None = Field(
        description='"1 in N" with N the tickets sold; null before any', examples=["1 in 250"]
    )
    price_per_ticket_cents: int = Field(description="lowest per-ticket price over the bundles")
    price_per_ticket: str
    entry_bundles: list[BundleRead]
    deadline: datetime
    seconds_left: int = Field(description="until the deadline while open (0 otherwise)")
    max_tickets_per_user: int | None
    free_entry_period_days: int | None = Field(
        description="free entry (no purchase necessary, the same odds per ticket): null"
        " allows one per player in the lot; N one per player every N days"
    )
    non_winner_credit_rate_percent: int
    trivia_question: str
    draw: DrawCommitmentRead
    draw_beacon: DrawBeaconRead | None = Field(
        description="the drand chain the lot declared when it opened: its draw mixes in"
        " the first round of it due more than 30 s after funding, fixed at funding; null"
        " for a lot declared beacon-less, not opened yet, or opened before declarations"
    )
    beacon_less: bool = Field(
        description="true when the lot was declared without a public beacon when it opened:"
        " the operator could then predict its draw; false for lots not yet opened and lots"
        " opened before declarations existed"
    )
    pseudonymous_holders: bool = Field(
        description="true when the lot's draw proof names each holder by a pseudonym for"
        " this lot (the `holder` on the player's purchases and entries), not by user id;"
        " false for lots created before pseudonyms existed"
    )
    refund_choice_deadline: datetime | None
    created_at: datetime
    opened_at: datetime | None
    funded_at: datetime | None
    drawn_at: datetime | None
    settled_at: datetime | None
    expired_at: datetime | None
    refunding_at: datetime | None
    closed_at: datetime | None
    host: LotHostRead | None = Field(
        default=None, description="the host selling it; null for the platform's own lots"
    )
    commission_bps: int | None = Field(
        default=None,
        description="a host lot's commission (ALOT!'s share, basis points), frozen when it"
        " opens; null for the platform's own lots",
    )


class LotPage(Page[LotRead]):
    """Lots in the order `sort` asks for."""


LotSort = Literal["newest", "ending_soon", "most_funded"]


class LeaderboardRow(BaseModel):
    rank: int = Field(description="1-based position: most tickets first, ties by username")
    username: str
    tickets: int
    entries: int


class LeaderboardPage(Page[LeaderboardRow]):
    """Tickets per player in a lot, most first (the lot's `tickets_sold` is the total)."""


# -- building responses ----------------------------------------------------------------


def product_class_read(product: ProductClass) -> ProductClassRead:
    return ProductClassRead(
        id=product.id,
        name=product.name,
        brand=product.brand,
        category=product.category,
        tier=Tier(product.tier),
        retail_value_cents=product.retail_value_cents,
        retail_value=format_cents(product.retail_value_cents),
        currency=product.currency,
        description=product.description,
        specifications=product.specifications,
        images=product.images,
        authenticity_certificate_url=product.authenticity_certificate_url,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def lot_read(lot: Lot, now: datetime, *, show_product: bool = False) -> LotRead:
    """The public view of a lot; a mystery lot's product shows once settled (or to admins)."""
    product = lot.product_class
    revealed = show_product or lot.lot_type != LotType.MYSTERY or lot.status == LotStatus.SETTLED
    funded = lot.funded_cents
    progress = funded * 10_000 // lot.funding_target_cents
    bundles = [
        BundleRead(
            index=index,
            price_cents=b["price_cents"],
            price=format_cents(b["price_cents"]),
            tickets=b["tickets"],
            price_per_ticket=format_cents(_per_ticket(b)),
        )
        for index, b in enumerate(lot.entry_bundles)
    ]
    cheapest = min(_per_ticket(b) for b in lot.entry_bundles)
    running = lot.status in (LotStatus.CREATED, LotStatus.OPEN)
    return LotRead(
        id=lot.id,
        title=lot.title,
        lot_type=LotType(lot.lot_type),
        status=LotStatus(lot.status),
        visibility=Visibility(lot.visibility),
        tier=Tier(product.tier),
        category=product.category,
        retail_value_cents=product.retail_value_cents,
        retail_value=format_cents(product.retail_value_cents),
        currency=lot.currency,
        product=(
            ProductRead(
                product_class_id=product.id,
                name=product.name,
                brand=product.brand,
                description=product.description,
                specifications=product.specifications,
                images=product.images,
                authenticity_certificate_url=product.authenticity_certificate_url,
            )
            if revealed
            else None
        ),
        funding=FundingRead(
            target_cents=lot.funding_target_cents,
            target=format_cents(lot.funding_target_cents),
            funded_cents=funded,
            funded=format_cents(funded),
            cash_cents=lot.cash_cents,
            spent_credits=lot.credits_spent,
            progress_bps=progress,
            progress_percent=format_cents(progress),
        ),
        tickets_sold=lot.tickets_sold,
        odds_per_ticket=f"1 in {lot.tickets_sold}" if lot.tickets_sold else None,
        price_per_ticket_cents=cheapest,
        price_per_ticket=format_cents(cheapest),
        entry_bundles=bundles,
        deadline=lot.deadline,
        seconds_left=max(0, int((lot.deadline - now).total_seconds())) if running else 0,
        max_tickets_per_user=lot.max_tickets_per_user,
        free_entry_period_days=lot.free_entry_period_days,
        non_winner_credit_rate_percent=lot.non_winner_credit_rate_percent,
        trivia_question=lot.trivia_question,
        draw=DrawCommitmentRead(
            algorithm=DrawAlgorithm(lot.draw_algorithm),
            server_seed_commitment=lot.server_seed_commitment,
            commitment_ledger_seq=lot.commitment_ledger_seq,
        ),
        draw_beacon=_declared_beacon(lot),
        beacon_less=lot.beacon_declared and lot.beacon_chain_hash is None,
        pseudonymous_holders=lot.pseudonymous_holders,
        refund_choice_deadline=lot.refund_choice_deadline,
        created_at=lot.created_at,
        opened_at=lot.opened_at,
        funded_at=lot.funded_at,
        drawn_at=lot.drawn_at,
        settled_at=lot.settled_at,
        expired_at=lot.expired_at,
        refunding_at=lot.refunding_at,
        closed_at=lot.closed_at,
        host=(
            LotHostRead(id=lot.host.id, display_name=lot.host.display_name)
            if lot.host_id is not None and lot.host is not None
            else None
        ),
        commission_bps=lot.commission_bps if lot.host_id is not None else None,
    )


def _declared_beacon(lot: Lot) -> DrawBeaconRead | None:
    if not lot.beacon_declared or lot.beacon_chain_hash is None:
        return None
    chain = KNOWN_CHAINS.get(lot.beacon_chain_hash)
    return DrawBeaconRead(
        # Only pinned chains are declared; a name is shown for any all the same.
        chain_name=chain.name if chain is not None else lot.beacon_chain_hash[:16],
        chain_hash=lot.beacon_chain_hash,
        scheme=chain.scheme if chain is not None else "unknown",
    )


def _per_ticket(bundle: dict[str, int]) -> int:
    """A bundle's price per ticket in cents, rounded half up (display only)."""
    price, tickets = bundle["price_cents"], bundle["tickets"]
    return (2 * price + tickets) // (2 * tickets)
