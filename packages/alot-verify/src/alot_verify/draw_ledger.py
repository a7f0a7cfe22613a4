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

- ``draw.holders_consistent``: a lot names its holders by pseudonym (``refs.holder``) or by
  user id, never both: (a) either every ``entry_purchase`` / ``free_entry`` before the
  freeze carries ``refs.holder`` or none does, (b) one user id has one holder, (c) one
  holder belongs to one user id, (d) a holder is 64 lowercase hex. The export is for
  auditors only, so it may tie holders to user ids; public proofs never do.
- ``draw.ticket_map_from_ledger``: the ticket map is tied to money. The lot's
  ``entry_purchase`` and ``free_entry`` transactions before the freeze, each rebuilt as an
  entry (``{holder, tickets_start, tickets_end, amount_cents, purchase_seq}`` when the
  transaction carries ``refs.holder``: its escrow postings' sum and its seq;
  ``{user_id, ...}`` otherwise; kind ``free`` for a free entry) and sorted by
  ``tickets_start``, tile tickets 1..total_tickets and hash to the frozen
  ``ticket_map_root``; no purchase for the lot comes after its freeze. A sock-puppet entry
  (tickets no purchase paid for), an omitted purchase, a changed holder or an entry whose
  amount or purchase seq is not its purchase's fails here.
- ``draw.escrow_from_ledger``: the escrow the draw froze (``escrow_cents``, or alot-v1's
  ``escrow_balance`` in dollars) is the sum of those purchases' postings to the lot's
  escrow account (USD cents and CRD, 1 credit = 1 cent); a free entry posts nothing.

The ledger verifier collects the memos line by line (`note_draw_memo`, per chunk when it
runs in parallel) and applies the rules once at the end (`draw_rule_failures`), so a
second freeze in another chunk is still found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DRAW_COMMITMENT = "draw_commitment"
DRAW_INPUTS = "draw_inputs"
DRAW_RESULT = "draw_result"
DRAW_MEMO_KINDS = frozenset({DRAW_COMMITMENT, DRAW_INPUTS, DRAW_RESULT})
ENTRY_PURCHASE = "entry_purchase"
FREE_ENTRY = "free_entry"
ENTRY_KINDS = frozenset({ENTRY_PURCHASE, FREE_ENTRY})
NOTED_KINDS = DRAW_MEMO_KINDS | ENTRY_KINDS

CHECK_ONE_FREEZE = "draw.one_freeze"
CHECK_SEED_REVEALED = "draw.seed_revealed"
CHECK_BEACON_DECLARED = "draw.beacon_declared"
CHECK_HOLDERS = "draw.holders_consistent"
CHECK_TICKET_MAP = "draw.ticket_map_from_ledger"
CHECK_ESCROW = "draw.escrow_from_ledger"
DRAW_CHECKS = (
    CHECK_ONE_FREEZE,
    CHECK_SEED_REVEALED,
    CHECK_BEACON_DECLARED,
    CHECK_HOLDERS,
    CHECK_TICKET_MAP,
    CHECK_ESCROW,
)

RULES = {
    CHECK_ONE_FREEZE: "at most one freeze memo (draw_inputs) per lot",
    CHECK_SEED_REVEALED: "a declared lot's freeze reveals the server seed it committed to",
    CHECK_BEACON_DECLARED: "an alot-v2 freeze uses the beacon (or none) declared at opening",
    CHECK_HOLDERS: "a lot's entries before its freeze all carry a holder pseudonym or none "
    "does; one user, one holder; one holder, one user; a holder is 64 lowercase hex",
    CHECK_TICKET_MAP: "the frozen ticket map is the lot's purchases and free entries before "
    "its freeze, and none comes after it",
    CHECK_ESCROW: "the frozen escrow is the sum of those purchases' escrow postings",
}

EntryRecord = tuple[Any, Any, Any, int, int, Any, Any]
"""What the rules need of an ``entry_purchase`` / ``free_entry``: (refs.user_id,
metadata.tickets_start, metadata.tickets_end, the sum of its postings to the lot's escrow,
its number of postings, metadata.method, refs.holder or None), unchecked until the lot is
judged. A tuple, not the transaction: every purchase of the export is held until the end
(and a tuple of plain values crosses from the parallel verifier's worker processes)."""

DrawMemo = tuple[int, int, str, Any]
"""(export line, seq, kind, record) of one draw memo or entry transaction: for a draw memo
the record is its metadata (a dict); for an ``entry_purchase`` or ``free_entry`` an
`EntryRecord`."""

