"""Draws: computing and verifying which ticket wins a funded lot (docs/spec/draw.md).

Two algorithms, named by the proof's ``algorithm`` member:

- ``alot-v1``: the original formula (server seed committed when the lot opens, client
  seed from the lot's public data, ``1 + int(sha256(...)[:8], 16) % total_tickets``).
  Kept so that every draw ever published stays verifiable. It lets the operator, who
  knows the server seed, predict the winner and grind it by adding entries, and it
  commits to nothing about who holds which ticket.
- ``alot-v2``: the draw inputs, including the ticket map's Merkle root and optionally a
  future drand round, are frozen in the ledger when the lot is funded; the seed is an
  HMAC of the server seed over those inputs and the beacon's randomness, and the winning
  ticket is drawn from it by HMAC counter mode with rejection sampling (no modulo bias).

The platform computes draws with ``compute_v1`` / ``freeze_v2`` + ``compute_v2``; anyone
verifies a published proof with ``verify_draw_proof`` (raises on any mismatch) or
``draw_checks`` (every check with its outcome, for reports). Proofs are plain JSON
objects. Malformed proofs raise InputError naming the field.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from alot_verify import beacon as _beacon
from alot_verify import merkle
from alot_verify.canonical import MAX_SAFE_INTEGER, canonical_json
from alot_verify.errors import DrawVerificationError, FieldMismatch, InputError

__all__ = [
    "ALGORITHMS",
    "ENTRY_KINDS",
    "ENTRY_KIND_FREE",
    "TAG_HOLDER",
    "DrawCheck",
    "DrawResult",
    "Entry",
    "commitment_v1",
    "commitment_v2",
    "compute_v1",
    "compute_v2",
    "draw_checks",
    "draw_inputs_hash",
    "first_round",
    "freeze_v2",
    "holder_pseudonym",
    "select_v2",
    "ticket_map_root",
    "verify_draw_proof",
]

ALGORITHM_V1 = "alot-v1"
ALGORITHM_V2 = "alot-v2"
ALGORITHMS = (ALGORITHM_V1, ALGORITHM_V2)

# Domain separation tags of alot-v2: each hash or HMAC in the algorithm starts with its
# own tag, so no value computed for one purpose can be replayed as another.
TAG_COMMIT = b"ALOT-DRAW-V2/commit"
TAG_INPUTS = b"ALOT-DRAW-V2/inputs"
TAG_SEED = b"ALOT-DRAW-V2/seed"
TAG_SELECT = b"ALOT-DRAW-V2/select"
TAG_HOLDER = b"ALOT-DRAW-V2/holder"
"""Tag of a holder pseudonym (``holder_pseudonym``); both algorithms' ticket maps use it."""

HOLDER_SECRET_BYTES = 32

# The proof member naming the winner: a proof over a named ticket map names them by user
# id, one over a pseudonymous map by holder pseudonym (and never carries the user id).
WINNER_USER_ID = "winner_user_id"
WINNER_HOLDER = "winner_holder"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_DOLLARS = re.compile(r"(0|[1-9][0-9]*)\.[0-9]{2}")
_HEX = re.compile(r"(?:[0-9a-f]{2})*")


# --- public types -----------------------------------------------------------------


ENTRY_KIND_FREE = "free"
"""The kind of a free entry (no purchase necessary); a paid entry has no kind."""

ENTRY_KINDS = (ENTRY_KIND_FREE,)


@dataclass(frozen=True)
class Entry:
    """One entry of the ticket map: its holder holds tickets ``tickets_start..tickets_end``.

    The holder is named either by ``user_id`` (a named entry, as every map was before
    pseudonyms) or by ``holder``, the per-lot pseudonym ``holder_pseudonym`` derives (a
    pseudonymous entry): exactly one of the two is set, and one ticket map is all named
    or all pseudonymous. A named entry's JSON is byte-identical to what it always was.

    ``kind`` is None for a paid entry and ``"free"`` for a free entry. A free ticket is
    drawn exactly like a paid one; the kind only says how it was obtained. It appears in
    the entry's JSON only when set, so every ticket map without free entries (and its
    root) is byte-identical to what it was before kinds existed.

    A pseudonymous entry also carries ``amount_cents``, what its purchase put in the lot's
    escrow (0 for a free entry), and ``purchase_seq``, the ledger seq of that purchase:
    the proof alone then shows that the amounts sum to the escrow, and the ledger export
    that each entry is its purchase. Both are set exactly when ``holder`` is; a named
    entry carries neither, so named maps and their roots stay as they were.
    """

    user_id: str | None
    tickets_start: int
    tickets_end: int
    kind: str | None = None
    holder: str | None = None
    amount_cents: int | None = None
    purchase_seq: int | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.holder is None):
            raise ValueError("an entry names its holder by exactly one of user_id and holder")
        pseudonymous = self.holder is not None
        if (self.amount_cents is not None) != pseudonymous or (
            self.purchase_seq is not None
        ) != pseudonymous:
            raise ValueError(
                "amount_cents and purchase_seq are set exactly on a pseudonymous entry"
            )

    @property
    def named_as(self) -> str:
        """What the ticket map calls the holder: the pseudonym, or a named entry's user id."""
        if self.holder is not None:
            return self.holder
        assert self.user_id is not None  # __post_init__: exactly one is set
        return self.user_id

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = (
            {"holder": self.holder} if self.holder is not None else {"user_id": self.user_id}
        )
        entry["tickets_start"] = self.tickets_start
        entry["tickets_end"] = self.tickets_end
        if self.kind is not None:
            entry["kind"] = self.kind
        if self.amount_cents is not None:
            entry["amount_cents"] = self.amount_cents
        if self.purchase_seq is not None:
            entry["purchase_seq"] = self.purchase_seq
        return entry


