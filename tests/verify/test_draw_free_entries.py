"""Free entries in the ticket map (docs/spec/draw.md, "Entry kinds"): a free ticket is
drawn exactly like a paid one, the kind is committed to by the ticket map root, and a
paid entry's JSON is what it always was.

The statistical tests run many complete draws with the verifier's own functions, on
seeds derived from fixed labels (deterministic: they cannot flake), over a ticket map
mixing paid and free entries, and show a free ticket wins as often as a paid one.
"""

from __future__ import annotations

import copy
import hashlib
from collections import Counter
from typing import Any

import pytest
from alot_verify.canonical import canonical_json
from alot_verify.draw import (
    ENTRY_KIND_FREE,
    Entry,
    commitment_v1,
    commitment_v2,
    compute_v1,
    compute_v2,
    draw_checks,
    freeze_v2,
    ticket_map_root,
    verify_draw_proof,
)
from alot_verify.errors import InputError

LOT_ID = "0b6a8f6e-4a5e-4c3b-9d6e-2f1a3c5b7d90"
DRAWS = 6000
# 20 tickets: paid entries of 3, 5, 2 and 4 tickets, and six free entries of one.
SIZES = [3, 1, 5, 1, 1, 2, 1, 4, 1, 1]
FREE = {1, 3, 4, 6, 8, 9}
# chi-square with 19 degrees of freedom: P(X > 43.82) = 0.001 for a fair draw.
CHI_SQUARE_19_AT_0_001 = 43.82