RuleFailure = tuple[int, int, str, str]
"""(export line, seq, check, message)."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_DOLLARS = re.compile(r"(?:0|[1-9][0-9]*)\.[0-9]{2}")
MARKER_BYTES = re.compile(rb'"kind":"(?:draw_|entry_purchase"|free_entry")')
_MARKER_TEXT = re.compile(r'"kind":"(?:draw_|entry_purchase"|free_entry")')


def may_be_draw_memo(raw: bytes | str) -> bool:
    """A cheap test: only lines that pass it are parsed again as JSON."""
    if type(raw) is bytes:
        return MARKER_BYTES.search(raw) is not None
    return _MARKER_TEXT.search(raw) is not None  # type: ignore[arg-type]


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
    elif kind in ENTRY_KINDS and lot_id is not None:
        metadata, postings = transaction["metadata"], transaction["postings"]
        escrow = escrow_account(lot_id)
        record: EntryRecord = (
            transaction["refs"].get("user_id"),
            metadata.get("tickets_start"),
            metadata.get("tickets_end"),
            sum(p["amount"] for p in postings if p["account"] == escrow),
            len(postings),
            metadata.get("method"),
            transaction["refs"].get("holder"),
        )
        lots.setdefault(lot_id, []).append((number, transaction["seq"], kind, record))


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


def draw_rule_failures(
    lots: Mapping[str, Sequence[DrawMemo]], *, partial: bool
) -> list[RuleFailure]:
    """Every draw rule failure, in export order. ``partial``: the export may start after a
    lot's opening, so a lot without its ``draw_commitment`` is not judged against one, and a
    lot whose purchases may lie before the export is not judged against them."""
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
    # Holders are judged on what the export holds, even when it starts after the lot
    # opened: two holders for one user are a contradiction wherever they appear.
    out += _holders_consistent(lot_id, first[1], memos)
    if commitment is None and partial:
        return out  # its opening is before the export: nothing to compare with
    for freeze in freezes:
        out += _seed_revealed(lot_id, freeze, commitment)
        out += _beacon_declared(lot_id, freeze, commitment)
    if money_unchecked(lot_id, memos, partial=partial) is None:
        out += _ticket_map_from_ledger(lot_id, first, memos)
        out += _escrow_from_ledger(lot_id, first, memos)
    return out


# --- the ticket map tied to money (draw.ticket_map_from_ledger, draw.escrow_from_ledger) ---


def escrow_account(lot_id: str) -> str:
    """The ledger account a lot's purchases pay into (docs/spec/ledger.md)."""
    return f"lot:{lot_id}:escrow"


def money_unchecked(lot_id: str, memos: Sequence[DrawMemo], *, partial: bool) -> str | None:
    """Why the lot's ticket map and escrow cannot be checked against the export (a note for
    the auditor), or None when they are. Only a partial export that does not hold the lot's
    opening can miss its purchases; a complete export holds every one of them."""
    freezes = freeze_memos(memos)
    if not freezes:
        return "the lot is not frozen"
    if partial and commitment_memo(memos) is None:
        return (
            f"lot {lot_id}: the export starts after the lot opened, so some of its purchases "
            "may lie before it: its ticket map and escrow are not checked against the ledger"
        )
    inputs = freezes[0][3].get("draw_inputs")
    if not isinstance(inputs, Mapping) or not isinstance(inputs.get("ticket_map_root"), str):
        return (
            f"lot {lot_id}: the freeze at seq {freezes[0][1]} records no ticket_map_root: "
            "its ticket map is not checked against the ledger"
        )
    return None


def unchecked_money_notes(lots: Mapping[str, Sequence[DrawMemo]], *, partial: bool) -> list[str]:
    """A note for each frozen lot whose ticket map and escrow were not checked (never a
    silent pass)."""
    notes = []
    for lot_id, memos in lots.items():
        if freeze_memos(memos):
            reason = money_unchecked(lot_id, memos, partial=partial)
            if reason is not None:
                notes.append(reason)
    return notes


@dataclass(frozen=True)
class LedgerEntry:
    """A ticket-map entry rebuilt from its purchase (or free entry) in the ledger."""

    seq: int
    kind: str  # entry_purchase | free_entry
    user_id: str
    tickets_start: int
    tickets_end: int
    amount_cents: int  # its postings to the lot's escrow (USD cents + CRD); 0 when free
    method: str  # cash | credits | free
    holder: str | None = None  # refs.holder: the entry is pseudonymous

    @property
    def named_as(self) -> str:
        """What the ticket map calls the holder: the pseudonym, or the user id."""
        return self.holder if self.holder is not None else self.user_id

    def entry(self) -> Any:
        from alot_verify.draw import ENTRY_KIND_FREE, Entry

        kind = ENTRY_KIND_FREE if self.kind == FREE_ENTRY else None
        if self.holder is not None:
            # The public map names the pseudonym only: the user id stays in the export. It
            # carries what the purchase paid into escrow and its seq, so the frozen root
            # matches only if every entry's amount and seq are its purchase's.
            return Entry(
                None,
                self.tickets_start,
                self.tickets_end,
                kind,
                holder=self.holder,
                amount_cents=self.amount_cents,
                purchase_seq=self.seq,
            )
        return Entry(self.user_id, self.tickets_start, self.tickets_end, kind)