def holder_pseudonym(holder_secret: bytes, lot_id: str) -> str:
    """A player's pseudonym in one lot: HMAC-SHA256(holder secret, enc(TAG_HOLDER) ||
    enc(lot id)), lowercase hex.

    The secret (32 random bytes per user) stays with the platform (it is in no API
    response), so nobody else can tell that two pseudonyms in two lots are one player;
    the player, told their pseudonym on their receipt, finds themself in a proof.
    """
    if not isinstance(holder_secret, bytes) or len(holder_secret) != HOLDER_SECRET_BYTES:
        raise InputError(f"must be {HOLDER_SECRET_BYTES} bytes", where="holder_secret")
    lot = _uuid(lot_id, "lot_id").encode("utf-8")
    message = _enc(TAG_HOLDER) + _enc(lot)
    return hmac.new(holder_secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class DrawCheck:
    """One named check of a draw proof and the mismatches it found (none: it passed)."""

    name: str
    description: str
    failures: tuple[FieldMismatch, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class DrawResult:
    """A verified draw: who won, and what was (and was not) checked.

    Exactly one of ``winner_user_id`` (a named ticket map) and ``winner_holder`` (a
    pseudonymous one) is set.
    """

    algorithm: str
    lot_id: str
    winning_ticket: int
    winner_user_id: str | None
    checks: tuple[str, ...]
    unchecked: tuple[str, ...] = field(default=())
    winner_holder: str | None = None

    @property
    def winner(self) -> str:
        """The winner as the proof names them: the holder pseudonym, or the user id."""
        winner = self.winner_holder if self.winner_holder is not None else self.winner_user_id
        assert winner is not None
        return winner


# --- verification -----------------------------------------------------------------


def draw_checks(
    proof: Any,
    *,
    chains: Mapping[str, _beacon.DrandChain] | None = None,
    beacon_public_key: bytes | None = None,
) -> tuple[list[DrawCheck], list[str]]:
    """Run every check of a draw proof; return (checks, notes on what was not checked).

    Raises InputError if the proof is malformed. An alot-v2 beacon is checked against
    the drand chains pinned in ``alot_verify.beacon`` and the auditor's own ``chains``
    (by chain hash): a beacon of any other chain fails. ``beacon_public_key``, when
    given, must also be the chain's pinned public key.
    """
    if not isinstance(proof, Mapping):
        raise InputError("a draw proof is a JSON object", where="$")
    algorithm = proof.get("algorithm")
    if algorithm == ALGORITHM_V1:
        return _checks_v1(_parse_v1(proof)), []
    if algorithm == ALGORITHM_V2:
        return _checks_v2(_parse_v2(proof), _beacon.pinned_chains(chains), beacon_public_key)
    if algorithm is None:
        raise InputError("missing field", where="algorithm")
    raise InputError(
        f"unsupported algorithm {algorithm!r} (supported: {', '.join(ALGORITHMS)})",
        where="algorithm",
    )


def verify_draw_proof(
    proof: Any,
    *,
    chains: Mapping[str, _beacon.DrandChain] | None = None,
    beacon_public_key: bytes | None = None,
) -> DrawResult:
    """Verify a draw proof; raise DrawVerificationError listing every mismatch by field."""
    checks, unchecked = draw_checks(proof, chains=chains, beacon_public_key=beacon_public_key)
    failures = [failure for check in checks for failure in check.failures]
    if failures:
        raise DrawVerificationError(failures)
    if proof["algorithm"] == ALGORITHM_V1:
        lot_id = proof["lot_id"]
    else:
        lot_id = proof["draw_inputs"]["lot_id"]
    return DrawResult(
        algorithm=proof["algorithm"],
        lot_id=lot_id,
        winning_ticket=proof["winning_ticket"],
        winner_user_id=proof.get(WINNER_USER_ID),
        checks=tuple(check.name for check in checks),
        unchecked=tuple(unchecked),
        winner_holder=proof.get(WINNER_HOLDER),
    )


ROUND_MARGIN_SECONDS = 30
"""The frozen round must be due this long after funding (C4), so that the freeze memo is
in the ledger, cosigned, well before the round's randomness exists."""

BEACON_DECLARED_NOTE = (
    "beacon.declared: this alot-v2 draw has no drand beacon: only the ledger shows whether "
    "this lot was declared beacon-less at opening; give --ledger"
)
"""What a beacon-less alot-v2 proof alone cannot show (the check runs with the ledger)."""


def first_round(chain: _beacon.DrandChain, funded_at: str) -> int:
    """The round a lot funded at ``funded_at`` must use (C4): the first round of ``chain``
    due strictly after floor(funded_at in Unix seconds) + ROUND_MARGIN_SECONDS."""
    return chain.first_round_after(_unix_micros(funded_at) // 1_000_000 + ROUND_MARGIN_SECONDS)


# --- alot-v1 ----------------------------------------------------------------------


def commitment_v1(server_seed: str) -> str:
    """alot-v1 commitment: sha256 of the server seed's 64 hex characters as ASCII."""
    return hashlib.sha256(server_seed.encode("ascii")).hexdigest()


def _client_seed_v1(lot_id: str, created_at: str, total_tickets: int, escrow_balance: str) -> str:
    """alot-v1 client seed: sha256 of ``lot_id:created_at:total_tickets:escrow_balance``."""
    text = f"{lot_id}:{created_at}:{total_tickets}:{escrow_balance}"
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _combined_seed_v1(server_seed: str, client_seed: str, nonce: int = 0) -> str:
    """alot-v1 combined seed: sha256 of server seed, client seed and nonce, concatenated."""
    return hashlib.sha256(f"{server_seed}{client_seed}{nonce}".encode("ascii")).hexdigest()


def _winning_ticket_v1(combined_seed: str, total_tickets: int) -> int:
    """alot-v1 selection: the first 32 bits of the combined seed, modulo the ticket count."""
    return 1 + int(combined_seed[:8], 16) % total_tickets


def compute_v1(
    *,
    lot_id: str,
    created_at: str,
    total_tickets: int,
    escrow_balance: str,
    server_seed: str,
    entries: Sequence[Entry],
) -> dict[str, Any]:
    """Compute an alot-v1 draw and return its proof (the JSON object the platform serves)."""
    parsed = _parse_entries([e.to_json() for e in entries], "entries")
    _uuid(lot_id, "lot_id")
    _timestamp(created_at, "created_at")
    _ticket_number(total_tickets, "total_tickets")
    _dollars(escrow_balance, "escrow_balance")
    _hex(server_seed, "server_seed", 32)
    _require_tiling(parsed, total_tickets)
    _require_amounts(parsed, _cents(escrow_balance), "escrow_balance in cents")
    client_seed = _client_seed_v1(lot_id, created_at, total_tickets, escrow_balance)
    combined_seed = _combined_seed_v1(server_seed, client_seed, 0)
    winning_ticket = _winning_ticket_v1(combined_seed, total_tickets)
    return {
        "algorithm": ALGORITHM_V1,
        "lot_id": lot_id,
        "created_at": created_at,
        "total_tickets": total_tickets,
        "escrow_balance": escrow_balance,
        "server_seed_commitment": commitment_v1(server_seed),
        "server_seed": server_seed,
        "client_seed": client_seed,
        "nonce": 0,
        "combined_seed": combined_seed,
        "winning_ticket": winning_ticket,
        "entries": [e.to_json() for e in parsed],
        _winner_field(parsed): _holders(parsed, winning_ticket)[0],
    }


@dataclass(frozen=True)
class _ProofV1:
    lot_id: str
    created_at: str
    total_tickets: int
    escrow_balance: str
    server_seed_commitment: str
    server_seed: str
    client_seed: str
    nonce: int
    combined_seed: str
    winning_ticket: int
    entries: list[Entry]
    winner_field: str
    winner: str


_V1_FIELDS = (
    "algorithm",
    "lot_id",
    "created_at",
    "total_tickets",
    "escrow_balance",
    "server_seed_commitment",
    "server_seed",
    "client_seed",
    "nonce",
    "combined_seed",
    "winning_ticket",
    "entries",
)


def _parse_v1(proof: Mapping[str, Any]) -> _ProofV1:
    winner_field = _expected_winner_field(proof)
    _exact_members(proof, (*_V1_FIELDS, winner_field), "")
    entries = _parse_entries(proof["entries"], "entries")
    return _ProofV1(
        lot_id=_uuid(proof["lot_id"], "lot_id"),
        created_at=_timestamp(proof["created_at"], "created_at"),
        total_tickets=_ticket_number(proof["total_tickets"], "total_tickets"),
        escrow_balance=_dollars(proof["escrow_balance"], "escrow_balance"),
        server_seed_commitment=_hex(proof["server_seed_commitment"], "server_seed_commitment", 32),
        server_seed=_hex(proof["server_seed"], "server_seed", 32),
        client_seed=_hex(proof["client_seed"], "client_seed", 32),
        nonce=_integer(proof["nonce"], "nonce", minimum=0),
        combined_seed=_hex(proof["combined_seed"], "combined_seed", 32),
        winning_ticket=_ticket_number(proof["winning_ticket"], "winning_ticket"),
        entries=entries,
        winner_field=winner_field,
        winner=_winner_name(proof[winner_field], winner_field),
    )


def _checks_v1(p: _ProofV1) -> list[DrawCheck]:
    # Every derived value is recomputed from the inputs (lot data, server seed, entries)
    # and compared with the stored one, so a tampered field fails its own check rather
    # than every check downstream of it.
    client_seed = _client_seed_v1(p.lot_id, p.created_at, p.total_tickets, p.escrow_balance)
    combined_seed = _combined_seed_v1(p.server_seed, client_seed, 0)
    winning_ticket = _winning_ticket_v1(combined_seed, p.total_tickets)
    return [
        _check(
            "nonce",
            "nonce is 0 (alot-v1 never redraws)",
            _compare("nonce", 0, p.nonce),
        ),
        _check(
            "server_seed_commitment",
            "server_seed_commitment = sha256(server_seed), published when the lot opened",
            _compare(
                "server_seed_commitment", commitment_v1(p.server_seed), p.server_seed_commitment
            ),
        ),
        _check(
            "client_seed",
            "client_seed = sha256(lot_id:created_at:total_tickets:escrow_balance)",
            _compare("client_seed", client_seed, p.client_seed),
        ),
        _check(
            "combined_seed",
            "combined_seed = sha256(server_seed + client_seed + nonce)",
            _compare("combined_seed", combined_seed, p.combined_seed),
        ),
        _check(
            "winning_ticket",
            "winning_ticket = 1 + int(combined_seed[:8], 16) % total_tickets",
            _compare("winning_ticket", winning_ticket, p.winning_ticket),
        ),
        _check(
            "entries",
            f"entries tile tickets 1..{p.total_tickets} exactly",
            _tiling_mismatches(p.entries, p.total_tickets),
        ),
        *_amounts_checks(p.entries, _cents(p.escrow_balance), "escrow_balance in cents"),
        _check(
            p.winner_field,
            _winner_description(p.winner_field, p.winner, winning_ticket),
            _winner_mismatches(p.entries, winning_ticket, p.winner_field, p.winner),
        ),
    ]


# --- alot-v2 ----------------------------------------------------------------------


def commitment_v2(server_seed: str) -> str:
    """alot-v2 commitment: SHA-256(enc(TAG_COMMIT) || enc(server seed bytes)), hex."""
    seed = bytes.fromhex(_hex(server_seed, "server_seed", 32))
    return hashlib.sha256(_enc(TAG_COMMIT) + _enc(seed)).hexdigest()


def ticket_map_root(entries: Sequence[Entry]) -> str:
    """RFC 9162 root over the canonical JSON of each entry, in ticket order (hex)."""
    leaves = [merkle.leaf_hash(canonical_json(entry.to_json())) for entry in entries]
    return merkle.root(leaves).hex()


def draw_inputs_hash(draw_inputs: Mapping[str, Any]) -> str:
    """SHA-256(enc(TAG_INPUTS) || enc(canonical JSON of the draw inputs)), hex."""
    return hashlib.sha256(_enc(TAG_INPUTS) + _enc(canonical_json(draw_inputs))).hexdigest()


def freeze_v2(
    *,
    lot_id: str,
    funded_at: str,
    escrow_cents: int,
    entries: Sequence[Entry],
    server_seed_commitment: str,
    beacon: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The alot-v2 draw inputs to write to the ledger when the lot is funded.

    ``beacon`` is ``{"chain_hash", "scheme", "round"}`` naming a drand round that is
    not published yet, or None; for a League of Entropy chain the round must be
    ``first_round(chain, funded_at)`` (the spec's rule: every verifier checks it).
    """
    parsed = _parse_entries([e.to_json() for e in entries], "entries")
    total_tickets = parsed[-1].tickets_end
    _require_tiling(parsed, total_tickets)
    draw_inputs: dict[str, Any] = {
        "algorithm": ALGORITHM_V2,
        "lot_id": lot_id,
        "funded_at": funded_at,
        "total_tickets": total_tickets,
        "escrow_cents": escrow_cents,
        "ticket_map_root": ticket_map_root(parsed),
        "server_seed_commitment": server_seed_commitment,
        "beacon": None if beacon is None else dict(beacon),
    }
    frozen = _parse_draw_inputs(draw_inputs)
    # Refuse here what every verifier would refuse later (entries.amounts).
    _require_amounts(parsed, frozen.escrow_cents, "escrow_cents")
    choice = frozen.beacon
    chain = None if choice is None else _beacon.KNOWN_CHAINS.get(choice.chain_hash)
    if choice is not None and chain is not None:
        # Refuse here what every verifier would refuse later.
        if choice.scheme != chain.scheme:
            raise InputError(f"drand {chain.name} uses {chain.scheme}", where="beacon.scheme")
        if chain.round_time(choice.round) * 1_000_000 <= _unix_micros(funded_at):
            raise InputError(
                f"round {choice.round} is due at {_format_unix(chain.round_time(choice.round))},"
                f" not after funded_at {funded_at}",
                where="beacon.round",
            )
        if choice.round != first_round(chain, funded_at):
            raise InputError(
                f"the round for funded_at {funded_at} is {first_round(chain, funded_at)}, the "
                f"first due more than {ROUND_MARGIN_SECONDS} s after it",
                where="beacon.round",
            )
    return draw_inputs


def compute_v2(
    *,
    draw_inputs: Mapping[str, Any],
    server_seed: str,
    entries: Sequence[Entry],
    beacon: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Compute an alot-v2 draw from frozen inputs and return its proof.

    ``beacon`` is the drand round named in the inputs as drand serves it (``round``,
    ``randomness``, ``signature`` and, for the chained scheme, ``previous_signature``).
    Raises InputError if anything does not match what was frozen.
    """
    inputs = _parse_draw_inputs(draw_inputs)
    parsed_entries = _parse_entries([e.to_json() for e in entries], "entries")
    _require_tiling(parsed_entries, inputs.total_tickets)
    if ticket_map_root(parsed_entries) != inputs.ticket_map_root:
        raise InputError("entries do not match the frozen ticket map root", where="entries")
    if commitment_v2(server_seed) != inputs.server_seed_commitment:
        raise InputError("server seed does not match the frozen commitment", where="server_seed")
    reading: dict[str, Any] | None = None
    randomness = b""
    if inputs.beacon is not None:
        if beacon is None:
            raise InputError("the draw inputs name a drand round; its reading is required")
        reading = {
            key: beacon[key]
            for key in ("round", "randomness", "signature", "previous_signature")
            if key in beacon
        }
        parsed_beacon = _parse_beacon_reading(reading, inputs.beacon.scheme)
        if parsed_beacon.round != inputs.beacon.round:
            raise InputError(
                f"expected round {inputs.beacon.round}, got {parsed_beacon.round}",
                where="beacon.round",
            )
        randomness = _beacon.randomness_from_signature(parsed_beacon.signature)
        if randomness.hex() != parsed_beacon.randomness:
            raise InputError("randomness is not sha256(signature)", where="beacon.randomness")
    elif beacon is not None:
        raise InputError("no drand round was frozen at funding", where="beacon")
    inputs_hash = draw_inputs_hash(draw_inputs)
    seed = _seed_v2(server_seed, inputs_hash, randomness)
    winning_ticket, counter = select_v2(seed, inputs.total_tickets)
    return {
        "algorithm": ALGORITHM_V2,
        "draw_inputs": copy.deepcopy(dict(draw_inputs)),
        "draw_inputs_hash": inputs_hash,
        "server_seed": server_seed,
        "beacon": reading,
        "seed": seed.hex(),
        "selection_counter": counter,
        "winning_ticket": winning_ticket,
        "entries": [e.to_json() for e in parsed_entries],
        _winner_field(parsed_entries): _holders(parsed_entries, winning_ticket)[0],
    }


def _seed_v2(server_seed: str, inputs_hash: str, beacon_randomness: bytes = b"") -> bytes:
    """HMAC-SHA256(server seed, enc(TAG_SEED) || enc(inputs hash) || enc(beacon randomness))."""
    message = _enc(TAG_SEED) + _enc(bytes.fromhex(inputs_hash)) + _enc(beacon_randomness)
    return hmac.new(bytes.fromhex(server_seed), message, hashlib.sha256).digest()


def select_v2(seed: bytes, total_tickets: int) -> tuple[int, int]:
    """Draw a ticket in 1..total_tickets without bias; return (ticket, counter used).

    Block i = HMAC-SHA256(seed, enc(TAG_SELECT) || uint64_be(i)); its top
    bit_length(total_tickets - 1) bits are a candidate x, accepted when x < total_tickets
    (then the ticket is x + 1) and otherwise rejected in favour of block i + 1. Every
    ticket is equally likely; fewer than half of the candidates are ever rejected.
    """
    if total_tickets < 1:
        raise InputError("must be at least 1", where="total_tickets")
    bits = (total_tickets - 1).bit_length()
    counter = 0
    while True:
        block = hmac.new(
            seed, _enc(TAG_SELECT) + counter.to_bytes(8, "big"), hashlib.sha256
        ).digest()
        candidate = int.from_bytes(block, "big") >> (256 - bits)
        if candidate < total_tickets:
            return candidate + 1, counter
        counter += 1


@dataclass(frozen=True)
class _BeaconChoice:
    chain_hash: str
    scheme: str
    round: int


@dataclass(frozen=True)
class _DrawInputs:
    lot_id: str
    funded_at: str
    total_tickets: int
    escrow_cents: int
    ticket_map_root: str
    server_seed_commitment: str
    beacon: _BeaconChoice | None


@dataclass(frozen=True)
class _BeaconReading:
    round: int
    randomness: str
    signature: bytes
    previous_signature: bytes


@dataclass(frozen=True)
class _ProofV2:
    draw_inputs: Mapping[str, Any]
    inputs: _DrawInputs
    draw_inputs_hash: str
    server_seed: str
    beacon: _BeaconReading | None
    beacon_present: bool
    seed: str
    selection_counter: int
    winning_ticket: int
    entries: list[Entry]
    winner_field: str
    winner: str


_V2_FIELDS = (
    "algorithm",
    "draw_inputs",
    "draw_inputs_hash",
    "server_seed",
    "beacon",
    "seed",
    "selection_counter",
    "winning_ticket",
    "entries",
)
_DRAW_INPUT_FIELDS = (
    "algorithm",
    "lot_id",
    "funded_at",
    "total_tickets",
    "escrow_cents",
    "ticket_map_root",
    "server_seed_commitment",
    "beacon",
)


def _parse_draw_inputs(value: Any, where: str = "draw_inputs") -> _DrawInputs:
    _exact_members(value, _DRAW_INPUT_FIELDS, where)
    if value["algorithm"] != ALGORITHM_V2:
        raise InputError(f"must be {ALGORITHM_V2!r}", where=f"{where}.algorithm")
    choice = value["beacon"]
    beacon_choice: _BeaconChoice | None = None
    if choice is not None:
        _exact_members(choice, ("chain_hash", "scheme", "round"), f"{where}.beacon")
        scheme = _string(choice["scheme"], f"{where}.beacon.scheme")
        if scheme not in _beacon.SCHEMES:
            raise InputError(
                f"unsupported drand scheme {scheme!r} "
                f"(supported: {', '.join(sorted(_beacon.SCHEMES))})",
                where=f"{where}.beacon.scheme",
            )
        beacon_choice = _BeaconChoice(
            chain_hash=_hex(choice["chain_hash"], f"{where}.beacon.chain_hash", 32),
            scheme=scheme,
            round=_integer(choice["round"], f"{where}.beacon.round", minimum=1),
        )
    return _DrawInputs(
        lot_id=_uuid(value["lot_id"], f"{where}.lot_id"),
        funded_at=_timestamp(value["funded_at"], f"{where}.funded_at"),
        total_tickets=_ticket_number(value["total_tickets"], f"{where}.total_tickets"),
        escrow_cents=_integer(value["escrow_cents"], f"{where}.escrow_cents", minimum=0),
        ticket_map_root=_hex(value["ticket_map_root"], f"{where}.ticket_map_root", 32),
        server_seed_commitment=_hex(
            value["server_seed_commitment"], f"{where}.server_seed_commitment", 32
        ),
        beacon=beacon_choice,
    )


def _parse_beacon_reading(value: Any, scheme: str, where: str = "beacon") -> _BeaconReading:
    chained = scheme == _beacon.SCHEME_CHAINED
    fields = ("round", "randomness", "signature") + (("previous_signature",) if chained else ())
    _exact_members(value, fields, where)
    signature = _hex(value["signature"], f"{where}.signature", _beacon.signature_size(scheme))
    previous = b""
    if chained:
        previous_hex = _hex(value["previous_signature"], f"{where}.previous_signature")
        if not previous_hex:
            raise InputError("must not be empty", where=f"{where}.previous_signature")
        previous = bytes.fromhex(previous_hex)
    return _BeaconReading(
        round=_integer(value["round"], f"{where}.round", minimum=1),
        randomness=_hex(value["randomness"], f"{where}.randomness", 32),
        signature=bytes.fromhex(signature),
        previous_signature=previous,
    )


def _parse_v2(proof: Mapping[str, Any]) -> _ProofV2:
    winner_field = _expected_winner_field(proof)
    _exact_members(proof, (*_V2_FIELDS, winner_field), "")
    inputs = _parse_draw_inputs(proof["draw_inputs"])
    entries = _parse_entries(proof["entries"], "entries")
    reading = None
    if proof["beacon"] is not None:
        if inputs.beacon is None:
            # Without a frozen scheme the reading's shape is unknown; the check below
            # reports the unexpected beacon, so only its being an object matters here.
            if not isinstance(proof["beacon"], Mapping):
                raise InputError("must be an object or null", where="beacon")
        else:
            reading = _parse_beacon_reading(proof["beacon"], inputs.beacon.scheme)
    return _ProofV2(
        draw_inputs=proof["draw_inputs"],
        inputs=inputs,
        draw_inputs_hash=_hex(proof["draw_inputs_hash"], "draw_inputs_hash", 32),
        server_seed=_hex(proof["server_seed"], "server_seed", 32),
        beacon=reading,
        beacon_present=proof["beacon"] is not None,
        seed=_hex(proof["seed"], "seed", 32),
        selection_counter=_integer(proof["selection_counter"], "selection_counter", minimum=0),
        winning_ticket=_ticket_number(proof["winning_ticket"], "winning_ticket"),
        entries=entries,
        winner_field=winner_field,
        winner=_winner_name(proof[winner_field], winner_field),
    )


def _checks_v2(
    p: _ProofV2, chains: Mapping[str, _beacon.DrandChain], beacon_public_key: bytes | None
) -> tuple[list[DrawCheck], list[str]]:
    inputs = p.inputs
    unchecked: list[str] = []
    checks = [
        _check(
            "server_seed_commitment",
            "server_seed matches the commitment frozen in the draw inputs",
            _compare(
                "draw_inputs.server_seed_commitment",
                commitment_v2(p.server_seed),
                inputs.server_seed_commitment,
            ),
        ),
        _check(
            "draw_inputs_hash",
            "draw_inputs_hash is the hash of the draw inputs frozen at funding",
            _compare("draw_inputs_hash", draw_inputs_hash(p.draw_inputs), p.draw_inputs_hash),
        ),
        _check(
            "ticket_map_root",
            "entries hash to the ticket map root frozen at funding",
            _compare(
                "draw_inputs.ticket_map_root", ticket_map_root(p.entries), inputs.ticket_map_root
            ),
        ),
        _check(
            "entries",
            f"entries tile tickets 1..{inputs.total_tickets} exactly",
            _tiling_mismatches(p.entries, inputs.total_tickets),
        ),
        *_amounts_checks(p.entries, inputs.escrow_cents, "draw_inputs.escrow_cents"),
    ]
    randomness = b""
    if inputs.beacon is None:
        unchecked.append(BEACON_DECLARED_NOTE)
        if p.beacon_present:
            checks.append(
                _check(
                    "beacon",
                    "beacon is null, as frozen at funding",
                    [FieldMismatch("beacon", "null (no drand round frozen at funding)", "object")],
                )
            )
    elif p.beacon is None:
        checks.append(
            _check(
                "beacon",
                "beacon reading of the frozen drand round is present",
                [
                    FieldMismatch(
                        "beacon", f"the reading of drand round {inputs.beacon.round}", "null"
                    )
                ],
            )
        )
    else:
        beacon_checks, randomness, notes = _beacon_checks(
            inputs, p.beacon, chains, beacon_public_key
        )
        checks.extend(beacon_checks)
        unchecked.extend(notes)
    seed = _seed_v2(p.server_seed, draw_inputs_hash(p.draw_inputs), randomness)
    winning_ticket, counter = select_v2(seed, inputs.total_tickets)
    checks += [
        _check(
            "seed",
            "seed = HMAC-SHA256(server_seed, tag, draw inputs hash, beacon randomness)",
            _compare("seed", seed.hex(), p.seed),
        ),
        _check(
            "winning_ticket",
            "winning_ticket and selection_counter follow from the seed "
            "(HMAC counter mode, rejection sampling)",
            _compare("selection_counter", counter, p.selection_counter)
            + _compare("winning_ticket", winning_ticket, p.winning_ticket),
        ),
        _check(
            p.winner_field,
            _winner_description(p.winner_field, p.winner, winning_ticket),
            _winner_mismatches(p.entries, winning_ticket, p.winner_field, p.winner),
        ),
    ]
    return checks, unchecked


def _beacon_checks(
    inputs: _DrawInputs,
    reading: _BeaconReading,
    chains: Mapping[str, _beacon.DrandChain],
    public_key: bytes | None,
) -> tuple[list[DrawCheck], bytes, list[str]]:
    choice = inputs.beacon
    assert choice is not None  # the caller checked
    randomness = _beacon.randomness_from_signature(reading.signature)
    checks = [
        _check(
            "beacon.round",
            f"beacon.round is drand round {choice.round}, frozen at funding",
            _compare("beacon.round", choice.round, reading.round),
        ),
        _check(
            "beacon.randomness",
            "beacon.randomness = sha256(beacon.signature)",
            _compare("beacon.randomness", randomness.hex(), reading.randomness),
        ),
    ]
    chain = chains.get(choice.chain_hash)
    if chain is None:
        # Whoever runs an unknown chain holds its key: its rounds prove nothing about
        # when they were made or by whom, so each check that needs the chain fails.
        unpinned = "the chain is not pinned"
        checks += [
            _check(
                "beacon.chain",
                "draw_inputs.beacon.chain_hash is a pinned drand chain",
                [
                    FieldMismatch(
                        "draw_inputs.beacon.chain_hash",
                        "a pinned chain ("
                        + ", ".join(sorted(c.name for c in chains.values()))
                        + ", or one given with --chain-info)",
                        choice.chain_hash,
                    )
                ],
            ),
            _check(
                "beacon.chosen_before_published",
                f"beacon round {choice.round} was not yet published at funding",
                [
                    FieldMismatch(
                        "draw_inputs.beacon.round",
                        "a round of a pinned chain",
                        str(choice.round),
                        unpinned,
                    )
                ],
            ),
            _check(
                "beacon.signature",
                f"beacon.signature is the chain's signature of round {choice.round}",
                [
                    FieldMismatch(
                        "beacon.signature",
                        "a signature by a pinned chain's key",
                        reading.signature.hex(),
                        unpinned,
                    )
                ],
            ),
        ]
        return checks, randomness, []
    checks.append(
        _check(
            "beacon.chain",
            f"draw_inputs.beacon names drand {chain.name}, pinned with its scheme and key",
            _compare("draw_inputs.beacon.scheme", chain.scheme, choice.scheme),
        )
    )
    due = chain.round_time(choice.round)
    funded = _unix_micros(inputs.funded_at)
    timing_failures: list[FieldMismatch] = []
    if due * 1_000_000 <= funded:
        timing_failures.append(
            FieldMismatch(
                "draw_inputs.beacon.round",
                f"a {chain.name} round due after funded_at {inputs.funded_at}",
                str(choice.round),
                f"round {choice.round} was due at {_format_unix(due)}",
            )
        )
    checks.append(
        _check(
            "beacon.chosen_before_published",
            f"beacon round {choice.round} of drand {chain.name} was not yet published at funding",
            timing_failures,
        )
    )
    first = first_round(chain, inputs.funded_at)
    checks.append(
        _check(
            "beacon.first_round",
            f"beacon round {choice.round} is the first {chain.name} round due more than "
            f"{ROUND_MARGIN_SECONDS} s after funded_at (floor to the second)",
            []
            if choice.round == first
            else [
                FieldMismatch(
                    "draw_inputs.beacon.round",
                    str(first),
                    str(choice.round),
                    f"round {first} is due at {_format_unix(chain.round_time(first))}, the "
                    f"first after {_format_unix(_unix_micros(inputs.funded_at) // 1_000_000)}"
                    f" + {ROUND_MARGIN_SECONDS} s",
                )
            ],
        )
    )
    if chain.scheme == _beacon.SCHEME_CHAINED:
        reason = _beacon.previous_signature_mismatch(
            chain, choice.round, reading.previous_signature
        )
        checks.append(
            _check(
                "beacon.previous_signature",
                f"beacon.previous_signature is what round {choice.round} of drand "
                f"{chain.name} follows",
                []
                if reason is None
                else [
                    FieldMismatch(
                        "beacon.previous_signature", reason, reading.previous_signature.hex()
                    )
                ],
            )
        )
    signature_failures: list[FieldMismatch] = []
    if public_key is not None and public_key.hex() != chain.public_key:
        signature_failures.append(
            FieldMismatch(
                "beacon public key", chain.public_key, public_key.hex(), "not the pinned key"
            )
        )
    try:
        _beacon.verify_beacon_signature(
            scheme=choice.scheme,
            round_number=choice.round,
            signature=reading.signature,
            public_key=bytes.fromhex(chain.public_key),
            previous_signature=reading.previous_signature,
        )
    except DrawVerificationError as exc:
        signature_failures += exc.failures
    except InputError as exc:
        # A scheme that is not the chain's: the signature cannot be the chain's either.
        signature_failures.append(FieldMismatch("beacon.signature", chain.scheme, str(exc)))
    checks.append(
        _check(
            "beacon.signature",
            f"beacon.signature is drand {chain.name}'s signature of round {choice.round} "
            f"({chain.scheme})",
            signature_failures,
        )
    )
    return checks, randomness, []


# --- shared parsing and checks ----------------------------------------------------


def _enc(data: bytes) -> bytes:
    """Length-prefix a byte string (uint32 big-endian), so concatenations are unambiguous."""
    return len(data).to_bytes(4, "big") + data


def _check(name: str, description: str, failures: Sequence[FieldMismatch]) -> DrawCheck:
    return DrawCheck(name=name, description=description, failures=tuple(failures))


def _compare(field_name: str, expected: object, actual: object) -> list[FieldMismatch]:
    if expected == actual:
        return []
    return [FieldMismatch(field_name, str(expected), str(actual))]


def _tiling_mismatches(entries: Sequence[Entry], total_tickets: int) -> list[FieldMismatch]:
    failures: list[FieldMismatch] = []
    expected_start = 1
    held = 0
    for i, entry in enumerate(entries):
        if entry.tickets_start != expected_start:
            kind = "gap" if entry.tickets_start > expected_start else "overlap or out of order"
            failures.append(
                FieldMismatch(
                    f"entries[{i}].tickets_start",
                    str(expected_start),
                    str(entry.tickets_start),
                    kind,
                )
            )
        if entry.tickets_end < entry.tickets_start:
            failures.append(
                FieldMismatch(
                    f"entries[{i}].tickets_end",
                    f">= tickets_start {entry.tickets_start}",
                    str(entry.tickets_end),
                    "ends before it starts",
                )
            )
        if entry.kind == ENTRY_KIND_FREE and entry.tickets_end != entry.tickets_start:
            failures.append(
                FieldMismatch(
                    f"entries[{i}].tickets_end",
                    f"tickets_start {entry.tickets_start}",
                    str(entry.tickets_end),
                    "a free entry holds exactly one ticket",
                )
            )
        held += max(0, entry.tickets_end - entry.tickets_start + 1)
        expected_start = entry.tickets_end + 1
    last = len(entries) - 1
    if entries[last].tickets_end != total_tickets:
        failures.append(
            FieldMismatch(
                f"entries[{last}].tickets_end",
                f"total_tickets {total_tickets}",
                str(entries[last].tickets_end),
                "the last entry must end at the last ticket",
            )
        )
    if held != total_tickets:
        failures.append(
            FieldMismatch("entries", f"{total_tickets} tickets held", f"{held} tickets held")
        )
    return failures


def _amounts_checks(entries: Sequence[Entry], escrow_cents: int, escrow: str) -> list[DrawCheck]:
    """``entries.amounts`` for a pseudonymous map (a named map carries no amounts: none).

    Tickets nobody paid for (a sock puppet's) would leave the sum short of the escrow;
    the proof alone shows it, without the ledger.
    """
    if entries[0].holder is None:
        return []
    return [
        _check(
            "entries.amounts",
            f"entries' amount_cents sum to the escrow ({escrow} = {escrow_cents})",
            _amounts_mismatches(entries, escrow_cents, escrow),
        )
    ]


def _amounts_mismatches(
    entries: Sequence[Entry], escrow_cents: int, escrow: str
) -> list[FieldMismatch]:
    total = sum(entry.amount_cents or 0 for entry in entries)
    if total == escrow_cents:
        return []
    return [
        FieldMismatch(
            "entries[*].amount_cents",
            f"{escrow_cents} ({escrow})",
            str(total),
            "the entries' amounts do not sum to the escrow",
        )
    ]


def _require_amounts(entries: Sequence[Entry], escrow_cents: int, escrow: str) -> None:
    failures = _amounts_mismatches(entries, escrow_cents, escrow) if entries[0].holder else []
    if failures:
        raise InputError(str(failures[0]), where="entries")


def _cents(dollars: str) -> int:
    """alot-v1's escrow_balance (dollars, exactly two decimals: parsed already) in cents."""
    whole, fraction = dollars.split(".")
    return int(whole) * 100 + int(fraction)


def _require_tiling(entries: Sequence[Entry], total_tickets: int) -> None:
    failures = _tiling_mismatches(entries, total_tickets)
    if failures:
        raise InputError(str(failures[0]), where="entries")


def _holders(entries: Sequence[Entry], ticket: int) -> list[str]:
    return [e.named_as for e in entries if e.tickets_start <= ticket <= e.tickets_end]


def _winner_field(entries: Sequence[Entry]) -> str:
    """The proof member naming the winner: as the (one-style) ticket map names holders."""
    return WINNER_HOLDER if entries[0].holder is not None else WINNER_USER_ID


def _expected_winner_field(proof: Mapping[str, Any]) -> str:
    # Decided by the first entry; _parse_entries refuses a map that mixes the two styles.
    entries = proof.get("entries")
    first = entries[0] if isinstance(entries, list) and entries else None
    expected = WINNER_HOLDER if isinstance(first, Mapping) and "holder" in first else WINNER_USER_ID
    other = WINNER_USER_ID if expected == WINNER_HOLDER else WINNER_HOLDER
    if other in proof and expected not in proof:
        style = "pseudonymous" if expected == WINNER_HOLDER else "named"
        raise InputError(
            f"a proof over a {style} ticket map names its winner by {expected}", where=other
        )
    return expected


def _winner_description(winner_field: str, winner: str, winning_ticket: int) -> str:
    if winner_field == WINNER_HOLDER:
        # The pseudonym is printed: a player finds themself by the one on their receipt.
        return f"winner holder {winner} holds the winning ticket {winning_ticket}"
    return f"winner_user_id holds the winning ticket {winning_ticket}"


def _winner_name(value: Any, winner_field: str) -> str:
    if winner_field == WINNER_HOLDER:
        return _hex(value, winner_field, 32)
    return _uuid(value, winner_field)


def _winner_mismatches(
    entries: Sequence[Entry], winning_ticket: int, winner_field: str, winner: str
) -> list[FieldMismatch]:
    holders = _holders(entries, winning_ticket)
    if len(holders) == 1:
        return _compare(winner_field, holders[0], winner)
    detail = "no entry holds it" if not holders else f"{len(holders)} entries hold it"
    return [
        FieldMismatch(
            winner_field,
            f"the one holder of ticket {winning_ticket}",
            winner,
            detail,
        )
    ]


def _exact_members(value: Any, names: Sequence[str], where: str) -> None:
    label = where or "$"
    if not isinstance(value, Mapping):
        raise InputError("must be a JSON object", where=label)
    prefix = f"{where}." if where else ""
    for name in names:
        if name not in value:
            raise InputError("missing field", where=f"{prefix}{name}")
    for name in value:
        if name not in names:
            raise InputError("unknown field", where=f"{prefix}{name}")


def _parse_entries(value: Any, where: str) -> list[Entry]:
    if not isinstance(value, list) or not value:
        raise InputError("must be a non-empty array of entries", where=where)
    entries: list[Entry] = []
    seen_seqs: dict[int, int] = {}
    for i, item in enumerate(value):
        here = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            raise InputError("must be a JSON object", where=here)
        if "holder" in item and "user_id" in item:
            raise InputError(
                "an entry names its holder by exactly one of user_id and holder",
                where=f"{here}.holder",
            )
        name = "holder" if "holder" in item else "user_id"
        if entries and (name == "holder") != (entries[0].holder is not None):
            # One map, one style: a named entry among pseudonyms would undo what the
            # pseudonyms hide, and two styles would give one map two readings.
            raise InputError(
                f"the ticket map mixes names and pseudonyms: {where}[0] names its holder by "
                f"{'holder' if entries[0].holder is not None else 'user_id'}, this entry by "
                f"{name}",
                where=f"{here}.{name}",
            )
        pseudonymous = name == "holder"
        fields: tuple[str, ...] = (name, "tickets_start", "tickets_end")
        if pseudonymous:
            # Only pseudonymous entries tie tickets to money: named maps keep their bytes.
            fields += ("amount_cents", "purchase_seq")
        has_kind = "kind" in item
        _exact_members(item, (*fields, "kind") if has_kind else fields, here)
        kind = _entry_kind(item["kind"], f"{here}.kind") if has_kind else None
        amount_cents = purchase_seq = None
        if pseudonymous:
            amount_cents = _entry_amount(item["amount_cents"], kind, f"{here}.amount_cents")
            purchase_seq = _integer(item["purchase_seq"], f"{here}.purchase_seq", minimum=1)
            if purchase_seq in seen_seqs:
                # One purchase, one entry: a second entry on the same purchase would be
                # tickets nobody paid for.
                raise InputError(
                    f"purchase_seq {purchase_seq} is already {where}[{seen_seqs[purchase_seq]}]"
                    "'s purchase",
                    where=f"{here}.purchase_seq",
                )
            seen_seqs[purchase_seq] = i
        entries.append(
            Entry(
                user_id=_uuid(item["user_id"], f"{here}.user_id") if name == "user_id" else None,
                tickets_start=_ticket_number(item["tickets_start"], f"{here}.tickets_start"),
                tickets_end=_ticket_number(item["tickets_end"], f"{here}.tickets_end"),
                kind=kind,
                holder=_hex(item["holder"], f"{here}.holder", 32) if pseudonymous else None,
                amount_cents=amount_cents,
                purchase_seq=purchase_seq,
            )
        )
    return entries


def _entry_amount(value: Any, kind: str | None, where: str) -> int:
    amount = _integer(value, where, minimum=0)
    if kind == ENTRY_KIND_FREE and amount != 0:
        raise InputError(f"a free entry's amount is 0, got {amount}", where=where)
    if kind is None and amount == 0:
        # A paid entry that paid nothing is a free ticket under another name.
        raise InputError("a paid entry's amount is at least 1 cent, got 0", where=where)
    return amount


def _entry_kind(value: Any, where: str) -> str:
    # A paid entry has no kind member at all: "paid" or null would give the same ticket
    # map two encodings, and two roots.
    text = _string(value, where)
    if text not in ENTRY_KINDS:
        raise InputError(
            f"must be one of {', '.join(repr(k) for k in ENTRY_KINDS)} (absent: paid),"
            f" got {text!r}",
            where=where,
        )
    return text


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {_json_type(value)}", where=where)
    return value


def _integer(value: Any, where: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"must be an integer, got {_json_type(value)}", where=where)
    if not minimum <= value <= MAX_SAFE_INTEGER:
        raise InputError(f"must be between {minimum} and 2**53 - 1, got {value}", where=where)
    return value


def _ticket_number(value: Any, where: str) -> int:
    return _integer(value, where, minimum=1)


def _hex(value: Any, where: str, size: int | None = None) -> str:
    text = _string(value, where)
    if size is not None and len(text) != 2 * size:
        raise InputError(
            f"must be {2 * size} lowercase hex characters, got {len(text)}", where=where
        )
    if not _HEX.fullmatch(text):
        raise InputError("must be lowercase hex (0-9a-f, whole bytes)", where=where)
    return text


def _uuid(value: Any, where: str) -> str:
    text = _string(value, where)
    if not _UUID.fullmatch(text):
        raise InputError(f"must be a lowercase hyphenated UUID, got {text!r}", where=where)
    return text


def _timestamp(value: Any, where: str) -> str:
    text = _string(value, where)
    if not _TIMESTAMP.fullmatch(text):
        raise InputError(f"must be YYYY-MM-DDTHH:MM:SS.ffffffZ, got {text!r}", where=where)
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError as exc:
        raise InputError(f"not a valid date and time: {text!r}", where=where) from exc
    return text


def _dollars(value: Any, where: str) -> str:
    text = _string(value, where)
    if not _DOLLARS.fullmatch(text):
        raise InputError(
            f"must be dollars with exactly two decimals (e.g. 5123.50), got {text!r}", where=where
        )
    return text


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _unix_micros(timestamp: str) -> int:
    moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _format_unix(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
