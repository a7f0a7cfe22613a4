"""Request and response bodies for buying tickets and listing a player's entries."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from alot_platform.entries.models import (
    FreeEntryRoute,
    LotEntry,
    LotEntryPurchase,
    LotFreeEntry,
    PaymentMethod,
    PurchaseStatus,
)
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.lots.schemas import Answer
from alot_platform.money import format_cents
from alot_platform.pagination import Page
from alot_platform.types import StrictInt

MAX_BUNDLE_INDEX = 99  # a lot has at most 20 bundles; an index past them answers 4xx


class CashPurchase(BaseModel):
    """Buy one of the lot's entry bundles with cash (through the payment provider)."""

    model_config = ConfigDict(extra="forbid")

    bundle_index: StrictInt = Field(
        ge=0, le=MAX_BUNDLE_INDEX, description="index into the lot's `bundles`"
    )


class CreditPurchase(BaseModel):
    """Buy tickets with credits: 100 credits per ticket."""

    model_config = ConfigDict(extra="forbid")

    tickets: StrictInt = Field(ge=1, le=10_000)


class PaymentRead(BaseModel):
    provider: str
    payment_id: str | None
    test_mode: bool = Field(description="true when no real money moved (sandbox)")
    checkout_url: str | None = Field(
        default=None, description="where the buyer completes a pending payment"
    )


class PurchaseRead(BaseModel):
    """A purchase and the tickets it owns (none while its payment is pending)."""

    id: uuid.UUID
    lot_id: uuid.UUID
    method: PaymentMethod
    status: PurchaseStatus
    bundle_index: int | None
    tickets: int
    amount_cents: int = Field(description="cash paid, in cents")
    amount: str = Field(description="cash paid, for display", examples=["2.00"])
    spent_credits: int
    currency: str
    tickets_start: int | None
    tickets_end: int | None
    holder: str | None = Field(
        description="the player's holder pseudonym in this lot: how the lot's public draw"
        " proof names the holder of these tickets (64 hex; one per player and lot, so"
        " nobody links a player across lots); null on a lot that names holders by user"
        " id, or while the purchase owns no tickets yet"
    )
    payment: PaymentRead | None = Field(description="for cash purchases")
    ledger_seq: int | None = Field(
        description="the ledger transaction that recorded it (null while a payment is"
        " pending); its buyer reads its inclusion proof at"
        " /api/ledger/proofs/inclusion?seq= with no role"
    )
    lot_status: LotStatus = Field(description="the lot's state now (funded if this filled it)")
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(
        cls,
        purchase: LotEntryPurchase,
        entry: LotEntry | None,
        lot: Lot,
        *,
        test_mode: bool,
        checkout_url: str | None = None,
    ) -> PurchaseRead:
        payment = None
        if purchase.method == PaymentMethod.CASH.value and purchase.provider is not None:
            payment = PaymentRead(
                provider=purchase.provider,
                payment_id=purchase.provider_payment_id,
                test_mode=test_mode,
                checkout_url=checkout_url,
            )
        return cls(
            id=purchase.id,
            lot_id=purchase.lot_id,
            method=PaymentMethod(purchase.method),
            status=PurchaseStatus(purchase.status),
            bundle_index=purchase.bundle_index,
            tickets=purchase.tickets,
            amount_cents=purchase.amount_cents,
            amount=format_cents(purchase.amount_cents),
            spent_credits=purchase.credits_spent,
            currency=purchase.currency,
            tickets_start=entry.tickets_start if entry else None,
            tickets_end=entry.tickets_end if entry else None,
            holder=entry.holder if entry else None,
            payment=payment,
            ledger_seq=purchase.ledger_seq,
            lot_status=LotStatus(lot.status),
            created_at=purchase.created_at,
            completed_at=purchase.completed_at,
        )


class EntryRead(BaseModel):
    """One ticket range a player owns in a lot."""

    id: uuid.UUID
    lot_id: uuid.UUID
    lot_title: str
    lot_status: LotStatus
    purchase_id: uuid.UUID
    purchase_status: PurchaseStatus = Field(description="succeeded, or refunded")
    method: PaymentMethod
    tickets_start: int
    tickets_end: int
    ticket_count: int
    holder: str | None = Field(
        description="the player's holder pseudonym in this lot: how the lot's public draw"
        " proof names the holder of these tickets (64 hex; one per player and lot, so"
        " nobody links a player across lots); null on a lot that names holders by user"
        " id"
    )
    amount_paid_cents: int
    amount_paid: str = Field(examples=["2.00"])
    spent_credits: int
    is_winner: bool = Field(
        description="true on the one entry holding the lot's winning ticket; the winner's"
        " other entries in the lot are false"
    )
    awarded_credits: int = Field(description="credits this entry earned when its lot settled")
    refund_choice: str | None = Field(
        description="cash or credits once the purchase's refund is chosen (or made by the"
        " platform: credits spent come back as credits, no choice after the date is cash)"
    )
    refunded_cents: int | None = Field(description="cash refunded, once done")
    refunded_credits: int | None = Field(description="credits given back, once done")
    refund_choice_deadline: datetime | None = Field(
        description="the lot's date to choose a refund by, once its refunds started"
    )
    ledger_seq: int | None = Field(
        description="the ledger transaction that recorded its purchase (the purchase's"
        " `ledger_seq`); its buyer reads its inclusion proof at"
        " /api/ledger/proofs/inclusion?seq= with no role"
    )
    created_at: datetime

    @classmethod
    def of(cls, entry: LotEntry, purchase: LotEntryPurchase, lot: Lot) -> EntryRead:
        return cls(
            id=entry.id,
            lot_id=entry.lot_id,
            lot_title=lot.title,
            lot_status=LotStatus(lot.status),
            purchase_id=entry.purchase_id,
            purchase_status=PurchaseStatus(purchase.status),
            method=PaymentMethod(purchase.method),
            tickets_start=entry.tickets_start,
            tickets_end=entry.tickets_end,
            ticket_count=entry.ticket_count,
            holder=entry.holder,
            amount_paid_cents=entry.amount_paid_cents,
            amount_paid=format_cents(entry.amount_paid_cents),
            spent_credits=entry.credits_spent,
            is_winner=entry.is_winner,
            awarded_credits=entry.credits_awarded,
            refund_choice=purchase.refund_choice,
            refunded_cents=purchase.refunded_cents,
            refunded_credits=purchase.refunded_credits,
            refund_choice_deadline=lot.refund_choice_deadline,
            ledger_seq=purchase.ledger_seq,
            created_at=entry.created_at,
        )


