"""Regenerate docs/spec/vectors/draw-alot-v2.json from fixed, documented inputs.

    uv run python packages/alot-verify/tools/make_draw_v2_vectors.py           # rewrite it
    uv run python packages/alot-verify/tools/make_draw_v2_vectors.py --check   # compare

Every input is derived from a fixed label, so the output is deterministic; the two
beacon vectors use real, published League of Entropy rounds. Besides each proof, a
vector carries the intermediate bytes (canonical JSON of the draw inputs, leaf hashes,
HMAC messages and every selection block), so a second implementation can find exactly
where it first differs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from pathlib import Path
from typing import Any

from alot_verify import beacon, draw
from alot_verify.canonical import canonical_json
from alot_verify.draw import Entry
from alot_verify.merkle import leaf_hash

OUTPUT = Path(__file__).resolve().parents[3] / "docs" / "spec" / "vectors" / "draw-alot-v2.json"

# drand round 1000 of quicknet and round 1 of the default chain, as the League of
# Entropy relays serve them (https://api.drand.sh/<chain hash>/public/<round>). The
# tests check their BLS signatures against the chains' public keys.
QUICKNET_ROUND_1000 = {
    "round": 1000,
    "randomness": "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd",
    "signature": (
        "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125"
        "e342b73a8dd2bacbe47e4b6b63ed5e39"
    ),
}
DEFAULT_ROUND_1 = {
    "round": 1,
    "randomness": "101297f1ca7dc44ef6088d94ad5fb7ba03455dc33d53ddb412bbc4564ed986ec",
    "signature": (
        "8d61d9100567de44682506aea1a7a6fa6e5491cd27a0a0ed349ef6910ac5ac20"
        "ff7bc3e09d7c046566c9f7f3c6f3b10104990e7cb424998203d8f7de586fb7fa"
        "5f60045417a432684f85093b06ca91c769f0e7ca19268375e659c2a2352b4655"
    ),
    "previous_signature": "176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a",
}


def _digest(label: str) -> bytes:
    return hashlib.sha256(b"alot-v2 test vector/" + label.encode()).digest()


def _uuid(label: str) -> str:
    """A version-4-shaped UUID derived from a label (deterministic, not random)."""
    raw = bytearray(_digest(label)[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _holder_secret(name: str, player: int) -> bytes:
    """The 32-byte holder secret of a vector's player (derived from a label)."""
    return _digest(f"{name}/holder secret/{player}")


def _entries(
    name: str,
    sizes: list[int],
    free: frozenset[int] = frozenset(),
    players: list[int] | None = None,
    purchase_seqs: list[int] | None = None,
) -> list[Entry]:
    """Entries of ``sizes`` tickets in order; those at the indexes in ``free`` are free
    entries (one ticket each, ``"kind": "free"``). With ``players`` (the player of each
    entry) the map is pseudonymous: entry i is held by player ``players[i]``'s holder
    pseudonym in the vector's lot, paid TICKET_CENTS a ticket (a free entry 0) by the
    purchase at ledger seq ``purchase_seqs[i]``; otherwise entry i is named by a user id of
    its own."""
    entries, start = [], 1
    lot_id = _uuid(f"{name}/lot")
    for i, size in enumerate(sizes):
        kind = draw.ENTRY_KIND_FREE if i in free else None
        end = start + size - 1
        if players is None:
            entries.append(Entry(_uuid(f"{name}/user/{i}"), start, end, kind))
        else:
            holder = draw.holder_pseudonym(_holder_secret(name, players[i]), lot_id)
            assert purchase_seqs is not None
            entries.append(
                Entry(
                    None,
                    start,
                    end,
                    kind,
                    holder=holder,
                    amount_cents=0 if i in free else TICKET_CENTS * size,
                    purchase_seq=purchase_seqs[i],
                )
            )
        start += size
    return entries


TICKET_CENTS = 100
"""What a ticket of a pseudonymous vector costs: its entries' amounts sum to its escrow."""


def _holders_trace(name: str, players: list[int]) -> list[dict[str, Any]]:
    """Each player's holder secret, the HMAC message and the pseudonym it gives in the
    vector's lot: what a stranger needs to check ``holder_pseudonym``."""
    lot_id = _uuid(f"{name}/lot")
    message = _enc(draw.TAG_HOLDER) + _enc(lot_id.encode("utf-8"))
    out = []
    for player in sorted(set(players)):
        secret = _holder_secret(name, player)
        out.append(
            {
                "holder_secret": secret.hex(),
                "lot_id": lot_id,
                "hmac_message": message.hex(),
                "holder": hmac.new(secret, message, hashlib.sha256).hexdigest(),
            }
        )
    return out


