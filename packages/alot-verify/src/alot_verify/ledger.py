"""Verify a ledger export: the JSON Lines file in which the ledger publishes every transaction.

`verify_ledger` streams the export line by line and checks, for every transaction: the
line's shape, the hash of its body (``leaf_hash(canonical_json(body))``), the link to the
previous transaction, gap-free sequence numbers, that postings balance per asset, that
each (account, asset) balance and version continues from the last one, and that no
``user:<id>:credits`` account goes negative. The leaf hashes feed a streaming Merkle tree
whose root is compared with a signed checkpoint at exactly the checkpoint's size.

Memory grows with the number of accounts, never with the number of transactions.

Failure policy: a malformed line raises `InputError` at once (the rest of the file
cannot be trusted to mean anything). Failed checks are collected, up to
``max_failures``: after each line the verifier takes the line's own stated values (its
seq, hash, balances and versions) as the new reference, so one bad line is reported at
that line and at the next link, not again on every line after it.

The normative description is docs/spec/ledger.md.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alot_verify.canonical import MAX_SAFE_INTEGER, canonical_json
from alot_verify.checkpoint import Checkpoint, verify_checkpoint
from alot_verify.errors import InputError, LedgerVerificationError
from alot_verify.merkle import CompactRange, leaf_hash

GENESIS_PREV_HASH = "0" * 64
"""The ``prev_hash`` of the first transaction (seq 1)."""

ASSETS = frozenset({"USD", "CRD"})
DEFAULT_MAX_FAILURES = 100

TRANSACTION_FIELDS = frozenset(
    {"seq", "id", "kind", "created_at", "refs", "metadata", "postings", "prev_hash", "hash"}
)
POSTING_FIELDS = frozenset({"account", "asset", "amount", "balance_after", "account_version"})

_HEX64 = re.compile(r"[0-9a-f]{64}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_KIND = re.compile(r"[a-z][a-z0-9_]*")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")

# In the canonical text the members are sorted, so "hash" directly follows "created_at",
# whose value has a fixed length: the body is the canonical line minus this slice.
_HASH_MEMBER_START = len('{"created_at":"2000-01-01T00:00:00.000000Z"')
_HASH_MEMBER_PREFIX = ',"hash":"'
_HASH_MEMBER_LENGTH = len(_HASH_MEMBER_PREFIX) + 64 + len('"')


@dataclass(frozen=True)
class LedgerFailure:
    """One failed check, located by export line number (1-based) and seq."""

    line: int
    seq: int | None
    check: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "export"
        if self.seq is not None:
            where += f", seq {self.seq}"
        return f"{where}: {self.check}: {self.message}"


@dataclass(frozen=True)
class AccountBalance:
    """An (account, asset) balance after the last posting in the export."""

    account: str
    asset: str
    balance: int
    version: int


@dataclass(frozen=True)
class LedgerSummary:
    """What the export contained, as recomputed by the verifier.

    ``merkle_root`` is the root over every line read; it is the log's root at size
    ``last_seq`` only for a complete export (``first_seq`` 1), else None. ``volume`` is
    the sum of positive amounts per asset: how much moved.
    """

    transactions: int
    first_seq: int | None
    last_seq: int | None
    head_hash: str
    merkle_root: bytes | None
    checkpoint: Checkpoint | None
    balances: tuple[AccountBalance, ...]
    volume: dict[str, int]
    postings: int


class LedgerFailed(LedgerVerificationError):
    """The export was read but failed one or more checks, listed in ``failures``.

    ``line`` and ``seq`` are those of the first failure; ``truncated`` says the
    verifier stopped after ``max_failures``; ``summary`` describes what was read.
    """

    def __init__(
        self, failures: list[LedgerFailure], *, truncated: bool, summary: LedgerSummary
    ) -> None:
        first = failures[0]
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        super().__init__(f"{first.check}: {first.message}{more}", line=first.line, seq=first.seq)
        self.failures = failures
        self.truncated = truncated
        self.summary = summary


# --- parsing -----------------------------------------------------------------------


class _NotAllowed(ValueError):
    pass


def _refuse_float(text: str) -> Any:
    raise _NotAllowed(f"number {text} is not an integer (floats are not allowed)")


def _refuse_constant(text: str) -> Any:
    raise _NotAllowed(f"{text} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _NotAllowed(f"member {name!r} appears twice in one object")
            seen.add(name)
    return value


_DECODER = json.JSONDecoder(parse_float=_refuse_float, parse_constant=_refuse_constant)
_STRICT_DECODER = json.JSONDecoder(
    parse_float=_refuse_float, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicates
)
_METADATA_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
)


def _decode(text: str, number: int, decoder: json.JSONDecoder) -> Any:
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg} (column {exc.colno})", where=f"line {number}"
        ) from exc
    except ValueError as exc:  # _NotAllowed, or an integer too long to convert
        raise InputError(str(exc), where=f"line {number}") from exc


def _field_error(number: int, name: str, message: str) -> InputError:
    """An InputError naming the field, and the export line when there is one (number > 0)."""
    return InputError(message, where=f"line {number} field {name}" if number else f"field {name}")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _check_integer(value: Any, number: int, name: str) -> int:
    if type(value) is not int:
        raise _field_error(number, name, f"must be an integer, got {_type_name(value)}")
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise _field_error(number, name, "integer outside +/-(2**53 - 1)")
    return value


def _check_string(value: Any, number: int, name: str, pattern: re.Pattern[str] | None) -> str:
    if type(value) is not str:
        raise _field_error(number, name, f"must be a string, got {_type_name(value)}")
    if pattern is not None and pattern.fullmatch(value) is None:
        raise _field_error(number, name, f"{value!r} does not match {pattern.pattern}")
    return value


def _check_members(value: Any, expected: frozenset[str], number: int, name: str) -> None:
    if type(value) is not dict:
        raise _field_error(number, name, f"must be an object, got {_type_name(value)}")
    if value.keys() != expected:
        missing = sorted(expected - value.keys())
        extra = sorted(value.keys() - expected)
        parts = [f"missing {', '.join(missing)}" if missing else ""]
        parts.append(f"unexpected {', '.join(extra)}" if extra else "")
        raise _field_error(number, name, "; ".join(p for p in parts if p))


def _check_json_value(value: Any, number: int, name: str) -> None:
    """Metadata may hold any canonical-JSON value: check integers are in range."""
    if type(value) is int:
        _check_integer(value, number, name)
    elif type(value) is dict:
        for key, item in value.items():
            _check_json_value(item, number, f"{name}.{key}")
    elif type(value) is list:
        for index, item in enumerate(value):
            _check_json_value(item, number, f"{name}[{index}]")


def _check_shape(transaction: Any, number: int) -> None:
    """Raise InputError naming the line and field unless the transaction is well formed."""
    _check_members(transaction, TRANSACTION_FIELDS, number, "(transaction)")
    seq = _check_integer(transaction["seq"], number, "seq")
    if seq < 1:
        raise _field_error(number, "seq", "must be at least 1")
    _check_string(transaction["id"], number, "id", _UUID)
    _check_string(transaction["kind"], number, "kind", _KIND)
    created_at = _check_string(transaction["created_at"], number, "created_at", _TIMESTAMP)
    try:
        datetime.fromisoformat(created_at[:-1])
    except ValueError as exc:
        raise _field_error(number, "created_at", f"{created_at!r} is not a valid time") from exc
    _check_string(transaction["prev_hash"], number, "prev_hash", _HEX64)
    _check_string(transaction["hash"], number, "hash", _HEX64)
    refs = transaction["refs"]
    if type(refs) is not dict:
        raise _field_error(number, "refs", f"must be an object, got {_type_name(refs)}")
    for name, ref in refs.items():
        if not name:
            raise _field_error(number, "refs", "reference names must not be empty")
        _check_string(ref, number, f"refs.{name}", None)
    metadata = transaction["metadata"]
    if type(metadata) is not dict:
        raise _field_error(number, "metadata", f"must be an object, got {_type_name(metadata)}")
    if metadata:
        _check_json_value(metadata, number, "metadata")
    postings = transaction["postings"]
    if type(postings) is not list:
        raise _field_error(number, "postings", f"must be an array, got {_type_name(postings)}")
    for index, posting in enumerate(postings):
        where = f"postings[{index}]"
        _check_members(posting, POSTING_FIELDS, number, where)
        account = _check_string(posting["account"], number, f"{where}.account", None)
        if not account:
            raise _field_error(number, f"{where}.account", "must not be empty")
        asset = _check_string(posting["asset"], number, f"{where}.asset", None)
        if asset not in ASSETS:
            raise _field_error(number, f"{where}.asset", f"{asset!r} is not one of USD, CRD")
        _check_integer(posting["amount"], number, f"{where}.amount")
        _check_integer(posting["balance_after"], number, f"{where}.balance_after")
        version = _check_integer(posting["account_version"], number, f"{where}.account_version")
        if version < 1:
            raise _field_error(number, f"{where}.account_version", "must be at least 1")


# The fast path: a line that matches this pattern is canonical JSON by construction (the
# members appear in sorted order, strings are drawn from characters canonical JSON prints
# verbatim and that sort the same by code point as by UTF-16 unit, integers are plain
# decimals), so its body bytes are the line minus the ``hash`` member. Anything else,
# however legitimate, goes through the general path, which defines correctness.
_SAFE = r"[\x20\x21\x23-\x5b\x5d-\ud7ff]"  # no '"', no backslash, nothing >= U+D800
_INT = r"(?:0|-?[1-9][0-9]{0,14})"  # |n| < 10**15 < 2**53: no range check needed
_STRING = f'"{_SAFE}*"'
_VALUE = f"(?:{_STRING}|{_INT}|true|false|null)"


def _flat_object(value: str) -> str:
    member = f'"{_SAFE}+":{value}'
    return rf"\{{(?:{member}(?:,{member})*)?\}}"


_POSTING = (
    rf'\{{"account":"({_SAFE}+)","account_version":([1-9][0-9]{{0,14}}),'
    rf'"amount":(-?[1-9][0-9]{{0,14}}),"asset":"(USD|CRD)","balance_after":({_INT})\}}'
)
_POSTING_MEMBER = re.sub(r"\((?!\?)", "(?:", _POSTING)
_CANONICAL_LINE = re.compile(
    r'\{"created_at":"([0-9]{4}-[0-9]{2}-[0-9]{2})T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]'
    r'\.[0-9]{6}Z","hash":"([0-9a-f]{64})",'
    r'"id":"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",'
    rf'"kind":"[a-z][a-z0-9_]*","metadata":({_flat_object(_VALUE)}),'
    rf'"postings":\[((?:{_POSTING_MEMBER}(?:,{_POSTING_MEMBER})*)?)\],'
    rf'"prev_hash":"([0-9a-f]{{64}})","refs":({_flat_object(_STRING)}),'
    r'"seq":([1-9][0-9]{0,14})\}'
)
_POSTINGS = re.compile(_POSTING)
_MEMBER_NAMES = re.compile('"([^"]*)":')

Posting = tuple[str, str, int, int, int]
"""(account, asset, amount, balance_after, account_version)"""


@dataclass(frozen=True, slots=True)
class _Line:
    seq: int
    prev_hash: str
    hash: str
    postings: list[Posting]
    body: bytes


def _sorted_members(text: str) -> bool:
    """True if a flat object's member names are strictly increasing (sorted, unique)."""
    if ',"' not in text:
        return True
    names = _MEMBER_NAMES.findall(text)
    return all(a < b for a, b in itertools.pairwise(names))


