"""The seed's business metrics, and the domain-event log lines, of what committed.

A service calls one of the functions below in its unit of work (a lot created, a
purchase accepted, credits moved, a lot settled, ...). What it tells is a *fact* that
waits in ``session.info`` and is counted and logged only once that transaction has
committed, after its connection is back in the pool; a rollback drops it. This is the
mechanism of the live events (alot_platform.realtime.events) and of the outbox relay:
``install`` hooks it into the platform's sessions just after the events, so a commit's
lines come before those of the tasks it queued (an inline runner runs them at once).

A fact keeps the request id and task id of the moment it was made (see
``domain_log``): the line of a purchase batch, committed on the purchase line's thread,
names each purchase's own request. Facts are keyed by what they are about, so telling
the same fact twice in one transaction counts it once.

Failures (a draw that failed, a webhook event not applied) are counted when they happen:
their transaction is the one that did not commit.

The metrics are prometheus_client objects on the default registry (``/metrics`` serves
them, alot_platform.observability); names and meanings are in
docs/platform/business-metrics.md. Money is in cents, credits in credits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction, object_session

from alot_platform.logs import request_id_var
from alot_platform.observability.domain_log import log_event, task_id_var

if TYPE_CHECKING:
    from alot_platform.context import PlatformContext
    from alot_platform.credits.service import CreditChange
    from alot_platform.draws.models import LotteryDraw
    from alot_platform.entries.models import LotEntryPurchase
    from alot_platform.lots.models import Lot, LotStatus
    from alot_platform.payouts.models import HostPayout

_log = logging.getLogger(__name__)

_HOUR = 3600.0
_DAY = 24 * _HOUR

LOTS_CREATED = Counter("alot_lots_created", "Lots created.")
LOTS_FUNDED = Counter("alot_lots_funded", "Lots that reached their funding target.")
LOTS_EXPIRED = Counter("alot_lots_expired", "Lots whose deadline passed unfunded.")
TIME_TO_FUNDING = Histogram(
    "alot_lot_time_to_funding_seconds",
    "Time from a lot's opening to its funding (platform clock).",
    buckets=(
        60,
        300,
        900,
        _HOUR,
        4 * _HOUR,
        12 * _HOUR,
        _DAY,
        2 * _DAY,
        3 * _DAY,
        7 * _DAY,
        14 * _DAY,
        30 * _DAY,
    ),
)
PURCHASES = Counter(
    "alot_purchases", "Ticket purchases accepted (paid), by payment method.", ["method"]
)
GMV_CENTS = Counter("alot_gmv_cents", "Cash paid for tickets, in cents (gross, before refunds).")
CREDITS_ISSUED = Counter(
    "alot_credits_issued",
    "Credits created for players: non-winners' shares, expired lots' conversions, grants.",
)
CREDITS_SPENT = Counter("alot_credits_spent", "Credits spent on tickets.")
LOT_REVENUE_CENTS = Histogram(
    "alot_lot_revenue_cents",
    "The platform's revenue of each settled lot, in cents (cash less a host's share).",
    buckets=(
        1_000,
        5_000,
        10_000,
        25_000,
        50_000,
        100_000,
        250_000,
        500_000,
        1_000_000,
        2_500_000,
        5_000_000,
        10_000_000,
    ),
)
DRAWS_FAILED = Counter(
    "alot_draws_failed", "Failed attempts to draw or settle a funded lot (each is retried)."
)
WEBHOOK_FAILURES = Counter(
    "alot_webhook_failures",
    "Payment provider events stored but not applied (each is retried).",
    ["provider"],
)
RECONCILIATION_MISMATCHES = Gauge(
    "alot_reconciliation_mismatches",
    "Differences found by the last reconciliation of each kind (credits: balances against"
    " the ledger; payments: purchases and payouts against the provider).",
    ["check"],
    multiprocess_mode="mostrecent",
)

# Every series the alerts and dashboards read exists from the start, at 0.
for _method in ("cash", "credits", "mixed"):
    PURCHASES.labels(_method)
WEBHOOK_FAILURES.labels("stripe")


@dataclass
class _Fact:
    """What one committed change counts and logs."""

    event: str | None
    fields: dict[str, Any]
    count: Callable[[], None]
    request_id: str | None = field(default_factory=request_id_var.get)
    task_id: str | None = field(default_factory=task_id_var.get)

    def tell(self) -> None:
        self.count()
        if self.event is not None:
            log_event(self.event, request_id=self.request_id, task_id=self.task_id, **self.fields)


_NEW = "business_facts_new"
_COMMITTED = "business_facts_committed"


def _record(session: Session, key: tuple[Any, ...], fact: _Fact) -> None:
    """Tell ``fact`` once ``session``'s transaction commits (never if it rolls back)."""
    session.info.setdefault(_NEW, {}).setdefault(key, fact)


