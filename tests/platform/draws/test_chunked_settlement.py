"""Settlement in chunks: each chunk committed on its own, a crash resumes, nothing twice.

A lot settles in chunks of ALOT_SETTLEMENT_CHUNK_SIZE entries (2 here), each its own
unit of work with its ledger transaction. The tests stop a settlement after some
chunks (running the per-chunk function by hand) and fail one in the middle (the
database refuses a statement: the outside world, not our code), then resume, and check
that every player got their credits once, that the ledger holds one settlement, and
that `alot-verify` still verifies the ledger export and the draw.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alot_ledger import Ledger, export_lines
from alot_platform.context import PlatformContext
from alot_platform.credits.models import CreditTransaction, UserUniversalCredits
from alot_platform.credits.service import reconcile_credits
from alot_platform.draws.models import LotteryDraw
from alot_platform.draws.service import DrawService
from alot_platform.draws.tasks import run_draw_and_settle, settle_next_chunk
from alot_platform.entries.models import LotEntry
from alot_platform.ledger.accounts import CREDITS_ISSUED, lot_escrow, user_credits
from alot_platform.lots.models import LotStatus
from alot_platform.reveals.models import Reveal
from alot_platform.users.models import User
from alot_verify.cli import cli as verify_cli
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import event

pytestmark = pytest.mark.usefixtures("draw_by_hand")

RATE = 10


class DatabaseDown(Exception):
    """What the driver raises when the database stops answering mid-transaction."""


@contextmanager
def database_fails_on(platform: PlatformContext, table: str) -> Iterator[None]:
    """The database refuses any statement that writes ``table`` (at the driver)."""

    def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO " + table.upper()):
            raise DatabaseDown(f"connection lost while writing {table}")

    engine = platform.database.engine
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


@pytest.fixture
def chunked(make_client: Callable[..., TestClient], client: TestClient) -> PlatformContext:
    """The platform (on the suite's database) with settlement chunks of 2 entries."""
    platform: PlatformContext = make_client(settlement_chunk_size=2).app.state.platform  # type: ignore[attr-defined]
    return platform


def _funded_lot(api: Any, lots: Any) -> tuple[uuid.UUID, list[str]]:
    """A drawn lot of 7 entries by 4 players (some with entries in several chunks)."""
    players = [api.account().id for _ in range(4)]
    lots.grant_credits(players[3], 300)
    purchases = [  # (player, tickets, cash, credits)
        (players[0], 3, 301, 0),
        (players[1], 1, 100, 0),
        (players[2], 2, 199, 0),
        (players[0], 1, 100, 0),
        (players[3], 3, 0, 300),
        (players[1], 2, 200, 0),
        (players[2], 2, 200, 0),
    ]
    target = sum(cash + credits for _, _, cash, credits in purchases)
    lot_id = lots.open_lot(target_cents=target, rate=RATE)
    for player, tickets, cash, credits in purchases:
        lots.buy(lot_id, player, tickets, cash=cash, credits=credits)
    assert lots.lot(lot_id).status == LotStatus.FUNDED.value
    return lot_id, players


def _draw(lots: Any, platform: PlatformContext, lot_id: uuid.UUID) -> LotteryDraw:
    with lots.session() as session:
        return DrawService(session, platform).draw(lot_id)


def _ledger(lots: Any) -> list[dict[str, Any]]:
    with lots.session() as session:
        ledger = Ledger(session)
        return ledger.transactions(after_seq=0, limit=ledger.size() + 1)


def _credits_of(lots: Any, player: str) -> int:
    with lots.session() as session:
        return Ledger(session).balance(user_credits(uuid.UUID(player)), "CRD").balance


def _kinds(lots: Any, lot_id: uuid.UUID) -> Counter[str]:
    return Counter(t["kind"] for t in _ledger(lots) if t["refs"].get("lot_id") == str(lot_id))


def _expected_credits(lots: Any, lot_id: uuid.UUID, winner: str) -> dict[str, int]:
    earned: dict[str, int] = Counter()
    for entry in lots.rows(LotEntry, lot_id=lot_id):
        if str(entry.user_id) != winner:
            earned[str(entry.user_id)] += (entry.amount_paid_cents + entry.credits_spent) // 10
    return dict(earned)


def test_a_settlement_stopped_after_some_chunks_resumes_and_pays_each_player_once(
    api: Any, lots: Any, chunked: PlatformContext, tmp_path: Path
) -> None:
    lot_id, players = _funded_lot(api, lots)
    granted = {p: _credits_of(lots, p) for p in players}  # players[3] spent its grant
    draw = _draw(lots, chunked, lot_id)
    winner = str(draw.winner_user_id)
    before = _kinds(lots, lot_id)

    # Two chunks (entries 1-4), each committed, then the process "stops".
    first = settle_next_chunk(chunked, lot_id)
    second = settle_next_chunk(chunked, lot_id)
    assert (first.entries, first.settled) == (2, False)
    assert (second.entries, second.settled) == (2, False)
    entries = sorted(lots.rows(LotEntry, lot_id=lot_id), key=lambda e: e.tickets_start)
    assert second.through_ticket == entries[3].tickets_end
    assert lots.lot(lot_id).status == LotStatus.DRAWING.value
    (stored,) = lots.rows(LotteryDraw, lot_id=lot_id)
    assert stored.settled_through_ticket == entries[3].tickets_end
    kinds = _kinds(lots, lot_id)
    assert kinds["lot_settlement"] == 0
    assert 1 <= kinds["lot_settlement_credits"] - before["lot_settlement_credits"] <= 2
    settled_so_far = Counter[str]()
    for entry in entries[:4]:
        if str(entry.user_id) != winner:
            settled_so_far[str(entry.user_id)] += (
                entry.amount_paid_cents + entry.credits_spent
            ) // 10
    for player in players:
        assert _credits_of(lots, player) == granted[player] + settled_so_far[player]
    # Nobody learns the result before the lot is settled.
    assert {r.status for r in lots.rows(Reveal, lot_id=lot_id)} == {"pending"}

    # The next run resumes at entry 5 and finishes.
    outcome = run_draw_and_settle(chunked, lot_id)
    assert (outcome.drawn, outcome.settled, outcome.status) == (False, True, "settled")
    _check_settled_once(lots, lot_id, players, granted, winner, tmp_path)


def test_a_chunk_that_fails_midway_leaves_nothing_and_the_retry_pays_once(
    api: Any, lots: Any, chunked: PlatformContext, tmp_path: Path
) -> None:
    lot_id, players = _funded_lot(api, lots)
    granted = {p: _credits_of(lots, p) for p in players}
    draw = _draw(lots, chunked, lot_id)
    winner = str(draw.winner_user_id)

    settle_next_chunk(chunked, lot_id)
    size = len(_ledger(lots))
    balances = {p: _credits_of(lots, p) for p in players}
    awarded = {e.id: e.credits_awarded for e in lots.rows(LotEntry, lot_id=lot_id)}
    # The second chunk's first non-winner credit row hits a dead database: its ledger
    # transaction was already appended in the same DB transaction, and is rolled back.
    with database_fails_on(chunked, "credit_transactions"), pytest.raises(DatabaseDown):
        run_draw_and_settle(chunked, lot_id)
    assert len(_ledger(lots)) == size
    assert {p: _credits_of(lots, p) for p in players} == balances
    assert {e.id: e.credits_awarded for e in lots.rows(LotEntry, lot_id=lot_id)} == awarded
    (stored,) = lots.rows(LotteryDraw, lot_id=lot_id)
    entries = sorted(lots.rows(LotEntry, lot_id=lot_id), key=lambda e: e.tickets_start)
    assert stored.settled_through_ticket == entries[1].tickets_end
    assert lots.lot(lot_id).status == LotStatus.DRAWING.value

    # The retry (the tick, a redelivered task) resumes at chunk 2.
    assert run_draw_and_settle(chunked, lot_id).settled
    _check_settled_once(lots, lot_id, players, granted, winner, tmp_path)
    again = run_draw_and_settle(chunked, lot_id)
    assert (again.drawn, again.settled) == (False, False)
    _check_settled_once(lots, lot_id, players, granted, winner, tmp_path)


def _check_settled_once(
    lots: Any,
    lot_id: uuid.UUID,
    players: list[str],
    granted: dict[str, int],
    winner: str,
    tmp_path: Path,
) -> None:
    lot = lots.lot(lot_id)
    assert lot.status == LotStatus.SETTLED.value
    entries = lots.rows(LotEntry, lot_id=lot_id)
    (draw,) = lots.rows(LotteryDraw, lot_id=lot_id)
    assert draw.settled_through_ticket == draw.total_tickets == lot.tickets_sold

    # Each non-winning entry's credits once: one credit row per entry, balances agree.
    expected = _expected_credits(lots, lot_id, winner)
    rows = [t for t in lots.rows(CreditTransaction, lot_id=lot_id) if t.amount > 0]
    assert Counter(t.lot_entry_id for t in rows) == Counter(
        e.id for e in entries if str(e.user_id) != winner
    )
    for entry in entries:
        won = str(entry.user_id) == winner
        assert entry.credits_awarded == (
            0 if won else (entry.amount_paid_cents + entry.credits_spent) // 10
        )
        assert entry.is_winner == (entry.tickets_start <= draw.winning_ticket <= entry.tickets_end)
    assert sum(e.is_winner for e in entries) == 1
    for player in players:
        assert _credits_of(lots, player) == granted[player] + expected.get(player, 0)
        (row,) = lots.rows(UserUniversalCredits, user_id=uuid.UUID(player)) or [None]
        assert (row.balance if row else 0) == _credits_of(lots, player)
    with lots.session() as session:
        assert reconcile_credits(session) == []
    reveals = {str(r.user_id): r.status for r in lots.rows(Reveal, lot_id=lot_id)}
    assert reveals == {p: ("won" if p == winner else "lost") for p in players}
    assert lots.rows(User, id=uuid.UUID(winner))[0].total_won == 1

    # The ledger: one lot_settlement, whose credits_issued is the chunks' sum.
    mine = [t for t in _ledger(lots) if t["refs"].get("lot_id") == str(lot_id)]
    (settlement,) = [t for t in mine if t["kind"] == "lot_settlement"]
    chunks = [t for t in mine if t["kind"] == "lot_settlement_credits"]
    assert settlement["seq"] > max(t["seq"] for t in chunks)
    assert settlement["metadata"]["credits_issued"] == sum(expected.values())
    assert sum(t["metadata"]["credits_issued"] for t in chunks) == sum(expected.values())
    firsts = [t["metadata"]["first_ticket"] for t in chunks]
    assert len(firsts) == len(set(firsts))
    with lots.session() as session:
        ledger = Ledger(session)
        assert ledger.balance(lot_escrow(lot_id), "USD").balance == 0
        assert ledger.balance(lot_escrow(lot_id), "CRD").balance == 0
        issued = -ledger.balance(CREDITS_ISSUED, "CRD").balance
    assert issued == 300 + sum(expected.values())  # the grant, and the settlement

    # alot-verify: the whole ledger export, and the draw proof.
    export = tmp_path / "ledger.jsonl"
    export.write_text("".join(export_lines(lots.platform.database.engine)))
    verified = CliRunner().invoke(verify_cli, ["ledger", str(export)])
    assert verified.exit_code == 0, verified.output
    proof = tmp_path / "proof.json"
    proof.write_text(json.dumps(draw.proof))
    verified = CliRunner().invoke(verify_cli, ["draw", str(proof)])
    assert verified.exit_code == 0, verified.output