def _checked_date(date: str, number: int, cache: dict[str, bool]) -> None:
    if date not in cache:
        try:
            datetime.strptime(date, "%Y-%m-%d")  # a calendar check only
        except ValueError as exc:
            raise _field_error(number, "created_at", f"{date} is not a valid date") from exc
        if len(cache) > 1024:
            cache.clear()
        cache[date] = True


def _parse_fast(text: str, number: int, dates: dict[str, bool]) -> _Line | None:
    """Parse a line already in canonical form, or return None to take the general path."""
    match = _CANONICAL_LINE.fullmatch(text)
    if match is None:
        return None
    date, stated_hash, metadata, postings, prev_hash, refs, seq = match.groups()
    if not (_sorted_members(metadata) and _sorted_members(refs)):
        return None
    _checked_date(date, number, dates)
    end = _HASH_MEMBER_START + _HASH_MEMBER_LENGTH
    return _Line(
        int(seq),
        prev_hash,
        stated_hash,
        [
            (account, asset, int(amount), int(balance_after), int(version))
            for account, version, amount, asset, balance_after in _POSTINGS.findall(postings)
        ],
        (text[:_HASH_MEMBER_START] + text[end:]).encode("utf-8"),
    )


def _parse_general(text: str, number: int) -> _Line:
    """Parse any well-formed line: JSON, shape checks, then canonical_json by definition."""
    transaction = _decode(text, number, _STRICT_DECODER)
    _check_shape(transaction, number)
    body = {name: value for name, value in transaction.items() if name != "hash"}
    try:
        body_bytes = canonical_json(body)
    except InputError as exc:
        raise InputError(str(exc), where=f"line {number}") from exc
    return _Line(
        transaction["seq"],
        transaction["prev_hash"],
        transaction["hash"],
        [
            (p["account"], p["asset"], p["amount"], p["balance_after"], p["account_version"])
            for p in transaction["postings"]
        ],
        body_bytes,
    )