def _enc(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _selection_trace(seed: bytes, total_tickets: int) -> list[dict[str, Any]]:
    bits = (total_tickets - 1).bit_length()
    trace = []
    counter = 0
    while True:
        message = _enc(draw.TAG_SELECT) + counter.to_bytes(8, "big")
        block = hmac.new(seed, message, hashlib.sha256).digest()
        candidate = int.from_bytes(block, "big") >> (256 - bits)
        trace.append(
            {
                "counter": counter,
                "message": message.hex(),
                "block": block.hex(),
                "candidate": candidate,
                "accepted": candidate < total_tickets,
            }
        )
        if candidate < total_tickets:
            return trace
        counter += 1


def _vector(
    name: str,
    description: str,
    *,
    sizes: list[int],
    funded_at: str,
    escrow_cents: int,
    beacon_choice: dict[str, Any] | None = None,
    beacon_reading: dict[str, Any] | None = None,
    public_key: str | None = None,
    seed_label: str | None = None,
    free: frozenset[int] = frozenset(),
    players: list[int] | None = None,
    purchase_seqs: list[int] | None = None,
) -> dict[str, Any]:
    server_seed = _digest(f"{seed_label or name}/server seed").hex()
    entries = _entries(name, sizes, free, players, purchase_seqs)
    draw_inputs = draw.freeze_v2(
        lot_id=_uuid(f"{name}/lot"),
        funded_at=funded_at,
        escrow_cents=escrow_cents,
        entries=entries,
        server_seed_commitment=draw.commitment_v2(server_seed),
        beacon=beacon_choice,
    )
    proof = draw.compute_v2(
        draw_inputs=draw_inputs, server_seed=server_seed, entries=entries, beacon=beacon_reading
    )
    randomness = bytes.fromhex(proof["beacon"]["randomness"]) if proof["beacon"] else b""
    seed_message = (
        _enc(draw.TAG_SEED) + _enc(bytes.fromhex(proof["draw_inputs_hash"])) + _enc(randomness)
    )
    inputs_json = canonical_json(draw_inputs)
    # Only a pseudonymous vector has `holders`: every other vector stays byte-identical.
    holders = {} if players is None else {"holders": _holders_trace(name, players)}
    return {
        "name": name,
        "description": description,
        "beacon_public_key": public_key,
        "intermediate": {
            **holders,
            "commitment_preimage": (_enc(draw.TAG_COMMIT) + _enc(bytes.fromhex(server_seed))).hex(),
            "entry_leaves": [canonical_json(e.to_json()).decode() for e in entries],
            "entry_leaf_hashes": [leaf_hash(canonical_json(e.to_json())).hex() for e in entries],
            "draw_inputs_canonical_json": inputs_json.decode(),
            "draw_inputs_hash_preimage": (_enc(draw.TAG_INPUTS) + _enc(inputs_json)).hex(),
            "seed_hmac_message": seed_message.hex(),
            "selection_bits": (draw_inputs["total_tickets"] - 1).bit_length(),
            "selection": _selection_trace(
                bytes.fromhex(proof["seed"]), draw_inputs["total_tickets"]
            ),
        },
        "proof": proof,
    }


def _rejecting_seed_label(name: str, sizes: list[int], min_rejections: int) -> str:
    """The first seed label whose draw rejects at least ``min_rejections`` candidates."""
    for attempt in range(10_000):
        label = f"{name}/attempt {attempt}"
        vector = _vector(
            name,
            "",
            sizes=sizes,
            funded_at="2026-01-01T00:00:00.000000Z",
            escrow_cents=0,
            seed_label=label,
        )
        if vector["proof"]["selection_counter"] >= min_rejections:
            return label
    raise RuntimeError("no rejecting seed found")


def vectors() -> dict[str, Any]:
    rejection_sizes = [400, 300, 325]  # 1025 tickets = 2**10 + 1: ~half the candidates fail
    rejection_label = _rejecting_seed_label("rejection", rejection_sizes, 2)
    return {
        "algorithm": "alot-v2",
        "source": "packages/alot-verify/tools/make_draw_v2_vectors.py (see docs/spec/draw.md)",
        "vectors": [
            _vector(
                "no-beacon",
                "Beacon-less draw over three entries (10 tickets).",
                sizes=[3, 5, 2],
                funded_at="2026-03-01T12:00:00.000000Z",
                escrow_cents=1000,
            ),
            _vector(
                "quicknet-beacon",
                "Beacon from drand quicknet round 1000 (bls-unchained-g1-rfc9380), frozen "
                "at funding before the round was due.",
                sizes=[120, 1, 379, 500],
                funded_at="2023-08-23T15:58:52.000000Z",
                escrow_cents=100000,
                **_quicknet_round_1000(),
            ),
            _vector(
                "default-chain-beacon",
                "Beacon from drand's default chain round 1 (pedersen-bls-chained).",
                sizes=[7, 8, 9],
                funded_at="2020-07-22T15:00:00.000000Z",
                escrow_cents=2400,
                beacon_choice={
                    "chain_hash": beacon.DEFAULT_CHAIN.chain_hash,
                    "scheme": beacon.DEFAULT_CHAIN.scheme,
                    "round": 1,
                },
                beacon_reading=DEFAULT_ROUND_1,
                public_key=beacon.DEFAULT_CHAIN.public_key,
            ),
            _vector(
                "rejection",
                "1025 tickets (2**10 + 1): 11-bit candidates, two or more rejected before one "
                "falls below 1025.",
                sizes=rejection_sizes,
                funded_at="2026-01-01T00:00:00.000000Z",
                escrow_cents=0,
                seed_label=rejection_label,
            ),
            _vector(
                "power-of-two",
                "1024 tickets (2**10): every 10-bit candidate is accepted.",
                sizes=[1000, 24],
                funded_at="2026-01-02T00:00:00.000000Z",
                escrow_cents=102400,
            ),
            _vector(
                "single-ticket",
                "One ticket: zero selection bits, ticket 1 at counter 0.",
                sizes=[1],
                funded_at="2026-01-03T00:00:00.000000Z",
                escrow_cents=100,
            ),
            _vector(
                "free-entries",
                "Paid and free entries in one ticket map (12 tickets): the free entries"
                " (one ticket each, kind free) are drawn like paid tickets; the winner holds"
                " a free ticket.",
                sizes=[4, 1, 5, 1, 1],
                free=frozenset({1, 3, 4}),
                funded_at="2026-12-06T12:00:00.000000Z",
                escrow_cents=900,
                seed_label=_free_winner_label("free-entries", [4, 1, 5, 1, 1], {1, 3, 4}),
            ),
            _vector(
                "pseudonymous-holders",
                "Entries name their holders by per-lot pseudonym (10 tickets, quicknet round "
                "1000): holder = "
                "HMAC-SHA256(holder secret, enc(TAG_HOLDER) || enc(lot id)); one player "
                "holds two entries (two purchases), one a free entry; the proof names the "
                "winner by winner_holder and carries no user id. Each entry carries what its "
                "purchase paid into escrow (amount_cents, 0 for the free entry; they sum to "
                "escrow_cents) and that purchase's ledger seq (purchase_seq). "
                "intermediate.holders gives each player's secret and pseudonym.",
                sizes=[3, 1, 4, 2],
                free=frozenset({1}),
                players=[0, 1, 2, 0],
                purchase_seqs=[8, 11, 12, 17],
                funded_at="2023-08-23T15:58:52.000000Z",
                escrow_cents=900,
                **_quicknet_round_1000(),
            ),
        ],
    }


def _quicknet_round_1000() -> dict[str, Any]:
    """The beacon arguments of a vector drawn with drand quicknet's round 1000."""
    return {
        "beacon_choice": {
            "chain_hash": beacon.QUICKNET.chain_hash,
            "scheme": beacon.QUICKNET.scheme,
            "round": 1000,
        },
        "beacon_reading": QUICKNET_ROUND_1000,
        "public_key": beacon.QUICKNET.public_key,
    }


def _free_winner_label(name: str, sizes: list[int], free: set[int]) -> str:
    """The first seed label whose draw is won by a free ticket (so the vector shows a
    free entry winning)."""
    for attempt in range(10_000):
        label = f"{name}/attempt {attempt}"
        vector = _vector(
            name,
            "",
            sizes=sizes,
            free=frozenset(free),
            funded_at="2026-12-06T12:00:00.000000Z",
            escrow_cents=900,
            seed_label=label,
        )
        proof = vector["proof"]
        winner = next(
            e
            for e in proof["entries"]
            if e["tickets_start"] <= proof["winning_ticket"] <= e["tickets_end"]
        )
        if winner.get("kind") == draw.ENTRY_KIND_FREE:
            return label
    raise RuntimeError("no seed where a free ticket wins")


def main() -> None:
    text = json.dumps(vectors(), indent=1, ensure_ascii=False) + "\n"
    if sys.argv[1:] == ["--check"]:
        if OUTPUT.read_text(encoding="utf-8") != text:
            sys.exit(f"{OUTPUT} is out of date: regenerate it")
        print(f"{OUTPUT}: up to date")
        return
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
