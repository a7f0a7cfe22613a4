"""The ledger's errors: one base class with an HTTP status and a stable code.

Every rejection raises before anything is written, so a caller that catches one of these
knows the ledger is unchanged. Codes are stable (clients branch on them) and appear in
problem+json responses as ``type = urn:alot:problem:<code>``.

    LedgerError
     +-- InvalidTransaction (422)      malformed request: kind, refs, metadata, names
     |    +-- UnknownAsset             asset is not USD or CRD
     |    +-- InvalidAmount            zero, float, bool, non-integer, out of range, or
     |    |                            negative where a positive amount is required
     |    +-- DuplicatePosting         the same (account, asset) twice in one transaction
     |    +-- UnbalancedTransaction    the amounts of one asset do not sum to zero
     +-- InsufficientFunds (409)       a must-not-go-negative account would go below zero
     +-- IdempotencyConflict (409)     the key was used before with a different body
     +-- NotFound (404)                no such transaction or account
     |    +-- CheckpointNotFound       no checkpoint (of that size) has been made
     |    +-- NotCheckpointed          the transaction exists but no checkpoint covers it
     +-- InvalidRange (422)            a seq or tree size outside what the ledger holds
     |    +-- InvalidCursor            a list's cursor that is not one it returned
     +-- LedgerUnavailable (503)       the committing writer is stopped
"""

from __future__ import annotations

from typing import Any, ClassVar


class LedgerError(Exception):
    """Base of every expected ledger failure."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "ledger_error"
    title: ClassVar[str] = "Ledger error"

    def __init__(self, detail: str, **extra: Any) -> None:
        self.detail = detail
        self.extra = extra
        super().__init__(detail)


class InvalidTransaction(LedgerError):
    status_code = 422
    code = "invalid_transaction"
    title = "Invalid ledger transaction"


class UnknownAsset(InvalidTransaction):
    code = "unknown_asset"
    title = "Unknown asset"

    def __init__(self, asset: object) -> None:
        super().__init__(f"unknown asset {asset!r}: expected USD or CRD", asset=str(asset))


class InvalidAmount(InvalidTransaction):
    code = "invalid_amount"
    title = "Invalid amount"

    def __init__(self, account: str, asset: str, amount: object, reason: str) -> None:
        super().__init__(
            f"amount {amount!r} for {account} {asset}: {reason}",
            account=account,
            asset=asset,
        )


class DuplicatePosting(InvalidTransaction):
    code = "duplicate_posting"
    title = "Account posted twice in one transaction"

    def __init__(self, account: str, asset: str) -> None:
        super().__init__(
            f"{account} {asset} appears more than once in the transaction",
            account=account,
            asset=asset,
        )


class UnbalancedTransaction(InvalidTransaction):
    code = "unbalanced_transaction"
    title = "Postings do not balance"

    def __init__(self, asset: str, total: int) -> None:
        super().__init__(f"{asset} postings sum to {total}, not 0", asset=asset, total=total)


class InsufficientFunds(LedgerError):
    status_code = 409
    code = "insufficient_funds"
    title = "Insufficient funds"

    def __init__(self, account: str, asset: str, balance: int, amount: int) -> None:
        super().__init__(
            f"{account} holds {balance} {asset}; posting {amount} would make it negative",
            account=account,
            asset=asset,
            balance=balance,
        )


class IdempotencyConflict(LedgerError):
    status_code = 409
    code = "idempotency_conflict"
    title = "Idempotency key reused with a different request"

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used for a different transaction")


class NotFound(LedgerError):
    status_code = 404
    code = "not_found"
    title = "Not found"


class CheckpointNotFound(NotFound):
    code = "checkpoint_not_found"
    title = "No such checkpoint"


class NotCheckpointed(NotFound):
    code = "not_checkpointed"
    title = "Not covered by a checkpoint yet"

    def __init__(self, seq: int, latest_size: int | None) -> None:
        latest = "no checkpoint exists" if latest_size is None else f"the latest is {latest_size}"
        super().__init__(
            f"transaction {seq} is not covered by a checkpoint yet ({latest}); "
            "ask again after the next checkpoint",
            seq=seq,
            latest_checkpoint_size=latest_size,
        )


class InvalidRange(LedgerError):
    status_code = 422
    code = "invalid_range"
    title = "Outside the ledger"


class InvalidCursor(InvalidRange):
    code = "invalid_cursor"
    title = "Invalid cursor"


class LedgerUnavailable(LedgerError):
    status_code = 503
    code = "ledger_unavailable"
    title = "Ledger writer unavailable"


class NotAuthenticated(LedgerError):
    status_code = 401
    code = "not_authenticated"
    title = "Authentication required"


class Forbidden(LedgerError):
    status_code = 403
    code = "forbidden"
    title = "Forbidden"