def ledger_entries(
    lot_id: str, freeze_seq: int, memos: Sequence[DrawMemo]
) -> tuple[list[LedgerEntry], list[RuleFailure], list[RuleFailure]]:
    """The lot's entries rebuilt from its purchases before the freeze, sorted by
    tickets_start; then failures of the ticket-map rule (malformed purchases, purchases
    after the freeze) and of the escrow rule (a free entry with postings)."""
    entries: list[LedgerEntry] = []
    ticket_map: list[RuleFailure] = []
    money: list[RuleFailure] = []
    for number, seq, kind, record in memos:
        if kind not in ENTRY_KINDS:
            continue
        if seq > freeze_seq:
            ticket_map.append(
                (
                    number,
                    seq,
                    CHECK_TICKET_MAP,
                    f"lot {lot_id}: {kind} at seq {seq} comes after the lot's freeze at seq "
                    f"{freeze_seq}: no ticket is sold once the draw inputs are frozen",
                )
            )
            continue
        user, start, end, amount, postings, method, holder = record
        if (
            type(start) is not int
            or type(end) is not int
            or not isinstance(user, str)
            or not (holder is None or isinstance(holder, str))
            or not 1 <= start <= end
        ):
            ticket_map.append(
                (
                    number,
                    seq,
                    CHECK_TICKET_MAP,
                    f"lot {lot_id}: {kind} at seq {seq} has no valid user_id and ticket range "
                    f"(refs.user_id {user!r}, tickets {start!r}..{end!r}"
                    + ("" if holder is None else f", refs.holder {holder!r}")
                    + ")",
                )
            )
            continue
        if kind == FREE_ENTRY and postings:
            money.append(
                (
                    number,
                    seq,
                    CHECK_ESCROW,
                    f"lot {lot_id}: free_entry at seq {seq} has postings: a free entry pays "
                    "nothing",
                )
            )
        method = "free" if kind == FREE_ENTRY else str(method)
        entries.append(LedgerEntry(seq, kind, user, start, end, amount, method, holder))
    entries.sort(key=lambda e: (e.tickets_start, e.seq))
    return entries, ticket_map, money


def _ticket_map_from_ledger(
    lot_id: str, freeze: DrawMemo, memos: Sequence[DrawMemo]
) -> list[RuleFailure]:
    from alot_verify.draw import ticket_map_root

    number, freeze_seq, _, metadata = freeze
    inputs = metadata.get("draw_inputs")
    assert isinstance(inputs, Mapping)
    entries, out, _ = ledger_entries(lot_id, freeze_seq, memos)
    total = inputs.get("total_tickets")
    where = f"lot {lot_id}, draw_inputs at seq {freeze_seq}"

    def fail(message: str) -> None:
        out.append((number, freeze_seq, CHECK_TICKET_MAP, f"{where}: {message}"))

    # The tiling, in ticket order: a gap is a ticket no purchase paid for (a sock puppet
    # in the frozen map); an overlap or a ticket past the total, a purchase left out.
    following = 1
    for entry in entries:
        if entry.tickets_start > following:
            fail(
                f"tickets {following}..{entry.tickets_start - 1} are in no entry_purchase or "
                f"free_entry before the freeze: tickets in the frozen map with no purchase "
                "behind them"
            )
        elif entry.tickets_start < following:
            fail(
                f"{entry.kind} at seq {entry.seq} (tickets {entry.tickets_start}.."
                f"{entry.tickets_end}) overlaps tickets already sold"
            )
        following = max(following, entry.tickets_end + 1)
    sold = following - 1
    if type(total) is int and sold != total:
        if sold < total:
            fail(
                f"tickets {sold + 1}..{total} of total_tickets {total} are in no "
                "entry_purchase or free_entry before the freeze: tickets in the frozen map "
                "with no purchase behind them"
            )
        else:
            extra = [e for e in entries if e.tickets_end > total]
            fail(
                f"the ledger's purchases sell {sold} tickets, total_tickets is {total}: "
                + ", ".join(
                    f"{e.kind} at seq {e.seq} (tickets {e.tickets_start}..{e.tickets_end})"
                    for e in extra
                )
                + " missing from the frozen map"
            )
    root = ticket_map_root([e.entry() for e in entries]) if entries else None
    if root != inputs.get("ticket_map_root"):
        fail(
            f"the ticket map rebuilt from the ledger's {len(entries)} purchase(s) and free "
            f"entries before the freeze hashes to {root}, draw_inputs.ticket_map_root is "
            f"{inputs.get('ticket_map_root')}: an entry's holder, range, kind, amount or "
            "purchase seq differs from its purchase, or an entry has no purchase"
        )
    return out


