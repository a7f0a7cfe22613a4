"""Verify a ledger export: the JSON Lines file in which the ledger publishes every transaction.

`verify_ledger` streams the export line by line and checks, for every transaction: the
line's shape, the hash of its body (``leaf_hash(canonical_json(body))``), the link to the
previous transaction, gap-free sequence numbers, that postings balance per asset, that
each (account, asset) balance and version continues from the last one, and that no
``user:<id>:credits`` account goes negative. The leaf hashes feed a streaming Merkle tree
whose root is compared with a signed checkpoint at exactly the checkpoint's size.

Memory grows with the number of accounts, never with the number of transactions.

`verify_ledger_file` does the same for an export file, and cuts a big one into chunks
that worker processes verify in parallel; the result is the same as one pass's.

Failure policy: a malformed line raises `InputError` at once (the rest of the file
cannot be trusted to mean anything). Failed checks are collected, up to
``max_failures``: after each line the verifier takes the line's own stated values (its
seq, hash, balances and versions) as the new reference, so one bad line is reported at
that line and at the next link, not again on every line after it.

The normative description is docs/spec/ledger.md.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from alot_verify.canonical import MAX_SAFE_INTEGER, canonical_json
from alot_verify.checkpoint import Checkpoint, verify_checkpoint
from alot_verify.draw_ledger import (
    MARKER_BYTES,
    DrawMemo,
    draw_rule_failures,
    may_be_draw_memo,
    merge_draw_memos,
    note_draw_memo,
)
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
    draw_memos: dict[str, list[DrawMemo]] = field(default_factory=dict)
    """Each lot's draw memos (``draw_commitment``, ``draw_inputs``, ``draw_result``) as
    (line, seq, kind, metadata), in export order: what the draw rules (C3) were run on."""


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
# verbatim and that sort the same by code point, by UTF-8 byte and by UTF-16 unit,
# integers are plain decimals), so its body bytes are the line minus the ``hash``
# member. It works on the raw bytes: a string byte is anything but '"', backslash,
# controls and 0xED-0xFF, so once the line is known to be UTF-8 every character in it is
# below U+D000. Anything else, however legitimate, goes through the general path, which
# defines correctness.
_SAFE = rb"[\x20\x21\x23-\x5b\x5d-\xec]"
_INT = rb"(?:0|-?[1-9][0-9]{0,14})"  # |n| < 10**15 < 2**53: no range check needed
_STRING = b'"' + _SAFE + b'*"'
_VALUE = rb"(?:" + _STRING + b"|" + _INT + rb"|true|false|null)"


def _flat_object(value: bytes) -> bytes:
    member = b'"' + _SAFE + b'+":' + value
    return rb"\{(?:" + member + b"(?:," + member + rb")*)?\}"


# One posting; the line pattern holds four such slots (almost every transaction has at
# most four postings) and a tail that `_POSTING` splits up in the rare longer case.
_POSTING = (
    rb'\{"account":"(' + _SAFE + rb'+)","account_version":([1-9][0-9]{0,14}),'
    rb'"amount":(-?[1-9][0-9]{0,14}),"asset":"(USD|CRD)","balance_after":(' + _INT + rb")\}"
)
_POSTING_SLOTS = (3, 8, 13, 18)  # the group index (0-based) of each slot's account
_POSTINGS_TAIL = 23
_CANONICAL_LINE = re.compile(
    rb'\{"created_at":"([0-9]{4}-[0-9]{2}-[0-9]{2})T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]'
    rb'\.[0-9]{6}Z","hash":"([0-9a-f]{64})",'
    rb'"id":"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",'
    rb'"kind":"[a-z][a-z0-9_]*","metadata":(' + _flat_object(_VALUE) + b"),"
    rb'"postings":\[(?:'
    + _POSTING
    + b"(?:,"
    + _POSTING
    + b"(?:,"
    + _POSTING
    + b"(?:,"
    + _POSTING
    + rb"((?:,"
    + re.sub(rb"\((?!\?)", b"(?:", _POSTING)
    + rb")*))?)?)?)?\],"
    rb'"prev_hash":"([0-9a-f]{64})","refs":(' + _flat_object(_STRING) + b"),"
    rb'"seq":([1-9][0-9]{0,14})\}\n?'
)
_POSTINGS = re.compile(_POSTING)
_ASSET_NAMES = {b"USD": "USD", b"CRD": "CRD"}
_MEMBER_NAMES = re.compile(b'"([^"]*)":')

_DRAW_KIND = MARKER_BYTES.search  # `may_be_draw_memo`, inlined in the line loop

Posting = tuple[str, str, int, int, int]
"""(account, asset, amount, balance_after, account_version)"""

_Line = tuple[int, str, str, list[Posting], bytes]
"""A parsed line: (seq, prev_hash, hash, postings, body bytes that ``hash`` covers)."""


def _sorted_members(text: bytes) -> bool:
    """True if a flat object's member names are strictly increasing (sorted, unique)."""
    if b',"' not in text:
        return True
    names = _MEMBER_NAMES.findall(text)
    return names == sorted(set(names))


