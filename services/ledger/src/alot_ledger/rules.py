"""Posting rules: what a well-formed ledger transaction is, checked before any SQL.

Everything here is pure: a request that fails these checks is rejected before the
ledger takes its lock, so a rejection never leaves a trace. The checks that need the
current balances (insufficient funds) live in the appender.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from alot_verify.canonical import MAX_SAFE_INTEGER, canonical_json
from alot_verify.errors import InputError

from alot_ledger.errors import (
    DuplicatePosting,
    InvalidAmount,
    InvalidTransaction,
    UnbalancedTransaction,
    UnknownAsset,
)

ASSETS = ("USD", "CRD")
"""USD in cents, CRD in credits."""

_ACCOUNT_NAME = re.compile(r"[a-z][a-z0-9_]*(?::[a-z0-9][a-z0-9_.-]*)+")
_USER_CREDITS = re.compile(r"user:[a-z0-9][a-z0-9_.-]*:credits")
_SNAKE_CASE = re.compile(r"[a-z][a-z0-9_]*")
_MAX_NAME = 200
_MAX_METADATA_BYTES = 65536


@dataclass(frozen=True, slots=True)
class Posting:
    """One signed movement of one asset on one account (the sum per asset is zero)."""

    account: str
    asset: str
    amount: int


@dataclass(frozen=True, slots=True)
class TransactionRequest:
    """A validated request to append one transaction."""

    kind: str
    postings: tuple[Posting, ...]
    refs: Mapping[str, str]
    metadata: Mapping[str, Any]
    idempotency_key: str | None
    request_hash: str | None
    """SHA-256 of the canonical request (only with a key): equal bodies under one key
    are the same post."""
    refs_json: str
    metadata_json: str
    """refs and metadata as canonical JSON text, as stored and hashed."""


PostingInput = Posting | Mapping[str, Any] | tuple[str, str, int]


def is_valid_account_name(name: object) -> bool:
    return isinstance(name, str) and len(name) <= _MAX_NAME and bool(_ACCOUNT_NAME.fullmatch(name))


def must_not_go_negative(account: str) -> bool:
    """The policy flag an account gets when it is opened: user credits never go negative."""
    return bool(_USER_CREDITS.fullmatch(account))


def check_account(account: object, asset: object) -> tuple[str, str]:
    """Validate an (account, asset) pair against the naming rules and the chart."""
    if asset not in ASSETS:
        raise UnknownAsset(asset)
    if not isinstance(account, str) or not is_valid_account_name(account):
        raise InvalidTransaction(
            f"account name {account!r} is not a path of lowercase segments like 'user:<id>:credits'"
        )
    if must_not_go_negative(account) and asset != "CRD":
        raise InvalidTransaction(f"{account} holds credits only (CRD), not {asset}")
    return account, str(asset)


def check_amount(account: str, asset: str, amount: object, *, positive: bool = False) -> int:
    """An amount is a non-zero integer in minor units within the canonical-JSON range."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        kind = "float" if isinstance(amount, float) else type(amount).__name__
        raise InvalidAmount(
            account, asset, amount, f"{kind} given; amounts are integers in minor units"
        )
    if amount == 0:
        raise InvalidAmount(account, asset, amount, "must not be zero")
    if positive and amount < 0:
        raise InvalidAmount(account, asset, amount, "must be positive")
    if abs(amount) > MAX_SAFE_INTEGER:
        raise InvalidAmount(account, asset, amount, "outside +/-(2**53 - 1)")
    return int(amount)


def _posting(raw: PostingInput) -> Posting:
    if isinstance(raw, Posting):
        account, asset, amount = raw.account, raw.asset, raw.amount
    elif isinstance(raw, Mapping):
        extra = set(raw) - {"account", "asset", "amount"}
        missing = {"account", "asset", "amount"} - set(raw)
        if extra or missing:
            raise InvalidTransaction("a posting has exactly the members account, asset and amount")
        account, asset, amount = raw["account"], raw["asset"], raw["amount"]
    elif isinstance(raw, tuple) and len(raw) == 3:
        account, asset, amount = raw
    else:
        raise InvalidTransaction(f"cannot read a posting from {type(raw).__name__}")
    account, asset = check_account(account, asset)
    return Posting(account, asset, check_amount(account, asset, amount))