class EntryPage(Page[EntryRead]):
    """The caller's entries, newest first."""


# -- free entry (no purchase necessary) and odds -----------------------------------------

PostalReference = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[\x21-\x7e ]+$"
    ),
]


class PostalFreeEntry(BaseModel):
    """A free entry received by post, as an admin records it from the card."""

    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID = Field(description="the player the card names (their account)")
    received_on: date = Field(description="the day the card arrived")
    reference: PostalReference = Field(
        description="the card's reference (e.g. its envelope number), unique per lot:"
        " recording the same reference again answers the first entry",
        examples=["PO-2026-0042"],
    )
    trivia_answer: Answer = Field(description="the answer written on the card")


class FreeEntryRead(BaseModel):
    """A free entry and the one ticket it holds (drawn like any paid ticket)."""

    id: uuid.UUID = Field(description="its purchase id (method `free`)")
    lot_id: uuid.UUID
    user_id: uuid.UUID
    route: FreeEntryRoute
    method: PaymentMethod = Field(description="always `free`")
    tickets: int = Field(description="always 1")
    tickets_start: int
    tickets_end: int
    holder: str | None = Field(
        description="the player's holder pseudonym in this lot: how the lot's public draw"
        " proof names the holder of these tickets (64 hex; one per player and lot, so"
        " nobody links a player across lots); null on a lot that names holders by user"
        " id"
    )
    amount_cents: int = Field(description="always 0: nothing is paid")
    reference: str | None = Field(description="a postal entry's reference")
    received_on: date | None = Field(description="the day a postal entry arrived")
    ledger_seq: int | None = Field(
        description="the ledger's `free_entry` transaction (no postings) that recorded it"
    )
    lot_status: LotStatus
    created_at: datetime

    @classmethod
    def of(
        cls, purchase: LotEntryPurchase, entry: LotEntry, free_entry: LotFreeEntry, lot: Lot
    ) -> FreeEntryRead:
        return cls(
            id=purchase.id,
            lot_id=purchase.lot_id,
            user_id=purchase.user_id,
            route=FreeEntryRoute(free_entry.route),
            method=PaymentMethod(purchase.method),
            tickets=purchase.tickets,
            tickets_start=entry.tickets_start,
            tickets_end=entry.tickets_end,
            holder=entry.holder,
            amount_cents=purchase.amount_cents,
            reference=free_entry.reference,
            received_on=free_entry.received_on,
            ledger_seq=purchase.ledger_seq,
            lot_status=LotStatus(lot.status),
            created_at=purchase.created_at,
        )


class FreeEntryStandingRead(BaseModel):
    period_days: int | None = Field(
        description="null: one free entry per player in this lot; else one per this many days"
    )
    used: int = Field(description="free entries the player has in this lot")
    available: bool = Field(
        description="whether the period allows a free entry now (the lot must be selling"
        " and the trivia passed too)"
    )
    next_at: datetime | None = Field(
        description="when the next free entry opens; null when available, or never again"
    )


class MyOddsRead(BaseModel):
    """The caller's chance in a lot as it stands: every ticket, paid or free, has the
    same chance, 1 in `tickets_sold`; the final odds are fixed when the lot funds."""

    lot_id: uuid.UUID
    lot_status: LotStatus
    tickets_sold: int = Field(description="every ticket in the lot, paid and free")
    free_tickets: int = Field(description="of `tickets_sold`, those from free entries")
    per_ticket: str | None = Field(
        description='"1 in N": the chance of each ticket now; null before any',
        examples=["1 in 250"],
    )
    my_tickets: int = Field(description="tickets the caller holds, paid and free")
    my_free_tickets: int
    my_odds: str | None = Field(
        description='"k in N": the caller\'s chance now; null while they hold none',
        examples=["3 in 250"],
    )
    my_chance_bps: int = Field(
        description="my_tickets / tickets_sold in basis points (10000 = certain), rounded down"
    )
    free_entry: FreeEntryStandingRead