def _user(index: int) -> str:
    h = hashlib.sha256(f"free-entry odds/user/{index}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def _ticket_map() -> list[Entry]:
    entries, start = [], 1
    for index, size in enumerate(SIZES):
        kind = ENTRY_KIND_FREE if index in FREE else None
        entries.append(Entry(_user(index), start, start + size - 1, kind))
        start += size
    return entries


def _seed(algorithm: str, index: int) -> str:
    return hashlib.sha256(f"free-entry odds/{algorithm}/{index}".encode()).hexdigest()


def _draw_v1(entries: list[Entry], index: int) -> int:
    proof = compute_v1(
        lot_id=LOT_ID,
        created_at="2026-12-06T12:00:00.000000Z",
        total_tickets=entries[-1].tickets_end,
        escrow_balance="13.00",
        server_seed=_seed("v1", index),
        entries=entries,
    )
    ticket: int = proof["winning_ticket"]
    return ticket


def _draw_v2(entries: list[Entry], index: int) -> int:
    server_seed = _seed("v2", index)
    inputs = freeze_v2(
        lot_id=LOT_ID,
        funded_at="2026-12-06T12:00:00.000000Z",
        escrow_cents=1300,
        entries=entries,
        server_seed_commitment=commitment_v2(server_seed),
    )
    proof = compute_v2(draw_inputs=inputs, server_seed=server_seed, entries=entries)
    ticket: int = proof["winning_ticket"]
    return ticket


@pytest.mark.parametrize("draw", [_draw_v1, _draw_v2], ids=["alot-v1", "alot-v2"])
def test_a_free_ticket_wins_as_often_as_a_paid_ticket(draw: Any) -> None:
    entries = _ticket_map()
    total = entries[-1].tickets_end
    free_tickets = {e.tickets_start for e in entries if e.kind == ENTRY_KIND_FREE}
    assert (total, len(free_tickets)) == (20, 6)
    wins = Counter(draw(entries, index) for index in range(DRAWS))
    assert set(wins) <= set(range(1, total + 1))

    # Every ticket, paid or free, is equally likely: chi-square over the 20 tickets.
    expected = DRAWS / total
    chi_square = sum((wins[t] - expected) ** 2 / expected for t in range(1, total + 1))
    assert chi_square < CHI_SQUARE_19_AT_0_001, dict(wins)

    # Free tickets together win their share, 6/20: within 4 standard deviations of a
    # binomial(DRAWS, 0.3) (for a fair draw that bound fails once in ~16,000 seeds).
    free_wins = sum(wins[t] for t in free_tickets)
    mean = DRAWS * len(free_tickets) / total
    sd = (DRAWS * 0.3 * 0.7) ** 0.5
    assert abs(free_wins - mean) < 4 * sd, (free_wins, mean)

    # And per ticket, a free ticket's wins and a paid ticket's are the same rate.
    per_free = free_wins / len(free_tickets)
    per_paid = (DRAWS - free_wins) / (total - len(free_tickets))
    assert abs(per_free - per_paid) / expected < 0.1, (per_free, per_paid)


def test_the_kind_appears_only_on_free_entries() -> None:
    paid = Entry(_user(0), 1, 3)
    free = Entry(_user(1), 4, 4, ENTRY_KIND_FREE)
    assert paid.to_json() == {"user_id": _user(0), "tickets_start": 1, "tickets_end": 3}
    assert free.to_json()["kind"] == "free"
    # The leaf of a paid entry is byte for byte what it was before kinds existed.
    assert canonical_json(paid.to_json()) == (
        b'{"tickets_end":3,"tickets_start":1,"user_id":"' + _user(0).encode() + b'"}'
    )
    assert ticket_map_root([paid, free]) != ticket_map_root([paid, Entry(_user(1), 4, 4)])


def _v2_proof() -> dict[str, Any]:
    entries = _ticket_map()
    server_seed = _seed("v2", 0)
    inputs = freeze_v2(
        lot_id=LOT_ID,
        funded_at="2026-12-06T12:00:00.000000Z",
        escrow_cents=1300,
        entries=entries,
        server_seed_commitment=commitment_v2(server_seed),
    )
    return compute_v2(draw_inputs=inputs, server_seed=server_seed, entries=entries)


def test_a_proof_with_free_entries_verifies_and_the_kind_is_committed() -> None:
    proof = _v2_proof()
    assert verify_draw_proof(proof).winning_ticket == proof["winning_ticket"]
    # Dropping a kind (calling a free entry paid) changes the ticket map: caught.
    tampered = copy.deepcopy(proof)
    del tampered["entries"][1]["kind"]
    checks, _ = draw_checks(tampered)
    assert [c.name for c in checks if not c.passed] == ["ticket_map_root"]


def test_a_free_entry_holds_exactly_one_ticket() -> None:
    entries = [Entry(_user(0), 1, 2, ENTRY_KIND_FREE), Entry(_user(1), 3, 5)]
    with pytest.raises(InputError):
        compute_v1(
            lot_id=LOT_ID,
            created_at="2026-12-06T12:00:00.000000Z",
            total_tickets=5,
            escrow_balance="3.00",
            server_seed=_seed("v1", 0),
            entries=entries,
        )
    proof = compute_v1(
        lot_id=LOT_ID,
        created_at="2026-12-06T12:00:00.000000Z",
        total_tickets=5,
        escrow_balance="3.00",
        server_seed=_seed("v1", 0),
        entries=[Entry(_user(0), 1, 2), Entry(_user(1), 3, 5)],
    )
    assert proof["server_seed_commitment"] == commitment_v1(_seed("v1", 0))
    proof["entries"][0]["kind"] = "free"
    checks, _ = draw_checks(proof)
    failed = {c.name: c.failures for c in checks if not c.passed}
    assert list(failed) == ["entries"]
    assert "exactly one ticket" in str(failed["entries"][0])


@pytest.mark.parametrize("kind", ["paid", None, "FREE", 1])
def test_an_unknown_kind_is_an_input_error(kind: Any) -> None:
    proof = _v2_proof()
    proof["entries"][0]["kind"] = kind
    with pytest.raises(InputError) as raised:
        draw_checks(proof)
    assert "entries[0].kind" in str(raised.value)
