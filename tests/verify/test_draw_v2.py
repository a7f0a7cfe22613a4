"""alot-v2 draws: pinned vectors, an independent re-derivation from the spec, tampers."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify import merkle
from alot_verify.beacon import DEFAULT_CHAIN, QUICKNET
from alot_verify.draw import (
    Entry,
    commitment_v2,
    compute_v2,
    draw_checks,
    draw_inputs_hash,
    freeze_v2,
    select_v2,
    ticket_map_root,
    verify_draw_proof,
)
from alot_verify.errors import InputError

SPEC_VECTORS = Path(__file__).resolve().parents[2] / "docs" / "spec" / "vectors"
DOCUMENT = json.loads((SPEC_VECTORS / "draw-alot-v2.json").read_text(encoding="utf-8"))
VECTORS: dict[str, dict[str, Any]] = {v["name"]: v for v in DOCUMENT["vectors"]}
NO_BEACON = VECTORS["no-beacon"]["proof"]
QUICKNET_PROOF = VECTORS["quicknet-beacon"]["proof"]
CHAINED_PROOF = VECTORS["default-chain-beacon"]["proof"]


def _entries(proof: dict[str, Any]) -> list[Entry]:
    return [
        Entry(e.get("user_id"), **{k: v for k, v in e.items() if k != "user_id"})
        for e in proof["entries"]
    ]


def _other_hex(value: str) -> str:
    return value[:-1] + ("0" if value[-1] != "0" else "1")


# --- the published vectors ------------------------------------------------------------


def test_vectors_cover_the_cases_the_spec_promises() -> None:
    assert set(VECTORS) == {
        "no-beacon",
        "quicknet-beacon",
        "default-chain-beacon",
        "rejection",
        "power-of-two",
        "single-ticket",
        "free-entries",
        "pseudonymous-holders",
    }
    assert NO_BEACON["beacon"] is None
    assert QUICKNET_PROOF["draw_inputs"]["beacon"]["scheme"] == "bls-unchained-g1-rfc9380"
    assert CHAINED_PROOF["draw_inputs"]["beacon"]["scheme"] == "pedersen-bls-chained"


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_vector_is_recomputed_from_its_inputs(name: str) -> None:
    proof = VECTORS[name]["proof"]
    inputs = proof["draw_inputs"]
    frozen = freeze_v2(
        lot_id=inputs["lot_id"],
        funded_at=inputs["funded_at"],
        escrow_cents=inputs["escrow_cents"],
        entries=_entries(proof),
        server_seed_commitment=inputs["server_seed_commitment"],
        beacon=inputs["beacon"],
    )
    assert frozen == inputs
    computed = compute_v2(
        draw_inputs=frozen,
        server_seed=proof["server_seed"],
        entries=_entries(proof),
        beacon=proof["beacon"],
    )
    assert computed == proof


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_vector_verifies(name: str) -> None:
    proof = VECTORS[name]["proof"]
    result = verify_draw_proof(proof)
    assert result.algorithm == "alot-v2"
    assert result.lot_id == proof["draw_inputs"]["lot_id"]
    assert result.winning_ticket == proof["winning_ticket"]
    assert result.winner_user_id == proof.get("winner_user_id")
    assert result.winner_holder == proof.get("winner_holder")
    if proof["draw_inputs"]["beacon"] is None:
        # Only the ledger shows whether the lot was declared beacon-less at opening.
        assert len(result.unchecked) == 1
        assert result.unchecked[0].startswith("beacon.declared:")
    else:
        assert result.unchecked == ()
    if proof["beacon"] is not None:
        for check in (
            "beacon.chain",
            "beacon.chosen_before_published",
            "beacon.first_round",
            "beacon.signature",
        ):
            assert check in result.checks


def _enc(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _canonical(value: Any) -> bytes:
    # Draw inputs hold only ASCII strings, integers and null: sorted keys and no spaces
    # are RFC 8785 for them.
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_vector_follows_the_spec_byte_for_byte(name: str) -> None:
    """A second implementation from docs/spec/draw.md, sharing no draw code."""
    vector = VECTORS[name]
    proof = vector["proof"]
    trace = vector["intermediate"]
    inputs = proof["draw_inputs"]
    server_seed = bytes.fromhex(proof["server_seed"])

    commitment_preimage = _enc(b"ALOT-DRAW-V2/commit") + _enc(server_seed)
    assert commitment_preimage.hex() == trace["commitment_preimage"]
    assert hashlib.sha256(commitment_preimage).hexdigest() == inputs["server_seed_commitment"]

    leaves = [_canonical(e) for e in proof["entries"]]
    assert [leaf.decode() for leaf in leaves] == trace["entry_leaves"]
    leaf_hashes = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    assert [h.hex() for h in leaf_hashes] == trace["entry_leaf_hashes"]
    assert merkle.root(leaf_hashes).hex() == inputs["ticket_map_root"]

    inputs_json = _canonical(inputs)
    assert inputs_json.decode() == trace["draw_inputs_canonical_json"]
    inputs_hash = hashlib.sha256(_enc(b"ALOT-DRAW-V2/inputs") + _enc(inputs_json)).digest()
    assert inputs_hash.hex() == proof["draw_inputs_hash"]

    randomness = b""
    if proof["beacon"] is not None:
        signature = bytes.fromhex(proof["beacon"]["signature"])
        randomness = hashlib.sha256(signature).digest()
        assert randomness.hex() == proof["beacon"]["randomness"]
    seed_message = _enc(b"ALOT-DRAW-V2/seed") + _enc(inputs_hash) + _enc(randomness)
    assert seed_message.hex() == trace["seed_hmac_message"]
    seed = hmac.new(server_seed, seed_message, hashlib.sha256).digest()
    assert seed.hex() == proof["seed"]

    total = inputs["total_tickets"]
    bits = (total - 1).bit_length()
    assert bits == trace["selection_bits"]
    counter = 0
    while True:
        message = _enc(b"ALOT-DRAW-V2/select") + counter.to_bytes(8, "big")
        block = hmac.new(seed, message, hashlib.sha256).digest()
        step = trace["selection"][counter]
        assert (message.hex(), block.hex()) == (step["message"], step["block"])
        candidate = int.from_bytes(block, "big") >> (256 - bits)
        assert candidate == step["candidate"]
        if candidate < total:
            break
        counter += 1
    assert counter == proof["selection_counter"] == len(trace["selection"]) - 1
    assert candidate + 1 == proof["winning_ticket"]
    # One map, one style: every entry names its holder by user_id, or every one by holder.
    (style,) = {"holder" if "holder" in e else "user_id" for e in proof["entries"]}
    (holder,) = [
        e[style]
        for e in proof["entries"]
        if e["tickets_start"] <= proof["winning_ticket"] <= e["tickets_end"]
    ]
    assert holder == proof["winner_holder" if style == "holder" else "winner_user_id"]
    assert ("winner_user_id" in proof) == (style == "user_id")
    # holder = HMAC-SHA256(holder secret, enc("ALOT-DRAW-V2/holder") || enc(lot id)).
    derived = set()
    for player in trace.get("holders", []):
        message = _enc(b"ALOT-DRAW-V2/holder") + _enc(inputs["lot_id"].encode())
        assert player["lot_id"] == inputs["lot_id"]
        assert message.hex() == player["hmac_message"]
        secret = bytes.fromhex(player["holder_secret"])
        assert hmac.new(secret, message, hashlib.sha256).hexdigest() == player["holder"]
        derived.add(player["holder"])
    if style == "holder":
        assert {e["holder"] for e in proof["entries"]} == derived


def test_rejection_vector_rejects_candidates_above_the_ticket_count() -> None:
    vector = VECTORS["rejection"]
    total = vector["proof"]["draw_inputs"]["total_tickets"]
    assert total == 2**10 + 1
    steps = vector["intermediate"]["selection"]
    assert len(steps) >= 3
    assert all(s["candidate"] >= total and not s["accepted"] for s in steps[:-1])
    assert steps[-1]["accepted"]
    assert steps[-1]["candidate"] < total
    assert vector["proof"]["selection_counter"] == len(steps) - 1


def test_selection_is_uniform_over_a_small_ticket_count() -> None:
    # Exhaustive over 3 tickets with 2-bit candidates: 3 of 4 candidate values are
    # accepted, each maps to exactly one ticket, and candidate 3 is always rejected.
    counts = {1: 0, 2: 0, 3: 0}
    rejected = 0
    for i in range(3000):
        ticket, counter = select_v2(hashlib.sha256(i.to_bytes(4, "big")).digest(), 3)
        counts[ticket] += 1
        rejected += counter
    assert rejected > 0
    assert all(800 < n < 1200 for n in counts.values())


def test_selection_of_one_ticket_needs_no_bits() -> None:
    assert select_v2(b"\x00" * 32, 1) == (1, 0)


# --- tampers ------------------------------------------------------------------------


def _tampers(proof: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """One well-formed change to every field of a proof, with a field it must fail."""
    inputs = proof["draw_inputs"]
    frozen = "draw_inputs_hash"  # any change to the frozen inputs breaks their hash
    changes: list[tuple[str, Any, str]] = [
        ("draw_inputs.lot_id", "00000000-0000-4000-8000-000000000000", frozen),
        ("draw_inputs.funded_at", "2020-01-01T00:00:00.000001Z", frozen),
        ("draw_inputs.total_tickets", inputs["total_tickets"] + 1, frozen),
        ("draw_inputs.escrow_cents", inputs["escrow_cents"] + 1, frozen),
        ("draw_inputs.ticket_map_root", _other_hex(inputs["ticket_map_root"]), frozen),
        (
            "draw_inputs.server_seed_commitment",
            _other_hex(inputs["server_seed_commitment"]),
            frozen,
        ),
        ("draw_inputs_hash", _other_hex(proof["draw_inputs_hash"]), "draw_inputs_hash"),
        (
            "server_seed",
            _other_hex(proof["server_seed"]),
            "draw_inputs.server_seed_commitment",
        ),
        ("seed", _other_hex(proof["seed"]), "seed"),
        ("selection_counter", proof["selection_counter"] + 1, "selection_counter"),
        (
            "winning_ticket",
            proof["winning_ticket"] % inputs["total_tickets"] + 1,
            "winning_ticket",
        ),
        ("winner_user_id", "00000000-0000-4000-8000-000000000000", "winner_user_id"),
    ]
    for i, entry in enumerate(proof["entries"]):
        root = "draw_inputs.ticket_map_root"
        changes.append((f"entries[{i}].user_id", "00000000-0000-4000-8000-000000000000", root))
        changes.append((f"entries[{i}].tickets_start", entry["tickets_start"] + 1, root))
        changes.append((f"entries[{i}].tickets_end", entry["tickets_end"] + 1, root))
    if proof["beacon"] is not None:
        changes += [
            ("draw_inputs.beacon.round", inputs["beacon"]["round"] + 1, frozen),
            ("draw_inputs.beacon.chain_hash", "ab" * 32, frozen),
            ("beacon.round", proof["beacon"]["round"] + 1, "beacon.round"),
            ("beacon.randomness", _other_hex(proof["beacon"]["randomness"]), "beacon.randomness"),
            ("beacon.signature", _other_hex(proof["beacon"]["signature"]), "beacon.randomness"),
        ]
    # beacon.previous_signature is covered only by the BLS signature: see test_draw_beacon.
    return changes


TAMPERS = [
    (name, path, value, named)
    for name in ("no-beacon", "quicknet-beacon", "default-chain-beacon")
    for path, value, named in _tampers(VECTORS[name]["proof"])
]


@pytest.mark.parametrize(
    ("name", "path", "value", "named"), TAMPERS, ids=[f"{t[0]}:{t[1]}" for t in TAMPERS]
)
def test_every_single_field_tamper_fails(
    name: str, path: str, value: Any, named: str, draw_proofs: Any
) -> None:
    proof = VECTORS[name]["proof"]
    assert named in draw_proofs.failed_fields(draw_proofs.tampered(proof, path, value))


def test_renaming_a_losing_entry_breaks_the_ticket_map_root(draw_proofs: Any) -> None:
    # What alot-v1 cannot detect: the ticket map is committed at funding.
    proof = VECTORS["quicknet-beacon"]["proof"]
    loser = next(
        i
        for i, e in enumerate(proof["entries"])
        if not e["tickets_start"] <= proof["winning_ticket"] <= e["tickets_end"]
    )
    tampered = draw_proofs.tampered(
        proof, f"entries[{loser}].user_id", "00000000-0000-4000-8000-000000000000"
    )
    assert draw_proofs.failed_fields(tampered) == {"draw_inputs.ticket_map_root"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("draw_inputs_hash", {"draw_inputs_hash"}),
        ("seed", {"seed"}),
        ("beacon.randomness", {"beacon.randomness"}),
        ("draw_inputs.server_seed_commitment", {"draw_inputs.server_seed_commitment"}),
    ],
)
def test_a_tampered_derived_value_fails_alone(
    path: str, expected: set[str], draw_proofs: Any
) -> None:
    # draw_inputs.* tampers also change the frozen inputs' hash: restore it so that only
    # the field itself is wrong.
    tampered = draw_proofs.tampered(QUICKNET_PROOF, path, _other_hex(_get(QUICKNET_PROOF, path)))
    if path.startswith("draw_inputs."):
        tampered["draw_inputs_hash"] = draw_inputs_hash(tampered["draw_inputs"])
        expected = expected | {"seed", "winning_ticket", "selection_counter", "winner_user_id"}
        assert draw_proofs.failed_fields(tampered) <= expected
        assert path in draw_proofs.failed_fields(tampered)
        return
    assert draw_proofs.failed_fields(tampered) == expected


def _get(proof: dict[str, Any], path: str) -> Any:
    target: Any = proof
    for part in path.split("."):
        target = target[part]
    return target


def test_a_beacon_round_due_before_funding_fails() -> None:
    proof = copy.deepcopy(QUICKNET_PROOF)
    proof["draw_inputs"]["funded_at"] = "2023-08-23T16:00:00.000000Z"  # round 1000: 15:59:24
    recomputed = compute_v2(
        draw_inputs=proof["draw_inputs"],
        server_seed=proof["server_seed"],
        entries=_entries(proof),
        beacon=proof["beacon"],
    )
    checks, _ = draw_checks(recomputed)
    failed = {c.name: c.failures for c in checks if not c.passed}
    # Due before funding, so also not the first round due 30 s after it.
    assert set(failed) == {"beacon.chosen_before_published", "beacon.first_round"}
    (early,) = failed["beacon.chosen_before_published"]
    assert early.field == "draw_inputs.beacon.round"
    assert early.detail == "round 1000 was due at 2023-08-23T15:59:24.000000Z"
    (late,) = failed["beacon.first_round"]
    assert (late.expected, late.actual) == ("1023", "1000")


def test_a_beacon_from_an_unknown_chain_fails() -> None:
    proof = copy.deepcopy(QUICKNET_PROOF)
    proof["draw_inputs"]["beacon"]["chain_hash"] = "ab" * 32
    recomputed = compute_v2(
        draw_inputs=proof["draw_inputs"],
        server_seed=proof["server_seed"],
        entries=_entries(proof),
        beacon=proof["beacon"],
    )
    checks, unchecked = draw_checks(recomputed)
    failed = {c.name for c in checks if not c.passed}
    assert failed == {"beacon.chain", "beacon.chosen_before_published", "beacon.signature"}
    assert unchecked == []


def test_a_missing_beacon_reading_fails(draw_proofs: Any) -> None:
    tampered = draw_proofs.tampered(QUICKNET_PROOF, "beacon", None)
    assert "beacon" in draw_proofs.failed_fields(tampered)


def test_an_unexpected_beacon_reading_fails(draw_proofs: Any) -> None:
    tampered = draw_proofs.tampered(NO_BEACON, "beacon", QUICKNET_PROOF["beacon"])
    assert draw_proofs.failed_fields(tampered) == {"beacon"}


# --- malformed proofs ---------------------------------------------------------------

MALFORMED: list[tuple[str, Any, str]] = [
    ("draw_inputs", None, "draw_inputs"),
    ("draw_inputs.algorithm", "alot-v1", "draw_inputs.algorithm"),
    ("draw_inputs.escrow_cents", "10.00", "draw_inputs.escrow_cents"),
    ("draw_inputs.escrow_cents", -1, "draw_inputs.escrow_cents"),
    ("draw_inputs.funded_at", "2023-08-23T15:50:00Z", "draw_inputs.funded_at"),
    ("draw_inputs.ticket_map_root", "AB" * 32, "draw_inputs.ticket_map_root"),
    ("draw_inputs.beacon.scheme", "bls-unchained-on-g1", "draw_inputs.beacon.scheme"),
    ("draw_inputs.beacon.round", 0, "draw_inputs.beacon.round"),
    ("draw_inputs.beacon.chain_hash", "ab", "draw_inputs.beacon.chain_hash"),
    ("beacon.signature", "ab" * 96, "beacon.signature"),
    ("beacon.randomness", "ab" * 31, "beacon.randomness"),
    ("beacon.round", "1000", "beacon.round"),
    ("beacon", "fe29", "beacon"),
    ("selection_counter", -1, "selection_counter"),
    ("seed", None, "seed"),
    ("entries[0].user_id", "x", "entries[0].user_id"),
]


@pytest.mark.parametrize(
    ("path", "value", "where"), MALFORMED, ids=[f"{m[0]}={m[1]!r}"[:60] for m in MALFORMED]
)
def test_malformed_field_is_an_input_error(
    path: str, value: Any, where: str, draw_proofs: Any
) -> None:
    with pytest.raises(InputError) as caught:
        verify_draw_proof(draw_proofs.tampered(QUICKNET_PROOF, path, value))
    assert caught.value.where == where


@pytest.mark.parametrize("name", sorted(QUICKNET_PROOF))
def test_missing_field_is_an_input_error(name: str) -> None:
    proof = {k: v for k, v in QUICKNET_PROOF.items() if k != name}
    with pytest.raises(InputError) as caught:
        verify_draw_proof(proof)
    assert caught.value.where == name


@pytest.mark.parametrize("name", sorted(QUICKNET_PROOF["draw_inputs"]))
def test_missing_draw_input_is_an_input_error(name: str) -> None:
    proof = copy.deepcopy(QUICKNET_PROOF)
    del proof["draw_inputs"][name]
    with pytest.raises(InputError) as caught:
        verify_draw_proof(proof)
    assert caught.value.where == f"draw_inputs.{name}"


def test_chained_beacon_needs_its_previous_signature() -> None:
    proof = copy.deepcopy(CHAINED_PROOF)
    del proof["beacon"]["previous_signature"]
    with pytest.raises(InputError) as caught:
        verify_draw_proof(proof)
    assert caught.value.where == "beacon.previous_signature"


def test_unchained_beacon_refuses_a_previous_signature(draw_proofs: Any) -> None:
    proof = draw_proofs.tampered(QUICKNET_PROOF, "beacon.previous_signature", "ab" * 48)
    with pytest.raises(InputError, match="unknown field"):
        verify_draw_proof(proof)


# --- computing ----------------------------------------------------------------------

USERS = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(3)]
SEED = "22" * 32


def _frozen(beacon: dict[str, Any] | None = None) -> dict[str, Any]:
    return freeze_v2(
        lot_id="15ef7dc3-2204-42ff-8ed1-91349e9a8a92",
        funded_at="2023-08-23T15:58:52.000000Z",  # round 1000 is the one the rule gives
        escrow_cents=500,
        entries=[Entry(USERS[0], 1, 2), Entry(USERS[1], 3, 5)],
        server_seed_commitment=commitment_v2(SEED),
        beacon=beacon,
    )


def test_compute_refuses_a_server_seed_that_does_not_match_the_commitment() -> None:
    with pytest.raises(InputError, match="frozen commitment"):
        compute_v2(
            draw_inputs=_frozen(),
            server_seed="33" * 32,
            entries=[Entry(USERS[0], 1, 2), Entry(USERS[1], 3, 5)],
        )


def test_compute_refuses_entries_that_changed_after_funding() -> None:
    with pytest.raises(InputError, match="ticket map root"):
        compute_v2(
            draw_inputs=_frozen(),
            server_seed=SEED,
            entries=[Entry(USERS[0], 1, 2), Entry(USERS[2], 3, 5)],
        )


def test_compute_needs_the_frozen_beacon_round() -> None:
    choice = {"chain_hash": QUICKNET.chain_hash, "scheme": QUICKNET.scheme, "round": 1000}
    entries = [Entry(USERS[0], 1, 2), Entry(USERS[1], 3, 5)]
    with pytest.raises(InputError, match="reading is required"):
        compute_v2(draw_inputs=_frozen(choice), server_seed=SEED, entries=entries)
    with pytest.raises(InputError) as caught:
        compute_v2(
            draw_inputs=_frozen(choice),
            server_seed=SEED,
            entries=entries,
            beacon={**QUICKNET_PROOF["beacon"], "round": 1001},
        )
    assert caught.value.where == "beacon.round"
    with pytest.raises(InputError) as caught:
        compute_v2(draw_inputs=_frozen(), server_seed=SEED, entries=entries, beacon={})
    assert caught.value.where == "beacon"


def test_ticket_map_root_is_the_rfc9162_root_of_canonical_entries() -> None:
    entries = [Entry(USERS[0], 1, 2), Entry(USERS[1], 3, 5)]
    leaves = [
        merkle.leaf_hash(
            f'{{"tickets_end":{e.tickets_end},"tickets_start":{e.tickets_start},'
            f'"user_id":"{e.user_id}"}}'.encode()
        )
        for e in entries
    ]
    assert ticket_map_root(entries) == merkle.node_hash(leaves[0], leaves[1]).hex()


def test_known_chains_round_times() -> None:
    assert QUICKNET.round_time(1000) == 1692803367 + 999 * 3
    assert QUICKNET.first_round_after(QUICKNET.round_time(1000)) == 1001
    assert QUICKNET.first_round_after(QUICKNET.round_time(1000) - 1) == 1000
    assert QUICKNET.first_round_after(0) == 1
    assert DEFAULT_CHAIN.round_time(1) == DEFAULT_CHAIN.genesis_time


def test_freeze_refuses_a_beacon_round_already_due() -> None:
    with pytest.raises(InputError, match="not after funded_at") as caught:
        freeze_v2(
            lot_id="15ef7dc3-2204-42ff-8ed1-91349e9a8a92",
            funded_at="2023-08-23T15:59:24.000000Z",  # exactly when round 1000 was due
            escrow_cents=500,
            entries=[Entry(USERS[0], 1, 5)],
            server_seed_commitment=commitment_v2(SEED),
            beacon={"chain_hash": QUICKNET.chain_hash, "scheme": QUICKNET.scheme, "round": 1000},
        )
    assert caught.value.where == "beacon.round"


def test_freeze_refuses_a_round_other_than_the_rules() -> None:
    for funded_at in ("2023-08-23T15:58:40.000000Z", "2023-08-23T15:58:54.000000Z"):
        with pytest.raises(InputError, match="the round for funded_at") as caught:
            freeze_v2(
                lot_id="15ef7dc3-2204-42ff-8ed1-91349e9a8a92",
                funded_at=funded_at,  # round 996, round 1001
                escrow_cents=500,
                entries=[Entry(USERS[0], 1, 5)],
                server_seed_commitment=commitment_v2(SEED),
                beacon={
                    "chain_hash": QUICKNET.chain_hash,
                    "scheme": QUICKNET.scheme,
                    "round": 1000,
                },
            )
        assert caught.value.where == "beacon.round"


def test_freeze_refuses_the_wrong_scheme_for_a_known_chain() -> None:
    with pytest.raises(InputError) as caught:
        freeze_v2(
            lot_id="15ef7dc3-2204-42ff-8ed1-91349e9a8a92",
            funded_at="2023-08-23T15:00:00.000000Z",
            escrow_cents=500,
            entries=[Entry(USERS[0], 1, 5)],
            server_seed_commitment=commitment_v2(SEED),
            beacon={
                "chain_hash": QUICKNET.chain_hash,
                "scheme": DEFAULT_CHAIN.scheme,
                "round": 1000,
            },
        )
    assert caught.value.where == "beacon.scheme"
