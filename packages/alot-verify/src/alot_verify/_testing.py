"""Deterministic synthetic ledger exports: the published vectors, tests and the benchmark.

Not part of the verifier: it writes exports that *should* verify, so that the verifier
has something known-good to check and tamper with. The same seed always gives the same
bytes. ``python -m alot_verify._testing ledger-vectors DIR`` regenerates the
``ledger-small.*`` vectors; their signing key is a published TEST VECTOR KEY whose seed
is SHA-256 of `VECTOR_KEY_LABEL`, never a key for any real log.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alot_verify.canonical import canonical_json
from alot_verify.checkpoint import Checkpoint, sign_checkpoint, signer_key_from_seed
from alot_verify.ledger import GENESIS_PREV_HASH, LedgerFailed, verify_ledger
from alot_verify.merkle import CompactRange, leaf_hash

if TYPE_CHECKING:
    from click.testing import Result

VECTOR_ORIGIN = "alot.local/ledger"
VECTOR_KEY_LABEL = b"alot-verify test vector key: ledger-small"
VECTOR_SIZE = 40

# Hashed text must be canonical JSON. For the ASCII-only objects the generator makes
# (asserted below) Python's sorted compact encoding is exactly that, and much faster.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
)
_HASH_AT = len('{"created_at":"2000-01-01T00:00:00.000000Z"')

_LOT_TITLES = ["Vintage guitar", "Café racer bike", "Signed poster ✓", "Weekend in Kraków"]


def vector_keys() -> tuple[str, str]:
    """The (signer, verifier) TEST VECTOR KEY pair for ``alot.local/ledger``."""
    return signer_key_from_seed(VECTOR_ORIGIN, hashlib.sha256(VECTOR_KEY_LABEL).digest())


class _Book:
    """Balances and versions as the ledger would keep them, to write consistent postings."""

    def __init__(self) -> None:
        self.accounts: dict[tuple[str, str], tuple[int, int]] = {}

    def balance(self, account: str, asset: str) -> int:
        return self.accounts.get((account, asset), (0, 0))[0]

    def post(self, account: str, asset: str, amount: int) -> dict[str, Any]:
        balance, version = self.accounts.get((account, asset), (0, 0))
        balance, version = balance + amount, version + 1
        self.accounts[(account, asset)] = (balance, version)
        return {
            "account": account,
            "asset": asset,
            "amount": amount,
            "balance_after": balance,
            "account_version": version,
        }


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def synthetic_transactions(
    n: int, *, users: int = 2000, lots: int = 500, hosts: int = 50, seed: int = 0
) -> Iterator[dict[str, Any]]:
    """``n`` valid transaction bodies (no ``hash``/``prev_hash`` yet), seq 1..n."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    user_ids = [_uuid(rng) for _ in range(users)]
    lot_ids = [_uuid(rng) for _ in range(lots)]
    host_ids = [_uuid(rng) for _ in range(hosts)]
    lot_host = {lot: host_ids[i % hosts] for i, lot in enumerate(lot_ids)}
    book = _Book()
    moment = datetime(2026, 1, 1)
    for seq in range(1, n + 1):
        moment += timedelta(microseconds=rng.randrange(1, 2_000_000))
        user, lot = rng.choice(user_ids), rng.choice(lot_ids)
        escrow = f"lot:{lot}:escrow"
        credits = f"user:{user}:credits"
        roll = rng.random()
        refs: dict[str, str] = {"lot_id": lot}
        metadata: dict[str, Any] = {}
        postings: list[dict[str, Any]]
        if roll < 0.25:
            kind, amount = "credits_granted", rng.randrange(100, 1000)
            refs = {"user_id": user}
            postings = [
                book.post(credits, "CRD", amount),
                book.post("platform:credits_issued", "CRD", -amount),
            ]
        elif roll < 0.80:
            kind, tickets = "entry_purchased", rng.randrange(1, 6)
            refs = {"entry_id": _uuid(rng), "lot_id": lot, "user_id": user}
            paid_in_credits = min(book.balance(credits, "CRD") // 100, rng.randrange(0, tickets))
            cash = (tickets - paid_in_credits) * 100
            postings = []
            if cash:
                postings += [
                    book.post("platform:cash", "USD", cash),
                    book.post(escrow, "USD", -cash),
                ]
            if paid_in_credits:
                postings += [
                    book.post(credits, "CRD", -paid_in_credits * 100),
                    book.post(escrow, "CRD", paid_in_credits * 100),
                ]
            metadata = {"tickets": tickets}
        elif roll < 0.90 and book.balance(escrow, "USD") < -100:
            kind, funded = "lot_settled", -book.balance(escrow, "USD")
            fee = funded // 10
            refs = {"host_id": lot_host[lot], "lot_id": lot}
            postings = [
                book.post(escrow, "USD", funded),
                book.post("platform:fees", "USD", -fee),
                book.post(f"host:{lot_host[lot]}:payable", "USD", -(funded - fee)),
            ]
        elif roll < 0.95:
            kind, postings = "draw_committed", []
            metadata = {
                "algorithm": "alot-v1",
                "lot_title": rng.choice(_LOT_TITLES),
                "server_seed_commitment": hashlib.sha256(rng.randbytes(32)).hexdigest(),
            }
        else:
            kind, postings = "draw_completed", []
            metadata = {"winning_ticket": rng.randrange(1, 5000), "winner_user_id": user}
        yield {
            "seq": seq,
            "id": _uuid(rng),
            "kind": kind,
            "created_at": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "refs": refs,
            "metadata": metadata,
            "postings": postings,
        }


def _canonical_text(value: dict[str, Any]) -> str:
    text = _ENCODER.encode(value)
    if not text.isascii():  # non-ASCII sorts and escapes by the definition
        return canonical_json(value).decode("utf-8")
    return text


def seal(bodies: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Export lines for transaction bodies: set each ``prev_hash``, add each ``hash``.

    Tests use it to build exports that are correctly hashed and chained but break
    another rule, so that the rule under test is the one that fails.
    """
    prev_hash = GENESIS_PREV_HASH
    for body in bodies:
        body = {name: value for name, value in body.items() if name != "hash"}
        body["prev_hash"] = prev_hash
        body_text = _canonical_text(body)
        prev_hash = leaf_hash(body_text.encode("utf-8")).hex()
        # "hash" sorts right after "created_at", whose value has a fixed length.
        yield f'{body_text[:_HASH_AT]},"hash":"{prev_hash}"{body_text[_HASH_AT:]}\n'


def synthetic_export(n: int, **options: Any) -> Iterator[str]:
    """The lines ("\\n"-terminated) of a valid export of ``n`` transactions."""
    return seal(synthetic_transactions(n, **options))


def write_ledger_vectors(directory: Path) -> None:
    """Write ledger-small.{jsonl,checkpoint,vkey,expected.json} into ``directory``."""
    lines = list(synthetic_export(VECTOR_SIZE, users=4, lots=2, hosts=1, seed=2026))
    compact = CompactRange()
    roots = {}
    for line in lines:
        compact.append(bytes.fromhex(json.loads(line)["hash"]))
        roots[str(compact.size)] = compact.root().hex()
    signer, verifier = vector_keys()
    note = sign_checkpoint(Checkpoint(VECTOR_ORIGIN, compact.size, compact.root()), signer)
    book = _Book()
    for line in lines:
        for posting in json.loads(line)["postings"]:
            book.post(posting["account"], posting["asset"], posting["amount"])
    expected = {
        "comment": "Expected results for ledger-small.jsonl. The checkpoint is signed with a "
        "published TEST VECTOR KEY (seed = SHA-256 of the ASCII label below); never use it "
        "for a real log.",
        "key_seed_label": VECTOR_KEY_LABEL.decode(),
        "transactions": len(lines),
        "head_hash": json.loads(lines[-1])["hash"],
        "merkle_root": compact.root().hex(),
        "roots_by_size": roots,
        "balances": [
            {"account": account, "asset": asset, "balance": balance, "version": version}
            for (account, asset), (balance, version) in sorted(book.accounts.items())
        ],
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ledger-small.jsonl").write_text("".join(lines), encoding="utf-8")
    (directory / "ledger-small.checkpoint").write_text(note, encoding="utf-8")
    (directory / "ledger-small.vkey").write_text(verifier + "\n", encoding="utf-8")
    (directory / "ledger-small.expected.json").write_text(
        json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


# --- a lot's draw memos (tests of the draw rules and the draw-ledger vectors) ----------

DECLARE_AS_FROZEN = "as-frozen"
"""`draw_ledger_lines` ``declare``: declare at opening what the freeze uses (C1)."""
UNDECLARED = "undeclared"
"""`draw_ledger_lines` ``declare``: an opening memo without the ``beacon`` member (legacy)."""


def _cents(dollars: str) -> int:
    whole, cents = dollars.split(".")
    return int(whole) * 100 + int(cents)


def _v1_inputs(proof: dict[str, Any], funded_at: str) -> dict[str, Any]:
    from alot_verify.draw import _parse_entries, ticket_map_root

    return {
        "algorithm": "alot-v1",
        "lot_id": proof["lot_id"],
        "created_at": proof["created_at"],
        "funded_at": funded_at,
        "total_tickets": proof["total_tickets"],
        "escrow_balance": proof["escrow_balance"],
        "server_seed_commitment": proof["server_seed_commitment"],
        "ticket_map_root": ticket_map_root(_parse_entries(proof["entries"], "entries")),
    }


def draw_ledger_lines(
    proof: dict[str, Any],
    *,
    declare: Any = DECLARE_AS_FROZEN,
    reveal_seed: bool = True,
    revealed_seed: str | None = None,
    second_freeze: dict[str, Any] | None = None,
    filler: int = 2,
    result: bool = True,
    unpaid: frozenset[int] = frozenset(),
    extra_purchases: Sequence[dict[str, Any]] = (),
    paid_cents: int | None = None,
    users: Mapping[int, str] | None = None,
    no_holder: frozenset[int] = frozenset(),
    amounts: Mapping[int, int] | None = None,
) -> list[str]:
    """A small ledger export holding one lot's draw memos as the platform writes them.

    Filler transactions (real postings) come first and between the memos, so that the
    memos land in different chunks when the export is verified in small chunks. The
    opening memo declares ``declare``: `DECLARE_AS_FROZEN`, `UNDECLARED`, None (declared
    beacon-less) or a {chain_hash, scheme} object. ``second_freeze``: draw inputs of a
    second freeze memo for the same lot, written after the first.

    Each entry of the proof is bought before the freeze, as the platform records it: an
    ``entry_purchase`` paying cash into the lot's escrow (the frozen escrow shared out by
    tickets), or a ``free_entry`` without postings for kind ``free``. ``unpaid``: indexes of
    entries left without a purchase (sock puppets); ``paid_cents``: what the purchases pay
    in all instead; ``extra_purchases``: further purchases ({user_id, tickets_start,
    tickets_end, amount_cents, after_freeze}) missing from the frozen map.

    A pseudonymous entry's purchase carries ``refs.holder`` next to ``refs.user_id`` (a user
    id derived from the holder, or ``users[i]`` for entry i); ``no_holder``: indexes of
    entries whose purchase leaves ``refs.holder`` out. A pseudonymous entry's purchase is
    written at the entry's ``purchase_seq`` (filler transactions pad up to it) and pays its
    ``amount_cents`` (``amounts[i]``: what entry i's purchase pays instead).
    """
    from alot_verify.draw import draw_inputs_hash

    v2 = proof["algorithm"] == "alot-v2"
    if v2:
        inputs = proof["draw_inputs"]
        lot_id = inputs["lot_id"]
        commitment = inputs["server_seed_commitment"]
        funded_at = inputs["funded_at"]
        beacon = inputs["beacon"]
    else:
        lot_id = proof["lot_id"]
        commitment = proof["server_seed_commitment"]
        funded_at = proof["created_at"]
        inputs = _v1_inputs(proof, funded_at)
        beacon = None
    opening: dict[str, Any] = {
        "algorithm": proof["algorithm"],
        "server_seed_commitment": commitment,
        "funding_target_cents": 1000,
    }
    if declare == DECLARE_AS_FROZEN:
        opening["beacon"] = (
            None
            if beacon is None
            else {"chain_hash": beacon["chain_hash"], "scheme": beacon["scheme"]}
        )
    elif declare != UNDECLARED:
        opening["beacon"] = declare
    book = _Book()
    bodies: list[dict[str, Any]] = []

    def add(
        kind: str,
        metadata: dict[str, Any],
        postings: list[dict[str, Any]],
        refs: dict[str, str] | None = None,
    ) -> None:
        seq = len(bodies) + 1
        bodies.append(
            {
                "seq": seq,
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"alot-test:{lot_id}:{seq}")),
                "kind": kind,
                "created_at": f"2026-03-01T11:{seq // 60 % 60:02d}:{seq % 60:02d}.000000Z",
                "refs": refs
                if refs is not None
                else ({"lot_id": lot_id} if kind.startswith("draw_") else {}),
                "metadata": metadata,
                "postings": postings,
            }
        )

    def fill(count: int = filler) -> None:
        for _ in range(count):
            add(
                "credit_purchase",
                {},
                [
                    book.post("platform:stripe", "USD", -500),
                    book.post("platform:cash", "USD", 500),
                ],
            )

    def freeze(draw_inputs: dict[str, Any]) -> dict[str, Any]:
        metadata = {
            "algorithm": proof["algorithm"],
            "draw_inputs": draw_inputs,
            "draw_inputs_hash": draw_inputs_hash(draw_inputs)
            if v2
            else hashlib.sha256(canonical_json(draw_inputs)).hexdigest(),
        }
        if reveal_seed:
            metadata["server_seed"] = revealed_seed or proof["server_seed"]
        return metadata

    def buy(number: int, entry: dict[str, Any], amount: int) -> None:
        wanted = entry.get("purchase_seq")
        if isinstance(wanted, int):
            if wanted <= len(bodies):
                raise ValueError(
                    f"purchase_seq {wanted} is already taken: the ledger is at seq {len(bodies)}"
                )
            fill(wanted - len(bodies) - 1)
        holder = entry.get("holder")
        user = (users or {}).get(number) or entry.get("user_id") or holder_user(holder)
        refs = {
            "lot_id": lot_id,
            "purchase_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"alot-test:{lot_id}:p{number}")),
            "user_id": user,
        }
        if holder is not None and number not in no_holder:
            refs["holder"] = holder
        tickets = {"tickets_start": entry["tickets_start"], "tickets_end": entry["tickets_end"]}
        if entry.get("kind") == "free":
            add("free_entry", {"route": "online", **tickets}, [], refs)
            return
        escrow = (
            [
                book.post("platform:cash", "USD", -amount),
                book.post(f"lot:{lot_id}:escrow", "USD", amount),
            ]
            if amount
            else []
        )
        metadata = {
            "method": "cash",
            "tickets": entry["tickets_end"] - entry["tickets_start"] + 1,
            **tickets,
        }
        add("entry_purchase", metadata, escrow, refs)

    escrow_cents = inputs["escrow_cents"] if v2 else _cents(inputs["escrow_balance"])
    paid = [
        (i, e)
        for i, e in enumerate(proof["entries"])
        if e.get("kind") != "free" and i not in unpaid
    ]
    to_pay = escrow_cents if paid_cents is None else paid_cents
    paid_tickets = sum(e["tickets_end"] - e["tickets_start"] + 1 for _, e in paid) or 1
    shares = {
        i: to_pay * (e["tickets_end"] - e["tickets_start"] + 1) // paid_tickets for i, e in paid
    }
    if paid:
        shares[paid[-1][0]] += to_pay - sum(shares.values())
    if paid_cents is None:
        # A pseudonymous entry says what its purchase paid; the shares above are for maps
        # that do not (named ones) and for a deliberately wrong total (paid_cents).
        shares.update({i: e["amount_cents"] for i, e in paid if "amount_cents" in e})
    shares.update(amounts or {})
    fill()
    add("draw_commitment", opening, [])
    fill()
    for i, entry in enumerate(proof["entries"]):
        if i not in unpaid:
            buy(i, entry, shares.get(i, 0))
    for j, extra in enumerate(extra_purchases):
        if not extra.get("after_freeze"):
            buy(1000 + j, extra, extra.get("amount_cents", 100))
    fill()
    add("draw_inputs", freeze(inputs), [])
    fill()
    for j, extra in enumerate(extra_purchases):
        if extra.get("after_freeze"):
            buy(1000 + j, extra, extra.get("amount_cents", 100))
    if second_freeze is not None:
        add("draw_inputs", freeze(second_freeze), [])
        fill()
    if result:
        add(
            "draw_result",
            {
                "algorithm": proof["algorithm"],
                "server_seed": proof["server_seed"],
                "winning_ticket": proof["winning_ticket"],
                "proof_sha256": hashlib.sha256(canonical_json(proof)).hexdigest(),
            },
            [],
        )
        fill()
    return list(seal(bodies))


def holder_user(holder: Any) -> str:
    """The user id test ledgers give the player behind a pseudonym (one per holder)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"alot-test:holder:{holder}"))


