"""The draw engine on its own: freeze at funding, draw, settle, exactly once."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alot_ledger import Ledger
from alot_platform.context import PlatformContext
from alot_platform.credits.models import UserUniversalCredits
from alot_platform.draws.models import LotteryDraw
from alot_platform.draws.service import DrawService
from alot_platform.draws.tasks import run_draw_and_settle
from alot_platform.entries.models import LotEntry
from alot_platform.ledger.accounts import (
    CREDITS_ISSUED,
    CREDITS_REDEEMED,
    PLATFORM_REVENUE,
    lot_escrow,
    user_credits,
)
from alot_platform.lots.models import DrawAlgorithm, LotStatus
from alot_platform.lots.state import LotStateConflict
from alot_platform.outbox.models import OutboxItem
from alot_platform.reveals.models import Reveal
from alot_platform.users.models import User
from alot_verify.cli import cli as verify_cli
from alot_verify.draw import commitment_v2, verify_draw_proof
from click.testing import CliRunner
from sqlalchemy.exc import IntegrityError

pytestmark = pytest.mark.usefixtures("draw_by_hand")


def _balance(lots: Any, account: str, asset: str) -> int:
    with lots.session() as session:
        return Ledger(session).balance(account, asset).balance


def _ledger_size(lots: Any) -> int:
    with lots.session() as session:
        return Ledger(session).size()


def test_funding_freezes_the_inputs_in_the_ledger(api: Any, lots: Any) -> None:
    a, b = api.account().id, api.account().id
    lot_id = lots.open_lot(target_cents=1000)
    lots.buy(lot_id, a, 4, cash=400)
    assert lots.rows(LotteryDraw, lot_id=lot_id) == []
    lots.buy(lot_id, b, 6, cash=600)

    (draw,) = lots.rows(LotteryDraw, lot_id=lot_id)
    assert (draw.total_tickets, draw.escrow_cents) == (10, 1000)
    assert draw.draw_inputs["total_tickets"] == 10
    assert draw.draw_inputs["escrow_cents"] == 1000
    assert draw.draw_inputs["beacon"] is None
    assert draw.proof is None
    lot = lots.lot(lot_id)
    # The seed is revealed with the frozen inputs (no withholding), matching its commitment.
    seed = lots.platform.seed_sealer.unseal(lot.server_seed_sealed, lot.id)
    assert draw.server_seed == seed
    assert commitment_v2(seed) == draw.draw_inputs["server_seed_commitment"]
    with lots.session() as session:
        memo = Ledger(session).transaction(draw.inputs_ledger_seq)
    assert memo["kind"] == "draw_inputs"
    assert memo["postings"] == []
    assert memo["refs"] == {"lot_id": str(lot_id)}
    assert memo["metadata"] == {
        "algorithm": "alot-v2",
        "draw_inputs": draw.draw_inputs,
        "draw_inputs_hash": draw.draw_inputs_hash,
        "server_seed": seed,
    }
    assert lots.lot(lot_id).status == LotStatus.FUNDED.value
    # ...and, in the same transaction, the task that draws it once that commits.
    (task,) = lots.rows(OutboxItem, key=f"draw:{lot_id}")
    assert (task.task, task.payload, task.status) == ("draw", {"lot_id": str(lot_id)}, "pending")


def test_the_database_refuses_a_second_freeze_memo_for_a_lot(api: Any, lots: Any) -> None:
    """One set of draw inputs per lot: a second draw_inputs memo (other inputs, another
    idempotency key, as an operator freezing several candidates would write) is refused
    by the database itself (migration 0022), not only by the service's code."""
    a = api.account().id
    lot_id, other_lot = lots.open_lot(target_cents=1000), lots.open_lot(target_cents=1000)
    lots.buy(lot_id, a, 10, cash=1000)
    (draw,) = lots.rows(LotteryDraw, lot_id=lot_id)
    size = _ledger_size(lots)
    candidate = {**draw.draw_inputs, "funded_at": "2026-03-01T12:00:00.000016Z"}

    # SQLAlchemy's error on SQLite; psycopg's own on PostgreSQL (the ledger appends there
    # through psycopg directly).
    with pytest.raises((IntegrityError, psycopg.IntegrityError)), lots.session() as session:
        Ledger(session).memo(
            "draw_inputs",
            refs={"lot_id": str(lot_id)},
            metadata={"algorithm": "alot-v2", "draw_inputs": candidate},
            idempotency_key=f"draw_inputs:{lot_id}:candidate-2",
        )
    assert _ledger_size(lots) == size

    # The rule is per lot and per kind: another lot's freeze, and other memos about
    # this lot, are written as before.
    with lots.session() as session:
        ledger = Ledger(session)
        ledger.memo("draw_inputs", refs={"lot_id": str(other_lot)}, metadata={})
        ledger.memo("lot_note", refs={"lot_id": str(lot_id)}, metadata={})
        ledger.memo("lot_note", refs={"lot_id": str(lot_id)}, metadata={})
    assert _ledger_size(lots) == size + 3