def _snake_case(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) > 64 or not _SNAKE_CASE.fullmatch(value):
        raise InvalidTransaction(f"{what} {value!r} must be snake_case, at most 64 characters")
    return value


def _refs(refs: Mapping[str, Any] | None) -> dict[str, str]:
    if refs is None:
        return {}
    if not isinstance(refs, Mapping):
        raise InvalidTransaction("refs must be an object of name -> id string")
    out: dict[str, str] = {}
    for name, value in refs.items():
        _snake_case(name, "ref name")
        if (
            not isinstance(value, str)
            or not value
            or len(value) > _MAX_NAME
            or not value.isprintable()
        ):
            raise InvalidTransaction(
                f"ref {name!r} must be a non-empty printable id string (ids only, no personal data)"
            )
        out[name] = value
    return out


def _metadata(metadata: Mapping[str, Any] | None) -> tuple[dict[str, Any], str]:
    if metadata is None:
        return {}, "{}"
    if not isinstance(metadata, Mapping):
        raise InvalidTransaction("metadata must be an object")
    try:
        text = canonical_json(metadata)
    except InputError as exc:
        raise InvalidTransaction(f"metadata: {exc}") from exc
    if len(text) > _MAX_METADATA_BYTES:
        raise InvalidTransaction(f"metadata is {len(text)} bytes; at most {_MAX_METADATA_BYTES}")
    return dict(metadata), text.decode()


def _idempotency_key(key: object) -> str | None:
    if key is None:
        return None
    if (
        not isinstance(key, str)
        or not 1 <= len(key) <= _MAX_NAME
        or not key.isascii()
        or not key.isprintable()
    ):
        raise InvalidTransaction("idempotency key must be 1-200 printable ASCII characters")
    return key


def build_request(
    kind: str,
    postings: Iterable[PostingInput],
    *,
    refs: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> TransactionRequest:
    """Check a transaction request and return it normalized; raise on the first problem."""
    kind = _snake_case(kind, "kind")
    if isinstance(postings, str | bytes | Mapping):
        raise InvalidTransaction("postings must be a list of postings")
    parsed = tuple(_posting(raw) for raw in postings)
    seen: set[tuple[str, str]] = set()
    totals: dict[str, int] = {}
    for posting in parsed:
        pair = (posting.account, posting.asset)
        if pair in seen:
            raise DuplicatePosting(*pair)
        seen.add(pair)
        totals[posting.asset] = totals.get(posting.asset, 0) + posting.amount
    for asset, total in totals.items():
        if total != 0:
            raise UnbalancedTransaction(asset, total)
    clean_refs = _refs(refs)
    clean_metadata, metadata_json = _metadata(metadata)
    key = _idempotency_key(idempotency_key)
    request_hash = None
    if key is not None:
        canonical_request = canonical_json(
            {
                "kind": kind,
                "postings": [[p.account, p.asset, p.amount] for p in parsed],
                "refs": clean_refs,
                "metadata": clean_metadata,
            }
        )
        request_hash = hashlib.sha256(canonical_request).hexdigest()
    return TransactionRequest(
        kind=kind,
        postings=parsed,
        refs=clean_refs,
        metadata=clean_metadata,
        idempotency_key=key,
        request_hash=request_hash,
        refs_json=canonical_json(clean_refs).decode() if clean_refs else "{}",
        metadata_json=metadata_json,
    )


def transfer_postings(source: str, destination: str, asset: str, amount: object) -> list[Posting]:
    """The two postings that move a positive ``amount`` from ``source`` to ``destination``."""
    source, asset = check_account(source, asset)
    destination, _ = check_account(destination, asset)
    value = check_amount(source, asset, amount, positive=True)
    return [Posting(source, asset, -value), Posting(destination, asset, value)]
