"""Regenerate docs/spec/vectors/draw-ledger-negative.json: draws checked with the ledger.

    uv run python packages/alot-verify/tools/make_draw_ledger_vectors.py          # rewrite
    uv run python packages/alot-verify/tools/make_draw_ledger_vectors.py --check  # compare

Each vector is a draw proof (a positive alot-v1/alot-v2 vector's), a small ledger export
holding the lot's draw memos and purchases (``ledger``: its JSON Lines, one string per
line) and, for the timing cases, a cosigned checkpoint (``cosigned``). ``must_fail`` lists
exactly the checks that fail when the proof is verified with the ledger (and the cosigned
checkpoint): ``alot-verify draw PROOF --ledger EXPORT [--cosigned NOTE --key KEY --witness
W... --quorum K]``; an empty list is a control that passes every check. The ledger and
witness keys are published TEST VECTOR KEYS (seeds: SHA-256 of the labels in the file),
never real keys.
The layout is documented in docs/spec/draw.md, "Test vectors".
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from alot_verify._testing import UNDECLARED, draw_ledger_lines, holder_user, vector_keys
from alot_verify.beacon import QUICKNET
from alot_verify.checkpoint import Checkpoint, sign_checkpoint
from alot_verify.cosignature import cosign, witness_key_from_seed
from alot_verify.merkle import CompactRange

VECTORS = Path(__file__).resolve().parents[3] / "docs" / "spec" / "vectors"
OUTPUT = VECTORS / "draw-ledger-negative.json"
WITNESS_LABELS = (
    "alot-verify test vector key: witness 1",
    "alot-verify test vector key: witness 2",
)


def _witnesses() -> list[tuple[str, str]]:
    return [
        witness_key_from_seed(f"witness.test/w{i}", hashlib.sha256(label.encode()).digest())
        for i, label in enumerate(WITNESS_LABELS, start=1)
    ]


def _cosigned(lines: list[str], times: list[int], quorum: int) -> dict[str, Any]:
    compact = CompactRange()
    for line in lines:
        compact.append(bytes.fromhex(json.loads(line)["hash"]))
    signer, verifier = vector_keys()
    checkpoint = Checkpoint("alot.local/ledger", compact.size, compact.root())
    note = sign_checkpoint(checkpoint, signer)
    witnesses = _witnesses()
    for (witness_signer, _), timestamp in zip(witnesses, times, strict=False):
        note += cosign(checkpoint, witness_signer, timestamp)
    return {
        "note": note,
        "log_key": verifier,
        "witnesses": [v for _, v in witnesses],
        "quorum": quorum,
    }


def build() -> dict[str, Any]:
    positives = {
        v["name"]: v["proof"]
        for v in json.loads((VECTORS / "draw-alot-v2.json").read_text(encoding="utf-8"))["vectors"]
    }
    no_beacon = positives["no-beacon"]
    quicknet = positives["quicknet-beacon"]
    pseudonymous = positives["pseudonymous-holders"]
    holders = [e["holder"] for e in pseudonymous["entries"]]
    funded = 1692806332  # quicknet-beacon's funded_at, 2023-08-23T15:58:52Z
    due = QUICKNET.round_time(1000)  # 2023-08-23T15:59:24Z
    in_time = draw_ledger_lines(quicknet)
    vectors: list[dict[str, Any]] = [
        {
            "name": "declared-beacon-less",
            "description": "control: a beacon-less alot-v2 lot declared beacon-less at opening "
            "(draw_commitment.beacon null), one freeze revealing the seed. Every check passes.",
            "must_fail": [],
            "proof": no_beacon,
            "ledger": draw_ledger_lines(no_beacon, declare=None),
        },
        {
            "name": "two-freezes",
            "description": "a second draw_inputs memo for the same lot (funded_at 1 us later, "
            "hash recomputed): the operator could publish whichever draw it likes best.",
            "must_fail": ["draw.one_freeze"],
            "proof": no_beacon,
            "ledger": draw_ledger_lines(
                no_beacon,
                declare=None,
                second_freeze={
                    **no_beacon["draw_inputs"],
                    "funded_at": "2026-03-01T12:00:00.000001Z",
                },
            ),
        },
        {
            "name": "undeclared-null-beacon",
            "description": "a beacon-less alot-v2 draw of a lot whose draw_commitment has no "
            "beacon member (undeclared): going beacon-less was the operator's choice.",
            "must_fail": ["draw.beacon_declared"],
            "proof": no_beacon,
            "ledger": draw_ledger_lines(no_beacon, declare=UNDECLARED),
        },
        {
            "name": "seed-mismatch",
            "description": "the freeze memo reveals a server seed that opens neither commitment "
            "(and is not the proof's).",
            "must_fail": ["draw.inputs_frozen", "draw.seed_revealed"],
            "proof": quicknet,
            "ledger": draw_ledger_lines(quicknet, revealed_seed="11" * 32),
        },
        {
            "name": "seed-withheld",
            "description": "a declared lot's freeze memo without server_seed: the operator "
            "would learn the result before anyone else.",
            "must_fail": ["draw.seed_revealed"],
            "proof": quicknet,
            "ledger": draw_ledger_lines(quicknet, reveal_seed=False),
        },
        {
            "name": "sock-puppet-entry",
            "description": "the frozen ticket map (and its root) holds an entry no purchase "
            "paid for: entries[1] has no entry_purchase before the freeze (the other entries' "
            "purchases pay the whole escrow).",
            "must_fail": ["draw.entries_purchased", "draw.ticket_map_from_ledger"],
            "proof": no_beacon,
            "ledger": draw_ledger_lines(no_beacon, declare=None, unpaid=frozenset({1})),
        },
        {
            "name": "escrow-inflated",
            "description": "draw_inputs.escrow_cents states 1000 cents but the lot's purchases "
            "paid 900 into its escrow account: the draw looks funded beyond what was paid.",
            "must_fail": ["draw.escrow_from_ledger"],
            "proof": no_beacon,
            "ledger": draw_ledger_lines(
                no_beacon, declare=None, paid_cents=no_beacon["draw_inputs"]["escrow_cents"] - 100
            ),
        },
        {
            "name": "witnessed-in-time",
            "description": "control: the freeze is covered by a checkpoint cosigned by both "
            "pinned witnesses 2 s and 5 s after funded_at, before round 1000 is due.",
            "must_fail": [],
            "proof": quicknet,
            "ledger": in_time,
            "cosigned": _cosigned(in_time, [funded + 2, funded + 5], 2),
        },
        {
            "name": "backdated-funded-at",
            "description": "funded_at written before round 1000 although the witnesses first "
            "saw the freeze 10 min after the round was published: T >= the round's time.",
            "must_fail": ["beacon.witnessed_before_round"],
            "proof": quicknet,
            "ledger": in_time,
            "cosigned": _cosigned(in_time, [due + 600, due + 601], 2),
        },
        {
            "name": "too-few-cosignatures",
            "description": "quorum 2 of 2 pinned witnesses, one cosignature: nothing is "
            "witnessed, so nothing is witnessed before the round either.",
            "must_fail": ["beacon.witnessed", "beacon.witnessed_before_round"],
            "proof": quicknet,
            "ledger": in_time,
            "cosigned": _cosigned(in_time, [funded + 2], 2),
        },
        {
            "name": "pseudonymous-holders",
            "description": "control: every purchase and free entry of a pseudonymous lot "
            "carries refs.holder (the proof's) next to refs.user_id, one user per holder. "
            "Every check passes.",
            "must_fail": [],
            "proof": pseudonymous,
            "ledger": draw_ledger_lines(pseudonymous),
        },
        {
            "name": "user-with-two-holders",
            "description": "the user behind holder entries[0].holder also bought entries[2] "
            "under another holder: one user has one pseudonym in a lot, or the map splits "
            "a player in two.",
            "must_fail": ["draw.holders_consistent"],
            "proof": pseudonymous,
            "ledger": draw_ledger_lines(pseudonymous, users={2: holder_user(holders[0])}),
        },
        {
            "name": "purchase-without-holder",
            "description": "entries[2]'s purchase carries no refs.holder in a lot whose other "
            "purchases do: the rebuilt entry names its user id, which is not the frozen map, "
            "and the lot names its holders two ways.",
            "must_fail": [
                "draw.entries_purchased",
                "draw.holders_consistent",
                "draw.ticket_map_from_ledger",
            ],
            "proof": pseudonymous,
            "ledger": draw_ledger_lines(pseudonymous, no_holder=frozenset({2})),
        },
        {
            "name": "entry-amount-not-its-purchase",
            "description": "entries[0] says its purchase (purchase_seq) paid 300 cents, but "
            "that purchase paid 200 into the escrow and entries[2]'s paid 500 instead of 400: "
            "the escrow still sums to 900 and the proof alone passes, but the map rebuilt "
            "from the purchases (amount = escrow postings) is not the frozen one.",
            "must_fail": ["draw.entries_purchased", "draw.ticket_map_from_ledger"],
            "proof": pseudonymous,
            "ledger": draw_ledger_lines(pseudonymous, amounts={0: 200, 2: 500}),
        },
    ]
    return {
        "source": "packages/alot-verify/tools/make_draw_ledger_vectors.py",
        "ledger_key_seed_label": "alot-verify test vector key: ledger-small",
        "witness_key_seed_labels": list(WITNESS_LABELS),
        "vectors": vectors,
    }


def main(argv: list[str]) -> int:
    text = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
    if "--check" in argv:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is out of date", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
