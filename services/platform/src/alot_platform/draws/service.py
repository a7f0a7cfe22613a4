"""The draw engine: freeze a funded lot's draw inputs, draw the winner, settle the lot.

Three steps, each in the caller's unit of work and each written to the ledger:

1. ``freeze`` (inside the purchase that funds the lot): the lottery_draws row with the
   ticket count, the escrow and the inputs the draw will use (for alot-v2 the spec's
   draw inputs with the ticket-map root and the future drand round of the chain the
   lot declared when it opened, or none for a lot declared beacon-less); ledger memo
   ``draw_inputs``, which also reveals the server seed. One per lot: the database
   refuses a second (migration 0022).
2. ``draw`` (funded -> drawing): computed with ``alot_verify.draw``, the same code an
   auditor runs (anyone can, from the freeze memo and the round); memo ``draw_result``.
3. ``settle_chunk``, called until the lot is settled (drawing -> settled): in chunks of
   entries in ticket order, each its own unit of work, the entry holding the winning
   ticket is marked, non-winners get credits at the lot's rate (one ledger transaction
   ``lot_settlement_credits`` per chunk) and the settlement cursor advances; the last
   chunk also moves the escrow to revenue (cash) and out of circulation (credits spent)
   in the ledger transaction ``lot_settlement``, resolves the reveals (the winner's won,
   everyone else's lost) and settles the lot. A lot of 50,000 buyers never needs one
   huge transaction, and a crash between chunks resumes at the next one.

Draw and each settlement chunk take the lot's row lock and check the state under it,
so running them twice at once does the work once; repeating a finished step returns
its result.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alot_ledger import Ledger, Posting
from alot_verify.beacon import KNOWN_CHAINS
from alot_verify.canonical import canonical_json
from alot_verify.draw import (
    ENTRY_KIND_FREE,
    Entry,
    compute_v1,
    compute_v2,
    draw_inputs_hash,
    freeze_v2,
    ticket_map_root,
)
from sqlalchemy.orm import Session

from alot_platform.context import PlatformContext
from alot_platform.credits.models import CreditTransactionType
from alot_platform.credits.service import CreditChange, CreditsService
from alot_platform.draws.beacon import DrandBeacon, RoundNotVerified, frozen_round
from alot_platform.draws.models import LotteryDraw
from alot_platform.draws.repository import DrawRepository, MappedEntry, SettledEntry
from alot_platform.entries.models import LotEntry
from alot_platform.errors import Conflict, NotFound
from alot_platform.hosts.escrow import lot_split, settlement_postings
from alot_platform.ledger.accounts import (
    CRD,
    CREDITS_ISSUED,
    CREDITS_REDEEMED,
    lot_escrow,
    user_credits,
)
from alot_platform.lots.models import DrawAlgorithm, Lot, LotStatus
from alot_platform.lots.repository import LotRepository
from alot_platform.lots.service import LotNotFound, draw_timestamp
from alot_platform.lots.state import LotStateConflict, transition
from alot_platform.money import format_cents
from alot_platform.notifications.service import notify_settled
from alot_platform.observability import business
from alot_platform.outbox.service import enqueue_task
from alot_platform.realtime.events import Event, EventType, emit, lot_snapshot
from alot_platform.reveals.models import Reveal

DRAW_INPUTS = "draw_inputs"


class DrawNotDone(NotFound):
    code = "draw_not_done"
    title = "The lot has not been drawn"


class SettlementOutOfStep(RuntimeError):
    """The ledger and the settlement cursor disagree: stop rather than pay twice."""


@dataclass(frozen=True)
class SettlementStep:
    """What one settlement chunk did."""

    entries: int
    """Entries settled by this chunk (0 when there were none left)."""
    settled: bool
    """True when this chunk closed the settlement (the lot is settled now)."""
    through_ticket: int
    """The settlement cursor after the chunk."""


class BeaconNotPublished(Conflict):
    """The drand round frozen at funding is not published (or not reachable) yet."""

    code = "beacon_not_published"
    title = "The draw waits for its drand round"


class DrawService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._lots = LotRepository(session)
        self._draws = DrawRepository(session)

    # -- reading --------------------------------------------------------------------

    def get(self, lot_id: uuid.UUID) -> tuple[Lot, LotteryDraw | None]:
        lot = self._lots.get(lot_id)
        if lot is None:
            raise LotNotFound(f"no lot {lot_id}")
        return lot, self._draws.get_for_lot(lot_id)

    def record(self, lot: Lot) -> LotteryDraw | None:
        """The lot's draw record (None until funded)."""
        return self._draws.get_for_lot(lot.id)

    # -- 1. freeze ------------------------------------------------------------------

    def freeze(self, lot: Lot) -> LotteryDraw:
        """Freeze the draw inputs of ``lot``, just funded, in this unit of work.

        The caller holds the lot's row lock and has moved it to funded. Freezing twice
        returns the first record.
        """
        existing = self._draws.get_for_lot(lot.id)
        if existing is not None:
            return existing
        if lot.status != LotStatus.FUNDED.value:
            raise LotStateConflict(lot, "freeze the draw inputs")
        if lot.server_seed_sealed is None or lot.server_seed_commitment is None:
            raise LotStateConflict(lot, "freeze the draw inputs of a lot never opened")
        self._session.flush()  # the funding purchase's entry is part of the ticket map
        # Revealed now, with the frozen inputs (no withholding): the seed was committed at
        # opening and the beacon round is still in the future, so knowing it tells
        # nobody the winner, and once the round is out anyone can draw without us.
        server_seed = self._platform.seed_sealer.unseal(lot.server_seed_sealed, lot.id)
        entries = _ticket_map(lot, self._draws.entries(lot.id))
        funded_at = lot.funded_at or self._platform.clock()
        escrow_cents = lot.funded_cents
        if lot.draw_algorithm == DrawAlgorithm.V2.value:
            inputs = freeze_v2(
                lot_id=str(lot.id),
                funded_at=draw_timestamp(funded_at),
                escrow_cents=escrow_cents,
                entries=entries,
                server_seed_commitment=lot.server_seed_commitment,
                beacon=self._frozen_beacon(lot, funded_at),
            )
            inputs_hash = draw_inputs_hash(inputs)
        else:
            inputs = _inputs_v1(lot, entries, funded_at, escrow_cents)
            inputs_hash = hashlib.sha256(canonical_json(inputs)).hexdigest()
        draw = LotteryDraw(
            lot_id=lot.id,
            algorithm=lot.draw_algorithm,
            total_tickets=lot.tickets_sold,
            escrow_cents=escrow_cents,
            server_seed_commitment=lot.server_seed_commitment,
            draw_inputs=inputs,
            draw_inputs_hash=inputs_hash,
            frozen_at=funded_at,
            server_seed=server_seed,
        )
        self._draws.add(draw)
        # One freeze memo per lot: the database refuses a second whatever its key
        # (migration 0022), so no other input set can be frozen for this lot.
        receipt = Ledger(self._session).memo(
            DRAW_INPUTS,
            refs={"lot_id": str(lot.id)},
            metadata={
                "algorithm": lot.draw_algorithm,
                "draw_inputs": inputs,
                "draw_inputs_hash": inputs_hash,
                "server_seed": server_seed,
            },
            idempotency_key=f"draw_inputs:{lot.id}",
        )
        draw.inputs_ledger_seq = receipt.seq
        # The draw and settlement run after this commits (alot_platform.outbox.handlers).
        enqueue_task(
            self._session,
            task="draw",
            key=f"draw:{lot.id}",
            payload={"lot_id": str(lot.id)},
            now=self._platform.clock(),
        )
        return draw

    def _frozen_beacon(self, lot: Lot, funded_at: datetime) -> dict[str, Any] | None:
        """The beacon round an alot-v2 lot freezes: from the chain it declared when it
        opened, whatever drand is configured now (with none configured, the draw waits
        for one; it never goes ahead without its beacon); none for a lot declared
        beacon-less. Lots opened before declarations existed take today's settings."""
        if not lot.beacon_declared:
            beacon = DrandBeacon.from_settings(self._platform.settings)
            return None if beacon is None else beacon.choose(funded_at)
        if lot.beacon_chain_hash is None:
            return None
        chain = KNOWN_CHAINS.get(lot.beacon_chain_hash)
        if chain is None:
            # Only pinned chains are ever declared, and pins are never dropped.
            raise RuntimeError(
                f"lot {lot.id} declared drand chain {lot.beacon_chain_hash}, which"
                " alot-verify no longer pins: its round cannot be chosen"
            )
        return frozen_round(chain, funded_at)

    # -- 2. draw --------------------------------------------------------------------

    def draw(self, lot_id: uuid.UUID) -> LotteryDraw:
        """Draw the winner of a funded lot (funded -> drawing); a drawn lot's result as is."""
        lot = self._lock(lot_id)
        draw = self._draws.get_for_lot(lot.id)
        if draw is not None and draw.proof is not None:
            return draw
        if lot.status != LotStatus.FUNDED.value or draw is None or lot.server_seed_sealed is None:
            raise LotStateConflict(lot, "draw")
        # Unsealed only here, where it is published: in the proof, the record, the ledger.
        server_seed = self._platform.seed_sealer.unseal(lot.server_seed_sealed, lot.id)
        rows = self._draws.entries(lot.id)
        entries = _ticket_map(lot, rows)
        if draw.algorithm == DrawAlgorithm.V2.value:
            assert draw.draw_inputs is not None
            proof = compute_v2(
                draw_inputs=draw.draw_inputs,
                server_seed=server_seed,
                entries=entries,
                beacon=self._beacon_reading(draw.draw_inputs),
            )
            seeds = {
                "draw_inputs_hash": proof["draw_inputs_hash"],
                "seed": proof["seed"],
                "selection_counter": proof["selection_counter"],
            }
        else:
            proof = compute_v1(
                lot_id=str(lot.id),
                created_at=draw_timestamp(lot.created_at),
                total_tickets=draw.total_tickets,
                escrow_balance=format_cents(draw.escrow_cents),
                server_seed=server_seed,
                entries=entries,
            )
            seeds = {"client_seed": proof["client_seed"], "combined_seed": proof["combined_seed"]}
        now = self._platform.clock()
        transition(lot, LotStatus.DRAWING, now, action="draw")
        lot.drawn_at = now
        draw.server_seed = server_seed
        draw.winning_ticket = proof["winning_ticket"]
        winner = _winner(proof, rows)
        draw.winner_user_id = winner.user_id
        draw.proof = proof
        draw.drawn_at = now
        receipt = Ledger(self._session).memo(
            "draw_result",
            refs={"lot_id": str(lot.id), **winner.refs},
            metadata={
                "algorithm": draw.algorithm,
                "server_seed": server_seed,
                "winning_ticket": proof["winning_ticket"],
                "proof_sha256": hashlib.sha256(canonical_json(proof)).hexdigest(),
                **seeds,
            },
            idempotency_key=f"draw_result:{lot.id}",
        )
        draw.result_ledger_seq = receipt.seq
        business.draw_completed(self._session, lot, draw)
        emit(
            self._session,
            Event(
                EventType.DRAW_COMPLETED,
                now,
                lot.id,
                data={
                    **lot_snapshot(lot),
                    "algorithm": draw.algorithm,
                    "winning_ticket": draw.winning_ticket,
                    **winner.refs,
                    "result_ledger_seq": receipt.seq,
                },
            ),
        )
        return draw

    def _beacon_reading(self, draw_inputs: dict[str, Any]) -> dict[str, Any] | None:
        choice = draw_inputs.get("beacon")
        if choice is None:
            return None
        url = self._platform.settings.drand_url
        chain = KNOWN_CHAINS.get(choice["chain_hash"])
        if not url or chain is None:
            raise BeaconNotPublished(
                f"drand round {choice['round']} cannot be read: no drand endpoint configured"
            )
        try:
            reading = DrandBeacon(url, chain).read(choice["round"])
        except RoundNotVerified as refused:
            raise BeaconNotPublished(
                f"drand round {choice['round']} as served does not verify against the"
                f" chain's public key ({refused.reason}); it is not used, the draw retries",
                round=choice["round"],
            ) from refused
        if reading is None:
            raise BeaconNotPublished(
                f"drand round {choice['round']} is not published yet; the draw retries",
                round=choice["round"],
            )
        return reading

    # -- 3. settle ------------------------------------------------------------------

    def settle_chunk(self, lot_id: uuid.UUID, size: int | None = None) -> SettlementStep:
        """Settle the next ``size`` entries of a drawn lot, in ticket order.

        One chunk is one unit of work (the caller's): its entries' credits, their
        ledger transaction ``lot_settlement_credits``, the credit balances and the
        settlement cursor move together, so a crash between chunks leaves every chunk
        either wholly done or not at all, and the next call resumes after the last one
        committed. The chunk that reaches the last ticket also closes the settlement:
        the lot's money postings (``lot_settlement``), the reveals, the winner's
        ``total_won``, and ``drawing -> settled``. A settled lot is left as it is.
        """
        size = size or self._platform.settings.settlement_chunk_size
        lot = self._lock(lot_id)
        draw = self._draws.get_for_lot(lot.id)
        if lot.status == LotStatus.SETTLED.value and draw is not None:
            return SettlementStep(entries=0, settled=False, through_ticket=draw.total_tickets)
        if lot.status != LotStatus.DRAWING.value or draw is None or draw.winner_user_id is None:
            raise LotStateConflict(lot, "settle (draw it first)")
        now = self._platform.clock()
        after = draw.settled_through_ticket
        through = self._draws.chunk_end(lot.id, after, size)
        entries = self._settle_entries(lot, draw, after, through, now)
        if entries:
            draw.settled_through_ticket = entries[-1].tickets_end
        last = through is None or draw.settled_through_ticket >= draw.total_tickets
        if last:
            self._close(lot, draw, now)
        return SettlementStep(
            entries=len(entries), settled=last, through_ticket=draw.settled_through_ticket
        )

    def _settle_entries(
        self, lot: Lot, draw: LotteryDraw, after: int, through: int | None, now: datetime
    ) -> list[SettledEntry]:
        """The chunk's entries: winner mark and credits, reveals, ledger and balances."""
        winner_id = draw.winner_user_id
        assert winner_id is not None
        assert draw.winning_ticket is not None
        rate = lot.non_winner_credit_rate_percent
        entries = self._draws.settle_entries(
            lot.id,
            after_ticket=after,
            through_start=through,
            winner_id=winner_id,
            winning_ticket=draw.winning_ticket,
            rate_percent=rate,
        )
        # Purchases create reveals; this only covers entries made before they did.
        for user_id in self._draws.users_without_reveal(
            lot.id, after_ticket=after, through_start=through
        ):
            self._session.add(Reveal(user_id=user_id, lot_id=lot.id, details={}, created_at=now))
        earned: dict[uuid.UUID, int] = defaultdict(int)
        changes: list[CreditChange] = []
        for entry in entries:
            if entry.credits_awarded > 0:
                earned[entry.user_id] += entry.credits_awarded
                changes.append(
                    CreditChange(
                        user_id=entry.user_id,
                        amount=entry.credits_awarded,
                        transaction_type=CreditTransactionType.LOT_SETTLEMENT,
                        lot_id=lot.id,
                        lot_entry_id=entry.id,
                        purchase_id=entry.purchase_id,
                        details={"rate_percent": rate},
                    )
                )
        issued = sum(earned.values())
        if not issued:
            return entries
        self._session.flush()  # the rows first: the ledger's head lock is held to commit
        ledger = Ledger(self._session)
        size_before = ledger.size()
        first, last = entries[0].tickets_start, entries[-1].tickets_end
        receipt = ledger.post(
            "lot_settlement_credits",
            [
                Posting(CREDITS_ISSUED, CRD, -issued),
                *(Posting(user_credits(u), CRD, n) for u, n in sorted(earned.items())),
            ],
            refs={"lot_id": str(lot.id)},
            metadata={
                "first_ticket": first,
                "last_ticket": last,
                "entries": len(entries),
                "credits_issued": issued,
                "non_winner_credit_rate_percent": rate,
            },
            idempotency_key=f"lot_settlement_credits:{lot.id}:{first}",
        )
        if receipt.seq <= size_before:
            # The ledger already holds this chunk, yet the cursor (committed with it)
            # says it is not done: never credit the balances a second time.
            raise SettlementOutOfStep(
                f"lot {lot.id}: settlement chunk from ticket {first} is already ledger"
                f" seq {receipt.seq}, but the settlement cursor is {after}"
            )
        CreditsService(self._session, now).apply(changes, ledger_seq=receipt.seq)
        return entries

    def _close(self, lot: Lot, draw: LotteryDraw, now: datetime) -> None:
        """The last chunk's end: the lot's money moves, reveals resolve, the lot settles."""
        winner_id = draw.winner_user_id
        assert winner_id is not None
        self._session.flush()
        self._draws.resolve_reveals(lot.id, winner_id, now)
        self._draws.set_claim_deadline(
            lot.id, winner_id, now + timedelta(days=self._platform.settings.claim_days)
        )
        winner = self._draws.user(winner_id)
        if winner is not None:
            winner.total_won += 1
            winner.updated_at = now
        transition(lot, LotStatus.SETTLED, now, action="settle")
        escrow = lot_escrow(lot.id)
        refs = {"lot_id": str(lot.id), "winner_user_id": str(winner_id)}
        host_terms: dict[str, int] = {}
        revenue_cents = lot.cash_cents
        if lot.host_id is not None:
            terms = lot_split(lot)
            refs["host_id"] = str(lot.host_id)
            host_terms = {
                "commission_bps": lot.commission_bps or 0,
                "commission_cents": terms.commission_cents,
                "host_share_cents": terms.host_share_cents,
            }
            revenue_cents = lot.cash_cents - terms.host_share_cents
        credits_issued = self._draws.credits_awarded(lot.id)
        Ledger(self._session).post(
            "lot_settlement",
            [
                *settlement_postings(lot),
                *_move(escrow, CREDITS_REDEEMED, CRD, lot.credits_spent),
            ],
            refs=refs,
            metadata={
                **host_terms,
                "revenue_cents": revenue_cents,
                "credits_redeemed": lot.credits_spent,
                "credits_issued": credits_issued,
                "non_winner_credit_rate_percent": lot.non_winner_credit_rate_percent,
            },
            idempotency_key=f"lot_settlement:{lot.id}",
        )
        notify_settled(self._session, self._platform, lot, draw)
        business.lot_settled(
            self._session, lot, revenue_cents=revenue_cents, credits_issued=credits_issued
        )

    def _lock(self, lot_id: uuid.UUID) -> Lot:
        lot = self._lots.get_for_update(lot_id)
        if lot is None:
            raise LotNotFound(f"no lot {lot_id}")
        return lot