def _holders_consistent(
    lot_id: str, freeze_seq: int, memos: Sequence[DrawMemo]
) -> list[RuleFailure]:
    """draw.holders_consistent over the lot's entries before its freeze (contract (a)-(d))."""
    out: list[RuleFailure] = []
    entries = [
        (number, seq, kind, record)
        for number, seq, kind, record in memos
        if kind in ENTRY_KINDS and seq < freeze_seq
    ]
    carrying = [e for e in entries if e[3][6] is not None]
    if not carrying:
        return out  # a lot with named holders: nothing to be consistent about

    def fail(number: int, seq: int, message: str) -> None:
        out.append((number, seq, CHECK_HOLDERS, f"lot {lot_id}: {message}"))

    # (a) one lot, one style: a purchase without a pseudonym would put its user id in the
    # public ticket map next to pseudonyms (or the map would not match the ledger).
    first = carrying[0]
    for number, seq, kind, record in entries:
        if record[6] is None:
            fail(
                number,
                seq,
                f"{kind} at seq {seq} carries no refs.holder, but {first[2]} at seq "
                f"{first[1]} does: a lot's entries all name their holder by pseudonym or "
                "none does",
            )
    # (b), (c): the pseudonym is a function of (user, lot), so within one lot a user has
    # one and a holder is one user; anything else splits or merges players in the map.
    holder_of: dict[Any, tuple[Any, int]] = {}
    user_of: dict[Any, tuple[Any, int]] = {}
    for number, seq, kind, record in carrying:
        user, holder = record[0], record[6]
        if not isinstance(holder, str) or _HEX64.fullmatch(holder) is None:  # (d)
            fail(
                number,
                seq,
                f"{kind} at seq {seq}: refs.holder {holder!r} is not 64 lowercase hex",
            )
            continue
        if not isinstance(user, str):
            continue  # draw.ticket_map_from_ledger reports the missing user id
        seen = holder_of.setdefault(user, (holder, seq))
        if seen[0] != holder:
            fail(
                number,
                seq,
                f"user {user} has holder {holder} at seq {seq} but holder {seen[0]} at seq "
                f"{seen[1]}: one user has one holder in a lot",
            )
        seen = user_of.setdefault(holder, (user, seq))
        if seen[0] != user:
            fail(
                number,
                seq,
                f"holder {holder} is user {user} at seq {seq} but user {seen[0]} at seq "
                f"{seen[1]}: one holder belongs to one user",
            )
    return out


def frozen_escrow_cents(inputs: Mapping[str, Any], algorithm: Any) -> int | None:
    """The escrow the freeze states, in cents (None: not stated or malformed)."""
    from alot_verify.draw import ALGORITHM_V1

    if algorithm == ALGORITHM_V1:
        text = inputs.get("escrow_balance")
        if not isinstance(text, str) or _DOLLARS.fullmatch(text) is None:
            return None
        dollars, cents = text.split(".")
        return int(dollars) * 100 + int(cents)
    value = inputs.get("escrow_cents")
    return value if type(value) is int else None


def _escrow_from_ledger(
    lot_id: str, freeze: DrawMemo, memos: Sequence[DrawMemo]
) -> list[RuleFailure]:
    number, freeze_seq, _, metadata = freeze
    inputs = metadata.get("draw_inputs")
    assert isinstance(inputs, Mapping)
    entries, _, out = ledger_entries(lot_id, freeze_seq, memos)
    paid = sum(e.amount_cents for e in entries)
    frozen = frozen_escrow_cents(inputs, metadata.get("algorithm"))
    name = "escrow_balance" if "escrow_balance" in inputs else "escrow_cents"
    if frozen != paid:
        out.append(
            (
                number,
                freeze_seq,
                CHECK_ESCROW,
                f"lot {lot_id}, draw_inputs at seq {freeze_seq}: draw_inputs.{name} is "
                f"{inputs.get(name)!r} ({frozen} cents), but the lot's {len(entries)} "
                f"purchase(s) and free entries before the freeze paid {paid} cents into "
                f"{escrow_account(lot_id)} (USD cents + CRD)",
            )
        )
    return out


def _opening(commitment: DrawMemo | None) -> str:
    if commitment is None:
        return "no draw_commitment for the lot in the export"
    return f"the draw_commitment at seq {commitment[1]}"


def _seed_revealed(lot_id: str, freeze: DrawMemo, commitment: DrawMemo | None) -> list[RuleFailure]:
    from alot_verify.draw import ALGORITHM_V1, ALGORITHM_V2, commitment_v1, commitment_v2

    number, seq, _, metadata = freeze

    def fail(message: str) -> list[RuleFailure]:
        return [
            (number, seq, CHECK_SEED_REVEALED, f"lot {lot_id}, draw_inputs at seq {seq}: {message}")
        ]

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
                    f"names a drand round, but {_opening(commitment)} declared the lot beacon-less"
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


