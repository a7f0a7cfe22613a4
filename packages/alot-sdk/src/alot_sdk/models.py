"""Pydantic models of what the platform returns (and the few shapes callers send).

Ids are strings (pass `lot.id` straight back to any method); timestamps are aware
datetimes; money is integers named for their unit: `*_cents` for US cents, `*_credits`
for whole credits, beside the platform's own two-decimal display strings. Models accept
members this SDK does not know yet, so an older SDK keeps working against a newer
platform.

Ledger documents (`LedgerTransaction`, `InclusionProof`) are parsed for convenience
only: verification always hashes the JSON exactly as it arrived.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alot_sdk.money import format_credits, format_money

__all__ = [
    "Accepted",
    "AdminOverview",
    "AdminPayouts",
    "Analytics",
    "AnalyticsConversion",
    "AnalyticsCredits",
    "AnalyticsDay",
    "AnalyticsLotRevenue",
    "AnalyticsMoney",
    "AnalyticsRevenuePerLot",
    "AnalyticsTimeToFunding",
    "Balance",
    "Bundle",
    "CacheFamilyStats",
    "CacheStats",
    "Checkpoint",
    "ConnectLink",
    "ConnectStatus",
    "ConsistencyProof",
    "Cosignature",
    "CosignedCheckpoint",
    "CreditTransaction",
    "Credits",
    "Draw",
    "DrawAlgorithm",
    "DrawCommitment",
    "EmailPreferences",
    "Entry",
    "EntryBundle",
    "Funding",
    "HostPayouts",
    "InclusionProof",
    "LeaderboardRow",
    "LedgerTransaction",
    "Lot",
    "LotRefunds",
    "LotSort",
    "LotStatus",
    "MailboxMessage",
    "MarkedRead",
    "Notification",
    "NotificationKind",
    "NotificationList",
    "Payment",
    "Payout",
    "PayoutBalances",
    "Posting",
    "Product",
    "ProductClass",
    "PublicUser",
    "Purchase",
    "PurchaseRefund",
    "Reconciliation",
    "ReconciliationDifference",
    "Reveal",
    "Role",
    "SessionTokens",
    "Shipment",
    "ShippingAddress",
    "Task",
    "Tier",
    "Tracking",
    "TriviaAttempt",
    "TriviaStatus",
    "User",
    "VerifiedInclusion",
    "VerifierKey",
    "WinnerOwed",
    "WinnerPayout",
    "WitnessCosignature",
    "WitnessedCheckpoint",
]

LotStatus = Literal[
    "created", "open", "funded", "drawing", "settled", "expired", "refunding", "closed"
]
Tier = Literal["ICON", "RARE", "GRAIL", "MYTHIC"]
LotSort = Literal["newest", "ending_soon", "most_funded"]
Role = Literal["player", "host", "admin", "auditor"]
DrawAlgorithm = Literal["alot-v1", "alot-v2"]


class AlotModel(BaseModel):
    """Base of every response model: immutable, tolerant of members added later."""

    model_config = ConfigDict(extra="allow", frozen=True)


# -- auth and users ------------------------------------------------------------------


class Accepted(AlotModel):
    status: str = "accepted"
    detail: str


class SessionTokens(AlotModel):
    token_type: str
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int
    refresh_expires_in: int


class TermsDocument(AlotModel):
    version: str
    url: str


class Terms(AlotModel):
    """The current terms and privacy notice, and registration's country rule."""

    terms: TermsDocument
    privacy: TermsDocument
    allowed_countries: list[str]
    selectable_countries: list[str] = []
    """The codes registration accepts: the allow-list, else every ISO 3166-1 code."""
    country_required: bool
    identity_required: str = "never"


class TermsStatus(AlotModel):
    """A player's acceptance: ``current`` false means accept before the next purchase."""

    terms_version: str
    privacy_version: str
    accepted_terms_version: str | None
    accepted_privacy_version: str | None
    accepted_at: datetime | None
    current: bool


class IdentityCheck(AlotModel):
    """A started identity check: ``verified`` at once (sandbox), or continue at ``url``."""

    provider: str
    check_id: str
    status: str
    url: str
    verified_identity: bool


