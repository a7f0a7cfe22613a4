"""Reconciliation: compare a projection of balances with the ledger, the source of truth.

The platform keeps projections (e.g. a table of users' credit balances) updated in the
same DB transaction as the ledger. ``reconcile`` reports every (account, asset) where a
projection and the ledger disagree, including accounts only one side knows.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from alot_ledger.repository import LedgerRepository
from alot_ledger.service import connection_of


@dataclass(frozen=True, slots=True)
class Difference:
    account: str
    asset: str
    ledger_balance: int
    projected_balance: int | None
    """None when the projection has no row for this account."""


def reconcile(
    bind: Session | Connection,
    projection: Mapping[tuple[str, str], int],
    *,
    accounts: str = "*",
    asset: str | None = None,
) -> list[Difference]:
    """Every account matching the glob ``accounts`` (and ``asset``) whose balances differ.

    A ledger account missing from the projection counts as projected None (a difference
    unless the ledger balance is 0); a projected account unknown to the ledger has a
    ledger balance of 0.
    """
    ledger = {
        (a.name, a.asset): a.balance
        for a in LedgerRepository(connection_of(bind)).list_accounts(asset)
        if fnmatch.fnmatchcase(a.name, accounts)
    }
    wanted = {
        pair
        for pair in projection
        if fnmatch.fnmatchcase(pair[0], accounts) and (asset is None or pair[1] == asset)
    }
    differences = []
    for name, asset_code in sorted(ledger.keys() | wanted):
        in_ledger = ledger.get((name, asset_code), 0)
        projected = projection.get((name, asset_code))
        if projected is None and in_ledger == 0:
            continue
        if projected != in_ledger:
            differences.append(Difference(name, asset_code, in_ledger, projected))
    return differences