def _ticket_map(lot: Lot, entries: list[MappedEntry]) -> list[Entry]:
    """The draw's ticket map: a free entry carries kind ``free`` (docs/spec/draw.md); a
    paid one no kind, so a lot without free entries draws exactly as before. A lot with
    pseudonymous holders names each entry's holder by its pseudonym (entries.holders),
    never by user id, with what its purchase put in the escrow and that purchase's ledger
    seq, so a verifier sums the amounts to the escrow and finds each purchase in the
    ledger; an older lot names user ids, exactly as it always did."""
    if lot.pseudonymous_holders:
        return [
            Entry(
                None,
                row.entry.tickets_start,
                row.entry.tickets_end,
                _kind(row.free),
                holder=_holder(row.entry),
                amount_cents=row.amount_cents,
                purchase_seq=_purchase_seq(row),
            )
            for row in entries
        ]
    return [
        Entry(
            str(row.entry.user_id), row.entry.tickets_start, row.entry.tickets_end, _kind(row.free)
        )
        for row in entries
    ]


def _kind(free: bool) -> str | None:
    return ENTRY_KIND_FREE if free else None


def _holder(entry: LotEntry) -> str:
    if entry.holder is None:
        # Every entry of a pseudonymous lot gets its holder when allocated.
        raise RuntimeError(f"entry {entry.id} of lot {entry.lot_id} has no holder pseudonym")
    return entry.holder