class User(AlotModel):
    """An account as its owner (or an admin) sees it."""

    id: str
    email: str
    username: str
    full_name: str | None
    date_of_birth: date | None
    verified_email: bool
    verified_identity: bool
    status: str
    roles: list[str]
    created_at: datetime
    country: str | None = None
    terms: TermsStatus | None = None
    """The player's acceptance of the current terms (``terms.current``)."""


class PublicUser(AlotModel):
    id: str
    username: str


class MailboxMessage(AlotModel):
    """An email kept by the development mailbox."""

    to: str
    subject: str
    body: str
    sent_at: datetime | None


# -- catalogue and lots --------------------------------------------------------------


class ProductClass(AlotModel):
    id: str
    name: str
    brand: str | None
    category: str
    tier: str
    retail_value_cents: int
    retail_value: str
    currency: str
    description: str | None
    specifications: dict[str, Any]
    images: list[str]
    authenticity_certificate_url: str | None
    created_at: datetime
    updated_at: datetime


class Product(AlotModel):
    product_class_id: str
    name: str
    brand: str | None
    description: str | None
    specifications: dict[str, Any]
    images: list[str]
    authenticity_certificate_url: str | None


class Funding(AlotModel):
    target_cents: int
    target: str
    funded_cents: int
    funded: str
    cash_cents: int
    spent_credits: int
    progress_bps: int
    """Progress in basis points: 10_000 is fully funded."""
    progress_percent: str


class Bundle(AlotModel):
    """One way to buy a lot's tickets with cash: `tickets` for `price_cents`."""

    index: int
    price_cents: int
    price: str
    tickets: int
    price_per_ticket: str


class EntryBundle(BaseModel):
    """A bundle as an admin defines it when creating or editing a lot."""

    price_cents: int
    tickets: int


class DrawCommitment(AlotModel):
    algorithm: str
    server_seed_commitment: str | None
    commitment_ledger_seq: int | None


class DrawBeacon(AlotModel):
    """The drand chain a lot declared, when it opened, that its draw will use."""

    chain_name: str
    chain_hash: str
    scheme: str


class LotHost(AlotModel):
    """Who sells a host lot (`client.hosts.get(id)` is its public profile)."""

    id: str
    display_name: str


class Lot(AlotModel):
    id: str
    title: str
    lot_type: str
    status: str
    visibility: str
    tier: str
    category: str
    retail_value_cents: int
    retail_value: str
    currency: str
    product: Product | None
    funding: Funding
    tickets_sold: int
    odds_per_ticket: str | None
    price_per_ticket_cents: int
    price_per_ticket: str
    entry_bundles: list[Bundle]
    deadline: datetime
    seconds_left: int
    max_tickets_per_user: int | None
    non_winner_credit_rate_percent: int
    trivia_question: str
    draw: DrawCommitment
    refund_choice_deadline: datetime | None
    created_at: datetime
    opened_at: datetime | None
    funded_at: datetime | None
    drawn_at: datetime | None
    settled_at: datetime | None
    expired_at: datetime | None
    refunding_at: datetime | None
    closed_at: datetime | None
    host: LotHost | None = None
    """The host selling it; None for the platform's own lots."""
    commission_bps: int | None = None
    """A host lot's commission (ALOT!'s share, basis points), frozen when it opens."""
    free_entry_period_days: int | None = None
    """Free entry (no purchase necessary): None allows one per player in the lot; N one
    per player every N days."""
    draw_beacon: DrawBeacon | None = None
    """The drand chain declared when the lot opened: the draw mixes in its first round
    due more than 30 s after funding, fixed at funding. None for a lot declared
    beacon-less, not opened yet, or opened before declarations existed."""
    beacon_less: bool = False
    """True when the lot was declared at opening without a public beacon: the operator
    could predict its draw. False for lots not yet opened and older lots."""
    pseudonymous_holders: bool = False
    """True when the lot's draw proof names each holder by a pseudonym for this lot (the
    `holder` of your purchases and entries), not by user id; False for older lots."""

    @property
    def retail_value_display(self) -> str:
        return format_money(self.retail_value_cents, self.currency)


