"""Regenerate docs/spec/vectors/draw-alot-v2-negative.json from the positive vectors.

    uv run python packages/alot-verify/tools/make_draw_v2_negative_vectors.py          # rewrite
    uv run python packages/alot-verify/tools/make_draw_v2_negative_vectors.py --check  # compare

Each tampered vector is a positive one with an attack applied and everything the attacker
controls recomputed (randomness, seed, selection, winner), so only the checks that the
attack cannot get past fail. ``must_fail`` lists exactly those checks; a conforming
verifier reports every one of them as failing and every other check as passing.
A malformed vector has ``malformed`` (the field, as the verifier names it) instead: a
conforming verifier rejects the proof as malformed input (alot-verify: exit 2) and runs
no check. The layout is documented in docs/spec/draw.md, "Test vectors".
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from alot_verify import draw
from alot_verify.beacon import randomness_from_signature

VECTORS = Path(__file__).resolve().parents[3] / "docs" / "spec" / "vectors"
POSITIVE = VECTORS / "draw-alot-v2.json"
OUTPUT = VECTORS / "draw-alot-v2-negative.json"

# The compressed generator of G1: a well-formed point of the right subgroup, so the
# forgery gets past decoding and fails only the pairing check.
G1_GENERATOR = (
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac58"
    "6c55e83ff97a1aeffb3af00adb22c6bb"
)
# A chain hash no League of Entropy chain has: an operator's own drand-like network.
UNKNOWN_CHAIN_HASH = "0f" * 32
# A user id for the entry that breaks a pseudonymous map (any well-formed one would do).
MIXED_USER_ID = "9b2e4c6a-1d3f-4e5a-8b7c-0d1e2f3a4b5c"


def _recomputed(proof: dict[str, Any]) -> dict[str, Any]:
    """The proof an operator would publish after changing its inputs or beacon reading."""
    entries = draw._parse_entries(proof["entries"], "entries")
    return draw.compute_v2(
        draw_inputs=proof["draw_inputs"],
        server_seed=proof["server_seed"],
        entries=entries,
        beacon=proof["beacon"],
    )


def _forged_signature(positive: dict[str, Any]) -> dict[str, Any]:
    proof = copy.deepcopy(positive)
    proof["beacon"]["signature"] = G1_GENERATOR
    proof["beacon"]["randomness"] = randomness_from_signature(bytes.fromhex(G1_GENERATOR)).hex()
    return _recomputed(proof)


def _unknown_chain(positive: dict[str, Any]) -> dict[str, Any]:
    proof = copy.deepcopy(positive)
    proof["draw_inputs"]["beacon"]["chain_hash"] = UNKNOWN_CHAIN_HASH
    return _recomputed(proof)


def _short_signature(positive: dict[str, Any]) -> dict[str, Any]:
    proof = copy.deepcopy(positive)
    proof["beacon"]["signature"] = proof["beacon"]["signature"][:-2]
    return proof


def _late_round(positive: dict[str, Any]) -> dict[str, Any]:
    proof = copy.deepcopy(positive)
    # 44 s before round 1000 is due: round 996 is the first due more than 30 s after
    # funding, so naming 1000 is waiting for four more rounds and picking one.
    proof["draw_inputs"]["funded_at"] = "2023-08-23T15:58:40.000000Z"
    return _recomputed(proof)


def _mixed_map(positive: dict[str, Any]) -> dict[str, Any]:
    proof = copy.deepcopy(positive)
    entry = proof["entries"][2]
    # A user id in place of a pseudonym: the player behind it is named in public.
    proof["entries"][2] = {
        "user_id": MIXED_USER_ID,
        "tickets_start": entry["tickets_start"],
        "tickets_end": entry["tickets_end"],
    }
    return proof


def _other_winner_holder(positive: dict[str, Any]) -> dict[str, Any]:
    proof = copy.deepcopy(positive)
    others = [e["holder"] for e in proof["entries"] if e["holder"] != proof["winner_holder"]]
    proof["winner_holder"] = others[0]
    return proof


def _amounts_not_the_escrow(positive: dict[str, Any]) -> dict[str, Any]:
    proof = copy.deepcopy(positive)
    # Tickets worth 100 cents more than anyone paid: the root, the inputs' hash and the
    # draw are recomputed over the new map, so only the sum can tell.
    proof["entries"][2]["amount_cents"] += 100
    entries = draw._parse_entries(proof["entries"], "entries")
    proof["draw_inputs"]["ticket_map_root"] = draw.ticket_map_root(entries)
    return _recomputed(proof)


def _free_entry_with_amount(positive: dict[str, Any]) -> dict[str, Any]:
    proof = copy.deepcopy(positive)
    free = next(e for e in proof["entries"] if e.get("kind") == draw.ENTRY_KIND_FREE)
    free["amount_cents"] = 100
    return proof


def build() -> dict[str, Any]:
    positives = {
        v["name"]: v["proof"] for v in json.loads(POSITIVE.read_text(encoding="utf-8"))["vectors"]
    }
    quicknet = positives["quicknet-beacon"]
    pseudonymous = positives["pseudonymous-holders"]
    vectors = [
        {
            "name": "forged-beacon-signature",
            "description": (
                "quicknet round 1000 with its signature replaced by the G1 generator (a valid "
                "point nobody signed) and randomness, seed, selection and winner recomputed: "
                "only the BLS check can tell, and it must."
            ),
            "must_fail": ["beacon.signature"],
            "proof": _forged_signature(quicknet),
        },
        {
            "name": "unknown-chain",
            "description": (
                "the real quicknet round 1000 reading under a chain hash no pinned chain has, "
                "the proof recomputed: whoever runs that chain holds its key, so nothing "
                "about the round can be checked and every chain-dependent check fails."
            ),
            "must_fail": ["beacon.chain", "beacon.chosen_before_published", "beacon.signature"],
            "proof": _unknown_chain(quicknet),
        },
        {
            "name": "late-round",
            "description": (
                "quicknet round 1000 (genuine, correctly signed) frozen by a lot funded at "
                "15:58:40, 44 s before it: the rule gives round 996, the first due more than "
                "30 s after floor(funded_at). Every other check passes."
            ),
            "must_fail": ["beacon.first_round"],
            "proof": _late_round(quicknet),
        },
        {
            "name": "malformed-selection-counter",
            "description": "selection_counter is -1: not a u64, so the proof is malformed.",
            "malformed": "selection_counter",
            "proof": {**copy.deepcopy(quicknet), "selection_counter": -1},
        },
        {
            "name": "malformed-signature-length",
            "description": (
                "a 47-byte quicknet signature (bls-unchained-g1-rfc9380 signatures are 48 "
                "bytes): malformed, whatever its content."
            ),
            "malformed": "beacon.signature",
            "proof": _short_signature(quicknet),
        },
        {
            "name": "mixed-names-and-pseudonyms",
            "description": (
                "the pseudonymous-holders proof with its third entry naming a user_id instead "
                "of a holder: one ticket map is all named or all pseudonymous, so the proof is "
                "malformed (at the first entry whose style differs from entries[0])."
            ),
            "malformed": "entries[2].user_id",
            "proof": _mixed_map(pseudonymous),
        },
        {
            "name": "winner-holder-not-the-winner",
            "description": (
                "the pseudonymous-holders proof with winner_holder replaced by another "
                "holder of the map: that holder does not hold the winning ticket."
            ),
            "must_fail": ["winner_holder"],
            "proof": _other_winner_holder(pseudonymous),
        },
        {
            "name": "amounts-not-the-escrow",
            "description": (
                "the pseudonymous-holders proof with entries[2].amount_cents raised from 400 to "
                "500 and the ticket map root, draw inputs hash, seed, selection and winner "
                "recomputed: the entries' amounts sum to 1000 cents, escrow_cents is 900 "
                "(tickets nobody paid for); the proof alone shows it."
            ),
            "must_fail": ["entries.amounts"],
            "proof": _amounts_not_the_escrow(pseudonymous),
        },
        {
            "name": "free-entry-with-amount",
            "description": (
                "the pseudonymous-holders proof with its free entry (entries[1], kind free) "
                "carrying amount_cents 100: a free entry's amount is 0, so the proof is "
                "malformed."
            ),
            "malformed": "entries[1].amount_cents",
            "proof": _free_entry_with_amount(pseudonymous),
        },
    ]
    return {
        "algorithm": "alot-v2",
        "source": "packages/alot-verify/tools/make_draw_v2_negative_vectors.py",
        "vectors": vectors,
    }


def main(argv: list[str]) -> int:
    text = json.dumps(build(), indent=2) + "\n"
    if "--check" in argv:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is out of date", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