def _purchase_seq(row: MappedEntry) -> int:
    if row.purchase_seq is None:
        # A ticket whose purchase is not in the ledger must never be frozen: no verifier
        # could tie it to money. Every allocated purchase has its transaction by now.
        raise RuntimeError(
            f"entry {row.entry.id} of lot {row.entry.lot_id} has no ledger transaction"
            f" for purchase {row.entry.purchase_id}"
        )
    return row.purchase_seq


@dataclass(frozen=True)
class _Winner:
    user_id: uuid.UUID
    refs: dict[str, str]
    """How the draw_result memo and the draw event name the winner: the user id (winners
    are announced), and on a pseudonymous lot also the holder the proof names."""


def _winner(proof: dict[str, Any], entries: list[MappedEntry]) -> _Winner:
    """The winning account, from the proof's ``winner_holder`` through the lot's entries
    (a pseudonymous proof names no user), or its ``winner_user_id`` (a named one)."""
    holder = proof.get("winner_holder")
    if holder is None:
        user_id = uuid.UUID(proof["winner_user_id"])
        return _Winner(user_id, {"winner_user_id": str(user_id)})
    owners = {row.entry.user_id for row in entries if row.entry.holder == holder}
    if len(owners) != 1:
        raise RuntimeError(f"winner holder {holder} names {len(owners)} accounts, not one")
    user_id = owners.pop()
    return _Winner(user_id, {"winner_user_id": str(user_id), "winner_holder": holder})


def _inputs_v1(
    lot: Lot, entries: list[Entry], funded_at: datetime, escrow_cents: int
) -> dict[str, Any]:
    """What alot-v1 will use, frozen at funding, plus the ticket map root.

    alot-v1 itself commits to nothing about the ticket map; recording its root here
    lets an auditor see that the entries in the published proof were not rewritten.
    """
    return {
        "algorithm": DrawAlgorithm.V1.value,
        "lot_id": str(lot.id),
        "created_at": draw_timestamp(lot.created_at),
        "funded_at": draw_timestamp(funded_at),
        "total_tickets": lot.tickets_sold,
        "escrow_balance": format_cents(escrow_cents),
        "server_seed_commitment": lot.server_seed_commitment,
        "ticket_map_root": ticket_map_root(entries),
    }


def _move(source: str, destination: str, asset: str, amount: int) -> list[Posting]:
    """A transfer's two postings, or none for a zero amount (the ledger refuses zeros)."""
    if amount == 0:
        return []
    return [Posting(source, asset, -amount), Posting(destination, asset, amount)]