class LeaderboardRow(AlotModel):
    """One buyer of a lot: `rank` 1 has the most tickets (ties by username)."""

    rank: int
    username: str
    tickets: int
    entries: int


# -- trivia, entries, credits, reveals, refunds --------------------------------------


class TriviaStatus(AlotModel):
    lot_id: str
    question: str
    passed: bool
    attempts_made: int
    attempts_left: int
    attempts_per_round: int
    cooldown_until: datetime | None


class TriviaAttempt(AlotModel):
    correct: bool
    status: TriviaStatus


class Payment(AlotModel):
    provider: str
    payment_id: str | None
    test_mode: bool
    checkout_url: str | None = None


class Purchase(AlotModel):
    """A purchase of tickets; `status` "pending" means a checkout is still to finish."""

    id: str
    lot_id: str
    method: str
    status: str
    bundle_index: int | None
    tickets: int
    amount_cents: int
    amount: str
    spent_credits: int
    currency: str
    tickets_start: int | None
    tickets_end: int | None
    payment: Payment | None
    ledger_seq: int | None
    lot_status: str
    created_at: datetime
    completed_at: datetime | None
    replayed: bool = False
    """True when the platform answered with an earlier purchase made with the same key."""
    holder: str | None = None
    """Your holder pseudonym in this lot: how its public draw proof names the holder of
    these tickets (64 hex, one per player and lot; nobody links you across lots by it).
    None on a lot that names holders by user id, or while the purchase owns no tickets yet."""

    @property
    def amount_display(self) -> str:
        return format_money(self.amount_cents, self.currency)


class FreeEntry(AlotModel):
    """A free entry (no purchase necessary): one ticket, drawn like any paid ticket."""

    id: str
    """Its purchase id (method "free")."""
    lot_id: str
    user_id: str
    route: str
    """ "online" (the player's form) or "postal" (an admin recorded the card)."""
    method: str
    tickets: int
    tickets_start: int
    tickets_end: int
    amount_cents: int
    reference: str | None
    received_on: date | None
    ledger_seq: int | None
    lot_status: str
    created_at: datetime
    replayed: bool = False
    """True when the platform answered with the entry first made with the same key (or
    postal reference)."""
    holder: str | None = None
    """Your holder pseudonym in this lot: how its public draw proof names the holder of
    these tickets (64 hex, one per player and lot; nobody links you across lots by it).
    None on a lot that names holders by user id."""


class FreeEntryStanding(AlotModel):
    period_days: int | None
    used: int
    available: bool
    next_at: datetime | None


class MyOdds(AlotModel):
    """The caller's tickets and chance in a lot now (every ticket has the same chance)."""

    lot_id: str
    lot_status: str
    tickets_sold: int
    free_tickets: int
    per_ticket: str | None
    """ "1 in N", or None before any ticket."""
    my_tickets: int
    my_free_tickets: int
    my_odds: str | None
    """ "k in N", or None while the caller holds no ticket."""
    my_chance_bps: int
    free_entry: FreeEntryStanding


class Entry(AlotModel):
    """A block of tickets one purchase bought in one lot."""

    id: str
    lot_id: str
    lot_title: str
    lot_status: str
    purchase_id: str
    method: str
    tickets_start: int
    tickets_end: int
    ticket_count: int
    amount_paid_cents: int
    amount_paid: str
    spent_credits: int
    is_winner: bool
    """True on the one entry holding the lot's winning ticket (the winner's other
    entries in the lot say False)."""
    awarded_credits: int
    ledger_seq: int | None = None
    """The ledger transaction that recorded the purchase (as `Purchase.ledger_seq`)."""
    created_at: datetime
    purchase_status: str | None = None
    """``succeeded``, or ``refunded`` once the lot refunded it."""
    refund_choice: str | None = None
    refunded_cents: int | None = None
    refunded_credits: int | None = None
    refund_choice_deadline: datetime | None = None
    """The lot's date to choose a refund by, once its refunds started."""
    holder: str | None = None
    """Your holder pseudonym in this lot: how its public draw proof names the holder of
    these tickets (64 hex, one per player and lot; nobody links you across lots by it).
    None on a lot that names holders by user id."""


