"""The draw's memos in the ledger: the rules `alot-verify ledger` checks per lot (C3).

A lot's draw leaves three memos in the ledger, each with ``refs.lot_id`` (normative text:
docs/spec/ledger.md, "Draw memos"):

- ``draw_commitment`` when the lot opens: the server seed's commitment and, since the
  ``beacon`` member exists, the drand chain the draw will use (or ``null``: declared
  beacon-less). A commitment without the member is *undeclared* (opened before it existed).
- ``draw_inputs`` when the lot is funded (the freeze): the draw inputs, their hash and the
  server seed, revealed before the beacon round exists.
- ``draw_result`` after the draw.

Checks, by name:

- ``draw.one_freeze``: at most one freeze per lot; every further one fails naming both seqs
  (several frozen input sets would let the operator publish the one it likes best).
- ``draw.seed_revealed``: a declared lot's freeze reveals ``server_seed``, and it opens the
  commitment of the opening memo and of the draw inputs (commitment_v1 / commitment_v2 by
  algorithm). A revealed seed is checked whether or not the lot is declared.
- ``draw.beacon_declared``: an alot-v2 freeze without a beacon requires the lot to have
  been declared beacon-less at opening; one with a beacon requires the declared chain.
  Undeclared lots keep working unless they are v2 without a beacon: that one the operator
  could have chosen after the fact, so it fails.

The ledger verifier collects the memos line by line (`note_draw_memo`, per chunk when it
runs in parallel) and applies the rules once at the end (`draw_rule_failures`), so a
second freeze in another chunk is still found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

DRAW_COMMITMENT = "draw_commitment"
DRAW_INPUTS = "draw_inputs"
DRAW_RESULT = "draw_result"
DRAW_MEMO_KINDS = frozenset({DRAW_COMMITMENT, DRAW_INPUTS, DRAW_RESULT})

CHECK_ONE_FREEZE = "draw.one_freeze"
CHECK_SEED_REVEALED = "draw.seed_revealed"
CHECK_BEACON_DECLARED = "draw.beacon_declared"
DRAW_CHECKS = (CHECK_ONE_FREEZE, CHECK_SEED_REVEALED, CHECK_BEACON_DECLARED)

DrawMemo = tuple[int, int, str, dict[str, Any]]
"""(export line, seq, kind, metadata) of one draw memo."""

RuleFailure = tuple[int, int, str, str]
"""(export line, seq, check, message)."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_MARKER_BYTES = b'"kind":"draw_'
_MARKER_TEXT = '"kind":"draw_'


def may_be_draw_memo(raw: bytes | str) -> bool:
    """A cheap test: only lines that pass it are parsed again as JSON."""
    if type(raw) is bytes:
        return _MARKER_BYTES in raw
    return _MARKER_TEXT in raw  # type: ignore[operator]


def note_draw_memo(lots: dict[str, list[DrawMemo]], number: int, raw: bytes | str) -> None:
    """Remember line ``number`` under its lot if it is a draw memo (the line is well formed:
    the ledger verifier has parsed it already)."""
    transaction = json.loads(raw)
    kind = transaction["kind"]
    lot_id = transaction["refs"].get("lot_id")
    if kind in DRAW_MEMO_KINDS and lot_id is not None:
        lots.setdefault(lot_id, []).append(
            (number, transaction["seq"], kind, transaction["metadata"])
        )


def merge_draw_memos(
    into: dict[str, list[DrawMemo]], chunk: Mapping[str, Sequence[DrawMemo]], base: int
) -> None:
    """Add a chunk's memos (lines numbered from the chunk's start) in export order."""
    for lot_id, memos in chunk.items():
        into.setdefault(lot_id, []).extend(
            (number + base, seq, kind, metadata) for number, seq, kind, metadata in memos
        )


def commitment_memo(memos: Sequence[DrawMemo]) -> DrawMemo | None:
    """The lot's opening memo: the first ``draw_commitment`` (what players were shown)."""
    return next((memo for memo in memos if memo[2] == DRAW_COMMITMENT), None)


def freeze_memos(memos: Sequence[DrawMemo]) -> list[DrawMemo]:
    return [memo for memo in memos if memo[2] == DRAW_INPUTS]


def is_declared(commitment: DrawMemo | None) -> bool:
    """True when the opening memo says which beacon (or none) the draw will use (C1)."""
    return commitment is not None and "beacon" in commitment[3]


def draw_rule_failures(lots: Mapping[str, Sequence[DrawMemo]], *, partial: bool) -> list[RuleFailure]:
    """Every C3 failure, in export order. ``partial``: the export may start after a lot's
    opening, so a lot without its ``draw_commitment`` is not judged against one."""
    failures: list[RuleFailure] = []
    for lot_id, memos in lots.items():
        failures += lot_rule_failures(lot_id, memos, partial=partial)
    failures.sort(key=lambda failure: failure[0])
    return failures