def transaction_leaf_hash(transaction: Any) -> bytes:
    """The Merkle leaf hash of one parsed transaction (an export line as a JSON object).

    Checks the transaction's shape (InputError naming the field) and returns
    ``leaf_hash(canonical_json(body))``, which must equal its ``hash`` member.
    """
    _check_shape(transaction, 0)
    body = {name: value for name, value in transaction.items() if name != "hash"}
    return leaf_hash(canonical_json(body))


def _line_text(raw: bytes | str, number: int) -> str:
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 ({exc.reason})", where=f"line {number}") from exc
    else:
        text = raw
    if text.endswith("\n"):
        text = text[:-1]
    if not text.strip():
        raise InputError("empty line", where=f"line {number}")
    return text


# --- verification ------------------------------------------------------------------


def _is_user_credits(account: str) -> bool:
    return account.startswith("user:") and account.endswith(":credits") and account.count(":") == 2


@dataclass
class _State:
    """Everything the verifier remembers between lines: O(accounts), not O(transactions)."""

    start_seq: int
    checkpoint: Checkpoint | None
    failures: list[LedgerFailure] = field(default_factory=list)
    accounts: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    volume: dict[str, int] = field(default_factory=dict)
    compact: CompactRange = field(default_factory=CompactRange)
    transactions: int = 0
    postings: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    head_hash: str = GENESIS_PREV_HASH
    root_checked: bool = False

    def fail(self, line: int, seq: int | None, check: str, message: str) -> None:
        self.failures.append(LedgerFailure(line, seq, check, message))