class Credits(AlotModel):
    """A player's credits: `balance_credits` whole credits, each worth one cent."""

    balance_credits: int
    value: str
    tickets_affordable: int
    total_earned_credits: int
    total_spent_credits: int

    @property
    def balance_display(self) -> str:
        return format_credits(self.balance_credits)


class CreditTransaction(AlotModel):
    id: str
    amount_credits: int
    """Positive earned, negative spent."""
    balance_after_credits: int
    type: str
    lot_id: str | None
    purchase_id: str | None
    lot_entry_id: str | None
    ledger_seq: int | None
    details: dict[str, Any]
    created_at: datetime


class Reveal(AlotModel):
    id: str
    lot_id: str
    lot_title: str
    lot_status: str
    status: str
    revealed_at: datetime | None
    created_at: datetime
    prize_name: str | None = None
    prize_retail_value_cents: int | None = None
    tickets: int = 0
    awarded_credits: int = 0
    """Credits the player's entries earned when the lot settled."""
    refunded_cents: int = 0
    refunded_credits: int = 0
    # A won prize's fulfillment (never the address: `reveals.tracking(id)` has it).
    claim_deadline: datetime | None = None
    claimed_at: datetime | None = None
    ship_deadline: datetime | None = None
    shipped_at: datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    delivered_at: datetime | None = None
    delivery_confirmed_by: str | None = None
    """winner, automatic or admin."""
    disputed_at: datetime | None = None
    dispute_reason: str | None = None
    dispute_resolution: str | None = None
    dispute_resolved_at: datetime | None = None
    cash_alternative_cents: int | None = None
    """The prize's retail value owed in cash instead (a dispute compensated, or the
    claim deadline passed)."""
    cash_alternative_reason: str | None = None


class ShippingAddress(AlotModel):
    """Where a prize is shipped: country ISO 3166-1 alpha-2, phone in international form."""

    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    phone: str
    line2: str | None = None
    region: str | None = None


class _Fulfillment(AlotModel):
    status: str
    """won, claimed, shipped, delivered or disputed."""
    claim_deadline: datetime | None = None
    claimed_at: datetime | None = None
    ship_deadline: datetime | None = None
    shipped_at: datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    delivered_at: datetime | None = None
    delivery_confirmed_by: str | None = None
    disputed_at: datetime | None = None
    dispute_reason: str | None = None
    dispute_details: str | None = None
    dispute_resolution: str | None = None
    dispute_resolved_at: datetime | None = None
    cash_alternative_cents: int | None = None
    cash_alternative_reason: str | None = None
    reveal_id: str
    lot_id: str
    lot_title: str
    prize_name: str
    prize_retail_value_cents: int
    shipper: Literal["host", "platform"]
    shipping_address: ShippingAddress | None = None


class Tracking(_Fulfillment):
    """The winner's view of their prize (`reveals.tracking`), with their address."""


class Shipment(_Fulfillment):
    """A prize in a shipper's queue: the winner's username, and the address once
    claimed (only to its shipper)."""

    winner_username: str
    host_id: str | None = None


class ImageRendition(AlotModel):
    url: str
    """Absolute; what it names never changes (cached for a year)."""
    width: int
    height: int
    content_type: str
    bytes: int


class ImageRenditions(AlotModel):
    card: ImageRendition
    """480 px wide (or the original's width if smaller): cards and thumbnails."""
    page: ImageRendition
    """1600 px wide (or the original's width if smaller): what a product's `images` holds."""


class Image(AlotModel):
    """An uploaded product image: re-encoded as WebP renditions, its metadata stripped."""

    id: str
    width: int
    height: int
    content_type: str
    renditions: ImageRenditions
    created_at: datetime