# --- a draw proof against the ledger (alot-verify draw --ledger) ---------------------


def _draw_check(name: str, description: str, failures: Sequence[Any]) -> Any:
    from alot_verify.draw import DrawCheck

    return DrawCheck(name=name, description=description, failures=tuple(failures))


def _mismatch(field_name: str, expected: object, actual: object, detail: str = "") -> Any:
    from alot_verify.errors import FieldMismatch

    return FieldMismatch(field_name, str(expected), str(actual), detail)


def proof_lot_id(proof: Mapping[str, Any]) -> str:
    """The lot a (well-formed) proof is for."""
    if proof["algorithm"] == "alot-v1":
        return str(proof["lot_id"])
    return str(proof["draw_inputs"]["lot_id"])


def ledger_draw_checks(proof: Mapping[str, Any], memos: Sequence[DrawMemo]) -> list[Any]:
    """Check a verified-shape proof against its lot's draw memos in the ledger export.

    The C3 rules for the lot, then that the proof's inputs are the frozen ones (the
    draw inputs, their hash and the revealed server seed) and that the ``draw_result``
    memo records the proof's winning ticket and seed. Returns DrawChecks.
    """
    lot_id = proof_lot_id(proof)
    freezes = freeze_memos(memos)
    commitment = commitment_memo(memos)
    checks: list[Any] = []
    if not freezes:
        return [
            _draw_check(
                "draw.frozen",
                f"the export holds lot {lot_id}'s freeze memo (draw_inputs)",
                [_mismatch("draw_inputs memo", f"one with refs.lot_id {lot_id}", "none")],
            )
        ]
    failures = lot_rule_failures(lot_id, memos)
    by_check: dict[str, list[Any]] = {}
    for _, seq, check, message in failures:
        by_check.setdefault(check, []).append(_mismatch(f"ledger seq {seq}", RULES[check], message))
    algorithm = proof["algorithm"]
    beacon_less = algorithm == "alot-v2" and proof["draw_inputs"]["beacon"] is None
    descriptions = {
        CHECK_ONE_FREEZE: f"lot {lot_id} has exactly one freeze memo (seq {freezes[0][1]})",
        CHECK_SEED_REVEALED: "the freeze memo reveals the server seed behind the opening commitment"
        if "server_seed" in freezes[0][3]
        else "the server seed is not revealed at funding (undeclared lot, opened before "
        "draw memos declared their beacon)",
        CHECK_BEACON_DECLARED: "the freeze uses the drand chain declared when the lot opened"
        if is_declared(commitment)
        else "the lot opened before beacons were declared (undeclared); its draw has a beacon",
    }
    descriptions[CHECK_HOLDERS] = (
        f"lot {lot_id}'s entries before its freeze name their holders one way: every one "
        "by a pseudonym (one per user, one user per pseudonym) or none"
    )
    descriptions[CHECK_TICKET_MAP] = (
        f"the frozen ticket map is lot {lot_id}'s purchases and free entries in the ledger "
        "before its freeze (holders, ranges, kinds; amounts and seqs of pseudonymous "
        "entries), and none comes after it"
    )
    descriptions[CHECK_ESCROW] = (
        f"the frozen escrow is what those purchases paid into {escrow_account(lot_id)}"
    )
    if beacon_less and is_declared(commitment):
        descriptions[CHECK_BEACON_DECLARED] = (
            f"beacon.declared: the lot was declared beacon-less when it opened "
            f"({_opening(commitment)}): this draw was promised no drand beacon"
        )
    if algorithm != "alot-v2":
        descriptions[CHECK_BEACON_DECLARED] = "alot-v1 draws use no beacon"
    for check in DRAW_CHECKS:
        checks.append(
            _draw_check(
                check,
                descriptions[check],
                by_check.get(check, []),
            )
        )
    freeze = freezes[0]
    checks.append(_frozen_inputs_check(proof, freeze))
    checks.append(_entries_purchased_check(proof, lot_id, freeze, memos))
    results = [memo for memo in memos if memo[2] == DRAW_RESULT]
    if results:
        checks.append(_result_check(proof, results))
    return checks


