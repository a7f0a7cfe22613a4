"""The ledger export verifier against the published vector and every kind of tampering."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify._testing import seal, synthetic_export, vector_keys
from alot_verify.checkpoint import Checkpoint, generate_signer_key, sign_checkpoint
from alot_verify.errors import CheckpointVerificationError, InputError
from alot_verify.ledger import GENESIS_PREV_HASH, LedgerFailed, LedgerSummary, verify_ledger
from alot_verify.merkle import MemoryTree


@pytest.fixture
def vector_lines(spec_vectors: Path) -> list[str]:
    return (spec_vectors / "ledger-small.jsonl").read_text(encoding="utf-8").splitlines(True)


@pytest.fixture
def expected(spec_vectors: Path) -> dict[str, Any]:
    return json.loads((spec_vectors / "ledger-small.expected.json").read_text(encoding="utf-8"))


def _bodies(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


def _checkpoint_for(lines: list[str], size: int) -> tuple[str, str]:
    """A checkpoint over the first ``size`` lines, signed with the test vector key."""
    tree = MemoryTree(bytes.fromhex(json.loads(line)["hash"]) for line in lines)
    signer, verifier = vector_keys()
    note = sign_checkpoint(Checkpoint("alot.local/ledger", size, tree.root(size)), signer)
    return note, verifier


def _failures(lines: list[str], **options: Any) -> LedgerFailed:
    with pytest.raises(LedgerFailed) as caught:
        verify_ledger(lines, **options)
    return caught.value


def test_vector_verifies_with_its_checkpoint(spec_vectors: Path, expected: dict[str, Any]) -> None:
    with (spec_vectors / "ledger-small.jsonl").open("rb") as export:
        summary = verify_ledger(
            export,
            signed_checkpoint=(spec_vectors / "ledger-small.checkpoint").read_text(),
            verifier_key=(spec_vectors / "ledger-small.vkey").read_text().strip(),
        )
    assert summary.transactions == expected["transactions"] == 40
    assert (summary.first_seq, summary.last_seq) == (1, 40)
    assert summary.head_hash == expected["head_hash"]
    assert summary.merkle_root is not None
    assert summary.merkle_root.hex() == expected["merkle_root"]
    assert summary.checkpoint is not None
    assert summary.checkpoint.size == 40
    balances = [
        {"account": b.account, "asset": b.asset, "balance": b.balance, "version": b.version}
        for b in summary.balances
    ]
    assert balances == expected["balances"]
    assert sum(b.balance for b in summary.balances if b.asset == "USD") == 0
    assert sum(b.balance for b in summary.balances if b.asset == "CRD") == 0


def test_vector_roots_by_size_match_the_merkle_module(
    vector_lines: list[str], expected: dict[str, Any]
) -> None:
    tree = MemoryTree(bytes.fromhex(json.loads(line)["hash"]) for line in vector_lines)
    for size, root in expected["roots_by_size"].items():
        assert tree.root(int(size)).hex() == root


@pytest.mark.parametrize("size", [0, 1, 7, 16, 39, 40])
def test_export_longer_than_checkpoint_is_checked_at_the_checkpoint_size(
    vector_lines: list[str], size: int
) -> None:
    note, verifier = _checkpoint_for(vector_lines, size)
    summary = verify_ledger(vector_lines, signed_checkpoint=note, verifier_key=verifier)
    assert summary.transactions == 40
    assert summary.checkpoint is not None
    assert summary.checkpoint.size == size


def test_checkpoint_with_another_root_fails(vector_lines: list[str]) -> None:
    signer, verifier = vector_keys()
    note = sign_checkpoint(Checkpoint("alot.local/ledger", 20, b"\x11" * 32), signer)
    failed = _failures(vector_lines, signed_checkpoint=note, verifier_key=verifier)
    assert [(f.check, f.line, f.seq) for f in failed.failures] == [("checkpoint", 20, 20)]
    assert "Merkle root at size 20" in failed.failures[0].message


def test_export_shorter_than_checkpoint_fails(vector_lines: list[str]) -> None:
    note, verifier = _checkpoint_for(vector_lines, 40)
    failed = _failures(vector_lines[:30], signed_checkpoint=note, verifier_key=verifier)
    assert [f.check for f in failed.failures] == ["checkpoint"]
    assert "ends after 30 transactions; the checkpoint covers 40" in str(failed)


def test_checkpoint_signed_by_another_key_is_refused(vector_lines: list[str]) -> None:
    note, _ = _checkpoint_for(vector_lines, 40)
    _, other_verifier = generate_signer_key("alot.local/ledger")
    with pytest.raises(CheckpointVerificationError):
        verify_ledger(vector_lines, signed_checkpoint=note, verifier_key=other_verifier)


def test_checkpoint_needs_its_key() -> None:
    with pytest.raises(InputError, match="go together"):
        verify_ledger([], signed_checkpoint="x\n")


def _swap(lines: list[str], i: int) -> list[str]:
    out = list(lines)
    out[i], out[i + 1] = out[i + 1], out[i]
    return out


def _edit_amount(lines: list[str], i: int) -> list[str]:
    transaction = json.loads(lines[i])
    transaction["postings"][0]["amount"] += 1
    out = list(lines)
    out[i] = json.dumps(transaction) + "\n"
    return out


def _edit_kind(lines: list[str], i: int) -> list[str]:
    out = list(lines)
    out[i] = out[i].replace('"kind":"', '"kind":"x', 1)
    return out


# (name, tamper, index tampered (0-based), 1-based line number of the first failure)
TAMPERS = [
    ("reordered", _swap, 9, 10),
    ("reordered-first", _swap, 0, 1),
    ("dropped", lambda lines, i: lines[:i] + lines[i + 1 :], 12, 13),
    ("dropped-first", lambda lines, i: lines[:i] + lines[i + 1 :], 0, 1),
    ("duplicated", lambda lines, i: lines[: i + 1] + lines[i:], 20, 22),
    ("edited-amount", _edit_amount, 2, 3),
    ("edited-kind", _edit_kind, 30, 31),
]


@pytest.mark.parametrize(
    ("tamper", "index", "line"),
    [pytest.param(t, i, n, id=name) for name, t, i, n in TAMPERS],
)
def test_tampered_export_fails_at_the_line(
    vector_lines: list[str], tamper: Any, index: int, line: int
) -> None:
    failed = _failures(tamper(vector_lines, index))
    assert failed.line == line
    assert failed.failures[0].line == line
    assert f"line {line}" in str(failed.failures[0])


def test_dropped_last_line_is_caught_only_by_the_checkpoint(vector_lines: list[str]) -> None:
    # Without a checkpoint a cut at a line boundary is a shorter valid export.
    assert verify_ledger(vector_lines[:-1]).transactions == 39
    note, verifier = _checkpoint_for(vector_lines, 40)
    failed = _failures(vector_lines[:-1], signed_checkpoint=note, verifier_key=verifier)
    assert [f.check for f in failed.failures] == ["checkpoint"]


def test_one_bad_line_does_not_cascade(vector_lines: list[str]) -> None:
    failed = _failures(_edit_amount(vector_lines, 2))
    # The edited line fails its hash and (not resealed) its balance; later lines are fine.
    assert {f.line for f in failed.failures} == {3}
    assert "hash" in {f.check for f in failed.failures}


def _first_posting_line(bodies: list[dict[str, Any]], asset: str = "USD") -> int:
    return next(i for i, b in enumerate(bodies) if any(p["asset"] == asset for p in b["postings"]))


def test_tampered_balance_after_fails(vector_lines: list[str]) -> None:
    bodies = _bodies(vector_lines)
    i = _first_posting_line(bodies)
    bodies[i]["postings"][0]["balance_after"] += 5
    failed = _failures(list(seal(bodies)))
    assert (failed.failures[0].check, failed.failures[0].line) == ("balance_after", i + 1)


def test_tampered_account_version_fails(vector_lines: list[str]) -> None:
    bodies = _bodies(vector_lines)
    i = _first_posting_line(bodies)
    bodies[i]["postings"][0]["account_version"] += 1
    failed = _failures(list(seal(bodies)))
    assert (failed.failures[0].check, failed.failures[0].line) == ("account_version", i + 1)


def _transaction(seq: int, postings: list[dict[str, Any]], kind: str = "test") -> dict[str, Any]:
    return {
        "seq": seq,
        "id": f"00000000-0000-4000-8000-{seq:012d}",
        "kind": kind,
        "created_at": f"2026-01-01T00:00:{seq:02d}.000000Z",
        "refs": {},
        "metadata": {},
        "postings": postings,
        "prev_hash": GENESIS_PREV_HASH,
    }


def _posting(account: str, asset: str, amount: int, balance: int, version: int) -> dict[str, Any]:
    return {
        "account": account,
        "asset": asset,
        "amount": amount,
        "balance_after": balance,
        "account_version": version,
    }


USER = "user:00000000-0000-4000-8000-000000000001:credits"


def test_negative_user_credits_fail() -> None:
    lines = list(
        seal(
            [
                _transaction(
                    1,
                    [
                        _posting(USER, "CRD", 100, 100, 1),
                        _posting("platform:credits_issued", "CRD", -100, -100, 1),
                    ],
                ),
                _transaction(
                    2,
                    [
                        _posting(USER, "CRD", -150, -50, 2),
                        _posting("lot:x:escrow", "CRD", 150, 150, 1),
                    ],
                ),
            ]
        )
    )
    failed = _failures(lines)
    assert [(f.check, f.line) for f in failed.failures] == [("non_negative", 2)]
    assert USER in failed.failures[0].message


def test_other_accounts_may_be_negative() -> None:
    lines = list(
        seal(
            [
                _transaction(
                    1, [_posting("platform:cash", "USD", -5, -5, 1), _posting("x", "USD", 5, 5, 1)]
                )
            ]
        )
    )
    assert verify_ledger(lines).transactions == 1


def test_unbalanced_transaction_fails() -> None:
    lines = list(
        seal(
            [
                _transaction(
                    1,
                    [
                        _posting("platform:cash", "USD", 500, 500, 1),
                        _posting("lot:a:escrow", "USD", -499, -499, 1),
                        _posting(USER, "CRD", 10, 10, 1),
                        _posting("platform:credits_issued", "CRD", -10, -10, 1),
                    ],
                )
            ]
        )
    )
    failed = _failures(lines)
    assert [(f.check, f.message) for f in failed.failures] == [
        ("balanced", "USD postings sum to 1, not 0")
    ]


def test_balanced_across_assets_is_not_enough() -> None:
    lines = list(
        seal(
            [
                _transaction(
                    1, [_posting("a", "USD", 100, 100, 1), _posting("b", "CRD", -100, -100, 1)]
                )
            ]
        )
    )
    assert {f.check for f in _failures(lines).failures} == {"balanced"}


def test_zero_amount_and_repeated_account_fail() -> None:
    lines = list(
        seal(
            [
                _transaction(1, [_posting("a", "USD", 0, 0, 1)]),
                _transaction(
                    2,
                    [
                        _posting("b", "USD", 5, 5, 1),
                        _posting("b", "USD", -5, 0, 2),
                    ],
                ),
            ]
        )
    )
    failures = _failures(lines).failures
    assert [(f.check, f.line) for f in failures] == [("posting", 1), ("posting", 2)]
    assert "zero amount" in failures[0].message
    assert "posted to twice" in failures[1].message


def test_partial_export_verifies_from_its_start(vector_lines: list[str]) -> None:
    summary = verify_ledger(vector_lines[10:], start_seq=11)
    assert (summary.first_seq, summary.last_seq, summary.transactions) == (11, 40, 30)
    assert summary.merkle_root is None  # the first ten leaves are missing
    failed = _failures(vector_lines[10:])  # without --start-seq it is a broken export
    assert (failed.failures[0].check, failed.failures[0].line) == ("seq", 1)


def test_partial_export_cannot_use_a_checkpoint(vector_lines: list[str]) -> None:
    note, verifier = _checkpoint_for(vector_lines, 40)
    with pytest.raises(InputError, match="partial export"):
        verify_ledger(
            vector_lines[10:], start_seq=11, signed_checkpoint=note, verifier_key=verifier
        )


def test_failures_are_capped() -> None:
    lines = list(synthetic_export(50, users=3, lots=2, hosts=1, seed=7))
    shuffled = lines[::-1]
    failed = _failures(shuffled, max_failures=5)
    assert len(failed.failures) == 5
    assert failed.truncated
    untruncated = _failures(shuffled, max_failures=10_000)
    assert not untruncated.truncated
    assert len(untruncated.failures) > 5


def test_empty_export_is_an_empty_ledger() -> None:
    summary = verify_ledger([])
    assert isinstance(summary, LedgerSummary)
    assert summary.transactions == 0
    assert summary.head_hash == GENESIS_PREV_HASH
    assert summary.merkle_root == bytes.fromhex(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_synthetic_export_verifies() -> None:
    lines = list(synthetic_export(3000, users=50, lots=10, hosts=3, seed=1))
    summary = verify_ledger(line.encode() for line in lines)
    assert summary.transactions == 3000
    assert summary.volume["USD"] > 0
    assert summary.volume["CRD"] > 0


# --- malformed lines: InputError naming the line and the field ---------------------

GOOD = json.loads(
    '{"created_at":"2026-01-01T00:00:01.000000Z","hash":"' + "0" * 64 + '",'
    '"id":"00000000-0000-4000-8000-000000000001","kind":"test","metadata":{},'
    '"postings":[],"prev_hash":"' + "0" * 64 + '","refs":{},"seq":1}'
)


def _with(**changes: Any) -> str:
    transaction = dict(GOOD)
    for name, value in changes.items():
        if value is ...:
            del transaction[name]
        else:
            transaction[name] = value
    return json.dumps(transaction)


POSTING = {"account": "a", "asset": "USD", "amount": 1, "balance_after": 1, "account_version": 1}

MALFORMED = [
    ("not-json", "{", "invalid JSON"),
    ("not-object", "[]", "must be an object"),
    ("missing", _with(seq=...), "missing seq"),
    ("extra", _with(note="x"), "unexpected note"),
    ("seq-string", _with(seq="1"), "field seq"),
    ("seq-bool", _with(seq=True), "field seq"),
    ("seq-zero", _with(seq=0), "field seq"),
    ("seq-float", _with(seq=1.0), "floats are not allowed"),
    ("big-int", _with(seq=2**53), "field seq"),
    ("id", _with(id="not-a-uuid"), "field id"),
    ("id-upper", _with(id="00000000-0000-4000-8000-00000000000A"), "field id"),
    ("kind", _with(kind="Entry-Purchased"), "field kind"),
    ("prev-hash-short", _with(prev_hash="00"), "field prev_hash"),
    ("hash-upper", _with(hash="A" * 64), "field hash"),
    ("hash-null", _with(hash=None), "field hash"),
    ("time-format", _with(created_at="2026-01-01T00:00:01Z"), "field created_at"),
    ("time-offset", _with(created_at="2026-01-01T00:00:01.000000+00:00"), "field created_at"),
    ("time-invalid", _with(created_at="2026-02-30T00:00:01.000000Z"), "field created_at"),
    ("refs-type", _with(refs=[]), "field refs"),
    ("refs-value", _with(refs={"lot_id": 5}), "field refs.lot_id"),
    ("metadata-float", _with(metadata={"x": 0.5}), "floats are not allowed"),
    ("metadata-big", _with(metadata={"x": [2**60]}), "field metadata.x[0]"),
    ("postings-type", _with(postings={}), "field postings"),
    ("posting-missing", _with(postings=[{"account": "a"}]), "field postings[0]"),
    ("posting-amount", _with(postings=[{**POSTING, "amount": "1"}]), "postings[0].amount"),
    ("posting-bool", _with(postings=[{**POSTING, "amount": True}]), "postings[0].amount"),
    ("posting-asset", _with(postings=[{**POSTING, "asset": "EUR"}]), "postings[0].asset"),
    ("posting-account", _with(postings=[{**POSTING, "account": ""}]), "postings[0].account"),
    ("posting-version", _with(postings=[{**POSTING, "account_version": 0}]), "account_version"),
    ("nan", _with(seq=...).replace("{", '{"seq":NaN,', 1), "NaN"),
    ("duplicate", _with().replace('"seq": 1', '"seq": 1, "seq": 1'), "appears twice"),
    ("empty", "", "empty line"),
]


@pytest.mark.parametrize(("text", "message"), [pytest.param(t, m, id=i) for i, t, m in MALFORMED])
def test_malformed_line_is_an_input_error_naming_line_and_field(text: str, message: str) -> None:
    good = list(seal([_transaction(1, [])]))
    with pytest.raises(InputError) as caught:
        verify_ledger([*good, text + "\n"])
    assert "line 2" in str(caught.value)
    assert message in str(caught.value)


def test_invalid_utf8_is_an_input_error() -> None:
    with pytest.raises(InputError, match="line 1: not UTF-8"):
        verify_ledger([b'{"seq":\xff}\n'])