def ledger_failures(lines: Iterable[str]) -> list[tuple[int | None, str, str]]:
    """What ``verify_ledger`` finds wrong with an export, as (seq, check, message)."""
    try:
        verify_ledger(lines)
    except LedgerFailed as exc:
        return [(f.seq, f.check, f.message) for f in exc.failures]
    return []


def draw_with_ledger(directory: Path, proof: Mapping[str, Any], lines: Sequence[str]) -> Result:
    """Run ``alot-verify --json draw PROOF --ledger EXPORT`` on files written in ``directory``."""
    from click.testing import CliRunner

    from alot_verify.cli import cli

    proof_path = directory / "proof.json"
    proof_path.write_text(json.dumps(proof), encoding="utf-8")
    export = directory / "ledger.jsonl"
    export.write_text("".join(lines), encoding="utf-8")
    return CliRunner().invoke(cli, ["--json", "draw", str(proof_path), "--ledger", str(export)])


def check_outcomes(result: Result) -> dict[str, bool]:
    """Each check a ``--json`` report names, and whether every line of it passed."""
    outcomes: dict[str, bool] = {}
    for check in json.loads(result.stdout)["checks"]:
        outcomes[check["check"]] = outcomes.get(check["check"], True) and check["ok"]
    return outcomes


def write_export(path: Path, n: int, **options: Any) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(synthetic_export(n, **options))


def main(argv: list[str]) -> None:
    usage = "usage: python -m alot_verify._testing (ledger-vectors DIR | export N PATH)"
    if len(argv) == 2 and argv[0] == "ledger-vectors":
        write_ledger_vectors(Path(argv[1]))
    elif len(argv) == 3 and argv[0] == "export":
        write_export(Path(argv[2]), int(argv[1]))
    else:
        raise SystemExit(usage)


if __name__ == "__main__":
    main(sys.argv[1:])