def _check_postings(state: _State, number: int, seq: int, postings: list[Posting]) -> None:
    sums: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    accounts = state.accounts
    volume = state.volume
    partial = state.start_seq != 1
    for account, asset, amount, balance_after, version in postings:
        key = (account, asset)
        if key in seen:
            state.fail(number, seq, "posting", f"{account} {asset} is posted to twice")
        seen.add(key)
        if amount == 0:
            state.fail(number, seq, "posting", f"{account} {asset} has a zero amount")
        sums[asset] = sums.get(asset, 0) + amount
        if amount > 0:
            volume[asset] = volume.get(asset, 0) + amount
        previous = accounts.get(key)
        if previous is None:
            # A partial export's opening balances are whatever its first postings imply.
            previous = (balance_after - amount, version - 1) if partial else (0, 0)
        balance = previous[0] + amount
        if balance_after != balance:
            state.fail(
                number,
                seq,
                "balance_after",
                f"{account} {asset}: {previous[0]} + {amount} = {balance}, "
                f"line says {balance_after}",
            )
        if version != previous[1] + 1:
            state.fail(
                number,
                seq,
                "account_version",
                f"{account} {asset}: expected version {previous[1] + 1}, line says {version}",
            )
        if (balance < 0 or balance_after < 0) and _is_user_credits(account):
            state.fail(
                number,
                seq,
                "non_negative",
                f"{account} {asset} goes to {min(balance, balance_after)}",
            )
        accounts[key] = (balance_after, version)
    for asset, total in sums.items():
        if total != 0:
            state.fail(number, seq, "balanced", f"{asset} postings sum to {total}, not 0")