def _sorted_refs(text: bytes) -> bool:
    """`_sorted_members` for refs, whose values are strings without quotes (fast path)."""
    if b',"' not in text:
        return True
    names = text.split(b'"')[1::4]  # {"name":"value","name":"value"}
    return names == sorted(set(names))


def _checked_date(date: bytes, number: int, cache: dict[bytes, bool]) -> None:
    text = date.decode()
    try:
        datetime.strptime(text, "%Y-%m-%d")  # a calendar check only
    except ValueError as exc:
        raise _field_error(number, "created_at", f"{text} is not a valid date") from exc
    if len(cache) > 1024:
        cache.clear()
    cache[date] = True


def _parse_fast(raw: bytes, number: int, dates: dict[bytes, bool]) -> _Line | None:
    """Parse a line already in canonical form, or return None to take the general path."""
    match = _CANONICAL_LINE.fullmatch(raw)
    if match is None:
        return None
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return None  # the general path says why
    groups = match.groups()
    if not (_sorted_members(groups[2]) and _sorted_refs(groups[25])):
        return None
    if groups[0] not in dates:
        _checked_date(groups[0], number, dates)
    postings: list[Posting] = []
    for slot in _POSTING_SLOTS:
        account = groups[slot]
        if account is None:
            break
        postings.append(
            (
                account.decode(),
                _ASSET_NAMES[groups[slot + 3]],
                int(groups[slot + 2]),
                int(groups[slot + 4]),
                int(groups[slot + 1]),
            )
        )
    else:
        if groups[_POSTINGS_TAIL]:
            for account, version, amount, asset, balance_after in _POSTINGS.findall(
                groups[_POSTINGS_TAIL]
            ):
                postings.append(
                    (
                        account.decode(),
                        _ASSET_NAMES[asset],
                        int(amount),
                        int(balance_after),
                        int(version),
                    )
                )
    end = len(raw) - 1 if raw[-1] == 0x0A else len(raw)
    return (
        int(groups[26]),
        groups[24].decode(),
        groups[1].decode(),
        postings,
        raw[:_HASH_MEMBER_START] + raw[_HASH_MEMBER_START + _HASH_MEMBER_LENGTH : end],
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
    return (
        transaction["seq"],
        transaction["prev_hash"],
        transaction["hash"],
        [
            (p["account"], p["asset"], p["amount"], p["balance_after"], p["account_version"])
            for p in transaction["postings"]
        ],
        body_bytes,
    )


def _parse_line(raw: bytes | str, number: int, dates: dict[bytes, bool]) -> _Line:
    """Parse one export line (with or without its newline) by the fast or general path."""
    if isinstance(raw, bytes):
        line = _parse_fast(raw, number, dates)
    else:
        try:
            line = _parse_fast(raw.encode(), number, dates)
        except UnicodeEncodeError:  # a lone surrogate: the general path reports it
            line = None
    return line or _parse_general(_line_text(raw, number), number)


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


# --- the checks ----------------------------------------------------------------------
# Each rule is written once, here, and called from the line loop only when the quick
# test there sees a mismatch, and from the stitching of chunks verified in parallel.


def _is_user_credits(account: str) -> bool:
    return account.startswith("user:") and account.endswith(":credits") and account.count(":") == 2


def _check_link(
    out: list[Any],
    number: int,
    seq: int,
    prev_hash: str,
    expected_seq: int,
    head_hash: str | None,
) -> None:
    """``seq`` and ``chain``; ``head_hash`` None: the predecessor is not in the export."""
    if seq != expected_seq:
        out.append(LedgerFailure(number, seq, "seq", f"expected seq {expected_seq}, got {seq}"))
    if head_hash is not None and prev_hash != head_hash:
        out.append(
            LedgerFailure(
                number,
                seq,
                "chain",
                f"prev_hash {prev_hash} is not the previous line's hash {head_hash}",
            )
        )


def _check_continuity(
    out: list[Any],
    number: int,
    seq: int,
    posting: Posting,
    previous: tuple[int, int] | None,
    partial: bool,
) -> None:
    """``balance_after``, ``account_version`` and ``non_negative`` of one posting.

    ``previous`` is the (balance, version) the account's last posting stated; None if
    this is its first posting in the export, which opens at zero, or, in a partial
    export, as stated.
    """
    account, asset, amount, balance_after, version = posting
    if previous is None:
        previous = (balance_after - amount, version - 1) if partial else (0, 0)
    balance = previous[0] + amount
    if balance_after != balance:
        out.append(
            LedgerFailure(
                number,
                seq,
                "balance_after",
                f"{account} {asset}: {previous[0]} + {amount} = {balance}, "
                f"line says {balance_after}",
            )
        )
    if version != previous[1] + 1:
        out.append(
            LedgerFailure(
                number,
                seq,
                "account_version",
                f"{account} {asset}: expected version {previous[1] + 1}, line says {version}",
            )
        )
    if (balance < 0 or balance_after < 0) and _is_user_credits(account):
        out.append(
            LedgerFailure(
                number,
                seq,
                "non_negative",
                f"{account} {asset} goes to {min(balance, balance_after)}",
            )
        )


def _check_balanced(out: list[Any], number: int, seq: int, postings: list[Posting]) -> None:
    sums: dict[str, int] = {}
    for _, asset, amount, _, _ in postings:
        sums[asset] = sums.get(asset, 0) + amount
    for asset, total in sums.items():
        if total != 0:
            out.append(
                LedgerFailure(number, seq, "balanced", f"{asset} postings sum to {total}, not 0")
            )


# --- the line loop ---------------------------------------------------------------------

# Checks a run of lines cannot do alone (in a chunk that does not start the export),
# recorded in place among its failures for the caller to resolve in order:
_LINK = 0  # (_LINK, number, seq, prev_hash): the first line's seq and chain
_OPENING = 1  # (_OPENING, number, seq, posting): an account's first posting in the run
_Deferred = tuple[int, int, int, Any]


@dataclass
class _Run:
    """What the line loop remembers across lines: O(accounts), not O(transactions).

    A run is the whole export (verified in one pass) or one chunk of it. ``expected_seq``
    None means the line before the run is unknown: the first line's link and each
    account's first posting are then deferred (see `_LINK`, `_OPENING`).
    """

    expected_seq: int | None
    head_hash: str | None
    partial: bool = False
    events: list[LedgerFailure | _Deferred] = field(default_factory=list)
    deferred: int = 0
    accounts: dict[tuple[str, str], tuple[int, int, int]] = field(default_factory=dict)
    volume: dict[str, int] = field(default_factory=dict)
    leaves: bytearray = field(default_factory=bytearray)
    lines: int = 0
    postings: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    seq_breaks: list[tuple[int, int]] = field(default_factory=list)
    dates: dict[bytes, bool] = field(default_factory=dict)
    draws: dict[str, list[DrawMemo]] = field(default_factory=dict)


def _verify_lines(run: _Run, lines: Iterable[bytes | str], budget: int) -> None:
    """Verify ``lines`` (numbered on from ``run.lines``) into ``run``.

    Stops after the line at which ``run`` holds ``budget`` failures. A malformed line
    raises InputError; ``run`` then holds everything before it. Written for speed: this
    loop is the verifier's running time.
    """
    events = run.events
    accounts = run.accounts
    volume = run.volume
    leaves = run.leaves
    seq_breaks = run.seq_breaks
    dates = run.dates
    draws = run.draws
    partial = run.partial
    defer = run.expected_seq is None
    expected_seq = run.expected_seq
    head_hash = run.head_hash
    number = run.lines
    last_seq = run.last_seq
    deferred = run.deferred
    posted = run.postings
    usd_volume = volume.get("USD", 0)
    crd_volume = volume.get("CRD", 0)
    sha256 = hashlib.sha256
    fast = _parse_fast
    budget += deferred  # budget counts failures, not deferred checks
    try:
        for raw in lines:
            number += 1
            if type(raw) is bytes:
                line = fast(raw, number, dates) or _parse_general(_line_text(raw, number), number)
                draw_memo = _DRAW_KIND(raw) is not None
            else:
                line = _parse_line(raw, number, dates)
                draw_memo = may_be_draw_memo(raw)
            seq, prev_hash, stated_hash, postings, body = line
            leaf = sha256(b"\x00" + body).digest()
            if leaf.hex() != stated_hash:
                events.append(
                    LedgerFailure(
                        number, seq, "hash", f"body hashes to {leaf.hex()}, line says {stated_hash}"
                    )
                )
            if seq != expected_seq or prev_hash != head_hash:
                if seq != expected_seq:
                    seq_breaks.append((number, seq))
                if expected_seq is None:
                    events.append((_LINK, number, seq, prev_hash))
                    deferred += 1
                    budget += 1
                else:
                    _check_link(events, number, seq, prev_hash, expected_seq, head_hash)
            if postings:
                posted += len(postings)
                usd = crd = 0  # the only two assets (both parsers check)
                for posting in postings:
                    account, asset, amount, balance_after, version = posting
                    key = (account, asset)
                    previous = accounts.get(key)
                    if previous is not None and previous[2] == number:
                        events.append(
                            LedgerFailure(
                                number, seq, "posting", f"{account} {asset} is posted to twice"
                            )
                        )
                    if amount == 0:
                        events.append(
                            LedgerFailure(
                                number, seq, "posting", f"{account} {asset} has a zero amount"
                            )
                        )
                    if asset == "USD":
                        usd += amount
                        if amount > 0:
                            usd_volume += amount
                    else:
                        crd += amount
                        if amount > 0:
                            crd_volume += amount
                    if previous is None:
                        if defer:
                            events.append((_OPENING, number, seq, posting))
                            deferred += 1
                            budget += 1
                        else:
                            _check_continuity(events, number, seq, posting, None, partial)
                    elif (
                        balance_after != previous[0] + amount
                        or version != previous[1] + 1
                        or (balance_after < 0 and account.startswith("user:"))
                    ):
                        _check_continuity(events, number, seq, posting, previous[:2], partial)
                    accounts[key] = (balance_after, version, number)
                if usd or crd:
                    _check_balanced(events, number, seq, postings)
            if draw_memo:  # draw memos and purchases: parsed again for the draw rules
                note_draw_memo(draws, number, raw)
            leaves += leaf
            # Later lines are checked against what this line states, so that one bad
            # line is reported where it is, not again on every line after it.
            expected_seq = seq + 1
            head_hash = stated_hash
            if last_seq is None:
                run.first_seq = seq
            last_seq = seq
            if len(events) >= budget:
                break
    finally:
        run.lines = number
        run.expected_seq = expected_seq
        run.head_hash = head_hash
        run.last_seq = last_seq
        run.deferred = deferred
        run.postings = posted
        if usd_volume:
            volume["USD"] = usd_volume
        if crd_volume:
            volume["CRD"] = crd_volume


def _append_leaves(compact: CompactRange, leaves: bytes) -> None:
    append = compact.append
    for start in range(0, len(leaves), 32):
        append(leaves[start : start + 32])


def _add_draw_failures(
    failures: list[Any],
    draws: dict[str, list[DrawMemo]],
    partial: bool,
    max_failures: int,
) -> bool:
    """Merge the draw rules' failures (C3, judged once every line is read) into
    ``failures`` by line; keep at most ``max_failures``; True if some were cut off."""
    found = [
        LedgerFailure(line, seq, check, message)
        for line, seq, check, message in draw_rule_failures(draws, partial=partial)
    ]
    if not found:
        return False
    merged = sorted(
        [f for f in failures if isinstance(f, LedgerFailure)] + found,
        key=lambda failure: failure.line,
    )
    failures[:] = merged[:max_failures]
    return len(merged) > max_failures


def _root_failure(
    compact: CompactRange, checkpoint: Checkpoint, line: int, seq: int | None
) -> list[LedgerFailure]:
    root = compact.root()
    if root == checkpoint.root_hash:
        return []
    return [
        LedgerFailure(
            line,
            seq,
            "checkpoint",
            f"Merkle root at size {checkpoint.size} is {root.hex()}, "
            f"the checkpoint says {checkpoint.root_hash.hex()}",
        )
    ]


def _short_export(checkpoint: Checkpoint, line: int, seq: int | None) -> LedgerFailure:
    return LedgerFailure(
        line,
        seq,
        "checkpoint",
        f"the export ends after {line} transactions; the checkpoint covers {checkpoint.size}",
    )


def _checked_options(
    signed_checkpoint: str | None, verifier_key: str | None, start_seq: int, max_failures: int
) -> Checkpoint | None:
    """Refuse bad options; verify the checkpoint's signature and return it, if given."""
    if (signed_checkpoint is None) != (verifier_key is None):
        raise InputError("a checkpoint and its verifier key go together", where="checkpoint")
    if start_seq < 1:
        raise InputError("must be at least 1", where="start_seq")
    if max_failures < 1:
        raise InputError("must be at least 1", where="max_failures")
    if signed_checkpoint is None or verifier_key is None:
        return None
    if start_seq != 1:
        raise InputError(
            "a partial export cannot be checked against a checkpoint", where="start_seq"
        )
    return verify_checkpoint(signed_checkpoint, verifier_key)


def _summary(
    *,
    transactions: int,
    first_seq: int | None,
    last_seq: int | None,
    head_hash: str | None,
    compact: CompactRange | None,
    checkpoint: Checkpoint | None,
    accounts: dict[tuple[str, str], tuple[int, int, int]],
    volume: dict[str, int],
    postings: int,
    draws: dict[str, list[DrawMemo]],
) -> LedgerSummary:
    return LedgerSummary(
        transactions=transactions,
        first_seq=first_seq,
        last_seq=last_seq,
        head_hash=GENESIS_PREV_HASH if head_hash is None else head_hash,
        merkle_root=compact.root() if compact is not None else None,
        checkpoint=checkpoint,
        balances=tuple(
            AccountBalance(account, asset, state[0], state[1])
            for (account, asset), state in sorted(accounts.items())
        ),
        volume=dict(sorted(volume.items())),
        postings=postings,
        draw_memos=draws,
    )


_BATCH = 4096  # lines verified between Merkle updates in a single pass


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
    checkpoint = _checked_options(signed_checkpoint, verifier_key, start_seq, max_failures)
    run = _Run(
        expected_seq=start_seq,
        head_hash=GENESIS_PREV_HASH if start_seq == 1 else None,
        partial=start_seq != 1,
    )
    failures = run.events  # a run that starts the export defers nothing
    compact = CompactRange()
    root_checked = checkpoint is not None and checkpoint.size == 0
    if checkpoint is not None and root_checked:
        failures.extend(_root_failure(compact, checkpoint, 0, None))
    remaining = iter(lines)
    truncated = False
    while True:
        batch = _BATCH
        if checkpoint is not None and not root_checked:
            batch = min(batch, checkpoint.size - run.lines)  # stop at the checkpoint's size
        before = run.lines
        _verify_lines(run, itertools.islice(remaining, batch), max_failures)
        _append_leaves(compact, bytes(run.leaves))
        run.leaves.clear()
        if checkpoint is not None and not root_checked and run.lines == checkpoint.size:
            root_checked = True
            failures.extend(_root_failure(compact, checkpoint, run.lines, run.last_seq))
        if len(failures) >= max_failures:
            truncated = True
            break
        if run.lines - before < batch:
            break
    if checkpoint is not None and not truncated and not root_checked:
        failures.append(_short_export(checkpoint, run.lines, run.last_seq))
    summary = _summary(
        transactions=run.lines,
        first_seq=run.first_seq,
        last_seq=run.last_seq,
        head_hash=run.head_hash,
        compact=compact if start_seq == 1 else None,
        checkpoint=checkpoint,
        accounts=run.accounts,
        volume=run.volume,
        postings=run.postings,
        draws=run.draws,
    )
    if not truncated:
        truncated = _add_draw_failures(failures, run.draws, start_seq != 1, max_failures)
    if failures:
        found = [f for f in failures if isinstance(f, LedgerFailure)]
        raise LedgerFailed(found[:max_failures], truncated=truncated, summary=summary)
    return summary


# --- files: several CPUs -----------------------------------------------------------------
# A big export file is cut at line boundaries into chunks that worker processes verify
# independently (`_verify_chunk`); the parent then stitches their results in file
# order, resolving what no chunk can check alone: each chunk's first link, and each
# account's first posting in the chunk against its last posting in earlier chunks.
# The result, failures and messages included, is exactly that of one pass. Rather than
# reproduce a one-pass summary cut off in the middle of a chunk, an export that hits
# ``max_failures`` is simply verified again in one pass.

DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class _ChunkResult:
    """What a worker found in one chunk; line numbers count from the chunk's start."""

    lines: int
    events: list[LedgerFailure | _Deferred]
    accounts: dict[tuple[str, str], tuple[int, int, int]]
    volume: dict[str, int]
    postings: int
    leaves: bytes
    last_seq: int | None
    head_hash: str | None
    seq_breaks: list[tuple[int, int]]
    error: tuple[str, str | None] | None  # (message, where) of a malformed line
    draws: dict[str, list[DrawMemo]]


class _TooManyFailures(Exception):
    pass


def _lines_between(handle: Any, length: int) -> Iterable[bytes]:
    for raw in handle:
        yield raw
        length -= len(raw)
        if length <= 0:
            return


def _verify_chunk(task: tuple[str, int, int, int]) -> _ChunkResult:
    """Verify the lines of ``path`` in bytes [start, end): runs in a worker process."""
    path, start, end, max_failures = task
    run = _Run(expected_seq=None, head_hash=None)
    error = None
    with open(path, "rb") as handle:
        handle.seek(start)
        try:
            _verify_lines(run, _lines_between(handle, end - start), max_failures)
        except InputError as exc:
            message = str(exc)
            if exc.where is not None:
                message = message.removeprefix(f"{exc.where}: ")
            error = (message, exc.where)
            run.lines -= 1  # the malformed line was counted, not verified
    return _ChunkResult(
        lines=run.lines,
        events=run.events,
        accounts=run.accounts,
        volume=run.volume,
        postings=run.postings,
        leaves=bytes(run.leaves),
        last_seq=run.last_seq,
        head_hash=run.head_hash,
        seq_breaks=run.seq_breaks,
        error=error,
        draws=run.draws,
    )


def _chunk_bounds(path: str, size: int, chunk_bytes: int) -> list[int]:
    """Offsets that cut the file into chunks of about ``chunk_bytes``, each after a newline."""
    bounds = [0]
    with open(path, "rb") as handle:
        while bounds[-1] + chunk_bytes < size:
            handle.seek(bounds[-1] + chunk_bytes - 1)
            handle.readline()
            end = handle.tell()
            if end >= size:
                break
            bounds.append(end)
    bounds.append(size)
    return bounds


def _seq_at(seq_breaks: list[tuple[int, int]], line: int) -> int:
    """The seq of a chunk's line, from the lines where seq does not count up by one."""
    seq = 0
    for number, stated in seq_breaks:
        if number > line:
            break
        seq = stated + (line - number)
    return seq


def _rebased(where: str | None, line: int, base: int) -> str | None:
    """``where`` of a chunk's malformed ``line``, numbered from the export's start."""
    prefix = f"line {line}"
    if where is not None and (where == prefix or where.startswith(prefix + " ")):
        return f"line {line + base}" + where[len(prefix) :]
    return where


def _worker_context() -> multiprocessing.context.BaseContext:
    """Workers inherit no state from the caller: forked from a fresh server process that
    has imported this module once (later pools start fast), or spawned where that is not
    available."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


_ChunkTask = tuple[str, int, int, int]
_MapChunks = Callable[
    [Callable[[_ChunkTask], _ChunkResult], list[_ChunkTask]], Iterable[_ChunkResult]
]


def _verify_in_chunks(
    path: str,
    bounds: list[int],
    checkpoint: Checkpoint | None,
    start_seq: int,
    max_failures: int,
    map_chunks: _MapChunks,
) -> LedgerSummary:
    """Verify the chunks between ``bounds`` with ``map_chunks`` (a pool's ordered map)."""
    tasks = [(path, a, b, max_failures) for a, b in itertools.pairwise(bounds)]
    partial = start_seq != 1
    expected_seq = start_seq
    head_hash = None if partial else GENESIS_PREV_HASH
    accounts: dict[tuple[str, str], tuple[int, int, int]] = {}
    volume: dict[str, int] = {}
    draws: dict[str, list[DrawMemo]] = {}
    postings = transactions = 0
    first_seq: int | None = None
    last_seq: int | None = None
    failures: list[LedgerFailure] = []
    compact = CompactRange()
    root_checked = checkpoint is not None and checkpoint.size == 0
    if checkpoint is not None and root_checked:
        failures.extend(_root_failure(compact, checkpoint, 0, None))
    for chunk in map_chunks(_verify_chunk, tasks):
        base = transactions
        found: list[LedgerFailure] = []
        for event in chunk.events:
            if isinstance(event, LedgerFailure):
                found.append(replace(event, line=event.line + base))
            elif event[0] == _LINK:
                _, number, seq, prev_hash = event
                _check_link(found, number + base, seq, prev_hash, expected_seq, head_hash)
            else:
                _, number, seq, posting = event
                previous = accounts.get((posting[0], posting[1]))
                _check_continuity(
                    found,
                    number + base,
                    seq,
                    posting,
                    None if previous is None else previous[:2],
                    partial,
                )
        leaves = chunk.leaves
        if checkpoint is not None and not root_checked:
            covered = checkpoint.size - base  # lines of this chunk under the checkpoint
            if covered <= chunk.lines:
                _append_leaves(compact, leaves[: 32 * covered])
                leaves = leaves[32 * covered :]
                root_checked = True
                line = checkpoint.size
                at = next((i for i, f in enumerate(found) if f.line > line), len(found))
                found[at:at] = _root_failure(
                    compact, checkpoint, line, _seq_at(chunk.seq_breaks, covered)
                )
        _append_leaves(compact, leaves)
        failures += found
        if len(failures) >= max_failures:
            raise _TooManyFailures
        if chunk.error is not None:
            message, where = chunk.error
            raise InputError(message, where=_rebased(where, chunk.lines + 1, base))
        if chunk.lines:
            if first_seq is None:
                first_seq = chunk.seq_breaks[0][1]
            assert chunk.last_seq is not None
            assert chunk.head_hash is not None
            last_seq, head_hash = chunk.last_seq, chunk.head_hash
            expected_seq = last_seq + 1
        transactions += chunk.lines
        accounts.update(chunk.accounts)
        for asset, amount in chunk.volume.items():
            volume[asset] = volume.get(asset, 0) + amount
        postings += chunk.postings
        merge_draw_memos(draws, chunk.draws, base)
    with open(path, "rb") as handle:
        handle.seek(bounds[-1] - 1)
        if handle.read(1) != b"\n":
            raise InputError(_NO_FINAL_NEWLINE, where=f"line {transactions}")
    if checkpoint is not None and not root_checked:
        failures.append(_short_export(checkpoint, transactions, last_seq))
    summary = _summary(
        transactions=transactions,
        first_seq=first_seq,
        last_seq=last_seq,
        head_hash=head_hash,
        compact=None if partial else compact,
        checkpoint=checkpoint,
        accounts=accounts,
        volume=volume,
        postings=postings,
        draws=draws,
    )
    truncated = _add_draw_failures(failures, draws, partial, max_failures)
    if failures:
        raise LedgerFailed(failures, truncated=truncated, summary=summary)
    return summary


_NO_FINAL_NEWLINE = "the last line has no newline: the export looks truncated"


def _complete_lines(lines: Iterable[bytes]) -> Iterator[bytes]:
    """The lines, refusing a last line without its newline (a cut-off file)."""
    number = 0
    for number, line in enumerate(lines, start=1):
        yield line
        if not line.endswith(b"\n"):
            raise InputError(_NO_FINAL_NEWLINE, where=f"line {number}")


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def verify_ledger_file(
    path: str | os.PathLike[str],
    *,
    signed_checkpoint: str | None = None,
    verifier_key: str | None = None,
    start_seq: int = 1,
    max_failures: int = DEFAULT_MAX_FAILURES,
    workers: int | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> LedgerSummary:
    """`verify_ledger` over an export file, on several CPUs when the file is big.

    Same checks, summary and failures as `verify_ledger` over the file's lines; a
    last line without its newline is an InputError (the file was cut off). A file
    larger than ``chunk_bytes`` is verified in chunks by ``workers`` processes (default:
    the CPUs this process may use); ``workers=1`` verifies in one pass.
    """
    checkpoint = _checked_options(signed_checkpoint, verifier_key, start_seq, max_failures)
    if chunk_bytes < 1:
        raise InputError("must be at least 1", where="chunk_bytes")
    path = os.fspath(path)
    size = os.path.getsize(path)
    workers = _available_cpus() if workers is None else workers
    if workers > 1 and size > chunk_bytes:
        bounds = _chunk_bounds(path, size, chunk_bytes)
        try:
            with _worker_context().Pool(min(workers, len(bounds) - 1)) as pool:
                return _verify_in_chunks(
                    path, bounds, checkpoint, start_seq, max_failures, pool.imap
                )
        except _TooManyFailures:
            pass
    with open(path, "rb") as handle:
        return verify_ledger(
            _complete_lines(handle),
            signed_checkpoint=signed_checkpoint,
            verifier_key=verifier_key,
            start_seq=start_seq,
            max_failures=max_failures,
        )