@pytest.mark.parametrize("algorithm", [DrawAlgorithm.V1, DrawAlgorithm.V2])
def test_draw_and_settle(
    api: Any, lots: Any, platform: PlatformContext, tmp_path: Path, algorithm: DrawAlgorithm
) -> None:
    players = [api.account().id for _ in range(3)]
    lots.grant_credits(players[2], 500)
    lot_id = lots.open_lot(target_cents=1500, algorithm=algorithm, rate=10)
    lots.buy(lot_id, players[0], 3, cash=301)
    lots.buy(lot_id, players[1], 5, cash=500)
    lots.buy(lot_id, players[0], 2, cash=199)
    lots.buy(lot_id, players[2], 5, credits=500)

    outcome = run_draw_and_settle(platform, lot_id)
    assert (outcome.drawn, outcome.settled, outcome.status) == (True, True, "settled")

    (draw,) = lots.rows(LotteryDraw, lot_id=lot_id)
    result = verify_draw_proof(draw.proof)
    assert result.algorithm == algorithm.value
    assert result.winning_ticket == draw.winning_ticket
    # A pseudonymous proof names the winning holder; the record keeps the account.
    assert result.winner_user_id is None
    assert result.winner_holder == draw.proof["winner_holder"]
    lot = lots.lot(lot_id)
    assert draw.server_seed == platform.seed_sealer.unseal(lot.server_seed_sealed, lot.id)
    assert lot.status == LotStatus.SETTLED.value
    assert lot.drawn_at is not None
    assert lot.settled_at is not None
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(json.dumps(draw.proof))
    cli = CliRunner().invoke(verify_cli, ["draw", str(proof_file)])
    assert cli.exit_code == 0, cli.output

    winner = str(draw.winner_user_id)
    # 10% of each entry's spend, rounded down per entry: 301 -> 30 and 199 -> 19.
    earned = {players[0]: 30 + 19, players[1]: 50, players[2]: 50}
    expected = {p: (0 if p == winner else earned[p]) for p in players}
    entries = lots.rows(LotEntry, lot_id=lot_id)
    for entry in entries:
        holds_it = entry.tickets_start <= draw.winning_ticket <= entry.tickets_end
        assert entry.is_winner == holds_it
        won = str(entry.user_id) == winner
        awarded = 0 if won else (entry.amount_paid_cents + entry.credits_spent) // 10
        assert entry.credits_awarded == awarded
    reveals = {str(r.user_id): r.status for r in lots.rows(Reveal, lot_id=lot_id)}
    assert reveals == {p: ("won" if p == winner else "lost") for p in players}
    assert lots.rows(User, id=uuid.UUID(winner))[0].total_won == 1

    escrow = lot_escrow(lot_id)
    assert _balance(lots, escrow, "USD") == 0
    assert _balance(lots, escrow, "CRD") == 0
    assert _balance(lots, PLATFORM_REVENUE, "USD") == 1000
    assert _balance(lots, CREDITS_REDEEMED, "CRD") == 500
    assert _balance(lots, CREDITS_ISSUED, "CRD") == -(500 + sum(expected.values()))
    for player in players:
        ledger = _balance(lots, user_credits(uuid.UUID(player)), "CRD")
        (row,) = lots.rows(UserUniversalCredits, user_id=uuid.UUID(player)) or [None]
        assert ledger == expected[player]
        assert (row.balance if row else 0) == ledger

    size = _ledger_size(lots)
    again = run_draw_and_settle(platform, lot_id)
    assert (again.drawn, again.settled) == (False, False)
    assert _ledger_size(lots) == size


def test_draw_and_settle_refuse_lots_not_ready(api: Any, lots: Any) -> None:
    player = api.account().id
    lot_id = lots.open_lot(target_cents=1000)
    lots.buy(lot_id, player, 1, cash=100)
    size = _ledger_size(lots)
    with lots.session() as session, pytest.raises(LotStateConflict):
        DrawService(session, lots.platform).draw(lot_id)
    lots.buy(lot_id, player, 9, cash=900)
    with lots.session() as session, pytest.raises(LotStateConflict):
        DrawService(session, lots.platform).settle_chunk(lot_id)
    assert lots.lot(lot_id).status == LotStatus.FUNDED.value
    assert _ledger_size(lots) == size + 2  # the purchase and its draw_inputs memo only


def test_two_triggers_at_once_draw_and_settle_once(
    api: Any, lots: Any, platform: PlatformContext
) -> None:
    players = [api.account().id for _ in range(4)]
    lot_id = lots.open_lot(target_cents=400)
    for player in players:
        lots.buy(lot_id, player, 1, cash=100)
    size = _ledger_size(lots)
    barrier = threading.Barrier(4)
    outcomes: list[Any] = []
    errors: list[BaseException] = []

    def trigger() -> None:
        barrier.wait()
        try:
            outcomes.append(run_draw_and_settle(platform, lot_id))
        except BaseException as error:  # reported below, not swallowed
            errors.append(error)

    threads = [threading.Thread(target=trigger) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(o.drawn for o in outcomes) == 1
    assert sum(o.settled for o in outcomes) == 1
    # one draw_result, one lot_settlement_credits (a single chunk), one lot_settlement
    assert _ledger_size(lots) == size + 3
    credits = [r.balance for r in lots.rows(UserUniversalCredits)]
    assert sorted(credits) == [10, 10, 10]


def test_only_the_entry_holding_the_winning_ticket_is_the_winner(
    api: Any, lots: Any, platform: PlatformContext
) -> None:
    """The winner's other entries in the lot are not winning entries (nor earn credits)."""
    winner = api.account().id  # the only buyer, so the winner whatever the draw
    lot_id = lots.open_lot(target_cents=1000)
    lots.buy(lot_id, winner, 3, cash=300)
    lots.buy(lot_id, winner, 3, cash=300)
    lots.buy(lot_id, winner, 4, cash=400)
    assert run_draw_and_settle(platform, lot_id).settled

    (draw,) = lots.rows(LotteryDraw, lot_id=lot_id)
    assert str(draw.winner_user_id) == winner
    entries = sorted(lots.rows(LotEntry, lot_id=lot_id), key=lambda e: e.tickets_start)
    holder = next(e for e in entries if e.tickets_start <= draw.winning_ticket <= e.tickets_end)
    assert [e.is_winner for e in entries] == [e is holder for e in entries]
    assert [e.credits_awarded for e in entries] == [0, 0, 0]