def _check_line(state: _State, number: int, line: _Line) -> None:
    seq = line.seq
    leaf = leaf_hash(line.body)
    if leaf.hex() != line.hash:
        state.fail(number, seq, "hash", f"body hashes to {leaf.hex()}, line says {line.hash}")
    expected_seq = state.start_seq if state.last_seq is None else state.last_seq + 1
    if seq != expected_seq:
        state.fail(number, seq, "seq", f"expected seq {expected_seq}, got {seq}")
    # A partial export cannot check its first link: the previous line is not in it.
    if line.prev_hash != state.head_hash and (state.last_seq is not None or state.start_seq == 1):
        state.fail(
            number,
            seq,
            "chain",
            f"prev_hash {line.prev_hash} is not the previous line's hash {state.head_hash}",
        )
    if line.postings:
        _check_postings(state, number, seq, line.postings)
        state.postings += len(line.postings)
    state.transactions += 1
    if state.first_seq is None:
        state.first_seq = seq
    state.last_seq = seq
    # Later lines are checked against what this line states, so that one bad line is
    # reported where it is, not again on every line after it.
    state.head_hash = line.hash
    state.compact.append(leaf)
    if state.checkpoint is not None and state.compact.size == state.checkpoint.size:
        _check_root(state, number, seq)


def _check_root(state: _State, number: int, seq: int | None) -> None:
    assert state.checkpoint is not None
    state.root_checked = True
    root = state.compact.root()
    if root != state.checkpoint.root_hash:
        state.fail(
            number,
            seq,
            "checkpoint",
            f"Merkle root at size {state.checkpoint.size} is {root.hex()}, "
            f"the checkpoint says {state.checkpoint.root_hash.hex()}",
        )


def _summary(state: _State) -> LedgerSummary:
    return LedgerSummary(
        transactions=state.transactions,
        first_seq=state.first_seq,
        last_seq=state.last_seq,
        head_hash=state.head_hash,
        merkle_root=state.compact.root() if state.start_seq == 1 else None,
        checkpoint=state.checkpoint,
        balances=tuple(
            AccountBalance(account, asset, balance, version)
            for (account, asset), (balance, version) in sorted(state.accounts.items())
        ),
        volume=dict(sorted(state.volume.items())),
        postings=state.postings,
    )


def verify_ledger(
    lines: Iterable[bytes | str],
    *,
    signed_checkpoint: str | None = None,
    verifier_key: str | None = None,
    start_seq: int = 1,
    max_failures: int = DEFAULT_MAX_FAILURES,
) -> LedgerSummary:
    """Verify an export and return its summary, or raise `LedgerFailed` listing failures.

    ``lines`` are the export's lines in file order (bytes or str, with or without their
    newline). With ``signed_checkpoint`` and ``verifier_key`` the note's signature is
    checked first (`CheckpointVerificationError`) and the Merkle root over seq
    1..checkpoint size must equal its root; an export shorter than the checkpoint
    fails. ``start_seq`` > 1 verifies a partial export (no checkpoint possible: its
    earlier leaves are missing). A malformed line raises `InputError` at once.
    """
    if (signed_checkpoint is None) != (verifier_key is None):
        raise InputError("a checkpoint and its verifier key go together", where="checkpoint")
    if start_seq < 1:
        raise InputError("must be at least 1", where="start_seq")
    if max_failures < 1:
        raise InputError("must be at least 1", where="max_failures")
    checkpoint = None
    if signed_checkpoint is not None and verifier_key is not None:
        if start_seq != 1:
            raise InputError(
                "a partial export cannot be checked against a checkpoint", where="start_seq"
            )
        checkpoint = verify_checkpoint(signed_checkpoint, verifier_key)
    state = _State(start_seq=start_seq, checkpoint=checkpoint)
    if checkpoint is not None and checkpoint.size == 0:
        _check_root(state, 0, None)

    truncated = False
    number = 0
    dates: dict[str, bool] = {}
    for number, raw in enumerate(lines, start=1):
        text = _line_text(raw, number)
        line = _parse_fast(text, number, dates) or _parse_general(text, number)
        _check_line(state, number, line)
        if len(state.failures) >= max_failures:
            truncated = True
            break

    if not truncated and checkpoint is not None and not state.root_checked:
        state.fail(
            number,
            state.last_seq,
            "checkpoint",
            f"the export ends after {state.transactions} transactions; "
            f"the checkpoint covers {checkpoint.size}",
        )
    summary = _summary(state)
    if state.failures:
        raise LedgerFailed(state.failures[:max_failures], truncated=truncated, summary=summary)
    return summary