class PurchaseRefund(AlotModel):
    purchase_id: str
    lot_id: str
    status: str
    method: str
    amount_cents: int
    spent_credits: int
    lot_title: str | None = None
    lot_status: str | None = None
    refund_choice_deadline: datetime | None = None
    tickets: int | None = None
    cash_offer_cents: int | None = None
    """What choosing cash returns (98%, rounded down); None for a credit purchase."""
    credits_offer_credits: int | None = None
    """What choosing credits returns (1.5x, in credits); None for a credit purchase."""
    can_choose: bool = False
    """True while the purchase waits for its buyer's choice."""
    refund_choice: str | None
    refunded_cents: int | None
    refunded_credits: int | None
    refunded_at: datetime | None
    provider_refund_id: str | None
    refund_status: str | None = None
    """``succeeded``; or, after choosing cash, ``requested``/``pending`` while the payment
    provider has not confirmed the refund (answered with HTTP 202), ``failed`` if it
    refused it; ``none`` when not refunded."""


# -- notifications -------------------------------------------------------------------

NotificationKind = Literal[
    "won", "credits_awarded", "refund_available", "refund_done", "lot_closing", "prize"
]


class Notification(AlotModel):
    """Something that happened to the player, in the platform's words.

    ``data`` holds the facts by kind (see docs/platform/notifications.md): e.g.
    ``winning_ticket`` for ``won``, ``credits`` for ``credits_awarded``,
    ``refund_choice_deadline`` and ``purchase_ids`` for ``refund_available``."""

    id: str
    kind: str
    """One of `NotificationKind` (a newer platform may add kinds)."""
    title: str
    body: str
    link: str
    """The web client's page about it, as a path (``/lots/<id>/draw``)."""
    lot_id: str | None
    data: dict[str, Any]
    read: bool
    read_at: datetime | None
    created_at: datetime


class NotificationList(AlotModel):
    """One page of notifications as the API answers it, with the unread count."""

    items: list[Notification]
    next_cursor: str | None
    unread_count: int


class MarkedRead(AlotModel):
    marked: int
    """Notifications that were unread and are now read (0 when repeated)."""
    unread_count: int


class EmailPreferences(AlotModel):
    """A player's email choices. Transactional emails (wins, refunds, account security)
    are always sent; in-app notifications are written whatever the choices."""

    reminder_emails: bool
    """A lot I entered is 90% funded or closes within 24 hours."""
    credits_emails: bool
    """Credits I earned when a lot I entered was drawn."""
    marketing_emails: bool
    """News and offers (off unless turned on)."""
    transactional_emails: bool = True
    updated_at: datetime | None


class LotRefunds(AlotModel):
    lot_id: str
    lot_status: str
    refund_choice_deadline: datetime | None
    purchases: dict[str, int]
    """Number of the lot's purchases per status."""


# -- the admin desk ------------------------------------------------------------------


class AdminOverview(AlotModel):
    """The admin desk's counts."""

    lots_by_status: dict[str, int]
    """Number of lots in each status (every status present)."""
    payment_events_needing_attention: int
    """What `GET /api/admin/payments/events` lists."""
    failed_tasks: int
    """Background tasks that failed on every attempt: what `admin.failed_tasks()` lists."""


class CacheFamilyStats(AlotModel):
    """Hits and misses of one family of cached reads."""

    family: str
    """`lot` (lot views), `lot_list` (list pages), `leaderboard`, `balance`, `draw`."""
    hits: int
    misses: int
    hit_rate: float | None
    """hits / (hits + misses); None before any read."""


class CacheStats(AlotModel):
    """The platform cache's hit and miss counts per family, since they began."""

    backend: str
    """`redis` (every API process's counts together) or `memory` (one process's)."""
    enabled: bool
    families: list[CacheFamilyStats]

    def family(self, name: str) -> CacheFamilyStats:
        """One family's figures (`KeyError` for an unknown name)."""
        for stats in self.families:
            if stats.family == name:
                return stats
        raise KeyError(name)


# -- admin analytics (docs/platform/analytics.md defines every figure) ---------------


class AnalyticsDay(AlotModel):
    date: date
    lots_created: int
    lots_funded: int
    lots_expired: int


class AnalyticsConversion(AlotModel):
    """Open -> funded over the lots that reached an outcome in the range."""

    funded: int
    expired: int
    rate_bps: int | None
    """funded * 10000 // (funded + expired); None when no lot reached an outcome."""
    rate: str | None
    """The rate as a percentage with two decimals, e.g. "66.66"."""


