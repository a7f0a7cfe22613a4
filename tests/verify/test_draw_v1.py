"""alot-v1 draws: the shared vectors, every single-field tamper, malformed proofs, tiling."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify.draw import Entry, compute_v1, draw_checks, verify_draw_proof
from alot_verify.errors import DrawVerificationError, InputError

VECTORS_FILE = (
    Path(__file__).resolve().parents[2] / "docs" / "spec" / "vectors" / "draw-alot-v1.json"
)
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["vectors"]
PROOF = VECTORS[0]
WINNER_INDEX = next(
    i
    for i, e in enumerate(PROOF["entries"])
    if e["tickets_start"] <= PROOF["winning_ticket"] <= e["tickets_end"]
)


def _other_hex(value: str) -> str:
    """The same hex string with its last digit changed: still well formed."""
    return value[:-1] + ("0" if value[-1] != "0" else "1")


@pytest.mark.parametrize("vector", VECTORS, ids=[v["lot_id"][:8] for v in VECTORS])
def test_shared_vector_is_reproduced_and_verifies(vector: dict[str, Any]) -> None:
    computed = compute_v1(
        lot_id=vector["lot_id"],
        created_at=vector["created_at"],
        total_tickets=vector["total_tickets"],
        escrow_balance=vector["escrow_balance"],
        server_seed=vector["server_seed"],
        entries=[Entry(**e) for e in vector["entries"]],
    )
    assert computed == vector
    result = verify_draw_proof(vector)
    assert result.algorithm == "alot-v1"
    assert result.lot_id == vector["lot_id"]
    assert result.winning_ticket == vector["winning_ticket"]
    assert result.winner_user_id == vector["winner_user_id"]
    assert result.checks == (
        "nonce",
        "server_seed_commitment",
        "client_seed",
        "combined_seed",
        "winning_ticket",
        "entries",
        "winner_user_id",
    )


# Each tamper changes one field to another well-formed value; the proof must then fail
# and name at least the fields listed. Derived values are recomputed from the inputs, so
# a tampered derived value fails alone, while a tampered input (lot data, server seed)
# also fails every value derived from it.
WELL_FORMED_TAMPERS: list[tuple[str, Any, set[str]]] = [
    ("lot_id", "00000000-0000-4000-8000-000000000000", {"client_seed"}),
    ("created_at", "2026-04-06T20:34:43.025104Z", {"client_seed"}),
    ("total_tickets", 1651, {"client_seed", "entries[7].tickets_end", "entries"}),
    ("escrow_balance", "1650.51", {"client_seed"}),
    (
        "server_seed_commitment",
        _other_hex(PROOF["server_seed_commitment"]),
        {"server_seed_commitment"},
    ),
    ("server_seed", _other_hex(PROOF["server_seed"]), {"server_seed_commitment", "combined_seed"}),
    ("client_seed", _other_hex(PROOF["client_seed"]), {"client_seed"}),  # alone: see below
    ("nonce", 1, {"nonce"}),
    ("combined_seed", _other_hex(PROOF["combined_seed"]), {"combined_seed"}),
    ("winning_ticket", PROOF["winning_ticket"] + 1, {"winning_ticket"}),
    ("winner_user_id", PROOF["entries"][0]["user_id"], {"winner_user_id"}),
    (
        f"entries[{WINNER_INDEX}].user_id",
        "00000000-0000-4000-8000-000000000000",
        {"winner_user_id"},
    ),
]
for _i, _entry in enumerate(PROOF["entries"]):
    _last = _i == len(PROOF["entries"]) - 1
    WELL_FORMED_TAMPERS.append(
        (
            f"entries[{_i}].tickets_start",
            _entry["tickets_start"] + 1,
            {f"entries[{_i}].tickets_start", "entries"},
        )
    )
    WELL_FORMED_TAMPERS.append(
        (
            f"entries[{_i}].tickets_end",
            _entry["tickets_end"] + 1,
            {f"entries[{_i + 1}].tickets_start", "entries"}
            if not _last
            else {f"entries[{_i}].tickets_end", "entries"},
        )
    )


@pytest.mark.parametrize(
    ("path", "value", "expected_fields"),
    WELL_FORMED_TAMPERS,
    ids=[t[0] for t in WELL_FORMED_TAMPERS],
)
def test_every_single_field_tamper_fails_naming_the_field(
    path: str, value: Any, expected_fields: set[str], draw_proofs: Any
) -> None:
    assert expected_fields <= draw_proofs.failed_fields(draw_proofs.tampered(PROOF, path, value))


def test_v1_does_not_commit_to_who_holds_other_tickets(draw_proofs: Any) -> None:
    # The known weakness alot-v2 fixes with the ticket map root: renaming the holder of a
    # losing entry leaves every alot-v1 check intact.
    loser = 0 if WINNER_INDEX != 0 else 1
    tampered = draw_proofs.tampered(
        PROOF, f"entries[{loser}].user_id", "00000000-0000-4000-8000-000000000000"
    )
    assert verify_draw_proof(tampered).winner_user_id == PROOF["winner_user_id"]


def test_all_mismatches_are_reported_together(draw_proofs: Any) -> None:
    tampered = draw_proofs.tampered(PROOF, "nonce", 3)
    tampered = draw_proofs.tampered(tampered, "client_seed", _other_hex(PROOF["client_seed"]))
    tampered = draw_proofs.tampered(tampered, "winner_user_id", PROOF["entries"][0]["user_id"])
    assert draw_proofs.failed_fields(tampered) == {"nonce", "client_seed", "winner_user_id"}


def test_mismatch_says_expected_and_actual(draw_proofs: Any) -> None:
    with pytest.raises(DrawVerificationError) as caught:
        verify_draw_proof(draw_proofs.tampered(PROOF, "winning_ticket", 1))
    (failure,) = caught.value.failures
    assert str(failure) == f"winning_ticket: expected {PROOF['winning_ticket']}, got 1"


# --- malformed proofs: InputError naming the field (CLI exit 2) ---------------------

MALFORMED: list[tuple[str, Any, str]] = [
    ("algorithm", "alot-v0", "algorithm"),
    ("algorithm", None, "algorithm"),
    ("lot_id", "21BADE02-6A6A-4768-B2ED-66FFDCC99396", "lot_id"),
    ("lot_id", "21bade026a6a4768b2ed66ffdcc99396", "lot_id"),
    ("lot_id", 5, "lot_id"),
    ("created_at", "2026-04-06T20:34:43.02510Z", "created_at"),
    ("created_at", "2026-04-06T20:34:43.025103", "created_at"),
    ("created_at", "2026-04-06 20:34:43.025103Z", "created_at"),
    ("created_at", "2026-13-06T20:34:43.025103Z", "created_at"),
    ("total_tickets", "1650", "total_tickets"),
    ("total_tickets", 1650.0, "total_tickets"),
    ("total_tickets", 0, "total_tickets"),
    ("total_tickets", True, "total_tickets"),
    ("escrow_balance", "1650.5", "escrow_balance"),
    ("escrow_balance", "1650", "escrow_balance"),
    ("escrow_balance", "01650.50", "escrow_balance"),
    ("escrow_balance", "-1650.50", "escrow_balance"),
    ("escrow_balance", 1650.5, "escrow_balance"),
    ("server_seed", PROOF["server_seed"].upper(), "server_seed"),
    ("server_seed", PROOF["server_seed"][:-1], "server_seed"),
    ("server_seed_commitment", PROOF["server_seed_commitment"] + "00", "server_seed_commitment"),
    ("client_seed", "z" * 64, "client_seed"),
    ("combined_seed", None, "combined_seed"),
    ("nonce", -1, "nonce"),
    ("nonce", "0", "nonce"),
    ("winning_ticket", 0, "winning_ticket"),
    ("winner_user_id", "nobody", "winner_user_id"),
    ("entries", [], "entries"),
    ("entries", {}, "entries"),
    ("entries[0]", [], "entries[0]"),
    ("entries[2].user_id", None, "entries[2].user_id"),
    ("entries[2].tickets_start", "326", "entries[2].tickets_start"),
    ("entries[2].tickets_end", 2**53, "entries[2].tickets_end"),
]


@pytest.mark.parametrize(
    ("path", "value", "where"), MALFORMED, ids=[f"{m[0]}={m[1]!r}"[:60] for m in MALFORMED]
)
def test_malformed_field_is_an_input_error_naming_it(
    path: str, value: Any, where: str, draw_proofs: Any
) -> None:
    with pytest.raises(InputError) as caught:
        verify_draw_proof(draw_proofs.tampered(PROOF, path, value))
    assert caught.value.where == where


@pytest.mark.parametrize("name", sorted(PROOF))
def test_missing_field_is_an_input_error_naming_it(name: str) -> None:
    proof = copy.deepcopy(PROOF)
    del proof[name]
    with pytest.raises(InputError) as caught:
        verify_draw_proof(proof)
    assert caught.value.where == name
    assert "missing field" in str(caught.value)


def test_unknown_field_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown field") as caught:
        verify_draw_proof({**PROOF, "bonus": 1})
    assert caught.value.where == "bonus"


def test_missing_entry_member_is_named() -> None:
    proof = copy.deepcopy(PROOF)
    del proof["entries"][3]["tickets_end"]
    with pytest.raises(InputError) as caught:
        verify_draw_proof(proof)
    assert caught.value.where == "entries[3].tickets_end"


@pytest.mark.parametrize("proof", [[], "alot-v1", None, 3])
def test_a_proof_that_is_not_an_object_is_an_input_error(proof: Any) -> None:
    with pytest.raises(InputError):
        verify_draw_proof(proof)


# --- tiling -------------------------------------------------------------------------

USERS = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(4)]
SERVER_SEED = "11" * 32


def _proof_with_entries(spans: list[tuple[int, int]], total_tickets: int) -> dict[str, Any]:
    """A valid proof for 1..total_tickets in three entries, then its entries replaced."""
    proof = compute_v1(
        lot_id="21bade02-6a6a-4768-b2ed-66ffdcc99396",
        created_at="2026-04-06T20:34:43.025103Z",
        total_tickets=total_tickets,
        escrow_balance="10.00",
        server_seed=SERVER_SEED,
        entries=[Entry(USERS[0], 1, total_tickets)],
    )
    proof["entries"] = [
        {"user_id": USERS[i], "tickets_start": s, "tickets_end": e}
        for i, (s, e) in enumerate(spans)
    ]
    return proof


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        pytest.param([(1, 3), (5, 10)], {"entries[1].tickets_start", "entries"}, id="gap"),
        pytest.param([(1, 5), (5, 10)], {"entries[1].tickets_start", "entries"}, id="overlap"),
        pytest.param(
            [(6, 10), (1, 5)],
            {"entries[0].tickets_start", "entries[1].tickets_start", "entries[1].tickets_end"},
            id="out-of-order",
        ),
        pytest.param(
            [(1, 5), (6, 4), (5, 10)],
            {"entries[1].tickets_end", "entries"},
            id="start-after-end",
        ),
        pytest.param([(1, 4), (5, 9)], {"entries[1].tickets_end", "entries"}, id="short"),
        pytest.param([(1, 5), (6, 11)], {"entries[1].tickets_end", "entries"}, id="long"),
    ],
)
def test_entries_must_tile_the_tickets_exactly(
    spans: list[tuple[int, int]], expected: set[str], draw_proofs: Any
) -> None:
    failures = draw_proofs.failed_fields(_proof_with_entries(spans, 10))
    # The winner check may fail too when the tiling leaves the winning ticket unheld.
    assert failures - {"winner_user_id"} == expected


def test_tiling_failure_names_the_kind() -> None:
    checks, _ = draw_checks(_proof_with_entries([(1, 3), (5, 10)], 10))
    (tiling,) = [c for c in checks if c.name == "entries"]
    assert [str(f) for f in tiling.failures] == [
        "entries[1].tickets_start: expected 4, got 5 (gap)",
        "entries: expected 10 tickets held, got 9 tickets held",
    ]


def test_winner_must_be_the_only_holder() -> None:
    proof = _proof_with_entries([(1, 10), (1, 10)], 10)
    checks, _ = draw_checks(proof)
    (winner,) = [c for c in checks if c.name == "winner_user_id"]
    assert winner.failures[0].detail == "2 entries hold it"


def test_compute_refuses_entries_that_do_not_tile() -> None:
    with pytest.raises(InputError, match="gap"):
        compute_v1(
            lot_id="21bade02-6a6a-4768-b2ed-66ffdcc99396",
            created_at="2026-04-06T20:34:43.025103Z",
            total_tickets=10,
            escrow_balance="10.00",
            server_seed=SERVER_SEED,
            entries=[Entry(USERS[0], 1, 3), Entry(USERS[1], 5, 10)],
        )


@pytest.mark.parametrize(
    "name", ["server_seed_commitment", "client_seed", "combined_seed", "winning_ticket"]
)
def test_a_tampered_derived_value_fails_alone(name: str, draw_proofs: Any) -> None:
    value = PROOF[name]
    tampered = draw_proofs.tampered(
        PROOF, name, value + 1 if isinstance(value, int) else _other_hex(value)
    )
    assert draw_proofs.failed_fields(tampered) == {name}
