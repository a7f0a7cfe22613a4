"""Pseudonymous holders (docs/spec/draw.md, "Holders"): a ticket map names its holders
by a per-lot pseudonym instead of their user id; one map is all named or all
pseudonymous; the proof names the winner by ``winner_holder``; named maps are unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from alot_verify.draw import (
    ENTRY_KIND_FREE,
    TAG_HOLDER,
    Entry,
    commitment_v2,
    compute_v1,
    compute_v2,
    draw_checks,
    freeze_v2,
    holder_pseudonym,
    verify_draw_proof,
)
from alot_verify.errors import InputError

LOT_ID = "5d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
OTHER_LOT_ID = "6e1d2c3b-4f5a-4b6c-9d7e-8f9a0b1c2d3e"
SECRETS = [hashlib.sha256(f"holders test/secret/{i}".encode()).digest() for i in range(3)]
USER = "00000000-0000-4000-8000-000000000001"
SEED = "44" * 32


def _holder(index: int, lot_id: str = LOT_ID) -> str:
    return holder_pseudonym(SECRETS[index], lot_id)


def _pseudonymous(
    start: int, end: int, index: int, amount: int, seq: int, kind: str | None = None
) -> Entry:
    return Entry(
        None, start, end, kind, holder=_holder(index), amount_cents=amount, purchase_seq=seq
    )


def _pseudonymous_map() -> list[Entry]:
    # Holder 0 bought twice (two entries), holder 1 once, holder 2 took a free entry; the
    # paid amounts sum to the escrow (900 cents).
    return [
        _pseudonymous(1, 3, 0, 300, 11),
        _pseudonymous(4, 5, 1, 200, 12),
        _pseudonymous(6, 6, 2, 0, 14, ENTRY_KIND_FREE),
        _pseudonymous(7, 10, 0, 400, 20),
    ]


def _proof_v2(entries: list[Entry] | None = None) -> dict[str, Any]:
    entries = entries or _pseudonymous_map()
    inputs = freeze_v2(
        lot_id=LOT_ID,
        funded_at="2026-01-02T03:04:05.000000Z",
        escrow_cents=900,
        entries=entries,
        server_seed_commitment=commitment_v2(SEED),
    )
    return compute_v2(draw_inputs=inputs, server_seed=SEED, entries=entries)


def _proof_v1(entries: list[Entry] | None = None) -> dict[str, Any]:
    entries = entries or _pseudonymous_map()
    return compute_v1(
        lot_id=LOT_ID,
        created_at="2026-01-02T03:04:05.000000Z",
        total_tickets=entries[-1].tickets_end,
        escrow_balance="9.00",
        server_seed=SEED,
        entries=entries,
    )


# --- the pseudonym ------------------------------------------------------------------


def test_holder_pseudonym_is_the_hmac_the_contract_names() -> None:
    def enc(data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + data

    expected = hmac.new(
        SECRETS[0], enc(b"ALOT-DRAW-V2/holder") + enc(LOT_ID.encode()), hashlib.sha256
    ).hexdigest()
    assert TAG_HOLDER == b"ALOT-DRAW-V2/holder"
    assert holder_pseudonym(SECRETS[0], LOT_ID) == expected
    assert len(expected) == 64
    assert expected == expected.lower()


def test_one_player_has_unlinkable_pseudonyms_in_two_lots() -> None:
    assert _holder(0) != _holder(0, OTHER_LOT_ID)
    assert _holder(0) != _holder(1)
    assert _holder(0) == _holder(0)


@pytest.mark.parametrize("secret", [b"", b"\x00" * 31, b"\x00" * 33])
def test_a_holder_secret_is_32_bytes(secret: bytes) -> None:
    with pytest.raises(InputError) as caught:
        holder_pseudonym(secret, LOT_ID)
    assert caught.value.where == "holder_secret"


@pytest.mark.parametrize("lot_id", [LOT_ID.upper(), LOT_ID.replace("-", ""), "lot"])
def test_the_lot_id_is_a_canonical_uuid(lot_id: str) -> None:
    with pytest.raises(InputError) as caught:
        holder_pseudonym(SECRETS[0], lot_id)
    assert caught.value.where == "lot_id"


# --- entries ------------------------------------------------------------------------


def test_an_entry_names_exactly_one_of_user_id_and_holder() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Entry(None, 1, 1)
    with pytest.raises(ValueError, match="exactly one"):
        Entry(USER, 1, 1, holder=_holder(0), amount_cents=100, purchase_seq=1)
    assert Entry(USER, 1, 1).named_as == USER
    assert _pseudonymous(1, 1, 0, 100, 1).named_as == _holder(0)


def test_a_pseudonymous_entry_json_has_the_holder_and_no_user_id() -> None:
    assert _pseudonymous(1, 1, 0, 0, 7, ENTRY_KIND_FREE).to_json() == {
        "holder": _holder(0),
        "tickets_start": 1,
        "tickets_end": 1,
        "kind": "free",
        "amount_cents": 0,
        "purchase_seq": 7,
    }
    # A named entry's JSON is what it always was.
    assert Entry(USER, 1, 2).to_json() == {"user_id": USER, "tickets_start": 1, "tickets_end": 2}


# --- proofs -------------------------------------------------------------------------


@pytest.mark.parametrize("make", [_proof_v1, _proof_v2], ids=["alot-v1", "alot-v2"])
def test_a_pseudonymous_proof_names_the_winner_by_holder(make: Any) -> None:
    proof = make()
    assert "winner_user_id" not in proof
    assert all("user_id" not in e for e in proof["entries"])
    (winning,) = [
        e
        for e in proof["entries"]
        if e["tickets_start"] <= proof["winning_ticket"] <= e["tickets_end"]
    ]
    assert proof["winner_holder"] == winning["holder"]
    result = verify_draw_proof(proof)
    assert result.winner_holder == proof["winner_holder"]
    assert result.winner_user_id is None
    assert result.winner == proof["winner_holder"]
    assert "winner_holder" in result.checks
    assert "winner_user_id" not in result.checks


@pytest.mark.parametrize("make", [_proof_v1, _proof_v2], ids=["alot-v1", "alot-v2"])
def test_a_winner_holder_who_does_not_hold_the_ticket_fails(make: Any, draw_proofs: Any) -> None:
    proof = make()
    others = {_holder(i) for i in range(3)} - {proof["winner_holder"]}
    tampered = draw_proofs.tampered(proof, "winner_holder", sorted(others)[0])
    assert draw_proofs.failed_fields(tampered) == {"winner_holder"}
    checks, _ = draw_checks(tampered)
    assert [c.name for c in checks if not c.passed] == ["winner_holder"]


@pytest.mark.parametrize("make", [_proof_v1, _proof_v2], ids=["alot-v1", "alot-v2"])
def test_a_named_proof_is_unchanged(make: Any) -> None:
    proof = make([Entry(USER, 1, 4), Entry("00000000-0000-4000-8000-000000000002", 5, 9)])
    assert "winner_holder" not in proof
    result = verify_draw_proof(proof)
    assert result.winner_user_id == proof["winner_user_id"]
    assert result.winner_holder is None
    assert "winner_user_id" in result.checks


def test_one_holder_may_hold_several_entries() -> None:
    entries = _pseudonymous_map()
    proof = _proof_v2(entries)
    assert [e["holder"] for e in proof["entries"]].count(_holder(0)) == 2
    verify_draw_proof(proof)


@pytest.mark.parametrize("make", [_proof_v1, _proof_v2], ids=["alot-v1", "alot-v2"])
@pytest.mark.parametrize("index", [0, 2])
def test_a_map_mixing_names_and_pseudonyms_is_an_input_error(
    make: Any, index: int, draw_proofs: Any
) -> None:
    proof = make()
    mixed = draw_proofs.tampered(
        proof,
        f"entries[{index}]",
        {
            "user_id": USER,
            "tickets_start": proof["entries"][index]["tickets_start"],
            "tickets_end": proof["entries"][index]["tickets_end"],
        },
    )
    if index == 0:
        # The first entry sets the style; the winner member follows it.
        mixed = draw_proofs.tampered(mixed, "winner_user_id", USER)
        del mixed["winner_holder"]
    with pytest.raises(InputError, match="mixes names and pseudonyms") as caught:
        verify_draw_proof(mixed)
    assert caught.value.where == ("entries[1].holder" if index == 0 else "entries[2].user_id")


def test_compute_refuses_a_mixed_map() -> None:
    with pytest.raises(InputError, match="mixes names and pseudonyms") as caught:
        _proof_v1([_pseudonymous(1, 2, 0, 900, 1), Entry(USER, 3, 4)])
    assert caught.value.where == "entries[1].user_id"


def test_an_entry_with_both_names_is_an_input_error(draw_proofs: Any) -> None:
    proof = _proof_v2()
    tampered = draw_proofs.tampered(proof, "entries[1].user_id", USER)
    with pytest.raises(InputError, match="exactly one of user_id and holder") as caught:
        verify_draw_proof(tampered)
    assert caught.value.where == "entries[1].holder"


@pytest.mark.parametrize("holder", ["AB" * 32, "ab" * 31, "ab" * 33, None, 7, "zz" * 32], ids=repr)
def test_a_malformed_holder_is_an_input_error(holder: Any, draw_proofs: Any) -> None:
    for path in ("entries[1].holder", "winner_holder"):
        with pytest.raises(InputError) as caught:
            verify_draw_proof(draw_proofs.tampered(_proof_v2(), path, holder))
        assert caught.value.where == path


@pytest.mark.parametrize("make", [_proof_v1, _proof_v2], ids=["alot-v1", "alot-v2"])
def test_the_winner_member_follows_the_map_style(make: Any, draw_proofs: Any) -> None:
    proof = make()
    renamed = dict(proof)
    renamed["winner_user_id"] = USER
    del renamed["winner_holder"]
    with pytest.raises(InputError, match="names its winner by winner_holder") as caught:
        verify_draw_proof(renamed)
    assert caught.value.where == "winner_user_id"
    both = dict(proof, winner_user_id=USER)
    with pytest.raises(InputError, match="unknown field") as caught:
        verify_draw_proof(both)
    assert caught.value.where == "winner_user_id"
    named = make([Entry(USER, 1, 3)])
    swapped = dict(named, winner_holder=_holder(0))
    del swapped["winner_user_id"]
    with pytest.raises(InputError, match="names its winner by winner_user_id") as caught:
        verify_draw_proof(swapped)
    assert caught.value.where == "winner_holder"


def test_alot_v1_draws_the_same_ticket_whoever_holds_it() -> None:
    # alot-v1's seed never looks at holders: naming them differently moves nothing.
    named = _proof_v1([Entry(USER, 1, 10)])
    pseudonymous = _proof_v1([_pseudonymous(1, 10, 0, 900, 1)])
    assert named["winning_ticket"] == pseudonymous["winning_ticket"]
