"""The JSON Lines export: one transaction per line, exactly what ``alot-verify ledger`` reads.

Lines are rebuilt from the stored columns (transactions, postings, accounts), never from
a cached copy, so a row changed behind the ledger's back shows up in the export and
fails verification at its seq. Each line is the canonical JSON of the whole transaction
object (``hash`` included); verifiers recompute the hash from the body without it.

The export streams in chunks of consecutive seq (keyset on the primary key), so memory
stays constant however long the range.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy.engine import Connection, Engine

from alot_ledger.errors import InvalidRange
from alot_ledger.repository import LedgerRepository

CHUNK = 2000
# The C string encoder of the json module: escapes exactly as canonical JSON does.
_string = json.encoder.encode_basestring


def lines_for_range(store: LedgerRepository, first: int, last: int) -> Iterator[str]:
    """The export lines (without "\\n") of seq ``first..last`` from one query pair."""
    string = _string
    postings = iter(store.posting_rows(first, last))
    pending = next(postings, None)
    for (
        seq,
        tx_id,
        kind,
        created_at,
        refs,
        metadata,
        prev_hash,
        tx_hash,
    ) in store.export_transaction_rows(first, last):
        parts = []
        while pending is not None and pending[0] == seq:
            _, account, asset, amount, balance_after, version = pending
            parts.append(
                f'{{"account":{string(account)},"account_version":{version},'
                f'"amount":{amount},"asset":{string(asset)},"balance_after":{balance_after}}}'
            )
            pending = next(postings, None)
        yield (
            f'{{"created_at":{string(created_at)},"hash":{string(tx_hash)},'
            f'"id":{string(tx_id)},"kind":{string(kind)},'
            f'"metadata":{metadata},"postings":[{",".join(parts)}],'
            f'"prev_hash":{string(prev_hash)},"refs":{refs},"seq":{seq}}}'
        )


def export_range(
    bind: Engine | Connection, from_seq: int = 1, to_seq: int | None = None
) -> tuple[int, int]:
    """Clamp a requested range to the committed ledger: (first, last), maybe empty.

    Pass the caller's Connection when it has a transaction open: on SQLite a second
    connection would wait for that transaction's write lock.
    """
    if from_seq < 1 or (to_seq is not None and to_seq < from_seq - 1):
        raise InvalidRange("the range must satisfy 1 <= from_seq <= to_seq + 1")
    if isinstance(bind, Connection):
        size = LedgerRepository(bind).read_head().size
    else:
        with bind.connect() as connection:
            size = LedgerRepository(connection).read_head().size
    return from_seq, size if to_seq is None else min(to_seq, size)


def export_lines(engine: Engine, from_seq: int = 1, to_seq: int | None = None) -> Iterator[str]:
    """Stream "\\n"-terminated export lines for committed transactions from_seq..to_seq.

    The range is fixed when iteration starts (clamped to the committed size then), so
    the export is a consistent prefix even while appends continue.
    """
    first, last = export_range(engine, from_seq, to_seq)
    for chunk in _chunks(first, last):
        with engine.connect() as connection:
            for line in lines_for_range(LedgerRepository(connection), *chunk):
                yield line + "\n"


def export_chunks(engine: Engine, first: int, last: int) -> Iterator[str]:
    """Export text for an already clamped first..last, one string per chunk of lines."""
    for chunk in _chunks(first, last):
        with engine.connect() as connection:
            lines = lines_for_range(LedgerRepository(connection), *chunk)
            yield "".join(line + "\n" for line in lines)


def _chunks(first: int, last: int) -> Iterator[tuple[int, int]]:
    for start in range(first, last + 1, CHUNK):
        yield start, min(start + CHUNK - 1, last)
