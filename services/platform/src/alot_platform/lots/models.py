"""Product classes (the catalogue) and lots (one prize on sale as numbered tickets).

Money is integers in minor units: `*_cents` columns are USD cents. A lot's funding
counts cash cents plus credits spent (1 credit = 1 cent of platform value).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alot_platform.db import Base, UTCDateTime

if TYPE_CHECKING:
    from alot_platform.hosts.models import Host


def sql_in(values: type[StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class Tier(StrEnum):
    ICON = "ICON"
    RARE = "RARE"
    GRAIL = "GRAIL"
    MYTHIC = "MYTHIC"


class LotStatus(StrEnum):
    CREATED = "created"
    OPEN = "open"
    FUNDED = "funded"
    DRAWING = "drawing"
    SETTLED = "settled"
    EXPIRED = "expired"
    REFUNDING = "refunding"
    CLOSED = "closed"


class LotType(StrEnum):
    KNOWN = "known"
    MYSTERY = "mystery"


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    UNLISTED = "unlisted"


class LotReview(StrEnum):
    """A host lot's review (NULL for platform lots): approval opens it."""

    DRAFT = "draft"
    PENDING = "pending"
    REJECTED = "rejected"
    APPROVED = "approved"


class DrawAlgorithm(StrEnum):
    V1 = "alot-v1"
    V2 = "alot-v2"


class ProductClass(Base):
    __tablename__ = "product_classes"
    __table_args__ = (
        CheckConstraint(f"tier IN ({sql_in(Tier)})", name="tier"),
        CheckConstraint("retail_value_cents > 0", name="retail_value_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(255))
    brand: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(50), index=True)
    tier: Mapped[str] = mapped_column(String(20), index=True)
    retail_value_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    description: Mapped[str | None] = mapped_column(Text)
    specifications: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A host's own product (NULL for the platform's catalogue); only that host uses it.
    host_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hosts.id"), index=True)
    authenticity_certificate_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Lot(Base):
    __tablename__ = "lots"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(LotStatus)})", name="status"),
        CheckConstraint(f"lot_type IN ({sql_in(LotType)})", name="lot_type"),
        CheckConstraint(f"visibility IN ({sql_in(Visibility)})", name="visibility"),
        CheckConstraint(f"draw_algorithm IN ({sql_in(DrawAlgorithm)})", name="draw_algorithm"),
        CheckConstraint("funding_target_cents > 0", name="target_positive"),
        CheckConstraint("cash_cents >= 0 AND credits_spent >= 0", name="funding_not_negative"),
        CheckConstraint("tickets_sold >= 0", name="tickets_not_negative"),
        CheckConstraint(
            "free_entry_period_days IS NULL OR free_entry_period_days >= 1",
            name="free_entry_period_positive",
        ),
        CheckConstraint(
            "non_winner_credit_rate_percent BETWEEN 0 AND 100", name="credit_rate_percent"
        ),
        CheckConstraint(
            "commission_bps IS NULL OR commission_bps BETWEEN 0 AND 10000", name="commission_bps"
        ),
        CheckConstraint(
            f"review_status IS NULL OR review_status IN ({sql_in(LotReview)})",
            name="review_status",
        ),
        Index("ix_lots_status_deadline", "status", "deadline"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    product_class_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product_classes.id"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    lot_type: Mapped[str] = mapped_column(String(20), default=LotType.KNOWN.value)
    title: Mapped[str] = mapped_column(String(255))
    funding_target_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=LotStatus.CREATED.value)

    # Funding: cash received plus credits spent (1 credit = 1 cent); tickets sold so far.
    cash_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_spent: Mapped[int] = mapped_column(BigInteger, default=0)
    tickets_sold: Mapped[int] = mapped_column(Integer, default=0)
    # Of tickets_sold, those given by free entries (no purchase necessary).
    free_tickets: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # [{"price_cents": 200, "tickets": 2}, ...]
    entry_bundles: Mapped[list[dict[str, int]]] = mapped_column(JSON)
    visibility: Mapped[str] = mapped_column(String(20), default=Visibility.PUBLIC.value)
    max_tickets_per_user: Mapped[int | None] = mapped_column(Integer)
    # One free entry per player per lot (NULL), or one per player per this many days.
    free_entry_period_days: Mapped[int | None] = mapped_column(Integer)
    non_winner_credit_rate_percent: Mapped[int] = mapped_column(Integer, default=10)

    trivia_question: Mapped[str] = mapped_column(Text)
    # HMAC-SHA256 of the normalized answer under a server key: a dump reveals no answer.
    trivia_answer_hmac: Mapped[str] = mapped_column(String(64))

    draw_algorithm: Mapped[str] = mapped_column(String(16))
    # The server seed stays secret until the draw, so it is stored sealed (see
    # security.crypto.SeedSealer; a dump shows no seed); its commitment is public from
    # opening. The draw record keeps the seed in the clear once it is drawn.
    server_seed_sealed: Mapped[str | None] = mapped_column(String(255))
    server_seed_commitment: Mapped[str | None] = mapped_column(String(64))
    commitment_ledger_seq: Mapped[int | None] = mapped_column(BigInteger)
    # The randomness beacon declared when the lot opened, in its draw_commitment memo:
    # the drand chain its draw will use, or none (declared beacon-less). The freeze uses
    # the declared chain, never today's settings, so changing the configuration cannot
    # take a lot's beacon away. Lots opened before the declaration existed are
    # undeclared (beacon_declared false).
    beacon_chain_hash: Mapped[str | None] = mapped_column(String(64))
    beacon_declared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The ticket map names holders by a per-lot pseudonym (lot_entries.holder), not by
    # user id: true for every lot created since migration 0023, false for the lots that
    # existed before it, whose draws stay exactly as they were.
    pseudonymous_holders: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=false()
    )

    refund_choice_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The marketplace: NULL for platform lots. A host lot carries its host's commission
    # (ALOT!'s share, basis points), copied at creation and frozen when it opens.
    host_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hosts.id"), index=True)
    commission_bps: Mapped[int | None] = mapped_column(Integer)
    review_status: Mapped[str | None] = mapped_column(String(20))
    review_reason: Mapped[str | None] = mapped_column(Text)
    # A private lot is reached by its unguessable link (this token, 256 bits), and,
    # when set, entered only with its invite code (stored as an HMAC, like trivia).
    access_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_code_hmac: Mapped[str | None] = mapped_column(String(64))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    funded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    drawing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunding_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    product_class: Mapped[ProductClass] = relationship(lazy="joined")
    # Loaded on first use (a platform lot never touches it): only host lots' views read it.
    host: Mapped[Host | None] = relationship(lazy="select")

    @property
    def funded_cents(self) -> int:
        """Cash plus credits spent, in cents: what counts towards the target."""
        return self.cash_cents + self.credits_spent


# Lot.host names Host, so Host's mapper must be loaded whenever Lot's is: a program
# that imports only some models (a script, a task) would otherwise fail at its first
# query. Last in the module, because hosts.models imports this one.
from alot_platform.hosts import models as _hosts_models  # noqa: E402, F401