class AnalyticsTimeToFunding(AlotModel):
    """opened_at -> funded_at of the lots funded in the range, whole seconds."""

    lots: int
    mean_seconds: int | None
    p50_seconds: int | None
    p90_seconds: int | None


class AnalyticsCredits(AlotModel):
    issued_credits: int
    spent_credits: int
    redeemed_credits: int
    refunded_credits: int


class AnalyticsLotRevenue(AlotModel):
    lot_id: str
    ledger_seq: int
    settled_at: str
    """The settlement's ledger time."""
    revenue_cents: int
    revenue: str


class AnalyticsRevenuePerLot(AlotModel):
    lots: list[AnalyticsLotRevenue]
    settled_lots: int
    total_cents: int
    total: str
    mean_cents: int | None
    mean: str | None


class AnalyticsMoney(AlotModel):
    """Money figures from the ledger's postings, in cents."""

    gmv_cents: int
    gmv: str
    cash_refunded_cents: int
    cash_refunded: str
    refund_fees_cents: int
    refunded_to_credits_cents: int
    processing_fees_cents: int
    processing_fees: str
    host_payouts_cents: int
    host_payouts: str
    host_commission_cents: int
    host_commission: str
    host_share_held_cents: int


class Analytics(AlotModel):
    """The business figures over the UTC days [from_, to) (`to` exclusive)."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    days: list[AnalyticsDay]
    lots_created: int
    lots_funded: int
    lots_expired: int
    conversion: AnalyticsConversion
    time_to_funding: AnalyticsTimeToFunding
    credits: AnalyticsCredits
    revenue_per_lot: AnalyticsRevenuePerLot
    money: AnalyticsMoney


class Task(AlotModel):
    """A background task of the platform's outbox (an email, a draw, a payment event
    to apply), as an admin sees it: what it is about, and why it failed.

    An email's body is not shown (it may be personal); its `subject` and recipient
    (`user_id`) are.
    """

    id: str
    key: str
    """What it is about, e.g. `draw:<lot id>`: one task per key."""
    task: str
    """`email`, or the handler's name (`draw`, `payment_event`, ...)."""
    status: str
    """`pending`, `done`, `dropped` or `dead`: `dead` in `admin.failed_tasks()`,
    `pending` once retried."""
    payload: dict[str, Any] | None
    """A task's arguments; None for an email."""
    user_id: str | None
    """An email's recipient."""
    subject: str | None
    """An email's subject."""
    attempts: int
    """Failed attempts in this round (a retry starts a new round at 0)."""
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    """A dead task: when it died; a pending one: when it runs next."""


class ReconciliationDifference(AlotModel):
    account: str
    asset: str
    ledger_balance_credits: int
    """The ledger's balance: the truth."""
    projected_balance_credits: int | None
    """The platform's projection; None when it has no row for the account."""


class Reconciliation(AlotModel):
    """Every credit balance checked against the ledger (`alot reconcile`)."""

    ok: bool
    checked_at: datetime
    scope: str
    """What was compared: "credits" (payments are reconciled from the shell)."""
    differences: list[ReconciliationDifference]


# -- draws ---------------------------------------------------------------------------


class Draw(AlotModel):
    """A lot's draw record, from commitment to proof (`proof` is the platform's copy)."""

    lot_id: str
    lot_status: str
    stage: str
    algorithm: str
    server_seed_commitment: str | None
    commitment_ledger_seq: int | None
    draw_inputs: dict[str, Any] | None
    draw_inputs_hash: str | None
    inputs_ledger_seq: int | None
    server_seed: str | None = None
    """Revealed at funding (in the freeze memo): with the beacon round, anyone can compute
    the winner without the platform (`alot-verify winner`)."""
    frozen_at: datetime | None
    total_tickets: int | None
    escrow_cents: int | None
    winning_ticket: int | None
    winner_user_id: str | None
    winner_holder: str | None = None
    """The winning holder's pseudonym, as the proof names the winner, on a lot with
    pseudonymous holders; None on a lot naming holders by user id, or undrawn."""
    drawn_at: datetime | None
    result_ledger_seq: int | None
    proof: dict[str, Any] | None


# -- ledger --------------------------------------------------------------------------