def proof_entries_with_purchases(
    proof: Mapping[str, Any], memos: Sequence[DrawMemo]
) -> list[dict[str, Any]]:
    """Each entry of the proof with the ledger seq and amount of its purchase (None: no
    purchase in the export has exactly that holder, range and kind, and for a
    pseudonymous entry that amount and seq)."""
    lot_id = proof_lot_id(proof)
    freeze_seq = freeze_seq_of(memos)
    rebuilt = ledger_entries(lot_id, freeze_seq, memos)[0] if freeze_seq is not None else []
    by_entry = {json.dumps(e.entry().to_json(), sort_keys=True): e for e in rebuilt}
    out = []
    for entry in proof["entries"]:
        found = by_entry.get(json.dumps(entry, sort_keys=True))
        out.append(
            {
                **entry,
                "purchase_seq": None if found is None else found.seq,
                "purchase_kind": None if found is None else found.kind,
                "amount_cents": None if found is None else found.amount_cents,
            }
        )
    return out


def _entries_purchased_check(
    proof: Mapping[str, Any], lot_id: str, freeze: DrawMemo, memos: Sequence[DrawMemo]
) -> Any:
    """draw.entries_purchased: each entry of the proof is the entry rebuilt from one purchase
    (or free entry) of the lot before the freeze: a player's entry is tied to its purchase."""
    rebuilt = ledger_entries(lot_id, freeze[1], memos)[0]
    entries = proof["entries"]
    if entries and "holder" in entries[0]:
        return _draw_check(
            "draw.entries_purchased",
            f"each of the proof's {len(entries)} entries names by purchase_seq an "
            f"entry_purchase or free_entry of lot {lot_id} in the ledger before the freeze, "
            "with that holder, ticket range and amount, and every such purchase is in the map",
            _pseudonymous_purchase_mismatches(entries, lot_id, freeze[1], rebuilt),
        )
    failures = []
    for i, entry in enumerate(proof["entries"]):
        theirs = rebuilt[i].entry().to_json() if i < len(rebuilt) else None
        if theirs != entry:
            where = (
                f"{rebuilt[i].kind} at seq {rebuilt[i].seq}"
                if i < len(rebuilt)
                else "no further purchase before the freeze"
            )
            failures.append(
                _mismatch(
                    f"entries[{i}]",
                    json.dumps(theirs, sort_keys=True),
                    json.dumps(entry, sort_keys=True),
                    f"the ledger's entry ({where}); the first entry that differs",
                )
            )
            break
    if not failures and len(rebuilt) > len(proof["entries"]):
        extra = rebuilt[len(proof["entries"])]
        failures.append(
            _mismatch(
                f"entries[{len(proof['entries'])}]",
                json.dumps(extra.entry().to_json(), sort_keys=True),
                "none",
                f"{extra.kind} at seq {extra.seq} is missing from the proof",
            )
        )
    return _draw_check(
        "draw.entries_purchased",
        f"each of the proof's {len(proof['entries'])} entries is a purchase or free entry of "
        f"lot {lot_id} in the ledger before the freeze, with that holder and ticket range",
        failures,
    )


def _pseudonymous_purchase_mismatches(
    entries: Sequence[Mapping[str, Any]],
    lot_id: str,
    freeze_seq: int,
    rebuilt: Sequence[LedgerEntry],
) -> list[Any]:
    # A pseudonymous entry names its purchase: look it up by seq rather than by position,
    # so the failure names the seq the entry claims and the seq that holds its tickets.
    by_seq = {e.seq: e for e in rebuilt}
    by_start = {e.tickets_start: e for e in rebuilt}
    for i, entry in enumerate(entries):
        claimed = entry.get("purchase_seq")
        purchase = by_seq.get(claimed) if isinstance(claimed, int) else None
        theirs = None if purchase is None else purchase.entry().to_json()
        if theirs == entry:
            continue
        holding = by_start.get(entry["tickets_start"])
        holds = (
            f"; these tickets are {holding.kind} at seq {holding.seq}"
            if holding is not None and holding is not purchase
            else ""
        )
        if purchase is None:
            return [
                _mismatch(
                    f"entries[{i}].purchase_seq",
                    f"the seq of an entry_purchase or free_entry of lot {lot_id} before its "
                    f"freeze at seq {freeze_seq}",
                    str(claimed),
                    f"no such purchase at seq {claimed}{holds}; the first entry that differs",
                )
            ]
        return [
            _mismatch(
                f"entries[{i}]",
                json.dumps(theirs, sort_keys=True),
                json.dumps(entry, sort_keys=True),
                f"the ledger's entry for {purchase.kind} at seq {purchase.seq} (holder, range, "
                f"kind and amount){holds}; the first entry that differs",
            )
        ]
    named = {entry.get("purchase_seq") for entry in entries}
    missing = next((e for e in rebuilt if e.seq not in named), None)
    if missing is None:
        return []
    return [
        _mismatch(
            "entries",
            json.dumps(missing.entry().to_json(), sort_keys=True),
            "none",
            f"{missing.kind} at seq {missing.seq} is missing from the proof",
        )
    ]