def install(platform: PlatformContext) -> None:
    """Count and log each of ``platform``'s sessions' facts once committed."""

    @sa_event.listens_for(platform.database.sessions, "after_commit")
    def _committed(session: Session) -> None:
        facts = session.info.pop(_NEW, None)
        if facts:
            session.info.setdefault(_COMMITTED, []).extend(facts.values())

    @sa_event.listens_for(platform.database.sessions, "after_transaction_end")
    def _ended(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is not None:
            return
        for fact in session.info.pop(_COMMITTED, None) or ():
            try:
                fact.tell()
            except Exception:  # the change is in: a metric or a line must not undo it
                _log.exception("business fact %s not told", fact.event)

    @sa_event.listens_for(platform.database.sessions, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_NEW, None)


# -- lots ------------------------------------------------------------------------------


def lot_created(session: Session, lot: Lot) -> None:
    _record(
        session,
        ("lot_created", lot.id),
        _Fact(
            "lot_created",
            {
                "lot_id": str(lot.id),
                "host_id": _str(lot.host_id),
                "lot_type": lot.lot_type,
                "funding_target_cents": lot.funding_target_cents,
                "deadline": _iso(lot.deadline),
                "draw_algorithm": lot.draw_algorithm,
            },
            LOTS_CREATED.inc,
        ),
    )


def lot_moved(
    lot: Lot,
    to: LotStatus,
    now: datetime,
    *,
    session: Session | None = None,
    request_id: str | None = None,
) -> None:
    """``lot`` moved to ``to`` (the state machine tells every move). ``session``: the
    unit of work of a lot not loaded in it (a purchase batch's); ``request_id``: the
    request the move was made for, when not the one running (a batch's funding)."""
    session = session or object_session(lot)
    if session is None:  # a lot not in a unit of work changes nothing that commits
        return
    made = _fact_of_move(lot, to.value, now)
    if made is None:
        return
    if request_id is not None:
        made.request_id = request_id
    _record(session, (made.event, lot.id), made)


def _fact_of_move(lot: Lot, to: str, now: datetime) -> _Fact | None:
    lot_id = str(lot.id)
    if to == "open":
        return _Fact(
            "lot_opened",
            {
                "lot_id": lot_id,
                "funding_target_cents": lot.funding_target_cents,
                "deadline": _iso(lot.deadline),
            },
            _nothing,
        )
    if to == "funded":
        took = _seconds(lot.opened_at, now)

        def count_funded() -> None:
            LOTS_FUNDED.inc()
            if took is not None:
                TIME_TO_FUNDING.observe(took)

        return _Fact("lot_funded", _funding(lot, took), count_funded)
    if to == "expired":
        return _Fact("lot_expired", _funding(lot, _seconds(lot.opened_at, now)), LOTS_EXPIRED.inc)
    if to == "drawing":
        return _Fact(
            "draw_started",
            {"lot_id": lot_id, "total_tickets": lot.tickets_sold, "algorithm": lot.draw_algorithm},
            _nothing,
        )
    if to == "refunding":
        return _Fact("refunds_started", {"lot_id": lot_id}, _nothing)
    if to == "closed":
        return _Fact("lot_closed", {"lot_id": lot_id}, _nothing)
    return None  # settled: ``lot_settled`` tells it, with the settlement's figures


def _funding(lot: Lot, duration_seconds: float | None) -> dict[str, Any]:
    """The seed's ``lot_funded`` fields (money in cents), for a lot funded or expired."""
    return {
        "lot_id": str(lot.id),
        "funding_target_cents": lot.funding_target_cents,
        "final_funding_cents": lot.cash_cents + lot.credits_spent,
        "cash_cents": lot.cash_cents,
        "credits_spent": lot.credits_spent,
        "total_tickets": lot.tickets_sold,
        "duration_seconds": duration_seconds,
    }


# -- purchases and credits ---------------------------------------------------------------


def purchased(
    session: Session,
    lot: Lot,
    purchase: LotEntryPurchase,
    *,
    request_id: str | None = None,
    funded: bool = False,
) -> None:
    """A purchase was accepted and paid (it owns its tickets); ``funded`` when it
    reached the lot's target. ``request_id``: the purchase's own, when not the one
    running (a batch runs on the purchase line's thread)."""
    method, cash = purchase.method, purchase.amount_cents

    def count() -> None:
        PURCHASES.labels(method).inc()
        if cash:
            GMV_CENTS.inc(cash)

    made = _Fact(
        "entries_purchased",
        {
            "lot_id": str(lot.id),
            "purchase_id": str(purchase.id),
            "user_id": str(purchase.user_id),
            "method": method,
            "tickets": purchase.tickets,
            "cash_cents": cash,
            "credits_spent": purchase.credits_spent,
        },
        count,
    )
    if request_id is not None:
        made.request_id = request_id
    _record(session, ("entries_purchased", purchase.id), made)
    if funded:
        lot_moved(lot, _status("funded"), _funded_at(lot), session=session, request_id=request_id)


def credits_moved(session: Session, changes: Sequence[CreditChange], *, ledger_seq: int) -> None:
    """The credit movements of ledger transaction ``ledger_seq`` (``CreditsService.apply``).

    Issued: credits created for players (positive, except a spend given back 1:1, which
    undoes a spend). Spent: credits paid for tickets.
    """
    issued = [c for c in changes if c.amount > 0 and c.transaction_type != "credit_refund"]
    spent = -sum(c.amount for c in changes if c.transaction_type == "entry_purchase")
    credits = sum(c.amount for c in issued)

    def count() -> None:
        if credits:
            CREDITS_ISSUED.inc(credits)
        if spent:
            CREDITS_SPENT.inc(spent)

    event: str | None = None
    fields: dict[str, Any] = {}
    if credits:
        lots = {c.lot_id for c in issued}
        event = "credits_awarded"
        fields = {
            "lot_id": _str(lots.pop()) if len(lots) == 1 else None,
            "reason": issued[0].transaction_type.value,
            "credits": credits,
            "users": len({c.user_id for c in issued}),
            "ledger_seq": ledger_seq,
        }
    _record(session, ("credits", ledger_seq), _Fact(event, fields, count))


# -- draws, settlement, refunds, payouts -------------------------------------------------


def draw_completed(session: Session, lot: Lot, draw: LotteryDraw) -> None:
    _record(
        session,
        ("draw_completed", lot.id),
        _Fact(
            "draw_completed",
            {
                "lot_id": str(lot.id),
                "algorithm": draw.algorithm,
                "total_tickets": draw.total_tickets,
                "winning_ticket": draw.winning_ticket,
                "winner_user_id": _str(draw.winner_user_id),
                "result_ledger_seq": draw.result_ledger_seq,
            },
            _nothing,
        ),
    )


def draw_failed(lot_id: uuid.UUID, stage: Literal["draw", "settle"], error: BaseException) -> None:
    """An attempt to draw or settle ``lot_id`` raised (counted now: nothing committed)."""
    DRAWS_FAILED.inc()
    log_event(
        "draw_failed",
        request_id=request_id_var.get(),
        task_id=task_id_var.get(),
        lot_id=str(lot_id),
        stage=stage,
        error=f"{type(error).__name__}: {error}"[:500],
    )


def lot_settled(session: Session, lot: Lot, *, revenue_cents: int, credits_issued: int) -> None:
    """The settlement's last chunk: the lot's money moved, the lot is settled."""
    _record(
        session,
        ("settlement_done", lot.id),
        _Fact(
            "settlement_done",
            {
                "lot_id": str(lot.id),
                "host_id": _str(lot.host_id),
                "revenue_cents": revenue_cents,
                "cash_cents": lot.cash_cents,
                "credits_redeemed": lot.credits_spent,
                "credits_issued": credits_issued,
                "total_tickets": lot.tickets_sold,
                "duration_seconds": _seconds(lot.funded_at, lot.settled_at),
            },
            lambda: LOT_REVENUE_CENTS.observe(revenue_cents),
        ),
    )


def refund_done(session: Session, purchase: LotEntryPurchase) -> None:
    """A purchase of an expired lot was refunded (cash, converted to credits, or its
    credits given back)."""
    _record(
        session,
        ("refund_done", purchase.id),
        _Fact(
            "refund_done",
            {
                "lot_id": str(purchase.lot_id),
                "purchase_id": str(purchase.id),
                "user_id": str(purchase.user_id),
                "refund_choice": purchase.refund_choice,
                "paid_cents": purchase.amount_cents,
                "refunded_cents": purchase.refunded_cents or 0,
                "refunded_credits": purchase.refunded_credits or 0,
            },
            _nothing,
        ),
    )


def payout_sent(session: Session, payout: HostPayout) -> None:
    _record(
        session,
        ("payout_sent", payout.id),
        _Fact(
            "payout_sent",
            {
                "payout_id": str(payout.id),
                "host_id": str(payout.host_id),
                "amount_cents": payout.amount_cents,
                "currency": payout.currency,
                "transfer_id": payout.stripe_transfer_id,
                "ledger_seq": payout.ledger_seq,
            },
            _nothing,
        ),
    )


# -- payments and reconciliation ---------------------------------------------------------


def webhook_failed(provider: str, event_id: str, error: BaseException) -> None:
    """A stored provider event was not applied (counted now; it is retried)."""
    WEBHOOK_FAILURES.labels(provider).inc()
    log_event(
        "webhook_failed",
        request_id=request_id_var.get(),
        task_id=task_id_var.get(),
        provider=provider,
        provider_event_id=event_id,
        error=f"{type(error).__name__}: {error}"[:500],
    )


def reconciled(check: Literal["credits", "payments"], mismatches: int) -> None:
    """A reconciliation of ``check`` ran and found ``mismatches`` differences."""
    RECONCILIATION_MISMATCHES.labels(check).set(mismatches)
    log_event(
        "reconciliation_done",
        request_id=request_id_var.get(),
        task_id=task_id_var.get(),
        check=check,
        mismatches=mismatches,
    )


# -- helpers -----------------------------------------------------------------------------


def _nothing() -> None:
    """The fact is a log line only."""


def _status(value: str) -> LotStatus:
    from alot_platform.lots.models import LotStatus  # lots import this module

    return LotStatus(value)


def _funded_at(lot: Lot) -> datetime:
    assert lot.funded_at is not None, "a funding purchase's lot is funded"
    return lot.funded_at


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _str(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)