class Checkpoint(AlotModel):
    """A signed checkpoint: `note` is the C2SP signed note an auditor verifies."""

    origin: str
    size: int
    root_hash: str
    created_at: str
    note: str


class VerifierKey(AlotModel):
    """The key the platform says signs its checkpoints: compare it, never trust it alone."""

    origin: str
    verifier_key: str


class Posting(AlotModel):
    account: str
    asset: str
    amount: int
    balance_after: int
    account_version: int


class LedgerTransaction(AlotModel):
    """One ledger transaction, as one line of the export."""

    seq: int
    id: str
    kind: str
    created_at: str
    refs: dict[str, str]
    metadata: dict[str, Any]
    postings: list[Posting]
    prev_hash: str
    hash: str


class InclusionProof(AlotModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    # Only for the player the transaction names and for auditors: anyone else's proof
    # carries the leaf hash alone.
    transaction: LedgerTransaction | None = None
    proof: list[str]
    checkpoint: str


class ConsistencyProof(AlotModel):
    old_size: int
    new_size: int
    proof: list[str]
    old_checkpoint: str | None = None
    old_root: str | None = None
    new_checkpoint: str | None = None
    new_root: str | None = None


class Balance(AlotModel):
    account: str
    asset: str
    balance: int
    version: int
    as_of_seq: int


class Cosignature(AlotModel):
    """One witness's cosignature of a checkpoint, as the platform stored it."""

    witness: str
    witness_key: str
    cosigned_at: int
    """When the witness cosigned, POSIX seconds (the witness's clock, signed by it)."""
    line: str


class CosignedCheckpoint(AlotModel):
    """`GET /api/ledger/checkpoint/cosigned` as served (nothing checked): `note` is the
    signed checkpoint with every stored cosignature line appended."""

    origin: str
    size: int
    note: str
    cosignatures: list[Cosignature]


class WitnessCosignature(AlotModel):
    """A cosignature that verified against a witness key the caller pinned."""

    witness: str
    witness_key: str
    cosigned_at: int


class WitnessedCheckpoint(AlotModel):
    """What `ledger.cosigned_checkpoint` proved: the pinned ledger key signed this
    checkpoint, at least `quorum` pinned witnesses cosigned it, and it is consistent
    with the checkpoint the memory remembered (`remembered_size`, 0 when it had none).
    `verifier_key` is the ledger key that signed it (pinned, or remembered)."""

    origin: str
    verifier_key: str
    size: int
    root_hash: str
    note: str
    cosignatures: list[WitnessCosignature]
    remembered_size: int


class VerifiedInclusion(AlotModel):
    """What `ledger.verify_inclusion` proved: this transaction is leaf `seq - 1` of the
    tree whose root the pinned key signed at `tree_size`."""

    seq: int
    transaction: LedgerTransaction
    leaf_hash: str
    tree_size: int
    root_hash: str
    origin: str


# -- payouts (hosts paid through Stripe Connect; winners owed cash) ---------------------


class ConnectLink(AlotModel):
    url: str
    """The onboarding page (single use, expires in minutes: ask again for a fresh one);
    in test mode it returns at once, onboarded."""
    account_id: str
    status: Literal["none", "pending", "enabled"]
    test_mode: bool


class ConnectStatus(AlotModel):
    status: Literal["none", "pending", "enabled"]
    account_id: str | None
    test_mode: bool


class PayoutBalances(AlotModel):
    currency: str
    held_cents: int
    """Shares of settled lots held until their winners have the prizes."""
    payable_cents: int
    """Released, not paid out yet (including ``pending_cents``)."""
    pending_cents: int
    paid_out_cents: int


class Payout(AlotModel):
    id: str
    host_id: str
    amount_cents: int
    currency: str
    status: Literal["pending", "paid", "failed"]
    destination: str
    stripe_transfer_id: str | None
    attempts: int
    last_error: str | None
    ledger_seq: int | None
    created_at: datetime
    paid_at: datetime | None


class HostPayouts(AlotModel):
    connect: ConnectStatus
    balances: PayoutBalances
    minimum_payout_cents: int
    payouts: list[Payout]


class WinnerOwed(AlotModel):
    user_id: str
    username: str | None
    owed_cents: int


class AdminPayouts(AlotModel):
    host_payouts: list[Payout]
    winners_owed: list[WinnerOwed]


class WinnerPayout(AlotModel):
    user_id: str
    amount_cents: int
    reference: str
    ledger_seq: int
    owed_cents: int
    """Still owed after this payment."""


# -- hosts (the marketplace) -----------------------------------------------------------


class HostStats(AlotModel):
    lots_created: int
    lots_funded: int


class HostPublic(AlotModel):
    """A host's public profile (approved hosts only; no business details)."""

    id: str
    display_name: str
    description: str | None
    logo_url: str | None
    website_url: str | None
    country: str
    stats: HostStats


class Host(HostPublic):
    """Your own host profile (`hosts.me()`), or an admin's view (`user_id`, `username`,
    `reviewed_by` set): business details, review status and reason, commission."""

    business_details: dict[str, Any]
    status: str
    status_reason: str | None
    reviewed_at: datetime | None
    approved_at: datetime | None
    commission_bps: int
    commission_percent: str
    payouts_enabled: bool
    created_at: datetime
    updated_at: datetime
    user_id: str | None = None
    username: str | None = None
    reviewed_by: str | None = None


class HostLotEconomics(AlotModel):
    commission_bps: int
    commission_percent: str
    target_cents: int
    commission_cents: int
    host_share_cents: int
    commission: str
    host_share: str


class HostLot(AlotModel):
    """One of your lots as you see it: the lot, its review, its private link and what
    its funded value divides into at its target."""

    lot: Lot
    review_status: str
    review_reason: str | None
    private_link: str | None
    access_token: str | None
    invite_code_set: bool
    economics: HostLotEconomics


class LotBuyer(AlotModel):
    username: str
    tickets: int


class HostLotSales(AlotModel):
    lot_id: str
    status: str
    review_status: str
    tickets_sold: int
    funded_cents: int
    cash_cents: int
    spent_credits: int
    entries: int
    buyers: list[LotBuyer]
    funded_at: datetime | None
    drawn_at: datetime | None
    settled_at: datetime | None
    expired_at: datetime | None
    commission_bps: int
    commission_cents: int
    host_share_cents: int
    held_cents: int
    payable_cents: int


# -- responsible play ----------------------------------------------------------------


class SpendLimits(AlotModel):
    """Cash spend limits in force, in US cents (None: no limit)."""

    daily_cents: int | None
    weekly_cents: int | None
    monthly_cents: int | None


class PendingLimit(AlotModel):
    """A raised or removed limit waiting its 24 hours."""

    period: Literal["daily", "weekly", "monthly"]
    limit_cents: int | None
    applies_at: datetime


class PeriodSpend(AlotModel):
    """Cash spent in the current UTC day, ISO week or calendar month, and what is left."""

    period: Literal["daily", "weekly", "monthly"]
    limit_cents: int | None
    spent_cents: int
    remaining_cents: int | None
    started_at: datetime
    resets_at: datetime


class Exclusion(AlotModel):
    """A time-out or self-exclusion in force: no purchases until ``ends_at``."""

    kind: Literal["time_out", "self_exclusion"]
    started_at: datetime
    ends_at: datetime


class PlayStatus(AlotModel):
    """A player's responsible-play settings and where they stand."""

    limits: SpendLimits
    pending: list[PendingLimit]
    periods: list[PeriodSpend]
    exclusion: Exclusion | None
    reality_check_minutes: int | None


class DataExport(AlotModel):
    """Everything the platform holds about the logged-in player (`alot-data-export/1`):
    the account (full name and birth date decrypted), then every table that names them,
    the columns withheld and why, and what is held elsewhere."""

    format: str
    exported_at: str
    user_id: str
    account: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]]
    withheld: list[dict[str, str]]
    not_included: dict[str, str]


class AuditEntry(AlotModel):
    """One entry of the admin and host audit log, exactly as it is hashed
    (docs/spec/audit-log.md: verify the export with `alot-verify audit-log`)."""

    seq: int
    at: str
    actor_id: str | None
    actor_roles: list[str]
    action: str
    target_type: str
    target_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str