def _frozen_inputs_check(proof: Mapping[str, Any], freeze: DrawMemo) -> Any:
    metadata = freeze[3]
    frozen = metadata.get("draw_inputs")
    failures = []
    if metadata.get("algorithm") != proof["algorithm"]:
        failures.append(_mismatch("algorithm", metadata.get("algorithm"), proof["algorithm"]))
    if proof["algorithm"] == "alot-v2":
        if frozen != proof["draw_inputs"]:
            failures.append(
                _mismatch(
                    "draw_inputs",
                    json.dumps(frozen, sort_keys=True),
                    json.dumps(proof["draw_inputs"], sort_keys=True),
                    "not the inputs frozen in the ledger",
                )
            )
        if metadata.get("draw_inputs_hash") != proof["draw_inputs_hash"]:
            failures.append(
                _mismatch(
                    "draw_inputs_hash", metadata.get("draw_inputs_hash"), proof["draw_inputs_hash"]
                )
            )
    else:
        inputs = frozen if isinstance(frozen, Mapping) else {}
        for name in (
            "lot_id",
            "created_at",
            "total_tickets",
            "escrow_balance",
            "server_seed_commitment",
        ):
            if inputs.get(name) != proof[name]:
                failures.append(_mismatch(name, inputs.get(name), proof[name], "frozen value"))
    if "server_seed" in metadata and metadata["server_seed"] != proof["server_seed"]:
        failures.append(
            _mismatch(
                "server_seed", metadata["server_seed"], proof["server_seed"], "revealed at funding"
            )
        )
    return _draw_check(
        "draw.inputs_frozen",
        f"the proof's inputs are those frozen at funding (draw_inputs at seq {freeze[1]})",
        failures,
    )


def _result_check(proof: Mapping[str, Any], results: Sequence[DrawMemo]) -> Any:
    failures = []
    for _, seq, _, metadata in results:
        for name in ("winning_ticket", "server_seed"):
            if metadata.get(name) != proof[name]:
                failures.append(
                    _mismatch(name, proof[name], metadata.get(name), f"draw_result at seq {seq}")
                )
    return _draw_check(
        "draw.result_recorded",
        "the ledger's draw_result memo records this proof's winning ticket and server seed",
        failures,
    )


# --- witnessed timing (C5) --------------------------------------------------------------


def witnessed_timing_checks(
    proof: Mapping[str, Any],
    freeze_seq: int | None,
    *,
    checkpoint_size: int | None,
    problems: Sequence[str],
    cosignatures: Sequence[tuple[str, int]],
    quorum: int,
    chains: Mapping[str, Any] | None = None,
) -> list[Any]:
    """``beacon.witnessed`` and ``beacon.witnessed_before_round`` (C5).

    ``checkpoint_size`` is the cosigned checkpoint's size (None: its log signature did not
    verify); ``problems`` what is wrong with it already (its root is not the export's);
    ``cosignatures`` the (witness, timestamp) of each valid cosignature by a distinct pinned
    witness. T, the K-th smallest timestamp, is when the frozen inputs existed at the
    latest, if any one of those K witnesses is honest.
    """
    from alot_verify import beacon as _beacon
    from alot_verify.draw import _format_unix, _unix_micros

    failures = [_mismatch("cosigned checkpoint", "valid", "invalid", p) for p in problems]
    if freeze_seq is None:
        failures.append(_mismatch("draw_inputs memo", "in the export", "none"))
    elif checkpoint_size is not None and checkpoint_size < freeze_seq:
        failures.append(
            _mismatch(
                "cosigned checkpoint size",
                f">= {freeze_seq} (the freeze memo's seq)",
                checkpoint_size,
                "the checkpoint does not cover the freeze",
            )
        )
    if len(cosignatures) < quorum:
        failures.append(
            _mismatch(
                "cosignatures",
                f"{quorum} by distinct pinned witnesses",
                len(cosignatures),
                "not enough valid cosignatures",
            )
        )
    times = sorted(timestamp for _, timestamp in cosignatures)
    witnessed_at = times[quorum - 1] if not failures and quorum >= 1 else None
    witnessed = _draw_check(
        "beacon.witnessed",
        f"the freeze (seq {freeze_seq}) is in a checkpoint cosigned by {quorum} pinned "
        f"witness(es)"
        + (
            f" by {_format_unix(witnessed_at)}"
            f" (T: the latest of the {quorum} earliest cosignatures)"
            if witnessed_at is not None
            else ""
        ),
        failures,
    )
    before: list[Any] = []
    algorithm = proof["algorithm"]
    funded_at = proof["draw_inputs"]["funded_at"] if algorithm == "alot-v2" else None
    choice = proof["draw_inputs"]["beacon"] if algorithm == "alot-v2" else None
    if choice is None:
        return [witnessed]  # no beacon round: nothing to be witnessed before
    chain = _beacon.pinned_chains(chains).get(choice["chain_hash"])
    if witnessed_at is None:
        before.append(
            _mismatch("T", "a witnessed time", "none", "beacon.witnessed failed: no witnessed time")
        )
    elif chain is None:
        before.append(
            _mismatch("draw_inputs.beacon.chain_hash", "a pinned chain", choice["chain_hash"])
        )
    else:
        assert funded_at is not None
        funded = _unix_micros(funded_at) // 1_000_000
        due = chain.round_time(choice["round"])
        if funded > witnessed_at:
            before.append(
                _mismatch(
                    "draw_inputs.funded_at",
                    f"at or before T {_format_unix(witnessed_at)}",
                    funded_at,
                    "the witnesses saw the freeze before the time it states",
                )
            )
        if witnessed_at >= due:
            before.append(
                _mismatch(
                    "T",
                    f"before round {choice['round']} is due at {_format_unix(due)}",
                    _format_unix(witnessed_at),
                    "the frozen inputs are only witnessed after the beacon round could be known",
                )
            )
    return [
        witnessed,
        _draw_check(
            "beacon.witnessed_before_round",
            f"funded_at <= T < the time round {choice['round']} is due: the inputs were fixed "
            "before the randomness existed",
            before,
        ),
    ]