def lot_rule_failures(
    lot_id: str, memos: Sequence[DrawMemo], *, partial: bool = False
) -> list[RuleFailure]:
    """The C3 failures of one lot's draw memos (in export order)."""
    out: list[RuleFailure] = []
    freezes = freeze_memos(memos)
    if not freezes:
        return out
    first = freezes[0]
    for extra in freezes[1:]:
        out.append(
            (
                extra[0],
                extra[1],
                CHECK_ONE_FREEZE,
                f"lot {lot_id} is frozen twice: draw_inputs at seq {first[1]} and again at "
                f"seq {extra[1]} (a lot has exactly one set of draw inputs)",
            )
        )
    commitment = commitment_memo(memos)
    if commitment is None and partial:
        return out  # its opening is before the export: nothing to compare with
    for freeze in freezes:
        out += _seed_revealed(lot_id, freeze, commitment)
        out += _beacon_declared(lot_id, freeze, commitment)
    return out


def _opening(commitment: DrawMemo | None) -> str:
    if commitment is None:
        return "no draw_commitment for the lot in the export"
    return f"the draw_commitment at seq {commitment[1]}"


def _seed_revealed(lot_id: str, freeze: DrawMemo, commitment: DrawMemo | None) -> list[RuleFailure]:
    from alot_verify.draw import ALGORITHM_V1, ALGORITHM_V2, commitment_v1, commitment_v2

    number, seq, _, metadata = freeze

    def fail(message: str) -> list[RuleFailure]:
        return [(number, seq, CHECK_SEED_REVEALED, f"lot {lot_id}, draw_inputs at seq {seq}: {message}")]

    seed = metadata.get("server_seed")
    if seed is None:
        if is_declared(commitment):
            return fail(
                f"no server_seed: {_opening(commitment)} declares the lot's beacon, so its "
                "seed is revealed at funding"
            )
        return []  # undeclared (legacy) lot: its seed is revealed in the draw_result memo
    if not isinstance(seed, str) or _HEX64.fullmatch(seed) is None:
        return fail("server_seed is not 64 lowercase hex characters")
    algorithm = metadata.get("algorithm")
    if algorithm == ALGORITHM_V1:
        computed = commitment_v1(seed)
    elif algorithm == ALGORITHM_V2:
        computed = commitment_v2(seed)
    else:
        return fail(f"unknown algorithm {algorithm!r}: the seed cannot be checked")
    out: list[RuleFailure] = []
    if commitment is not None and commitment[3].get("server_seed_commitment") != computed:
        out += fail(
            f"server_seed does not open the commitment of {_opening(commitment)} "
            f"({algorithm} commitment of the seed is {computed})"
        )
    inputs = metadata.get("draw_inputs")
    frozen = inputs.get("server_seed_commitment") if isinstance(inputs, Mapping) else None
    if frozen != computed:
        out += fail(
            f"server_seed does not open draw_inputs.server_seed_commitment {frozen} "
            f"({algorithm} commitment of the seed is {computed})"
        )
    return out


def _beacon_declared(
    lot_id: str, freeze: DrawMemo, commitment: DrawMemo | None
) -> list[RuleFailure]:
    from alot_verify.draw import ALGORITHM_V2

    number, seq, _, metadata = freeze
    if metadata.get("algorithm") != ALGORITHM_V2:
        return []
    inputs = metadata.get("draw_inputs")
    where = f"lot {lot_id}, draw_inputs at seq {seq}"
    if not isinstance(inputs, Mapping) or "beacon" not in inputs:
        return [(number, seq, CHECK_BEACON_DECLARED, f"{where}: draw_inputs.beacon is missing")]
    beacon = inputs["beacon"]
    message = None
    if not is_declared(commitment):
        if beacon is None:
            message = (
                f"no drand beacon (beacon null), but the lot was not declared beacon-less at "
                f"opening ({_opening(commitment)} has no `beacon` member): the operator could "
                "have chosen to draw without randomness it cannot know"
            )
    else:
        assert commitment is not None
        declared = commitment[3]["beacon"]
        if declared is None:
            if beacon is not None:
                message = (
                    f"names a drand round, but {_opening(commitment)} declared the lot "
                    "beacon-less"
                )
        elif beacon is None:
            message = (
                f"no drand beacon (beacon null), but {_opening(commitment)} declared drand "
                f"chain {_chain(declared)}"
            )
        elif not isinstance(beacon, Mapping) or not isinstance(declared, Mapping):
            message = f"beacon {beacon!r} is not the declared {declared!r}"
        elif (beacon.get("chain_hash"), beacon.get("scheme")) != (
            declared.get("chain_hash"),
            declared.get("scheme"),
        ):
            message = (
                f"drand chain {_chain(beacon)} is not the chain {_chain(declared)} declared "
                f"by {_opening(commitment)}"
            )
    if message is None:
        return []
    return [(number, seq, CHECK_BEACON_DECLARED, f"{where}: {message}")]


def _chain(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"{value.get('chain_hash')} ({value.get('scheme')})"
    return json.dumps(value)
