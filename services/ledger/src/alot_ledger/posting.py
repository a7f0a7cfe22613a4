"""``post``, ``transfer`` and ``memo``: the one way callers write, whoever commits.

``Ledger`` appends inside the caller's DB transaction and ``LedgerWriter`` commits
batches on its own; both offer the same three calls, defined once here over their
``append``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from alot_ledger.appender import Receipt
from alot_ledger.rules import PostingInput, TransactionRequest, build_request, transfer_postings


class Posts:
    """The write calls, over ``append(request)`` supplied by the subclass."""

    def append(self, request: TransactionRequest) -> Receipt:
        raise NotImplementedError

    def post(
        self,
        kind: str,
        postings: Iterable[PostingInput],
        *,
        refs: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Receipt:
        """Append one transaction and return its receipt.

        Raises a ``LedgerError`` subclass and writes nothing when the request is refused.
        """
        request = build_request(
            kind, postings, refs=refs, metadata=metadata, idempotency_key=idempotency_key
        )
        return self.append(request)

    def transfer(
        self,
        kind: str,
        source: str,
        destination: str,
        asset: str,
        amount: int,
        *,
        refs: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Receipt:
        """Move a positive ``amount`` of ``asset`` from ``source`` to ``destination``."""
        return self.post(
            kind,
            transfer_postings(source, destination, asset, amount),
            refs=refs,
            metadata=metadata,
            idempotency_key=idempotency_key,
        )

    def memo(
        self,
        kind: str,
        *,
        refs: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Receipt:
        """Append a transaction without postings (draw commitments, draw results)."""
        return self.post(kind, [], refs=refs, metadata=metadata, idempotency_key=idempotency_key)