def freeze_seq_of(memos: Sequence[DrawMemo]) -> int | None:
    freezes = freeze_memos(memos)
    return freezes[0][1] if freezes else None


# --- the winner from the freeze alone (alot-verify winner) ---------------------------


def winner_from_freeze(
    memos: Sequence[DrawMemo],
    reading: Mapping[str, Any] | None,
    *,
    chains: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The winning ticket computed from the lot's freeze memo and the beacon reading alone.

    No withholding: the freeze reveals the server seed, so once the frozen drand round is
    public anyone computes the winner without the platform. The reading is verified against
    the pinned chain first. Raises InputError if the freeze cannot determine the winner.
    """
    from alot_verify import beacon as _beacon
    from alot_verify.draw import (
        ALGORITHM_V1,
        ALGORITHM_V2,
        _client_seed_v1,
        _combined_seed_v1,
        _seed_v2,
        _winning_ticket_v1,
        draw_inputs_hash,
        select_v2,
    )
    from alot_verify.errors import InputError

    freezes = freeze_memos(memos)
    if not freezes:
        raise InputError("the export has no freeze memo (draw_inputs) for the lot", where="--lot")
    if len(freezes) > 1:
        raise InputError(
            f"the lot is frozen more than once (seqs {', '.join(str(f[1]) for f in freezes)})",
            where="--lot",
        )
    _, seq, _, metadata = freezes[0]
    seed = metadata.get("server_seed")
    if not isinstance(seed, str) or _HEX64.fullmatch(seed) is None:
        raise InputError(
            "the freeze memo does not reveal server_seed (an undeclared lot: its seed is "
            "revealed only with the result)",
            where=f"seq {seq}",
        )
    inputs = metadata.get("draw_inputs")
    if not isinstance(inputs, Mapping):
        raise InputError("no draw_inputs object", where=f"seq {seq}")
    algorithm = metadata.get("algorithm")
    result: dict[str, Any] = {"algorithm": algorithm, "freeze_seq": seq, "server_seed": seed}
    if algorithm == ALGORITHM_V1:
        client_seed = _client_seed_v1(
            inputs["lot_id"],
            inputs["created_at"],
            inputs["total_tickets"],
            inputs["escrow_balance"],
        )
        combined = _combined_seed_v1(seed, client_seed, 0)
        result["winning_ticket"] = _winning_ticket_v1(combined, inputs["total_tickets"])
        result["total_tickets"] = inputs["total_tickets"]
        return result
    if algorithm != ALGORITHM_V2:
        raise InputError(f"unknown algorithm {algorithm!r}", where=f"seq {seq}")
    choice = inputs.get("beacon")
    randomness = b""
    if choice is not None:
        if reading is None:
            raise InputError(
                f"the draw uses drand round {choice['round']}: give its reading", where="--beacon"
            )
        chain = _beacon.pinned_chains(chains).get(choice["chain_hash"])
        if chain is None:
            raise InputError(f"chain {choice['chain_hash']} is not pinned", where="--beacon")
        randomness = _beacon.verify_round(chain, choice["round"], reading)
        result["beacon_round"] = choice["round"]
    elif reading is not None:
        raise InputError("the draw inputs name no drand round", where="--beacon")
    draw_seed = _seed_v2(seed, draw_inputs_hash(inputs), randomness)
    ticket, counter = select_v2(draw_seed, inputs["total_tickets"])
    result.update(
        {
            "seed": draw_seed.hex(),
            "selection_counter": counter,
            "winning_ticket": ticket,
            "total_tickets": inputs["total_tickets"],
        }
    )
    return result
